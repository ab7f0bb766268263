/**
 * A database's durable state, kept in its control file (CTL_PATH, normally <SYSTEM_PATH>/dm.ctl)
 * as JSON: what DM keeps in dm.ctl and the system tablespace that the data-guard steps depend on.
 * A DMDSC database has one control file on shared storage; each node's runtime status is kept
 * beside it (dm.ctl.node.<INSTANCE>.json) so that every node can see the others.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { DmError, E, pidAlive, randomU32, writeFileAtomic } from './common';
import type { DmIni } from './config';

export type Mode = 'NORMAL' | 'PRIMARY' | 'STANDBY';
export type Status = 'SHUTDOWN' | 'MOUNT' | 'OPEN' | 'STARTUP';

export interface DbState {
  format: 'dmsim-ctl/1';
  dbName: string;
  /** Identity of this physical database (new at dminit and at every RESTORE); DMDSC nodes share it. */
  dbId: string;
  /** 7.1 item 1: made by dminit, never changes, carried by backup/restore. */
  permanentMagic: number;
  /** 7.1 item 3: changes on every restore/recover (RECOVER ... UPDATE DB_MAGIC). */
  dbMagic: number;
  oguid: number;
  mode: Mode;
  /** 7.1 note: a new database must start normally and exit normally before a MOUNT start. */
  firstNormalStartDone: boolean;
  /** How the last run ended. */
  lastShutdown: 'NEVER' | 'NORMAL' | 'ABNORMAL';
  /** Restore/recover steps still owed before the database can start (7.1.1, 7.1.2). */
  pending: null | 'RECOVER' | 'UPDATE_DB_MAGIC';
  restoredFrom?: { backupSet: string; online: boolean };
  /** SYSDBA password: salted hash only. */
  sysdba: { salt: string; hash: string };
  /** DMDSC: the node instance names (node 0 first). */
  dscNodes?: string[];
  lsn: number;
  created: string;
  params: Record<string, string>;
  /** DMDPC (003 ch. 7): the role dminit gave, and what the database keeps for it. */
  dpc?: DpcState;
  /** The last run ended in a HALT (003 7.1.8): the next start replays REDO first. */
  needsRedo?: boolean;
  /** DCP (seed 001): the proxy's system tables and local users, made at its first DCP-mode start. */
  dcp?: DcpState;
}

/** What a DCP keeps in its database (001 3.1): SYS.SYSDCPINSTS, SYS.SYSDCPLOGIN, local users. */
export interface DcpState {
  /** SYS.SYSDCPINSTS(NAME, IP, PORT), in insertion order (001:L150-155, L216-226). */
  insts: { name: string; ip: string; port: number }[];
  /**
   * SYS.SYSDCPLOGIN(USERNAME, PWD): one row at most; PWD is ciphertext (001:L157-159, L248). dmsim
   * encrypts with AES-256-GCM under `key`, its stand-in for DM's internal key: the table (and SQL)
   * never gives the password back; only the proxy uses it, to log in to the EPs.
   */
  login?: { username: string; pwd: string };
  /** dmsim's stand-in for DM's internal key of SYSDCPLOGIN.PWD (hex, 32 bytes). */
  key: string;
  /** An SP_DCP_REFRESH_CONFIG has succeeded once: later starts refresh by themselves (001:L262). */
  refreshed?: boolean;
  /** Local users made by CREATE USER on the PMC (no DBA role): the proxy's own accounts (001:L173). */
  users?: { name: string; salt: string; hash: string }[];
}

export type DpcRole = 'MP' | 'BP' | 'SP';

export interface DpcState {
  role: DpcRole;
  /** MP: the cluster catalogue (DPC_* system tables), in the MP's database (so backups carry it). */
  catalog?: DpcCatalog;
  /** 7.5: restored as a shadow replica (BACKUP ... SHADOW or RESTORE ... TO SHADOW). */
  shadow?: boolean;
  /** Restored from a backup set and not yet run as a RAFT member. */
  restored?: boolean;
  /** 003:L778: a restored replica started normally (not MOUNT) before its RAFT start: its logs diverge. */
  diverged?: boolean;
  /** Has joined its RAFT group (been elected or followed a leader) at least once. */
  raftJoined?: boolean;
}

export interface DpcInst {
  raftId: number;
  instId: number;
  name: string;
  mode: DpcRole;
  xmalPort: number;
  instPort: number;
  ipInternal: string;
  ipExternal: string;
  sysMode: string;
  sysStatus: number;
  status: number;
  description: string;
  info1: number | null;
}

export interface DpcCatalog {
  version: number;
  rafts: { id: number; name: string; mode: DpcRole }[];
  groups: { id: number; name: string; description: string; rafts: number[] }[];
  insts: DpcInst[];
  fdoms: { id: number; name: string; description: string; insts: string[] }[];
}

export interface NodeRuntime {
  instance: string;
  pid: number;
  status: Status;
  host: string;
  since: string;
}

export function hashPassword(pw: string, salt = crypto.randomBytes(16).toString('hex')): DbState['sysdba'] {
  return { salt, hash: crypto.scryptSync(pw, salt, 32, { N: 1024 }).toString('hex') };
}

export function checkPassword(s: DbState, pw: string): boolean {
  const h = hashPassword(pw, s.sysdba.salt).hash;
  return crypto.timingSafeEqual(Buffer.from(h, 'hex'), Buffer.from(s.sysdba.hash, 'hex'));
}

export function newState(dbName: string, password: string, params: Record<string, string>): DbState {
  return {
    format: 'dmsim-ctl/1',
    dbName,
    dbId: crypto.randomUUID(),
    permanentMagic: randomU32(),
    dbMagic: randomU32(),
    oguid: 0,
    mode: 'NORMAL',
    firstNormalStartDone: false,
    lastShutdown: 'NEVER',
    pending: null,
    sysdba: hashPassword(password),
    lsn: 1000 + Math.floor(Math.random() * 1000),
    created: new Date().toISOString(),
    params,
  };
}

export function readState(ctlPath: string): DbState {
  let text: string;
  try {
    text = fs.readFileSync(ctlPath, 'utf8');
  } catch {
    throw new DmError(E.FILE, `control file ${ctlPath} not found: no database here (run dminit first)`);
  }
  try {
    const s = JSON.parse(text) as DbState;
    if (s.format !== 'dmsim-ctl/1') throw new Error('format');
    return s;
  } catch {
    throw new DmError(E.FILE, `control file ${ctlPath} is damaged`);
  }
}

export function writeState(ctlPath: string, s: DbState): void {
  writeFileAtomic(ctlPath, JSON.stringify(s, null, 1) + '\n');
}

export function updateState(ctlPath: string, fn: (s: DbState) => void): DbState {
  const s = readState(ctlPath);
  fn(s);
  writeState(ctlPath, s);
  return s;
}

// ---------------------------------------------------------------- runtime (who is running)

export function runtimeFile(ini: DmIni): string {
  return `${ini.ctlPath}.node.${ini.instanceName}.json`;
}

export function readRuntime(file: string): NodeRuntime | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as NodeRuntime;
  } catch {
    return undefined;
  }
}

/** Every node runtime file beside a control file (one for a single node, one per node for DMDSC). */
export function runtimes(ctlPath: string): NodeRuntime[] {
  const dir = path.dirname(ctlPath);
  const base = path.basename(ctlPath) + '.node.';
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base) && n.endsWith('.json'))
    .map((n) => readRuntime(path.join(dir, n)))
    .filter((r): r is NodeRuntime => r !== undefined);
}

/**
 * Whether a node's server runs. Same host: the pid must be alive. Another host (DMDSC nodes on
 * shared storage): the record must be fresh (servers refresh it every second).
 */
export function isRunning(r: NodeRuntime | undefined, host = hostId()): boolean {
  if (!r || r.status === 'SHUTDOWN') return false;
  if (r.host === host) return pidAlive(r.pid);
  return Date.now() - Date.parse(r.since) < 5000;
}

/**
 * Which host this process runs on, for records that other hosts read on shared storage (DMDSC).
 * Processes in the same network and pid namespaces are on the same (lab) host; tests that put
 * several simulated hosts in one namespace set DMSIM_HOST_ID.
 */
export function hostId(): string {
  if (process.env.DMSIM_HOST_ID) return process.env.DMSIM_HOST_ID;
  const ns = (n: string) => {
    try {
      return fs.readlinkSync(`/proc/self/ns/${n}`);
    } catch {
      return '';
    }
  };
  return `${os.hostname()}/${ns('net')}/${ns('pid')}`;
}

/** Refuse offline tools while any node of the database runs (7.1.1: offline = server stopped). */
export function assertNotRunning(ini: DmIni, what: string, section: string): void {
  for (const r of runtimes(ini.ctlPath))
    if (isRunning(r))
      throw new DmError(
        E.RUNNING,
        `${what}: the database is in use by a running dmserver (instance ${r.instance}, pid ${r.pid}); shut it down first`,
        section,
      );
}
