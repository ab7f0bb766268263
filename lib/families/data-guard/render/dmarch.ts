/**
 * dmarch.ini of one instance: its local archive, REMOTE archives between DMDSC nodes
 * (7.5.3.1), a realtime/timely entry to every other member (any member may become primary,
 * 7.2.4.3), and the async/sync entries of the databases it may send to (7.6.3.3, 7.7.3.3).
 */
import {
  archDestOf,
  type ClusterModel,
  type DatabaseModel,
  type GroupModel,
  type InstanceModel,
} from '../model';
import type { IniDoc, IniSection } from '../../../render/ini';
import { asyncTargetsOf, peersOf, syncTargetsOf } from './topology';

export function renderDmArch(
  model: ClusterModel,
  group: GroupModel,
  db: DatabaseModel,
  inst: InstanceModel,
): IniDoc {
  const sections: IniSection[] = [];
  const add = (kind: string, entries: IniSection['entries']) => {
    const n = sections.filter((s) => s.name.startsWith(`ARCHIVE_${kind}`)).length + 1;
    sections.push({ name: `ARCHIVE_${kind}${n}`, entries });
  };
  add('LOCAL', [
    ['ARCH_TYPE', 'LOCAL'],
    ['ARCH_DEST', inst.archiveDir],
    ['ARCH_FILE_SIZE', model.archive.fileSize],
    ['ARCH_SPACE_LIMIT', model.archive.spaceLimit],
  ]);
  for (const other of db.layout === 'dsc' ? db.instances.filter((i) => i !== inst) : [])
    add('REMOTE', [
      ['ARCH_TYPE', 'REMOTE'],
      ['ARCH_DEST', other.name],
      ['ARCH_INCOMING_PATH', other.archiveDir],
    ]);
  for (const peer of peersOf(group, db))
    add(group.archiveType, [
      ['ARCH_TYPE', group.archiveType],
      ['ARCH_DEST', archDestOf(peer)],
    ]);
  for (const target of asyncTargetsOf(group, db)) {
    if (!target.timer) throw new Error(`async standby ${target.id} has no timer (ASYNC_TIMER_REQUIRED)`);
    add('ASYNC', [
      ['ARCH_TYPE', 'ASYNC'],
      ['ARCH_DEST', archDestOf(target)],
      ['ARCH_TIMER_NAME', target.timer.name],
      ...(target.sendDelay !== undefined ? ([['ARCH_SEND_DELAY', target.sendDelay]] as const) : []),
    ]);
  }
  for (const target of syncTargetsOf(group, db))
    add('SYNC', [
      ['ARCH_TYPE', 'SYNC'],
      ['ARCH_DEST', archDestOf(target)],
      ['ARCH_RECOVER_TIME', target.recoverTime],
    ]);
  const globals: IniDoc['globals'] =
    group.archWaitApply !== undefined && peersOf(group, db).length > 0
      ? [['ARCH_WAIT_APPLY', group.archWaitApply]]
      : [];
  return { globals, sections };
}
