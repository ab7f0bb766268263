/**
 * Shared plumbing of the DM8 simulator: DM-style command lines, refusals that cite the manual,
 * the per-host action log, per-operation delays, the process registry and small file helpers.
 */
import fs from 'node:fs';
import path from 'node:path';

/** A refusal or failure, printed as DM prints errors: `[-code]:message`. */
export class DmError extends Error {
  constructor(
    readonly code: number,
    message: string,
    /** Manual section that states the rule, e.g. '§5.1' or '7.1'. */
    readonly section?: string,
  ) {
    super(section ? `${message} (DM8 manual ${section})` : message);
  }
  get line(): string {
    return `[${this.code}]:${this.message}`;
  }
}

/** Error codes. Real DM codes where known (from the manual or common practice), otherwise ours. */
export const E = {
  SYNTAX: -2007,
  INVALID_ARG: -80001,
  LOGIN: -2501,
  CONNECT: -70028,
  NO_TABLE: -2106,
  STATE: -518, // §10.2.8.3: 无效的系统状态
  MODE: -703, // §10.2.8.3: 服务器模式不匹配
  MAGIC: -533, // §10.2.8.3: PERMANENT_MAGIC 不匹配
  DB_MAGIC: -9713,
  ALTER_MODE: -720,
  WATCHER_ACTIVE: -721,
  FILE: -803,
  EXISTS: -8201,
  RUNNING: -8202,
  BACKUP: -8203,
  CONFIG: -8204,
  PORT: -8205,
  NOT_SUPPORTED: -8206,
  DSC: -1099,
  MPP: -8207,
  DCP: -8208, // ours: the DCP proxy cannot serve / refresh (seed 001 names no code)
  PRIV: -5504, // ours: no privilege (a non-DBA user, or a PMC-only object over PORT_NUM)
} as const;

// ---------------------------------------------------------------- command lines

export interface DmArgs {
  /** KEY=VALUE arguments, keys upper-cased. */
  kv: Map<string, string>;
  /** Bare words, in order. */
  words: string[];
}

/** DM tools take `KEY=VALUE` (keys case-insensitive) and a few bare words. */
export function parseDmArgs(argv: readonly string[]): DmArgs {
  const kv = new Map<string, string>();
  const words: string[] = [];
  for (const a of argv) {
    const eq = a.indexOf('=');
    if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a.slice(0, eq))) {
      const k = a.slice(0, eq).toUpperCase();
      if (kv.has(k)) throw new DmError(E.INVALID_ARG, `parameter ${k} given twice`);
      kv.set(k, a.slice(eq + 1));
    } else words.push(a);
  }
  return { kv, words };
}

/** Reject keys a tool does not know: a typo must not be silently ignored. */
export function allowKeys(args: DmArgs, tool: string, allowed: readonly string[]): void {
  for (const k of args.kv.keys())
    if (!allowed.includes(k)) throw new DmError(E.INVALID_ARG, `${tool}: invalid parameter ${k}`);
}

/** Keys whose values are secrets; dmsim refuses them on a command line and never logs them. */
const SECRET_KEY = /(PWD|PASSWORD|PASSWD)$/i;

export function redactArgv(argv: readonly string[]): string[] {
  return argv.map((a) => {
    const eq = a.indexOf('=');
    return eq > 0 && SECRET_KEY.test(a.slice(0, eq)) ? `${a.slice(0, eq)}=******` : a;
  });
}

/** Statements as logged: `IDENTIFIED BY <secret>` (and the like) never reaches the log. */
export function redactSql(stmt: string): string {
  return (
    stmt
      .replace(/((?:IDENTIFIED|PASSWORD)\s+BY\s+)("[^"]*"|'[^']*'|\S+)/gi, '$1******')
      // 001:L240-248: SP_DCP_SET_LOGIN(USERNAME, PWD) carries the MPP password
      .replace(
        /(SP_DCP_SET_LOGIN\s*\(\s*(?:'(?:[^']|'')*'|[^,()]*?)\s*,\s*)('(?:[^']|'')*'|[^)]*)/gi,
        "$1'******'",
      )
  );
}

export function refuseSecretArgs(tool: string, argv: readonly string[]): void {
  for (const a of argv) {
    const eq = a.indexOf('=');
    if (eq > 0 && SECRET_KEY.test(a.slice(0, eq)))
      throw new DmError(
        E.INVALID_ARG,
        `${tool}: ${a.slice(0, eq).toUpperCase()} on the command line is refused by dmsim: a secret in argv is visible in the process list; give it on standard input`,
      );
  }
}

// ---------------------------------------------------------------- environment

export const env = {
  /** Per-host action log. The installed wrappers default it to <binDir>/../dmsim.log. */
  log: (): string => process.env.DMSIM_LOG ?? '/dm/dmsim.log',
  /** Registry of long-running simulator processes on this host. */
  runDir: (): string => process.env.DMSIM_RUN_DIR ?? path.join(path.dirname(env.log()), 'dmsim.run'),
  /** Addresses the "wildcard" listeners bind (the host's NICs). Default: all. */
  listen: (): string[] =>
    (process.env.DMSIM_LISTEN ?? '0.0.0.0')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  /** Watcher/monitor/instance loop period. */
  tickMs: (): number => num(process.env.DMSIM_TICK_MS, 200),
  /** Shared storage root for +DISKGROUP paths (DMDSC). Default: dirname(DMDCR_PATH). */
  asmDir: (): string | undefined => process.env.DMSIM_ASM_DIR,
  /**
   * Fault injection for tests: a file beside the log whose lines are regular expressions; the
   * first SQL statement a dmserver is sent that matches one fails once (that line is removed).
   */
  faults: (): string => path.join(path.dirname(env.log()), 'dmsim.faults'),
};

/** The injected fault `stmt` meets, if any: consumed (removed from the file) as it fires. */
export function takeFault(stmt: string): string | undefined {
  const file = env.faults();
  let lines: string[];
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return undefined;
  }
  const i = lines.findIndex((l) => new RegExp(l, 'i').test(stmt));
  if (i < 0) return undefined;
  const [hit] = lines.splice(i, 1);
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  return hit;
}

function num(v: string | undefined, d: number): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) ? n : d;
}

/**
 * DMSIM_DELAY_MS models DM's own time: a number (every operation) or `op=ms,...` with ops
 * dminit, start, shutdown, sql, backup, restore, recover, open, ctlcvt, monitor.
 */
export async function opDelay(op: string): Promise<void> {
  const spec = process.env.DMSIM_DELAY_MS;
  if (!spec) return;
  let ms = 0;
  if (/^\d+$/.test(spec.trim())) ms = Number(spec);
  else
    for (const part of spec.split(',')) {
      const [k, v] = part.split('=');
      if (k?.trim() === op) ms = Number(v);
    }
  if (ms > 0) await sleep(ms);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- action log

export interface LogRecord {
  tool: string;
  event: string;
  [k: string]: unknown;
}

let toolName = 'dmsim';
let toolArgv: string[] = [];

export function setTool(name: string, argv: readonly string[]): void {
  toolName = name;
  toolArgv = redactArgv(argv);
  // disql USER/PASSWORD@SERVER (refused, but it must not reach the log either)
  if (name === 'disql')
    toolArgv = toolArgv.map((a) =>
      a.replace(
        /^([^/=\s-][^/=\s]*)\/.*?(@[^@]*)?$/,
        (_m, u: string, at?: string) => `${u}/******${at ?? ''}`,
      ),
    );
}

/** Append one JSON line to the host's dmsim.log. Never pass a password here. */
export function logAction(event: string, fields: Record<string, unknown> = {}): void {
  const rec = { t: new Date().toISOString(), pid: process.pid, tool: toolName, event, ...fields };
  try {
    fs.mkdirSync(path.dirname(env.log()), { recursive: true });
    fs.appendFileSync(env.log(), JSON.stringify(rec) + '\n');
  } catch {
    // the log is a test aid; a read-only host must not break the tool
  }
}

export function logInvocation(): void {
  logAction('invoke', { argv: toolArgv });
}

// ---------------------------------------------------------------- processes

export function pidAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // guard against a recycled pid: the process must be one of ours
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmd.includes('dmsim');
  } catch {
    return true;
  }
}

export interface RunRecord {
  pid: number;
  tool: string;
  argv: string[];
  started: string;
  /** Tool-specific keys (e.g. dcr_ini of a dmcss), for lookups by other tools on the host. */
  key?: string;
  /** What the process read at start and other tools on the host may ask about (e.g. dmcss restart settings). */
  info?: Record<string, unknown>;
}

/** Register a long-running process on this host (removed on exit). Tests and labs kill by it. */
export function registerProcess(key?: string, info?: Record<string, unknown>): void {
  const dir = env.runDir();
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${toolName}.${process.pid}.json`);
  const rec: RunRecord = {
    pid: process.pid,
    tool: toolName,
    argv: toolArgv,
    started: new Date().toISOString(),
  };
  if (key !== undefined) rec.key = key;
  if (info !== undefined) rec.info = info;
  writeFileAtomic(file, JSON.stringify(rec)); // others poll the registry (a DMDSC node its dmcss)
  process.on('exit', () => {
    try {
      fs.unlinkSync(file);
    } catch {
      /* already gone */
    }
  });
}

export function listProcesses(runDir = env.runDir()): RunRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(runDir);
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    try {
      const r = JSON.parse(fs.readFileSync(path.join(runDir, n), 'utf8')) as RunRecord;
      if (pidAlive(r.pid)) out.push(r);
      else fs.rmSync(path.join(runDir, n), { force: true });
    } catch {
      /* being written or removed */
    }
  }
  return out;
}

// ---------------------------------------------------------------- files

/** Write a file atomically (temp + rename), as a crash must never leave half a control file. */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp.${process.pid}.${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

export function readText(file: string, what: string, section?: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    throw new DmError(E.FILE, `cannot read ${what} ${file}`, section);
  }
}

export function randomU32(): number {
  return (Math.floor(Math.random() * 0xfffffffe) + 1) >>> 0;
}

export function nowStamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Read all of standard input (empty when it is a TTY or closed). */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
