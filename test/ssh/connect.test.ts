// Connecting: retries with backoff on transient errors only, host-key pinning (unknown, changed,
// trust-on-first-use), authentication by encrypted key or ssh-agent, and secrets kept out of logs.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyError, SshError } from '../../lib/ssh';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { captureLog, labExecutor, waitFor } from './helpers';

const avail = labAvailabilityForTests();

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('lib/ssh connect', () => {
  const lab = useLab({ name: 'tsshconn', hosts: ['c'] });
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dmssh-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const addr = () => lab().host('c').public;

  it('retries a refused connection with backoff until sshd is back', async () => {
    await lab().stopSshd('c');
    const log = captureLog();
    const ex = labExecutor(lab(), {
      logger: log,
      connectRetry: { attempts: 8, initialDelayMs: 100, maxDelayMs: 400 },
    });
    try {
      const restart = new Promise((r) => setTimeout(r, 600)).then(() => lab().startSshd('c'));
      const res = await ex.run('c', 'echo up');
      await restart;
      expect(res.stdout).toBe('up\n');
      expect(log.text()).toMatch(
        /c \(root@.*\): connect attempt 1\/8 failed \(.*ECONNREFUSED.*\); retrying in \d+ ms/,
      );
      expect(log.text()).toMatch(/connected .* after \d+ attempts/);
    } finally {
      await ex.close();
      await lab().startSshd('c');
    }
  });

  it('gives up after the configured attempts, naming the host and what to check', async () => {
    await lab().stopSshd('c');
    const ex = labExecutor(lab(), { connectRetry: { attempts: 3, initialDelayMs: 50 } });
    try {
      const err = await ex.run('c', 'true').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshError);
      expect((err as SshError).code).toBe('CONNECT');
      expect((err as SshError).message).toMatch(
        /^c \(root@198\.18\.\d+\.\d+:22\): cannot connect after 3 attempts in [\d.]+s: .*ECONNREFUSED/,
      );
      expect((err as SshError).message).toMatch(/next: check that the host is up, that sshd listens on/);
    } finally {
      await ex.close();
      await lab().startSshd('c');
    }
  });

  it('treats a host that does not answer as transient, within the per-attempt timeout', async () => {
    await lab().cut('c');
    const log = captureLog();
    const ex = labExecutor(lab(), {
      logger: log,
      readyTimeoutMs: 400,
      connectRetry: { attempts: 2, initialDelayMs: 50 },
    });
    try {
      const started = Date.now();
      const err = await ex.run('c', 'true').catch((e: unknown) => e);
      expect((err as SshError).code).toBe('CONNECT');
      expect(Date.now() - started).toBeLessThan(5000);
      expect(log.text()).toMatch(/connect attempt 1\/2 failed/);
    } finally {
      await ex.close();
      await lab().restore('c');
    }
  });

  it('does not retry a refused authentication', async () => {
    const key = path.join(tmp, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const log = captureLog();
    const ex = labExecutor(lab(), { auth: { privateKeyPath: key }, logger: log });
    try {
      const err = await ex.run('c', 'true').catch((e: unknown) => e);
      expect((err as SshError).code).toBe('AUTH');
      expect((err as SshError).message).toMatch(/^c .*authentication failed with key .*stranger/);
      expect((err as SshError).message).toContain('authorized_keys');
      expect(log.text()).not.toContain('retrying');
    } finally {
      await ex.close();
    }
  });

  it('refuses an unknown host key with its fingerprint and the exact known_hosts line to add', async () => {
    const kh = path.join(tmp, 'known_hosts_empty');
    fs.writeFileSync(kh, '');
    const log = captureLog();
    const ex = labExecutor(lab(), { knownHostsPath: kh, logger: log });
    try {
      const err = await ex.run('c', 'true').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      const e = err as HostKeyError;
      expect(e.code).toBe('HOST_KEY_UNKNOWN');
      // The same fingerprint OpenSSH prints for the host's key.
      const expectedFp = execFileSync('ssh-keygen', ['-lf', lab().hostKeyFile('c')], {
        encoding: 'utf8',
      }).split(' ')[1];
      expect(e.fingerprint).toBe(expectedFp);
      expect(e.knownHostsLine).toBe(`${addr()} ${lab().host('c').hostKey}`);
      expect(e.message).toContain(e.fingerprint);
      expect(e.message).toContain(e.knownHostsLine);
      expect(log.text()).not.toContain('retrying');
      expect(fs.readFileSync(kh, 'utf8')).toBe(''); // nothing trusted behind the user's back
    } finally {
      await ex.close();
    }
    // Adding exactly that line is enough.
    const line = `${addr()} ${lab().host('c').hostKey}`;
    fs.writeFileSync(kh, `${line}\n`);
    const ex2 = labExecutor(lab(), { knownHostsPath: kh });
    try {
      expect((await ex2.run('c', 'echo ok')).stdout).toBe('ok\n');
    } finally {
      await ex2.close();
    }
  });

  it('refuses a changed host key, showing both fingerprints and how to remove the old entry', async () => {
    const other = path.join(tmp, 'otherhostkey');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const otherPub = fs.readFileSync(`${other}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const kh = path.join(tmp, 'known_hosts_changed');
    fs.writeFileSync(kh, `# pinned\n${addr()} ${otherPub}\n`);
    const ex = labExecutor(lab(), { knownHostsPath: kh, trustOnFirstUse: true }); // TOFU never overrides a change
    try {
      const err = await ex.run('c', 'true').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostKeyError);
      const e = err as HostKeyError;
      expect(e.code).toBe('HOST_KEY_CHANGED');
      const oldFp =
        execFileSync('ssh-keygen', ['-lf', `${other}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
      expect(e.message).toContain(oldFp);
      expect(e.message).toContain(e.fingerprint);
      expect(e.message).toContain(`${kh}:2`);
      expect(e.message).toContain(`ssh-keygen -R ${addr()} -f ${kh}`);
      expect(fs.readFileSync(kh, 'utf8')).not.toContain(lab().host('c').hostKey);
    } finally {
      await ex.close();
    }
  });

  it('trusts on first use only when asked, and records the key in known_hosts', async () => {
    const kh = path.join(tmp, 'tofu', 'known_hosts');
    const log = captureLog();
    const ex = labExecutor(lab(), { knownHostsPath: kh, trustOnFirstUse: true, logger: log });
    try {
      expect((await ex.run('c', 'echo ok')).stdout).toBe('ok\n');
    } finally {
      await ex.close();
    }
    expect(fs.readFileSync(kh, 'utf8')).toBe(`${addr()} ${lab().host('c').hostKey}\n`);
    expect(log.text()).toMatch(/warn c .*trusting host key ssh-ed25519 SHA256:/);
    const strict = labExecutor(lab(), { knownHostsPath: kh });
    try {
      expect((await strict.run('c', 'echo again')).stdout).toBe('again\n');
    } finally {
      await strict.close();
    }
  });

  it('authenticates with an encrypted key; the passphrase and stdin secrets never reach the log', async () => {
    const passphrase = `pass-${randomBytes(12).toString('hex')}`;
    const key = path.join(tmp, 'encrypted');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', key]);
    await lab().addAuthorizedKey('c', fs.readFileSync(`${key}.pub`, 'utf8'));
    const secret = `sysdba-${randomBytes(12).toString('hex')}`;
    const log = captureLog();
    // protocolDebug: ssh2's own packet trace goes to the same log, and must not leak either.
    const ex = labExecutor(lab(), {
      auth: { privateKeyPath: key, passphrase },
      logger: log,
      protocolDebug: true,
    });
    try {
      const res = await ex.run('c', 'read -r p; [ -n "$p" ] && echo got', { stdin: `${secret}\n` });
      expect(res.stdout).toBe('got\n');
      await ex.writeFile('c', '/dm/secret.ini', `password=${secret}\n`, { mode: 0o600 });
      await ex.run('c', 'false').catch(() => undefined);
    } finally {
      await ex.close();
    }
    const text = log.text();
    expect(log.lines.length).toBeGreaterThan(20);
    expect(text).toMatch(/connected \(key .*encrypted \(encrypted\)\)/);
    expect(text).not.toContain(passphrase);
    expect(text).not.toContain(secret);

    // A wrong or missing passphrase fails before any host is contacted, and is not echoed either.
    for (const [pp, want] of [
      ['wrong-passphrase-xyz', /passphrase is wrong/],
      [undefined, /the key is encrypted: give its passphrase where the spec.s secrets.sshPassphrase says/],
    ] as const) {
      const bad = labExecutor(lab(), { auth: { privateKeyPath: key, ...(pp ? { passphrase: pp } : {}) } });
      try {
        const err = (await bad.run('c', 'true').catch((e: unknown) => e)) as SshError;
        expect(err.code).toBe('KEY');
        expect(err.message).toMatch(want);
        expect(err.message).toContain(key);
        if (pp) expect(err.message).not.toContain(pp);
      } finally {
        await bad.close();
      }
    }
  });

  it('authenticates through ssh-agent', async () => {
    const sock = path.join(tmp, 'agent.sock');
    let agent: ChildProcess | undefined;
    try {
      agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      await waitFor(() => fs.existsSync(sock), 5000, 'ssh-agent socket');
      execFileSync('ssh-add', ['-q', lab().descriptor.privateKeyPath], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
        stdio: 'ignore',
      });
      const log = captureLog();
      const ex = labExecutor(lab(), { auth: { agent: sock }, logger: log });
      try {
        expect((await ex.run('c', 'echo via-agent')).stdout).toBe('via-agent\n');
        expect(log.text()).toContain(`connected (agent ${sock})`);
      } finally {
        await ex.close();
      }
    } finally {
      if (agent?.pid) process.kill(agent.pid, 'SIGTERM');
    }
  });
});
