/** A data-guard group whose primary is an existing DMDSC cluster (7.5), with optional async (7.6) and sync (7.7) standbys. */
import type { Construct } from 'constructs';
import type { DatabaseSpec } from '../lib/families/data-guard/schema';
import type { ClusterModel } from '../lib/families/data-guard/model';
import { DmCluster } from './cluster';
import type { ClusterCommonProps, DeepReadonly, DscDatabaseProps, GroupFieldsProps } from './props';

/**
 * Props of a DscPrimary: the `DscPrimary` spec of lib/families/data-guard/schema.ts without `kind`. The DMDSC
 * cluster (its dmasmsvr, dmcss and dmservers, on shared storage) exists already; the group
 * makes it the primary of realtime (or timely) single-node standbys.
 */
export interface DscPrimaryProps extends ClusterCommonProps, GroupFieldsProps {
  /**
   * The primary: the existing DMDSC cluster, at least two nodes, node 0 (the control node) first.
   * Each node names its dm.ini (`iniPath`, whose directory is CONFIG_PATH), its dmdcr.ini
   * (`dcrIni`) and its own local archive directory (e.g. `+DMDATA/DSC/DSC01/arch`, 7.5.3.1).
   * `backupDir` holds the offline backup taken with dmrman use_ap=2 (7.5.3.3);
   * `dmcssAutoRestart` lets dmcss restart the nodes in MOUNT (7.5.10). Required.
   */
  readonly primary: DscDatabaseProps;
  /** 1 to 8 standbys: single-node databases (7.5.4; not DMDSC, DM8 builds no DSC-to-DSC guard). Required. */
  readonly standbys: readonly DeepReadonly<DatabaseSpec>[];
  /**
   * Archive type to the standbys: REALTIME (7.5) or TIMELY.
   * @default REALTIME
   */
  readonly archiveType?: 'TIMELY' | 'REALTIME';
}

/**
 * A DM8 data-guard group with a DMDSC primary, deployed step by step as in the manual's 7.5: one
 * null_resource per step, the plan manifest as an asset, client outputs (the dm_svc.conf
 * service lists every DSC node and every standby). AsyncStandby and SyncStandby attach as to a
 * RealtimePair; an async standby's `source` may be the DSC (any node's name, or omitted: the
 * primary) or a standby.
 *
 * @example
 * const dsc = new DscPrimary(stack, 'GRP1', { group: 'GRP1', oguid: 1000, hosts, primary: { nodes }, standbys });
 * new AsyncStandby(dsc, 'ASYNC1', { name: 'GRP1_ASYNC_01', host: 'DW_A', timer: {} });
 */
export class DscPrimary extends DmCluster<ClusterModel> {
  /** Node 0's instance name: how the group names the DMDSC primary (e.g. as an async standby's `source`). */
  readonly primaryName: string;

  constructor(scope: Construct, id: string, props: DscPrimaryProps) {
    super(scope, id, 'DscPrimary', props);
    this.primaryName = props.primary.nodes[0]?.name ?? '';
  }
}
