/**
 * The step broker as Terraform's step processes use it, on lab hosts: the steps of a synthesized
 * stack run as local-exec runs them (`node <bundle asset> step <id> --manifest <plan.json>` in the
 * stack directory), one after another.
 *   - the first starts the broker, in the step process's process group, without the step
 *     process's secrets in its environment or on its command line;
 *   - the next reuses the first's SSH connection (0 ms connecting) and the broker's parsed
 *     manifest, yet runs with its own process's environment (its own DMDEPLOY_LOG);
 *   - idle, the broker exits and removes its socket; killing the process group (as an
 *     interrupted or killed Terraform does) kills it.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../main';
import { brokerSocket } from '../../lib/cli/step-socket';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { installOnHosts, PASSWORD } from '../dmsim/lab-harness';
import { labSpec, TOPOLOGIES } from './specs';
import { stringify } from 'yaml';

const avail = labAvailabilityForTests();
const topo = TOPOLOGIES[0];
if (!topo) throw new Error('no topology');

interface Run {
  pid: number;
  code: number | null;
  out: string;
  err: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
/** The process group of `pid` (field 5 of /proc/<pid>/stat, after the parenthesised name). */
const pgidOf = (pid: number) =>
  Number(
    readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .split(' ')[2],
  );

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('the step broker, for the steps of a synthesized stack on lab hosts', () => {
  const lab = useLab({ name: 'e2ebroker', hosts: topo.hosts }, 90_000);
  let dir = '';
  let stackDir = '';
  let command = '';
  let socket = '';

  beforeAll(() => {
    const l = lab();
    installOnHosts(l, topo.hosts);
    dir = mkdtempSync(path.join(tmpdir(), 'dm-cdktf-broker-'));
    const specFile = path.join(dir, 'clusters', 'grp1.yaml');
    mkdirSync(path.dirname(specFile), { recursive: true });
    // the password from a command that dawdles while <dir>/slow exists: a step still reading its
    // secrets is a step the broker has accepted but not begun
    writeFileSync(path.join(dir, 'pw'), `${PASSWORD}\n`, { mode: 0o600 });
    const secret = ['/bin/sh', '-c', `test -f ${dir}/slow && sleep 3; cat ${dir}/pw`];
    writeFileSync(
      specFile,
      stringify({ ...labSpec(topo, l), secrets: { sysdbaPassword: { command: secret } } }),
    );
    buildApp(new App({ outdir: path.join(dir, 'cdktf.out') }), [specFile]).synth();
    stackDir = path.join(dir, 'cdktf.out', 'stacks', 'GRP1');
    const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as {
      resource: { null_resource: Record<string, { provisioner: { 'local-exec': { command: string } }[] }> };
    };
    command = json.resource.null_resource['cluster__preflight']?.provisioner[0]?.['local-exec'].command ?? '';
    const [, bundle = '', , , , manifest = ''] = command.split(' ');
    socket = brokerSocket(path.join(stackDir, path.dirname(bundle)), manifest, stackDir) ?? '';
    if (!socket) throw new Error('no private directory for the broker socket on this machine');
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The step's command (its words are plain), in its own process group (as the harness runs terraform). */
  function step(log: string, started?: (pid: number) => void): Promise<Run> {
    return new Promise((resolve) => {
      // node itself, not a shell around it: the process a kill below ends is the step process
      const [, ...args] = command.split(' ');
      const c = spawn(process.execPath, args, {
        cwd: stackDir,
        env: {
          ...process.env,
          DM_SYSDBA_PASSWORD: PASSWORD,
          DMDEPLOY_LOG: path.join(dir, log),
          // longer than the 3.5 s the abandoned-step case waits, so that the broker's idle exit can
          // never come first
          DMDEPLOY_STEP_BROKER_IDLE_MS: '6000',
        },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started?.(c.pid ?? 0);
      let out = '';
      let err = '';
      c.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      c.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
      c.on('close', (code) => (clearTimeout(t), resolve({ pid: c.pid ?? 0, code, out, err })));
    });
  }

  const brokerLog = () => readFileSync(`${socket.slice(0, -'.sock'.length)}.log`, 'utf8');
  /** The pid of the broker that last started serving this stack's steps. */
  const brokerPid = () => {
    const serving = [...brokerLog().matchAll(/\[broker (\d+)\] serving /g)];
    return Number(serving.at(-1)?.[1] ?? 0);
  };
  const connectMs = (out: string) => Number(/ssh connect (\d+) ms\)\n$/.exec(out)?.[1] ?? NaN);

  it('starts with the first step, in its process group, and keeps no secret of it', async () => {
    const first = await step('first.log');
    expect(first.code, first.err).toBe(0);
    expect(first.err).toBe('');
    // the first step to a host connects
    expect(connectMs(first.out)).toBeGreaterThan(0);
    const pid = brokerPid();
    expect(alive(pid)).toBe(true);
    expect(existsSync(socket)).toBe(true);
    // in the group of the process local-exec started: what kills terraform's group kills it
    expect(pgidOf(pid)).toBe(first.pid);
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(environ).not.toContain(PASSWORD);
    expect(environ).not.toContain('DM_SYSDBA_PASSWORD');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(path.join(dir, 'first.log'), 'utf8')).toContain('[cluster/preflight @ ');
  }, 60_000);

  it('runs the next step on the same connection, with that step process environment', async () => {
    const pid = brokerPid();
    const second = await step('second.log');
    expect(second.code, second.err).toBe(0);
    expect(brokerPid()).toBe(pid);
    expect(connectMs(second.out)).toBe(0);
    // its own DMDEPLOY_LOG, not the first step's
    expect(readFileSync(path.join(dir, 'second.log'), 'utf8')).toContain('[cluster/preflight @ ');
    expect(
      readFileSync(path.join(dir, 'first.log'), 'utf8')
        .split('\n')
        .filter((l) => /checked in/.test(l)),
    ).toHaveLength(1);
  }, 60_000);

  it('exits when idle, removing its socket', async () => {
    const pid = brokerPid();
    for (let i = 0; i < 300 && alive(pid); i++) await sleep(50);
    expect(alive(pid)).toBe(false);
    expect(existsSync(socket)).toBe(false);
    expect(brokerLog()).toMatch(new RegExp(`\\[broker ${pid}\\] idle for 6000 ms after 2 steps: exiting`));
  }, 30_000);

  /** Start a step whose secret command dawdles; resolves once the broker runs that command. */
  async function slowStep(log: string): Promise<{ pid: number; done: Promise<Run>; release: () => void }> {
    writeFileSync(path.join(dir, 'slow'), '');
    let pid = 0;
    const done = step(log, (p) => (pid = p));
    const marker = `${dir}/slow`;
    const reading = () =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .some((d) => {
          try {
            return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker);
          } catch {
            return false;
          }
        });
    for (let i = 0; i < 250 && !reading(); i++) await sleep(20);
    expect(reading()).toBe(true);
    // the secret command waits until released: a test kills the step's process first, so that the
    // command finishes only after it (releasing first raced the kill on a loaded machine)
    return { pid, done, release: () => rmSync(path.join(dir, 'slow'), { force: true }) };
  }

  it('abandons a step whose process is killed before it begins, and serves the next', async () => {
    const { pid, done, release } = await slowStep('abandoned.log');
    const broker = brokerPid();
    process.kill(pid, 'SIGKILL');
    const r = await done;
    release();
    expect(r.code).toBeNull(); // killed
    await sleep(3500); // the secret command finishes: the broker must not begin the step then
    expect(
      existsSync(path.join(dir, 'abandoned.log'))
        ? readFileSync(path.join(dir, 'abandoned.log'), 'utf8')
        : '',
    ).toBe('');
    expect(alive(broker)).toBe(true);
    const next = await step('next.log');
    expect(next.code, next.err).toBe(0);
    expect(brokerPid()).toBe(broker);
  }, 60_000);

  it('dies with the process group that started it, a step in flight', async () => {
    // each step here is a process group of its own (under terraform all share terraform's): let
    // the last broker go idle, so that this step's process starts the next, in its group
    const last = brokerPid();
    for (let i = 0; i < 300 && alive(last); i++) await sleep(50);
    expect(alive(last)).toBe(false);
    const { pid, done, release } = await slowStep('killed.log');
    const broker = brokerPid();
    expect(broker).not.toBe(last);
    expect(pgidOf(broker)).toBe(pid);
    process.kill(-pid, 'SIGKILL');
    await done;
    release();
    for (let i = 0; i < 100 && alive(broker); i++) await sleep(20);
    expect(alive(broker)).toBe(false);
  }, 60_000);
});
