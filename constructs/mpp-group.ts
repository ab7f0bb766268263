/** An MPP system with data guard (7.4): N >= 2 MPP nodes, each the primary of its own group. */
import type { Construct } from 'constructs';
import { isMpp, type ClusterModel } from '../lib/families/data-guard/model';
import type { DcpSpec } from '../lib/families/data-guard/dcp/schema';
import type {
  AsyncStandbySpec,
  DatabaseSpec,
  SingleDatabaseSpec,
  SyncStandbySpec,
} from '../lib/families/data-guard/schema';
import { DmCluster, type ClusterOutput } from './cluster';
import { dcpConnections, epConnections } from './connection';
import type { ClusterCommonProps, DeepReadonly, GroupFieldsProps } from './props';

/** One MPP node: a data-guard group whose primary is the node's EP (one entry of the spec's `groups`). */
export interface MppNodeGroupProps extends GroupFieldsProps {
  /**
   * MPP_SEQ_NO of this node's primary (dmmpp.ini, 7.4.3.4): the nodes are numbered 0 to N-1,
   * each number once.
   * @default the group's position in `groups`
   */
  readonly seqNo?: number;
  /** The EP: this node's primary, a single-node database (MPP data guard supports no DMDSC). Required. */
  readonly primary: DeepReadonly<SingleDatabaseSpec>;
  /** 1 to 8 realtime standbys of this node (7.4), single-node databases. Required. */
  readonly standbys: readonly DeepReadonly<DatabaseSpec>[];
  /**
   * Async standbys (7.6) of this node's group, inline only (an MppGroup takes no AsyncStandby child).
   * @default none
   */
  readonly asyncStandbys?: readonly DeepReadonly<AsyncStandbySpec>[];
  /**
   * Sync standbys (7.7) of this node's group, inline only (an MppGroup takes no SyncStandby child).
   * @default none
   */
  readonly syncStandbys?: readonly DeepReadonly<SyncStandbySpec>[];
}

/** Props of an MppGroup: the `MppGroup` spec of lib/families/data-guard/schema.ts without `kind`. */
export interface MppGroupProps extends ClusterCommonProps {
  /**
   * Cluster name: the stack name main.ts gives a spec file, and the plan's `cluster`.
   * @default the group names joined by `_`
   */
  readonly name?: string;
  /**
   * The client's dm_svc.conf entry (§5.8): one MPP-wide service listing the Primary/Standby
   * instances of every node's group.
   * @default service name `MPP_<first group>`, LOGIN_MODE 1 (a primary, i.e. an EP)
   */
  readonly client?: ClusterCommonProps['client'];
  /**
   * One data-guard group per MPP node, at least two (7.4). Every node's primary and standbys
   * get MPP_INI = 1 and the same dmmpp.ctl; a host's watcher guards one instance of each group
   * on it (7.4.7). Async and sync standbys of a node are written inline in its group.
   */
  readonly groups: readonly MppNodeGroupProps[];
  /**
   * DCP proxies in front of the EPs (seed 001): each an ordinary dmserver with ENABLE_DCP_MODE = 1
   * on its own host; clients then connect to the proxies.
   */
  readonly dcp?: DeepReadonly<DcpSpec>;
}

/**
 * A DM8 MPP system with data guard deployed step by step as in the manual's 7.4: one
 * null_resource per step, the plan manifest as an asset, client outputs. Besides the outputs of
 * every cluster (whose service is the MPP-wide one), `mpp_service_name` names that service and
 * `ep_connections` maps each EP (MPP_INST_NAME) to its host:port for a direct connection.
 *
 * Standbys are per MPP node, so AsyncStandby and SyncStandby children cannot attach to an
 * MppGroup: write them in `groups[i].asyncStandbys` / `syncStandbys`.
 *
 * @example
 * new MppGroup(stack, 'MPP', { name: 'MPP_EP', hosts, groups: [grp1, grp2], watcher: { mode: 'AUTO' }, monitor });
 */
export class MppGroup extends DmCluster<ClusterModel> {
  constructor(scope: Construct, id: string, props: MppGroupProps) {
    super(scope, id, 'MppGroup', props);
  }

  /** @internal DcpProxy children attach; an MPP system has no single group to attach a standby to. */
  override _attach(entry: Parameters<DmCluster['_attach']>[0]): void {
    if (entry.kind === 'dcp') return super._attach(entry);
    throw new Error(
      `${entry.node.node.path}: an MppGroup takes no AsyncStandby or SyncStandby child (standbys belong to ` +
        `one MPP node); write it in groups[i].${entry.kind === 'async' ? 'asyncStandbys' : 'syncStandbys'} of ${this.node.path}`,
    );
  }

  protected override extraOutputs(model: ClusterModel): ClusterOutput[] {
    return [
      {
        name: 'mpp_service_name',
        value: model.client.serviceName,
        description:
          'the MPP-wide dm_svc.conf service: every MPP node (EP) with its standbys; LOGIN_MODE 1 logs in to an EP',
      },
      {
        name: 'ep_connections',
        value: epConnections(model),
        description: 'direct connection to each EP: MPP_INST_NAME -> host:port of its primary (7.4)',
      },
      ...(isMpp(model) && model.dcp
        ? [
            {
              name: 'dcp_connections',
              value: dcpConnections(model.dcp, model.hosts),
              description:
                "each DCP proxy's PORT_NUM, where clients connect (001 6.3); dm_svc_conf holds the service over all of them",
            },
          ]
        : []),
    ];
  }
}
