/** 7.2.3.5: start dmserver in MOUNT (never the first start of a new database: 7.1 note). */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { startServer } from './server';
import type { StepOf } from './types';

export const mount: StepKindImpl<StepOf<'mount'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    if (!(await r.pidsOf('dmserver', step.params.iniPath)).length) return undefined;
    const i = await r.instance(step.params.port);
    return i ? `running, ${i.status}` : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    if ((await r.pidsOf('dmserver', step.params.iniPath)).length)
      r.fail(
        `dmserver for ${step.params.iniPath} is running but does not answer on port ${step.params.port}`,
        '',
        'look at the instance (its log, disql); stop it, then apply again',
      );
    try {
      await startServer(r, step.params, {
        mount: true,
        ...(step.params.dcrIni ? { dcrIni: step.params.dcrIni } : {}),
      });
    } catch (e) {
      // 7.5.11: with its restart on, dmcss may have started the DMDSC node in MOUNT meanwhile;
      // then the one that lost the race was refused, and the node is up all the same
      if (!step.params.dcrIni || !(await r.pidsOf('dmserver', step.params.iniPath)).length) throw e;
      for (let i = 0; i < 100 && !(await r.instance(step.params.port)); i++)
        await new Promise((res) => setTimeout(res, 300));
      ctx.progress(`${step.params.instance} was started meanwhile (dmcss, 7.5.11)`);
    }
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    const i = await r.instance(step.params.port);
    if (!i || !['MOUNT', 'OPEN'].includes(i.status))
      r.fail(
        `${step.params.instance} is not up in MOUNT`,
        i ? `STATUS$ = ${i.status}` : 'no answer',
        `read ${r.outFile(`dmserver_${step.params.instance}`)}`,
      );
  },
};
