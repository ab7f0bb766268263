/** 7.2.6: start dmwatcher, detached, as DM's DmWatcherService does. */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import type { StepOf } from './types';

/** Start dmwatcher on its ini, detached, and wait for it to say it is ready. */
export async function startWatcher(r: Remote, p: StepOf<'watcher'>['params']): Promise<void> {
  const name = `dmwatcher_${p.instances.map((i) => i.instance).join('_')}`;
  await r.startDetached(name, [r.bin('dmwatcher'), p.iniPath, '-noconsole'], 'IS READY', 60_000);
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
