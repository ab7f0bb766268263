/** 7.1.1: the backup set, streamed host to host through the executor (never held in memory). */
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import type { StepOf } from './types';

async function sums(r: Remote, dir: string): Promise<Map<string, string> | undefined> {
  const res = await r.exec(
    `cd ${shQuote(dir)} 2>/dev/null && find . -maxdepth 1 -type f -print0 | xargs -0 -r sha256sum`,
    {
      timeoutMs: 60 * 60_000,
    },
  );
  if (res.exitCode !== 0) return undefined;
  return new Map(
    res.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sum, file] = l.split(/\s+/);
        return [path.basename(file ?? ''), sum ?? ''];
      }),
  );
}

const same = (a?: Map<string, string>, b?: Map<string, string>) =>
  !!a && !!b && a.size > 0 && a.size === b.size && [...a].every(([f, s]) => b.get(f) === s);

export const copyBackup: StepKindImpl<StepOf<'copy-backup'>> = {
  timeoutMs: 4 * 60 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const dir = step.params.backupDir;
    const src = await sums(new Remote(ctx, step, step.params.fromHost), dir);
    const dst = await sums(new Remote(ctx, step), dir);
    return same(src, dst) ? `${dir} on ${step.host} matches ${step.params.fromHost} (sha256)` : undefined;
  },
  async act(ctx, step) {
    const { fromHost, backupDir } = step.params;
    const r = new Remote(ctx, step);
    const src = await sums(new Remote(ctx, step, fromHost), backupDir);
    if (!src?.size)
      return r.fail(`no backup set at ${fromHost}:${backupDir}`, '', 'run the backup step first');
    await r.must(
      `mkdir -p ${shQuote(backupDir)}`,
      `cannot create ${backupDir}`,
      'check the path and its owner',
    );
    for (const file of [...src.keys()].sort()) {
      const p = path.join(backupDir, file);
      const c = await ctx.ex.copyFile({ host: fromHost, path: p }, { host: step.host, path: p });
      ctx.progress(`copied ${file}: ${c.bytes} bytes in ${c.durationMs} ms`);
    }
  },
  async verify(ctx, step) {
    if (!(await this.probe(ctx, step)))
      new Remote(ctx, step).fail(
        'the copied backup set differs from the source',
        '',
        'apply again to copy it anew',
      );
  },
};
