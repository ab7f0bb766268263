/** Reading the hosts' dmsim action logs (from the runner, through the directory each host mounts at /dm). */
import { existsSync, readFileSync } from 'node:fs';
import type { Lab } from '../lab/lab';
import type { LogRecord } from '../dmsim/src/common';

export type HostRecord = LogRecord & { host: string };

export function readLogs(lab: Lab, hosts: readonly string[]): HostRecord[] {
  return hosts
    .flatMap((host) => {
      const file = lab.dmPath(host, '/dm/dmsim.log');
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l): HostRecord => ({ ...(JSON.parse(l) as LogRecord), host }));
    })
    .sort((a, b) => Date.parse(String(a.t)) - Date.parse(String(b.t)));
}

/** Tools whose every run changes something on the host. */
const MUTATING_TOOLS = new Set([
  'dminit',
  'dmrman',
  'dmserver',
  'dmwatcher',
  'dmctlcvt',
  'dmcss',
  'dmasmsvr',
]);

/**
 * The confirm monitors started that stayed: a start whose process a watcher refused (a second
 * confirm monitor of a group, 4.1) exited at once and changed nothing.
 */
export function confirmMonitorStarts(log: readonly HostRecord[]): HostRecord[] {
  // a refusal belongs to the latest start of that process (pids are reused over a long run)
  const latest = new Map<string, HostRecord>();
  const refused = new Set<HostRecord>();
  for (const r of log) {
    if (r.tool !== 'dmmonitor') continue;
    const key = `${r.host}:${r.pid}`;
    if (r.event === 'start') latest.set(key, r);
    else if (r.event === 'refused' && latest.has(key)) refused.add(latest.get(key) as HostRecord);
  }
  return log.filter(
    (r) => r.event === 'start' && r.tool === 'dmmonitor' && r.confirm === true && !refused.has(r),
  );
}

/**
 * The mutating commands in a log: runs of the tools that change state, statements a dmserver
 * executed other than successful SELECTs, and confirm monitors started (that stayed). Reads
 * (disql SELECTs, a monitoring-mode `show`) are not counted.
 */
export function mutatingCommands(log: readonly HostRecord[]): HostRecord[] {
  const monitors = new Set(confirmMonitorStarts(log));
  return log.filter(
    (r) =>
      (r.event === 'invoke' && MUTATING_TOOLS.has(String(r.tool))) ||
      (r.event === 'exec' && r.tool === 'dmserver') ||
      monitors.has(r),
  );
}

/** How many times each instance was initialised / restored. */
export function perInstance(log: readonly HostRecord[], event: 'dminit' | 'restore'): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of log.filter((x) => x.event === event)) {
    const key = `${r.host}:${String(r.path ?? r.ini ?? r.instance ?? '')}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

/**
 * §6.4's teardown order as the hosts' logs show it: every monitor and watcher exit and dmserver
 * shutdown since `from`, named by role ('monitor', 'standby watcher', 'primary server', …), the
 * primary being whatever runs on `primaryHosts`; and whether every shutdown was normal.
 */
export function teardownSequence(
  log: readonly HostRecord[],
  from: number,
  primaryHosts: readonly string[],
): { seq: string[]; inOrder: boolean; allNormal: boolean } {
  const stops = log
    .filter((r) => Date.parse(String(r.t)) >= from)
    .filter(
      (r) =>
        (r.event === 'exit' && (r.tool === 'dmmonitor' || r.tool === 'dmwatcher')) ||
        (r.event === 'shutdown' && r.tool === 'dmserver'),
    );
  const role = (host: string) => (primaryHosts.includes(host) ? 'primary' : 'standby');
  const seq = stops.map((r) =>
    r.tool === 'dmmonitor' ? 'monitor' : `${role(r.host)} ${r.tool === 'dmwatcher' ? 'watcher' : 'server'}`,
  );
  const rank = ['monitor', 'standby watcher', 'primary watcher', 'primary server', 'standby server'];
  const sorted = [...seq].sort((a, b) => rank.indexOf(a) - rank.indexOf(b));
  return {
    seq,
    inOrder: seq.every((x, i) => x === sorted[i]),
    allNormal: stops.filter((r) => r.event === 'shutdown').every((r) => r.normal === true),
  };
}
