// Streaming a large file (a backup set) from one lab host to another through the executor.

import { describe, expect, it } from 'vitest';
import { SshError, type TransferProgress } from '../../lib/ssh';
import { labAvailabilityForTests, sharedLab } from '../lab/vitest';
import { labExecutor } from './helpers';

const avail = labAvailabilityForTests();
const MiB = 1024 * 1024;

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('lib/ssh host-to-host copy', () => {
  it('streams a large file between hosts with progress, never holding more than a few MiB of it', async () => {
    const lab = sharedLab();
    const ex = labExecutor(lab);
    try {
      await ex.run(
        'h2',
        'mkdir -p /dm/backup && head -c 96M /dev/urandom > /dm/backup/full.bak && chmod 640 /dm/backup/full.bak',
      );
      await ex.run('h3', 'mkdir -p /dm/restore');
      const progress: TransferProgress[] = [];
      const res = await ex.copyFile(
        { host: 'h2', path: '/dm/backup/full.bak' },
        { host: 'h3', path: '/dm/restore/full.bak' },
        { onProgress: (p) => progress.push(p) },
      );
      expect(res.bytes).toBe(96 * MiB);
      const [a, b] = await Promise.all([
        lab.exec('h2', ['sha256sum', '/dm/backup/full.bak']),
        lab.exec('h3', ['sha256sum', '/dm/restore/full.bak']),
      ]);
      expect(b.stdout.split(' ')[0]).toBe(a.stdout.split(' ')[0]);
      expect((await ex.run('h3', 'stat -c %a /dm/restore/full.bak')).stdout).toBe('640\n');
      // Progress: increasing, ends at the total.
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)).toMatchObject({ bytes: 96 * MiB, total: 96 * MiB });
      for (let i = 1; i < progress.length; i++) {
        expect(progress[i]!.bytes).toBeGreaterThanOrEqual(progress[i - 1]!.bytes);
      }
      // Backpressure: what was read from h2 but not yet acknowledged by h3 stays bounded by the
      // request windows, whatever the file size.
      const inTransit = Math.max(...progress.map((p) => p.bytesRead - p.bytes));
      expect(inTransit).toBeLessThanOrEqual(12 * MiB);
      expect((await ex.run('h3', 'ls -A /dm/restore')).stdout).toBe('full.bak\n'); // no temp left
    } finally {
      await ex.run('h2', 'rm -f /dm/backup/full.bak').catch(() => undefined);
      await ex.run('h3', 'rm -f /dm/restore/full.bak').catch(() => undefined);
      await ex.close();
    }
  });

  it('fails naming the source host and file when it is missing, leaving the destination unchanged', async () => {
    const lab = sharedLab();
    const ex = labExecutor(lab);
    try {
      await ex.run('h3', 'mkdir -p /dm/restore');
      await ex.writeFile('h3', '/dm/restore/keep.bak', 'previous set\n');
      const err = (await ex
        .copyFile(
          { host: 'h2', path: '/dm/backup/missing.bak' },
          { host: 'h3', path: '/dm/restore/keep.bak' },
        )
        .catch((e: unknown) => e)) as SshError;
      expect(err).toBeInstanceOf(SshError);
      expect(err.code).toBe('TRANSFER');
      expect(err.message).toMatch(
        /^h2 \(root@.*\): copying h2 .*:\/dm\/backup\/missing\.bak to h3 .*: No such file/,
      );
      expect(err.message).toMatch(/next: check that \/dm\/backup\/missing\.bak exists on h2/);
      expect((await ex.readFile('h3', '/dm/restore/keep.bak')).toString()).toBe('previous set\n');
    } finally {
      await ex.close();
    }
  });
});
