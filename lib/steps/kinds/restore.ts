/**
 * 7.1.1: RESTORE the primary's backup set onto the standby, RECOVER it FOR STANDBY when 7.5.4
 * asks (a DMDSC primary's set), then RECOVER ... UPDATE DB_MAGIC; onto a DMDSC standby through
 * node 0's dcr_ini with every node stopped (7.5.1). Each stage is recorded on the host as it
 * finishes, so a run cut short never restores again what was restored.
 */
import { rman } from '../../dm';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { runRman, stoppedOrFail } from './dsc';
import { awaitInFlight } from './in-flight';
import type { StepOf } from './types';

const stage = (id: string, s: string) => `${id}#${s}`;

export const restore: StepKindImpl<StepOf<'restore'>> = {
  timeoutMs: 4 * 60 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    // never a second RESTORE over one an earlier, lost run left running
    const { iniPath, dcrIni } = step.params;
    await awaitInFlight(r, { tool: 'dmrman', iniPath, ...(dcrIni ? { dcrIni } : {}) }, this.timeoutMs);
    return (await r.hasRecord()) ? 'restored and DB_MAGIC updated' : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const run = (stmt: string, what: string) =>
      runRman(
        r,
        stmt,
        p.dcrIni,
        what,
        'read the message; check the backup set and the standby paths, then apply again',
        this.timeoutMs,
      );
    await stoppedOrFail(r, p.nodes ?? [{ ...p, host: step.host }], 'RESTORE (7.1.1)');
    if (!(await r.hasRecord(stage(step.id, 'restored')))) {
      await run(rman.restore(p.iniPath, p.backupDir), 'RESTORE DATABASE');
      await r.writeRecord(stage(step.id, 'restored'));
    }
    if (p.forStandby && !(await r.hasRecord(stage(step.id, 'recovered')))) {
      await run(rman.recover(p.iniPath, p.backupDir), 'RECOVER DATABASE ... FROM BACKUPSET');
      await r.writeRecord(stage(step.id, 'recovered'));
    }
    await run(rman.updateDbMagic(p.iniPath), 'RECOVER DATABASE ... UPDATE DB_MAGIC');
    await r.writeRecord();
  },
  async verify(ctx, step) {
    if (!(await new Remote(ctx, step).hasRecord()))
      new Remote(ctx, step).fail('restore not recorded', '', 'apply again');
  },
};
