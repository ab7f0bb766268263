// CDKTF constructs for DM8 clusters (data guard and DMDPC) (DESIGN §5). See constructs/README.md.
export { DmCluster, DMDEPLOY_CONTEXT } from './cluster';
export type { ClusterOutput, DeployableKind } from './cluster';
export { RealtimePair, type RealtimePairProps } from './realtime-pair';
export { ReadWriteCluster, type ReadWriteClusterProps } from './read-write-cluster';
export { DscPrimary, type DscPrimaryProps } from './dsc-primary';
export { MppGroup, type MppGroupProps, type MppNodeGroupProps } from './mpp-group';
export { DpcCluster, type DpcClusterProps } from './dpc-cluster';
export { AsyncStandby, type AsyncStandbyProps } from './async-standby';
export { SyncStandby, type SyncStandbyProps } from './sync-standby';
export { DcpProxy, type DcpProxyProps } from './dcp-proxy';
export type {
  ClusterCommonProps,
  DeepReadonly,
  DscDatabaseProps,
  GroupFieldsProps,
  GroupProps,
} from './props';
export { clusterFromSpec } from './from-spec';
export { stepResources, type StepResource, type StepResourceOptions } from './step-resources';
export { jdbcUrl, disqlCommand, epConnections, mppEndpoints, type MppEndpoint } from './connection';
