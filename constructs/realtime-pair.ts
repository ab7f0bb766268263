/** A realtime primary/standby group (7.2), with optional async (7.6) and sync (7.7) standbys. */
import type { Construct } from 'constructs';
import type { ClusterModel } from '../lib/families/data-guard/model';
import { DmCluster } from './cluster';
import type { ClusterCommonProps, GroupProps } from './props';

/**
 * Props of a RealtimePair: the `RealtimePair` spec of lib/families/data-guard/schema.ts without `kind`. The
 * standbys receive realtime archives; `archWaitApply` (§2.6.5) turns on read-write separation
 * over a realtime group, together with `client.rwSeparate`.
 */
export interface RealtimePairProps extends ClusterCommonProps, GroupProps {}

/**
 * A DM8 realtime data-guard group deployed step by step as in the manual's 7.2: one
 * null_resource per step, the plan manifest as an asset, client outputs.
 *
 * @example
 * const pair = new RealtimePair(stack, 'GRP1', { group: 'GRP1', oguid: 453331, hosts, primary, standbys });
 * new AsyncStandby(pair, 'LOCAL1', { name: 'GRP1_LOCAL_01', host: 'DW_S2', timer: {} });
 */
export class RealtimePair extends DmCluster<ClusterModel> {
  constructor(scope: Construct, id: string, props: RealtimePairProps) {
    super(scope, id, 'RealtimePair', props);
  }
}
