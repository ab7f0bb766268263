/** The resolved DpcCluster: every default applied, every port allocated. Render and plan read only this. */
import type { SharedModel } from '../../spec/resolve-shared';
import type { StepResourceType } from '../data-guard/schema';

export type DpcRole = 'MP' | 'BP' | 'SP';

/** One dmserver of the DMDPC system. */
export interface DpcNode {
  name: string;
  role: DpcRole;
  host: string;
  /** Its RAFT group's name (MP_RAFT for MPs). */
  raft: string;
  specPath: string;
  /** dminit path=. */
  initPath: string;
  dbName: string;
  /** <initPath>/<dbName>/dm.ini. */
  iniPath: string;
  /** The dm.ini directory: mp.ini and dmarch.ini live there (003 7.1.2). */
  configPath: string;
  /** LOCAL archive directory of a RAFT member. */
  archiveDir: string;
  port: number;
  apPort: number;
  /** MPs only: mp.ini mp_port. */
  mpPort?: number;
  /** Members of a multi-replica group: RAFT_SELF_ID (1..n, the spec's order). */
  selfId?: number;
  /** Members of a multi-replica group: RAFT_VOTE_INTERVAL. */
  voteInterval?: number;
  shadow: boolean;
  /** Port fields the user set (the others were allocated). */
  explicitPorts: ReadonlySet<DpcPortField>;
}

export type DpcPortField = 'port' | 'apPort' | 'mpPort';

/** A RAFT group: an MP RAFT, a BP RAFT or an SP's own RAFT. */
export interface DpcRaft {
  name: string;
  role: DpcRole;
  specPath: string;
  /** Spec order = RAFT_SELF_ID order = registration order; members[0] bootstraps a multi-replica group. */
  members: DpcNode[];
}

export interface DpcBpGroup {
  name: string;
  description: string;
  rafts: string[];
  specPath: string;
}

export interface DpcFaultDomain {
  name: string;
  description: string;
  instances: string[];
  specPath: string;
}

export interface DpcModel extends SharedModel {
  kind: 'DpcCluster';
  name: string;
  /** MP_RAFT: one MP, or the MP RAFT group (7.3). */
  mp: DpcRaft;
  bpRafts: DpcRaft[];
  /** One RAFT per SP (003 7.1.4: SP_CREATE_DPC_RAFT('SP', ...) for each). */
  spRafts: DpcRaft[];
  bpGroups: DpcBpGroup[];
  faultDomains: DpcFaultDomain[];
  raft: { xmalHbInterval: number; hbInterval: number };
  shadowMethod: 'restore' | 'backup';
  spStatus: 1 | 2;
  client: { serviceName: string };
  stepResource: StepResourceType;
}

/** A group of several replicas: RAFT archiving, bootstrap, backup and restore, election (7.2, 7.3). */
export const isMultiReplica = (r: DpcRaft): boolean => r.members.length > 1;

/** Every node, in registration order: the MPs, then each BP RAFT's members, then the SPs (003 7.1.4). */
export function dpcNodes(m: DpcModel): DpcNode[] {
  return [...m.mp.members, ...m.bpRafts.flatMap((r) => r.members), ...m.spRafts.flatMap((r) => r.members)];
}

/** Whether a model of some family is a DpcCluster's. */
export const isDpcModel = (m: { kind: string }): m is DpcModel => m.kind === 'DpcCluster';
