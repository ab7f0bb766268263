/**
 * 7.9.3-7.9.6 and 7.10.3-7.10.6: a standby joins a group that already runs. Before this step the
 * new standby was restored from a fresh online backup of the primary, configured, started in
 * MOUNT and made STANDBY (7.10.1-7.10.2.7). This step then, on every running member:
 *   SF_MAL_CONFIG(1,0), SF_MAL_INST_ADD, SF_MAL_CONFIG_APPLY, SF_MAL_CONFIG(0,0)   (7.10.3)
 *   the monitor, the standbys' watchers, the primary's watcher stopped            (7.10.4 item 1)
 *   ALTER_MODE_STATUS 1, DW_INACTIVE_INTERVAL 0, MOUNT: the primary first         (7.10.4 item 2)
 *   ALTER DATABASE ADD ARCHIVELOG 'DEST=<new>, TYPE=<REALTIME|TIMELY>'            (7.10.4 item 3)
 *   OPEN FORCE, the parameters put back: the standbys first                       (7.10.4 item 4)
 * then writes each member's dmmal.ini and dmarch.ini as rendered (what the server now holds) and
 * starts the watchers again; the monitor step writes dmmonitor.ini with the new MON_DW_IP and
 * starts the confirm monitor (7.10.5-7.10.6). Every stage probes first, so a run cut short
 * resumes. A standby built with its group has nothing to do here.
 */
import { bareRows, dmMessage } from '../../dm';
import type { Step, StepFile } from '../../plan';
import { parseIni } from '../../render/ini';
import type { StepContext, StepKindImpl } from '../context';
import { joiningGroup } from '../deployed';
import { Remote } from '../remote';
import { pendingFiles, writeFiles } from './files';
import { startWatcher } from './watcher';
import type { StepOf } from './types';

type JoinStep = StepOf<'join'>;

interface Member {
  instance: string;
  host: string;
  port: number;
  mode: string;
  status: string;
}

/** The files the plan's config step of `instance` writes. */
function configFiles(ctx: StepContext, instance: string): StepFile[] {
  for (const s of ctx.plan.steps)
    if (s.params.kind === 'config' && s.params.instance === instance) return s.params.files;
  return [];
}

const fileOf = (ctx: StepContext, instance: string, role: string) =>
  configFiles(ctx, instance).find((f) => f.role === role);

/** A dm.ini setting as the plan merges it into `instance`'s dm.ini, else DM's default (§5.1). */
function dmIniValue(ctx: StepContext, instance: string, key: string, dflt: number): number {
  const ini = fileOf(ctx, instance, 'dm.ini');
  const v = ini ? parseIni(ini.content).globals.find(([k]) => k === key)?.[1] : undefined;
  return v === undefined ? dflt : Number(v);
}

/** The joining instance's own MAL entry, from its rendered dmmal.ini (7.10.2.2). */
function malEntry(ctx: StepContext, step: JoinStep): { section: string; get: (k: string) => string } {
  const mal = fileOf(ctx, step.params.instance, 'dmmal.ini');
  const s =
    mal &&
    parseIni(mal.content).sections.find((x) =>
      x.entries.some(([k, v]) => k === 'MAL_INST_NAME' && v === step.params.instance),
    );
  if (!s) throw new Error(`${step.id}: the plan renders no dmmal.ini entry for ${step.params.instance}`);
  return { section: s.name, get: (k) => s.entries.find(([key]) => key === k)?.[1] ?? '' };
}

/** The archive destinations `member`'s rendered dmarch.ini sends to the joining instance. */
function archivesTo(ctx: StepContext, member: string, joining: string): { type: string; dest: string }[] {
  const arch = fileOf(ctx, member, 'dmarch.ini');
  if (!arch) return [];
  return parseIni(arch.content).sections.flatMap((s) => {
    const get = (k: string) => s.entries.find(([key]) => key === k)?.[1] ?? '';
    return get('ARCH_DEST').split('/').includes(joining)
      ? [{ type: get('ARCH_TYPE'), dest: get('ARCH_DEST') }]
      : [];
  });
}

/** The MAL instances and archive destinations a dmmal.ini or dmarch.ini names. */
function namesIn(f: StepFile): string[] {
  return parseIni(f.content).sections.flatMap((s) =>
    s.entries.flatMap(([k, v]) =>
      (f.role === 'dmmal.ini' && k === 'MAL_INST_NAME') || (f.role === 'dmarch.ini' && k === 'ARCH_DEST')
        ? [v]
        : [],
    ),
  );
}

/**
 * Of `instance`'s rendered dmmal.ini and dmarch.ini, those that name a MAL instance or an
 * archive destination its running server (on `port`) does not hold, and those names: written
 * now, they would say what the server does not do (a standby that has not joined, 7.10.3-7.10.4).
 */
export async function notHeld(
  r: Remote,
  instance: string,
  port: number,
): Promise<{ files: StepFile[]; names: string[] }> {
  const files = configFiles(r.ctx, instance).filter((f) => f.role === 'dmmal.ini' || f.role === 'dmarch.ini');
  const out: StepFile[] = [];
  const names = new Set<string>();
  for (const f of files) {
    const q =
      f.role === 'dmmal.ini'
        ? 'SELECT MAL_INST_NAME FROM V$DM_MAL_INI'
        : 'SELECT ARCH_DEST FROM V$DM_ARCH_INI';
    const res = await r.disql(port, [q], 30_000);
    if (res.exitCode !== 0) continue;
    const held = new Set(bareRows(res.stdout).map((row) => row.join(' ')));
    const missing = namesIn(f).filter((n) => !held.has(n));
    if (missing.length) out.push(f);
    for (const n of missing) names.add(n);
  }
  return { files: out, names: [...names].sort() };
}

/** Writes `instance`'s dmmal.ini and dmarch.ini as rendered, where its server holds what they name. */
async function writeHeldFiles(r: Remote, instance: string, port: number): Promise<void> {
  const unheld = (await notHeld(r, instance, port)).files;
  const files = configFiles(r.ctx, instance).filter(
    (f) => (f.role === 'dmmal.ini' || f.role === 'dmarch.ini') && !unheld.includes(f),
  );
  await writeFiles(r, files);
  if (unheld.length)
    r.ctx.progress(
      `${unheld.map((f) => f.path).join(', ')} on ${r.host}: left for the next join, which adds what they name`,
    );
}

const sqlString = (v: string) => `'${v.replace(/'/g, "''")}'`;

class Join {
  constructor(
    private readonly ctx: StepContext,
    private readonly step: JoinStep,
  ) {}

  private at(host: string): Remote {
    return new Remote(this.ctx, this.step as Step, host);
  }

  /** Run statements on a member, failing with the member's host, the statement and DM's message. */
  async sql(m: Member, statements: string[], what: string): Promise<string> {
    const r = this.at(m.host);
    const res = await r.disql(m.port, statements, 120_000);
    if (res.exitCode !== 0)
      r.fail(
        `${what} on ${m.instance} failed`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        'read the message; apply again to resume the join where it stopped',
      );
    return res.stdout;
  }

  private async rows(m: Member, query: string): Promise<string[][]> {
    return bareRows(await this.sql(m, [query], query));
  }

  /** Every recorded member of the group, as V$INSTANCE shows it now: each must answer. */
  async members(recorded: { instance: string; host: string; port: number }[]): Promise<Member[]> {
    return Promise.all(
      recorded.map(async (i) => {
        const st = await this.at(i.host).instance(i.port);
        if (!st)
          return this.at(i.host).fail(
            `${i.instance} on ${i.host} does not answer on port ${i.port}`,
            '',
            `a standby joins a running group through every member (7.10.3); start ${i.instance}, then apply again`,
          );
        return { ...i, mode: st.mode, status: st.status };
      }),
    );
  }

  async malNames(m: Member): Promise<{ sections: string[]; names: string[] }> {
    const rows = (await this.rows(m, 'SELECT MAL_NAME, MAL_INST_NAME FROM V$DM_MAL_INI')).filter(
      (r) => r.length >= 2,
    );
    return { sections: rows.map((r) => (r[0] ?? '').toUpperCase()), names: rows.map((r) => r[1] ?? '') };
  }

  async archives(m: Member): Promise<{ type: string; dest: string }[]> {
    return (await this.rows(m, 'SELECT ARCH_TYPE, ARCH_DEST FROM V$DM_ARCH_INI'))
      .filter((r) => r.length >= 2 && /^(REALTIME|TIMELY|ASYNC|SYNC|LOCAL|REMOTE)$/.test(r[0] ?? ''))
      .map(([type, dest]) => ({ type: type ?? '', dest: dest ?? '' }));
  }

  /** 7.10.3: the new MAL entry, in memory and in dmmal.ini, on one running member. */
  async addMal(m: Member): Promise<void> {
    const p = this.step.params;
    const { sections, names } = await this.malNames(m);
    // present: added by this join before it was cut short, perhaps inside SF_MAL_CONFIG(1,0)
    if (names.includes(p.instance)) {
      await this.sql(m, ['SF_MAL_CONFIG(0,0)'], 'SF_MAL_CONFIG(0,0) (7.10.3)');
      return;
    }
    const e = malEntry(this.ctx, this.step);
    // the rendered section name, unless the member's own list already uses it
    let section = e.section.toUpperCase();
    for (let n = sections.length + 1; sections.includes(section); n++) section = `MAL_INST${n}`;
    const args = [
      sqlString(section),
      sqlString(p.instance),
      sqlString(e.get('MAL_HOST')),
      e.get('MAL_PORT'),
      sqlString(e.get('MAL_INST_HOST') || e.get('MAL_HOST')),
      e.get('MAL_INST_PORT'),
      e.get('MAL_DW_PORT'),
      e.get('MAL_LINK_MAGIC') || '0',
      e.get('MAL_INST_DW_PORT'),
    ];
    await this.sql(
      m,
      [
        'SF_MAL_CONFIG(1,0)',
        `SF_MAL_INST_ADD(${args.join(',')})`,
        'SF_MAL_CONFIG_APPLY()',
        'SF_MAL_CONFIG(0,0)',
      ],
      `SF_MAL_INST_ADD of ${p.instance} (7.10.3)`,
    );
    this.ctx.progress(`${m.instance}: MAL entry of ${p.instance} added online (SF_MAL_CONFIG_APPLY)`);
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

  /** 7.10.4 item 4: OPEN FORCE where in MOUNT, the standbys first; the parameters put back. */
  async reopen(recorded: { instance: string; host: string; port: number }[]): Promise<void> {
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
    this.ctx.progress(
      `${this.step.params.join.group}: every member OPEN, its parameters as the spec has them`,
    );
  }

  monitors(): StepOf<'monitor'>[] {
    return (this.ctx.plan.steps as Step[]).filter((s): s is StepOf<'monitor'> => s.params.kind === 'monitor');
  }
}

export const join: StepKindImpl<JoinStep> = {
  timeoutMs: 30 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const members = await joiningGroup(ctx, step.params.join.group, step.params.instance);
    return members
      ? undefined
      : `${step.params.instance} is built with group ${step.params.join.group}, or already joined it: nothing to add online`;
  },
  async act(ctx, step) {
    const p = step.params;
    const recorded = (await joiningGroup(ctx, p.join.group, p.instance)) ?? [];
    const j = new Join(ctx, step);
    const members = await j.members(recorded);
    if (!members.some((m) => m.mode === 'PRIMARY'))
      new Remote(ctx, step).fail(
        `no member of ${p.join.group} runs as PRIMARY`,
        '',
        'a standby joins a group with a running primary (7.10); bring the group back, then apply again',
      );
    const mine = await new Remote(ctx, step).instance(p.port);
    if (mine?.mode !== 'STANDBY')
      new Remote(ctx, step).fail(
        `${p.instance} is not a STANDBY in MOUNT (${mine ? `${mine.mode}/${mine.status}` : 'it does not answer'})`,
        '',
        'its mode step makes it one (7.10.2.5-7.10.2.7); apply again',
      );

    // 7.10.3: the MAL entry on every running member, each on its own
    for (const m of members) await j.addMal(m);

    const missing = new Map<string, { type: string; dest: string }[]>();
    for (const m of members) {
      const have = await j.archives(m);
      const want = archivesTo(ctx, m.instance, p.instance).filter(
        (a) => !have.some((h) => h.type === a.type && h.dest === a.dest),
      );
      if (want.length) missing.set(m.instance, want);
    }
    const primary = members.filter((m) => m.mode === 'PRIMARY');
    const standbys = members.filter((m) => m.mode !== 'PRIMARY');
    const stoppedMonitors: StepOf<'monitor'>[] = [];
    let failure: unknown;
    try {
      if (missing.size || members.some((m) => m.status !== 'OPEN')) {
        // 7.10.4 item 1: the monitor, the standbys' watchers, then the primary's watcher
        for (const s of j.monitors()) {
          const r = new Remote(ctx, s, s.host);
          const pids = await r.pidsOf('dmmonitor', s.params.iniPath);
          if (pids.length) {
            await r.terminate(pids, 'dmmonitor');
            stoppedMonitors.push(s);
          }
        }
        for (const w of j.watchers(members)) {
          const r = new Remote(ctx, w, w.host);
          await r.terminate(await r.pidsOf('dmwatcher', w.params.iniPath), 'dmwatcher');
        }
        ctx.progress(`${p.join.group}: monitor and watchers stopped (7.10.4 item 1)`);
        // item 2: MOUNT, the primary first, or the primary may hang waiting for its standbys
        for (const m of [...primary, ...standbys])
          await j.sql(
            m,
            [
              `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
              `SP_SET_PARA_VALUE(1, 'DW_INACTIVE_INTERVAL', 0)`,
              ...(m.status === 'MOUNT' ? [] : ['ALTER DATABASE MOUNT']),
            ],
            'MOUNT for ADD ARCHIVELOG (7.10.4 item 2)',
          );
        // item 3: the archive destination on every member
        for (const m of members)
          for (const a of missing.get(m.instance) ?? [])
            await j.sql(
              m,
              [`ALTER DATABASE ADD ARCHIVELOG 'DEST=${a.dest}, TYPE=${a.type}'`],
              `ADD ARCHIVELOG DEST=${a.dest} (7.10.4 item 3)`,
            );
        if (missing.size)
          ctx.progress(
            `${p.join.group}: ${[...missing].map(([m, a]) => `${m} ADD ARCHIVELOG ${a.map((x) => `${x.type} ${x.dest}`).join(', ')}`).join('; ')}`,
          );
      }
    } catch (e) {
      failure = e;
    }
    // item 4, and whatever failed above: every member OPEN again (the standbys first), the
    // parameters back as the spec has them, the watchers running; a failure never leaves the
    // group in MOUNT without its watchers
    try {
      await j.reopen(recorded);
      for (const w of j.watchers(members)) {
        const r = new Remote(ctx, w, w.host);
        if (!(await r.pidsOf('dmwatcher', w.params.iniPath)).length) await startWatcher(r, w.params);
      }
    } catch (e) {
      if (!failure) failure = e;
      else ctx.progress(`bringing ${p.join.group} back failed too: ${(e as Error).message}`);
    }
    for (const s of stoppedMonitors) {
      const r = new Remote(ctx, s, s.host);
      // a changed dmmonitor.ini (the new MON_DW_IP) is the monitor step's, which starts it after;
      // after a failure the monitor runs again on the file it had
      if (s.params.confirm && (failure || !(await pendingFiles(r, s.params.files)).length))
        await r.startDetached('dmmonitor', [r.bin('dmmonitor'), s.params.iniPath], '监视器', 60_000);
    }
    if (failure) throw failure;
    // the files as rendered, where each running server holds every member they name
    for (const m of members) await writeHeldFiles(new Remote(ctx, step, m.host), m.instance, m.port);
  },
  async verify(ctx, step) {
    const p = step.params;
    const recorded = (await joiningGroup(ctx, p.join.group, p.instance)) ?? [];
    const j = new Join(ctx, step);
    for (const m of await j.members(recorded)) {
      const r = new Remote(ctx, step, m.host);
      if (!(await j.malNames(m)).names.includes(p.instance))
        r.fail(`${m.instance}'s MAL has no ${p.instance}`, '', 'apply again');
      const have = await j.archives(m);
      for (const a of archivesTo(ctx, m.instance, p.instance))
        if (!have.some((h) => h.type === a.type && h.dest === a.dest))
          r.fail(`${m.instance} has no ${a.type} archive to ${a.dest}`, '', 'apply again');
      if (m.status !== 'OPEN') r.fail(`${m.instance} is ${m.status}, not OPEN`, '', 'apply again');
    }
  },
};
