/** 7.2.6: start dmwatcher, detached, as DM's DmWatcherService does. */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import type { StepOf } from './types';

/**
 * Start dmwatcher on its ini, detached, and wait for it to say it is ready. A start refused
 * because a dmwatcher on the same ini came up meanwhile (one an earlier, killed run was still
 * launching) is that watcher running: waited for briefly, then taken.
 */
export async function startWatcher(r: Remote, p: StepOf<'watcher'>['params']): Promise<void> {
  const name = `dmwatcher_${p.instances.map((i) => i.instance).join('_')}`;
  try {
    await r.startDetached(name, [r.bin('dmwatcher'), p.iniPath, '-noconsole'], 'IS READY', 60_000);
  } catch (e) {
    for (let i = 0; i < 20; i++) {
      const pids = await r.pidsOf('dmwatcher', p.iniPath);
      if (pids.length) {
        r.ctx.progress(
          `a dmwatcher on ${p.iniPath} was started meanwhile (pid ${pids.join(', ')}); it serves`,
        );
        return;
      }
      await new Promise((res) => setTimeout(res, 250));
    }
    throw e;
  }
}

export const watcher: StepKindImpl<StepOf<'watcher'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const pids = await new Remote(ctx, step).pidsOf('dmwatcher', step.params.iniPath);
    return pids.length ? `dmwatcher running (pid ${pids.join(', ')})` : undefined;
  },
  async act(ctx, step) {
    await startWatcher(new Remote(ctx, step), step.params);
  },
  async verify(ctx, step) {
    if (!(await this.probe(ctx, step)))
      new Remote(ctx, step).fail(
        'dmwatcher is not running',
        '',
        `read ${new Remote(ctx, step).outFile('dmwatcher')}*.out`,
      );
  },
};
