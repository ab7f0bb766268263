/** §6.4 teardown: the confirm monitor, the watchers, the primary, the standbys; data is kept. */
import { shQuote } from '../../ssh';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { shutdownServer } from './server';
import { PROXY_SESSION, proxyStart, viewLagS } from './dcp';
import type { StepOf } from './types';

function stopTool(tool: 'dmmonitor' | 'dmwatcher'): StepKindImpl<StepOf<'stop-monitor' | 'stop-watcher'>> {
  return {
    timeoutMs: 2 * 60_000,
    mutates: true,
    async probe(ctx, step) {
      const pids = await new Remote(ctx, step).pidsOf(tool, step.params.iniPath);
      return pids.length ? undefined : `no ${tool} running on ${step.params.iniPath}`;
    },
    async act(ctx, step) {
      const r = new Remote(ctx, step);
      await r.terminate(await r.pidsOf(tool, step.params.iniPath), tool);
    },
    async verify(ctx, step) {
      if (!(await this.probe(ctx, step)))
        new Remote(ctx, step).fail(`${tool} still running`, '', 'stop it by hand');
    },
  };
}

export const stopMonitor = stopTool('dmmonitor') as StepKindImpl<StepOf<'stop-monitor'>>;
export const stopWatcher = stopTool('dmwatcher') as StepKindImpl<StepOf<'stop-watcher'>>;

/**
 * A dmserver stopped normally (SHUTDOWN) while it runs: in teardown, and for a DCP proxy marked
 * removed (`dcp-retire`, 001 6.3), whose `port` is its DCP_PORT_NUM (a PORT_NUM session is an EP's).
 */
export const stopServer: StepKindImpl<StepOf<'stop-server' | 'dcp-retire'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const pids = await new Remote(ctx, step).pidsOf('dmserver', step.params.iniPath);
    return pids.length ? undefined : `${step.params.instance} is not running`;
  },
  async act(ctx, step) {
    // a DCP proxy's SHUTDOWN goes over its DCP_PORT_NUM in a plain session: it is no MPP instance
    const retire = step.params.kind === 'dcp-retire';
    const proxy = retire || !!proxyStart(ctx.plan, step.params.instance);
    const r = new Remote(ctx, step);
    await shutdownServer(r, step.params, proxy ? PROXY_SESSION : {});
    // a retired proxy has no view to lag: status's note on it goes (a later proxy of that name starts afresh)
    if (retire) await viewLagS(r, step.params.instance, undefined, 0);
  },
  async verify(ctx, step) {
    if (!(await this.probe(ctx, step)))
      new Remote(ctx, step).fail('dmserver still running', '', 'stop it by hand');
  },
};

/** purgeData: true only. */
export const purge: StepKindImpl<StepOf<'purge'>> = {
  timeoutMs: 30 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    for (const p of step.params.paths) if (await ctx.ex.exists(step.host, p)) return undefined;
    return 'nothing left to remove';
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const running = (await r.processes()).map((x) => x.args.join(' ')).join('\n');
    for (const p of step.params.paths)
      if (running.includes(p))
        r.fail(`a process still uses ${p}`, '', 'stop the cluster first (this step runs last in destroy)');
    await r.must(`rm -rf ${step.params.paths.map(shQuote).join(' ')}`, 'rm failed', 'check the permissions');
    // the records of what was built on the removed data: a later deploy builds it anew
    for (const id of step.params.records ?? []) await r.removeRecord(id);
  },
  async verify(ctx, step) {
    if (!(await this.probe(ctx, step)))
      new Remote(ctx, step).fail('paths still there', '', 'remove them by hand');
  },
};
