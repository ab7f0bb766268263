/**
 * 7.1.1: RESTORE the primary's backup set onto the standby, RECOVER it FOR STANDBY when 7.5.4
 * asks (a DMDSC primary's set), then RECOVER ... UPDATE DB_MAGIC; onto a DMDSC standby through
 * node 0's dcr_ini with every node stopped (7.5.1). Each stage is recorded on the host as it
 * finishes, so a run cut short never restores again what was restored.
 */
import path from 'node:path/posix';
import { dmMessage, rman } from '../../dm';
import { shQuote } from '../../ssh';
import { joiningGroup, readDeployed } from '../deployed';
import { streamSet } from './copy-backup';
import { everyHost, type StepKindImpl } from '../context';
import { Remote } from '../remote';
import { runRman, stoppedOrFail } from './dsc';
import { awaitInFlight } from './in-flight';
import type { StepOf } from './types';

const stage = (id: string, s: string) => `${id}#${s}`;

/**
 * 7.9.1, 7.10.1, 7.11.1: a standby joining a running group. A fresh online BACKUP DATABASE on the member
 * that runs as PRIMARY now (a switchover may have moved it), the set streamed to this host, then
 * RESTORE, RECOVER ... FOR STANDBY (an online set must be recovered) and UPDATE DB_MAGIC. The set
 * is removed from both hosts once the database is restored.
 */
async function restoreOnline(
  r: Remote,
  step: StepOf<'restore'>,
  members: readonly { instance: string; host: string; port: number }[],
  timeoutMs: number,
): Promise<void> {
  const p = step.params;
  const dir = path.join(path.dirname(p.backupDir), `JOIN_${p.instance}`);
  // 7.11.1: onto a DMDSC standby through node 0's dcr_ini (dmrman use_ap=2)
  const rmanRun = (stmt: string, what: string) =>
    runRman(r, stmt, p.dcrIni, what, 'read the message; apply again to restore anew', timeoutMs);
  let source: string | undefined;
  if (!(await r.hasRecord(stage(step.id, 'copied')))) {
    let from: (typeof members)[number] | undefined;
    for (const m of members) {
      const st = await new Remote(r.ctx, step, m.host).instance(m.port);
      if (st?.mode === 'PRIMARY' && st.status === 'OPEN') from = m;
    }
    if (!from)
      return r.fail(
        `no member of ${p.join?.group ?? ''} is PRIMARY and OPEN to back up online`,
        '',
        'a standby joins a group with a running primary (7.10.1); bring the group back, then apply again',
      );
    source = from.host;
    const src = new Remote(r.ctx, step, from.host);
    await src.must(
      `rm -rf ${shQuote(dir)} && mkdir -p ${shQuote(path.dirname(dir))}`,
      `cannot prepare ${dir}`,
      'check the path and its owner',
    );
    // one online backup at a time on a host: two standbys may join in one apply
    const res = await src.disql(from.port, [`BACKUP DATABASE BACKUPSET '${dir}'`], timeoutMs, {
      lock: path.join(src.dmHome, 'dmdeploy', 'online-backup.lock'),
    });
    if (res.exitCode !== 0)
      src.fail(
        `online BACKUP DATABASE on ${from.instance} failed`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        'the primary must be OPEN with a LOCAL archive (7.1.2); apply again',
      );
    r.ctx.progress(`online backup of ${from.instance} to ${from.host}:${dir} (7.10.1)`);
    if (from.host !== r.host) {
      await r.must(`rm -rf ${shQuote(dir)}`, `cannot clear ${dir}`, 'check the path');
      await streamSet(r, from.host, dir);
    }
    await r.writeRecord(stage(step.id, 'copied'));
  }
  try {
    await stoppedOrFail(r, p.nodes ?? [{ ...p, host: step.host }], 'RESTORE (7.10.1, 7.11.1)');
    if (!(await r.hasRecord(stage(step.id, 'restored')))) {
      await rmanRun(rman.restore(p.iniPath, dir), 'RESTORE DATABASE');
      await r.writeRecord(stage(step.id, 'restored'));
    }
    if (!(await r.hasRecord(stage(step.id, 'recovered')))) {
      await rmanRun(rman.recover(p.iniPath, dir), 'RECOVER DATABASE ... FOR STANDBY FROM BACKUPSET');
      await r.writeRecord(stage(step.id, 'recovered'));
    }
  } catch (e) {
    // the next apply takes a fresh online backup and restores from it anew: a set that failed
    // once, or one grown old, is not used again
    await r.removeRecord(stage(step.id, 'restored'));
    await r.removeRecord(stage(step.id, 'copied'));
    throw e;
  }
  await rmanRun(rman.updateDbMagic(p.iniPath), 'RECOVER DATABASE ... UPDATE DB_MAGIC');
  await r.writeRecord();
  // the set has served: removed where it was made and here
  for (const h of new Set([r.host, ...(source ? [source] : members.map((m) => m.host))]))
    await new Remote(r.ctx, step, h).exec(`rm -rf ${shQuote(dir)}`);
}

export const restore: StepKindImpl<StepOf<'restore'>> = {
  // a DMDSC standby's nodes; a joining standby's running group and the deployed record
  hosts: (step, plan) => [
    ...(step.params.nodes ?? []).map((n) => n.host),
    ...(step.params.join ? everyHost(plan) : []),
  ],
  timeoutMs: 4 * 60 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    // never a second RESTORE over one an earlier, lost run left running
    const { iniPath, dcrIni } = step.params;
    await awaitInFlight(r, { tool: 'dmrman', iniPath, ...(dcrIni ? { dcrIni } : {}) }, this.timeoutMs);
    if (await r.hasRecord()) return 'restored and DB_MAGIC updated';
    // a member of the deployed cluster is never restored again (after a switchover the spec's
    // roles change, and with them which member's steps restore)
    if ((await readDeployed(ctx))?.instances.some((i) => i.instance === step.params.instance))
      return `${step.params.instance} is a member of the deployed cluster: it is never restored again`;
    return undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const members = p.join && (await joiningGroup(ctx, p.join.group, p.instance));
    if (members) return restoreOnline(r, step, members, this.timeoutMs);
    const run = (stmt: string, what: string) =>
      runRman(
        r,
        stmt,
        p.dcrIni,
        what,
        'read the message; check the backup set and the standby paths, then apply again',
        this.timeoutMs,
        p.useAp,
      );
    await stoppedOrFail(r, p.nodes ?? [{ ...p, host: step.host }], 'RESTORE (7.1.1)');
    if (!(await r.hasRecord(stage(step.id, 'restored')))) {
      await run(
        p.shadow ? rman.restoreShadow(p.iniPath, p.backupDir) : rman.restore(p.iniPath, p.backupDir),
        p.shadow ? 'RESTORE DATABASE ... TO SHADOW' : 'RESTORE DATABASE',
      );
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
