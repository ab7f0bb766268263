/**
 * The data-guard kinds' spec (RealtimePair, ReadWriteCluster, DscPrimary, MppGroup): one schema
 * that is both the YAML format and the construct props.
 *
 * The schema checks shape and types only (and rejects unknown keys, so a typo such as
 * `malport` is an error rather than a silently ignored field). Every rule the DM8 manuals
 * state about values lives in lib/validate, where it has a code and a manual section.
 */
import { z } from 'zod';
import {
  ArchiveSchema,
  ClientSchema,
  DmIniSchema,
  HostSchema,
  int,
  SecretsSchema,
  SshSchema,
  text,
} from '../../spec/parts';
import { DcpSchema } from './dcp/schema';

/** The ports of one dmserver instance (table 7.2). Omitted ones are allocated per host. */
const PortFields = {
  /** dm.ini PORT_NUM = dmmal.ini MAL_INST_PORT. */
  port: int().optional(),
  /** dmmal.ini MAL_PORT. */
  malPort: int().optional(),
  /** dmmal.ini MAL_DW_PORT: the port of this instance's dmwatcher. */
  malDwPort: int().optional(),
  /** dmmal.ini MAL_INST_DW_PORT: where the instance listens for its watcher. */
  instDwPort: int().optional(),
};

/** A single-node database, initialised with `dminit path=<path>`. */
export const SingleDatabaseSchema = z.strictObject({
  /** INSTANCE_NAME (at most 16 characters, unique in the system). */
  name: text(),
  /** Key of the host in `hosts`. */
  host: text(),
  /** dminit's path=; the database lives in <path>/<dbName>. @default <dmHome>/data, or <dmHome>/data/<name> when the host has several instances */
  path: text().optional(),
  /** dminit DB_NAME. @default DAMENG */
  dbName: text().optional(),
  /** Local archive directory. @default <path>/<dbName>/arch */
  archiveDir: text().optional(),
  /**
   * A standby that leaves its running group: stopped, its archive destination deleted from every
   * remaining member online, the monitor rewritten; its data kept unless purgeData. Its MAL entry
   * stays in every dmmal.ini, so the entry stays in the spec while the group runs.
   */
  removed: z.boolean().optional(),
  ...PortFields,
});

/** One dmserver node of an existing DMDSC cluster (7.5). */
export const DscNodeSchema = z.strictObject({
  name: text(),
  host: text(),
  /** Path of this node's dm.ini; its directory is CONFIG_PATH (7.5.3.1). */
  iniPath: text(),
  /** Path of this node's dmdcr.ini (DCR_INI). */
  dcrIni: text().optional(),
  /** Local archive directory, e.g. +DMDATA/DSC/DSC01/arch. */
  archiveDir: text(),
  ...PortFields,
});

/** An existing DMDSC cluster used as one database of the group (7.5). */
export const DscDatabaseSchema = z.strictObject({
  /** The DSC nodes, node 0 first (node 0 is the control node, §2.7.5). */
  nodes: z.array(DscNodeSchema).min(1),
  /** Directory of the offline backup set taken through dmrman use_ap=2 (7.5.3.3). @default <dir of node 0's dm.ini>/bak/db_full_bak_for_DSC */
  backupDir: text().optional(),
  /** Turn on dmcss's automatic restart of dmserver in MOUNT (7.5.10). */
  dmcssAutoRestart: z
    .strictObject({
      /** DMDCR_DB_RESTART_INTERVAL in seconds. @default 60 */
      interval: int().optional(),
    })
    .optional(),
});

export const DatabaseSchema = z.union([SingleDatabaseSchema, DscDatabaseSchema]);

/** dmtimer.ini timer for an async archive (§5.6, 7.6.3.4). Omitted fields take the manual's daily timer. */
export const TimerSchema = z.strictObject({
  /** Section name = ARCH_TIMER_NAME. @default RT_TIMER */
  name: text().optional(),
  type: int().optional(),
  freqMonthWeekInterval: int().optional(),
  freqSubInterval: int().optional(),
  freqMinuteInterval: int().optional(),
  startTime: text().optional(),
  endTime: text().optional(),
  duringStartDate: text().optional(),
  duringEndDate: text().optional(),
  noEndDateFlag: int().optional(),
  describe: text().optional(),
  isValid: int().optional(),
});

const AsyncOnly = {
  /** Instance name of the source: the primary or a standby of the group (multi-source, 7.6), or another async standby (cascade, 7.6.6). @default the primary */
  source: text().optional(),
  /** The timer that triggers sending archives to this standby (required, 7.6.3.4). */
  timer: TimerSchema.optional(),
  /** ARCH_SEND_DELAY in minutes (§5.3). */
  sendDelay: int().optional(),
};

export const AsyncStandbySchema = z.union([
  SingleDatabaseSchema.extend(AsyncOnly),
  DscDatabaseSchema.extend(AsyncOnly),
]);

export const SyncStandbySchema = SingleDatabaseSchema.extend({
  /** ARCH_RECOVER_TIME: the sync standby's asynchronous recovery interval (7.7.3.3). @default 1 */
  recoverTime: int().optional(),
});

export const WatcherSchema = z.strictObject({
  /** DW_MODE of the group's GLOBAL watchers. @default MANUAL */
  mode: z.enum(['AUTO', 'MANUAL']).optional(),
  /** DW_ERROR_TIME. @default 10 */
  dwErrorTime: int().optional(),
  /** INST_RECOVER_TIME. @default 60 */
  instRecoverTime: int().optional(),
  /** INST_ERROR_TIME. @default 10 */
  instErrorTime: int().optional(),
  /** INST_AUTO_RESTART (single-node instances; DMDSC nodes are restarted by dmcss). @default true */
  autoRestart: z.boolean().optional(),
  /** RLOG_SEND_THRESHOLD. @default 0 */
  rlogSendThreshold: int().optional(),
  /** RLOG_APPLY_THRESHOLD. @default 0 */
  rlogApplyThreshold: int().optional(),
});

export const MonitorInstanceSchema = z.strictObject({
  host: text(),
  /** MON_PORT. @default 8339 + index */
  port: int().optional(),
  /** MON_INST_ID and this monitor's MON_ID. @default 1 + index */
  id: int().optional(),
  /** Section name and MON_NAME. @default MON<id> */
  name: text().optional(),
});

export const MonitorSchema = z.strictObject({
  /** Host of the (single-instance) monitor. Omit when `instances` is given. */
  host: text().optional(),
  /** MON_DW_CONFIRM. @default true when watcher.mode is AUTO */
  confirm: z.boolean().optional(),
  /** Directory holding dmmonitor.ini. @default <dmHome>/data */
  path: text().optional(),
  /** MON_LOG_PATH. @default <path>/log */
  logPath: text().optional(),
  /** MON_LOG_INTERVAL. @default 60 */
  logInterval: int().optional(),
  /** MON_LOG_FILE_SIZE in MB. @default 32 */
  logFileSize: int().optional(),
  /** MON_LOG_SPACE_LIMIT in MB. @default 0 */
  logSpaceLimit: int().optional(),
  /** A multi-instance confirm monitor (7.2.5.2): 3 or 5 monitors sharing MON_MID. */
  instances: z.array(MonitorInstanceSchema).optional(),
  /** MON_MID of a multi-instance monitor. */
  mid: int().optional(),
  /** MON_HB_INTERVAL (s). @default 60 */
  hbInterval: int().optional(),
  /** MON_BRO_INTERVAL (ms). @default 100 */
  broInterval: int().optional(),
  /** MON_VOTE_INTERVAL (ms). @default 100 */
  voteInterval: int().optional(),
});

export const MalSchema = z.strictObject({
  /** MAL_CHECK_INTERVAL. @default 5 (as in the manual's examples) */
  checkInterval: int().optional(),
  /** MAL_CONN_FAIL_INTERVAL. @default 5 */
  connFailInterval: int().optional(),
});

const Common = {
  /** Stack and cluster name. @default the group name */
  name: text().optional(),
  /** DM install directory; tools in <dmHome>/bin. @default /dm */
  dmHome: text().optional(),
  ssh: SshSchema.optional(),
  hosts: z.record(z.string(), HostSchema),
  watcher: WatcherSchema.optional(),
  monitor: MonitorSchema.optional(),
  mal: MalSchema.optional(),
  archive: ArchiveSchema.optional(),
  dmIni: DmIniSchema.optional(),
  client: ClientSchema.optional(),
  /** Delete data directories on destroy. @default false */
  purgeData: z.boolean().optional(),
  /**
   * A changed setting that a running dmserver reads only at its start (a static dm.ini parameter,
   * dmarch.ini, dmtimer.ini): `refuse` it on a running cluster (LIVE_RESTART_NEEDED), or
   * `rolling`: write it, then restart the members that read it one at a time, the standbys first
   * and the primary last (§6.19's order); for groups of single-instance databases outside an MPP
   * system (elsewhere such a change stays refused), and for an MppGroup's DCP proxies, one proxy
   * at a time. @default refuse
   */
  restarts: z.enum(['refuse', 'rolling']).optional(),
  /** Where the steps read the SYSDBA password and the SSH key passphrase. */
  secrets: SecretsSchema.optional(),
  /**
   * The Terraform resource each step becomes: hashicorp/null's `null_resource`, or Terraform's
   * built-in `terraform_data` (Terraform >= 1.4), which needs no provider download. @default null_resource
   */
  stepResource: z.enum(['null_resource', 'terraform_data']).optional(),
  /**
   * With `stepResource: terraform_data`: the resource type a deployed stack's steps have now, so
   * synth writes a `moved` block per step and Terraform (>= 1.9) moves them without running any.
   */
  moveStepsFrom: z.enum(['null_resource']).optional(),
};

/** One data-guard group (a realtime, timely, DSC or MPP-node group). */
const GroupFields = {
  /** Group name: the dmwatcher.ini / dmmonitor.ini section (at most 16 characters). */
  group: text(),
  /** OGUID shared by the group's databases, watchers and monitor (§2.2.13). */
  oguid: int(),
  asyncStandbys: z.array(AsyncStandbySchema).optional(),
  syncStandbys: z.array(SyncStandbySchema).optional(),
};

export const RealtimePairSchema = z.strictObject({
  kind: z.literal('RealtimePair'),
  ...Common,
  ...GroupFields,
  primary: SingleDatabaseSchema,
  /** 1..8 realtime standbys (7.2); a DMDSC cluster may be a standby (7.5.1). */
  standbys: z.array(DatabaseSchema),
  /** ARCH_WAIT_APPLY for realtime read-write separation (§2.6.5). */
  archWaitApply: z.union([z.literal(0), z.literal(1)]).optional(),
});

export const ReadWriteClusterSchema = z.strictObject({
  kind: z.literal('ReadWriteCluster'),
  ...Common,
  ...GroupFields,
  primary: SingleDatabaseSchema,
  standbys: z.array(DatabaseSchema),
  /** Archive type to the standbys: timely (7.3) or realtime (§2.6.5). @default TIMELY */
  archiveType: z.enum(['TIMELY', 'REALTIME']).optional(),
  /** ARCH_WAIT_APPLY: 1 transaction-consistent, 0 high-performance (§2.2.11.5). @default manual default (1 timely, 0 realtime) */
  archWaitApply: z.union([z.literal(0), z.literal(1)]).optional(),
});

export const DscPrimarySchema = z.strictObject({
  kind: z.literal('DscPrimary'),
  ...Common,
  ...GroupFields,
  primary: DscDatabaseSchema,
  /** Single-node standbys (7.5.4). */
  standbys: z.array(DatabaseSchema),
  /** Archive type to the standbys. @default REALTIME */
  archiveType: z.enum(['TIMELY', 'REALTIME']).optional(),
});

export const MppNodeGroupSchema = z.strictObject({
  ...GroupFields,
  /** MPP_SEQ_NO of this group's primary. @default position in `groups` */
  seqNo: int().optional(),
  primary: SingleDatabaseSchema,
  standbys: z.array(DatabaseSchema),
});

export const MppGroupSchema = z.strictObject({
  kind: z.literal('MppGroup'),
  ...Common,
  /** One data-guard group per MPP node (7.4). */
  groups: z.array(MppNodeGroupSchema),
  /** DCP proxies in front of the EPs (seed 001); clients then connect to the proxies. */
  dcp: DcpSchema.optional(),
});

/** The kinds this family builds, for the union of every family's spec (lib/spec/schema). */
export const DATA_GUARD_SCHEMAS = [
  RealtimePairSchema,
  ReadWriteClusterSchema,
  DscPrimarySchema,
  MppGroupSchema,
] as const;

export type SingleDatabaseSpec = z.input<typeof SingleDatabaseSchema>;
export type DscNodeSpec = z.input<typeof DscNodeSchema>;
export type DscDatabaseSpec = z.input<typeof DscDatabaseSchema>;
export type DatabaseSpec = z.input<typeof DatabaseSchema>;
export type TimerSpec = z.input<typeof TimerSchema>;
export type AsyncStandbySpec = z.input<typeof AsyncStandbySchema>;
export type SyncStandbySpec = z.input<typeof SyncStandbySchema>;
export type WatcherSpec = z.input<typeof WatcherSchema>;
export type MonitorSpec = z.input<typeof MonitorSchema>;
export type { HostSpec, SshSpec, SecretSource, SecretsSpec, StepResourceType } from '../../spec/parts';
export type RealtimePairSpec = z.input<typeof RealtimePairSchema>;
export type ReadWriteClusterSpec = z.input<typeof ReadWriteClusterSchema>;
export type DscPrimarySpec = z.input<typeof DscPrimarySchema>;
export type MppNodeGroupSpec = z.input<typeof MppNodeGroupSchema>;
export type MppGroupSpec = z.input<typeof MppGroupSchema>;
/** The data-guard kinds (chapter 7 of the build manual). */
export type DataGuardSpec = RealtimePairSpec | ReadWriteClusterSpec | DscPrimarySpec | MppGroupSpec;
export type DataGuardKind = DataGuardSpec['kind'];
export type { ClusterSpec, ClusterKind } from '../../spec/schema';

export function isDscDatabase(db: DatabaseSpec | AsyncStandbySpec): db is DscDatabaseSpec {
  return 'nodes' in db;
}
