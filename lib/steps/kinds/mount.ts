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
    const p = step.params;
    /** A dmserver already running on this dm.ini may still be starting: wait (bounded) for it to answer. */
    const answers = async () => {
      for (let i = 0; i < 100; i++) {
        if (!(await r.pidsOf('dmserver', p.iniPath)).length) return false;
        if (await r.instance(p.port)) return true;
        await new Promise((res) => setTimeout(res, 300));
      }
      return false;
    };
    if ((await r.pidsOf('dmserver', p.iniPath)).length) {
      if (await answers()) return ctx.progress(`${p.instance} was already starting`);
      r.fail(
        `dmserver for ${p.iniPath} is running but does not answer on port ${p.port}`,
        '',
        'look at the instance (its log, disql); stop it, then apply again',
      );
    }
    try {
      await startServer(r, p, { mount: true, ...(p.dcrIni ? { dcrIni: p.dcrIni } : {}) });
    } catch (e) {
      // 7.5.11: with its restart on, dmcss may have started the DMDSC node in MOUNT meanwhile;
      // then the start that lost the race was refused, and the node is up all the same
      if (!p.dcrIni || !(await answers())) throw e;
      ctx.progress(`${p.instance} was started meanwhile (dmcss, 7.5.11)`);
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
