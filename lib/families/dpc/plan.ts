/**
 * The DpcCluster plan in the order of 003 7.1: dminit every node, mp.ini everywhere, start the
 * MP, register everything on it, start the SPs and BPs, verify; teardown SPs, then BPs, then the
 * MP (7.1.8). Pure: the same model gives the same plan.
 */
import path from 'node:path/posix';
import { fileOf } from '../../plan/parts';
import { ALL_HOSTS, type DpcCatalogue, type Plan, type Step } from '../../plan/step';
import { topoSort } from '../../plan/topo';
import { dpcNodes, type DpcModel, type DpcNode } from './model';
import { renderDpc } from './render';

const server = (n: DpcNode) => ({ instance: n.name, iniPath: n.iniPath, port: n.port });

/** The catalogue 003 7.1.4 registers, from the model: MPs, then each BP RAFT and its members, BP groups, SPs. */
export function dpcCatalogue(model: DpcModel): DpcCatalogue {
  const ip = (n: DpcNode) => ({
    ipInternal: model.hosts[n.host]?.private ?? n.host,
    ipExternal: model.hosts[n.host]?.public ?? n.host,
  });
  const inst = (n: DpcNode, raft: string | null, status: number, sysMode: 'NORMAL' | 'STANDBY') => ({
    raft,
    name: n.name,
    role: n.role,
    apPort: n.apPort,
    port: n.port,
    ...ip(n),
    sysMode,
    status,
    description: `${n.role} instance`,
  });
  // 003:L303: members of a multi-replica group register as STANDBY, status 0; a single replica NORMAL, 1
  const member = (n: DpcNode, raft: string | null, size: number) =>
    size > 1 ? inst(n, raft, 0, 'STANDBY') : inst(n, raft, 1, 'NORMAL');
  return {
    rafts: [
      ...model.bpRafts.map((r) => ({ name: r.name, role: 'BP' as const })),
      ...model.spRafts.map((r) => ({ name: r.name, role: 'SP' as const })),
    ],
    instances: [
      ...model.mp.members.map((n) => member(n, null, model.mp.members.length)),
      ...model.bpRafts.flatMap((r) => r.members.map((n) => member(n, r.name, r.members.length))),
      // 003:L109, L325 register SPs with status 2, 7.3 (L718) with 1: spStatus
      ...model.spRafts.flatMap((r) => r.members.map((n) => inst(n, r.name, model.spStatus, 'NORMAL'))),
    ],
    bpGroups: model.bpGroups.map((g) => ({ name: g.name, description: g.description, rafts: [...g.rafts] })),
  };
}

export function planDpc(model: DpcModel): Plan {
  const files = renderDpc(model);
  const nodes = dpcNodes(model);
  const steps: Step[] = [];
  const add = (s: Step): string => {
    steps.push(s);
    return s.id;
  };
  const preflight = add({
    id: 'cluster/preflight',
    phase: 'preflight',
    host: ALL_HOSTS,
    title: 'check every host: tools, word size, byte order, time zone, clock, ports, paths',
    manual: '003 7.1',
    after: [],
    params: {
      kind: 'preflight',
      hosts: Object.keys(model.hosts).sort(),
      ports: nodes.flatMap((n) =>
        [n.port, n.apPort, ...(n.mpPort !== undefined ? [n.mpPort] : [])].map((port) => ({
          host: n.host,
          port,
          owner: n.name,
          configPath: n.configPath,
        })),
      ),
      paths: nodes.map((n) => ({ host: n.host, path: n.initPath })),
    },
  });

  const configOf = new Map<string, string>();
  for (const n of nodes) {
    const init = add({
      id: `${n.name}/dminit`,
      phase: 'init',
      host: n.host,
      title: `dminit ${n.initPath} DPC_MODE=${n.role} PORT_NUM=${n.port} AP_PORT_NUM=${n.apPort}`,
      manual: '003 7.1.1',
      after: [preflight],
      params: {
        kind: 'dminit',
        initPath: n.initPath,
        dbName: n.dbName,
        dpc: { mode: n.role, apPort: n.apPort },
        ...server(n),
      },
    });
    const mine = files.filter((f) => f.instance === n.name);
    configOf.set(
      n.name,
      add({
        id: `${n.name}/config`,
        phase: 'dpc-config',
        host: n.host,
        title: `write ${mine.map((f) => path.basename(f.path)).join(', ')}`,
        manual: '003 7.1.2',
        after: [init],
        params: { kind: 'config', instance: n.name, files: mine.map(fileOf) },
      }),
    );
  }

  const start = (n: DpcNode, after: string[], manual: string) =>
    add({
      id: `${n.name}/start`,
      phase: n.role === 'MP' ? 'mp-start' : 'dpc-start',
      host: n.host,
      title: `dmserver ${n.iniPath} dpc_mode=${n.role}`,
      manual,
      after,
      params: { kind: 'dpc-start', mode: n.role, ...server(n) },
    });

  const mp = model.mp.members[0];
  if (!mp) throw new Error(`${model.name}: no MP`);
  // 003 7.1.3: the MP first, and it stays up the whole time DMDPC runs
  const mpStart = start(mp, [configOf.get(mp.name) ?? preflight], '003 7.1.3');
  const catalogue = dpcCatalogue(model);
  const register = add({
    id: 'cluster/register',
    phase: 'register',
    host: mp.host,
    title: `register ${catalogue.instances.length} instances, ${catalogue.rafts.length} RAFT groups and ${catalogue.bpGroups.length} BP groups on ${mp.name}`,
    manual: '003 7.1.4, 7.1.5',
    after: [mpStart],
    params: { kind: 'dpc-register', mp: server(mp), catalogue },
  });
  // 003 7.1.6: SPs and BPs in any order, each only once registered (7.1.4's note)
  const started = nodes
    .filter((n) => n.role !== 'MP')
    .map((n) => start(n, [register, configOf.get(n.name) ?? preflight], '003 7.1.6'));

  add({
    id: 'cluster/verify',
    phase: 'verify',
    host: ALL_HOSTS,
    title: 'every node OPEN; each SP lists every instance and answers a query',
    manual: '003 7.1.6, 7.1.7',
    after: started,
    params: {
      kind: 'dpc-verify',
      nodes: nodes.map((n) => ({ ...server(n), host: n.host, role: n.role })),
      catalogue,
      mp: { ...server(mp), host: mp.host },
    },
  });

  return {
    version: 2,
    cluster: model.name,
    kind: model.kind,
    dmHome: model.dmHome,
    ssh: model.ssh,
    secrets: model.secrets,
    hosts: model.hosts,
    steps: topoSort(steps),
    teardown: planDpcTeardown(model),
  };
}

/** 003 7.1.8: exit the SPs, then the BPs, then the MP; a wrong order may bring the rest down. Data kept unless purgeData. */
function planDpcTeardown(model: DpcModel): Step[] {
  const stop = (n: DpcNode, phase: 'stop-sp' | 'stop-bp' | 'stop-mp'): Step => ({
    id: `${n.name}/stop-server`,
    phase,
    host: n.host,
    title: `stop ${n.role} ${n.name} (SHUTDOWN)`,
    manual: '003 7.1.8',
    after: [],
    params: { kind: 'stop-server', ...server(n) },
  });
  const out: Step[] = [
    ...model.spRafts.flatMap((r) => r.members.map((n) => stop(n, 'stop-sp'))),
    ...model.bpRafts.flatMap((r) => r.members.map((n) => stop(n, 'stop-bp'))),
    ...model.mp.members.map((n) => stop(n, 'stop-mp')),
  ];
  if (model.purgeData) {
    const byHost = new Map<string, string[]>();
    for (const n of dpcNodes(model))
      byHost.set(n.host, [...(byHost.get(n.host) ?? []), path.join(n.initPath, n.dbName)]);
    for (const [host, paths] of [...byHost].sort(([a], [b]) => (a < b ? -1 : 1)))
      out.push({
        id: `${host}/purge`,
        phase: 'purge',
        host,
        title: `remove ${paths.join(', ')}`,
        manual: 'purgeData',
        after: [],
        params: { kind: 'purge', paths },
      });
  }
  return out;
}
