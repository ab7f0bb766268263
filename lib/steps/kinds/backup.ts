/** 7.1.1: offline full backup of the primary with dmrman (the server is stopped). */
import { shQuote } from '../../ssh';
import { rman } from '../../dm';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import type { StepOf } from './types';

export const backup: StepKindImpl<StepOf<'backup'>> = {
  timeoutMs: 4 * 60 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    if ((await r.hasRecord()) && (await ctx.ex.exists(step.host, step.params.backupDir)))
      return `backup set ${step.params.backupDir} exists`;
    return undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    if ((await r.pidsOf('dmserver', p.iniPath)).length)
      r.fail(
        'the primary is running',
        '',
        'an offline backup (7.1.1) needs dmserver stopped: stop it normally and apply again',
      );
    // a backup cut short leaves a partial set: dmrman refuses a non-empty directory, so start over
    await r.must(
      `rm -rf ${shQuote(p.backupDir)}`,
      'cannot remove the partial backup set',
      'remove it by hand',
    );
    const res = await r.must(
      `${shQuote(r.bin('dmrman'))} ${shQuote(`CTLSTMT=${rman.backup(p.iniPath, p.backupName, p.backupDir)}`)}`,
      'BACKUP DATABASE failed',
      'read the message; check the disk space under the backup directory, then apply again',
      { timeoutMs: this.timeoutMs },
    );
    ctx.progress(res.stdout.trim().split('\n').slice(-1)[0] ?? 'backup done');
    await r.writeRecord();
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    const ls = await r.exec(`ls -1 ${shQuote(step.params.backupDir)}`);
    if (ls.exitCode !== 0 || !ls.stdout.trim())
      r.fail('the backup set is empty', ls.stderr, 'run the backup again: taint this step and apply');
  },
};
