/**
 * From a validated model, the deploy plan in the manual's order (7.1-7.7) and the teardown plan
 * of §6.4. Pure: the same model gives the same plan.
 */
import path from 'node:path/posix';
import { renderDataGuard } from '../render';
import { renderDmArch } from '../render/dmarch';
import { deployedRecord, recordDigest } from './deployed';
import { watcherUnits } from '../render/topology';
import { isMpp, type ClusterModel } from '../model';
import { ALL_HOSTS, type Plan, type Step, type VerifyGroup } from '../../../plan/step';
import { topoSort } from '../../../plan/topo';
import { planGroup } from './group';
import {
  dscNode,
  fileOf,
  monitorFiles,
  monitoringIni,
  mppInstances,
  server,
  type PlanBuilder,
} from './parts';
import { planTeardown } from './teardown';
import { planMppCtl } from './mpp';
import { dcpPreflight, planDcp } from '../dcp/plan';

export function planDataGuard(model: ClusterModel): Plan {
  const files = renderDataGuard(model);
  const steps: Step[] = [];
  const add = (s: Step): string => {
    steps.push(s);
    return s.id;
  };
  const dscNodes = model.groups.flatMap((g) =>
    g.databases.filter((d) => d.layout === 'dsc').flatMap((d) => d.instances.map(dscNode)),
  );

  const preflight = add({
    id: 'cluster/preflight',
    phase: 'preflight',
    host: ALL_HOSTS,
    title: 'check every host: tools, word size, byte order, time zone, clock, ports, paths',
    manual: dscNodes.length ? '7 (introduction), 7.5.3' : '7 (introduction)',
    after: [],
    params: {
      kind: 'preflight',
      hosts: Object.keys(model.hosts).sort(),
      ports: [
        ...model.groups.flatMap((g) =>
          g.databases.flatMap((d) =>
            d.instances.flatMap((i) =>
              (['port', 'malPort', 'malDwPort', 'instDwPort'] as const).map((k) => ({
                host: i.host,
                port: i[k],
                owner: i.name,
                configPath: i.configPath,
              })),
            ),
          ),
        ),
        ...(isMpp(model) ? dcpPreflight(model).ports : []),
      ],
      paths: [
        ...model.groups.flatMap((g) =>
          g.databases.flatMap((d) =>
            d.instances.map((i) => ({ host: i.host, path: i.initPath ?? i.configPath })),
          ),
        ),
        ...monitorFiles(files).map((f) => ({ host: f.host, path: path.dirname(f.path) })),
        ...(isMpp(model) ? dcpPreflight(model).paths : []),
      ],
      ...(dscNodes.length ? { dsc: dscNodes } : {}),
    },
  });

  // MPP (7.4.3.4): one dmmpp.ctl, made after every database exists, read by every MOUNT start
  const mppFile = files.find((f) => f.role === 'dmmpp.ini');
  const mppCtlId = mppFile?.instance ? `${mppFile.instance}/mpp-ctl` : undefined;
  const mppAfter: string[] = [];

  const modeSteps = new Map<string, string[]>();
  let lastMppJoin: string | undefined;
  const b: PlanBuilder = { model, files, steps, add, preflight, mppCtlId, mppAfter };
  for (const group of model.groups) {
    const planned = planGroup(b, group, lastMppJoin);
    if (isMpp(model)) lastMppJoin = planned.lastJoin;
    modeSteps.set(group.name, planned.modes);
  }

  if (mppFile && mppCtlId) planMppCtl(b, mppFile, mppCtlId);

  const watchers = watcherUnits(model).map((unit) => {
    const first = unit.entries[0]?.inst;
    return add({
      id: `${isMpp(model) ? unit.host : (first?.name ?? unit.host)}/watcher`,
      phase: 'watch',
      host: unit.host,
      title: `start dmwatcher ${unit.iniPath}`,
      manual: isMpp(model) ? '7.4.9' : unit.entries.some((e) => e.db.layout === 'dsc') ? '7.5.14' : '7.2.6',
      after: [...new Set(unit.entries.flatMap((e) => modeSteps.get(e.group.name) ?? []))],
      params: { kind: 'watcher', iniPath: unit.iniPath, instances: unit.entries.map((e) => server(e.inst)) },
    });
  });

  const monitors = monitorFiles(files).map((f) =>
    add({
      id: `${f.host}/monitor`,
      phase: 'monitor',
      host: f.host,
      title:
        `write ${f.path}${model.monitor?.confirm ? ' and start the confirm monitor' : ''}` +
        // 7.2.5.2 asks for its online log files to be initialised first, by a procedure (its
        // 4.2.2.2.2) the sources do not hold: said here, and in docs/manual-deviations.md
        (/^\s*MON_MID\s*=/m.test(f.content)
          ? '; its online log files are not initialised first (4.2.2.2.2 is not in the sources, docs/manual-deviations.md)'
          : ''),
      manual: isMpp(model) ? '7.4.8, 7.4.10' : '7.2.5, 7.2.7',
      after: watchers,
      params: {
        kind: 'monitor',
        iniPath: f.path,
        confirm: model.monitor?.confirm ?? false,
        files: [fileOf(f)],
        monitoringIni: monitoringIni(model, f),
      },
    }),
  );

  const watcherIniOf = new Map(
    watcherUnits(model).flatMap((u) => u.entries.map((e) => [e.inst.name, u.iniPath] as const)),
  );
  const verifyGroups: VerifyGroup[] = model.groups.map((g) => ({
    name: g.name,
    oguid: g.oguid,
    databases: g.databases.flatMap((d) =>
      d.instances.map((i) => ({
        database: d.id,
        role: d.role,
        host: i.host,
        instance: i.name,
        port: i.port,
        watcherIni: watcherIniOf.get(i.name) ?? '',
        // as V$ARCH_STATUS shows them (002 §10): a REMOTE archive by its ARCH_INCOMING_PATH
        archives: renderDmArch(model, g, d, i).sections.map((s) => {
          const get = (k: string) => String(s.entries.find(([key]) => key === k)?.[1] ?? '');
          const type = get('ARCH_TYPE');
          return { type, dest: type === 'REMOTE' ? get('ARCH_INCOMING_PATH') : get('ARCH_DEST') };
        }),
      })),
    ),
  }));
  const mon = monitorFiles(files)[0];
  add({
    id: 'cluster/verify',
    phase: 'verify',
    host: ALL_HOSTS,
    title:
      'one PRIMARY/OPEN per group, every standby STANDBY/OPEN, archives VALID, watchers OPEN, the monitor sees all' +
      (isMpp(model) ? ', dmmpp.ctl identical everywhere' : ''),
    manual: '7.2.7, §4.4',
    after: monitors.length ? monitors : watchers,
    params: {
      kind: 'verify',
      groups: verifyGroups,
      ...(mon
        ? { monitor: { host: mon.host, iniPath: mon.path, confirm: model.monitor?.confirm ?? false } }
        : {}),
      ...(isMpp(model)
        ? {
            mppCtl: mppInstances(model).map((i) => ({
              instance: i.name,
              host: i.host,
              path: path.join(i.configPath, 'dmmpp.ctl'),
            })),
          }
        : {}),
    },
  });

  // 001 6.2: DCP proxies once the MPP system is verified
  if (isMpp(model)) for (const s of planDcp(model, files, { preflight, verify: 'cluster/verify' })) add(s);

  const plan: Plan = {
    version: 2,
    cluster: model.name,
    kind: model.kind,
    dmHome: model.dmHome,
    ssh: model.ssh,
    secrets: model.secrets,
    hosts: model.hosts,
    steps: topoSort(steps),
    teardown: planTeardown(model, files),
  };
  // preflight runs again whenever what the cluster is changes (deployedRecord leaves both out), and
  // so does verify, which records it once the cluster is healthy
  const digest = recordDigest(deployedRecord(plan));
  for (const s of plan.steps) {
    if (s.params.kind === 'preflight' || s.params.kind === 'verify') s.params.deployed = digest;
    if (s.params.kind === 'preflight' && model.restarts === 'rolling') s.params.restarts = 'rolling';
  }
  return plan;
}
