/**
 * What the planner's builders share: the backup set's place, a database's node 0, the step
 * parameters made from an instance or a rendered file, which standbys join a running group, and
 * the builder every group is planned with.
 */
import path from 'node:path/posix';
import type { RenderedFile } from '../../../render';
import { monitoringMode, renderDmMonitor, type ExtraDwIp } from '../render/dmmonitor';
import { writeIni } from '../../../render/ini';
import {
  isGuardMember,
  isMpp,
  type ClusterModel,
  type DatabaseModel,
  type GroupModel,
  type InstanceModel,
} from '../model';
import type { DscNode, Step } from '../../../plan/step';

export { fileOf } from '../../../render/file';

/** What a builder adds steps with: the model, its rendered files, and the steps so far. */
export interface PlanBuilder {
  model: ClusterModel;
  files: readonly RenderedFile[];
  steps: Step[];
  add(s: Step): string;
  /** The preflight step every first step waits for. */
  preflight: string;
  /** MPP (7.4.3.4): the step that makes dmmpp.ctl, which every MOUNT start reads. */
  mppCtlId?: string;
  /** The steps the mpp-ctl step waits for: every database exists. */
  mppAfter: string[];
}

/** The backup set of 7.1.1, on the primary and copied to the same path on each standby host. */
export const BACKUP_NAME = 'BACKUP_FILE1';

export function backupDirOf(group: GroupModel): string {
  const db = primaryOf(group);
  const p = db.instances[0];
  // 7.5.3.3: a DMDSC primary's set goes where the model says (resolve gives the default)
  if (db.layout === 'dsc') {
    if (!db.backupDir) throw new Error(`DMDSC database ${db.id} has no backup directory in its model`);
    return db.backupDir;
  }
  return path.join(p?.initPath ?? path.dirname(p?.configPath ?? '/'), 'BACKUP_FILE_01');
}

export function primaryOf(group: GroupModel): DatabaseModel {
  const p = group.databases.find((d) => d.role === 'primary');
  if (!p) throw new Error(`group ${group.name} has no primary`);
  return p;
}

/** Node 0 of a database: the single instance, or a DMDSC database's control node (§2.7.5). */
export const node0 = (db: DatabaseModel): InstanceModel => {
  const i = db.instances[0];
  if (!i) throw new Error(`${db.id}: no instance`);
  return i;
};

export const server = (i: InstanceModel) => ({ instance: i.name, iniPath: i.iniPath, port: i.port });
export const dscNode = (i: InstanceModel): DscNode => {
  if (!i.dcrIni) throw new Error(`${i.name}: a DMDSC node needs its dmdcr.ini (DSC_DCR_INI_REQUIRED)`);
  return { ...server(i), host: i.host, dcrIni: i.dcrIni };
};

/** The instance roles whose files the config step writes before the instance starts in MOUNT. */
export const INSTANCE_FILES = new Set(['dm.ini', 'dmmal.ini', 'dmarch.ini', 'dmtimer.ini', 'dmwatcher.ini']);

/**
 * Whether `db` joins `group` once the group runs, in a group of single-instance databases outside
 * an MPP system: a realtime or timely standby online (7.9-7.10); an async or sync standby only
 * with restarts: rolling, because the manual adds it to a group it shut down normally (7.6.2,
 * 7.6.3.5, 7.7.3.4): its MAL entry goes in online as 7.10.3 does, and the archive destination to
 * it (with TIMER_INI and dmtimer.ini for an async one) takes effect as each member restarts in
 * §6.19's order, instead of the whole group stopping at once. A single-instance realtime or
 * timely standby also joins a group whose primary is a DMDSC cluster, through every node; a
 * DMDSC standby joins a group without another DMDSC database (7.11). A standby of an MPP group
 * joins by 7.10 within its group, every instance of the MPP system taking its MAL entry (the
 * manual has no online procedure for an MPP system: docs/manual-deviations.md J7).
 */
export function joinsOnline(model: ClusterModel, group: GroupModel, db: DatabaseModel): boolean {
  // an MPP group: a single-instance realtime standby, by 7.10 within its group (J7)
  if (isMpp(model)) return db.role === 'standby' && db.layout !== 'dsc' && db.instances.length === 1;
  // 7.11: a DMDSC standby, only where the group has no other DMDSC database
  if (db.layout === 'dsc')
    return (
      db.role === 'standby' &&
      group.databases.every((d) => d === db || (d.layout !== 'dsc' && d.instances.length === 1))
    );
  if (db.instances.length !== 1) return false;
  // with a DMDSC primary, every node takes the MAL entry and the archive destination (7.5.3.1:
  // each node's dmarch.ini; docs/manual-deviations.md J6)
  if (db.role === 'standby') return true;
  if (!joinsGroup(model, group)) return false;
  return (db.role === 'async' || db.role === 'sync') && model.restarts === 'rolling';
}

/** A group of single-instance databases outside an MPP system: joins and rolling restarts are built for it. */
export function joinsGroup(model: ClusterModel, group: GroupModel): boolean {
  return !isMpp(model) && group.databases.every((d) => d.layout !== 'dsc' && d.instances.length === 1);
}

export const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } =>
  (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };

/** The instances that run with MPP_INI = 1 and read dmmpp.ctl: primaries and GLOBAL standbys (§5.1). */
export function mppInstances(model: ClusterModel): InstanceModel[] {
  return model.groups.flatMap((g) => g.databases.filter(isGuardMember).flatMap((d) => d.instances));
}

export function monitorFiles(files: readonly RenderedFile[]): RenderedFile[] {
  return files.filter((f) => f.role === 'dmmonitor.ini');
}

/**
 * The monitoring-mode copy (§4.4) of the rendered dmmonitor.ini `f`, rendered as `f` was (a
 * multi-instance monitor's for the instance on f's host, 7.2.5.2), with `extra` databases.
 */
export function monitoringIni(
  model: ClusterModel,
  f: RenderedFile,
  extra: readonly ExtraDwIp[] = [],
): string {
  const self = model.monitor?.multi?.instances.find((i) => i.host === f.host);
  return writeIni(monitoringMode(renderDmMonitor(model, self), extra));
}
