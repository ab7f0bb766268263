/** The dmdcr.ini keys that make dmcss restart a DMDSC node's dmserver in MOUNT (7.5.10). */
import type { ClusterModel, DatabaseModel, InstanceModel } from '../model';
import type { IniEntry } from '../../../render/ini';

export function renderDmDcrPatch(
  model: ClusterModel,
  db: DatabaseModel,
  inst: InstanceModel,
): IniEntry[] | undefined {
  if (db.layout !== 'dsc' || db.dmcssRestartInterval === undefined || !inst.dcrIni) return undefined;
  return [
    ['DMDCR_DB_RESTART_INTERVAL', db.dmcssRestartInterval],
    // 7.5.10: dmcss must restart the node in MOUNT, or it would open outside the watcher's control
    [
      'DMDCR_DB_STARTUP_CMD',
      `${model.dmHome}/bin/dmserver path=${inst.iniPath} dcr_ini=${inst.dcrIni} mount`,
    ],
  ];
}
