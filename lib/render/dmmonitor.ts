/**
 * dmmonitor.ini (7.2.5): one group section per data-guard group (MPP: all groups, 7.4.8.1),
 * one MON_DW_IP per database = MAL_HOST:MAL_DW_PORT, DMDSC nodes joined by '/' (7.5.9).
 * A multi-instance monitor (7.2.5.2) gets one file per instance, identical but MON_ID/MON_NAME.
 */
import type { ClusterModel, MonitorInstanceModel } from '../spec/model';
import type { IniDoc, IniEntry, IniSection } from './ini';
import { monDwIp } from './topology';

export function renderDmMonitor(model: ClusterModel, self?: MonitorInstanceModel): IniDoc {
  const m = model.monitor;
  if (!m) throw new Error('renderDmMonitor: the spec has no monitor');
  const globals: IniEntry[] = [
    ['MON_DW_CONFIRM', m.confirm ? 1 : 0],
    ['MON_LOG_PATH', m.logPath],
    ['MON_LOG_INTERVAL', m.logInterval],
    ['MON_LOG_FILE_SIZE', m.logFileSize],
    ['MON_LOG_SPACE_LIMIT', m.logSpaceLimit],
  ];
  if (m.multi && self) {
    globals.push(
      ['MON_INST_NUM', m.multi.instances.length],
      ['MON_HB_INTERVAL', m.multi.hbInterval],
      ['MON_BRO_INTERVAL', m.multi.broInterval],
      ['MON_VOTE_INTERVAL', m.multi.voteInterval],
      ['MON_ID', self.id],
      ['MON_MID', m.multi.mid],
      ['MON_NAME', self.name],
    );
  }
  const sections: IniSection[] = model.groups.map((g) => ({
    name: g.name,
    entries: [
      ['MON_INST_OGUID', g.oguid],
      ...g.databases.map((d) => ['MON_DW_IP', monDwIp(model, d)] as const),
    ],
  }));
  for (const mi of m.multi?.instances ?? [])
    sections.push({
      name: mi.name,
      entries: [
        ['MON_HOST', model.hosts[mi.host]?.private ?? mi.host],
        ['MON_PORT', mi.port],
        ['MON_INST_ID', mi.id],
      ],
    });
  return { globals, sections };
}
