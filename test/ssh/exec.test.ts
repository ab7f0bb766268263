// exec against a real OpenSSH sshd on the shared lab: exit codes, signals, timeouts, output caps,
// stdin, and no blind retries.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecError, type SshExecutor } from '../../lib/ssh';
import { labAvailabilityForTests, sharedLab } from '../lab/vitest';
import { captureLog, labExecutor, waitFor } from './helpers';

const avail = labAvailabilityForTests();

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('lib/ssh exec', () => {
  let ex: SshExecutor;
  const log = captureLog();
  beforeAll(() => {
    ex = labExecutor(sharedLab(), { logger: log });
  });
  afterAll(async () => {
    await ex?.close();
  });

  it('reports stdout, stderr and the exit code; a non-zero exit is a result, not an exception', async () => {
    const res = await ex.exec('h1', 'echo out; echo err >&2; exit 3');
    expect(res).toMatchObject({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n' });
    expect(res.host).toContain('h1');
  });

  it('reports the signal that killed the command', async () => {
    const res = await ex.exec('h1', 'kill -KILL $$');
    expect(res.exitCode).toBeNull();
    expect(res.signal).toBe('SIGKILL');
  });

  it('run() turns a failure into an error naming the host, the command and what to do', async () => {
    const err = await ex
      .run('h1', 'echo "dminit: path is not writable" >&2; exit 2')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    const e = err as ExecError;
    expect(e.code).toBe('COMMAND_FAILED');
    expect(e.message).toMatch(/^h1 \(root@198\.18\.\d+\.\d+:22\): command failed with exit code 2/);
    expect(e.message).toContain('dminit: path is not writable');
    expect(e.message).toContain('next:');
  });

  it('kills a command at its timeout, with every process it started, and says so', async () => {
    const tag = `sleep ${300 + Math.floor(Math.random() * 100)}`;
    const started = Date.now();
    const err = await ex
      .exec('h1', `(${tag}; echo never) & echo started; ${tag}`, { timeoutMs: 800 })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toBeInstanceOf(ExecError);
    const e = err as ExecError;
    expect(e.code).toBe('COMMAND_TIMEOUT');
    expect(e.message).toMatch(/h1 .*command timed out after 0\.8s and was killed/);
    expect(e.result.stdout).toBe('started\n'); // what it printed before is kept
    // The background child went too: coreutils timeout signals the whole process group.
    await waitFor(() => sharedLab().findProcesses('h1', tag).length === 0, 3000, `${tag} to be gone`);
  });

  it('escalates to SIGKILL when the command ignores SIGTERM', async () => {
    const started = Date.now();
    const err = await ex
      .exec('h1', "trap '' TERM; sleep 30", { timeoutMs: 500, killGraceMs: 300 })
      .catch((e: unknown) => e);
    expect((err as ExecError).code).toBe('COMMAND_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('drains stdout and stderr completely and keeps head and tail up to the cap', async () => {
    // 4 MB on each stream at once: undrained, either pipe would fill and stall the command.
    const res = await ex.exec(
      'h1',
      "head -c 4000000 /dev/zero | tr '\\0' a; echo; echo END-OUT; head -c 4000000 /dev/zero | tr '\\0' b >&2; echo END-ERR >&2",
      { maxOutputBytes: 64 * 1024 },
    );
    expect(res.exitCode).toBe(0);
    expect(res.stdoutBytes).toBe(4000000 + 1 + 8);
    expect(res.stdoutTruncated).toBe(true);
    expect(res.stderrTruncated).toBe(true);
    expect(res.stdout.length).toBeLessThan(64 * 1024 + 200);
    expect(res.stdout.startsWith('aaaa')).toBe(true);
    expect(res.stdout.endsWith('END-OUT\n')).toBe(true);
    expect(res.stdout).toMatch(/\[\.\.\. \d+ bytes omitted by dmdeploy \.\.\.\]/);
    expect(res.stderr.endsWith('END-ERR\n')).toBe(true);
  });

  it('passes stdin (how disql gets its password) and keeps it off the command line and out of the log', async () => {
    const secret = `pw-${randomBytes(8).toString('hex')}`;
    const cmd = 'read -r pw; echo "len=${#pw}"; ps -eo args';
    const res = await ex.exec('h1', cmd, { stdin: `${secret}\n` });
    expect(res.stdout).toContain(`len=${secret.length}`);
    expect(res.stdout).not.toContain(secret); // not in any process's arguments
    expect(log.text()).not.toContain(secret);
    expect(log.text()).toContain('(with stdin)');
  });

  it('sends EOF when no stdin is given, so a command reading stdin does not hang', async () => {
    const res = await ex.exec('h1', 'cat; echo done', { timeoutMs: 5000 });
    expect(res.stdout).toBe('done\n');
  });

  it('never runs a failed command a second time', async () => {
    const file = `/tmp/runs-${randomBytes(4).toString('hex')}`;
    await expect(ex.run('h1', `echo run >> ${file}; exit 1`)).rejects.toThrow(/exit code 1/);
    const count = await ex.run('h1', `wc -l < ${file}`);
    expect(count.stdout.trim()).toBe('1');
  });
});
