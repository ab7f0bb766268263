/**
 * dmsim on lab hosts, driven the way the deployer drives DM: every tool runs on its host through
 * the lib/ssh executor (one SSH connection per host, secrets on stdin, files written atomically,
 * backup sets copied host to host). The runner touches a host's /dm only to install the tools
 * (into the directory the host mounts at /dm) and, at the end, to kill what was started.
 */
import { until as pollUntil } from './harness';
import path from 'node:path/posix';
import { randomBytes } from 'node:crypto';
import { shJoin, shQuote, type ExecResult, type SshExecutor } from '../../lib/ssh';
import { validateSpec } from '../../lib/validate';
import { renderCluster, type RenderedFile } from '../../lib/render';
import { mergeIniPatch } from '../../lib/render/ini-merge';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { Lab } from '../lab/lab';
import { installDmsim, type DmsimTool } from './install';
import type { LogRecord } from './src/common';

/** SYSDBA's password for this run: random, so that finding it anywhere is never a coincidence. */
export const PASSWORD = `Lab_${randomBytes(9).toString('hex')}`;

/** Where things live on every host (all under the host's private /dm). */
export const DM = {
  bin: '/dm/bin',
  log: '/dm/dmsim.log',
  out: '/dm/log',
  data: '/dm/data',
  bak: '/dm/bak',
  mon: '/dm/mon',
} as const;

/**
 * Shell: is a pid alive? A zombie is not (it has exited; its parent, or init after a setsid,
 * reaps it later, and some inits take a second to do so).
 */
const ALIVE = 'alive() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }';

/** Matches the command line of every process this harness starts on a host (for the kill). */
export const OUR_PROCESSES = /dmsim\.cjs|dmlab-ps\.seen|confirm\.cmd/;

/** Install the tools into each host's /dm/bin, from the runner, through the directory mounted there. */
/**
 * SIGKILL every process a test started on the hosts (servers, watchers, monitors, dmcss, restarts
 * by a watcher, ps samplers) through the lab's fault control, until none is left (bounded).
 */
export async function killOurProcesses(
  lab: Lab,
  hosts: readonly string[],
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = hosts.flatMap((h) => lab.findProcesses(h, OUR_PROCESSES));
    if (left.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(`still running: ${left.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
    for (const h of hosts) lab.kill(h, OUR_PROCESSES, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function installOnHosts(lab: Lab, hosts: readonly string[], env?: Record<string, string>): void {
  for (const h of hosts) installDmsim(lab.dmPath(h, DM.bin), { logPath: DM.log, ...(env ? { env } : {}) });
}

/** Render a spec with the project's renderer; it must validate without errors. */
export function renderSpec(spec: ClusterSpec): RenderedFile[] {
  const v = validateSpec(spec);
  const errors = v.findings.filter((f) => f.severity === 'error');
  if (!v.model || errors.length) throw new Error(`spec invalid: ${JSON.stringify(errors, null, 1)}`);
  return renderCluster(v.model);
}

export interface Db {
  name: string;
  /** Spec host key = lab host name. */
  host: string;
  /** dminit path=. */
  path: string;
  ini: string;
  port: number;
}

export function db(name: string, host: string, port = 5236): Db {
  const p = path.join(DM.data, name);
  return { name, host, path: p, ini: path.join(p, 'DAMENG', 'dm.ini'), port };
}

export function ok(r: ExecResult, what: string): ExecResult {
  if (r.exitCode !== 0)
    throw new Error(`${what} failed (exit ${r.exitCode ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The DM tools of the lab's hosts, over SSH. */
export class DmOverSsh {
  constructor(
    readonly ex: SshExecutor,
    /** host -> the address clients use (MAL_INST_HOST, the public one). */
    readonly publicOf: (host: string) => string,
  ) {}

  /** Run a tool to completion (bounded). */
  tool(
    host: string,
    t: DmsimTool,
    args: readonly string[],
    o: { stdin?: string; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    return this.ex.exec(host, shJoin([`${DM.bin}/${t}`, ...args]), {
      timeoutMs: o.timeoutMs ?? 20_000,
      ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
    });
  }

  /** dminit with SYSDBA's password on stdin (7.2.2). */
  dminit(d: Db, extra: readonly string[] = []): Promise<ExecResult> {
    return this.tool(d.host, 'dminit', [`path=${d.path}`, ...extra], { stdin: `${PASSWORD}\n` });
  }

  /** dmrman with one statement (CTLSTMT=, 7.1.1). */
  rman(host: string, stmt: string): Promise<ExecResult> {
    return this.tool(host, 'dmrman', [`CTLSTMT=${stmt}`]);
  }

  /**
   * disql with the login on stdin (`disql /nolog` + CONN, DM's own form), stopping at the first
   * error. `bare`: values only, no headings (for polling).
   */
  sql(d: Db, stmts: readonly string[], o: { bare?: boolean } = {}): Promise<ExecResult> {
    const input = [
      `CONN SYSDBA/${PASSWORD}@${this.publicOf(d.host)}:${d.port}`,
      'WHENEVER SQLERROR EXIT 1',
      ...(o.bare ? ['SET HEADING OFF LINESHOW OFF TIMING OFF FEEDBACK OFF'] : []),
      ...stmts.map((s) => (/;\s*$/.test(s) ? s : `${s};`)),
      'EXIT',
      '',
    ].join('\n');
    return this.tool(d.host, 'disql', ['-S', '/nolog'], { stdin: input });
  }

  /** STATUS$, MODE$, OGUID of an instance (undefined when it does not answer). */
  /** OGUID and mode inside the manual's ALTER_MODE_STATUS 1/0 wrapper (7.2.3.6-7.2.3.7). */
  setOguidAndMode(d: Db, oguid: number, mode: string): Promise<ExecResult> {
    return this.sql(d, [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      `SP_SET_OGUID(${oguid})`,
      `ALTER DATABASE ${mode}`,
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
    ]);
  }

  async instance(d: Db): Promise<{ status: string; mode: string; oguid: number } | undefined> {
    const r = await this.sql(d, ['SELECT STATUS$, MODE$, OGUID FROM V$INSTANCE'], { bare: true });
    if (r.exitCode !== 0) return undefined;
    const [status, mode, oguid] = r.stdout.trim().split(/\s+/);
    return status && mode ? { status, mode, oguid: Number(oguid) } : undefined;
  }

  /**
   * Start a long-running tool in the background the way DM's service scripts do: detached from
   * the SSH session (setsid + nohup), output to a file, no stdin. Returns its pid; `ready` waits
   * (bounded) for a line in its output, and fails with that output if the process exits first.
   */
  async background(
    host: string,
    command: string,
    out: string,
    o: { ready?: string; timeoutMs?: number } = {},
  ): Promise<{ pid: number; result: ExecResult }> {
    const timeoutMs = o.timeoutMs ?? 15_000;
    const polls = Math.ceil((timeoutMs - 1000) / 100);
    const wait = o.ready
      ? [
          'i=0',
          `while [ $i -lt ${polls} ]; do`,
          `  if grep -qF -- ${shQuote(o.ready)} "$out"; then echo "pid=$pid"; cat "$out"; exit 0; fi`,
          // a refusal: DM prints [-code]:message and the process exits
          `  if ! alive $pid || grep -q '^\\[-[0-9]' "$out"; then sleep 0.1; echo "pid=$pid"; cat "$out" >&2; exit 1; fi`,
          '  sleep 0.1; i=$((i+1))',
          'done',
          'echo "pid=$pid"; echo "not ready in time" >&2; cat "$out" >&2; exit 1',
        ]
      : ['echo "pid=$pid"'];
    const script = [
      ALIVE,
      `out=${shQuote(out)}`,
      'mkdir -p "$(dirname "$out")"',
      ': > "$out"',
      `setsid nohup ${command} > "$out" 2>&1 < /dev/null &`,
      'pid=$!',
      ...wait,
    ].join('\n');
    // the loop is bounded by its poll count; the exec's own deadline is a backstop beyond it
    const result = await this.ex.exec(host, script, { timeoutMs: timeoutMs + 5000 });
    const pid = Number(/pid=(\d+)/.exec(result.stdout)?.[1] ?? NaN);
    return { pid, result };
  }

  /**
   * dmserver in the background (DM's DmService form); resolves when ready or refused. `extra`:
   * more arguments before -noconsole (a DMDSC node's `DCR_INI=<dmdcr.ini>`).
   */
  startServer(
    d: Db,
    o: { mount?: boolean; extra?: readonly string[] } = {},
  ): Promise<{ pid: number; result: ExecResult }> {
    const args = [d.ini, ...(o.mount ? ['mount'] : []), ...(o.extra ?? []), '-noconsole'];
    return this.background(
      d.host,
      shJoin([`${DM.bin}/dmserver`, ...args]),
      path.join(DM.out, `dmserver_${d.name}.out`),
      { ready: 'SYSTEM IS READY' },
    );
  }

  /** Is the process alive on the host? */
  async alive(host: string, pid: number): Promise<boolean> {
    return (await this.ex.exec(host, `${ALIVE}; alive ${pid}`)).exitCode === 0;
  }

  /** Wait (bounded) until a pid on the host has exited. */
  async waitExit(host: string, pid: number, timeoutMs = 10_000): Promise<void> {
    const n = Math.ceil(timeoutMs / 100);
    ok(
      await this.ex.exec(
        host,
        `${ALIVE}; i=0; while alive ${pid}; do i=$((i+1)); [ $i -gt ${n} ] && { echo "pid ${pid} still running" >&2; exit 1; }; sleep 0.1; done`,
        { timeoutMs: timeoutMs + 5000 },
      ),
      `wait for pid ${pid} to exit`,
    );
  }

  /** A normal shutdown through disql (SHUTDOWN), then wait for the process to go. */
  async shutdown(d: Db, pid: number): Promise<void> {
    ok(await this.sql(d, ['SHUTDOWN']), `SHUTDOWN ${d.name}`);
    await this.waitExit(d.host, pid);
  }

  /**
   * Push rendered files as the deployer does: whole files written atomically, dm.ini patches
   * merged key by key into the dm.ini dminit wrote (read over SFTP, written back atomically).
   */
  async push(files: readonly RenderedFile[], filter: (f: RenderedFile) => boolean): Promise<string[]> {
    const done: string[] = [];
    for (const f of files.filter(filter)) {
      if (f.host.startsWith('_')) continue; // client-side files (dm_svc.conf)
      if (f.kind === 'file') {
        ok(await this.ex.exec(f.host, `mkdir -p ${shQuote(path.dirname(f.path))}`), 'mkdir');
        await this.ex.writeFile(f.host, f.path, f.content, { mode: 0o644 });
      } else if (f.role === 'dm.ini') {
        const cur = (await this.ex.readFile(f.host, f.path)).toString('utf8');
        await this.ex.writeFile(f.host, f.path, mergeIniPatch(cur, f.content), { mode: 0o644 });
      } else throw new Error(`no way to push ${f.role} patches here`);
      done.push(`${f.host}:${f.path}`);
    }
    return done;
  }

  /** The host's dmsim action log, read over SFTP. */
  async log(host: string): Promise<LogRecord[]> {
    if (!(await this.ex.exists(host, DM.log))) return [];
    return (await this.ex.readFile(host, DM.log))
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LogRecord);
  }

  async logText(host: string): Promise<string> {
    return (await this.ex.exists(host, DM.log))
      ? (await this.ex.readFile(host, DM.log)).toString('utf8')
      : '';
  }
}

/** The records one process wrote (an invocation is identified by its pid). */
export function byPid(log: readonly LogRecord[], pid: unknown): LogRecord[] {
  return log.filter((r) => r.pid === pid);
}

/** The records of the first invocation of `tool` at or after index `from` whose argv matches. */
export function invocation(
  log: readonly LogRecord[],
  from: number,
  tool: string,
  argvHas: string,
): LogRecord[] {
  const inv = log
    .slice(from)
    .find(
      (r) =>
        r.event === 'invoke' &&
        r.tool === tool &&
        Array.isArray(r.argv) &&
        (r.argv as string[]).some((a) => a.includes(argvHas)),
    );
  if (!inv) throw new Error(`no ${tool} invocation with ${argvHas} in the log after record ${from}`);
  return byPid(log.slice(from), inv.pid);
}

/** Poll until fn() returns a truthy value (bounded); lab hosts get a longer default than loopback. */
export function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  return pollUntil(fn, what, timeoutMs);
}

// ------------------------------------------------------------------ ps sampler

/**
 * A sampler on a host: every 150 ms, adds every distinct command line `ps` shows to
 * /tmp/dmlab-ps.seen (a set, so its size stays bounded) and counts its rounds. It holds no
 * secret itself: the test reads the set at the end and looks for the password there.
 */
export const PS_SEEN = '/tmp/dmlab-ps.seen';
export const PS_ROUNDS = '/tmp/dmlab-ps.rounds';

export async function startPsSampler(dm: DmOverSsh, host: string): Promise<number> {
  const loop = [
    `f=${PS_SEEN}; : > $f; n=0`,
    `while :; do ps -eww -o args= | sort -u - $f > $f.new && mv $f.new $f; n=$((n+1)); echo $n > ${PS_ROUNDS}.new && mv ${PS_ROUNDS}.new ${PS_ROUNDS}; sleep 0.15; done`,
  ].join('\n');
  const { pid } = await dm.background(host, `sh -c ${shQuote(loop)}`, '/tmp/dmlab-ps.out');
  return pid;
}
