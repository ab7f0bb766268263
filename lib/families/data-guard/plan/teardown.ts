/** The teardown plan of §6.4 (cdktf destroy). */
import path from 'node:path/posix';
import type { RenderedFile } from '../../../render';
import { renderGroupsMonitor } from '../render/dmmonitor';
import { writeIni } from '../../../render/ini';
import { monDwIp, watcherUnits } from '../render/topology';
import { isMpp, type ClusterModel, type DatabaseModel } from '../model';
import { dcpPurgePaths, dcpTeardown } from '../dcp/plan';
import type { Step } from '../../../plan/step';
import { backupDirOf, monitorFiles, node0, primaryOf, server } from './parts';

/**
 * §6.4: the confirm monitor, the standby watchers, the primary watcher, the primary, the standbys.
 * Before all that, dmcss's restart of DMDSC nodes is turned off (§4.4 item 31), or dmcss would
 * start the nodes again (7.5.10).
 */
export function planTeardown(model: ClusterModel, files: readonly RenderedFile[]): Step[] {
  const out: Step[] = [];
  // no cross-phase edges: teardown runs phase by phase (TEARDOWN_PHASES, teardownBefore)
  const add = (s: Omit<Step, 'manual'> & { manual?: string }): void => {
    out.push({ ...s, manual: s.manual ?? (s.phase === 'purge' ? 'purgeData' : '§6.4') });
  };
  // 001: the DCP proxies, clients of the MPP system, go first
  if (isMpp(model)) for (const s of dcpTeardown(model)) add(s);
  const restarting = model.groups.filter((g) =>
    g.databases.some((d) => d.layout === 'dsc' && d.dmcssRestartInterval !== undefined),
  );
  const first = restarting[0]?.databases.find(
    (d) => d.layout === 'dsc' && d.dmcssRestartInterval !== undefined,
  );
  if (first && restarting.length)
    add({
      id: `${node0(first).name}/stop-auto-restart`,
      phase: 'stop-auto-restart',
      host: node0(first).host,
      title: `dmmonitor: set group ${restarting.map((g) => g.name).join(', ')} auto restart off`,
      manual: '§4.4 item 31, 7.5.10',
      after: [],
      params: {
        kind: 'stop-auto-restart',
        groups: restarting.map((g) => ({
          name: g.name,
          oguid: g.oguid,
          monDwIps: g.databases.map((d) => monDwIp(model, d)),
        })),
        monitoringIni: writeIni(renderGroupsMonitor(model, restarting)),
      },
    });
  if (model.monitor?.confirm)
    for (const f of monitorFiles(files))
      add({
        id: `${f.host}/stop-monitor`,
        phase: 'stop-monitor',
        host: f.host,
        title: 'stop the confirm monitor',
        after: [],
        params: { kind: 'stop-monitor', iniPath: f.path },
      });
  const units = watcherUnits(model);
  const isPrimaryUnit = (u: (typeof units)[number]) => u.entries.some((e) => e.db.role === 'primary');
  const stopWatcher = (u: (typeof units)[number]) =>
    add({
      id: `${u.entries[0]?.inst.name ?? u.host}/stop-watcher`,
      phase: isPrimaryUnit(u) ? 'stop-primary-watcher' : 'stop-standby-watchers',
      host: u.host,
      title: `stop dmwatcher ${u.iniPath}`,
      after: [],
      params: { kind: 'stop-watcher', iniPath: u.iniPath },
    });
  units.filter((u) => !isPrimaryUnit(u)).forEach(stopWatcher);
  units.filter(isPrimaryUnit).forEach(stopWatcher);
  const stopServers = (db: DatabaseModel) =>
    db.instances.map((i) =>
      add({
        id: `${i.name}/stop-server`,
        phase: db.role === 'primary' ? 'stop-primary' : 'stop-standbys',
        host: i.host,
        title: 'SHUTDOWN (normal) and wait for dmserver to exit',
        after: [],
        params: { kind: 'stop-server', ...server(i) },
      }),
    );
  const all = model.groups.flatMap((g) => g.databases);
  // a standby marked removed whose leave never finished is stopped with the other standbys
  const retired = model.groups.flatMap((g) => g.retired ?? []);
  for (const d of retired)
    for (const i of d.instances)
      add({
        id: `${i.name}/stop-watcher`,
        phase: 'stop-standby-watchers',
        host: i.host,
        title: `stop dmwatcher ${path.join(i.configPath, 'dmwatcher.ini')} (marked removed)`,
        after: [],
        params: { kind: 'stop-watcher', iniPath: path.join(i.configPath, 'dmwatcher.ini') },
      });
  all.filter((d) => d.role === 'primary').forEach(stopServers);
  [...all.filter((d) => d.role !== 'primary'), ...retired].forEach(stopServers);
  if (model.purgeData) {
    // the databases dmdeploy made, and the backup sets; an existing DMDSC database is never removed
    const byHost = new Map<string, string[]>();
    const purge = (host: string, p: string) => byHost.set(host, [...(byHost.get(host) ?? []), p]);
    for (const g of model.groups) {
      const p = node0(primaryOf(g));
      purge(p.host, backupDirOf(g));
      for (const d of g.databases)
        if (d.layout !== 'dsc')
          for (const i of d.instances) {
            purge(i.host, path.join(i.initPath ?? path.dirname(i.configPath), i.dbName ?? 'DAMENG'));
            purge(i.host, backupDirOf(g));
          }
        else if (d.role !== 'primary') purge(node0(d).host, backupDirOf(g));
    }
    if (isMpp(model)) for (const d of dcpPurgePaths(model)) purge(d.host, d.path);
    for (const [host, paths] of [...byHost].sort(([a], [b]) => (a < b ? -1 : 1)))
      add({
        id: `${host}/purge`,
        phase: 'purge',
        host,
        title: `remove ${[...new Set(paths)].join(', ')}`,
        after: [],
        params: { kind: 'purge', paths: [...new Set(paths)].sort() },
      });
  }
  return out;
}
