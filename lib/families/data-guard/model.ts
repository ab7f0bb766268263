/**
 * The resolved data-guard model: the spec with every default applied and every port allocated.
 * Renderers and the planner read only this. `specPath` fields point back into the spec so
 * that validation errors can name the field the user wrote (or should write).
 */
import type { DataGuardKind, StepResourceType } from './schema';
import type { HostModel, SecretsModel, SshModel } from '../../spec/model';
import type { DcpModel } from './dcp/model';

export type { HostModel, SecretsModel, SshModel } from '../../spec/model';

export type ArchiveKind = 'REALTIME' | 'TIMELY';
/** primary and standby take part in failover (GLOBAL watchers); async and sync are LOCAL. */
export type DatabaseRole = DatabaseModel['role'];

/** One dmserver instance. */
export interface InstanceModel {
  name: string;
  host: string;
  specPath: string;
  /** dminit path= (single-node databases only). */
  initPath?: string;
  dbName?: string;
  /** Absolute path of dm.ini. */
  iniPath: string;
  /** CONFIG_PATH: the directory of dm.ini, holding dmmal.ini, dmarch.ini, dmtimer.ini. */
  configPath: string;
  archiveDir: string;
  port: number;
  malPort: number;
  malDwPort: number;
  instDwPort: number;
  /** dmdcr.ini of a DMDSC node. */
  dcrIni?: string;
  /** Which port fields the user set explicitly (the others were allocated). */
  explicitPorts: ReadonlySet<PortField>;
}

export type PortField = 'port' | 'malPort' | 'malDwPort' | 'instDwPort';

export interface TimerModel {
  name: string;
  type: number;
  freqMonthWeekInterval: number;
  freqSubInterval: number;
  freqMinuteInterval: number;
  startTime: string;
  endTime: string;
  duringStartDate: string;
  duringEndDate: string;
  noEndDateFlag: number;
  describe: string;
  isValid: number;
}

/** One database of a group: a single node, or a DMDSC cluster of several nodes. */
export type DatabaseModel = DatabaseCommon & DatabaseRoleModel & DatabaseLayoutModel;

/** What every database has, whatever its role and layout. */
export interface DatabaseCommon {
  /** Name used for references: the instance name, or node 0's name for a DMDSC cluster. */
  id: string;
  group: string;
  specPath: string;
  instances: InstanceModel[];
  /** Its place among the group's databases in the spec: the MAL order (the group's retired included). */
  order?: number;
}

/** A database's role in its group, with what only that role has. */
export type DatabaseRoleModel =
  | { role: 'primary' | 'standby' }
  | {
      role: 'async';
      /** The database it receives archives from. */
      source: string;
      /** The source's timer. */
      timer?: TimerModel;
      /** ARCH_SEND_DELAY. */
      sendDelay?: number;
    }
  | {
      role: 'sync';
      /** ARCH_RECOVER_TIME. */
      recoverTime: number;
    };

/** A single dmserver, or a DMDSC cluster of several nodes sharing one database. */
export type DatabaseLayoutModel =
  | { layout: 'single' }
  | {
      layout: 'dsc';
      /** Backup set directory for the offline backup (7.5.3.3). */
      backupDir: string;
      /** dmcss restart interval when auto restart is on (7.5.10). */
      dmcssRestartInterval?: number;
    };

export type AsyncDatabaseModel = Extract<DatabaseModel, { role: 'async' }>;
export type SyncDatabaseModel = Extract<DatabaseModel, { role: 'sync' }>;

export interface GroupModel {
  name: string;
  oguid: number;
  specPath: string;
  archiveType: ArchiveKind;
  /** ARCH_WAIT_APPLY when set explicitly; otherwise DM's default applies. */
  archWaitApply?: 0 | 1;
  /** primary first, then standbys, async standbys and sync standbys, each in spec order. */
  databases: DatabaseModel[];
  /**
   * Standbys the spec marks `removed`: they leave the running group (a leave step), and only
   * their MAL entry stays (every dmmal.ini names them); nothing else renders or plans them.
   */
  retired?: DatabaseModel[];
}

/** A data guard group of an MPP system: one MPP node (7.4). */
export interface MppGroupModel extends GroupModel {
  /** MPP_SEQ_NO of the group's primary. */
  mppSeqNo: number;
}

export interface WatcherModel {
  mode: 'AUTO' | 'MANUAL';
  dwErrorTime: number;
  instRecoverTime: number;
  instErrorTime: number;
  autoRestart: boolean;
  rlogSendThreshold: number;
  rlogApplyThreshold: number;
}

export interface MonitorInstanceModel {
  host: string;
  port: number;
  id: number;
  name: string;
  specPath: string;
}

export interface MonitorModel {
  confirm: boolean;
  path: string;
  logPath: string;
  logInterval: number;
  logFileSize: number;
  logSpaceLimit: number;
  /** Single-instance monitor host. */
  host?: string;
  /** Multi-instance monitor (7.2.5.2). */
  multi?: {
    mid: number;
    hbInterval: number;
    broInterval: number;
    voteInterval: number;
    instances: MonitorInstanceModel[];
  };
}

export interface ClientModel {
  serviceName: string;
  loginMode: number;
  switchTime: number;
  switchInterval: number;
  rwSeparate: boolean;
  rwPercent: number;
}

/** The cluster: one data guard group, or an MPP system of several groups (7.4). */
export type ClusterModel = SingleGroupClusterModel | MppClusterModel;

export interface SingleGroupClusterModel extends ClusterCommon {
  system: { kind: 'single-group' };
  groups: GroupModel[];
}

/** MPP_INI = 1 on primaries and GLOBAL standbys (7.4). */
export interface MppClusterModel extends ClusterCommon {
  system: { kind: 'mpp' };
  groups: MppGroupModel[];
  /** DCP proxies in front of the EPs (seed 001). */
  dcp?: DcpModel;
}

/** An MPP system of data guard groups (7.4). */
export function isMpp(model: ClusterModel): model is MppClusterModel {
  return model.system.kind === 'mpp';
}

/** What every data guard cluster has, one group or MPP. */
export interface ClusterCommon {
  kind: DataGuardKind;
  name: string;
  dmHome: string;
  ssh: SshModel;
  hosts: Record<string, HostModel>;
  watcher: WatcherModel;
  monitor?: MonitorModel;
  mal: { checkInterval: number; connFailInterval: number };
  archive: { fileSize: number; spaceLimit: number };
  /** Extra dm.ini settings from the spec, applied on every instance. */
  dmIni: Record<string, string | number>;
  client: ClientModel;
  purgeData: boolean;
  /** What an apply does with a setting a running dmserver reads only at its start. */
  restarts: 'refuse' | 'rolling';
  secrets: SecretsModel;
  /** The Terraform resource type of each step (the constructs' concern; not in the plan). */
  stepResource: StepResourceType;
  /**
   * The type the deployed steps have now, to be moved into `stepResource` (`moved` blocks); the
   * schema allows only null_resource (as SharedModel says).
   */
  moveStepsFrom?: Exclude<StepResourceType, 'terraform_data'>;
}

export function allDatabases(model: ClusterModel): DatabaseModel[] {
  return model.groups.flatMap((g) => g.databases);
}

/** Every instance, a retired standby's included: its name, ports and paths stay in use (its MAL entry stays). */
export function allInstances(model: ClusterModel): InstanceModel[] {
  return [...allDatabases(model), ...model.groups.flatMap((g) => g.retired ?? [])].flatMap(
    (d) => d.instances,
  );
}

/** Primary and standbys: the members that may become primary (GLOBAL watchers). */
export function isGuardMember(db: DatabaseModel): boolean {
  return db.role === 'primary' || db.role === 'standby';
}

/** The name written in ARCH_DEST for a database: DMDSC nodes joined by '/' (7.5.1). */
export function archDestOf(db: DatabaseModel): string {
  return db.instances.map((i) => i.name).join('/');
}
