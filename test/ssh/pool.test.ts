// The connection pool the step broker keeps between steps: a step that ends well hands its
// connection to the next step for the same host and options; a failed or abandoned one closes it,
// ending whatever still runs on it, as the death of a step's own process would.

import { afterAll, describe, expect, it } from 'vitest';
import { ConnectionPool } from '../../lib/ssh';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { labExecutor } from './helpers';

const avail = labAvailabilityForTests();

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('lib/ssh connection pool', () => {
  const lab = useLab({ name: 'tsshpool', hosts: ['p', 'q'] });
  const pool = new ConnectionPool();
  afterAll(() => pool.closeAll());

  /** The pid of the sshd session process serving this executor's connection to `host`. */
  const sessionPid = async (ex: ReturnType<typeof labExecutor>, host: string) =>
    (await ex.run(host, 'ps -o ppid= -p $PPID')).stdout.trim();

  it('hands a connection back on close({ reuse: true }) to the next executor with the same options', async () => {
    const a = labExecutor(lab(), { pool }, ['p']);
    const first = await sessionPid(a, 'p');
    expect(a.stats('p').connects).toBe(1);
    await a.close({ reuse: true });
    expect(pool.size).toBe(1);

    const b = labExecutor(lab(), { pool }, ['p']);
    expect(pool.size).toBe(0); // leased: no other executor gets it meanwhile
    expect(await sessionPid(b, 'p')).toBe(first);
    // its stats count from the lease: no connect of its own
    expect(b.stats('p').connects).toBe(0);
    expect(b.stats('p').connectMs).toBe(0);
    expect(b.stats('p').channelsOpened).toBe(1);
    await b.close({ reuse: true });
  }, 30_000);

  it('never hands one over to another host or other options', async () => {
    const pool = new ConnectionPool();
    const p = labExecutor(lab(), { pool }, ['p']);
    await p.run('p', 'true');
    await p.close({ reuse: true });
    expect(pool.size).toBe(1);
    const q = labExecutor(lab(), { pool }, ['q']);
    await q.run('q', 'true');
    expect(q.stats('q').connects).toBe(1);
    await q.close({ reuse: true });
    const other = labExecutor(lab(), { pool, defaultTimeoutMs: 1234 }, ['p']);
    await other.run('p', 'true');
    expect(other.stats('p').connects).toBe(1);
    await other.close({ reuse: false });
    expect(pool.size).toBe(2);
    await pool.closeAll();
  }, 30_000);

  it('closes it on close() without reuse, ending a command still running on it', async () => {
    const seed = labExecutor(lab(), { pool }, ['p']);
    await seed.run('p', 'true');
    await seed.close({ reuse: true });
    const a = labExecutor(lab(), { pool }, ['p']);
    expect(a.stats('p').connects).toBe(0);
    const t0 = Date.now();
    const running = a.exec('p', 'sleep 30', { timeoutMs: 60_000 }).then(
      () => 'finished',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 300));
    await a.close();
    expect(await running).toBe('failed');
    expect(Date.now() - t0).toBeLessThan(10_000);
    // the next executor for p connects anew
    const b = labExecutor(lab(), { pool }, ['p']);
    await b.run('p', 'true');
    expect(b.stats('p').connects).toBe(1);
    await b.close({ reuse: true });
  }, 30_000);

  it('after closeAll, closes what is handed back', async () => {
    const a = labExecutor(lab(), { pool }, ['q']);
    await a.run('q', 'true');
    await pool.closeAll();
    expect(pool.size).toBe(0);
    await a.close({ reuse: true });
    expect(pool.size).toBe(0);
  }, 30_000);
});
