/** 7.2.5, 7.2.7: dmmonitor.ini, and the confirm monitor started detached (DmMonitorService). */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { pendingFiles, writeFiles } from './files';
import type { StepOf } from './types';

export const monitor: StepKindImpl<StepOf<'monitor'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    if ((await pendingFiles(r, step.params.files)).length) return undefined;
    if (!step.params.confirm)
      return 'dmmonitor.ini as rendered (a monitoring-mode monitor is started by hand)';
    const pids = await r.pidsOf('dmmonitor', step.params.iniPath);
    return pids.length ? `confirm monitor running (pid ${pids.join(', ')})` : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const running = await r.pidsOf('dmmonitor', step.params.iniPath);
    if ((await pendingFiles(r, step.params.files)).length) {
      await writeFiles(r, step.params.files);
      // a running monitor reads its ini only at start
      await r.terminate(running, 'dmmonitor');
      // the watchers learn of its exit from each other's next report; a start before that is
      // refused as a second confirm monitor (4.1), which startConfirmMonitor would try again
      if (running.length && step.params.confirm) await new Promise((res) => setTimeout(res, 1500));
    } else if (running.length) return;
    if (step.params.confirm) await r.startConfirmMonitor(step.params.iniPath);
  },
  async verify(ctx, step) {
    if (!(await this.probe(ctx, step)))
      new Remote(ctx, step).fail(
        'the confirm monitor is not running',
        '',
        `read ${new Remote(ctx, step).outFile('dmmonitor')}`,
      );
  },
};
