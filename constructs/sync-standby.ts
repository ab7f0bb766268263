/** A sync standby attached to a cluster (7.7): a RealtimePair, a ReadWriteCluster or a DscPrimary. */
import { Construct } from 'constructs';
import type { SyncStandbySpec } from '../lib/families/data-guard/schema';
import type { DmCluster } from './cluster';
import type { DeepReadonly } from './props';

/**
 * Props of a sync standby: one entry of the spec's `syncStandbys` (a single-node database plus
 * `recoverTime`, ARCH_RECOVER_TIME; see SyncStandbySchema in lib/families/data-guard/schema.ts).
 */
export type SyncStandbyProps = DeepReadonly<SyncStandbySpec>;

/**
 * Adds a sync standby to a cluster: it is appended to the cluster's `syncStandbys` (after the
 * inline ones, in creation order) and validated with the whole spec at synthesis.
 *
 * @example
 * new SyncStandby(pair, 'SYNC1', { name: 'GRP1_SYNC_01', host: 'DW_S2', recoverTime: 1 });
 */
export class SyncStandby extends Construct {
  /** Its INSTANCE_NAME. */
  readonly instanceName: string;

  constructor(cluster: DmCluster, id: string, props: SyncStandbyProps) {
    super(cluster, id);
    const snapshot = structuredClone(props);
    this.instanceName = snapshot.name;
    cluster._attach({ kind: 'sync', node: this, props: snapshot });
  }
}
