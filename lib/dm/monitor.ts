/**
 * Reading dmmonitor's `show` (§4.4): per group, per database, the watcher's type and state and
 * the instance's state, mode and archive status as the monitor sees them. Pure.
 */
import { iniEntries } from '../render/ini';

/**
 * The watcher parameters `set group [group] para value` changes on every watcher of a group, in
 * memory and in dmwatcher.ini (§4.4 item 34): a running watcher takes them without a restart.
 */
export const SET_GROUP_PARAS: ReadonlySet<string> = new Set([
  'DW_ERROR_TIME',
  'INST_RECOVER_TIME',
  'INST_ERROR_TIME',
  'INST_AUTO_RESTART',
  'INST_SERVICE_IP_CHECK',
  'RLOG_SEND_THRESHOLD',
  'RLOG_APPLY_THRESHOLD',
]);

/**
 * The monitor commands that bring the dmwatcher.ini `before` to `after`, when only parameters of
 * SET_GROUP_PARAS differ, each in a [group] section; undefined when anything else differs.
 */
export function setGroupCommands(before: string, after: string): string[] | undefined {
  let a: Map<string, string>;
  let b: Map<string, string>;
  try {
    a = iniEntries(before);
    b = iniEntries(after);
  } catch {
    return undefined; // not an ini this can compare: no online change
  }
  const out: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(k) === b.get(k)) continue;
    const [section, key] = k.split('\0');
    const value = b.get(k);
    if (!section || !key || value === undefined || !a.has(k) || !SET_GROUP_PARAS.has(key)) return undefined;
    out.push(`set group ${section} ${key} ${value}`);
  }
  return out;
}

export interface MonitorView {
  group: string;
  oguid: number;
  databases: {
    instance: string;
    wtype: string;
    wstatus: string;
    instOk: string;
    /** A DMDSC database's nodes (N_EP) and how many of them answer (N_OK). */
    nEp: number;
    nOk: number;
    istatus: string;
    imode: string;
    rtype: string;
    rstat: string;
  }[];
}

export function parseMonitorShow(output: string): MonitorView[] {
  const groups: MonitorView[] = [];
  const lines = output.split('\n');
  let cur: MonitorView | undefined;
  let inDbRows = false;
  for (let i = 0; i < lines.length; i++) {
    const t = (lines[i] ?? '').trim().split(/\s+/);
    if (t[0] === 'GROUP' && t[1] === 'OGUID') {
      const v = (lines[i + 1] ?? '').trim().split(/\s+/);
      cur = groups.find((g) => g.group === v[0]);
      if (!cur) {
        cur = { group: v[0] ?? '', oguid: Number(v[1]), databases: [] };
        groups.push(cur);
      }
      inDbRows = false;
      i++;
      continue;
    }
    if (t[0] === 'DW_IP' && t.includes('INAME')) {
      inDbRows = true;
      continue;
    }
    // EP INFO rows (8 columns) sit between database rows (14, or 13 when WTIME is NULL)
    if (!inDbRows || !cur || t.length < 13) continue;
    const at = (k: number) => t[t.length - k] ?? '';
    const db = {
      instance: at(8),
      wtype: at(11),
      wstatus: at(9),
      instOk: at(7),
      nEp: Number(at(6)),
      nOk: Number(at(5)),
      istatus: at(4),
      imode: at(3),
      rtype: at(2),
      rstat: at(1),
    };
    if (!cur.databases.some((d) => d.instance === db.instance)) cur.databases.push(db);
  }
  return groups;
}
