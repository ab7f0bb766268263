/**
 * A standby the spec marks `removed` leaves its running group. The seeds give no procedure for
 * it; this follows the one 7.10.4 gives for changing archive destinations online, with DM8's
 * `ALTER DATABASE DELETE ARCHIVELOG 'DEST=...'` (the DM8 SQL manual's ALTER DATABASE:
 * ADD|MODIFY|DELETE ARCHIVELOG, in MOUNT) in place of ADD (docs/manual-deviations.md L1):
 *   the monitor, the leaving standby's watcher, the standbys' watchers, the primary's stopped;
 *   every remaining member in MOUNT, the primary first; the leaving standby shut down normally;
 *   DELETE ARCHIVELOG of its destination on every remaining member;
 *   every member OPEN FORCE, the standbys first, the parameters put back, the watchers started;
 * the monitor step then writes dmmonitor.ini without its MON_DW_IP and starts the monitor. Its
 * MAL entry stays, in every member's memory and dmmal.ini: DM8 documents no online removal, and
 * every member must hold the same MAL configuration. Its data stays unless purgeData.
 */
import { shQuote } from '../../ssh';
import type { StepContext, StepKindImpl } from '../context';
import { readDeployed } from '../deployed';
import { GroupSession } from '../group-session';
import { Remote } from '../remote';
import { shutdownServer } from './server';
import type { StepOf } from './types';

type LeaveStep = StepOf<'leave'>;

/** The remaining members: the recorded ones of the group, or without a record the plan's. */
async function remaining(ctx: StepContext, step: LeaveStep) {
  const p = step.params;
  const record = await readDeployed(ctx);
  if (record) return record.instances.filter((i) => i.group === p.group && i.instance !== p.instance);
  const verify = ctx.plan.steps.find((s) => s.params.kind === 'verify');
  return verify?.params.kind === 'verify'
    ? (verify.params.groups.find((g) => g.name === p.group)?.databases ?? [])
    : [];
}

/** What of the leaving standby is still there: its processes, the destinations sending to it, its data. */
async function left(ctx: StepContext, step: LeaveStep) {
  const p = step.params;
  const r = new Remote(ctx, step);
  const server = (await r.pidsOf('dmserver', p.iniPath)).length > 0;
  const watcher = (await r.pidsOf('dmwatcher', p.watcherIni)).length > 0;
  const g = new GroupSession(ctx, step, p.group);
  const held = new Map<string, string[]>();
  for (const m of await remaining(ctx, step)) {
    // a member that does not answer holds nothing this step can see; the join/verify report it
    if (!(await g.at(m.host).instance(m.port))) continue;
    const dests = (await g.archives(m))
      .filter((a) => a.dest.split('/').includes(p.instance))
      .map((a) => a.dest);
    if (dests.length) held.set(m.instance, dests);
  }
  const data = !!p.purge && (await ctx.ex.exists(step.host, p.purge));
  return { server, watcher, held, data };
}

export const leave: StepKindImpl<LeaveStep> = {
  timeoutMs: 30 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const l = await left(ctx, step);
    return l.server || l.watcher || l.held.size || l.data
      ? undefined
      : `${step.params.instance} has left group ${step.params.group}${step.params.purge ? ', its data removed' : ' (its data is kept)'}`;
  },
  async act(ctx, step) {
    const p = step.params;
    const r = new Remote(ctx, step);
    const g = new GroupSession(ctx, step, p.group);
    const l = await left(ctx, step);
    const recorded = await remaining(ctx, step);
    const stop = async () => {
      await r.terminate(await r.pidsOf('dmwatcher', p.watcherIni), 'dmwatcher');
      await shutdownServer(r, p);
    };
    // the remaining members stop sending to it with every member in MOUNT (7.10.4's procedure)
    await g.inMount(
      recorded,
      l.held.size > 0,
      async (ms) => {
        await stop();
        ctx.progress(`${p.instance} shut down normally`);
        for (const m of ms)
          for (const dest of l.held.get(m.instance) ?? [])
            await g.sql(
              m,
              [`ALTER DATABASE DELETE ARCHIVELOG 'DEST=${dest}'`],
              `DELETE ARCHIVELOG DEST=${dest}`,
            );
        if (l.held.size)
          ctx.progress(`${[...l.held.keys()].join(', ')}: DELETE ARCHIVELOG of ${p.instance}'s destination`);
      },
      [{ host: step.host, iniPath: p.watcherIni }],
    );
    // nothing sends to it any more: whatever of it still runs stops
    await stop();
    if (p.purge && (await ctx.ex.exists(step.host, p.purge))) {
      await r.must(`rm -rf ${shQuote(p.purge)}`, `removing ${p.purge} failed`, 'check the permissions');
      ctx.progress(`removed ${p.purge} (purgeData)`);
    }
  },
  async verify(ctx, step) {
    const l = await left(ctx, step);
    if (l.server || l.watcher || l.held.size || l.data)
      new Remote(ctx, step).fail(
        `${step.params.instance} has not left: ${[
          l.server ? 'its dmserver runs' : '',
          l.watcher ? 'its dmwatcher runs' : '',
          ...[...l.held].map(([m, d]) => `${m} still sends to ${d.join(', ')}`),
          l.data ? `${step.params.purge ?? ''} is still there` : '',
        ]
          .filter(Boolean)
          .join('; ')}`,
        '',
        'apply again',
      );
  },
};
