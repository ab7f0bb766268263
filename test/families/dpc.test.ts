/** The DpcCluster family: rules, mp.ini, the registration diff, the plan of 003 7.1. Pure. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../lib/validate';
import { planCluster } from '../../lib/plan';
import { renderCluster } from '../../lib/render';
import { isDpcModel } from '../../lib/families';
import type { DpcModel } from '../../lib/families/dpc/model';
import { catalogueDiff, parseCatalogue, raftInfoIds } from '../../lib/families/dpc/catalogue';
import { dpcCatalogue } from '../../lib/families/dpc/plan';
import type { DpcCatalogue } from '../../lib/plan/step';
import { teardownBefore } from '../../lib/plan';

type Spec = Record<string, unknown> & {
  mp: { replicas: Record<string, unknown>[] };
  bp: { raft?: string; replicas: Record<string, unknown>[] }[];
  sp: Record<string, unknown>[];
};
const example = (): Spec =>
  parse(readFileSync(path.join(__dirname, '../../examples/7.1-dpc-single-replica.yaml'), 'utf8')) as Spec;

function model(spec: unknown): DpcModel {
  const v = validateSpec(spec);
  if (!v.model || !isDpcModel(v.model)) throw new Error(JSON.stringify(v.findings));
  return v.model;
}
const codes = (spec: unknown) =>
  validateSpec(spec)
    .findings.filter((f) => f.severity === 'error')
    .map((f) => `${f.code} ${f.path}`);

describe('DpcCluster spec', () => {
  it('the 7.1 example is valid and keeps the manual names and ports', () => {
    expect(codes(example())).toEqual([]);
    const m = model(example());
    expect(m.mp.members.map((n) => [n.name, n.port, n.apPort, n.mpPort])).toEqual([['MP', 5239, 6003, 9000]]);
    expect(m.bpRafts.map((r) => [r.name, r.members.map((n) => n.name)])).toEqual([
      ['RAFT_1', ['BP1']],
      ['RAFT_2', ['BP2']],
    ]);
    expect(m.spRafts.map((r) => r.name)).toEqual(['RAFT_SP1']);
  });

  it('omitted ports are allocated per host without collisions, PORT_NUM from 5236, AP_PORT_NUM from 6000, mp_port from 9000', () => {
    const s = example();
    for (const n of [...s.mp.replicas, ...s.bp.flatMap((g) => g.replicas), ...s.sp]) {
      delete n.port;
      delete n.apPort;
      delete n.mpPort;
    }
    const m = model(s);
    const all = [
      ...m.mp.members,
      ...m.bpRafts.flatMap((r) => r.members),
      ...m.spRafts.flatMap((r) => r.members),
    ];
    const ports = all.flatMap((n) => [n.port, n.apPort, ...(n.mpPort ? [n.mpPort] : [])]);
    expect(new Set(ports).size).toBe(ports.length);
    expect(all.map((n) => n.port).sort()).toEqual([5236, 5237, 5238, 5239]);
    expect(all.map((n) => n.apPort).sort()).toEqual([6000, 6001, 6002, 6003]);
    expect(m.mp.members[0]?.mpPort).toBe(9000);
  });

  it('refuses watcher, monitor and oguid: DMDPC has none', () => {
    for (const extra of [{ watcher: {} }, { monitor: {} }, { oguid: 1 }])
      expect(codes({ ...example(), ...extra })[0]).toMatch(/^SPEC_UNKNOWN_FIELD /);
  });

  it.each([
    ['DPC_ROLE_COUNT', (s: Spec) => void (s.sp = [])],
    ['DPC_HOST_UNKNOWN', (s: Spec) => void (s.sp[0] = { ...s.sp[0], host: 'NOPE' })],
    ['DPC_INSTANCE_NAME', (s: Spec) => void (s.sp[0] = { ...s.sp[0], name: 'BP1' })],
    [
      'DPC_RAFT_NAME',
      (s: Spec) => void (s.bp[1] = { ...s.bp[1], raft: 'RAFT_1', replicas: s.bp[1]?.replicas ?? [] }),
    ],
    [
      'DPC_RAFT_NAME',
      (s: Spec) => void (s.bp[0] = { ...s.bp[0], raft: 'MP_RAFT', replicas: s.bp[0]?.replicas ?? [] }),
    ],
    ['DPC_PORT_RANGE', (s: Spec) => void (s.sp[0] = { ...s.sp[0], port: 80 })],
    ['DPC_PORT_REUSED_ON_HOST', (s: Spec) => void (s.sp[0] = { ...s.sp[0], apPort: 5237 })],
    ['DPC_MP_PORT_VS_AP', (s: Spec) => void (s.mp.replicas[0] = { ...s.mp.replicas[0], mpPort: 6001 })],
    ['DPC_BP_GROUP_REF', (s: Spec) => void (s.bpGroups = [{ name: 'BG_1', rafts: ['RAFT_1'] }])],
    [
      'DPC_BP_GROUP_REF',
      (s: Spec) => void (s.bpGroups = [{ name: 'BG_1', rafts: ['RAFT_1', 'RAFT_2', 'RAFT_9'] }]),
    ],
    ['DPC_FAULT_DOMAIN_REF', (s: Spec) => void (s.faultDomains = [{ name: 'F', instances: ['NOPE'] }])],
    ['DPC_PATH', (s: Spec) => void (s.sp[0] = { ...s.sp[0], path: '/dm/dpc_data/bp1' })],
    ['DPC_ARCHIVE_RANGE', (s: Spec) => void (s.archive = { fileSize: 10 })],
    ['DPC_DM_INI_MANAGED_KEY', (s: Spec) => void (s.dmIni = { dpc_mode: 'BP' })],
    [
      'DPC_FAULT_DOMAIN_REF',
      (s: Spec) =>
        void (s.faultDomains = [
          { name: 'F', instances: ['MP'] },
          { name: 'G', instances: ['MP'] },
        ]),
    ],
    [
      'DPC_VOTE_INTERVAL_SINGLE',
      (s: Spec) => void (s.bp[0] = { replicas: [{ ...s.bp[0]?.replicas[0], voteInterval: 1500 }] }),
    ],
    ['DPC_CLIENT_SERVICE_NAME', (s: Spec) => void (s.client = { serviceName: 'a-b' })],
    ['SECRET_ENV_NAME', (s: Spec) => void (s.secrets = { sysdbaPassword: { env: 'TF_VAR_pw' } })],
    [
      'DPC_RAFT_SIZE',
      (s: Spec) =>
        void s.bp[0]?.replicas.push({
          name: 'BP12',
          host: 'H1',
          path: '/dm/d/bp12',
          port: 5240,
          apPort: 6004,
        }),
    ],
  ])('%s', (code, edit) => {
    const s = example();
    edit(s);
    expect(codes(s).map((c) => c.split(' ')[0])).toContain(code);
  });
});

describe('DpcCluster files', () => {
  it('mp.ini: the single form, lower-case keys, no section, the same on every node (003 7.1.2)', () => {
    const files = renderCluster(model(example())).filter((f) => f.role === 'mp.ini');
    expect(files).toHaveLength(4);
    expect(new Set(files.map((f) => f.content)).size).toBe(1);
    expect(files[0]?.content.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'mp_host = 223.254.30.136',
      'mp_port = 9000',
    ]);
    expect(files.map((f) => f.path).sort()).toEqual([
      '/dm/dpc_data/bp1/DAMENG/mp.ini',
      '/dm/dpc_data/bp2/DAMENG/mp.ini',
      '/dm/dpc_data/mp/DAMENG/mp.ini',
      '/dm/dpc_data/sp1/DAMENG/mp.ini',
    ]);
  });

  it('dm_svc.conf lists the SPs only (003 7.1.7)', () => {
    const svc = renderCluster(model(example())).find((f) => f.role === 'dm_svc.conf');
    expect(svc?.content).toContain('DPC1=(223.254.30.136:5236)\n');
  });
});

describe('the MP catalogue', () => {
  it('RAFT_INFO holds 2-byte little-endian RAFT ids (003 7.1.5: 0x01000200 = {1, 2})', () => {
    expect(raftInfoIds('0x01000200')).toEqual([1, 2]);
    expect(raftInfoIds('0x0100')).toEqual([1]);
  });

  const want = dpcCatalogue(model(example()));
  it('registers the seed order from nothing: the MP, RAFT_1 and BP1, RAFT_2 and BP2, BG_1 and its rafts, RAFT_SP1 and SP1', () => {
    const d = catalogueDiff(want, parseCatalogue('', '', ''));
    expect(d.conflicts).toEqual([]);
    expect(d.statements).toEqual([
      "SP_CREATE_DPC_INSTANCE(NULL, 'MP', 'MP', 6003, 5239, '223.254.30.136', '223.254.30.136', 'NORMAL', 1, 'MP instance')",
      "SP_CREATE_DPC_RAFT('BP', 'RAFT_1')",
      "SP_CREATE_DPC_INSTANCE('RAFT_1', 'BP1', 'BP', 6001, 5237, '223.254.30.136', '223.254.30.136', 'NORMAL', 1, 'BP instance')",
      "SP_CREATE_DPC_RAFT('BP', 'RAFT_2')",
      "SP_CREATE_DPC_INSTANCE('RAFT_2', 'BP2', 'BP', 6002, 5238, '223.254.30.136', '223.254.30.136', 'NORMAL', 1, 'BP instance')",
      "SP_CREATE_DPC_BP_GROUP('BG_1', 'bp group1')",
      "SP_BP_GROUP_ADD_RAFT('BG_1', 'RAFT_1')",
      "SP_BP_GROUP_ADD_RAFT('BG_1', 'RAFT_2')",
      "SP_CREATE_DPC_RAFT('SP', 'RAFT_SP1')",
      "SP_CREATE_DPC_INSTANCE('RAFT_SP1', 'SP1', 'SP', 6000, 5236, '223.254.30.136', '223.254.30.136', 'NORMAL', 2, 'SP instance')",
    ]);
  });

  const rows = {
    rafts: '0 MP MP_RAFT\n1 BP RAFT_1\n2 BP RAFT_2\n3 SP RAFT_SP1\n',
    instances:
      '0 MP MP 6003 5239 223.254.30.136\n1 BP1 BP 6001 5237 223.254.30.136\n2 BP2 BP 6002 5238 223.254.30.136\n3 SP1 SP 6000 5236 223.254.30.136\n',
    groups: 'BG_1 2 0x01000200\n',
  };
  it('after a crash part-way, only what is missing; once complete, nothing', () => {
    const half = catalogueDiff(
      want,
      parseCatalogue('0 MP MP_RAFT\n1 BP RAFT_1\n', '0 MP MP 6003 5239 223.254.30.136\n', ''),
    );
    expect(half.statements[0]).toMatch(/^SP_CREATE_DPC_INSTANCE\('RAFT_1', 'BP1'/);
    expect(half.statements).toHaveLength(8);
    const all = catalogueDiff(want, parseCatalogue(rows.rafts, rows.instances, rows.groups));
    expect(all).toEqual({ statements: [], conflicts: [], extra: [] });
  });

  it('a row with other ports is a conflict, never re-registered; a row the spec lacks is left and said', () => {
    const d = catalogueDiff(
      want,
      parseCatalogue(
        rows.rafts,
        rows.instances.replace('BP1 BP 6001 5237', 'BP1 BP 6011 5237') + '3 SP2 SP 6009 5299 10.0.0.9\n',
        rows.groups,
      ),
    );
    expect(d.statements).toEqual([]);
    expect(d.conflicts).toEqual(['BP1 is registered with XMAL_PORT 6011 (spec AP_PORT_NUM 6001)']);
    expect(d.extra).toEqual(['instance SP2']);
  });

  const fdoms = (): DpcCatalogue => {
    const s = example();
    s.faultDomains = [
      { name: 'FDOM_1', description: 'shanghai', instances: ['MP', 'BP1'] },
      { name: 'FDOM_2', instances: ['BP2'] },
    ];
    return dpcCatalogue(model(s));
  };
  it('fault domains last (003:L111-116), each created before its instances move in', () => {
    const d = catalogueDiff(fdoms(), parseCatalogue(rows.rafts, rows.instances, rows.groups));
    expect(d).toEqual({
      statements: [
        "SP_CREATE_FAULT_DOMAIN('FDOM_1', 'shanghai')",
        "SP_FAULT_DOMAIN_MV_INST('FDOM_1', 'MP')",
        "SP_FAULT_DOMAIN_MV_INST('FDOM_1', 'BP1')",
        "SP_CREATE_FAULT_DOMAIN('FDOM_2', 'FDOM_2')",
        "SP_FAULT_DOMAIN_MV_INST('FDOM_2', 'BP2')",
      ],
      conflicts: [],
      extra: [],
    });
  });

  // INFO1 = the k-th domain × 65536 (003:L145-161, L372-378)
  const withInfo1 = (info: Record<string, string>) =>
    rows.instances
      .trim()
      .split('\n')
      .map((l) => `${l} ${info[l.split(' ')[1] ?? ''] ?? 'NULL'}`)
      .join('\n');
  it('a fault domain read back through INFO1: after a crash part-way only the missing moves; complete, nothing', () => {
    const half = catalogueDiff(fdoms(), parseCatalogue(rows.rafts, withInfo1({ MP: '65536' }), rows.groups));
    expect(half.statements).toEqual([
      "SP_FAULT_DOMAIN_MV_INST('FDOM_1', 'BP1')",
      "SP_CREATE_FAULT_DOMAIN('FDOM_2', 'FDOM_2')",
      "SP_FAULT_DOMAIN_MV_INST('FDOM_2', 'BP2')",
    ]);
    const all = catalogueDiff(
      fdoms(),
      parseCatalogue(rows.rafts, withInfo1({ MP: '65536', BP1: '65536', BP2: '131072' }), rows.groups),
    );
    expect(all).toEqual({ statements: [], conflicts: [], extra: [] });
  });

  it('an instance in another fault domain is a conflict (never moved on its own); one the spec leaves out is said', () => {
    const d = catalogueDiff(
      fdoms(),
      parseCatalogue(
        rows.rafts,
        withInfo1({ MP: '65536', BP1: '131072', BP2: '131072', SP1: '65536' }),
        rows.groups,
      ),
    );
    expect(d.statements).toEqual([]);
    expect(d.conflicts).toEqual([
      'BP1 is in fault domain 2 (INFO1 131072); the spec puts it in FDOM_1, domain 1',
    ]);
    expect(d.extra).toEqual(['SP1 in fault domain 1']);
    // without fault domains in the spec, nothing is registered and what is there is said
    const none = catalogueDiff(want, parseCatalogue(rows.rafts, withInfo1({ MP: '65536' }), rows.groups));
    expect(none).toEqual({ statements: [], conflicts: [], extra: ['MP in fault domain 1'] });
  });

  it('a RAFT group registered in another BP group is a conflict; a BP group or member the spec lacks is said', () => {
    const d = catalogueDiff(
      want,
      parseCatalogue(rows.rafts, rows.instances, 'BG_1 1 0x0100\nBG_9 1 0x0200\n'),
    );
    expect(d.statements).toEqual([]);
    expect(d.conflicts).toEqual(['RAFT group RAFT_2 is in BP group BG_9 (spec BG_1)']);
    expect(d.extra).toEqual(['BP group BG_9']);
  });
});

describe('the DpcCluster plan (003 7.1)', () => {
  const plan = planCluster(model(example()));
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const before = (a: string, b: string): boolean => {
    const seen = new Set<string>();
    const walk = (id: string): boolean =>
      id === a || (!seen.has(id) && (seen.add(id), (byId.get(id)?.after ?? []).some(walk)));
    return walk(b) && a !== b;
  };

  it('15 deploy steps (3N+3), 4 teardown steps', () => {
    expect(plan.steps).toHaveLength(15);
    expect(plan.teardown).toHaveLength(4);
  });

  it('the MP starts after its mp.ini; registration after the MP; every SP and BP after registration and its own mp.ini', () => {
    expect(before('MP/config', 'MP/start')).toBe(true);
    expect(before('MP/start', 'cluster/register')).toBe(true);
    for (const n of ['SP1', 'BP1', 'BP2']) {
      expect(before('cluster/register', `${n}/start`)).toBe(true);
      expect(before(`${n}/config`, `${n}/start`)).toBe(true);
    }
    for (const n of ['SP1', 'BP1', 'BP2', 'MP']) expect(before(`${n}/start`, 'cluster/verify')).toBe(true);
  });

  it('dminit gets DPC_MODE and AP_PORT_NUM, never AUTO_OVERWRITE', () => {
    const p = byId.get('BP1/dminit')?.params;
    expect(p).toMatchObject({ kind: 'dminit', dpc: { mode: 'BP', apPort: 6001 }, port: 5237 });
    expect(JSON.stringify(plan)).not.toMatch(/AUTO_OVERWRITE/i);
  });

  it('teardown: SPs, then BPs, then the MP (003 7.1.8)', () => {
    const t = plan.teardown;
    const order = t.map((s) => s.id);
    expect(order).toEqual(['SP1/stop-server', 'BP1/stop-server', 'BP2/stop-server', 'MP/stop-server']);
    const at = (id: string) => t.find((s) => s.id === id);
    const [sp, bp1, mp] = [at('SP1/stop-server'), at('BP1/stop-server'), at('MP/stop-server')];
    if (!sp || !bp1 || !mp) throw new Error('missing teardown steps');
    expect(teardownBefore(sp, bp1)).toBe(true);
    expect(teardownBefore(bp1, mp)).toBe(true);
    expect(teardownBefore(mp, sp)).toBe(false);
  });

  it("purgeData: the data directories (and a group's backup set) go last, after every stop", () => {
    const raft = parse(
      readFileSync(path.join(__dirname, '../../examples/7.2-dpc-bp-raft.yaml'), 'utf8'),
    ) as Spec;
    const t = planCluster(model({ ...raft, purgeData: true })).teardown;
    expect(t.map((s) => s.id)).toEqual([
      'SP1/stop-server',
      'RAFT_1/stop-group',
      'RAFT_2/stop-group',
      'MP/stop-server',
      'H1/purge',
    ]);
    const purge = t.at(-1)?.params;
    expect(purge?.kind === 'purge' ? purge.paths : []).toEqual(
      expect.arrayContaining([
        '/dm/dpc_data/bp11/DAMENG',
        '/dm/dpc_data/bp11/BACKUP_01_RAFT_1',
        '/dm/dpc_data/bp21/BACKUP_01_RAFT_2',
        '/dm/dpc_data/mp/DAMENG',
      ]),
    );
    // and the records of what was built there, so that a later deploy builds it anew
    expect(purge?.kind === 'purge' ? purge.records : []).toEqual(
      expect.arrayContaining(['BP11/first-start', 'BP11/backup', 'BP12/restore', 'MP/start']),
    );
    expect(planCluster(model(raft)).teardown.some((s) => s.phase === 'purge')).toBe(false);
  });

  it("MP1's bootstrap start reads its group's formation from the records of steps on its host (7.3.5, 7.3.7)", () => {
    const mpRaft = parse(
      readFileSync(path.join(__dirname, '../../examples/7.3-dpc-mp-raft.yaml'), 'utf8'),
    ) as Spec;
    const p = planCluster(model(mpRaft));
    const start = p.steps.find((s) => s.params.kind === 'dpc-start' && s.params.bootstrap);
    const f = start?.params.kind === 'dpc-start' ? start.params.formation : undefined;
    expect(f).toBeDefined();
    for (const id of [f?.backup, f?.leader]) {
      const s = p.steps.find((x) => x.id === id);
      expect(s?.host, id).toBe(start?.host);
    }
    expect(p.steps.find((x) => x.id === f?.backup)?.params.kind).toBe('backup');
    expect(p.steps.find((x) => x.id === f?.leader)?.params.kind).toBe('raft-leader');
  });

  it('SPs and single BPs start only after every bootstrap member was stopped and backed up (7.2.6, 7.2.8)', () => {
    const raft = parse(
      readFileSync(path.join(__dirname, '../../examples/7.2-dpc-bp-raft.yaml'), 'utf8'),
    ) as Spec;
    const p = planCluster(model(raft));
    const sp = p.steps.find((s) => s.id === 'SP1/start');
    expect(sp?.after).toEqual(expect.arrayContaining(['BP11/backup', 'BP21/backup', 'cluster/register']));
    // each group's set is named by it, and restored only to its own members (003:L414)
    const restores = p.steps.flatMap((s) =>
      s.params.kind === 'restore' ? [[s.id, s.params.backupDir]] : [],
    );
    expect(restores).toEqual([
      ['BP12/restore', '/dm/dpc_data/bp11/BACKUP_01_RAFT_1'],
      ['BP13/restore', '/dm/dpc_data/bp11/BACKUP_01_RAFT_1'],
      ['BP22/restore', '/dm/dpc_data/bp21/BACKUP_01_RAFT_2'],
      ['BP23/restore', '/dm/dpc_data/bp21/BACKUP_01_RAFT_2'],
    ]);
  });

  const shadow = (method: 'restore' | 'backup') => {
    const s = parse(readFileSync(path.join(__dirname, '../../examples/7.5-dpc-shadow.yaml'), 'utf8')) as Spec;
    s.shadowMethod = method;
    return planCluster(model(s));
  };
  const step = (p: ReturnType<typeof shadow>, id: string) => {
    const s = p.steps.find((x) => x.id === id);
    if (!s) throw new Error(`no step ${id}`);
    return s;
  };
  it('7.5.1 method 2 (restore): one set; the shadow restores it TO SHADOW', () => {
    const p = shadow('restore');
    expect(p.steps.some((s) => s.id === 'BP11/backup-shadow')).toBe(false);
    expect(step(p, 'BP13/restore').params).toMatchObject({
      backupDir: '/dm/dpc_data/bp11/BACKUP_01_RAFT_1',
      shadow: true,
    });
  });

  it('7.5.1 method 1 (backup): a second FULL SHADOW set of the stopped first member, restored plainly by the shadow alone', () => {
    const p = shadow('backup');
    const set = step(p, 'BP11/backup-shadow');
    expect(set.params).toMatchObject({
      kind: 'backup',
      backupName: 'BACKUP_02',
      backupDir: '/dm/dpc_data/bp11/BACKUP_02_RAFT_1',
      shadow: true,
      useAp: 2,
    });
    expect(set.after).toEqual(['BP11/backup']);
    // the first member stays stopped until both sets exist
    expect(step(p, 'BP11/raft-config').after).toEqual(['BP11/backup-shadow']);
    const r13 = step(p, 'BP13/restore');
    expect(r13.params).toMatchObject({ backupDir: '/dm/dpc_data/bp11/BACKUP_02_RAFT_1' });
    expect(r13.params).not.toHaveProperty('shadow');
    expect(r13.after).toContain('BP11/backup-shadow');
    expect(step(p, 'BP12/restore').params).toMatchObject({ backupDir: '/dm/dpc_data/bp11/BACKUP_01_RAFT_1' });
    expect(step(p, 'BP12/restore').params).not.toHaveProperty('shadow');
  });
});
