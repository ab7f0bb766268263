/**
 * The host-side operations steps are made of, over the lib/ssh executor: run a DM tool (secrets
 * on stdin), a disql session, start a long-running tool detached from the SSH session, find and
 * stop processes, and the step records kept on each host.
 */
import path from 'node:path/posix';
import { shJoin, shQuote, type ExecResult } from '../ssh';
import {
  dmMessage,
  disqlInput,
  INSTANCE_QUERY,
  PARAM_TYPE_QUERY,
  parseInstance,
  parseParamTypes,
  type InstanceState,
} from '../dm';
import { resourceName } from '../plan/manifest';
import type { Plan, Step } from '../plan/step';
import type { StepContext } from './context';
import { describeSource } from './secrets';
import { StepError } from './error';

/** How long a started confirm monitor must stay up, and how often it is started, before a step fails. */
const CONFIRM_SETTLE_MS = 2500;
const CONFIRM_ATTEMPTS = 4;

/** Shell: is a pid alive (a zombie is not)? */
const ALIVE = 'alive() { s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [ "${s#Z}" = "$s" ]; }';

/**
 * Whether a plan builds an MPP system: it makes dmmpp.ctl (7.4.3.4). Read from what the plan
 * does, not from its kind's name; once per plan.
 */
const mppPlans = new WeakMap<Plan, boolean>();
export function isMppPlan(plan: Plan): boolean {
  let v = mppPlans.get(plan);
  if (v === undefined) mppPlans.set(plan, (v = plan.steps.some((s) => s.params.kind === 'mpp-ctl')));
  return v;
}

export class Remote {
  constructor(
    readonly ctx: StepContext,
    readonly step: Step,
    readonly host: string = step.host,
  ) {}

  get dmHome(): string {
    return this.ctx.plan.dmHome;
  }

  bin(tool: string): string {
    return path.join(this.dmHome, 'bin', tool);
  }

  /** Where detached tools write their console output. */
  outFile(name: string): string {
    return path.join(this.dmHome, 'log', 'dmdeploy', `${name}.out`);
  }

  fail(what: string, toolMessage: string, hint: string): never {
    throw new StepError(this.host, this.step.id, what, toolMessage, hint);
  }

  exec(command: string, o: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.ctx.ex.exec(this.host, command, {
      timeoutMs: o.timeoutMs ?? 60_000,
      ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
    });
  }

  /** Run and require exit 0; a failure names the step, the host and the tool's message. */
  async must(command: string, what: string, hint: string, o: { stdin?: string; timeoutMs?: number } = {}) {
    const r = await this.exec(command, o);
    if (r.exitCode !== 0)
      this.fail(
        `${what} (exit ${r.exitCode ?? r.signal ?? 'none'})`,
        dmMessage(`${r.stdout}\n${r.stderr}`),
        hint,
      );
    return r;
  }

  tool(tool: string, args: readonly string[], o: { stdin?: string; timeoutMs?: number } = {}) {
    return this.exec(shJoin([this.bin(tool), ...args]), o);
  }

  password(): string {
    const p = this.ctx.secrets.sysdbaPassword;
    if (!p.ok)
      this.fail(
        `no SYSDBA password: ${p.problem}`,
        '',
        `give it where the spec's secrets.sysdbaPassword says (${describeSource(this.ctx.plan.secrets.sysdbaPassword)}) ` +
          'in the environment that runs terraform or cdktf; never as a Terraform variable',
      );
    return p.value;
  }

  /**
   * One disql session with the login on stdin, stopping at the first error. `lock`: a file on the
   * host held (flock) for the session, so that two steps never run it at once.
   */
  disql(
    port: number,
    statements: readonly string[],
    timeoutMs = 60_000,
    o: { lock?: string; mppLocal?: boolean } = {},
  ): Promise<ExecResult> {
    const address = this.ctx.plan.hosts[this.host]?.public ?? this.host;
    // 7.4.3.6: an MPP instance in MOUNT takes OGUID and mode only in a LOCAL session; views are
    // read per instance too (no effect on a non-MPP system; a DCP proxy is no MPP instance)
    const mppLocal = o.mppLocal ?? isMppPlan(this.ctx.plan);
    const stdin = disqlInput({ password: this.password(), address, port, mppLocal }, statements);
    if (!o.lock) return this.tool('disql', ['-S', '/nolog'], { stdin, timeoutMs });
    const wait = String(Math.ceil(timeoutMs / 1000));
    return this.exec(
      `mkdir -p ${shQuote(path.dirname(o.lock))} && ${shJoin(['flock', '-w', wait, o.lock, this.bin('disql'), '-S', '/nolog'])}`,
      { stdin, timeoutMs },
    );
  }

  /** A file's sha256 on this host; undefined when it cannot be read. */
  async sha256(file: string): Promise<string | undefined> {
    const res = await this.exec(`sha256sum ${shQuote(file)}`);
    return res.exitCode === 0 ? res.stdout.split(/\s+/)[0] : undefined;
  }

  /** STATUS$, MODE$, OGUID; undefined when the instance does not answer. */
  async instance(port: number): Promise<InstanceState | undefined> {
    const r = await this.disql(port, [INSTANCE_QUERY], 30_000);
    return r.exitCode === 0 ? parseInstance(r.stdout) : undefined;
  }

  /** V$PARAMETER's NAME -> TYPE of the instance on `port`; undefined when it does not answer. */
  async paramTypes(port: number, o: { mppLocal?: boolean } = {}): Promise<Map<string, string> | undefined> {
    const r = await this.disql(port, [PARAM_TYPE_QUERY], 30_000, o);
    return r.exitCode === 0 ? parseParamTypes(r.stdout) : undefined;
  }

  /**
   * The live processes of this host: pid and command line. Only those in the login shell's
   * network namespace count, so that hosts sharing a kernel (containers, the test lab) never see
   * each other's servers.
   */
  async processes(): Promise<{ pid: number; args: string[] }[]> {
    // One ps for the whole table (procps's netns column is the inode /proc/<pid>/ns/net names):
    // a readlink per /proc entry cost a fork per process on the host, on every probe.
    const r = await this.exec('readlink /proc/self/ns/net && ps -eww -o pid=,netns=,stat=,args=');
    const [self = '', ...rows] = r.stdout.split('\n');
    const me = /\[(\d+)\]/.exec(self)?.[1];
    if (r.exitCode !== 0 || !me)
      this.fail(
        'list the processes (readlink, ps)',
        r.stderr.trim() || r.stdout.trim(),
        'the host needs procps (ps) and a readable /proc',
      );
    return rows
      .map((l) => /^\s*(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && m[2] === me && !m[3]?.startsWith('Z'))
      .map((m) => ({ pid: Number(m[1]), args: (m[4] ?? '').trim().split(/\s+/) }))
      .filter((p) => p.args[0] !== '' && !/^\[.*\]$/.test(p.args.join(' ')));
  }

  /** pids whose command line runs `tool` on `file` (dmserver on a dm.ini, dmwatcher on its ini, ...). */
  async pidsOf(tool: string, file: string): Promise<number[]> {
    return (await this.processes())
      .filter(
        ({ args }) =>
          args.some((a) => a === tool || a.endsWith(`/${tool}`)) &&
          args.some(
            (a) => a === file || (/^(path|dcr_ini)=/i.test(a) && a.slice(a.indexOf('=') + 1) === file),
          ),
      )
      .map((p) => p.pid);
  }

  /**
   * Start a long-running tool as DM's service scripts do: detached from the SSH session (setsid,
   * nohup), output to a file, no stdin. Waits (bounded) for `ready` in its output; a process that
   * exits, or prints DM's `[-code]` error, first is a failure with that output.
   */
  async startDetached(
    name: string,
    argv: readonly string[],
    ready: string,
    timeoutMs: number,
  ): Promise<void> {
    const out = this.outFile(name);
    const polls = Math.max(1, Math.ceil((timeoutMs - 1000) / 100));
    const script = [
      ALIVE,
      `out=${shQuote(out)}`,
      'mkdir -p "$(dirname "$out")"',
      ': > "$out"',
      `setsid nohup ${shJoin(argv)} > "$out" 2>&1 < /dev/null &`,
      'pid=$!',
      'i=0',
      `while [ $i -lt ${polls} ]; do`,
      `  if grep -qF -- ${shQuote(ready)} "$out"; then exit 0; fi`,
      `  if ! alive $pid || grep -q '^\\[-[0-9]' "$out"; then sleep 0.1; cat "$out" >&2; exit 1; fi`,
      '  sleep 0.1; i=$((i+1))',
      'done',
      'echo "not ready in time" >&2; cat "$out" >&2; exit 1',
    ].join('\n');
    await this.must(
      script,
      `${path.basename(argv[0] ?? name)} did not start`,
      `read ${out} on ${this.host}`,
      {
        timeoutMs: timeoutMs + 5000,
      },
    );
  }

  /**
   * Start the confirm monitor on its dmmonitor.ini (7.2.7) and see that it stays up. A second
   * confirm monitor of a group is refused and exits (4.1); right after one was stopped, a watcher
   * may still count it from a peer's last report (watchers pass their state to each other), so an
   * early exit is tried again, bounded, and then fails with the monitor's own output.
   */
  async startConfirmMonitor(
    iniPath: string,
    o: { settleMs?: number; attempts?: number } = {},
  ): Promise<void> {
    const { settleMs = CONFIRM_SETTLE_MS, attempts = CONFIRM_ATTEMPTS } = o;
    for (let attempt = 1; ; attempt++) {
      await this.startDetached('dmmonitor', [this.bin('dmmonitor'), iniPath], '监视器', 60_000);
      const until = Date.now() + settleMs;
      let up = true;
      while (up && Date.now() < until) {
        await new Promise((res) => setTimeout(res, 250));
        up = (await this.pidsOf('dmmonitor', iniPath)).length > 0;
      }
      if (up) return;
      const out = (await this.exec(`tail -n 20 ${shQuote(this.outFile('dmmonitor'))}`)).stdout.trim();
      if (attempt >= attempts)
        this.fail(
          `the confirm monitor exited within ${settleMs / 1000} s of its start, ${attempt} times`,
          out,
          `read ${this.outFile('dmmonitor')}; is another confirm monitor running for the group?`,
        );
      this.ctx.progress(
        `the confirm monitor exited right after its start (${out.split('\n').pop() ?? ''}); starting it again`,
      );
      await new Promise((res) => setTimeout(res, Math.min(settleMs, 1000) * attempt));
    }
  }

  /** SIGTERM (a normal stop for dmwatcher and dmmonitor), then wait (bounded) for the pids to go. */
  async terminate(pids: readonly number[], what: string, timeoutMs = 30_000): Promise<void> {
    if (!pids.length) return;
    await this.exec(`kill -TERM ${pids.join(' ')} 2>/dev/null || true`);
    await this.waitGone(pids, what, timeoutMs);
  }

  async waitGone(pids: readonly number[], what: string, timeoutMs = 60_000): Promise<void> {
    if (!pids.length) return;
    const n = Math.ceil(timeoutMs / 100);
    await this.must(
      `${ALIVE}\nfor p in ${pids.join(' ')}; do i=0; while alive $p; do i=$((i+1)); [ $i -gt ${n} ] && { echo "$p still running" >&2; exit 1; }; sleep 0.1; done; done`,
      `${what} did not exit`,
      `look at the process on ${this.host}`,
      { timeoutMs: timeoutMs + 5000 },
    );
  }

  // ---------------------------------------------------------------- step records

  private recordPath(name: string): string {
    return path.join(this.dmHome, 'dmdeploy', 'steps', `${resourceName(name)}.done`);
  }

  /** A record that a step (or a stage of one) finished on this host; written atomically. */
  async writeRecord(name: string = this.step.id): Promise<void> {
    await this.must(
      `mkdir -p ${shQuote(path.dirname(this.recordPath(name)))}`,
      'mkdir',
      'check the permissions of dmHome',
    );
    await this.ctx.ex.writeFile(this.host, this.recordPath(name), `${name}\n`, { mode: 0o644 });
  }

  async removeRecord(name: string): Promise<void> {
    await this.exec(`rm -f ${shQuote(this.recordPath(name))}`);
  }

  hasRecord(name: string = this.step.id): Promise<boolean> {
    return this.ctx.ex.exists(this.host, this.recordPath(name));
  }
}
