/**
 * A standby the spec marks `removed` leaves its running group. The seeds give no procedure for
 * it; this follows the one 7.10.4 gives for changing archive destinations online, with DM8's
 * `ALTER DATABASE DELETE ARCHIVELOG 'DEST=...'` (the DM8 SQL manual's ALTER DATABASE:
 * ADD|MODIFY|DELETE ARCHIVELOG, in MOUNT) in place of ADD (docs/manual-deviations.md L1):
 *   while it runs: detached and stopped through the monitor (§6.18; §4.4 items 43, 49);
 *   the monitor, the leaving standby's watcher, the standbys' watchers, the primary's stopped;
 *   every remaining member in MOUNT, the primary first; the leaving standby shut down normally;
 *   DELETE ARCHIVELOG of its destination on every remaining member;
 *   every member OPEN FORCE, the standbys first, the parameters put back, the watchers started;
 * the monitor step then writes dmmonitor.ini without its MON_DW_IP and starts the monitor. Its
 * MAL entry stays, in every member's memory and dmmal.ini: DM8 documents no online removal, and
 * every member must hold the same MAL configuration. Its data stays unless purgeData.
 */
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import { everyHost, type StepContext, type StepKindImpl } from '../context';
import { readDeployed } from '../deployed';
import { GroupSession } from '../group-session';
import { runMonitorCommands } from '../monitor-session';
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

/**
 * Where the leaving standby runs: as the deployed record has it (the spec's default paths may
 * have moved since, when another instance joined its host), else as the spec says.
 */
async function target(ctx: StepContext, step: LeaveStep) {
  const p = step.params;
  const was = (await readDeployed(ctx))?.instances.find((i) => i.instance === p.instance);
  if (!was?.iniPath)
    return {
      host: step.host,
      instance: p.instance,
      port: p.port,
      iniPath: p.iniPath,
      watcherIni: p.watcherIni,
      purge: p.purge,
    };
  const dir = path.dirname(was.iniPath);
  return {
    host: was.host,
    instance: p.instance,
    port: was.port,
    iniPath: was.iniPath,
    watcherIni: path.join(dir, 'dmwatcher.ini'),
    purge: p.purge ? dir : undefined,
  };
}

/**
 * What of the leaving standby is still there (its processes, the destinations sending to it, its
 * data), and whether the remaining members are settled: each answers, OPEN, its watcher running.
 */
async function left(ctx: StepContext, step: LeaveStep) {
  const p = step.params;
  const t = await target(ctx, step);
  // a cluster never recorded healthy (its first deploy): the standby was never built into it
  if (!(await readDeployed(ctx)))
    return {
      t,
      server: false,
      watcher: false,
      held: new Map<string, string[]>(),
      data: false,
      settled: true,
    };
  const r = new Remote(ctx, step, t.host);
  const server = (await r.pidsOf('dmserver', t.iniPath)).length > 0;
  const watcher = (await r.pidsOf('dmwatcher', t.watcherIni)).length > 0;
  const g = new GroupSession(ctx, step, p.group);
  const held = new Map<string, string[]>();
  let settled = true;
  const others = await remaining(ctx, step);
  for (const m of others) {
    const st = await g.at(m.host).instance(m.port);
    if (st?.status !== 'OPEN') settled = false;
    if (!st) continue;
    const dests = (await g.archives(m))
      .filter((a) => a.dest.split('/').includes(p.instance))
      .map((a) => a.dest);
    if (dests.length) held.set(m.instance, dests);
  }
  for (const w of g.watchers(others.map((m) => ({ ...m, mode: '', status: '' }))))
    if (!(await new Remote(ctx, w, w.host).pidsOf('dmwatcher', w.params.iniPath)).length) settled = false;
  const data = !!t.purge && (await ctx.ex.exists(t.host, t.purge));
  return { t, server, watcher, held, data, settled };
}

const done = (l: Awaited<ReturnType<typeof left>>) =>
  !l.server && !l.watcher && !l.held.size && !l.data && l.settled;

export const leave: StepKindImpl<LeaveStep> = {
  // every running member of the group, and the deployed record on every host
  hosts: (_step, plan) => everyHost(plan),
  timeoutMs: 30 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const l = await left(ctx, step);
    return done(l)
      ? `${step.params.instance} has left group ${step.params.group}${step.params.purge ? ', its data removed' : ' (its data is kept)'}`
      : undefined;
  },
  async act(ctx, step) {
    const p = step.params;
    const g = new GroupSession(ctx, step, p.group);
    const l = await left(ctx, step);
    const t = l.t;
    const r = new Remote(ctx, step, t.host);
    const recorded = await remaining(ctx, step);
    // after a switchover it may be the primary: never shut down here (preflight refuses it too)
    const mine = l.server ? await r.instance(t.port) : undefined;
    if (mine?.mode === 'PRIMARY')
      r.fail(
        `${p.instance} runs as PRIMARY`,
        '',
        `switch over to another member with dmmonitor first, make that the spec's primary, then apply again`,
      );
    if (!(await g.members(recorded)).some((m) => m.mode === 'PRIMARY'))
      r.fail(
        `no remaining member of ${p.group} runs as PRIMARY`,
        '',
        'a standby leaves a group with a running primary; bring the group back, then apply again',
      );
    const stop = async () => {
      await r.terminate(await r.pidsOf('dmwatcher', t.watcherIni), 'dmwatcher');
      await shutdownServer(r, t);
    };
    // §6.18, §4.4 items 43 and 49: detached (the primary's archive to it INVALID, its recovery
    // put off) and stopped through the monitor, so that nothing takes it for a failure; the plan's
    // monitoring-mode dmmonitor.ini for it still names its watcher
    const ini = p.monitoringIni;
    if (l.server && l.watcher && ini) {
      const db = `${p.group}.${p.instance}`;
      await runMonitorCommands(
        r,
        [`detach database ${db}`, `stop database ${db}`],
        `detach and stop it yourself from dmmonitor (login, detach database ${db}, stop database ${db}), then apply again`,
        ini,
      );
      ctx.progress(`${p.instance}: detached and stopped through the monitor (§6.18)`);
    }
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
      [{ host: t.host, iniPath: t.watcherIni }],
    );
    // nothing sends to it any more: whatever of it still runs stops
    await stop();
    if (t.purge && (await ctx.ex.exists(t.host, t.purge))) {
      await r.must(`rm -rf ${shQuote(t.purge)}`, `removing ${t.purge} failed`, 'check the permissions');
      ctx.progress(`removed ${t.purge} (purgeData)`);
    }
  },
  async verify(ctx, step) {
    const l = await left(ctx, step);
    if (!done(l))
      new Remote(ctx, step).fail(
        `${step.params.instance} has not left: ${[
          l.server ? 'its dmserver runs' : '',
          l.watcher ? 'its dmwatcher runs' : '',
          ...[...l.held].map(([m, d]) => `${m} still sends to ${d.join(', ')}`),
          l.data ? `${l.t.purge ?? ''} is still there` : '',
          l.settled ? '' : 'the remaining members are not all OPEN with their watchers running',
        ]
          .filter(Boolean)
          .join('; ')}`,
        '',
        'apply again',
      );
  },
};
