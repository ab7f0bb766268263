/**
 * What a deploy leaves on its hosts, and how a new plan differs from it. The verify step, once
 * the cluster checks healthy, writes the plan's DeployedRecord to every host; the next apply's
 * preflight reads it back and compares it with its own plan before any step acts (issue: a spec
 * edited and applied again must converge the way the manual does it, or be refused untouched).
 * Terraform's state cannot serve: a step never sees it, and a lost state must not lose this.
 *
 * Pure: records and changes are values. Reading and writing them is lib/steps/kinds/deployed.ts.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../plan/manifest';
import type { Plan, StepFile } from '../../../plan/step';
import { setGroupCommands } from '../../../dm/monitor';
import { iniEntries, parseIni } from '../../../render/ini';

export interface DeployedInstance {
  group: string;
  oguid: number;
  /** The database it belongs to (a DMDSC database has several instances). */
  database: string;
  role: string;
  instance: string;
  host: string;
  port: number;
  /** Its dm.ini: where the database lives. */
  iniPath: string;
}

export interface DeployedFile {
  /** Whose file it is: an instance, `monitor@<host>`, `dmdcr@<host>`, `mpp@<host>`. */
  owner: string;
  host: string;
  path: string;
  kind: StepFile['kind'];
  content: string;
}

export interface DeployedRecord {
  cluster: string;
  /** Each host that holds a member or a file, by the address SSH reaches it at. */
  hosts: Record<string, string>;
  instances: DeployedInstance[];
  files: DeployedFile[];
}

/** The record of a plan: its members and every file its steps write (no secret: plans hold none). */
export function deployedRecord(plan: Plan): DeployedRecord {
  const iniOf = new Map<string, string>();
  const files: DeployedFile[] = [];
  for (const s of plan.steps) {
    const p = s.params as { instance?: unknown; iniPath?: unknown };
    if (typeof p.instance === 'string' && typeof p.iniPath === 'string' && !iniOf.has(p.instance))
      iniOf.set(p.instance, p.iniPath);
    const owner =
      s.params.kind === 'config'
        ? s.params.instance
        : s.params.kind === 'monitor'
          ? `monitor@${s.host}`
          : s.params.kind === 'dmdcr'
            ? `dmdcr@${s.host}`
            : s.params.kind === 'mpp-ctl'
              ? `mpp@${s.host}`
              : undefined;
    if (owner && 'files' in s.params)
      for (const f of s.params.files)
        files.push({ owner, host: s.host, path: f.path, kind: f.kind, content: f.content });
  }
  const verify = plan.steps.find((s) => s.params.kind === 'verify');
  const groups = verify?.params.kind === 'verify' ? verify.params.groups : [];
  const instances = groups.flatMap((g) =>
    g.databases.map((d) => ({
      group: g.name,
      oguid: g.oguid,
      database: d.database,
      role: d.role,
      instance: d.instance,
      host: d.host,
      port: d.port,
      iniPath: iniOf.get(d.instance) ?? '',
    })),
  );
  const byKey =
    <T>(key: (x: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  const used = new Set([...instances.map((i) => i.host), ...files.map((f) => f.host)]);
  return {
    cluster: plan.cluster,
    hosts: Object.fromEntries([...used].sort().map((h) => [h, plan.hosts[h]?.address ?? h] as const)),
    instances: instances.sort(byKey((i) => i.instance)),
    files: files.sort(byKey((f) => `${f.host}\0${f.path}`)),
  };
}

export const recordDigest = (r: DeployedRecord): string =>
  createHash('sha256').update(canonicalJson(r)).digest('hex');

const isMonitor = (owner: string) => owner.startsWith('monitor@');

const groupOfCommand = (c: string) => c.split(' ')[2] ?? '';

/**
 * Per group, whether `set group` can bring every dmwatcher.ini that has the group's section
 * from its deployed to its planned content with the same commands (a DMDSC node's or a LOCAL
 * watcher's file that does not change alike rules it out).
 */
function setGroupByGroup(
  before: readonly DeployedFile[],
  after: readonly DeployedFile[],
): Map<string, boolean> {
  const was = new Map(before.map((f) => [`${f.host}\0${f.path}`, f.content]));
  const perGroup = new Map<string, Set<string>>();
  for (const f of after) {
    if (!f.path.endsWith('/dmwatcher.ini')) continue;
    const old = was.get(`${f.host}\0${f.path}`);
    const commands = old === undefined ? undefined : setGroupCommands(old, f.content);
    for (const m of f.content.matchAll(/^\s*\[([^\]]+)\]/gm)) {
      const g = (m[1] ?? '').trim();
      const mine = commands === undefined ? '?' : commands.filter((c) => groupOfCommand(c) === g).join('\n');
      const set = perGroup.get(g) ?? new Set<string>();
      set.add(mine);
      perGroup.set(g, set);
    }
  }
  return new Map([...perGroup].map(([g, set]) => [g, set.size === 1 && !set.has('?') && !set.has('')]));
}

/** One difference between what was deployed and what the plan asks for. */
export type LiveChange =
  | {
      kind: 'add';
      instance: string;
      host: string;
      what: string;
      /** An async or sync standby: its archive destinations wait for the rolling restart. */
      restart?: boolean;
    }
  | { kind: 'remove'; instance: string; host: string; what: string }
  | {
      kind: 'file';
      owner: string;
      host: string;
      path: string;
      what: string;
      /**
       * A single-instance monitor's dmmonitor.ini: the monitor step restarts it to read the file
       * (7.10.5-7.10.6). Not a multi-instance one (MON_MID): 7.2.7 says it does not support
       * changing its configuration once started.
       */
      monitorRestart?: boolean;
      /**
       * A dmwatcher.ini in which only parameters `set group` changes differ, alike in every
       * watcher of the group, with a single-instance monitor to send it from: the commands.
       */
      setGroup?: string[];
      /**
       * A dmmal.ini or dmarch.ini that differs only by the entries naming joining members: the
       * join step adds them to the running server online (7.10.3-7.10.4), then writes the file.
       */
      joinedBy?: string[];
      /**
       * dm.ini: the settings the plan changes (new or different values), as `[KEY, value]`. A
       * key dropped from the spec is not among them: dm.ini keeps the value it has.
       */
      settings?: [string, string][];
      /**
       * Of `settings`, when every one is a dynamic parameter the running server takes by
       * SP_SET_PARA_VALUE (its V$PARAMETER TYPE is SYS or SESSION): all of them. Else the ones
       * that are not, with their TYPE, in `staticParams`. Filled in against the live servers.
       */
      dynamic?: boolean;
      staticParams?: string[];
      /** Written, then its server restarted by the group's rolling restart (restarts: rolling). */
      restart?: boolean;
      /** dm.ini with settings only dropped from the spec: dm.ini keeps them, nothing changes. */
      keeps?: boolean;
      /** A file the deployed cluster did not have, or one the plan no longer has. */
      added?: boolean;
      removed?: boolean;
      /** The dm.ini of a DCP proxy marked removed: its retire step stops the proxy; the file stays on the host. */
      retired?: boolean;
      /** The dm.ini of a running DCP proxy: its start step restarts it (restarts: rolling), no group's restart. */
      proxy?: boolean;
    }
  | { kind: 'unsafe'; code: string; field: string; what: string; fix: string };

/** An ini's entries named as a person reads them: `[GRP1] DW_ERROR_TIME`, or `KEY` for a global. */
function iniKeys(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of iniEntries(text)) {
    const [section, key] = k.split('\0');
    out.set(section ? `[${section}] ${key ?? ''}` : (key ?? ''), v);
  }
  return out;
}

/** The global settings `after` sets that `before` did not, or to another value (dm.ini patches). */
export function changedSettings(before: string, after: string): [string, string][] {
  const a = new Map(parseIni(before).globals);
  return parseIni(after).globals.filter(([k, v]) => a.get(k) !== v);
}

/** "DW_ERROR_TIME 10 -> 20, [GRP1] X (new)": what differs between two versions of an ini. */
export function iniDiff(before: string, after: string): string {
  const a = iniKeys(before);
  const b = iniKeys(after);
  const out: string[] = [];
  for (const [k, v] of b)
    if (!a.has(k)) out.push(`${k} = ${v} (new)`);
    else if (a.get(k) !== v) out.push(`${k} ${a.get(k) ?? ''} -> ${v}`);
  for (const k of a.keys()) if (!b.has(k)) out.push(`${k} (removed)`);
  return out.join(', ') || 'formatting only';
}

/**
 * The ini's globals and its sections' entries, section names aside (DM numbers the sections it
 * adds itself), without the sections that name one of `leaving` (MAL_INST_NAME, or one of the
 * ARCH_DEST instances): equal for two files when they differ only by those members.
 */
function withoutMembers(text: string, leaving: readonly string[]): string {
  const p = parseIni(text);
  const names = (e: [string, string][]) =>
    e.flatMap(([k, v]) => (k === 'MAL_INST_NAME' || k === 'ARCH_DEST' ? v.split('/') : []));
  const sections = p.sections
    .filter((x) => !names(x.entries).some((n) => leaving.includes(n)))
    .map((x) => JSON.stringify([...x.entries].sort()))
    .sort();
  return JSON.stringify([[...p.globals].sort(), sections]);
}

/** The members `after` adds to `before`'s MAL or archive list, when that is all that differs. */
function joinedBy(
  path: string,
  before: string,
  after: string,
  grown: readonly string[],
): string[] | undefined {
  if (!/\/(dmmal|dmarch)\.ini$/.test(path) || !grown.length) return undefined;
  if (withoutMembers(before, grown) !== withoutMembers(after, grown)) return undefined;
  const named = grown.filter(
    (g) =>
      withoutMembers(after, [g]) !== withoutMembers(after, []) ||
      withoutMembers(before, [g]) !== withoutMembers(before, []),
  );
  return named.length ? named : undefined;
}

/**
 * How `next` differs from what `deployed` recorded, in the terms of the manual: members added
 * or removed, files of running members rewritten, and changes no procedure of the manual makes
 * on a live cluster (`unsafe`).
 */
export function liveChanges(deployed: DeployedRecord, next: DeployedRecord): LiveChange[] {
  const out: LiveChange[] = [];
  const before = new Map(deployed.instances.map((i) => [i.instance, i]));
  const after = new Map(next.instances.map((i) => [i.instance, i]));
  const groupsBefore = new Map(deployed.instances.map((i) => [i.group, i.oguid]));
  for (const [g, oguid] of new Map(next.instances.map((i) => [i.group, i.oguid]))) {
    const was = groupsBefore.get(g);
    if (was !== undefined && was !== oguid)
      out.push({
        kind: 'unsafe',
        code: 'LIVE_OGUID_CHANGED',
        field: `oguid (group ${g})`,
        what: `group ${g} runs with OGUID ${was}; the spec says ${oguid}. Every database, watcher and monitor of a group shares its OGUID (7.2.3.6), set once when it was built`,
        fix: `put oguid: ${was} back; a group with another OGUID is a new group, built on new databases`,
      });
  }
  for (const [name, a] of after) {
    const b = before.get(name);
    if (!b) continue;
    if (b.host !== a.host || b.iniPath !== a.iniPath)
      out.push({
        kind: 'unsafe',
        code: 'LIVE_DATABASE_MOVED',
        field: `${name}: host or path`,
        what: `${name}'s database is at ${b.host}:${b.iniPath}; the spec puts it at ${a.host}:${a.iniPath}. dmdeploy never moves a database, nor initialises one beside it`,
        fix: `put its host and path back; to move it, add a standby on the new host, switch over, then remove the old one`,
      });
    else if (b.port !== a.port)
      out.push({
        kind: 'unsafe',
        code: 'LIVE_PORT_CHANGED',
        field: `${name}: port`,
        what: `${name} listens on ${b.port}; the spec says ${a.port}. Every member's dmmal.ini, the watchers and the monitor name that port`,
        fix: `put port: ${b.port} back`,
      });
    // a role is judged against the running databases' V$INSTANCE (liveRoleChanges): after a
    // switchover through the monitor the record's roles are stale
  }
  for (const [h, address] of Object.entries(next.hosts ?? {})) {
    const was = deployed.hosts?.[h];
    if (was !== undefined && was !== address)
      out.push({
        kind: 'unsafe',
        code: 'LIVE_HOST_MOVED',
        field: `hosts.${h}.address`,
        what: `host ${h} was reached at ${was}; the spec says ${address}. If that is another machine, its members would be built anew from the first deploy's offline backup, which the manual does not do for a running group (7.10)`,
        fix: `put address: ${was} back; a member moves by adding a standby online and switching over (not built yet)`,
      });
  }
  const grown = next.instances.filter((i) => !before.has(i.instance)).map((i) => i.instance);
  const member = (kind: 'add' | 'remove', i: DeployedInstance, verb: string): LiveChange => ({
    kind,
    instance: i.instance,
    host: i.host,
    what: `${i.role} ${i.instance} on ${i.host} ${verb} group ${i.group}`,
  });
  for (const a of next.instances) if (!before.has(a.instance)) out.push(member('add', a, 'joins'));
  for (const b of deployed.instances) if (!after.has(b.instance)) out.push(member('remove', b, 'leaves'));
  // files of the owners that stay (a new member's files come with it, a removed one's go with it)
  const shrunk = new Set(deployed.instances.filter((i) => !after.has(i.instance)).map((i) => i.instance));
  const monitors = next.files.filter((f) => isMonitor(f.owner));
  const singleMonitor = monitors.length > 0 && !monitors.some((f) => /^\s*MON_MID\s*=/m.test(f.content));
  const key = (f: DeployedFile) => `${f.host}\0${f.path}`;
  const old = new Map(deployed.files.map((f) => [key(f), f]));
  const kept = new Set(next.files.map(key));
  const groupSets = setGroupByGroup(deployed.files, next.files);
  // a joining DMDSC standby's dmdcr.ini (7.11.2.5) comes with it, though dmcss owns it
  const grownHosts = new Set(next.instances.filter((i) => grown.includes(i.instance)).map((i) => i.host));
  const comesWithNew = (f: DeployedFile) =>
    grown.includes(f.owner) || (f.owner.startsWith('dmdcr@') && grownHosts.has(f.host) && !old.has(key(f)));
  for (const f of next.files) {
    if (comesWithNew(f)) continue;
    const was = old.get(key(f));
    if (!was) {
      out.push({ kind: 'file', owner: f.owner, host: f.host, path: f.path, what: 'a new file', added: true });
      continue;
    }
    if (was.content === f.content) continue;
    const changed = {
      kind: 'file' as const,
      owner: f.owner,
      host: f.host,
      path: f.path,
      what: iniDiff(was.content, f.content),
    };
    const joined = joinedBy(f.path, was.content, f.content, [...grown, ...shrunk]);
    if (joined) {
      out.push({ ...changed, joinedBy: joined });
      continue;
    }
    const settings = f.path.endsWith('/dm.ini') ? changedSettings(was.content, f.content) : [];
    const commands =
      f.path.endsWith('/dmwatcher.ini') && singleMonitor
        ? setGroupCommands(was.content, f.content)
        : undefined;
    out.push({
      ...changed,
      ...(settings.length ? { settings } : f.path.endsWith('/dm.ini') ? { keeps: true } : {}),
      // the monitor step restarts a confirm monitor only (a monitoring-mode one is started by hand)
      ...(isMonitor(f.owner) &&
      /^\s*MON_DW_CONFIRM\s*=\s*1/m.test(f.content) &&
      ![was.content, f.content].some((t) => /^\s*MON_MID\s*=/m.test(t))
        ? { monitorRestart: true }
        : {}),
      // set group changes every watcher of a group: only when each of them changes alike
      ...(commands?.length && commands.every((c) => groupSets.get(groupOfCommand(c)))
        ? { setGroup: commands }
        : {}),
    });
  }
  for (const f of deployed.files)
    if (!kept.has(key(f)) && !shrunk.has(f.owner))
      out.push({
        kind: 'file',
        owner: f.owner,
        host: f.host,
        path: f.path,
        what: 'no longer in the plan',
        removed: true,
      });
  return out;
}

/** A change refused before any step acts: its code, the spec field, why, and what to do instead. */
export interface LiveRefusal {
  code: string;
  field: string;
  what: string;
  fix: string;
}

/**
 * What an apply may do with `changes`, given which owners (instances, `monitor@<host>`, …) have a
 * process running now: a file change of an owner that runs nothing takes effect when it starts;
 * everything else the manual does online or with a rolling restart, which dmdeploy does not do
 * yet, so it is refused, as is every unsafe change.
 */
export function judgeLiveChanges(
  changes: readonly LiveChange[],
  running: ReadonlySet<string>,
  joinable: ReadonlySet<string> = new Set(),
  restartable: ReadonlySet<string> = new Set(),
  restartJoins: ReadonlySet<string> = new Set(),
): { refused: LiveRefusal[]; allowed: LiveChange[] } {
  const refused: LiveRefusal[] = [];
  const allowed: LiveChange[] = [];
  // members that join online (7.9-7.10) bring their own files, members marked removed leave
  // with theirs; the others' MAL and archive entries for them change online with them
  const joins = (c: LiveChange) => (c.kind === 'add' || c.kind === 'remove') && joinable.has(c.instance);
  const membership = changes.some((c) => (c.kind === 'add' || c.kind === 'remove') && !joins(c));
  const unsafe = changes.some((c) => c.kind === 'unsafe');
  // `running` names owners, or the host and path of a file whose reader runs
  const runs = (c: { owner: string; host: string; path: string }) =>
    running.has(c.owner) || running.has(`${c.host}\0${c.path}`);
  for (const c of changes) {
    if (c.kind === 'unsafe') refused.push(c);
    else if (joins(c))
      allowed.push(c.kind === 'add' && restartJoins.has(c.instance) ? { ...c, restart: true } : c);
    else if (c.kind === 'add')
      refused.push({
        code: 'LIVE_ADD_MEMBER',
        field: `${c.instance}`,
        what: `${c.what}: dmdeploy adds online a single-instance realtime or timely standby (7.9-7.10; with a DMDSC primary through every node; in an MppGroup within its group), a DMDSC standby to a group without another DMDSC database (7.11), and, in a group of single-instance databases outside an MPP system, an async or sync standby only with restarts: rolling (the manual adds one to a group it shut down normally first, 7.6.2, 7.7.2). Restoring it from the first deploy's offline backup would leave it behind the primary`,
        fix: `leave ${c.instance} out of the spec (nothing was touched), or, for an async or sync standby, set restarts: rolling so that the members restart one at a time to ship archives to it`,
      });
    // an async or sync standby's archive destination: written, read when the member restarts
    else if (
      c.kind === 'file' &&
      c.joinedBy &&
      !membership &&
      !unsafe &&
      c.path.endsWith('/dmarch.ini') &&
      c.joinedBy.some((j) => restartJoins.has(j))
    ) {
      if (runs(c) && !restartable.has(c.owner))
        refused.push({
          code: 'LIVE_RESTART_NEEDED',
          field: `${c.owner}: ${c.path}`,
          what: `${c.owner} on ${c.host} reads the archive destination to ${c.joinedBy.join(', ')} only when it starts`,
          fix: 'set restarts: rolling, or leave the async or sync standby out of the spec',
        });
      else allowed.push(runs(c) ? { ...c, restart: true } : c);
    } else if (c.kind === 'file' && c.joinedBy && !membership && !unsafe) allowed.push(c);
    else if (c.kind === 'remove')
      refused.push({
        code: 'LIVE_REMOVE_MEMBER',
        field: `${c.instance}`,
        what: `${c.what}: a member deleted from the spec leaves nothing to carry its removal: Terraform would only forget its resources, leaving it running and the primary still shipping archives to it`,
        fix: `put ${c.instance} back in the spec with removed: true; its leave step stops it and deletes its archive destinations online (a single-instance realtime or timely standby; in an MppGroup one on a host of its own)`,
      });
    // a member's files change with the add, the remove or the unsafe change refused above (the
    // OGUID is in several files)
    else if (membership || unsafe) continue;
    // a monitor added, moved or removed, or any file the plan no longer has: dmdeploy neither
    // stops nor removes what runs (a second confirm monitor exits with an error, 002 §4.2)
    // dmtimer.ini new to a running server (an async standby's timer, 7.6.3.4): read at its restart
    else if (c.added && runs(c) && restartable.has(c.owner) && c.path.endsWith('/dmtimer.ini'))
      allowed.push({ ...c, restart: true });
    // a DCP proxy marked removed: its retire step stops it, and its dm.ini goes with it
    else if (c.removed && joinable.has(c.owner)) allowed.push({ ...c, retired: true });
    else if (c.removed || (c.added && (isMonitor(c.owner) || runs(c))))
      refused.push({
        code: 'LIVE_FILE_SET_CHANGED',
        field: `${c.owner}: ${c.path}`,
        what: `${c.path} on ${c.host} (${c.owner}) is ${c.removed ? 'no longer in the plan' : 'new to the running cluster'}: dmdeploy does not yet add, move or remove a monitor, nor stop or remove what it deployed, on a running cluster`,
        fix: `put it back as deployed (the monitor's host and path included); a DCP proxy leaves with removed: true`,
      });
    // a monitor reads dmmonitor.ini only at its start, and the monitor step restarts it to read a
    // new one, as 7.10.5-7.10.6 do: a monitor keeps no state of the group across a restart
    else if (c.monitorRestart) allowed.push(c);
    // §4.4 item 34: the monitor changes every running watcher of the group, memory and file
    else if (c.setGroup) allowed.push(c);
    // dynamic dm.ini parameters: SP_SET_PARA_VALUE(1, …) changes the running server and dm.ini
    else if (c.dynamic && runs(c)) allowed.push(c);
    else if (c.keeps) allowed.push(c);
    // restarts: rolling: a file only dmserver reads (not dmmal.ini, which every member must hold
    // alike), written, then the member restarted in §6.19's order
    else if (runs(c) && restartable.has(c.owner) && /\/(dm|dmarch|dmtimer)\.ini$/.test(c.path))
      allowed.push({ ...c, restart: true });
    else if (runs(c))
      refused.push({
        code: 'LIVE_RESTART_NEEDED',
        field: `${c.owner}: ${c.path}`,
        what: `a running process of ${c.owner} on ${c.host} reads ${c.path} only when it starts (${c.what}${c.staticParams?.length ? `; not dynamic: ${c.staticParams.join(', ')}` : ''}); a file rewritten under a running process is a change reported done that is not`,
        fix: c.proxy
          ? `put the setting back in the spec, or set restarts: rolling: a DCP proxy reads its ports and mode at its start, and dmdeploy then restarts the proxies one at a time`
          : /\/(dm|dmarch|dmtimer)\.ini$/.test(c.path)
            ? `put the setting back in the spec, or (a group of single-instance databases outside an MPP system) set restarts: rolling to have the members restart one at a time`
            : `put the setting back in the spec; it needs a restart of what reads it, which dmdeploy does not do yet`,
      });
    else allowed.push(c);
  }
  return { refused, allowed };
}

/** One line per refusal, as preflight and `dmdeploy plan --live` print them. */
export const formatRefusal = (r: LiveRefusal): string => `${r.code} ${r.field}: ${r.what}; fix: ${r.fix}`;

/** One line per change an apply would make, for `dmdeploy plan --live`. */
export function formatChange(c: LiveChange): string {
  if (c.kind === 'add' && c.restart)
    return `${c.what} (7.6-7.7, restarts: rolling): restored from a fresh online backup of the primary, its MAL entry added online to every running member (SF_MAL_INST_ADD); the archive destinations to it take effect as each member restarts, the standbys first and the primary last`;
  if (c.kind === 'add')
    return `${c.what} online (7.9-7.10): restored from a fresh online backup of the primary, then its MAL entry and archive destination added to every running member`;
  if (c.kind === 'remove')
    return `${c.what}, marked removed: stopped (detached and stopped through the monitor while it runs, §6.18), its archive destination deleted from every running member online (DELETE ARCHIVELOG, in 7.10.4's order); its MAL entry and its data stay`;
  if (c.kind === 'file' && c.retired)
    return `DCP proxy ${c.owner} on ${c.host}, marked removed: stopped (SHUTDOWN over its DCP_PORT_NUM), out of dm_svc.conf and the outputs; its database and ${c.path} stay`;
  if (c.kind === 'file' && c.joinedBy && c.restart)
    return `rewrite ${c.path} on ${c.host} (${c.owner}): ${c.what}; then ${c.owner} is restarted to read it, the standbys first and the primary last (restarts: rolling, §6.19)`;
  if (c.kind === 'file' && c.joinedBy)
    return `${c.path} on ${c.host} (${c.owner}): ${c.what}; the running server takes it online with the join or leave of ${c.joinedBy.join(', ')} (SF_MAL_INST_ADD, ADD or DELETE ARCHIVELOG), then the file is written`;
  if (c.kind === 'file' && c.setGroup)
    return `${c.setGroup.join('; ')} through the monitor (§4.4 item 34): ${c.owner}'s watcher on ${c.host} takes it in memory and in ${c.path}`;
  if (c.kind === 'file' && c.dynamic && c.settings)
    return `${c.settings.map(([k, v]) => `SP_SET_PARA_VALUE(1, '${k}', ${v})`).join(', ')} on ${c.owner} (${c.host}): dynamic, it takes effect now, in memory and in ${c.path}`;
  if (c.kind === 'file' && c.keeps)
    return `${c.path} on ${c.host} (${c.owner}): ${c.what}; nothing changes: dm.ini keeps a setting dropped from the spec as it is`;
  if (c.kind === 'file' && c.restart && c.proxy)
    return `rewrite ${c.path} on ${c.host} (${c.owner}): ${c.what}; then DCP proxy ${c.owner} is shut down and started again to read it, one proxy at a time (restarts: rolling); meanwhile its clients reach the other proxies of the dm_svc.conf service (where the PORT_NUMs move, as they take up the new service list)`;
  if (c.kind === 'file' && c.restart)
    return `rewrite ${c.path} on ${c.host} (${c.owner}): ${c.what}; then ${c.owner} is restarted to read it, the standbys first and the primary last (restarts: rolling, §6.19)`;
  if (c.kind === 'file' && c.monitorRestart)
    return `rewrite ${c.path} on ${c.host}: ${c.what}; the monitor step restarts the confirm monitor to read it (7.10.5-7.10.6)`;
  if (c.kind === 'file')
    return `rewrite ${c.path} on ${c.host} (${c.owner}): ${c.what}; it takes effect when ${c.owner} starts`;
  return formatRefusal(c);
}
