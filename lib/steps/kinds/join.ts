/**
 * 7.9.3-7.9.6 and 7.10.3-7.10.6: a standby joins a group that already runs. Before this step the
 * new standby was restored from a fresh online backup of the primary, configured, started in
 * MOUNT and made STANDBY (7.10.1-7.10.2.7). This step then, on every member (each must run):
 *   SF_MAL_CONFIG(1,0), SF_MAL_INST_ADD, SF_MAL_CONFIG_APPLY, SF_MAL_CONFIG(0,0)   (7.10.3)
 *   the monitor, the standbys' watchers, the primary's watcher stopped            (7.10.4 item 1)
 *   ALTER_MODE_STATUS 1, DW_INACTIVE_INTERVAL 0, MOUNT: the primary first         (7.10.4 item 2)
 *   ALTER DATABASE ADD ARCHIVELOG 'DEST=<new>, TYPE=<REALTIME|TIMELY>'            (7.10.4 item 3)
 *   OPEN FORCE, the parameters put back: the standbys first                       (7.10.4 item 4)
 * then starts the watchers again and writes each member's dmmal.ini and dmarch.ini as rendered,
 * where its server holds what they name; the monitor step writes dmmonitor.ini with the new
 * MON_DW_IP and restarts the confirm monitor (7.10.5-7.10.6). Every stage probes first, so a run cut short
 * resumes. A standby built with its group has nothing to do here.
 */
import { parseIni } from '../../render/ini';
import { everyHost, type StepContext, type StepKindImpl } from '../context';
import { joiningGroup, readDeployed } from '../deployed';
import { fileOf, GroupSession, writeSettledFiles, type Member } from '../group-session';
import { Remote } from '../remote';
import type { StepOf } from './types';

type JoinStep = StepOf<'join'>;

/** A joining instance's own MAL entry, from the joining standby's rendered dmmal.ini (7.10.2.2). */
function malEntry(
  ctx: StepContext,
  step: JoinStep,
  name: string,
): { section: string; get: (k: string) => string } {
  const mal = fileOf(ctx, step.params.instance, 'dmmal.ini');
  const s =
    mal &&
    parseIni(mal.content).sections.find((x) =>
      x.entries.some(([k, v]) => k === 'MAL_INST_NAME' && v === name),
    );
  if (!s) throw new Error(`${step.id}: the plan renders no dmmal.ini entry for ${name}`);
  return { section: s.name, get: (k) => s.entries.find(([key]) => key === k)?.[1] ?? '' };
}

/**
 * The archive destinations `member`'s rendered dmarch.ini sends to the joining instance, that
 * this step adds online: none for an async or sync standby, whose destinations the members read
 * when the group's rolling restart restarts them (7.6.2, 7.7.2: the manual adds those to a group
 * it shut down; docs/manual-deviations.md J4).
 */
function archivesTo(ctx: StepContext, member: string, step: JoinStep): { type: string; dest: string }[] {
  const joining = step.params.instance;
  const arch = fileOf(ctx, member, 'dmarch.ini');
  if (!arch || step.params.join.restart) return [];
  return parseIni(arch.content).sections.flatMap((s) => {
    const get = (k: string) => s.entries.find(([key]) => key === k)?.[1] ?? '';
    return get('ARCH_DEST').split('/').includes(joining)
      ? [{ type: get('ARCH_TYPE'), dest: get('ARCH_DEST') }]
      : [];
  });
}

const sqlString = (v: string) => `'${v.replace(/'/g, "''")}'`;

/**
 * 7.10.3, 7.11.3: the new MAL entries (every node of a DMDSC standby), in memory and in dmmal.ini,
 * on one running member, in one SF_MAL_CONFIG session.
 */
async function addMal(g: GroupSession, step: JoinStep, m: Member): Promise<void> {
  const { sections, names } = await g.malNames(m);
  const adding = step.params.join.instances.filter((n) => !names.includes(n));
  // all present: added by this join before it was cut short, perhaps inside SF_MAL_CONFIG(1,0)
  if (!adding.length) {
    await g.sql(m, ['SF_MAL_CONFIG(0,0)'], 'SF_MAL_CONFIG(0,0) (7.10.3)');
    return;
  }
  const taken = [...sections];
  const adds = adding.map((name) => {
    const e = malEntry(g.ctx, step, name);
    // the rendered section name, unless the member's own list already uses it
    let section = e.section.toUpperCase();
    for (let n = taken.length + 1; taken.includes(section); n++) section = `MAL_INST${n}`;
    taken.push(section);
    const args = [
      sqlString(section),
      sqlString(name),
      sqlString(e.get('MAL_HOST')),
      e.get('MAL_PORT'),
      sqlString(e.get('MAL_INST_HOST') || e.get('MAL_HOST')),
      e.get('MAL_INST_PORT'),
      e.get('MAL_DW_PORT'),
      e.get('MAL_LINK_MAGIC') || '0',
      e.get('MAL_INST_DW_PORT'),
    ];
    return `SF_MAL_INST_ADD(${args.join(',')})`;
  });
  await g.sql(
    m,
    ['SF_MAL_CONFIG(1,0)', ...adds, 'SF_MAL_CONFIG_APPLY()', 'SF_MAL_CONFIG(0,0)'],
    `SF_MAL_INST_ADD of ${adding.join(', ')} (7.10.3)`,
  );
  g.ctx.progress(`${m.instance}: MAL entry of ${adding.join(', ')} added online (SF_MAL_CONFIG_APPLY)`);
}

/**
 * The running members that take the new MAL entries: the group's, or, in an MPP system, every
 * instance's (7.4.3.2: one dmmal.ini for all), as the deployed record names them.
 */
async function malMembers(g: GroupSession, step: JoinStep, group: readonly Member[]): Promise<Member[]> {
  const others = ((await readDeployed(g.ctx))?.instances ?? []).filter(
    (i) => step.params.malGroups.includes(i.group) && !group.some((m) => m.instance === i.instance),
  );
  return [...group, ...(others.length ? await g.members(others) : [])];
}

export const join: StepKindImpl<JoinStep> = {
  // every running member of the group, and the deployed record on every host
  hosts: (_step, plan) => everyHost(plan),
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
    const g = new GroupSession(ctx, step, p.join.group);
    const members = await g.members(recorded);
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
    const mal = await malMembers(g, step, members);
    for (const m of mal) await addMal(g, step, m);

    const missing = new Map<string, { type: string; dest: string }[]>();
    for (const m of members) {
      const have = await g.archives(m);
      const want = archivesTo(ctx, m.instance, step).filter(
        (a) => !have.some((h) => h.type === a.type && h.dest === a.dest),
      );
      if (want.length) missing.set(m.instance, want);
    }
    // 7.10.4: the archive destination on every member, in MOUNT
    await g.inMount(recorded, missing.size > 0, async (ms) => {
      for (const m of ms)
        for (const a of missing.get(m.instance) ?? [])
          await g.sql(
            m,
            [`ALTER DATABASE ADD ARCHIVELOG 'DEST=${a.dest}, TYPE=${a.type}'`],
            `ADD ARCHIVELOG DEST=${a.dest} (7.10.4 item 3)`,
          );
      if (missing.size)
        ctx.progress(
          `${p.join.group}: ${[...missing].map(([m, a]) => `${m} ADD ARCHIVELOG ${a.map((x) => `${x.type} ${x.dest}`).join(', ')}`).join('; ')}`,
        );
    });
    // the other groups of an MPP system: their dmmal.ini as rendered, now that they hold it
    for (const m of mal.filter((x) => !members.includes(x)))
      await writeSettledFiles(g.at(m.host), m.instance, m.port);
  },
  async verify(ctx, step) {
    const p = step.params;
    const recorded = (await joiningGroup(ctx, p.join.group, p.instance)) ?? [];
    const g = new GroupSession(ctx, step, p.join.group);
    const members = await g.members(recorded);
    for (const m of await malMembers(g, step, members)) {
      const held = (await g.malNames(m)).names;
      for (const n of p.join.instances.filter((x) => !held.includes(x)))
        g.at(m.host).fail(`${m.instance}'s MAL has no ${n}`, '', 'apply again');
    }
    for (const m of members) {
      const r = g.at(m.host);
      const have = await g.archives(m);
      for (const a of archivesTo(ctx, m.instance, step))
        if (!have.some((h) => h.type === a.type && h.dest === a.dest))
          r.fail(`${m.instance} has no ${a.type} archive to ${a.dest}`, '', 'apply again');
      if (m.status !== 'OPEN') r.fail(`${m.instance} is ${m.status}, not OPEN`, '', 'apply again');
    }
  },
};
