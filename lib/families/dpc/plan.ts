/**
 * The DpcCluster plan in the order of 003 7.1: dminit every node, mp.ini everywhere, start the
 * MP, register everything on it, start the SPs and BPs, verify; teardown SPs, then BPs, then the
 * MP (7.1.8). Pure: the same model gives the same plan.
 */
import path from 'node:path/posix';
import { fileOf } from '../../render/file';
import { ALL_HOSTS, type DpcCatalogue, type DpcRecord, type Plan, type Step } from '../../plan/step';
import { topoSort } from '../../plan/topo';
import { dpcNodes, isMultiReplica, type DpcModel, type DpcNode, type DpcRaft } from './model';
import { bootstrapFiles, renderDpc } from './render';
import { writeIni } from '../../render/ini';

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
    ...(model.faultDomains.length
      ? {
          faultDomains: model.faultDomains.map((f) => ({
            name: f.name,
            description: f.description,
            instances: [...f.instances],
          })),
        }
      : {}),
  };
}

/**
 * The registered shape of the system: every RAFT group with its members in order (name, host,
 * ports, path, self id, vote interval, shadow) and the BP groups. dmdeploy builds a DMDPC system
 * but does not change one yet: once registered, a spec of another shape is refused.
 */
export function dpcRecord(model: DpcModel): DpcRecord {
  const member = (n: DpcNode) => ({
    name: n.name,
    host: n.host,
    path: n.initPath,
    port: n.port,
    apPort: n.apPort,
    ...(n.mpPort !== undefined ? { mpPort: n.mpPort } : {}),
    ...(n.selfId !== undefined ? { selfId: n.selfId, voteInterval: n.voteInterval } : {}),
    ...(n.shadow ? { shadow: true } : {}),
  });
  const content = JSON.stringify({
    cluster: model.name,
    rafts: [model.mp, ...model.bpRafts, ...model.spRafts].map((r) => ({
      name: r.name,
      role: r.role,
      members: r.members.map(member),
    })),
    bpGroups: model.bpGroups.map((g) => ({ name: g.name, rafts: g.rafts })),
    ...(model.faultDomains.length
      ? { faultDomains: model.faultDomains.map((f) => ({ name: f.name, instances: f.instances })) }
      : {}),
  });
  return { path: path.join(model.dmHome, 'dmdeploy', `dpc-${model.name}.json`), content };
}

export function planDpc(model: DpcModel): Plan {
  const files = renderDpc(model);
  const nodes = dpcNodes(model);
  const record = dpcRecord(model);
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
      dpc: record,
    },
  });

  const rendered = (n: DpcNode, role: string) =>
    files.filter((f) => f.instance === n.name && f.role === role).map(fileOf);
  const initOf = new Map<string, string>();
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
    initOf.set(n.name, init);
    // a RAFT member's dm.ini keys come with its RAFT configuration (raftConfig below); here its ports
    const mine = [
      ...rendered(n, 'mp.ini'),
      ...(n.selfId === undefined ? rendered(n, 'dm.ini') : [fileOf(dmIniPorts(n))]),
    ];
    configOf.set(
      n.name,
      add({
        id: `${n.name}/config`,
        phase: 'dpc-config',
        host: n.host,
        title: `write ${mine.map((f) => path.basename(f.path)).join(', ')}`,
        manual: '003 7.1.2',
        after: [init],
        params: { kind: 'config', instance: n.name, files: mine },
      }),
    );
  }
  const cfg = (n: DpcNode) => configOf.get(n.name) ?? preflight;

  const start = (n: DpcNode, after: string[], manual: string, extra: { mount?: boolean } = {}) =>
    add({
      id: `${n.name}/${extra.mount ? 'mount' : 'start'}`,
      phase: n.role === 'MP' && !extra.mount ? 'mp-start' : extra.mount ? 'mount' : 'dpc-start',
      host: n.host,
      title: `dmserver ${n.iniPath} dpc_mode=${n.role}${extra.mount ? ' MOUNT' : ''}`,
      manual,
      after,
      params: { kind: 'dpc-start', mode: n.role, ...server(n), ...(extra.mount ? { mount: true } : {}) },
    });

  const mps = model.mp.members;
  const mp1 = mps[0];
  if (!mp1) throw new Error(`${model.name}: no MP`);
  const mpRaft = isMultiReplica(model.mp);
  // 003 7.1.3 / 7.3.3: the MP (MP1 of an MP RAFT, bootstrapped alone) first; it stays up
  const mp1Start = add({
    id: `${mp1.name}/start`,
    phase: 'mp-start',
    host: mp1.host,
    title: `dmserver ${mp1.iniPath} dpc_mode=MP${mpRaft ? ' (bootstrap: LOCAL archive only, 7.3.3)' : ''}`,
    manual: mpRaft ? '003 7.3.3' : '003 7.1.3',
    after: [cfg(mp1)],
    params: {
      kind: 'dpc-start',
      mode: 'MP',
      ...server(mp1),
      ...(mpRaft
        ? {
            bootstrap: bootstrapFiles(model, mp1).map(fileOf),
            group: mps.map((m) => ({ ...server(m), host: m.host })),
            formation: { backup: `${mp1.name}/backup`, leader: `${model.mp.name}/leader` },
          }
        : {}),
    },
  });
  const catalogue = dpcCatalogue(model);
  const mpServers = mps.map((m) => ({ ...server(m), host: m.host }));
  const register = add({
    id: 'cluster/register',
    phase: 'register',
    host: mp1.host,
    title: `register ${catalogue.instances.length} instances, ${catalogue.rafts.length} RAFT groups${catalogue.faultDomains ? `, ${catalogue.bpGroups.length} BP groups and ${catalogue.faultDomains.length} fault domains` : ` and ${catalogue.bpGroups.length} BP groups`} on ${mp1.name}`,
    manual: mpRaft ? '003 7.3.4, 7.3.5' : '003 7.1.4, 7.1.5',
    after: [mp1Start],
    params: { kind: 'dpc-register', mps: mpServers, catalogue, record },
  });

  /**
   * A multi-replica group (7.2.5-7.2.8, 7.3.5-7.3.7): its first member's offline backup (after
   * `bootstrapped`), restored to the others (never another group's, 003:L414), every member's
   * RAFT configuration, all started in MOUNT, one leader elected. Returns the leader step.
   */
  const backups: string[] = [];
  const formGroup = (raft: DpcRaft, bootstrapped: string, stopFirst: boolean): string => {
    const [m0, ...rest] = raft.members;
    if (!m0) throw new Error(`${raft.name}: no member`);
    const manual = raft.role === 'MP' ? '003 7.3.5' : '003 7.2.6';
    // named by its group: a set is restored to its own group's members only (003:L414)
    const takeSet = (set: GroupSet, after: string) => {
      const dir = setDirOf(raft, m0, set);
      const served = rest.filter((m) => setOf(model, m) === set);
      const backup = add({
        id: `${m0.name}/${set === 'shadow' ? 'backup-shadow' : 'backup'}`,
        phase: 'backup',
        host: m0.host,
        title: `offline ${set === 'shadow' ? 'FULL SHADOW' : 'full'} backup of ${m0.name} to ${dir}${stopFirst && set === 'replica' ? ', after its normal stop' : ''}`,
        manual: set === 'shadow' ? '003 7.5.1' : manual,
        after: [after],
        params: {
          kind: 'backup',
          ...server(m0),
          backupDir: dir,
          backupName: set === 'shadow' ? SHADOW_SET : BACKUP_SET,
          useAp: 2,
          ...(stopFirst && set === 'replica' ? { stopFirst: true } : {}),
          ...(set === 'shadow' ? { shadow: true } : {}),
        },
      });
      backups.push(backup);
      const copies = new Map<string, string>();
      for (const h of [...new Set(served.map((m) => m.host))].filter((h) => h !== m0.host))
        copies.set(
          h,
          add({
            id: `${h}/copy-backup-${raft.name}${set === 'shadow' ? '-shadow' : ''}`,
            phase: 'copy',
            host: h,
            title: `copy ${m0.host}:${dir} here`,
            manual: set === 'shadow' ? '003 7.5.1' : manual,
            after: [backup],
            params: {
              kind: 'copy-backup',
              fromHost: m0.host,
              backupDir: dir,
              serves: { group: raft.name, instances: served.filter((m) => m.host === h).map((m) => m.name) },
            },
          }),
        );
      return { backup, dir, copies };
    };
    const replicaSet = takeSet('replica', bootstrapped);
    // 7.5.1 method 1: a second, FULL SHADOW set of the same stopped member, for the shadows alone
    const shadowSet = rest.some((m) => setOf(model, m) === 'shadow')
      ? takeSet('shadow', replicaSet.backup)
      : undefined;
    const backup = shadowSet?.backup ?? replicaSet.backup;
    const mounts = raft.members.map((m) => {
      const set = (setOf(model, m) === 'shadow' ? shadowSet : undefined) ?? replicaSet;
      const built =
        m === m0
          ? backup
          : add({
              id: `${m.name}/restore`,
              phase: 'restore',
              host: m.host,
              title: `RESTORE ${m.name}${restoreToShadow(model, m) ? ' TO SHADOW' : ''} from ${m0.name}'s ${set === shadowSet ? 'FULL SHADOW ' : ''}set, UPDATE DB_MAGIC`,
              manual: m.shadow ? '003 7.5.1' : manual,
              after: [set.backup, cfg(m), ...(set.copies.has(m.host) ? [set.copies.get(m.host) ?? ''] : [])],
              params: {
                kind: 'restore',
                ...server(m),
                backupDir: set.dir,
                forStandby: false,
                useAp: 2,
                ...(restoreToShadow(model, m) ? { shadow: true } : {}),
              },
            });
      const raftConfig = add({
        id: `${m.name}/raft-config`,
        phase: 'standby-config',
        host: m.host,
        title: `dm.ini ARCH_INI = 1, ALTER_MODE_STATUS = 0; RAFT dmarch.ini (self id ${m.selfId ?? '-'}, vote ${m.voteInterval ?? '-'})`,
        manual: raft.role === 'MP' ? '003 7.3.6' : '003 7.2.7',
        after: [built],
        params: {
          kind: 'config',
          instance: m.name,
          files: [...rendered(m, 'dm.ini'), ...rendered(m, 'dmarch.ini')],
        },
      });
      // 7.2.8 / 7.3.7: every member in MOUNT (MP2/MP3 never started otherwise, 003:L778)
      return start(
        m,
        [raftConfig, ...(m.role === 'MP' ? [] : [register])],
        raft.role === 'MP' ? '003 7.3.7' : '003 7.2.8',
        {
          mount: true,
        },
      );
    });
    return add({
      id: `${raft.name}/leader`,
      phase: 'mode',
      host: m0.host,
      title: `${raft.name}: one member PRIMARY/OPEN, the others STANDBY/OPEN`,
      manual: raft.role === 'MP' ? '003 7.3.7' : '003 7.2.8',
      after: mounts,
      params: {
        kind: 'raft-leader',
        raft: raft.name,
        members: raft.members.map((m) => ({ ...server(m), host: m.host })),
      },
    });
  };

  // 7.3.5: MP1's registrations are in its backup, so the other MPs hold them too
  const mpReady = mpRaft ? formGroup(model.mp, register, true) : mp1Start;

  const ready: string[] = [];
  for (const raft of model.bpRafts) {
    if (!isMultiReplica(raft)) continue;
    const m0 = raft.members[0];
    if (!m0) continue;
    // 7.2.5: the first member alone, LOCAL archive only, opened and stopped normally
    const boot = add({
      id: `${m0.name}/first-start`,
      phase: 'first-start',
      host: m0.host,
      title: `bootstrap ${m0.name}: LOCAL archive only, start dpc_mode=BP, OPEN, stop normally`,
      manual: '003 7.2.5',
      after: [register, mpReady, cfg(m0)],
      params: {
        kind: 'first-start',
        ...server(m0),
        dpc: { mode: 'BP', files: bootstrapFiles(model, m0).map(fileOf) },
      },
    });
    ready.push(formGroup(raft, boot, false));
  }
  // 7.1.6, 7.2.8, 7.3.8: SPs and single BPs start normally once registered (and the MP group leads)
  // 7.2.8: after every bootstrap member was stopped and backed up (7.2.6), so that none stops
  // under a running SP (003:L611)
  const bpBackups = backups.filter((b) => !mps.some((m) => b === `${m.name}/backup`));
  for (const n of nodes.filter((x) => x.role !== 'MP' && x.selfId === undefined))
    ready.push(start(n, [register, mpReady, cfg(n), ...bpBackups], '003 7.1.6, 7.2.8'));

  add({
    id: 'cluster/verify',
    phase: 'verify',
    host: ALL_HOSTS,
    title: 'every node OPEN, one PRIMARY per RAFT group; each SP lists every instance and answers a query',
    manual: '003 7.1.6, 7.1.7, 7.2.8',
    after: [mpReady, ...ready],
    params: {
      kind: 'dpc-verify',
      nodes: nodes.map((n) => ({ ...server(n), host: n.host, role: n.role })),
      catalogue,
      mps: mpServers,
      rafts: [model.mp, ...model.bpRafts]
        .filter(isMultiReplica)
        .map((r) => ({ name: r.name, members: r.members.map((m) => m.name) })),
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
    teardown: planDpcTeardown(model, steps),
  };
}

/** A RAFT member's ports alone, written before its RAFT configuration (which brings the rest of dm.ini). */
function dmIniPorts(n: DpcNode) {
  return {
    host: n.host,
    path: n.iniPath,
    role: 'dm.ini' as const,
    kind: 'ini-patch' as const,
    content: writeIni({
      globals: [
        ['PORT_NUM', n.port],
        ['AP_PORT_NUM', n.apPort],
      ],
      sections: [],
    }),
  };
}

/** The offline backup set of a RAFT group's first member (003 7.2.6: BACKUP_01). */
export const BACKUP_SET = 'BACKUP_01';
/** The FULL SHADOW set of 7.5.1 method 1 (003:L1076: BACKUP_02). */
export const SHADOW_SET = 'BACKUP_02';

/** Which of its group's sets a member is restored from: shadows take the FULL SHADOW one under method 1. */
type GroupSet = 'replica' | 'shadow';
const setOf = (model: DpcModel, m: DpcNode): GroupSet =>
  m.shadow && model.shadowMethod === 'backup' ? 'shadow' : 'replica';
/** 7.5.1 method 2: a shadow restored from the ordinary set says TO SHADOW. */
const restoreToShadow = (model: DpcModel, m: DpcNode): boolean =>
  !!m.shadow && model.shadowMethod !== 'backup';

/** <first member's path>/BACKUP_0n_<group>: copies land at the same path, never one group's in another's. */
export const setDirOf = (raft: DpcRaft, m0: DpcNode, set: GroupSet = 'replica'): string =>
  path.join(m0.initPath, `${set === 'shadow' ? SHADOW_SET : BACKUP_SET}_${raft.name}`);

/** 003 7.1.8: exit the SPs, then the BPs, then the MP; a wrong order may bring the rest down. Data kept unless purgeData. */
function planDpcTeardown(model: DpcModel, deploySteps: readonly Step[]): Step[] {
  const stop = (n: DpcNode, phase: 'stop-sp' | 'stop-bp' | 'stop-mp'): Step => ({
    id: `${n.name}/stop-server`,
    phase,
    host: n.host,
    title: `stop ${n.role} ${n.name} (SHUTDOWN)`,
    manual: '003 7.1.8',
    after: [],
    params: { kind: 'stop-server', ...server(n) },
  });
  // 7.2.9, 7.3.8: a multi-replica group exits together, by SIGUSR1 to its PRIMARY
  const group = (r: DpcRaft, phase: 'stop-bp' | 'stop-mp'): Step[] =>
    isMultiReplica(r)
      ? [
          {
            id: `${r.name}/stop-group`,
            phase,
            host: r.members[0]?.host ?? ALL_HOSTS,
            title: `stop ${r.name}: SIGUSR1 to its PRIMARY (its valid members exit together), then any member left alone`,
            manual: r.role === 'MP' ? '003 7.3.8' : '003 7.2.9',
            after: [],
            params: {
              kind: 'stop-raft-group',
              raft: r.name,
              members: r.members.map((m) => ({ ...server(m), host: m.host })),
            },
          },
        ]
      : r.members.map((n) => stop(n, phase));
  const out: Step[] = [
    ...model.spRafts.flatMap((r) => r.members.map((n) => stop(n, 'stop-sp'))),
    ...model.bpRafts.flatMap((r) => group(r, 'stop-bp')),
    ...group(model.mp, 'stop-mp'),
  ];
  if (model.purgeData) {
    const byHost = new Map<string, string[]>();
    const recordsOf = new Map<string, string[]>();
    for (const s of deploySteps)
      if (s.host !== ALL_HOSTS) recordsOf.set(s.host, [...(recordsOf.get(s.host) ?? []), s.id]);
    for (const n of dpcNodes(model))
      byHost.set(n.host, [
        ...(byHost.get(n.host) ?? []),
        path.join(n.initPath, n.dbName),
        ...[model.mp, ...model.bpRafts]
          .filter((r) => isMultiReplica(r) && r.members.some((m) => m.host === n.host))
          .flatMap((r) => [
            setDirOf(r, r.members[0] ?? n),
            ...(r.members.some((m) => setOf(model, m) === 'shadow')
              ? [setDirOf(r, r.members[0] ?? n, 'shadow')]
              : []),
          ])
          .filter((d, i, all) => all.indexOf(d) === i && !(byHost.get(n.host) ?? []).includes(d)),
      ]);
    for (const [host, paths] of [...byHost].sort(([a], [b]) => (a < b ? -1 : 1)))
      out.push({
        id: `${host}/purge`,
        phase: 'purge',
        host,
        title: `remove ${paths.join(', ')}`,
        manual: 'purgeData',
        after: [],
        // the step records of the removed data go too: a later deploy builds it anew
        params: { kind: 'purge', paths, records: recordsOf.get(host) ?? [] },
      });
  }
  return out;
}
