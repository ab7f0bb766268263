/**
 * Who sends archives to whom, and which watcher guards which instance. Shared by the
 * renderers (dmarch.ini, dmtimer.ini, dm.ini, dmwatcher.ini) so they cannot disagree.
 */
import { hostPort } from '../../../render/file';
import {
  isGuardMember,
  isMpp,
  type AsyncDatabaseModel,
  type ClusterModel,
  type DatabaseModel,
  type GroupModel,
  type InstanceModel,
  type SyncDatabaseModel,
} from '../model';

/**
 * The async standbys a database sends to. Async standbys fed by the group are configured on
 * every Primary/Standby member, so whichever is primary keeps sending (7.6.4, §6.27 item 10);
 * a cascaded async standby is configured only on its single source (7.6.5.3, §2.8).
 */
export function asyncTargetsOf(group: GroupModel, db: DatabaseModel): AsyncDatabaseModel[] {
  const byId = new Map(group.databases.map((d) => [d.id, d]));
  return group.databases.filter((d): d is AsyncDatabaseModel => {
    if (d.role !== 'async') return false;
    const src = byId.get(d.source);
    if (!src) return false;
    return isGuardMember(src) ? isGuardMember(db) : src === db;
  });
}

/** Sync standbys are configured on every Primary/Standby member (7.7.3.3, 7.7.4.3). */
export function syncTargetsOf(group: GroupModel, db: DatabaseModel): SyncDatabaseModel[] {
  return isGuardMember(db) ? group.databases.filter((d) => d.role === 'sync') : [];
}

/** The realtime/timely peers of a member: every other member, since any may become primary (7.2.4.3). */
export function peersOf(group: GroupModel, db: DatabaseModel): DatabaseModel[] {
  return isGuardMember(db) ? group.databases.filter((d) => d !== db && isGuardMember(d)) : [];
}

/** A group has GLOBAL watchers when it has realtime/timely standbys (7.6 note: otherwise LOCAL). */
export function isGlobalGroup(group: GroupModel): boolean {
  return group.databases.some((d) => d.role === 'standby');
}

export function groupOf(model: ClusterModel, db: DatabaseModel): GroupModel {
  const g = model.groups.find((x) => x.name === db.group);
  if (!g) throw new Error(`database ${db.id} names unknown group ${db.group}`);
  return g;
}

const ROLE_RANK: Record<DatabaseModel['role'], number> = { primary: 0, standby: 1, async: 2, sync: 3 };

export interface Placed {
  group: GroupModel;
  db: DatabaseModel;
  inst: InstanceModel;
}

/** Every instance in MAL order: primaries of all groups, then standbys, async, sync (7.4.3.2). */
export function instancesInMalOrder(model: ClusterModel): Placed[] {
  const out: (Placed & { rank: number; gi: number; di: number; ii: number })[] = [];
  // a retired standby keeps its MAL entry, in its place (every member's memory still holds it)
  model.groups.forEach((group, gi) =>
    [...group.databases, ...(group.retired ?? [])].forEach((db, i) =>
      db.instances.forEach((inst, ii) =>
        out.push({ group, db, inst, rank: ROLE_RANK[db.role], gi, di: db.order ?? i, ii }),
      ),
    ),
  );
  out.sort((a, b) => a.rank - b.rank || a.gi - b.gi || a.di - b.di || a.ii - b.ii);
  return out.map(({ group, db, inst }) => ({ group, db, inst }));
}

export interface WatcherUnit {
  host: string;
  /** Where this watcher's dmwatcher.ini lives: the CONFIG_PATH of its first instance (7.2.6, 7.5.14). */
  iniPath: string;
  entries: Placed[];
}

/**
 * One dmwatcher per instance; in MPP, one per host guarding one instance of each group on it
 * (7.4.7). A watcher file has one section per group, so two instances of the same group on a
 * host still get separate watchers.
 */
export function watcherUnits(model: ClusterModel): WatcherUnit[] {
  const units: WatcherUnit[] = [];
  for (const group of model.groups)
    for (const db of group.databases)
      for (const inst of db.instances) {
        const placed = { group, db, inst };
        const shared = isMpp(model)
          ? units.find((u) => u.host === inst.host && !u.entries.some((e) => e.group === group))
          : undefined;
        if (shared) shared.entries.push(placed);
        else units.push({ host: inst.host, iniPath: `${inst.configPath}/dmwatcher.ini`, entries: [placed] });
      }
  return units;
}

/** MON_DW_IP of a database: MAL_HOST:MAL_DW_PORT of each node, DMDSC nodes joined by '/' (§5.5). */
export function monDwIp(model: ClusterModel, db: DatabaseModel): string {
  return db.instances
    .map((i) => {
      const ip = model.hosts[i.host]?.private ?? i.host;
      return hostPort(ip, i.malDwPort);
    })
    .join('/');
}
