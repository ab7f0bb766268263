/**
 * dmmonitor.ini (7.2.5): one group section per data-guard group (MPP: all groups, 7.4.8.1),
 * one MON_DW_IP per database = MAL_HOST:MAL_DW_PORT, DMDSC nodes joined by '/' (7.5.9).
 * A multi-instance monitor (7.2.5.2) gets one file per instance, identical but MON_ID/MON_NAME.
 */
import type { ClusterModel, GroupModel, MonitorInstanceModel } from '../model';
import type { IniDoc, IniEntry, IniSection } from '../../../render/ini';
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

/** A database put in a monitoring copy's group besides the spec's: its MON_DW_IP. */
export interface ExtraDwIp {
  group: string;
  dwIp: string;
}

/**
 * The monitoring-mode copy of a dmmonitor.ini that dmdeploy writes to a temporary directory and
 * sends commands or `show` from (§4.4): MON_DW_CONFIRM = 0, so the confirm monitor keeps its role
 * (a second confirm monitor exits, §3.3, §4.1); no MON_LOG_PATH, so its log goes into the copy's own
 * directory (§4.5, §5.5), removed with it and never into the confirm monitor's. `extra`
 * databases are listed in their groups after the spec's.
 */
export function monitoringMode(doc: IniDoc, extra: readonly ExtraDwIp[] = []): IniDoc {
  return {
    globals: doc.globals
      .filter(([k]) => k !== 'MON_LOG_PATH')
      .map(([k, v]): IniEntry => (k === 'MON_DW_CONFIRM' ? [k, 0] : [k, v])),
    sections: doc.sections.map((s) => ({
      name: s.name,
      entries: [
        ...s.entries,
        ...extra.filter((e) => e.group === s.name).map((e): IniEntry => ['MON_DW_IP', e.dwIp]),
      ],
    })),
  };
}

/**
 * A monitoring-mode monitor of `groups` alone, whether or not the spec has a monitor: teardown
 * sends `set group <g> auto restart off` from it (§4.4 item 31), and may run where the deploy's
 * dmmonitor.ini is gone. It keeps no log (MON_LOG_INTERVAL = 0, §5.5).
 */
export function renderGroupsMonitor(model: ClusterModel, groups: readonly GroupModel[]): IniDoc {
  return monitoringMode({
    globals: [
      ['MON_DW_CONFIRM', 0],
      ['MON_LOG_INTERVAL', 0],
      ['MON_LOG_FILE_SIZE', 32],
      ['MON_LOG_SPACE_LIMIT', 0],
    ],
    sections: groups.map((g) => ({
      name: g.name,
      entries: [
        ['MON_INST_OGUID', g.oguid],
        ...g.databases.map((d) => ['MON_DW_IP', monDwIp(model, d)] as const),
      ],
    })),
  });
}
