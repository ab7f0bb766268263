/**
 * From a validated model, the deploy plan in the manual's order (7.1-7.7) and the teardown plan
 * of §6.4. Pure: the same model gives the same plan.
 */
import path from 'node:path/posix';
import { renderCluster, type RenderedFile } from '../render';
import { watcherUnits } from '../render/topology';
import type { ClusterModel, DatabaseModel, GroupModel, InstanceModel } from '../spec/model';
import { ALL_HOSTS, PHASES, type Plan, type Step, type StepFile, type VerifyGroup } from './step';

/** Raised for topologies whose deploy steps are not built yet; names the kind and what exists. */
export class PlanUnsupportedError extends Error {}

/** The backup set of 7.1.1, on the primary and copied to the same path on each standby host. */
export const BACKUP_NAME = 'BACKUP_FILE1';

export function backupDirOf(group: GroupModel): string {
  const p = primaryOf(group).instances[0];
  return path.join(p?.initPath ?? path.dirname(p?.configPath ?? '/'), 'BACKUP_FILE_01');
}

function primaryOf(group: GroupModel): DatabaseModel {
  const p = group.databases.find((d) => d.role === 'primary');
  if (!p) throw new Error(`group ${group.name} has no primary`);
  return p;
}

const only = (db: DatabaseModel): InstanceModel => {
  const i = db.instances[0];
  if (!i || db.instances.length !== 1)
    throw new PlanUnsupportedError(`${db.id}: DMDSC databases are not planned yet`);
  return i;
};

const server = (i: InstanceModel) => ({ instance: i.name, iniPath: i.iniPath, port: i.port });
const fileOf = (f: RenderedFile): StepFile => ({
  path: f.path,
  role: f.role,
  kind: f.kind,
  content: f.content,
});

/** The instance roles whose files the config step writes before the instance starts in MOUNT. */
const INSTANCE_FILES = new Set(['dm.ini', 'dmmal.ini', 'dmarch.ini', 'dmtimer.ini', 'dmwatcher.ini']);

export function planCluster(model: ClusterModel): Plan {
  if (model.kind === 'MppGroup' || model.kind === 'DscPrimary' || model.mpp)
    throw new PlanUnsupportedError(
      `${model.kind}: deploying MPP and DMDSC clusters is not built yet (validate and render work); ` +
        'RealtimePair and ReadWriteCluster, with async and sync standbys, can be deployed',
    );
  const files = renderCluster(model);
  const steps: Step[] = [];
  const add = (s: Step): string => {
    steps.push(s);
    return s.id;
  };

  const preflight = add({
    id: 'cluster/preflight',
    phase: 'preflight',
    host: ALL_HOSTS,
    title: 'check every host: tools, word size, byte order, time zone, clock, ports, paths',
    manual: '7 (introduction)',
    after: [],
    params: {
      kind: 'preflight',
      hosts: Object.keys(model.hosts).sort(),
      ports: model.groups.flatMap((g) =>
        g.databases.flatMap((d) =>
          d.instances.flatMap((i) =>
            (['port', 'malPort', 'malDwPort', 'instDwPort'] as const).map((k) => ({
              host: i.host,
              port: i[k],
              owner: i.name,
              configPath: i.configPath,
            })),
          ),
        ),
      ),
      paths: [
        ...model.groups.flatMap((g) =>
          g.databases.flatMap((d) =>
            d.instances.map((i) => ({ host: i.host, path: i.initPath ?? i.configPath })),
          ),
        ),
        ...monitorFiles(files).map((f) => ({ host: f.host, path: path.dirname(f.path) })),
      ],
    },
  });

  const modeSteps = new Map<string, string[]>();
  for (const group of model.groups) {
    const primary = primaryOf(group);
    const p = only(primary);
    const backupDir = backupDirOf(group);
    const init = (i: InstanceModel) =>
      add({
        id: `${i.name}/dminit`,
        phase: 'init',
        host: i.host,
        title: `dminit path=${i.initPath ?? ''} (SYSDBA password on standard input)`,
        manual: '7.2.2',
        after: [preflight],
        params: { kind: 'dminit', initPath: i.initPath ?? '', dbName: i.dbName ?? 'DAMENG', ...server(i) },
      });
    const pInit = init(p);
    const firstStart = add({
      id: `${p.name}/first-start`,
      phase: 'first-start',
      host: p.host,
      title: 'first start of the new primary, normally, then a normal shutdown',
      manual: '7.1 (note)',
      after: [pInit],
      params: { kind: 'first-start', ...server(p) },
    });
    const config = (i: InstanceModel, after: string) =>
      add({
        id: `${i.name}/config`,
        phase: i === p ? 'primary-config' : 'standby-config',
        host: i.host,
        title: 'write dm.ini settings, dmmal.ini, dmarch.ini, dmtimer.ini, dmwatcher.ini',
        manual: '7.2.3-7.2.4',
        after: [after],
        params: {
          kind: 'config',
          instance: i.name,
          files: files.filter((f) => f.instance === i.name && INSTANCE_FILES.has(f.role)).map(fileOf),
        },
      });
    const mount = (i: InstanceModel, after: string) =>
      add({
        id: `${i.name}/mount`,
        phase: 'mount',
        host: i.host,
        title: 'start dmserver in MOUNT',
        manual: '7.2.3.5',
        after: [after],
        params: { kind: 'mount', ...server(i) },
      });
    const mode = (i: InstanceModel, m: 'PRIMARY' | 'STANDBY', after: string[]) =>
      add({
        id: `${i.name}/mode`,
        phase: 'mode',
        host: i.host,
        title: `ALTER_MODE_STATUS 1, SP_SET_OGUID(${group.oguid}), ALTER DATABASE ${m}, ALTER_MODE_STATUS 0`,
        manual: m === 'PRIMARY' ? '7.2.3.6-7.2.3.7' : '7.2.4.6-7.2.4.7',
        after,
        params: { kind: 'mode', oguid: group.oguid, mode: m, ...server(i) },
      });

    const pConfig = config(p, firstStart);
    const backup = add({
      id: `${p.name}/backup`,
      phase: 'backup',
      host: p.host,
      title: `offline full backup with dmrman to ${backupDir}`,
      manual: '7.1.1',
      // 7.1: dmrman backs up only a database that archives, so the primary's files come first
      after: [pConfig],
      params: { kind: 'backup', backupDir, backupName: BACKUP_NAME, ...server(p) },
    });
    const pMode = mode(p, 'PRIMARY', [mount(p, backup)]);
    const modes = [pMode];
    const copies = new Map<string, string>();
    for (const db of group.databases) {
      if (db === primary) continue;
      const s = only(db);
      const sInit = init(s);
      let copy = copies.get(s.host);
      if (!copy && s.host !== p.host) {
        copy = add({
          id: `${s.host}/copy-backup`,
          phase: 'copy',
          host: s.host,
          title: `stream the backup set ${backupDir} from ${p.host}`,
          manual: '7.1.1',
          after: [backup],
          params: { kind: 'copy-backup', fromHost: p.host, backupDir },
        });
        copies.set(s.host, copy);
      }
      const restore = add({
        id: `${s.name}/restore`,
        phase: 'restore',
        host: s.host,
        title: 'RESTORE DATABASE, then RECOVER DATABASE ... UPDATE DB_MAGIC',
        manual: '7.1.1',
        after: [sInit, copy ?? backup],
        // offline backups need no RECOVER ... FROM BACKUPSET (7.1.1); an online one would
        params: { kind: 'restore', backupDir, forStandby: false, ...server(s) },
      });
      modes.push(mode(s, 'STANDBY', [mount(s, config(s, restore)), pMode]));
    }
    modeSteps.set(group.name, modes);
  }

  const watchers = watcherUnits(model).map((unit) => {
    const first = unit.entries[0]?.inst;
    return add({
      id: `${model.mpp ? unit.host : (first?.name ?? unit.host)}/watcher`,
      phase: 'watch',
      host: unit.host,
      title: `start dmwatcher ${unit.iniPath}`,
      manual: '7.2.6',
      after: [...new Set(unit.entries.flatMap((e) => modeSteps.get(e.group.name) ?? []))],
      params: { kind: 'watcher', iniPath: unit.iniPath, instances: unit.entries.map((e) => server(e.inst)) },
    });
  });

  const monitors = monitorFiles(files).map((f) =>
    add({
      id: `${f.host}/monitor`,
      phase: 'monitor',
      host: f.host,
      title: `write ${f.path}${model.monitor?.confirm ? ' and start the confirm monitor' : ''}`,
      manual: '7.2.5, 7.2.7',
      after: watchers,
      params: {
        kind: 'monitor',
        iniPath: f.path,
        confirm: model.monitor?.confirm ?? false,
        files: [fileOf(f)],
      },
    }),
  );

  const watcherIniOf = new Map(
    watcherUnits(model).flatMap((u) => u.entries.map((e) => [e.inst.name, u.iniPath] as const)),
  );
  const verifyGroups: VerifyGroup[] = model.groups.map((g) => ({
    name: g.name,
    oguid: g.oguid,
    databases: g.databases.map((d) => {
      const i = only(d);
      return {
        role: d.role,
        host: i.host,
        instance: i.name,
        port: i.port,
        watcherIni: watcherIniOf.get(i.name) ?? '',
      };
    }),
  }));
  const mon = monitorFiles(files)[0];
  add({
    id: 'cluster/verify',
    phase: 'verify',
    host: ALL_HOSTS,
    title:
      'one PRIMARY/OPEN per group, every standby STANDBY/OPEN, archives VALID, watchers OPEN, the monitor sees all',
    manual: '7.2.7, §4.4',
    after: monitors.length ? monitors : watchers,
    params: {
      kind: 'verify',
      groups: verifyGroups,
      ...(mon ? { monitor: { host: mon.host, iniPath: mon.path } } : {}),
    },
  });

  return {
    version: 1,
    cluster: model.name,
    kind: model.kind,
    dmHome: model.dmHome,
    ssh: model.ssh,
    hosts: model.hosts,
    steps: topoSort(steps),
    teardown: planTeardown(model, files),
  };
}

function monitorFiles(files: readonly RenderedFile[]): RenderedFile[] {
  return files.filter((f) => f.role === 'dmmonitor.ini');
}

/** §6.4: the confirm monitor, the standby watchers, the primary watcher, the primary, the standbys. */
function planTeardown(model: ClusterModel, files: readonly RenderedFile[]): Step[] {
  const out: Step[] = [];
  const add = (s: Omit<Step, 'manual'>): string => {
    out.push({ ...s, manual: s.phase === 'purge' ? 'purgeData' : '§6.4' });
    return s.id;
  };
  const monitors = model.monitor?.confirm
    ? monitorFiles(files).map((f) =>
        add({
          id: `${f.host}/stop-monitor`,
          phase: 'stop-monitor',
          host: f.host,
          title: 'stop the confirm monitor',
          after: [],
          params: { kind: 'stop-monitor', iniPath: f.path },
        }),
      )
    : [];
  const units = watcherUnits(model);
  const isPrimaryUnit = (u: (typeof units)[number]) => u.entries.some((e) => e.db.role === 'primary');
  const stopWatcher = (u: (typeof units)[number], after: string[]) =>
    add({
      id: `${u.entries[0]?.inst.name ?? u.host}/stop-watcher`,
      phase: isPrimaryUnit(u) ? 'stop-primary-watcher' : 'stop-standby-watchers',
      host: u.host,
      title: `stop dmwatcher ${u.iniPath}`,
      after,
      params: { kind: 'stop-watcher', iniPath: u.iniPath },
    });
  const standbyWatchers = units.filter((u) => !isPrimaryUnit(u)).map((u) => stopWatcher(u, monitors));
  const primaryWatchers = units
    .filter(isPrimaryUnit)
    .map((u) => stopWatcher(u, [...monitors, ...standbyWatchers]));
  const stopServer = (db: DatabaseModel, after: string[]) => {
    const i = only(db);
    return add({
      id: `${i.name}/stop-server`,
      phase: db.role === 'primary' ? 'stop-primary' : 'stop-standbys',
      host: i.host,
      title: 'SHUTDOWN (normal) and wait for dmserver to exit',
      after,
      params: { kind: 'stop-server', ...server(i) },
    });
  };
  const all = model.groups.flatMap((g) => g.databases);
  const afterWatchers = [...monitors, ...standbyWatchers, ...primaryWatchers];
  const primaries = all.filter((d) => d.role === 'primary').map((d) => stopServer(d, afterWatchers));
  const standbys = all
    .filter((d) => d.role !== 'primary')
    .map((d) => stopServer(d, [...afterWatchers, ...primaries]));
  if (model.purgeData) {
    const byHost = new Map<string, string[]>();
    for (const g of model.groups)
      for (const d of g.databases)
        for (const i of d.instances) {
          const list = byHost.get(i.host) ?? [];
          list.push(
            path.join(i.initPath ?? path.dirname(i.configPath), i.dbName ?? 'DAMENG'),
            backupDirOf(g),
          );
          byHost.set(i.host, list);
        }
    for (const [host, paths] of [...byHost].sort(([a], [b]) => (a < b ? -1 : 1)))
      add({
        id: `${host}/purge`,
        phase: 'purge',
        host,
        title: `remove ${[...new Set(paths)].join(', ')}`,
        after: [...afterWatchers, ...primaries, ...standbys],
        params: { kind: 'purge', paths: [...new Set(paths)].sort() },
      });
  }
  return out;
}

/** Kahn's algorithm, stable by phase then insertion order; throws on a cycle or a dangling edge. */
export function topoSort(steps: readonly Step[]): Step[] {
  const byId = new Map(steps.map((s) => [s.id, s]));
  if (byId.size !== steps.length) throw new Error('plan: duplicate step ids');
  for (const s of steps)
    for (const a of s.after) if (!byId.has(a)) throw new Error(`plan: ${s.id} comes after unknown step ${a}`);
  const rank = (s: Step) => PHASES.indexOf(s.phase as (typeof PHASES)[number]);
  const done = new Set<string>();
  const out: Step[] = [];
  const order = [...steps].map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i);
  while (out.length < steps.length) {
    const next = order.find(({ s }) => !done.has(s.id) && s.after.every((a) => done.has(a)));
    if (!next) throw new Error('plan: the steps form a cycle');
    done.add(next.s.id);
    out.push(next.s);
  }
  return out;
}
