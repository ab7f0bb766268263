/**
 * 7.1.1: offline full backup of the primary with dmrman (the server is stopped); a DMDSC
 * database through `dmrman use_ap=2 dcr_ini=...` with every node stopped (7.5.3.3).
 */
import { shQuote } from '../../ssh';
import { rman } from '../../dm';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { runRman, stoppedOrFail } from './dsc';
import { shutdownServer } from './server';
import { awaitInFlight } from './in-flight';
import { readDeployed } from '../deployed';
import type { StepOf } from './types';

export const backup: StepKindImpl<StepOf<'backup'>> = {
  hosts: (step) => (step.params.nodes ?? []).map((n) => n.host),
  timeoutMs: 4 * 60 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    // never remove the directory of a BACKUP still running (act starts over in it)
    const { iniPath, dcrIni } = step.params;
    await awaitInFlight(r, { tool: 'dmrman', iniPath, ...(dcrIni ? { dcrIni } : {}) }, this.timeoutMs);
    if ((await r.hasRecord()) && (await ctx.ex.exists(step.host, step.params.backupDir)))
      return `backup set ${step.params.backupDir} exists`;
    // DMDPC: the set seeds its RAFT group once; its source runs as a member since, and is never
    // stopped for another backup (a removed set is not made again)
    if (step.params.useAp && (await r.hasRecord()))
      return `the set of ${step.params.instance} was made and its RAFT group built from it`;
    // the offline backup only seeds the first build's standbys: once the cluster was verified
    // healthy, a changed backup directory needs no new one (it would stop a running primary)
    if (await readDeployed(ctx)) return 'the cluster was built and verified; its standbys were restored';
    return undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    // DMDPC MP1 (003 7.3.5): exit it first; the probe keeps a formed group from this
    if (p.stopFirst) await shutdownServer(r, p);
    await stoppedOrFail(r, p.nodes ?? [{ ...p, host: step.host }], 'an offline backup (7.1.1, 7.5.3.3)');
    // a backup cut short leaves a partial set: dmrman refuses a non-empty directory, so start over
    await r.must(
      `rm -rf ${shQuote(p.backupDir)}`,
      'cannot remove the partial backup set',
      'remove it by hand',
    );
    await runRman(
      r,
      p.shadow
        ? rman.backupShadow(p.iniPath, p.backupName, p.backupDir)
        : rman.backup(p.iniPath, p.backupName, p.backupDir),
      p.dcrIni,
      p.shadow ? 'BACKUP DATABASE ... FULL SHADOW' : 'BACKUP DATABASE',
      'read the message; check the disk space under the backup directory, then apply again',
      this.timeoutMs,
      p.useAp,
    );
    await r.writeRecord();
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    const ls = await r.exec(`ls -1 ${shQuote(step.params.backupDir)}`);
    if (ls.exitCode !== 0 || !ls.stdout.trim())
      r.fail('the backup set is empty', ls.stderr, 'run the backup again: taint this step and apply');
  },
};
