/** A read-write separated cluster (7.3): a primary and timely (or realtime) standbys. */
import type { Construct } from 'constructs';
import type { ClusterModel } from '../lib/families/data-guard/model';
import { DmCluster } from './cluster';
import type { ClusterCommonProps, GroupProps } from './props';

/** Props of a ReadWriteCluster: the `ReadWriteCluster` spec of lib/families/data-guard/schema.ts without `kind`. */
export interface ReadWriteClusterProps extends ClusterCommonProps, GroupProps {
  /**
   * Archive type to the standbys: TIMELY (即时归档, 7.3) or REALTIME (§2.6.5).
   * @default TIMELY
   */
  readonly archiveType?: 'TIMELY' | 'REALTIME';
}

/**
 * A DM8 read-write separated cluster deployed as in the manual's 7.3. Its outputs carry the
 * read-write separation settings of 7.3.9 (rwSeparate, rwPercent), on by default.
 */
export class ReadWriteCluster extends DmCluster<ClusterModel> {
  constructor(scope: Construct, id: string, props: ReadWriteClusterProps) {
    super(scope, id, 'ReadWriteCluster', props);
  }
}
