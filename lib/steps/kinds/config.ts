/** 7.2.3-7.2.4: dm.ini settings, dmmal.ini, dmarch.ini, dmtimer.ini, dmwatcher.ini of one instance. */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { pendingFiles, writeFiles } from './files';
import type { StepOf } from './types';

export const config: StepKindImpl<StepOf<'config'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const left = await pendingFiles(new Remote(ctx, step), step.params.files);
    return left.length ? undefined : `${step.params.files.length} files already as rendered`;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    await writeFiles(r, step.params.files);
    // a running instance reads these files at its next start only
    if ((await r.pidsOf('dmserver', step.params.files.find((f) => f.role === 'dm.ini')?.path ?? '')).length)
      ctx.progress(`${step.params.instance} is running: the changed files take effect when it restarts`);
  },
  async verify(ctx, step) {
    const left = await pendingFiles(new Remote(ctx, step), step.params.files);
    if (left.length)
      new Remote(ctx, step).fail(
        `${left.map((f) => f.path).join(', ')} differ after writing`,
        '',
        'check the disk and apply again',
      );
  },
};
