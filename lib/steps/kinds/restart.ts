/**
 * §6.19's order for the members of a group whose running dmserver waits for a restart (a config
 * step wrote a file it reads only at its start; lib/steps/pending.ts):
 *   each waiting standby: its watcher stopped, a normal SHUTDOWN, started again in MOUNT, its
 *     watcher started; it is OPEN again and its primary's archive to it VALID before the next;
 *   the primary last: the confirm monitor and every watcher of the group stopped (the standbys'
 *     first, §6.4), so that nothing fails over; SHUTDOWN; started again in MOUNT; the watchers
 *     started (they open it, as 7.2.6 does), then the monitor.
 * A failure on the way starts the watchers and the monitor again before it is reported; a server
 * it left down (or started but not seen settled) is finished by the next apply.
 * `restarts: refuse` the step restarts nothing and says which members wait.
 */
import type { Step } from '../../plan';
import { ARCH_QUERY, parseArchives } from '../../dm';
import { everyHost, type StepContext, type StepKindImpl } from '../context';
import { clearPending, markStopping, pendingRestart } from '../pending';
import { Remote } from '../remote';
import { shutdownServer, startServer } from './server';
import { startWatcher } from './watcher';
import { pendingFiles } from './files';
import type { StepOf } from './types';

type RestartStep = StepOf<'restart'>;
type Member = RestartStep['params']['members'][number];

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
/** How long a restarted member may take to be OPEN with its archives VALID again. */
const SETTLE_MS = 5 * 60_000;

async function waiting(
  ctx: StepContext,
  step: RestartStep,
): Promise<{ m: Member; files: string[]; down: boolean; restarted: boolean }[]> {
  const out: { m: Member; files: string[]; down: boolean; restarted: boolean }[] = [];
  for (const m of step.params.members) {
    const p = await pendingRestart(new Remote(ctx, step, m.host), m.instance, m.iniPath);
    if (p) out.push({ m, files: p.files, down: p.state === 'down', restarted: p.state === 'restarted' });
  }
  return out;
}

const watchersOf = (ctx: StepContext, instances: readonly string[]) =>
  (ctx.plan.steps as Step[])
    .filter((s): s is StepOf<'watcher'> => s.params.kind === 'watcher')
    .filter((s) => s.params.instances.some((i) => instances.includes(i.instance)));

const confirmMonitors = (ctx: StepContext) =>
  (ctx.plan.steps as Step[]).filter(
    (s): s is StepOf<'monitor'> => s.params.kind === 'monitor' && s.params.confirm,
  );

/** The confirm monitors, where their dmmonitor.ini is as the plan renders it (else the monitor step's). */
async function startMonitors(ctx: StepContext): Promise<void> {
  for (const s of confirmMonitors(ctx)) {
    const r = new Remote(ctx, s, s.host);
    if ((await r.pidsOf('dmmonitor', s.params.iniPath)).length) continue;
    if ((await pendingFiles(r, s.params.files)).length) continue;
    await r.startConfirmMonitor(s.params.iniPath);
  }
}

async function stopWatchers(ctx: StepContext, ws: readonly StepOf<'watcher'>[]): Promise<void> {
  for (const w of ws) {
    const r = new Remote(ctx, w, w.host);
    await r.terminate(await r.pidsOf('dmwatcher', w.params.iniPath), 'dmwatcher');
  }
}

async function startWatchers(ctx: StepContext, ws: readonly StepOf<'watcher'>[]): Promise<void> {
  for (const w of ws) {
    const r = new Remote(ctx, w, w.host);
    if (!(await r.pidsOf('dmwatcher', w.params.iniPath)).length) await startWatcher(r, w.params);
  }
}

/** Waits (bounded) until `m` is OPEN and every archive the primary sends is VALID. */
async function settled(ctx: StepContext, step: RestartStep, m: Member): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  let last = '';
  for (;;) {
    const st = await new Remote(ctx, step, m.host).instance(m.port);
    let bad = st?.status === 'OPEN' ? '' : `${m.instance} is ${st ? st.status : 'not answering'}`;
    if (!bad)
      for (const p of step.params.members) {
        const ps = await new Remote(ctx, step, p.host).instance(p.port);
        if (ps?.mode !== 'PRIMARY') continue;
        const res = await new Remote(ctx, step, p.host).disql(p.port, [ARCH_QUERY], 30_000);
        const invalid = parseArchives(res.stdout).filter((a) => a.type !== 'LOCAL' && a.status !== 'VALID');
        if (res.exitCode !== 0 || ps.status !== 'OPEN' || invalid.length)
          bad = `${p.instance} is ${ps.status}${invalid.length ? `, archives ${invalid.map((a) => `${a.dest} ${a.status}`).join(', ')}` : ''}`;
      }
    if (!bad) return;
    last = bad;
    if (Date.now() > deadline)
      new Remote(ctx, step, m.host).fail(
        `after restarting ${m.instance}: ${last}, ${SETTLE_MS / 1000} s on`,
        '',
        'look at the watchers and the monitor (dmdeploy status); the group is running, apply again once it is healthy',
      );
    await sleep(1000);
  }
}

/**
 * SHUTDOWN, then dmserver in MOUNT again (the watchers open it, as they did when it was built).
 * The marker says "stopping" until the start succeeded: a run cut short in between finds the
 * member down and starts it.
 */
async function restartServer(ctx: StepContext, step: RestartStep, m: Member): Promise<void> {
  const r = new Remote(ctx, step, m.host);
  await markStopping(r, m.instance, m.iniPath);
  await shutdownServer(r, m);
  await startServer(r, m, { mount: true });
  // the marker stays ("restarted") until its watchers run and the group settled
}

export const restart: StepKindImpl<RestartStep> = {
  // every running member of the group, and the deployed record on every host
  hosts: (_step, plan) => everyHost(plan),
  timeoutMs: 60 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const w = await waiting(ctx, step);
    if (!w.length) return `no member of ${step.params.group} waits for a restart`;
    if (!step.params.rolling)
      return `${w.map(({ m, files }) => `${m.instance} waits for a restart to read ${files.join(', ')}`).join('; ')}; restarts: refuse, so none is restarted (restart them in §6.19's order, or set restarts: rolling)`;
    return undefined;
  },
  async act(ctx, step) {
    const w = await waiting(ctx, step);
    const members = step.params.members.map((x) => x.instance);
    const all = watchersOf(ctx, members);
    try {
      // a member an earlier run stopped and did not start again: started first, in MOUNT, with the
      // watchers and the monitor, as after its restart
      for (const { m, down } of w.filter((x) => x.down || x.restarted)) {
        const r = new Remote(ctx, step, m.host);
        if (down) await startServer(r, m, { mount: true });
        await startWatchers(ctx, all);
        await startMonitors(ctx);
        await settled(ctx, step, m);
        await clearPending(r, m.instance);
        ctx.progress(
          `${m.instance}, left ${down ? 'down' : 'unsettled'} by an earlier restart: running again; OPEN, its archives VALID`,
        );
      }
      const roles = new Map<string, string>();
      for (const { m } of w.filter((x) => !x.down && !x.restarted)) {
        const st = await new Remote(ctx, step, m.host).instance(m.port);
        if (!st)
          new Remote(ctx, step, m.host).fail(
            `${m.instance} does not answer on port ${m.port}`,
            '',
            'a rolling restart starts from a running group; bring it back, then apply again',
          );
        roles.set(m.instance, st?.mode ?? '');
      }
      const up = w.filter((x) => !x.down && !x.restarted);
      const standbys = up.filter(({ m }) => roles.get(m.instance) !== 'PRIMARY');
      const primary = up.filter(({ m }) => roles.get(m.instance) === 'PRIMARY');
      for (const { m, files } of standbys) {
        // the group in sync before each restart: never two members out of it at once
        await settled(ctx, step, m);
        const ws = watchersOf(ctx, [m.instance]);
        try {
          await stopWatchers(ctx, ws);
          await restartServer(ctx, step, m);
        } finally {
          await startWatchers(ctx, ws);
        }
        await settled(ctx, step, m);
        await clearPending(new Remote(ctx, step, m.host), m.instance);
        ctx.progress(`${m.instance} restarted to read ${files.join(', ')}; OPEN, its archive VALID`);
      }
      for (const { m, files } of primary) {
        await settled(ctx, step, m);
        const own = watchersOf(ctx, [m.instance]);
        try {
          // §6.4: the monitor, the standbys' watchers, then the primary's: nothing takes over
          for (const s of confirmMonitors(ctx)) {
            const r = new Remote(ctx, s, s.host);
            await r.terminate(await r.pidsOf('dmmonitor', s.params.iniPath), 'dmmonitor');
          }
          await stopWatchers(ctx, [...all.filter((x) => !own.includes(x)), ...own]);
          await restartServer(ctx, step, m);
        } finally {
          await startWatchers(ctx, [...own, ...all.filter((x) => !own.includes(x))]);
          await startMonitors(ctx);
        }
        await settled(ctx, step, m);
        await clearPending(new Remote(ctx, step, m.host), m.instance);
        ctx.progress(
          `${m.instance} (the primary) restarted to read ${files.join(', ')}; OPEN, its archives VALID`,
        );
      }
    } finally {
      // whatever stopped on the way runs again before anything is reported
      await startWatchers(ctx, all).catch((e: unknown) =>
        ctx.progress(`starting the watchers failed: ${String(e)}`),
      );
      await startMonitors(ctx).catch((e: unknown) =>
        ctx.progress(`starting the monitor failed: ${String(e)}`),
      );
    }
  },
  async verify(ctx, step) {
    const left = await waiting(ctx, step);
    if (left.length)
      new Remote(ctx, step, left[0]?.m.host).fail(
        `${left.map(({ m }) => m.instance).join(', ')} still wait for a restart`,
        '',
        'apply again',
      );
  },
};
