// One connection per host, channels queued under the server's MaxSessions, keepalive, and what
// happens to a command whose connection dies: against real sshd on a lab of this file's own
// (it kills sshd sessions and cuts hosts off, which must not disturb other files' labs).

import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExecError } from '../../lib/ssh';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { captureLog, labExecutor, maxOverlap, waitFor } from './helpers';

const avail = labAvailabilityForTests();

/** A command that sleeps and reports, in the host's clock, when it ran (ns). */
const TIMED_SLEEP = 's=$(date +%s%N); sleep 0.3; e=$(date +%s%N); echo $s $e';

function intervals(outputs: string[]): [number, number][] {
  return outputs.map((o) => {
    const [s, e] = o
      .trim()
      .split(' ')
      .map((x) => Number(BigInt(x) / 1000n)); // µs
    return [s ?? 0, e ?? 0];
  });
}

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('lib/ssh sessions and connections', () => {
  const lab = useLab({ name: 'tsshsess', hosts: [{ name: 'm', maxSessions: 4 }, 'k'] });

  it('uses one SSH connection per host for every step', async () => {
    const before = fs.readFileSync(lab().sshdLog('k'), 'utf8').match(/Accepted publickey/g)?.length ?? 0;
    const ex = labExecutor(lab());
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => ex.run('k', 'echo $SSH_CONNECTION')),
      );
      await ex.writeFile('k', '/dm/one.txt', 'x');
      // SSH_CONNECTION holds the client's source port: the same for all, so the same TCP connection.
      expect(new Set(results.map((r) => r.stdout)).size).toBe(1);
      expect(ex.stats('k').connects).toBe(1);
      const after = fs.readFileSync(lab().sshdLog('k'), 'utf8').match(/Accepted publickey/g)?.length ?? 0;
      expect(after - before).toBe(1);
    } finally {
      await ex.close();
    }
  });

  it('queues channels under the server MaxSessions (4): exec and sftp, never more than 4 at once', async () => {
    const ex = labExecutor(lab(), { maxSessions: 4 });
    try {
      const started = Date.now();
      const runs = Promise.all(Array.from({ length: 12 }, () => ex.run('m', TIMED_SLEEP)));
      // SFTP is a session too: atomic writes share the same four slots.
      const writes = Promise.all(
        Array.from({ length: 6 }, (_, i) => ex.writeFile('m', `/dm/q${i}.txt`, `${i}`)),
      );
      const [results] = await Promise.all([runs, writes]);
      expect(results.every((r) => r.exitCode === 0)).toBe(true);
      expect(maxOverlap(intervals(results.map((r) => r.stdout)))).toBeLessThanOrEqual(4);
      expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 300); // 12 sleeps, 4 at a time
      const st = ex.stats('m');
      expect(st.peakSessions).toBe(4);
      expect(st.connects).toBe(1);
      expect(st.channelsOpened).toBe(12 + 6);
    } finally {
      await ex.close();
    }
  });

  it('learns a lower MaxSessions from the server when configured too high', async () => {
    const log = captureLog();
    const ex = labExecutor(lab(), { maxSessions: 10, logger: log });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, () => ex.run('m', TIMED_SLEEP)));
      expect(results.every((r) => r.exitCode === 0)).toBe(true);
      expect(maxOverlap(intervals(results.map((r) => r.stdout)))).toBeLessThanOrEqual(4);
      const st = ex.stats('m');
      expect(st.sessionLimit).toBe(4);
      expect(st.channelsRefused).toBeGreaterThan(0);
      expect(st.channelsOpened).toBe(12); // each command ran exactly once
    } finally {
      await ex.close();
    }
  });

  it('keepalive notices a host cut off mid-command; the command fails (not retried) and the next step reconnects', async () => {
    const ex = labExecutor(lab(), {
      keepaliveIntervalMs: 250,
      keepaliveCountMax: 2,
      connectRetry: { attempts: 3 },
    });
    try {
      await ex.run('k', 'true');
      const pending = ex
        .exec('k', 'echo run >> /dm/ka.count; sleep 20', { timeoutMs: 30_000 })
        .catch((e: unknown) => e);
      await waitFor(() => lab().findProcesses('k', 'sleep 20').length > 0, 5000, 'the command to start');
      const cutAt = Date.now();
      await lab().cut('k');
      const err = await pending;
      const detectedMs = Date.now() - cutAt;
      await lab().restore('k');
      expect(err).toBeInstanceOf(ExecError);
      expect((err as ExecError).code).toBe('NO_EXIT_STATUS');
      expect((err as ExecError).message).toMatch(/^k \(.*unknown whether the command completed/);
      expect(detectedMs).toBeLessThan(5000); // not the 20 s of the command, nor a TCP timeout
      const again = await ex.run('k', 'cat /dm/ka.count');
      expect(again.stdout).toBe('run\n'); // it ran once; nothing re-ran it
      expect(ex.stats('k').connects).toBe(2);
    } finally {
      await lab().restore('k');
      await ex.close();
      lab().kill('k', 'sleep 20');
    }
  });

  it('a channel that closes without an exit status is a failure, never a success', async () => {
    const ex = labExecutor(lab());
    try {
      const pending = ex.exec('m', 'sleep 20; exit 0', { timeoutMs: 30_000 }).catch((e: unknown) => e);
      await waitFor(() => lab().findProcesses('m', 'sleep 20').length > 0, 5000, 'the command to start');
      // Kill the server side of this connection (sshd's per-connection processes), not the listener.
      expect(lab().kill('m', /^sshd: root/).length).toBeGreaterThan(0);
      const err = await pending;
      expect(err).toBeInstanceOf(ExecError);
      expect((err as ExecError).code).toBe('NO_EXIT_STATUS');
      expect((await ex.run('m', 'echo back')).stdout).toBe('back\n');
    } finally {
      await ex.close();
      lab().kill('m', 'sleep 20');
    }
  });
});
