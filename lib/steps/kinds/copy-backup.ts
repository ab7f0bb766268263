/** 7.1.1: the backup set, streamed host to host through the executor (never held in memory). */
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import { everyHost, type StepContext, type StepKindImpl } from '../context';
import { readDeployed } from '../deployed';
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

/** Streams every file of the backup set `dir` from `fromHost` to the same path on the step's host. */
export async function streamSet(r: Remote, fromHost: string, dir: string): Promise<void> {
  const src = await sums(new Remote(r.ctx, r.step, fromHost), dir);
  if (!src?.size) return r.fail(`no backup set at ${fromHost}:${dir}`, '', 'run the backup step first');
  await r.must(`mkdir -p ${shQuote(dir)}`, `cannot create ${dir}`, 'check the path and its owner');
  for (const file of [...src.keys()].sort()) {
    const p = path.join(dir, file);
    const c = await r.ctx.ex.copyFile({ host: fromHost, path: p }, { host: r.host, path: p });
    r.ctx.progress(`copied ${file}: ${c.bytes} bytes in ${c.durationMs} ms`);
  }
  if (!same(src, await sums(r, dir)))
    r.fail(`the copy of ${dir} differs from ${fromHost}'s (sha256)`, '', 'apply again to copy it anew');
}

/**
 * Why the set is not needed here, if it is not: every standby it serves is built (in the deployed
 * record), or joins its running group from a fresh online backup (7.10.1). The first deploy's
 * set may have been removed since; a built standby is never restored again.
 */
async function notNeeded(ctx: StepContext, step: StepOf<'copy-backup'>): Promise<string | undefined> {
  const { group, instances } = step.params.serves;
  // each standby it serves was restored here already (its restore step's record)
  const here = new Remote(ctx, step);
  const restored = await Promise.all(instances.map((i) => here.hasRecord(`${i}/restore`)));
  if (instances.length && restored.every(Boolean))
    return `${instances.join(', ')}: restored on ${step.host}; this set is not needed`;
  const record = await readDeployed(ctx);
  if (!record || !instances.length) return undefined;
  const joins = new Set(ctx.plan.steps.flatMap((s) => (s.params.kind === 'join' ? [s.params.instance] : [])));
  const grouped = record.instances.some((i) => i.group === group);
  for (const i of instances)
    if (!record.instances.some((x) => x.instance === i) && !(grouped && joins.has(i))) return undefined;
  return `${instances.join(', ')}: built, or joining ${group} from a fresh online backup (7.10.1); this set is not needed`;
}

export const copyBackup: StepKindImpl<StepOf<'copy-backup'>> = {
  // the source, and the deployed record on every host (notNeeded)
  hosts: (step, plan) => [step.params.fromHost, ...everyHost(plan)],
  timeoutMs: 4 * 60 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const skip = await notNeeded(ctx, step);
    if (skip) return skip;
    const dir = step.params.backupDir;
    const src = await sums(new Remote(ctx, step, step.params.fromHost), dir);
    const dst = await sums(new Remote(ctx, step), dir);
    return same(src, dst) ? `${dir} on ${step.host} matches ${step.params.fromHost} (sha256)` : undefined;
  },
  async act(ctx, step) {
    await streamSet(new Remote(ctx, step), step.params.fromHost, step.params.backupDir);
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
