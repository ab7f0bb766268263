/**
 * Working on every member of a data-guard group at once (each must be running), as 7.9.4 and
 * 7.10.4 do to change archive destinations online: every running monitor of the plan's files and
 * the watchers stopped (the standbys' first), every member in MOUNT (the primary first), the
 * statements, every member OPEN FORCE again (the standbys first) with ALTER_MODE_STATUS and
 * DW_INACTIVE_INTERVAL put back, the watchers started, and a confirm monitor whose dmmonitor.ini
 * did not change (a changed one is the monitor step's); then the files, where held. A failure on the way still brings the group back before it is reported. Used
 * by the join of a new standby (7.10) and the leave of a removed one.
 */
import { bareRows, dmMessage } from '../dm';
import type { Step, StepFile } from '../plan';
import { parseIni } from '../render/ini';
import type { StepContext } from './context';
import { Remote } from './remote';
import { pendingFiles, writeFiles } from './kinds/files';
import { startWatcher } from './kinds/watcher';
import { markPending, serverProcess } from './pending';
import type { StepOf } from './kinds/types';

export interface Member {
  instance: string;
  host: string;
  port: number;
  mode: string;
  status: string;
}

type Recorded = { instance: string; host: string; port: number };

/** The files the plan's config step of `instance` writes. */
export function configFiles(ctx: StepContext, instance: string): StepFile[] {
  for (const s of ctx.plan.steps)
    if (s.params.kind === 'config' && s.params.instance === instance) return s.params.files;
  return [];
}

export const fileOf = (ctx: StepContext, instance: string, role: string) =>
  configFiles(ctx, instance).find((f) => f.role === role);

/** A dm.ini setting as the plan merges it into `instance`'s dm.ini, else DM's default (§5.1). */
function dmIniValue(ctx: StepContext, instance: string, key: string, dflt: number): number {
  const ini = fileOf(ctx, instance, 'dm.ini');
  const v = ini ? parseIni(ini.content).globals.find(([k]) => k === key)?.[1] : undefined;
  return v === undefined ? dflt : Number(v);
}

/** The MAL instances a dmmal.ini names, or the archive destinations a dmarch.ini names. */
function namesIn(f: StepFile): string[] {
  return parseIni(f.content).sections.flatMap((s) =>
    s.entries.flatMap(([k, v]) =>
      (f.role === 'dmmal.ini' && k === 'MAL_INST_NAME') || (f.role === 'dmarch.ini' && k === 'ARCH_DEST')
        ? [v]
        : [],
    ),
  );
}

/** The standbys that join or leave their group in this plan (their steps change the lists online). */
export function movingMembers(ctx: StepContext): Set<string> {
  return new Set(
    ctx.plan.steps.flatMap((s) =>
      s.params.kind === 'join'
        ? s.params.join.instances
        : s.params.kind === 'leave' || s.params.kind === 'dcp-retire'
          ? [s.params.instance]
          : [],
    ),
  );
}

/**
 * The async and sync standbys that join in this plan: the archive destinations to them are not
 * added online, the members read them when they restart (restarts: rolling; 7.6.2, 7.7.2).
 */
export function restartJoiners(ctx: StepContext): Set<string> {
  return new Set(
    ctx.plan.steps.flatMap((s) =>
      s.params.kind === 'join' && s.params.join.restart ? s.params.join.instances : [],
    ),
  );
}

/**
 * Of `instance`'s rendered dmmal.ini and dmarch.ini, those whose names (MAL instances, archive
 * destinations) differ from what its running server (on `port`) holds by a member in `moving`,
 * and those members: written now, they would say what the server does not do until the join or
 * leave has changed it online (7.10.3-7.10.4).
 */
export async function unlike(
  r: Remote,
  instance: string,
  port: number,
  moving: ReadonlySet<string>,
): Promise<{ files: StepFile[]; names: string[] }> {
  const files = configFiles(r.ctx, instance).filter((f) => f.role === 'dmmal.ini' || f.role === 'dmarch.ini');
  const out: StepFile[] = [];
  const names = new Set<string>();
  const held = async (q: string): Promise<Set<string>> => {
    const res = await r.disql(port, [q], 30_000);
    // unknown is not alike: a file is never written ahead of what the server does
    if (res.exitCode !== 0)
      r.fail(
        `${q} on ${instance} failed`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        `the running server must answer to tell whether its dmmal.ini and dmarch.ini may be written; check it, then apply again`,
      );
    return new Set(bareRows(res.stdout).map((row) => row.join(' ')));
  };
  const malQuery = 'SELECT MAL_INST_NAME FROM V$DM_MAL_INI';
  for (const f of files) {
    const q = f.role === 'dmmal.ini' ? malQuery : 'SELECT ARCH_DEST FROM V$DM_ARCH_INI';
    const has = await held(q);
    const named = new Set(namesIn(f));
    // an async or sync standby's archive destination waits for the restart: written once the
    // server's MAL holds the standby (every ARCH_DEST names a MAL instance, §5.3), with the marker
    const joiners = f.role === 'dmarch.ini' ? restartJoiners(r.ctx) : new Set<string>();
    const mal = joiners.size ? await held(malQuery) : new Set<string>();
    const waits = new Set([...joiners].filter((j) => mal.has(j)));
    const differ = [...[...named].filter((n) => !has.has(n)), ...[...has].filter((n) => !named.has(n))]
      .flatMap((n) => n.split('/'))
      .filter((n) => moving.has(n) && !waits.has(n));
    if (differ.length) out.push(f);
    for (const n of differ) names.add(n);
  }
  return { files: out, names: [...names].sort() };
}

/** Writes `instance`'s dmmal.ini and dmarch.ini as rendered, where its server holds what they name. */
export async function writeSettledFiles(r: Remote, instance: string, port: number): Promise<void> {
  const left = (await unlike(r, instance, port, movingMembers(r.ctx))).files;
  const files = configFiles(r.ctx, instance).filter(
    (f) => (f.role === 'dmmal.ini' || f.role === 'dmarch.ini') && !left.includes(f),
  );
  // a destination to an async or sync standby is read when the server restarts (restarts:
  // rolling): marked as waiting before the file is written, as the config step marks its files
  const joiners = restartJoiners(r.ctx);
  const waiting = (await pendingFiles(r, files)).filter(
    (f) => f.role === 'dmarch.ini' && namesIn(f).some((n) => n.split('/').some((x) => joiners.has(x))),
  );
  const dmIni = fileOf(r.ctx, instance, 'dm.ini')?.path;
  if (waiting.length && dmIni)
    await markPending(
      r,
      instance,
      dmIni,
      await serverProcess(r, dmIni),
      waiting.map((f) => f.path),
    );
  await writeFiles(r, files);
  if (left.length)
    r.ctx.progress(
      `${left.map((f) => f.path).join(', ')} on ${r.host}: left for the next join or leave, which changes what they name`,
    );
}

export class GroupSession {
  constructor(
    readonly ctx: StepContext,
    readonly step: Step,
    readonly group: string,
  ) {}

  at(host: string): Remote {
    return new Remote(this.ctx, this.step, host);
  }

  /** Run statements on a member, failing with the member's host, the statement and DM's message. */
  async sql(m: Recorded, statements: string[], what: string): Promise<string> {
    const r = this.at(m.host);
    const res = await r.disql(m.port, statements, 120_000);
    if (res.exitCode !== 0)
      r.fail(
        `${what} on ${m.instance} failed`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        'read the message; apply again to resume where it stopped',
      );
    return res.stdout;
  }

  async rows(m: Recorded, query: string): Promise<string[][]> {
    return bareRows(await this.sql(m, [query], query));
  }

  /** Every recorded member of the group, as V$INSTANCE shows it now: each must answer. */
  async members(recorded: readonly Recorded[]): Promise<Member[]> {
    return Promise.all(
      recorded.map(async (i) => {
        const st = await this.at(i.host).instance(i.port);
        if (!st)
          return this.at(i.host).fail(
            `${i.instance} on ${i.host} does not answer on port ${i.port}`,
            '',
            `the group's archive lists change online through every running member (7.10.3-7.10.4); start ${i.instance}, then apply again`,
          );
        return { instance: i.instance, host: i.host, port: i.port, mode: st.mode, status: st.status };
      }),
    );
  }

  async malNames(m: Recorded): Promise<{ sections: string[]; names: string[] }> {
    const rows = (await this.rows(m, 'SELECT MAL_NAME, MAL_INST_NAME FROM V$DM_MAL_INI')).filter(
      (r) => r.length >= 2,
    );
    return { sections: rows.map((r) => (r[0] ?? '').toUpperCase()), names: rows.map((r) => r[1] ?? '') };
  }

  async archives(m: Recorded): Promise<{ type: string; dest: string }[]> {
    return (await this.rows(m, 'SELECT ARCH_TYPE, ARCH_DEST FROM V$DM_ARCH_INI'))
      .filter((r) => r.length >= 2 && /^(REALTIME|TIMELY|ASYNC|SYNC|LOCAL|REMOTE)$/.test(r[0] ?? ''))
      .map(([type, dest]) => ({ type: type ?? '', dest: dest ?? '' }));
  }

  /** The watcher steps of the plan that guard a member, the standbys' first (7.10.4 item 1). */
  watchers(members: readonly Member[]): StepOf<'watcher'>[] {
    const primary = members.find((m) => m.mode === 'PRIMARY')?.instance;
    const ours = new Set(members.map((m) => m.instance));
    return (this.ctx.plan.steps as Step[])
      .filter((s): s is StepOf<'watcher'> => s.params.kind === 'watcher')
      .filter((s) => s.params.instances.some((i) => ours.has(i.instance)))
      .sort(
        (a, b) =>
          Number(a.params.instances.some((i) => i.instance === primary)) -
          Number(b.params.instances.some((i) => i.instance === primary)),
      );
  }

  monitors(): StepOf<'monitor'>[] {
    return (this.ctx.plan.steps as Step[]).filter((s): s is StepOf<'monitor'> => s.params.kind === 'monitor');
  }

  /** 7.10.4 item 4: OPEN FORCE where in MOUNT, the standbys first; the parameters put back. */
  async reopen(recorded: readonly Recorded[]): Promise<void> {
    const members = await this.members(recorded);
    for (const m of [
      ...members.filter((x) => x.mode !== 'PRIMARY'),
      ...members.filter((x) => x.mode === 'PRIMARY'),
    ]) {
      if (m.status === 'MOUNT')
        await this.sql(m, ['ALTER DATABASE OPEN FORCE'], 'OPEN FORCE (7.10.4 item 4)');
      await this.sql(
        m,
        [
          `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', ${dmIniValue(this.ctx, m.instance, 'ALTER_MODE_STATUS', 1)})`,
          `SP_SET_PARA_VALUE(1, 'DW_INACTIVE_INTERVAL', ${dmIniValue(this.ctx, m.instance, 'DW_INACTIVE_INTERVAL', 60)})`,
        ],
        'ALTER_MODE_STATUS and DW_INACTIVE_INTERVAL put back (7.10.4 item 4)',
      );
    }
    this.ctx.progress(`${this.group}: every member OPEN, its parameters as the spec has them`);
  }

  /**
   * 7.10.4 items 1-4 around `change`, which runs with every member in MOUNT (the primary first);
   * `extraWatchers` are stopped too and not started again (a leaving standby's). Skipped when
   * `needed` is false and every member is OPEN. Then the files as rendered, where each server
   * holds what they name.
   */
  async inMount(
    recorded: readonly Recorded[],
    needed: boolean,
    change: (members: readonly Member[]) => Promise<void>,
    extraWatchers: { host: string; iniPath: string }[] = [],
  ): Promise<void> {
    const ctx = this.ctx;
    const members = await this.members(recorded);
    const stoppedMonitors: StepOf<'monitor'>[] = [];
    let failure: unknown;
    try {
      if (needed || members.some((m) => m.status !== 'OPEN')) {
        // item 1: the monitor, the standbys' watchers, then the primary's watcher
        for (const s of this.monitors()) {
          const r = new Remote(ctx, s, s.host);
          const pids = await r.pidsOf('dmmonitor', s.params.iniPath);
          if (pids.length) {
            await r.terminate(pids, 'dmmonitor');
            stoppedMonitors.push(s);
          }
        }
        for (const w of extraWatchers) {
          const r = this.at(w.host);
          await r.terminate(await r.pidsOf('dmwatcher', w.iniPath), 'dmwatcher');
        }
        for (const w of this.watchers(members)) {
          const r = new Remote(ctx, w, w.host);
          await r.terminate(await r.pidsOf('dmwatcher', w.params.iniPath), 'dmwatcher');
        }
        ctx.progress(`${this.group}: monitor and watchers stopped (7.10.4 item 1)`);
        // item 2: MOUNT, the primary first, or the primary may hang waiting for its standbys
        const primary = members.filter((m) => m.mode === 'PRIMARY');
        const standbys = members.filter((m) => m.mode !== 'PRIMARY');
        for (const m of [...primary, ...standbys])
          await this.sql(
            m,
            [
              `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
              `SP_SET_PARA_VALUE(1, 'DW_INACTIVE_INTERVAL', 0)`,
              ...(m.status === 'MOUNT' ? [] : ['ALTER DATABASE MOUNT']),
            ],
            'MOUNT to change the archive lists (7.10.4 item 2)',
          );
        // item 3
        await change(members);
      }
    } catch (e) {
      failure = e;
    }
    // item 4, and whatever failed above: every member OPEN again (the standbys first), the
    // parameters back as the spec has them, the watchers running; a failure never leaves the
    // group in MOUNT without its watchers
    try {
      await this.reopen(recorded);
      for (const w of this.watchers(members)) {
        const r = new Remote(ctx, w, w.host);
        if (!(await r.pidsOf('dmwatcher', w.params.iniPath)).length) await startWatcher(r, w.params);
      }
    } catch (e) {
      if (!failure) failure = e;
      else ctx.progress(`bringing ${this.group} back failed too: ${(e as Error).message}`);
    }
    for (const s of stoppedMonitors) {
      const r = new Remote(ctx, s, s.host);
      // a changed dmmonitor.ini (MON_DW_IP) is the monitor step's, which starts it after; after a
      // failure the monitor runs again on the file it had
      if (s.params.confirm && (failure || !(await pendingFiles(r, s.params.files)).length))
        await r.startConfirmMonitor(s.params.iniPath);
    }
    if (failure) throw failure;
    for (const m of members) await writeSettledFiles(this.at(m.host), m.instance, m.port);
  }
}
