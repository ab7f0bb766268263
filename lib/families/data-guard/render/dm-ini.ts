/** dm.ini: the keys dmdeploy sets in the dm.ini that dminit wrote (7.2.3.1, 7.4.3.1, 7.5.5, 7.6.3.1). */
import {
  isGuardMember,
  isMpp,
  type ClusterModel,
  type DatabaseModel,
  type GroupModel,
  type InstanceModel,
} from '../model';
import type { IniEntry } from '../../../render/ini';
import { asyncTargetsOf } from './topology';

export function renderDmIniPatch(
  model: ClusterModel,
  group: GroupModel,
  db: DatabaseModel,
  inst: InstanceModel,
): IniEntry[] {
  const entries: IniEntry[] = [
    ['INSTANCE_NAME', inst.name],
    ['PORT_NUM', inst.port],
    ['DW_INACTIVE_INTERVAL', 60],
    // 7.2.3.1: no manual change of mode/status/OGUID outside dmdeploy's guarded steps
    ['ALTER_MODE_STATUS', 0],
    // §6.27 item 16: offlining a tablespace on a standby crashes it
    ['ENABLE_OFFLINE_TS', 2],
    ['MAL_INI', 1],
    ['ARCH_INI', 1],
  ];
  // 7.6.3.1 / 7.6.5.1: every instance that sends to an async standby runs the timer
  if (asyncTargetsOf(group, db).length > 0) entries.push(['TIMER_INI', 1]);
  // §5.1, 7.4.3.1: MPP_INI on MPP primaries and GLOBAL standbys
  if (isMpp(model) && isGuardMember(db)) entries.push(['MPP_INI', 1]);
  entries.push(['RLOG_SEND_APPLY_MON', 64]);
  // extra settings from the spec; the derived keys above are protected by DM_INI_MANAGED_KEY
  const have = new Map(entries.map(([k], i) => [k, i]));
  for (const [k, v] of Object.entries(model.dmIni)) {
    const key = k.toUpperCase();
    const i = have.get(key);
    if (i !== undefined) entries[i] = [key, v];
    else entries.push([key, v]);
  }
  return entries;
}
