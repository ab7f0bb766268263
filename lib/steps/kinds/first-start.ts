/**
 * 7.1 (note): a new primary is started once normally and shut down normally before it is backed
 * up; a database that never had its first normal start refuses to start in MOUNT.
 */
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import type { StepOf } from './types';
import { shutdownServer, startServer } from './server';
import { writeFiles } from './files';

export const firstStart: StepKindImpl<StepOf<'first-start'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    if (await r.hasRecord()) return 'the first normal start and shutdown are done';
    // a server running that this step did not start is someone's database: never stop it here
    const ours = await r.hasRecord(`${step.id}#started`);
    if (!ours && (await r.pidsOf('dmserver', step.params.iniPath)).length)
      return 'dmserver is running (started outside this step): its first start is behind it';
    return undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    // a run cut short may have left our start up: then only the normal shutdown is owed
    if (!(await r.pidsOf('dmserver', p.iniPath)).length) {
      // DMDPC (003 7.2.5): the bootstrap member's LOCAL-only archive and ARCH_INI = 1 first
      if (p.dpc) await writeFiles(r, p.dpc.files);
      await r.writeRecord(`${step.id}#started`);
      await startServer(r, p, { mount: false, ...(p.dpc ? { dpcMode: p.dpc.mode } : {}) });
    }
    await shutdownServer(r, p);
    await r.writeRecord();
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    if ((await r.pidsOf('dmserver', step.params.iniPath)).length)
      r.fail(
        'dmserver still running after the first shutdown',
        '',
        'stop it normally (SHUTDOWN), then apply again',
      );
  },
};
