/** DpcCluster spec -> model: defaults of 003 chapter 7 and per-host port allocation. Pure. */
import path from 'node:path/posix';
import { DEFAULTS } from '../../spec/defaults';
import { resolveShared } from '../../spec/resolve-shared';
import type { DpcClusterSpec, DpcMpSpec, DpcReplicaSpec, DpcSpSpec } from './schema';
import type { DpcModel, DpcNode, DpcPortField, DpcRaft, DpcRole } from './model';

/** 003 table 7.1: PORT_NUM from 5236, AP_PORT_NUM from 6000; mp.ini mp_port 9000 (7.1.2). */
export const DPC_PORT_BASE: Readonly<Record<DpcPortField, number>> = {
  port: 5236,
  apPort: 6000,
  mpPort: 9000,
};
const PORT_FIELDS: readonly DpcPortField[] = ['port', 'apPort', 'mpPort'];

/** The MP group's name in DPC_BP_RAFT (003 7.1.5: RAFT_ID 0, MP_RAFT). */
export const MP_RAFT = 'MP_RAFT';

type NodeSpec = DpcReplicaSpec & Partial<Pick<DpcMpSpec, 'mpPort'>>;

export function resolveDpc(spec: DpcClusterSpec): DpcModel {
  const shared = resolveShared(spec);
  const requested = new Map<DpcNode, Partial<Record<DpcPortField, number>>>();
  const node = (s: NodeSpec | DpcSpSpec, role: DpcRole, raft: string, specPath: string): DpcNode => {
    const initPath = s.path ?? path.join(shared.dmHome, 'data', s.name.toLowerCase());
    const configPath = path.join(initPath, DEFAULTS.dbName);
    const n: DpcNode = {
      name: s.name,
      role,
      host: s.host,
      raft,
      specPath,
      initPath,
      dbName: DEFAULTS.dbName,
      iniPath: path.join(configPath, 'dm.ini'),
      configPath,
      archiveDir: path.join(configPath, 'arch'),
      port: 0,
      apPort: 0,
      shadow: 'shadow' in s ? (s.shadow ?? false) : false,
      explicitPorts: new Set(),
    };
    requested.set(n, {
      port: s.port,
      apPort: s.apPort,
      ...(role === 'MP' ? { mpPort: 'mpPort' in s ? s.mpPort : undefined } : {}),
    });
    return n;
  };
  const raftOf = (name: string, role: DpcRole, specPath: string, members: DpcNode[]): DpcRaft => {
    if (members.length > 1)
      members.forEach((m, i) => {
        m.selfId = i + 1;
        // 003 7.2.7.3: 1500/2000/2500, distinct "to elect a leader soon"
        m.voteInterval = voteIntervalOf(specPath, i, spec) ?? 1500 + 500 * i;
      });
    return { name, role, specPath, members };
  };

  const mp = raftOf(
    MP_RAFT,
    'MP',
    'mp.replicas',
    spec.mp.replicas.map((r, i) => node(r, 'MP', MP_RAFT, `mp.replicas[${i}]`)),
  );
  const bpRafts = spec.bp.map((g, gi) => {
    const name = g.raft ?? `RAFT_${gi + 1}`;
    return raftOf(
      name,
      'BP',
      `bp[${gi}]`,
      g.replicas.map((r, i) => node(r, 'BP', name, `bp[${gi}].replicas[${i}]`)),
    );
  });
  const spRafts = spec.sp.map((s, i) => {
    const name = s.raft ?? `RAFT_${s.name}`;
    return raftOf(name, 'SP', `sp[${i}]`, [node(s, 'SP', name, `sp[${i}]`)]);
  });
  allocate(
    [...mp.members, ...bpRafts.flatMap((r) => r.members), ...spRafts.flatMap((r) => r.members)],
    requested,
  );

  return {
    kind: 'DpcCluster',
    name: spec.name,
    ...shared,
    mp,
    bpRafts,
    spRafts,
    bpGroups: (
      spec.bpGroups ?? [{ name: 'BG_1', description: 'bp group1', rafts: bpRafts.map((r) => r.name) }]
    ).map((g, i) => ({
      name: g.name,
      description: g.description ?? `bp group${i + 1}`,
      rafts: [...g.rafts],
      specPath: spec.bpGroups ? `bpGroups[${i}]` : 'bp',
    })),
    faultDomains: (spec.faultDomains ?? []).map((f, i) => ({
      name: f.name,
      description: f.description ?? f.name,
      instances: [...f.instances],
      specPath: `faultDomains[${i}]`,
    })),
    raft: {
      xmalHbInterval: spec.raft?.xmalHbInterval ?? DEFAULTS.dpcXmalHbInterval,
      hbInterval: spec.raft?.hbInterval ?? DEFAULTS.dpcRaftHbInterval,
    },
    shadowMethod: spec.shadowMethod ?? 'restore',
    spStatus: spec.spStatus ?? 2,
    client: { serviceName: spec.client?.serviceName ?? spec.name },
  };
}

function voteIntervalOf(specPath: string, i: number, spec: DpcClusterSpec): number | undefined {
  if (specPath === 'mp.replicas') return spec.mp.replicas[i]?.voteInterval;
  const g = /^bp\[(\d+)\]$/.exec(specPath);
  return g ? spec.bp[Number(g[1])]?.replicas[i]?.voteInterval : undefined;
}

/**
 * Explicit ports first; then each omitted one gets the lowest port at or above its base that no
 * port of its host holds (PORT_NUM, AP_PORT_NUM and mp_port share one space per host).
 */
function allocate(nodes: readonly DpcNode[], requested: Map<DpcNode, Partial<Record<DpcPortField, number>>>) {
  const used = new Map<string, Set<number>>();
  const usedOn = (h: string) => used.get(h) ?? used.set(h, new Set()).get(h)!;
  for (const n of nodes) {
    const r = requested.get(n) ?? {};
    const explicit = new Set<DpcPortField>();
    for (const f of PORT_FIELDS) {
      const v = r[f];
      if (v === undefined) continue;
      n[f] = v;
      explicit.add(f);
      usedOn(n.host).add(v);
    }
    n.explicitPorts = explicit;
  }
  for (const n of nodes)
    for (const f of PORT_FIELDS) {
      if (n.explicitPorts.has(f) || (f === 'mpPort' && n.role !== 'MP')) continue;
      const taken = usedOn(n.host);
      let p = DPC_PORT_BASE[f];
      while (taken.has(p)) p++;
      n[f] = p;
      taken.add(p);
    }
}
