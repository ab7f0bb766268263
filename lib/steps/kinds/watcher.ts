/** 7.2.6: start dmwatcher, detached, as DM's DmWatcherService does. */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import type { StepOf } from './types';

export const watcher: StepKindImpl<StepOf<'watcher'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const pids = await new Remote(ctx, step).pidsOf('dmwatcher', step.params.iniPath);
    return pids.length ? `dmwatcher running (pid ${pids.join(', ')})` : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const name = `dmwatcher_${step.params.instances.map((i) => i.instance).join('_')}`;
    await r.startDetached(name, [r.bin('dmwatcher'), step.params.iniPath, '-noconsole'], 'IS READY', 60_000);
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
