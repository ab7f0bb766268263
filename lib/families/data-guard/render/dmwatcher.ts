/**
 * dmwatcher.ini of one watcher (7.2.3.4): GLOBAL for primary and standbys, LOCAL for async
 * and sync standbys (7.6.5.5, 7.7.5.4); DCR_INI on DMDSC nodes, whose restarts are dmcss's job
 * (7.5.8); one section per group when a watcher guards several MPP groups (7.4.7).
 */
import type { ClusterModel } from '../model';
import type { IniDoc, IniSection } from '../../../render/ini';
import { isGlobalGroup, type WatcherUnit } from './topology';

export function renderDmWatcher(model: ClusterModel, unit: WatcherUnit): IniDoc {
  const w = model.watcher;
  const sections: IniSection[] = unit.entries.map(({ group, db, inst }) => {
    const global = isGlobalGroup(group) && (db.role === 'primary' || db.role === 'standby');
    const autoRestart = db.layout === 'dsc' ? 0 : w.autoRestart ? 1 : 0;
    const entries: IniSection['entries'] = global
      ? [
          ['DW_TYPE', 'GLOBAL'],
          ['DW_MODE', w.mode],
          ['DW_ERROR_TIME', w.dwErrorTime],
          ['INST_RECOVER_TIME', w.instRecoverTime],
          ['INST_ERROR_TIME', w.instErrorTime],
          ['INST_OGUID', group.oguid],
          ['INST_INI', inst.iniPath],
          ...(inst.dcrIni ? ([['DCR_INI', inst.dcrIni]] as const) : []),
          ['INST_AUTO_RESTART', autoRestart],
          ['INST_STARTUP_CMD', `${model.dmHome}/bin/dmserver`],
          ['RLOG_SEND_THRESHOLD', w.rlogSendThreshold],
          ['RLOG_APPLY_THRESHOLD', w.rlogApplyThreshold],
        ]
      : [
          ['DW_TYPE', 'LOCAL'],
          // 7.6.5.5: DW_MODE has no effect on a LOCAL watcher; the manual writes MANUAL
          ['DW_MODE', 'MANUAL'],
          ['DW_ERROR_TIME', w.dwErrorTime],
          ['INST_ERROR_TIME', w.instErrorTime],
          ['INST_OGUID', group.oguid],
          ['INST_INI', inst.iniPath],
          ...(inst.dcrIni ? ([['DCR_INI', inst.dcrIni]] as const) : []),
          ['INST_AUTO_RESTART', autoRestart],
          ['INST_STARTUP_CMD', `${model.dmHome}/bin/dmserver`],
        ];
    return { name: group.name, entries };
  });
  return { globals: [], sections };
}
