/**
 * An async standby attached to a cluster (7.6); a cascade when its source is another async standby
 * (7.6.6). It attaches to a RealtimePair, a ReadWriteCluster or a DscPrimary (whose DMDSC primary
 * may be its source); an MppGroup's async standbys are written in its node groups.
 */
import { Construct } from 'constructs';
import type { AsyncStandbySpec } from '../lib/families/data-guard/schema';
import type { DmCluster } from './cluster';
import type { DeepReadonly } from './props';

/**
 * Props of an async standby: one entry of the spec's `asyncStandbys` (a single-node database or a
 * DMDSC cluster, plus `source`, `timer`, `sendDelay`; see AsyncStandbySchema in lib/families/data-guard/schema.ts).
 */
export type AsyncStandbyProps = DeepReadonly<AsyncStandbySpec>;

/**
 * Adds an async standby to a cluster: it is appended to the cluster's `asyncStandbys` (after the
 * inline ones, in the order the children are created) and validated with the whole spec at
 * synthesis. Findings about it name its construct path. `source` names an instance of the group
 * (for a DMDSC database any of its nodes), default the primary.
 *
 * @example
 * const a1 = new AsyncStandby(pair, 'LOCAL1', { name: 'GRP1_LOCAL_01', host: 'DW_S2', source: 'GRP1_RT_01', timer: {} });
 * new AsyncStandby(pair, 'LOCAL2', { name: 'GRP1_LOCAL_02', host: 'DW_S3', source: a1.instanceName, timer: {} });
 */
export class AsyncStandby extends Construct {
  /** The instance name other standbys use as `source` (node 0's name for a DMDSC standby). */
  readonly instanceName: string;

  constructor(cluster: DmCluster, id: string, props: AsyncStandbyProps) {
    super(cluster, id);
    const snapshot = structuredClone(props);
    this.instanceName = 'nodes' in snapshot ? (snapshot.nodes[0]?.name ?? '') : snapshot.name;
    cluster._attach({ kind: 'async', node: this, props: snapshot });
  }
}
