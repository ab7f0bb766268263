// The step process's side of the step broker, against a stand-in broker listening on the socket a
// step process computes: what it sends, what it relays, and what it does when the broker drops a
// request before accepting it or dies after. (test/e2e/step-broker.test.ts runs the real broker
// on lab hosts.)

import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { builtStepBundle, STEP_BUNDLE_DIR } from '../../constructs/step-bundle';
import type { BrokerMessage, BrokerRequest } from '../../lib/cli/step-client';
import { brokerDir, brokerEnv, brokerSocket } from '../../lib/cli/step-socket';

let launcher = '';
const cwd = mkdtempSync(path.join(tmpdir(), 'dm-step-broker-'));
const MANIFEST = 'assets/x/plan.json';
const servers: net.Server[] = [];

beforeAll(() => {
  launcher = builtStepBundle().entry;
}, 120_000);

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Run the launcher as local-exec would: `node dmdeploy-step.cjs step <id> --manifest M`, in `cwd`. */
function step(env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const e: NodeJS.ProcessEnv = { ...process.env, DMDEPLOY_STEP_BROKER_IDLE_MS: '0', ...env };
    delete e.DMDEPLOY_SOURCES;
    const c = spawn(process.execPath, [launcher, 'step', 'cluster/preflight', '--manifest', MANIFEST], {
      cwd,
      env: e,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('close', (code) => (clearTimeout(t), resolve({ code, out, err })));
  });
}

/** A stand-in broker on the step's socket; `answer` gets each request. */
async function fakeBroker(
  answer: (req: BrokerRequest, conn: net.Socket, n: number) => void,
): Promise<string> {
  const socket = brokerSocket(STEP_BUNDLE_DIR, MANIFEST, cwd);
  if (!socket) throw new Error('no private socket directory on this machine');
  rmSync(socket, { force: true });
  let n = 0;
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) answer(JSON.parse(buf.slice(0, nl)) as BrokerRequest, conn, ++n);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(socket, r));
  return socket;
}

const line = (m: BrokerMessage) => `${JSON.stringify(m)}\n`;

describe('a step process with a broker', () => {
  it('sends its arguments and its own environment, relays stdout and stderr, and exits with the status', async () => {
    let got: BrokerRequest | undefined;
    await fakeBroker((req, conn) => {
      got = req;
      conn.end(
        line({ accepted: true }) +
          line({ out: 'to stdout\n' }) +
          line({ err: 'to stderr\n' }) +
          line({ exit: 3 }),
      );
    });
    const r = await step({ DM_SYSDBA_PASSWORD: 'only-in-the-env' });
    expect(r).toEqual({ code: 3, out: 'to stdout\n', err: 'to stderr\n' });
    expect(got?.argv).toEqual(['cluster/preflight', '--manifest', MANIFEST]);
    // the step's environment is the step process's own, read by the broker per step
    expect(got?.env.DM_SYSDBA_PASSWORD).toBe('only-in-the-env');
    expect(got?.sentMs).toBeGreaterThan(0);
  });

  it('asks again when a broker drops the request unaccepted (it was stopping), never after', async () => {
    await fakeBroker((_req, conn, n) => {
      if (n === 1) return void conn.destroy(); // stopping: nothing ran
      conn.end(line({ accepted: true }) + line({ out: `ran on request ${n}\n` }) + line({ exit: 0 }));
    });
    const r = await step();
    expect(r.code).toBe(0);
    expect(r.out).toBe('ran on request 2\n');
  });

  it('fails, saying the step may have been cut short, when the broker dies after accepting', async () => {
    let asked = 0;
    await fakeBroker((_req, conn) => {
      asked++;
      conn.write(line({ accepted: true }) + line({ out: 'started\n' }));
      setTimeout(() => conn.destroy(), 50);
    });
    const r = await step();
    expect(asked).toBe(1); // an accepted step is never asked twice
    expect(r.code).toBe(1);
    expect(r.out).toBe('started\n');
    expect(r.err).toMatch(/the step broker ended before the step did .*apply again to resume/);
  });

  it('runs the step in its own process when every broker drops it, and with DMDEPLOY_STEP_BROKER=0', async () => {
    let asked = 0;
    await fakeBroker((_req, conn) => (asked++, conn.destroy()));
    const r = await step();
    expect(asked).toBe(3);
    expect(r.err).toContain('the step broker dropped the step 3 times; running it in this process');
    // in this process: the manifest is read here, and there is none
    expect(r.err).toMatch(/dmdeploy: .*ENOENT.*plan\.json/);
    expect(r.code).toBe(1);

    const direct = await step({ DMDEPLOY_STEP_BROKER: '0' });
    expect(asked).toBe(3);
    expect(direct.err).not.toContain('broker');
    expect(direct.err).toMatch(/dmdeploy: .*ENOENT.*plan\.json/);
  });
});

describe('the broker socket', () => {
  it('is in a directory only this user can enter, named by bundle, working directory and manifest', () => {
    const dir = brokerDir();
    if (!dir) throw new Error('no private socket directory on this machine');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const a = brokerSocket(STEP_BUNDLE_DIR, MANIFEST, cwd);
    expect(a && path.dirname(a)).toBe(dir);
    expect(brokerSocket(STEP_BUNDLE_DIR, MANIFEST, cwd)).toBe(a);
    expect(brokerSocket(STEP_BUNDLE_DIR, 'assets/y/plan.json', cwd)).not.toBe(a);
    expect(brokerSocket(STEP_BUNDLE_DIR, MANIFEST, tmpdir())).not.toBe(a);
    expect(brokerSocket(path.join(cwd, 'no-bundle'), MANIFEST, cwd)).toBeUndefined();
  });

  it('is not used in a directory another user could write', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'dm-step-broker-dir-'));
    const uid = process.getuid?.() ?? 0;
    const shared = path.join(base, `dm-cdktf-steps-${uid}`);
    try {
      expect(brokerDir({ XDG_RUNTIME_DIR: base })).toBe(shared);
      chmodSync(shared, 0o777);
      expect(brokerDir({ XDG_RUNTIME_DIR: base })).toBeUndefined();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it("never uses another user's XDG_RUNTIME_DIR (as sudo -E keeps it), but the temporary directory", () => {
    const uid = process.getuid?.() ?? 0;
    const other = mkdtempSync(path.join(tmpdir(), 'dm-step-broker-xdg-'));
    try {
      chmodSync(other, 0o700);
      expect(brokerDir({ XDG_RUNTIME_DIR: other })).toBe(path.join(other, `dm-cdktf-steps-${uid}`));
      if (uid === 0) {
        chownSync(other, 1000, 1000);
        expect(brokerDir({ XDG_RUNTIME_DIR: other })).toBe(path.join(tmpdir(), `dm-cdktf-steps-${uid}`));
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('the broker is started with none of the step process environment but what node needs', () => {
    expect(
      brokerEnv({
        PATH: '/bin',
        HOME: '/root',
        DM_SYSDBA_PASSWORD: 'x',
        DM_SSH_PASSPHRASE: 'y',
        TF_LOG: 'z',
      }),
    ).toEqual({ PATH: '/bin', HOME: '/root' });
  });
});
