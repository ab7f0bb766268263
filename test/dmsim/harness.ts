/**
 * Test support for the simulator: a "lab" of simulated hosts in one temp directory, each with its
 * own loopback addresses (127.a.b.x, private and public), its own dmsim.log and process registry.
 * Every process a test starts (directly, or a watcher's restart) is killed by `cleanup()`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { installDmsim, type DmsimTool } from './install';
import { listProcesses, type LogRecord } from './src/common';
import { setDmIniValue } from './src/config';
import { JsonClient, raise } from './src/net';
import { validateSpec } from '../../lib/validate';
import { renderCluster, type RenderedFile } from '../../lib/render';
import type { ClusterSpec } from '../../lib/spec/schema';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const PASSWORD = 'Dmsim_Test_2024';

export class SimLab {
  readonly hosts = new Map<string, SimHost>();
  readonly children = new Set<ChildProcess>();
  private nextPort: number;
  private nextHost = 0;

  private constructor(
    readonly root: string,
    readonly bin: string,
    readonly net: string,
  ) {
    this.nextPort = 20000 + Math.floor(Math.random() * 400) * 100;
  }

  static create(name = 'dmsim'): SimLab {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
    const bin = path.join(root, 'bin');
    installDmsim(bin, { logPath: path.join(root, 'dmsim.log') });
    const a = 1 + Math.floor(Math.random() * 250);
    const b = 1 + Math.floor(Math.random() * 250);
    return new SimLab(root, bin, `127.${a}.${b}.`);
  }

  host(name: string): SimHost {
    let h = this.hosts.get(name);
    if (!h) {
      const i = ++this.nextHost;
      h = new SimHost(this, name, `${this.net}${10 + i}`, `${this.net}${100 + i}`);
      this.hosts.set(name, h);
    }
    return h;
  }

  /** A block of free-looking ports (unique within this lab). */
  ports(n: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.nextPort++);
    return out;
  }

  /** Kill every process of every host (and every child), then remove the lab. */
  async cleanup(): Promise<void> {
    const deadline = Date.now() + 8000;
    for (;;) {
      const pids = new Set<number>();
      for (const h of this.hosts.values()) for (const p of listProcesses(h.runDir)) pids.add(p.pid);
      for (const c of this.children)
        if (c.exitCode === null && c.signalCode === null && c.pid) pids.add(c.pid);
      if (!pids.size || Date.now() > deadline) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export interface Bg {
  child: ChildProcess;
  output(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  exited(timeoutMs?: number): Promise<number | null>;
  write(s: string): void;
  kill(sig?: NodeJS.Signals): void;
}

export class SimHost {
  readonly dir: string;
  readonly logFile: string;
  readonly runDir: string;

  constructor(
    readonly lab: SimLab,
    readonly name: string,
    /** MAL_HOST: the internal address. */
    readonly priv: string,
    /** MAL_INST_HOST: the external address. */
    readonly pub: string,
  ) {
    this.dir = path.join(lab.root, 'hosts', name);
    fs.mkdirSync(this.dir, { recursive: true });
    this.logFile = path.join(this.dir, 'dmsim.log');
    this.runDir = path.join(this.dir, 'dmsim.run');
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DMSIM_LOG: this.logFile,
      DMSIM_RUN_DIR: this.runDir,
      DMSIM_LISTEN: `${this.priv},${this.pub}`,
      DMSIM_TICK_MS: '100',
      DMSIM_HOST_ID: this.name,
      DMSIM_BACKUP_BYTES: '4096',
      ...extra,
    };
  }

  tool(t: DmsimTool): string {
    return path.join(this.lab.bin, t);
  }

  /** Run a tool to completion (bounded). */
  run(
    t: DmsimTool,
    args: string[],
    o: { stdin?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.tool(t), args, { env: this.env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
      this.lab.children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `${this.name}: ${t} ${args.join(' ')} did not finish within ${o.timeoutMs ?? 20000} ms\n${stdout}\n${stderr}`,
          ),
        );
      }, o.timeoutMs ?? 20000);
      child.on('close', (code) => {
        clearTimeout(timer);
        this.lab.children.delete(child);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.stdin ?? '');
    });
  }

  /** Start a long-running tool; stdin stays open unless `stdin` is given (then it is closed). */
  spawn(t: DmsimTool, args: string[], o: { stdin?: string; env?: Record<string, string> } = {}): Bg {
    const child = spawn(this.tool(t), args, { env: this.env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
    this.lab.children.add(child);
    let out = '';
    const waiters: (() => void)[] = [];
    const on = (d: Buffer) => {
      out += d.toString();
      for (const w of waiters.splice(0)) w();
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.stdin?.on('error', () => undefined);
    if (o.stdin !== undefined) child.stdin?.end(o.stdin);
    const exit = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    return {
      child,
      output: () => out,
      waitFor: (re, timeoutMs = 10000) =>
        new Promise((resolve, reject) => {
          const check = () => {
            const m = re.exec(out);
            if (m) return (resolve(m[0]), true);
            return false;
          };
          if (check()) return;
          const timer = setTimeout(
            () =>
              reject(new Error(`${this.name} ${t}: ${re} not seen within ${timeoutMs} ms; output:\n${out}`)),
            timeoutMs,
          );
          timer.unref();
          const loop = () => {
            if (check()) clearTimeout(timer);
            else waiters.push(loop);
          };
          waiters.push(loop);
          child.on('exit', () => {
            if (!check()) {
              clearTimeout(timer);
              setTimeout(
                () =>
                  reject(
                    new Error(`${this.name} ${t} exited (${child.exitCode}) before ${re}; output:\n${out}`),
                  ),
                20,
              );
            }
          });
        }),
      exited: (timeoutMs = 10000) =>
        Promise.race([
          exit,
          new Promise<number | null>((_, rej) =>
            setTimeout(
              () => rej(new Error(`${t} still running after ${timeoutMs} ms:\n${out}`)),
              timeoutMs,
            ).unref(),
          ),
        ]),
      write: (s) => child.stdin?.write(s),
      kill: (sig = 'SIGTERM') => child.kill(sig),
    };
  }

  log(): LogRecord[] {
    try {
      return fs
        .readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogRecord);
    } catch {
      return [];
    }
  }

  /** disql with a login line and statements; `-S` mode. `mpp` adds DM's `#{MPP_TYPE=...}`. */
  sql(
    port: number,
    stmts: string[],
    o: { json?: boolean; host?: string; mpp?: 'LOCAL' | 'GLOBAL' } = {},
  ): Promise<RunResult> {
    const input = [
      `CONN SYSDBA/${PASSWORD}@${o.host ?? this.priv}:${port}${o.mpp ? `#{MPP_TYPE=${o.mpp}}` : ''}`,
      ...stmts.map((s) => (/;\s*$/.test(s) ? s : s + ';')),
      'EXIT',
    ].join('\n');
    return this.run('disql', ['-S', '/nolog'], {
      stdin: input + '\n',
      env: o.json === false ? {} : { DMSIM_DISQL_JSON: '1' },
    });
  }

  /**
   * One SELECT, returning its rows as objects. It speaks the simulator's protocol from the test
   * process (no disql process), so that polling loops stay cheap; disql itself is tested apart.
   * The session is LOCAL (MPP_TYPE, which matters only on MPP instances) unless told otherwise.
   */
  async query(
    port: number,
    select: string,
    host = this.priv,
    mppType: 'LOCAL' | 'GLOBAL' = 'LOCAL',
  ): Promise<Record<string, string | number | null>[]> {
    const c = await JsonClient.connect(host, port, 2000);
    try {
      raise(await c.request({ op: 'login', user: 'SYSDBA', password: PASSWORD, mppType }, 3000));
      const j = raise(await c.request({ op: 'sql', sql: select }, 5000)) as {
        columns?: string[];
        rows?: (string | number | null)[][];
      };
      const cols = j.columns ?? [];
      return (j.rows ?? []).map((row) => Object.fromEntries(cols.map((c2, i) => [c2, row[i] ?? null])));
    } finally {
      c.close();
    }
  }

  async instance(port: number): Promise<{ STATUS$: string; MODE$: string; OGUID: number }> {
    const rows = await this.query(port, 'SELECT STATUS$, MODE$, OGUID FROM V$INSTANCE');
    return rows[0] as { STATUS$: string; MODE$: string; OGUID: number };
  }

  /** dminit with the password on stdin. */
  dminit(initPath: string, extra: string[] = []): Promise<RunResult> {
    return this.run('dminit', [`path=${initPath}`, ...extra], { stdin: PASSWORD + '\n' });
  }

  /**
   * Start dmserver in the background (-noconsole, as DM's service script does) and resolve when
   * it is ready (code 0) or has refused to start (its exit code and message).
   */
  async startServer(ini: string, extra: string[] = []): Promise<RunResult> {
    const bg = this.spawn('dmserver', [ini, ...extra, '-noconsole'], { stdin: '' });
    const code = await Promise.race([
      bg.waitFor(/SYSTEM IS READY/, 15000).then(() => 0),
      bg.exited(15000).then((c) => c ?? 1),
    ]).catch(() => 1);
    const out = bg.output();
    return code === 0 ? { code, stdout: out, stderr: '' } : { code: code || 1, stdout: '', stderr: out };
  }

  /** dmserver detached by itself (DMSIM_DAEMON=1): the process returns when ready or refused. */
  startDaemon(ini: string, extra: string[] = []): Promise<RunResult> {
    return this.run('dmserver', [ini, ...extra], { env: { DMSIM_DAEMON: '1' } });
  }

  /** SIGTERM the dmserver of `ini` (normal shutdown) and wait for it to go. */
  async stopServer(ini: string): Promise<void> {
    const p = listProcesses(this.runDir).find((x) => x.tool === 'dmserver' && x.key === ini);
    if (!p) throw new Error(`${this.name}: no dmserver for ${ini}`);
    process.kill(p.pid, 'SIGTERM');
    const until = Date.now() + 10000;
    while (listProcesses(this.runDir).some((x) => x.pid === p.pid)) {
      if (Date.now() > until) throw new Error(`dmserver ${ini} did not stop`);
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  kill(tool: DmsimTool, sig: NodeJS.Signals = 'SIGKILL'): number {
    let n = 0;
    for (const p of listProcesses(this.runDir).filter((x) => x.tool === tool)) {
      process.kill(p.pid, sig);
      n++;
    }
    return n;
  }
}

/** Poll until fn() returns a truthy value (bounded). */
export async function until<T>(
  fn: () => Promise<T> | T,
  what: string,
  timeoutMs = 30_000,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ------------------------------------------------------------------ rendered clusters

/** Render a spec with the project's own renderer (it must validate without errors). */
export function render(spec: ClusterSpec): RenderedFile[] {
  const v = validateSpec(spec);
  const errors = v.findings.filter((f) => f.severity === 'error');
  if (!v.model || errors.length) throw new Error(`spec invalid: ${JSON.stringify(errors, null, 1)}`);
  return renderCluster(v.model);
}

/** Push rendered files as the deployer would: whole files written, dm.ini patches merged key by key. */
export function applyFiles(files: RenderedFile[], filter: (f: RenderedFile) => boolean = () => true): void {
  for (const f of files.filter(filter)) {
    if (f.host.startsWith('_')) continue;
    if (f.kind === 'file') {
      fs.mkdirSync(path.dirname(f.path), { recursive: true });
      fs.writeFileSync(f.path, f.content);
    } else if (f.role === 'dm.ini') {
      for (const line of f.content.split('\n')) {
        const m = /^\s*([A-Z_0-9]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (m) setDmIniValue(f.path, m[1] ?? '', m[2] ?? '');
      }
    } else if (f.role === 'dmdcr.ini') {
      for (const line of f.content.split('\n')) {
        const m = /^\s*([A-Z_0-9]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (m) setDmIniValue(f.path, m[1] ?? '', m[2] ?? '');
      }
    }
  }
}

export interface InstPlan {
  name: string;
  host: SimHost;
  path: string;
  ini: string;
  port: number;
  malPort: number;
  malDwPort: number;
  instDwPort: number;
}

export function instPlan(lab: SimLab, name: string, host: SimHost, dir = name): InstPlan {
  const [port, malPort, malDwPort, instDwPort] = lab.ports(4) as [number, number, number, number];
  const p = path.join(host.dir, 'data', dir);
  return { name, host, path: p, ini: path.join(p, 'DAMENG', 'dm.ini'), port, malPort, malDwPort, instDwPort };
}

export function dbSpec(i: InstPlan): Record<string, string | number> {
  return {
    name: i.name,
    host: i.host.name,
    path: i.path,
    port: i.port,
    malPort: i.malPort,
    malDwPort: i.malDwPort,
    instDwPort: i.instDwPort,
  };
}

export function hostSpec(h: SimHost): { address: string; public: string; private: string } {
  return { address: h.priv, public: h.pub, private: h.priv };
}

/** A realtime pair (7.2) on lab hosts P, S and monitor host M. */
export function pairSpec(
  lab: SimLab,
  o: {
    oguid?: number;
    mode?: 'AUTO' | 'MANUAL';
    confirm?: boolean;
    instErrorTime?: number;
    async?: boolean;
  } = {},
) {
  const P = lab.host('P');
  const S = lab.host('S');
  const M = lab.host('M');
  const primary = instPlan(lab, 'GRP1_RT_01', P);
  const standby = instPlan(lab, 'GRP1_RT_02', S);
  const A = o.async ? lab.host('A') : undefined;
  const asyncStandby = A ? instPlan(lab, 'GRP1_ASYNC_01', A) : undefined;
  const spec = {
    kind: 'RealtimePair',
    group: 'GRP1',
    oguid: o.oguid ?? 4533,
    dmHome: lab.root,
    hosts: { P: hostSpec(P), S: hostSpec(S), M: { address: M.priv }, ...(A ? { A: hostSpec(A) } : {}) },
    primary: dbSpec(primary),
    standbys: [dbSpec(standby)],
    ...(asyncStandby
      ? { asyncStandbys: [{ ...dbSpec(asyncStandby), source: primary.name, timer: {} }] }
      : {}),
    watcher: { mode: o.mode ?? 'AUTO', dwErrorTime: 10, instErrorTime: o.instErrorTime ?? 10 },
    monitor: { host: 'M', confirm: o.confirm ?? true, path: path.join(M.dir, 'mon') },
  } as unknown as ClusterSpec;
  return {
    spec,
    P,
    S,
    M,
    A,
    primary,
    standby,
    asyncStandby,
    files: render(spec),
    monitorIni: path.join(M.dir, 'mon', 'dmmonitor.ini'),
  };
}

export const dmIniOf = (files: RenderedFile[], inst: string) => files.filter((f) => f.instance === inst);

/**
 * The manual's build of a standby (7.1.1 + 7.2): dminit both, first normal start/stop of the
 * primary, local archive, offline backup, restore + UPDATE DB_MAGIC on the standby, config
 * files, MOUNT start, OGUID and mode. Options skip or change a step for the refusal tests.
 */
export async function buildPair(
  pair: ReturnType<typeof pairSpec>,
  o: {
    skipRestore?: boolean;
    standbyMode?: 'STANDBY' | 'PRIMARY';
    standbyOguid?: number;
    beforeMount?: () => void;
  } = {},
): Promise<void> {
  const { P, S, primary, standby, files, spec } = pair;
  const oguid = (spec as { oguid: number }).oguid;
  ok(await P.dminit(primary.path), 'dminit P');
  ok(await S.dminit(standby.path), 'dminit S');
  ok(await P.startServer(primary.ini), 'first start P');
  await P.stopServer(primary.ini);
  applyFiles(files, (f) => f.instance === primary.name);
  const bak = path.join(P.dir, 'bak', 'full01');
  ok(
    await P.run('dmrman', [
      `CTLSTMT=BACKUP DATABASE '${primary.ini}' FULL TO BACKUP_FILE1 BACKUPSET '${bak}'`,
    ]),
    'backup',
  );
  if (!o.skipRestore) {
    const copy = path.join(S.dir, 'bak', 'full01');
    fs.cpSync(bak, copy, { recursive: true });
    ok(
      await S.run('dmrman', [`CTLSTMT=RESTORE DATABASE '${standby.ini}' FROM BACKUPSET '${copy}'`]),
      'restore',
    );
    ok(
      await S.run('dmrman', [`CTLSTMT=RECOVER DATABASE '${standby.ini}' UPDATE DB_MAGIC`]),
      'update db_magic',
    );
  } else {
    // a standby that was initialised on its own: it must still be started normally once
    ok(await S.startServer(standby.ini), 'first start S');
    await S.stopServer(standby.ini);
  }
  applyFiles(files, (f) => f.instance === standby.name);
  const as = pair.asyncStandby;
  if (as) {
    ok(await as.host.dminit(as.path), 'dminit async');
    const copy = path.join(as.host.dir, 'bak', 'full01');
    fs.cpSync(bak, copy, { recursive: true });
    ok(
      await as.host.run('dmrman', [`CTLSTMT=RESTORE DATABASE '${as.ini}' FROM BACKUPSET '${copy}'`]),
      'restore async',
    );
    ok(
      await as.host.run('dmrman', [`CTLSTMT=RECOVER DATABASE '${as.ini}' UPDATE DB_MAGIC`]),
      'update db_magic async',
    );
    applyFiles(files, (f) => f.instance === as.name);
  }
  applyFiles(files, (f) => f.role === 'dmmonitor.ini');
  o.beforeMount?.();
  ok(await P.startServer(primary.ini, ['mount']), 'mount P');
  ok(await S.startServer(standby.ini, ['mount']), 'mount S');
  ok(
    await P.sql(primary.port, [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      `SP_SET_OGUID(${oguid})`,
      'ALTER DATABASE PRIMARY',
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
    ]),
    'P oguid/mode',
  );
  ok(
    await S.sql(standby.port, [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      `SP_SET_OGUID(${o.standbyOguid ?? oguid})`,
      `ALTER DATABASE ${o.standbyMode ?? 'STANDBY'}`,
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
    ]),
    'S oguid/mode',
  );
  if (as) {
    ok(await as.host.startServer(as.ini, ['mount']), 'mount async');
    ok(
      await as.host.sql(as.port, [
        `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
        `SP_SET_OGUID(${oguid})`,
        'ALTER DATABASE STANDBY',
        `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
      ]),
      'async oguid/mode',
    );
  }
}

export function watcherIni(files: RenderedFile[], inst: string): string {
  const f = files.find((x) => x.role === 'dmwatcher.ini' && x.instance === inst);
  if (!f) throw new Error(`no dmwatcher.ini for ${inst}`);
  return f.path;
}

export function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}
