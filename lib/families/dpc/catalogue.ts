/**
 * The MP's catalogue (003 7.1.4-7.1.5): the SQL that registers a DMDPC system, how the three
 * system tables are read back, and what is missing or contradicts the spec. Pure.
 */
import { bareRows } from '../../dm/disql';
import type { DpcCatalogue } from '../../plan/step';

export const DPC_INSTANCE_QUERY =
  'SELECT RAFT_ID, NAME, DPC_MODE, XMAL_PORT, INST_PORT, IP_INTERNAL, INFO1 FROM DPC_INSTANCE';
/**
 * DPC_INSTANCE.INFO1 holds the instance's fault domain as id × 65536, NULL outside any: 003's
 * tables show NULL before SP_FAULT_DOMAIN_MV_INST and 65536 after (L145-161), and the k-th
 * domain's members at k × 65536 (L372-378, L755-758). The seed names no fault-domain table.
 */
export const FAULT_DOMAIN_UNIT = 65536;
export const DPC_RAFT_QUERY = 'SELECT RAFT_ID, DPC_MODE, NAME FROM DPC_BP_RAFT';
export const DPC_BP_GROUP_QUERY = 'SELECT NAME, RAFT_NUM, RAFT_INFO FROM DPC_BP_GROUP';
/** On an SP: one row per running instance of the system (003 7.1.7); on an MP or a BP, its own row. */
export const SP_INSTANCES_QUERY = 'SELECT INSTANCE_NAME, STATUS$, MODE$ FROM V$INSTANCE';
/** On an SP: a query that needs a usable BP, as any client's does (a V$ view answers without). */
export const SP_DATA_QUERY = 'SELECT 1';
/** 003 7.1.6: what an SP answers while no BP is usable. */
export const INVALID_SYSTEM_STATE = '无效的系统状态';

export interface CatalogueRows {
  rafts: { id: number; role: string; name: string }[];
  instances: {
    raftId: number;
    name: string;
    role: string;
    apPort: number;
    port: number;
    ipInternal: string;
    /** The fault domain's id (its creation order from 1), or null. */
    faultDomain: number | null;
  }[];
  groups: { name: string; raftNum: number; raftIds: number[] }[];
}

const q = (s: string | null) => (s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`);

/** RAFT_INFO: 2-byte little-endian RAFT ids in hex, e.g. 0x01000200 = {1, 2} (003:L134). */
export function raftInfoIds(info: string): number[] {
  const hex = info.replace(/^0x/i, '');
  const ids: number[] = [];
  for (let i = 0; i + 4 <= hex.length; i += 4)
    ids.push(parseInt(hex.slice(i + 2, i + 4) + hex.slice(i, i + 2), 16));
  return ids;
}

export function parseCatalogue(rafts: string, instances: string, groups: string): CatalogueRows {
  const num = (x: string | undefined) => Number(x ?? NaN);
  return {
    rafts: bareRows(rafts)
      .filter((r) => r.length >= 3 && /^\d+$/.test(r[0] ?? ''))
      .map(([id, role, name]) => ({ id: num(id), role: role ?? '', name: name ?? '' })),
    instances: bareRows(instances)
      .filter((r) => r.length >= 6 && /^\d+$/.test(r[0] ?? ''))
      .map(([raftId, name, role, ap, port, ip, info1]) => ({
        raftId: num(raftId),
        name: name ?? '',
        role: role ?? '',
        apPort: num(ap),
        port: num(port),
        ipInternal: ip ?? '',
        faultDomain: /^\d+$/.test(info1 ?? '') ? Math.floor(num(info1) / FAULT_DOMAIN_UNIT) || null : null,
      })),
    groups: bareRows(groups)
      .filter((r) => r.length >= 3 && /^\d+$/.test(r[1] ?? ''))
      .map(([name, n, info]) => ({ name: name ?? '', raftNum: num(n), raftIds: raftInfoIds(info ?? '') })),
  };
}

export interface CatalogueDiff {
  /** The procedures still to run, in the seed's order. */
  statements: string[];
  /** Rows that contradict the spec: dmdeploy never drops or re-registers on its own. */
  conflicts: string[];
  /** Rows the spec does not name (left as they are). */
  extra: string[];
}

/**
 * What to register: the MPs first (003:L78: nothing before the current MP), then each RAFT group
 * before its instances, each BP group before its ADD_RAFT. Compared on the columns that never
 * change by themselves (SYS_MODE and STATUS follow elections, 003:L303).
 */
export function catalogueDiff(want: DpcCatalogue, have: CatalogueRows): CatalogueDiff {
  const statements: string[] = [];
  const conflicts: string[] = [];
  const raftByName = new Map(have.rafts.map((r) => [r.name.toUpperCase(), r]));
  const raftNameById = new Map(have.rafts.map((r) => [r.id, r.name]));
  const instByName = new Map(have.instances.map((i) => [i.name.toUpperCase(), i]));

  const instance = (i: DpcCatalogue['instances'][number]) => {
    const row = instByName.get(i.name.toUpperCase());
    if (!row) {
      statements.push(
        `SP_CREATE_DPC_INSTANCE(${[q(i.raft), q(i.name), q(i.role), i.apPort, i.port, q(i.ipInternal), q(i.ipExternal), q(i.sysMode), i.status, q(i.description)].join(', ')})`,
      );
      return;
    }
    const raft = raftNameById.get(row.raftId) ?? `RAFT_ID ${row.raftId}`;
    const wantRaft = i.raft ?? 'MP_RAFT';
    const diffs = [
      row.role !== i.role ? `DPC_MODE ${row.role} (spec ${i.role})` : '',
      row.apPort !== i.apPort ? `XMAL_PORT ${row.apPort} (spec AP_PORT_NUM ${i.apPort})` : '',
      row.port !== i.port ? `INST_PORT ${row.port} (spec PORT_NUM ${i.port})` : '',
      row.ipInternal !== i.ipInternal ? `IP_INTERNAL ${row.ipInternal} (spec ${i.ipInternal})` : '',
      raft.toUpperCase() !== wantRaft.toUpperCase() ? `RAFT ${raft} (spec ${wantRaft})` : '',
    ].filter(Boolean);
    if (diffs.length) conflicts.push(`${i.name} is registered with ${diffs.join(', ')}`);
  };
  const raft = (r: DpcCatalogue['rafts'][number]) => {
    const row = raftByName.get(r.name.toUpperCase());
    if (!row) statements.push(`SP_CREATE_DPC_RAFT(${q(r.role)}, ${q(r.name)})`);
    else if (row.role !== r.role)
      conflicts.push(`RAFT group ${r.name} is registered as ${row.role} (spec ${r.role})`);
  };

  for (const i of want.instances.filter((x) => x.role === 'MP')) instance(i);
  const bpRafts = want.rafts.filter((r) => r.role === 'BP');
  for (const r of bpRafts) {
    raft(r);
    for (const i of want.instances.filter((x) => x.raft === r.name)) instance(i);
  }
  const groupOf = new Map<string, string>();
  for (const row of have.groups)
    for (const id of row.raftIds)
      groupOf.set((raftNameById.get(id) ?? `RAFT_ID ${id}`).toUpperCase(), row.name);
  const extraGroups: string[] = [];
  for (const g of want.bpGroups) {
    const row = have.groups.find((x) => x.name.toUpperCase() === g.name.toUpperCase());
    if (!row) statements.push(`SP_CREATE_DPC_BP_GROUP(${q(g.name)}, ${q(g.description)})`);
    for (const r of g.rafts) {
      const owner = groupOf.get(r.toUpperCase());
      if (!owner) statements.push(`SP_BP_GROUP_ADD_RAFT(${q(g.name)}, ${q(r)})`);
      else if (owner.toUpperCase() !== g.name.toUpperCase())
        conflicts.push(`RAFT group ${r} is in BP group ${owner} (spec ${g.name})`);
    }
    const wanted = new Set(g.rafts.map((r) => r.toUpperCase()));
    for (const id of row?.raftIds ?? []) {
      const name = raftNameById.get(id) ?? `RAFT_ID ${id}`;
      if (!wanted.has(name.toUpperCase())) extraGroups.push(`${name} in BP group ${g.name}`);
    }
  }
  const wantGroups = new Set(want.bpGroups.map((g) => g.name.toUpperCase()));
  for (const row of have.groups)
    if (!wantGroups.has(row.name.toUpperCase())) extraGroups.push(`BP group ${row.name}`);
  for (const r of want.rafts.filter((x) => x.role === 'SP')) {
    raft(r);
    for (const i of want.instances.filter((x) => x.raft === r.name)) instance(i);
  }

  // 003:L111-116: fault domains last, each created before its instances move in
  const domainOf = new Map<string, number>();
  (want.faultDomains ?? []).forEach((f, k) => {
    const id = k + 1;
    const seen = have.instances.some((i) => i.faultDomain === id);
    if (!seen) statements.push(`SP_CREATE_FAULT_DOMAIN(${q(f.name)}, ${q(f.description)})`);
    for (const inst of f.instances) {
      domainOf.set(inst.toUpperCase(), id);
      const row = instByName.get(inst.toUpperCase());
      if (!row || row.faultDomain === null)
        statements.push(`SP_FAULT_DOMAIN_MV_INST(${q(f.name)}, ${q(inst)})`);
      else if (row.faultDomain !== id)
        conflicts.push(
          `${inst} is in fault domain ${row.faultDomain} (INFO1 ${row.faultDomain * FAULT_DOMAIN_UNIT}); the spec puts it in ${f.name}, domain ${id}`,
        );
    }
  });
  const extraDomains = have.instances
    .filter((i) => i.faultDomain !== null && !domainOf.has(i.name.toUpperCase()))
    .map((i) => `${i.name} in fault domain ${i.faultDomain}`);

  const wantInst = new Set(want.instances.map((i) => i.name.toUpperCase()));
  const wantRaft = new Set(['MP_RAFT', ...want.rafts.map((r) => r.name.toUpperCase())]);
  const extra = [
    ...have.instances.filter((i) => !wantInst.has(i.name.toUpperCase())).map((i) => `instance ${i.name}`),
    ...have.rafts.filter((r) => !wantRaft.has(r.name.toUpperCase())).map((r) => `RAFT group ${r.name}`),
    ...extraGroups,
    ...extraDomains,
  ];
  return { statements, conflicts, extra };
}
