/**
 * spec -> model: apply defaults (the manual's layout and values) and allocate ports.
 * Pure: no file system, no network. Assumes the spec passed the schema; value rules are
 * checked afterwards on the model by lib/validate.
 */
import path from 'node:path/posix';
import {
  isDscDatabase,
  type AsyncStandbySpec,
  type DataGuardSpec,
  type DatabaseSpec,
  type DscDatabaseSpec,
  type SingleDatabaseSpec,
  type SyncStandbySpec,
  type TimerSpec,
} from './schema';
import type {
  ArchiveKind,
  ClusterModel,
  ClusterCommon,
  DatabaseCommon,
  DatabaseLayoutModel,
  DatabaseModel,
  GroupModel,
  InstanceModel,
  MonitorModel,
  TimerModel,
} from './model';
import { allocatePorts, PORT_FIELDS, type PendingInstance } from './ports';
import { resolveDcp } from './dcp/resolve';
import { DEFAULTS } from '../../spec/defaults';
import { resolveShared } from '../../spec/resolve-shared';

export { DEFAULTS } from '../../spec/defaults';

/** The daily timer of manual 7.6.3.4. */
export const MANUAL_TIMER: TimerModel = {
  name: 'RT_TIMER',
  type: 2,
  freqMonthWeekInterval: 1,
  freqSubInterval: 0,
  freqMinuteInterval: 0,
  startTime: '00:00:00',
  endTime: '23:59:59',
  duringStartDate: '2016-02-11 17:36:09',
  duringEndDate: '9999-12-31 23:59:59',
  noEndDateFlag: 1,
  describe: 'RT TIMER',
  isValid: 1,
};

interface GroupInput {
  group: string;
  oguid: number;
  specPath: string;
  archiveType: ArchiveKind;
  archWaitApply?: 0 | 1;
  primary: DatabaseSpec;
  standbys: DatabaseSpec[];
  asyncStandbys: AsyncStandbySpec[];
  syncStandbys: SyncStandbySpec[];
}

function groupInputs(spec: DataGuardSpec): GroupInput[] {
  const common = (s: Extract<DataGuardSpec, { group: string }>, archiveType: ArchiveKind) => ({
    group: s.group,
    oguid: s.oguid,
    specPath: '',
    archiveType,
    primary: s.primary,
    standbys: s.standbys,
    asyncStandbys: s.asyncStandbys ?? [],
    syncStandbys: s.syncStandbys ?? [],
  });
  switch (spec.kind) {
    case 'RealtimePair':
      return [{ ...common(spec, 'REALTIME'), archWaitApply: spec.archWaitApply }];
    case 'ReadWriteCluster':
      return [{ ...common(spec, spec.archiveType ?? 'TIMELY'), archWaitApply: spec.archWaitApply }];
    case 'DscPrimary':
      return [common(spec, spec.archiveType ?? 'REALTIME')];
    case 'MppGroup':
      return spec.groups.map((g, i) => ({
        group: g.group,
        oguid: g.oguid,
        specPath: `groups[${i}]`,
        archiveType: 'REALTIME' as const, // manual 7.4: MPP data guard uses realtime archives
        primary: g.primary,
        standbys: g.standbys,
        asyncStandbys: g.asyncStandbys ?? [],
        syncStandbys: g.syncStandbys ?? [],
      }));
  }
}

function join(prefix: string, field: string): string {
  return prefix ? `${prefix}.${field}` : field;
}

function resolveTimer(t: TimerSpec | undefined): TimerModel | undefined {
  if (!t) return undefined;
  const m = MANUAL_TIMER;
  return {
    name: t.name ?? m.name,
    type: t.type ?? m.type,
    freqMonthWeekInterval: t.freqMonthWeekInterval ?? m.freqMonthWeekInterval,
    freqSubInterval: t.freqSubInterval ?? m.freqSubInterval,
    freqMinuteInterval: t.freqMinuteInterval ?? m.freqMinuteInterval,
    startTime: t.startTime ?? m.startTime,
    endTime: t.endTime ?? m.endTime,
    duringStartDate: t.duringStartDate ?? m.duringStartDate,
    duringEndDate: t.duringEndDate ?? m.duringEndDate,
    noEndDateFlag: t.noEndDateFlag ?? m.noEndDateFlag,
    describe: t.describe ?? m.describe,
    isValid: t.isValid ?? m.isValid,
  };
}

export function resolveSpec(spec: DataGuardSpec): ClusterModel {
  const shared = resolveShared(spec);
  const { dmHome } = shared;

  const inputs = groupInputs(spec);

  // How many single-node databases each host carries decides the default data path:
  // one -> <dmHome>/data as in 7.2; several -> <dmHome>/data/<name> as in 7.4.
  const singlesPerHost = new Map<string, number>();
  const countSingle = (db: DatabaseSpec | AsyncStandbySpec | SyncStandbySpec) => {
    if (!isDscDatabase(db)) singlesPerHost.set(db.host, (singlesPerHost.get(db.host) ?? 0) + 1);
  };
  for (const g of inputs) {
    [g.primary, ...g.standbys, ...g.asyncStandbys, ...g.syncStandbys].forEach(countSingle);
  }

  const pending: PendingInstance[] = [];
  const single = (db: SingleDatabaseSpec, specPath: string): InstanceModel => {
    const shared = (singlesPerHost.get(db.host) ?? 0) > 1;
    const initPath = db.path ?? (shared ? `${dmHome}/data/${db.name}` : `${dmHome}/data`);
    const dbName = db.dbName ?? DEFAULTS.dbName;
    const configPath = path.join(initPath, dbName);
    const inst = draftInstance(db, specPath, {
      initPath,
      dbName,
      configPath,
      iniPath: path.join(configPath, 'dm.ini'),
      archiveDir: db.archiveDir ?? path.join(configPath, 'arch'),
    });
    pending.push({ instance: inst, requested: db });
    return inst;
  };
  const dscNodes = (db: DscDatabaseSpec, specPath: string): InstanceModel[] =>
    db.nodes.map((n, i) => {
      const inst = draftInstance(n, `${join(specPath, 'nodes')}[${i}]`, {
        iniPath: n.iniPath,
        configPath: path.dirname(n.iniPath),
        archiveDir: n.archiveDir,
        dcrIni: n.dcrIni,
      });
      pending.push({ instance: inst, requested: n });
      return inst;
    });

  /** The database without its role: the caller adds the role and what only that role has. */
  const database = (
    db: DatabaseSpec | AsyncStandbySpec | SyncStandbySpec,
    group: string,
    specPath: string,
  ): DatabaseCommon & DatabaseLayoutModel => {
    if (isDscDatabase(db)) {
      const instances = dscNodes(db, specPath);
      const node0Dir = path.dirname(db.nodes[0]?.iniPath ?? '/');
      return {
        id: instances[0]?.name ?? '',
        group,
        specPath,
        layout: 'dsc',
        instances,
        backupDir: db.backupDir ?? path.join(node0Dir, 'bak', 'db_full_bak_for_DSC'),
        dmcssRestartInterval: db.dmcssAutoRestart
          ? (db.dmcssAutoRestart.interval ?? DEFAULTS.dmcssRestartInterval)
          : undefined,
      };
    }
    const inst = single(db, specPath);
    return { id: inst.name, group, specPath, layout: 'single', instances: [inst] };
  };

  const groups: GroupModel[] = inputs.map((g) => {
    const p = g.specPath;
    const primary: DatabaseModel = { ...database(g.primary, g.group, join(p, 'primary')), role: 'primary' };
    const databases: DatabaseModel[] = [
      primary,
      ...g.standbys.map(
        (s, i): DatabaseModel => ({
          ...database(s, g.group, `${join(p, 'standbys')}[${i}]`),
          role: 'standby',
        }),
      ),
      ...g.asyncStandbys.map(
        (s, i): DatabaseModel => ({
          ...database(s, g.group, `${join(p, 'asyncStandbys')}[${i}]`),
          role: 'async',
          source: s.source ?? primary.id, // no source: the primary
          timer: resolveTimer(s.timer),
          sendDelay: s.sendDelay,
        }),
      ),
      ...g.syncStandbys.map(
        (s, i): DatabaseModel => ({
          ...database(s, g.group, `${join(p, 'syncStandbys')}[${i}]`),
          role: 'sync',
          recoverTime: s.recoverTime ?? DEFAULTS.syncRecoverTime,
        }),
      ),
    ];
    databases.forEach((d, i) => (d.order = i));
    // standbys marked removed leave the group: only their MAL entry stays
    const removed = new Set(
      g.standbys.flatMap((s, i) => (!isDscDatabase(s) && s.removed ? [databases[i + 1]] : [])),
    );
    const retired = databases.filter((d) => removed.has(d));
    const kept = databases.filter((d) => !removed.has(d));
    // An async standby's source is named by instance; refer to it by database id.
    for (const d of databases) {
      if (d.role !== 'async') continue;
      const named = d.source;
      const owner = databases.find((x) => x.instances.some((i) => i.name === named));
      d.source = owner ? owner.id : named;
    }
    return {
      name: g.group,
      oguid: g.oguid,
      specPath: p,
      archiveType: g.archiveType,
      archWaitApply: g.archWaitApply,
      databases: kept,
      ...(retired.length ? { retired } : {}),
    };
  });

  const monitor = resolveMonitor(spec, dmHome);
  allocatePorts(pending, monitor?.multi?.instances ?? []);

  const watcherMode = spec.watcher?.mode ?? 'MANUAL'; // manual §6.27 item 8 recommends MANUAL
  const firstGroup = groups[0]?.name ?? 'DM';
  const common: ClusterCommon = {
    kind: spec.kind,
    name: spec.name ?? (spec.kind === 'MppGroup' ? groups.map((g) => g.name).join('_') : firstGroup),
    ...shared,
    watcher: {
      mode: watcherMode,
      dwErrorTime: spec.watcher?.dwErrorTime ?? DEFAULTS.dwErrorTime,
      instRecoverTime: spec.watcher?.instRecoverTime ?? DEFAULTS.instRecoverTime,
      instErrorTime: spec.watcher?.instErrorTime ?? DEFAULTS.instErrorTime,
      autoRestart: spec.watcher?.autoRestart ?? true,
      rlogSendThreshold: spec.watcher?.rlogSendThreshold ?? 0,
      rlogApplyThreshold: spec.watcher?.rlogApplyThreshold ?? 0,
    },
    monitor: monitor ? { ...monitor, confirm: spec.monitor?.confirm ?? watcherMode === 'AUTO' } : undefined,
    mal: {
      checkInterval: spec.mal?.checkInterval ?? DEFAULTS.malCheckInterval,
      connFailInterval: spec.mal?.connFailInterval ?? DEFAULTS.malConnFailInterval,
    },
    client: {
      serviceName: spec.client?.serviceName ?? (spec.kind === 'MppGroup' ? 'MPP_' + firstGroup : firstGroup),
      loginMode: spec.client?.loginMode ?? 1,
      switchTime: spec.client?.switchTime ?? 3,
      switchInterval: spec.client?.switchInterval ?? 1000,
      rwSeparate: spec.client?.rwSeparate ?? spec.kind === 'ReadWriteCluster',
      rwPercent: spec.client?.rwPercent ?? 25,
    },
    restarts: spec.restarts ?? 'refuse',
  };
  if (spec.kind !== 'MppGroup') return { ...common, system: { kind: 'single-group' }, groups };
  // groupInputs keeps spec.groups' order: group i is spec.groups[i]
  return {
    ...common,
    system: { kind: 'mpp' },
    groups: groups.map((g, i) => ({ ...g, mppSeqNo: spec.groups[i]?.seqNo ?? i })),
    ...(spec.dcp
      ? {
          dcp: resolveDcp(spec.dcp, shared.dmHome, portsInUse(pending, monitor?.multi?.instances ?? [])),
        }
      : {}),
  };
}

/** Every port the instances and monitors hold, per host: the DCP proxies are allocated around them. */
function portsInUse(
  pending: readonly PendingInstance[],
  monitors: readonly { host: string; port: number }[],
): Map<string, Set<number>> {
  const used = new Map<string, Set<number>>();
  const add = (h: string, p: number) => (used.get(h) ?? used.set(h, new Set()).get(h))?.add(p);
  for (const { instance: i } of pending) for (const f of PORT_FIELDS) add(i.host, i[f]);
  for (const m of monitors) add(m.host, m.port);
  return used;
}

function draftInstance(
  db: { name: string; host: string },
  specPath: string,
  paths: Pick<InstanceModel, 'iniPath' | 'configPath' | 'archiveDir'> &
    Partial<Pick<InstanceModel, 'initPath' | 'dbName' | 'dcrIni'>>,
): InstanceModel {
  return {
    name: db.name,
    host: db.host,
    specPath,
    ...paths,
    // allocatePorts fills these in; 0 is never a valid DM port (range 1024-65534)
    port: 0,
    malPort: 0,
    malDwPort: 0,
    instDwPort: 0,
    explicitPorts: new Set(),
  };
}

function resolveMonitor(spec: DataGuardSpec, dmHome: string): Omit<MonitorModel, 'confirm'> | undefined {
  const m = spec.monitor;
  if (!m) return undefined;
  const mpath = m.path ?? `${dmHome}/data`;
  const base = {
    path: mpath,
    logPath: m.logPath ?? `${mpath}/log`,
    logInterval: m.logInterval ?? DEFAULTS.monLogInterval,
    logFileSize: m.logFileSize ?? DEFAULTS.monLogFileSize,
    logSpaceLimit: m.logSpaceLimit ?? DEFAULTS.monLogSpaceLimit,
    host: m.host,
  };
  if (!m.instances || m.instances.length === 0) return base;
  return {
    ...base,
    multi: {
      mid: m.mid ?? 0,
      hbInterval: m.hbInterval ?? DEFAULTS.monHbInterval,
      broInterval: m.broInterval ?? DEFAULTS.monBroInterval,
      voteInterval: m.voteInterval ?? DEFAULTS.monVoteInterval,
      instances: m.instances.map((mi, i) => {
        const id = mi.id ?? i + 1;
        return {
          host: mi.host,
          port: mi.port ?? 0,
          id,
          name: mi.name ?? `MON${id}`,
          specPath: `monitor.instances[${i}]`,
        };
      }),
    },
  };
}
