/**
 * The step model (DESIGN §5): a plan is a DAG of steps, each with a stable readable id, the host
 * it runs on, a kind, the inputs it needs (files with their content, parameters) and the steps it
 * comes after. Steps carry no secret: the step process reads the SYSDBA password itself, from
 * where the spec's `secrets` says (Plan.secrets holds the sources, never a value).
 */
import type { HostModel, SecretsModel, SshModel } from '../spec/model';
import type { RenderedFile } from '../render';
import type { DpcRole } from '../families/dpc/model';

/** The manual's phases, in order (7.1-7.7). */
export const PHASES = [
  'preflight',
  'init',
  'dpc-config',
  'mp-start',
  'register',
  'dpc-start',
  'first-start',
  'primary-config',
  'dsc-restart',
  'backup',
  'copy',
  'restore',
  'standby-config',
  'dmdcr',
  'mpp-ctl',
  'mount',
  'mode',
  'join',
  'restart',
  'watch',
  'monitor',
  'verify',
  // DCP proxies (seed 001 6.2): once the MPP system is verified
  'proxy-start',
  'proxy-register',
  'proxy-retire',
] as const;
export type Phase = (typeof PHASES)[number];

/**
 * Teardown phases, in the order of §6.4 (then the optional purge); first, for DMDSC databases
 * whose dmcss restarts their nodes, that restart is turned off (§4.4 item 31). Teardown runs
 * phase by phase: every step of a phase comes after every step of the earlier phases. That
 * order is the phases' (teardownBefore), not written out as edges, which would be quadratic.
 */
export const TEARDOWN_PHASES = [
  // DCP proxies first: clients of the MPP system, stopped before any EP (001 gives no order)
  'stop-proxy',
  'stop-auto-restart',
  'stop-monitor',
  'stop-standby-watchers',
  'stop-primary-watcher',
  'stop-primary',
  'stop-standbys',
  // DMDPC (003 7.1.8): SPs, then BPs, then the MP
  'stop-sp',
  'stop-bp',
  'stop-mp',
  'purge',
] as const;
export type TeardownPhase = (typeof TEARDOWN_PHASES)[number];

/** Whether teardown step `a` runs before `b`: its phase comes earlier (teardown steps have no edges). */
export function teardownBefore(a: Step, b: Step): boolean {
  return (
    TEARDOWN_PHASES.indexOf(a.phase as TeardownPhase) < TEARDOWN_PHASES.indexOf(b.phase as TeardownPhase)
  );
}

/** A file a step writes: whole, or merged key by key into an ini a DM tool wrote. */
export type StepFile = Pick<RenderedFile, 'path' | 'role' | 'kind' | 'content'>;

/** The runner's pseudo-host for steps that talk to several hosts (preflight, verify). */
export const ALL_HOSTS = '*';

interface Server {
  instance: string;
  /** Absolute dm.ini path. */
  iniPath: string;
  /** SQL port (PORT_NUM). */
  port: number;
}

/** A node of a DMDSC database: its server, its host and its dmdcr.ini (DCR_INI). */
export interface DscNode extends Server {
  host: string;
  dcrIni: string;
}

export type StepParams =
  | {
      kind: 'preflight';
      hosts: string[];
      /** owner: the instance; configPath: its CONFIG_PATH (its dmserver and dmwatcher run on files there). */
      ports: { host: string; port: number; owner: string; configPath: string }[];
      paths: { host: string; path: string }[];
      /** Nodes of existing DMDSC databases: dm.ini, dmdcr.ini there, dmcss and dmasmsvr running (7.5.3). */
      dsc?: DscNode[];
      /**
       * The digest of the plan's DeployedRecord (lib/families/data-guard/plan/deployed.ts): any change to the cluster
       * changes it, so preflight runs again and holds the change against the running cluster.
       */
      deployed?: string;
      /** `restarts: rolling`: a static setting on a running member is written, then restarted. */
      restarts?: 'rolling';
      /**
       * DMDPC: the system as registered (DpcRecord), which the registration writes to every host;
       * a spec that differs from a host's record is refused before anything is touched.
       */
      dpc?: DpcRecord;
    }
  | ({
      kind: 'dminit';
      initPath: string;
      dbName: string;
      /** DMDPC (003 7.1.1): the node's role and AP_PORT_NUM, given to dminit. */
      dpc?: { mode: DpcRole; apPort: number };
    } & Server)
  | ({
      /** DMDPC: `dmserver <dm.ini> dpc_mode=<role>` (003 7.1.3, 7.1.6); stays up. */
      kind: 'dpc-start';
      mode: DpcRole;
      /** A member of a multi-replica group: started in MOUNT, it takes part in its group's election (7.2.8). */
      mount?: boolean;
      /**
       * MP1 of an MP RAFT group (7.3.3): its first start, normal, with these files written first
       * (LOCAL-only dmarch.ini, ARCH_INI = 1); done once, so a formed group never sees it again.
       */
      bootstrap?: StepFile[];
      /** With `bootstrap`: the MP group, started in MOUNT instead once it was formed (7.3.7). */
      group?: (Server & { host: string })[];
      /**
       * With `bootstrap`: the steps whose records on this host say how far the group's formation
       * got: MP1's backup (7.3.5: MP1 was stopped for it) and the group's leader (formed).
       */
      formation?: { backup: string; leader: string };
    } & Server)
  | {
      /**
       * DMDPC (003 7.1.4): the catalogue on the MP, over its PORT_NUM: what is missing is
       * registered in the seed's order, a row that differs is refused.
       */
      kind: 'dpc-register';
      /** The MPs: the one that runs OPEN and is not a STANDBY takes the registrations. */
      mps: (Server & { host: string })[];
      catalogue: DpcCatalogue;
      /** Written to every host once registered (preflight holds later specs to it). */
      record: DpcRecord;
    }
  | {
      /** DMDPC (7.2.8, 7.3.7): one member PRIMARY/OPEN, the others STANDBY/OPEN. */
      kind: 'raft-leader';
      raft: string;
      members: (Server & { host: string })[];
    }
  | {
      /**
       * DMDPC teardown (7.2.9, 7.3.8): SIGUSR1 to the PRIMARY member exits the group's valid
       * members together; a member left running is then stopped alone.
       */
      kind: 'stop-raft-group';
      raft: string;
      members: (Server & { host: string })[];
    }
  | {
      /** DMDPC (003 7.1.6-7.1.7): every node OPEN; each SP lists every instance and answers. */
      kind: 'dpc-verify';
      nodes: (Server & { host: string; role: DpcRole })[];
      catalogue: DpcCatalogue;
      mps: (Server & { host: string })[];
      /** Multi-replica groups: each must have exactly one PRIMARY/OPEN member (003:L586). */
      rafts: { name: string; members: string[] }[];
    }
  | ({
      kind: 'first-start';
      /**
       * DMDPC (003 7.2.5, 7.3.3): the bootstrap member of a RAFT group starts with its role and
       * a LOCAL-only dmarch.ini (so no election starts early), written first.
       */
      dpc?: { mode: DpcRole; files: StepFile[] };
    } & Server)
  | ({
      kind: 'backup';
      backupDir: string;
      backupName: string;
      /** DMDPC MP1 (003 7.3.5): stopped normally first, unless the set is made already. */
      stopFirst?: boolean;
      /** DMDPC (003 7.2.6): dmrman USE_AP=2. */
      useAp?: 2;
      /** DMDPC shadow replicas (003 7.5.1, method 1): BACKUP ... FULL SHADOW. */
      shadow?: boolean;
      /** DMDSC: dmrman use_ap=2 dcr_ini=<this> (7.5.3.3), with every node stopped. */
      dcrIni?: string;
      nodes?: DscNode[];
    } & Server)
  | { kind: 'dsc-restart'; nodes: DscNode[] }
  | { kind: 'dmdcr'; dcrIni: string; files: StepFile[]; nodes: DscNode[] }
  | {
      kind: 'mpp-ctl';
      /** dmmpp.ini, written on this step's host. */
      files: StepFile[];
      /** dmctlcvt DEST on this host. */
      ctlPath: string;
      /** Where every other MPP instance reads it (7.4.4.4, 7.4.5.4). */
      targets: { host: string; path: string }[];
    }
  | {
      kind: 'copy-backup';
      fromHost: string;
      backupDir: string;
      /**
       * The standbys of a group this copy serves: once they are built, or when they join a
       * running group from a fresh online backup (7.10.1), the set is not needed.
       */
      serves: JoinTarget;
    }
  | ({
      kind: 'restore';
      backupDir: string;
      forStandby: boolean;
      /** DMDPC shadow replica (003 7.5.1, method 2): RESTORE ... TO SHADOW. */
      shadow?: boolean;
      /** DMDPC (003 7.2.6): dmrman USE_AP=2. */
      useAp?: 2;
      /**
       * A standby that joins its group online once the group runs (7.9-7.10): then it is restored
       * from a fresh online backup of the running primary instead (7.10.1).
       */
      join?: JoinTarget;
      /** DMDSC standby: dmrman use_ap=2 dcr_ini=<this>, with every node stopped. */
      dcrIni?: string;
      nodes?: DscNode[];
    } & Server)
  | { kind: 'config'; instance: string; files: StepFile[] }
  | ({
      /**
       * A DCP proxy (001 6.1.6): `dmserver <dm.ini>`; it answers on DCP_PORT_NUM (clients wait for
       * its REFRESH). `rolling` (restarts: rolling): a running proxy whose dm.ini was rewritten
       * under it is shut down and started again to read it, one proxy at a time.
       */
      kind: 'dcp-start';
      dcpPort: number;
      rolling?: boolean;
    } & Server)
  | ({
      /**
       * A DCP proxy's EP list over its DCP_PORT_NUM (001 6.2, L1386-1460): SP_DCP_ADD_INST for
       * every primary and standby missing, SP_DCP_CLEAR_INST for rows the spec lacks,
       * SP_DCP_SET_LOGIN (its password on disql's standard input only), SP_DCP_REFRESH_CONFIG.
       */
      kind: 'dcp-register';
      dcpPort: number;
      loginUser: string;
      /**
       * SYSDCPINSTS as the spec wants it: every primary and standby at the address `register`
       * names, with its MPP node's MPP_SEQ_NO.
       */
      insts: { name: string; ip: string; port: number; epNo: number }[];
      /** V$DCPINSTS after REFRESH: one row per MPP primary, EPNO = its MPP_SEQ_NO (001:L1445-1458). */
      primaries: { name: string; epNo: number }[];
    } & Server)
  | ({ kind: 'mount'; dcrIni?: string } & Server)
  | ({ kind: 'mode'; oguid: number; mode: 'PRIMARY' | 'STANDBY' } & Server)
  | ({
      /**
       * 7.9.3-7.9.6, 7.10.3-7.10.6: a standby joining a running group. Nothing to do when the
       * standby was built with its group; otherwise its MAL entry and archive destination are
       * added online on every running member, in the manual's order.
       */
      kind: 'join';
      join: JoinTarget;
      /**
       * The groups whose running members all take the new MAL entries: the joining group, or
       * every group of an MPP system, whose instances share one dmmal.ini (7.4.3.2).
       */
      malGroups: string[];
    } & Server)
  | ({
      /**
       * A standby marked removed leaves its running group (§6.18, 7.10.4's procedure with DELETE
       * ARCHIVELOG): nothing to do when it never ran or has left.
       */
      kind: 'leave';
      group: string;
      /** Its dmwatcher.ini (its watcher is stopped for good). */
      watcherIni: string;
      /** purgeData: its database directory, removed once it is stopped. */
      purge?: string;
      /**
       * The monitoring-mode dmmonitor.ini it is detached and stopped from (§6.18): the cluster's
       * with its MON_DW_IP back in its group. None without a monitor.
       */
      monitoringIni?: string;
    } & Server)
  | {
      /**
       * §6.19's order: the members of a group whose running dmserver waits for a restart (the
       * config step wrote a file it reads at start), the standbys first, the primary last; with
       * `rolling` false it only says which wait. `configDigest` changes with any member's files,
       * so that the step runs again after its config steps.
       */
      kind: 'restart';
      group: string;
      rolling: boolean;
      members: (Server & { host: string })[];
      configDigest: string;
    }
  | { kind: 'watcher'; iniPath: string; instances: Server[] }
  | {
      kind: 'monitor';
      iniPath: string;
      confirm: boolean;
      files: StepFile[];
      /**
       * The monitoring-mode copy of its dmmonitor.ini (render/dmmonitor.ts monitoringMode), which
       * steps and `status` send commands and `show` from (§4.4); this step does not write it.
       */
      monitoringIni: string;
    }
  | {
      kind: 'verify';
      groups: VerifyGroup[];
      /** The digest of the plan's DeployedRecord, which verify writes to the hosts: as preflight's. */
      deployed?: string;
      /** `confirm`: a confirm monitor, whose dmmonitor must be running (7.2.7). */
      monitor?: { host: string; iniPath: string; confirm: boolean };
      /** MPP: every dmmpp.ctl, which must be identical (7.4.3.4). */
      mppCtl?: { instance: string; host: string; path: string }[];
    }
  | {
      kind: 'stop-auto-restart';
      groups: { name: string; oguid: number; monDwIps: string[] }[];
      /** The monitoring-mode dmmonitor.ini of these groups it sends the commands from (§4.4 item 31). */
      monitoringIni: string;
    }
  | { kind: 'stop-monitor'; iniPath: string }
  | { kind: 'stop-watcher'; iniPath: string }
  | ({ kind: 'stop-server' } & Server)
  /** A DCP proxy marked removed (001 6.3): stopped over its DCP_PORT_NUM (`port`) if it runs; data kept. */
  | ({ kind: 'dcp-retire' } & Server)
  | {
      kind: 'purge';
      paths: string[];
      /** Step records of this host that describe the removed data (a later deploy builds it anew). */
      records?: string[];
    };

export type StepKind = StepParams['kind'];

/** Where a DMDPC system's registered shape is kept on each host, and what it is (canonical JSON). */
export interface DpcRecord {
  path: string;
  content: string;
}

/** What the MP's catalogue must hold (003 7.1.4-7.1.5). */
export interface DpcCatalogue {
  /** RAFT groups other than MP_RAFT, in creation order. */
  rafts: { name: string; role: 'BP' | 'SP' }[];
  /** Instances in registration order, the MPs first (003:L78): SP_CREATE_DPC_INSTANCE's 10 arguments. */
  instances: {
    /** null for an MP (its group is MP_RAFT). */
    raft: string | null;
    name: string;
    role: DpcRole;
    apPort: number;
    port: number;
    ipInternal: string;
    ipExternal: string;
    sysMode: 'NORMAL' | 'STANDBY';
    status: number;
    description: string;
  }[];
  bpGroups: { name: string; description: string; rafts: string[] }[];
  /**
   * Optional (003 7.1.4 "可选"), created in this order after everything else: the k-th is read
   * back as DPC_INSTANCE.INFO1 = k × 65536 on each instance moved into it (003:L145-161, L372-378).
   */
  faultDomains?: { name: string; description: string; instances: string[] }[];
}

/** A group and standbys of it (a copy step may serve several; the others name one). */
export interface JoinTarget {
  group: string;
  instances: string[];
  /**
   * An async or sync standby (7.6, 7.7): its MAL entry is added online as 7.10.3 does, but the
   * archive destination to it waits for the members' rolling restart (restarts: rolling).
   */
  restart?: boolean;
}

/** What verify and status expect of a group. */
export interface VerifyGroup {
  name: string;
  oguid: number;
  databases: {
    /** The database the instance belongs to (a DMDSC database has several). */
    database: string;
    role: 'primary' | 'standby' | 'async' | 'sync';
    host: string;
    instance: string;
    port: number;
    /** The dmwatcher.ini that guards it. */
    watcherIni: string;
    /** The archive destinations its dmarch.ini gives it: what its V$ARCH_STATUS must list, no more. */
    archives: { type: string; dest: string }[];
  }[];
}

export interface Step {
  /** Stable and readable: `<instance>/<kind>`, `<host>/watcher`, `cluster/verify`. */
  id: string;
  phase: Phase | TeardownPhase;
  /** The host it runs on, or ALL_HOSTS. */
  host: string;
  /** One line for progress output and `dmdeploy plan`. */
  title: string;
  /** The manual section it follows. */
  manual: string;
  /** Ids of the steps it comes after (deploy: the DAG's edges; teardown: none, its order is the phases'). */
  after: string[];
  params: StepParams;
}

/** Everything `dmdeploy step <id>` needs, without any secret. */
export interface Plan {
  /** 2: secrets' sources, file contents once by sha256 (manifest.ts). */
  version: 2;
  cluster: string;
  kind: string;
  dmHome: string;
  ssh: SshModel;
  /** Where each step process reads the secrets: sources only, never a value. */
  secrets: SecretsModel;
  hosts: Record<string, HostModel>;
  /** Deploy steps, topologically ordered. */
  steps: Step[];
  /** Teardown steps, in the order they run. */
  teardown: Step[];
}
