/**
 * The cluster constructs, asserted on synthesized Terraform JSON: one null_resource per plan
 * step (or terraform_data, with `stepResource`) with the DAG as depends_on, content-digest
 * triggers, the manifest asset, no variable and no secret, the §6.4 teardown as destroy-time provisioners, and the client outputs. Every kind:
 * RealtimePair (7.2), ReadWriteCluster (7.3), MppGroup (7.4), DscPrimary (7.5), with AsyncStandby
 * (7.6) and SyncStandby (7.7) children.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Testing, TerraformStack } from 'cdktf';
import { describe, expect, it } from 'vitest';
import {
  AsyncStandby,
  DcpProxy,
  DpcCluster,
  DscPrimary,
  epConnections,
  MppGroup,
  mppEndpoints,
  ReadWriteCluster,
  RealtimePair,
  SyncStandby,
  type DmCluster,
} from '../../constructs';
import {
  planCluster,
  planManifest,
  resourceName,
  stepDigest,
  TEARDOWN_PHASES,
  teardownBefore,
  type Plan,
} from '../../lib/plan';
import { validateSpec, SpecError } from '../../lib/validate';
import { dmSvcAddresses } from '../../lib/families/data-guard/render/dmsvc';
import type { ClusterModel } from '../../lib/families/data-guard/model';
import type { AsyncStandbySpec, ClusterSpec } from '../../lib/families/data-guard/schema';
import {
  DMDEPLOY,
  dependsOnClosure,
  destroyOrder,
  example,
  isBarrier,
  resourceCount,
  leaves,
  ref,
  synthCluster,
  unref,
  withoutKind,
  type NullResourceJson,
  type StackJson,
} from './support';

const pair72 = (stack: TerraformStack) =>
  new RealtimePair(stack, 'GRP1', { ...withoutKind(example('7.2-realtime-pair.yaml')), dmdeploy: DMDEPLOY });

const rw73 = (stack: TerraformStack) =>
  new ReadWriteCluster(stack, 'GRP1', {
    ...withoutKind(example<'ReadWriteCluster'>('7.3-read-write-cluster.yaml')),
    dmdeploy: DMDEPLOY,
  });

/** 7.6 with the async standbys as AsyncStandby children, the second cascaded from the first. */
const cascade76 = (stack: TerraformStack) => {
  const { asyncStandbys = [], ...spec } = withoutKind(example('7.6-async-cascade.yaml'));
  const [local1, local2] = asyncStandbys;
  if (!local1 || !local2) throw new Error('7.6 example has two async standbys');
  const pair = new RealtimePair(stack, 'GRP1', { ...spec, dmdeploy: DMDEPLOY });
  const a1 = new AsyncStandby(pair, 'LOCAL1', local1);
  new AsyncStandby(pair, 'LOCAL2', { ...local2, source: a1.instanceName });
  return pair;
};

/** 7.7 with the sync standby as a SyncStandby child. */
const sync77 = (stack: TerraformStack) => {
  const { syncStandbys = [], ...spec } = withoutKind(example('7.7-sync-standby.yaml'));
  const pair = new RealtimePair(stack, 'GRP1', { ...spec, dmdeploy: DMDEPLOY });
  for (const [i, s] of syncStandbys.entries()) new SyncStandby(pair, `SYNC${i + 1}`, s);
  return pair;
};

const mpp74 = (stack: TerraformStack) =>
  new MppGroup(stack, 'MPP_EP', {
    ...withoutKind(example<'MppGroup'>('7.4-mpp-group.yaml')),
    dmdeploy: DMDEPLOY,
  });

const dpc71 = (stack: TerraformStack) =>
  new DpcCluster(stack, 'DPC1', {
    ...withoutKind(example<'DpcCluster'>('7.1-dpc-single-replica.yaml')),
    dmdeploy: DMDEPLOY,
  });

const dpc72 = (stack: TerraformStack) =>
  new DpcCluster(stack, 'DPC2', {
    ...withoutKind(example<'DpcCluster'>('7.2-dpc-bp-raft.yaml')),
    dmdeploy: DMDEPLOY,
  });

const dsc75 = (stack: TerraformStack) =>
  new DscPrimary(stack, 'GRP1', {
    ...withoutKind(example<'DscPrimary'>('7.5-dsc-primary.yaml')),
    dmdeploy: DMDEPLOY,
  });

/** Two async standbys for the 7.5 group on a fourth machine: fed by the DSC's node 1, then a cascade. */
const DW_A = { address: '192.168.1.133', public: '192.168.1.133', private: '192.168.0.143' };
const DSC_ASYNCS: AsyncStandbySpec[] = [
  { name: 'GRP1_ASYNC_01', host: 'DW_A', path: '/dm/data/ASYNC01', source: 'GRP1_RT_DSC02', timer: {} },
  { name: 'GRP1_ASYNC_02', host: 'DW_A', path: '/dm/data/ASYNC02', source: 'GRP1_ASYNC_01', timer: {} },
];

const DSC_SYNC = { name: 'GRP1_SYNC_01', host: 'DW_A', path: '/dm/data/SYNC01' };

/** 7.5 with the async standbys as AsyncStandby children and a sync standby as a SyncStandby child. */
const dscAsync75 = (stack: TerraformStack) => {
  const spec = withoutKind(example<'DscPrimary'>('7.5-dsc-primary.yaml'));
  const dsc = new DscPrimary(stack, 'GRP1', { ...spec, hosts: { ...spec.hosts, DW_A }, dmdeploy: DMDEPLOY });
  const [first, second] = DSC_ASYNCS;
  if (!first || !second) throw new Error('two async standbys');
  const a1 = new AsyncStandby(dsc, 'ASYNC1', first);
  new AsyncStandby(dsc, 'ASYNC2', { ...second, source: a1.instanceName });
  new SyncStandby(dsc, 'SYNC1', DSC_SYNC);
  return dsc;
};

/** The same as a whole spec, the standbys inline. */
const dscAsyncSpec = (): ClusterSpec => {
  const spec = example<'DscPrimary'>('7.5-dsc-primary.yaml');
  return { ...spec, hosts: { ...spec.hosts, DW_A }, asyncStandbys: DSC_ASYNCS, syncStandbys: [DSC_SYNC] };
};

const CASES: [string, string, (stack: TerraformStack) => DmCluster][] = [
  ['7.2 realtime pair', '7.2-realtime-pair.yaml', pair72],
  ['7.3 read-write cluster', '7.3-read-write-cluster.yaml', rw73],
  ['7.4 MPP group', '7.4-mpp-group.yaml', mpp74],
  ['7.5 DMDSC primary', '7.5-dsc-primary.yaml', dsc75],
  ['7.6 async cascade (AsyncStandby children)', '7.6-async-cascade.yaml', cascade76],
  ['7.7 sync standby (SyncStandby child)', '7.7-sync-standby.yaml', sync77],
  ['003 7.1 DMDPC single replica', '7.1-dpc-single-replica.yaml', dpc71],
  ['003 7.2 DMDPC BP RAFT groups', '7.2-dpc-bp-raft.yaml', dpc72],
];

/** The outputs every cluster has; an MppGroup adds MPP_OUTPUTS. */
const OUTPUTS = ['client_service_name', 'connection_string', 'disql_connect', 'dm_svc_conf', 'plan_steps'];
const MPP_OUTPUTS = ['ep_connections', 'mpp_service_name'];
const DPC_OUTPUTS = ['sp_connections'];

/** The addresses of the dm_svc.conf service line `<service>=(a,b,...)`. */
const serviceLine = (conf: unknown, service: string): string[] => {
  const line = String(conf)
    .split('\n')
    .find((l) => l.startsWith(`${service}=(`));
  return line?.slice(service.length + 2, -1).split(',') ?? [];
};

/** The errors synth stops with, as `CODE path [construct path]`. */
const synthErrors = (stack: TerraformStack): string[] => {
  let error: unknown;
  try {
    Testing.synth(stack);
  } catch (e) {
    error = e;
  }
  if (!(error instanceof SpecError)) throw new Error(`synth did not stop with a SpecError: ${String(error)}`);
  return error.findings
    .filter((f) => f.severity === 'error')
    .map((f) => `${f.code} ${f.path} [${f.location}]`);
};

const modelOf = (spec: unknown): ClusterModel => {
  const v = validateSpec(spec);
  if (!v.model || v.findings.some((f) => f.severity === 'error'))
    throw new Error(v.findings.map((f) => `${f.code} ${f.path}`).join('; '));
  return v.model as ClusterModel;
};

function planOf(file: string): Plan {
  const v = validateSpec(example<ClusterSpec['kind']>(file));
  if (!v.model) throw new Error(`${file} is invalid`);
  return planCluster(v.model);
}

const split = (json: StackJson) => {
  const all = json.resource.null_resource;
  const deploy = Object.fromEntries(Object.entries(all).filter(([, r]) => r.triggers));
  const teardown = Object.fromEntries(Object.entries(all).filter(([, r]) => !r.triggers && !isBarrier(r)));
  const barriers = Object.fromEntries(Object.entries(all).filter(([, r]) => isBarrier(r)));
  return { all, deploy, teardown, barriers };
};

const manifestArg = (r: NullResourceJson | undefined): string => {
  const m = /--manifest (\S+)$/.exec(r?.provisioner[0]?.['local-exec'].command ?? '');
  if (!m?.[1]) throw new Error('no --manifest in the command');
  return m[1];
};

describe.each(CASES)('%s', (_title, file, build) => {
  const { cluster, json } = synthCluster(build);
  const plan = cluster.plan;
  const { all, deploy, teardown, barriers } = split(json);

  it('plans exactly what the YAML example plans (children attach like inline entries)', () => {
    expect(plan).toEqual(planOf(file));
  });

  it('has one null_resource per deploy step, named after the step', () => {
    expect(Object.keys(deploy).sort()).toEqual(plan.steps.map((s) => resourceName(s.id)).sort());
  });

  it('gives each deploy resource depends_on = exactly its DAG edges', () => {
    for (const s of plan.steps)
      expect(deploy[resourceName(s.id)]?.depends_on ?? [], s.id).toEqual(
        s.after.map((a) => ref(resourceName(a))),
      );
  });

  it('triggers on the step id and its content digest only', () => {
    for (const s of plan.steps)
      expect(deploy[resourceName(s.id)]?.triggers, s.id).toEqual({ step: s.id, digest: stepDigest(plan, s) });
  });

  it('runs `dmdeploy step <id> --manifest <asset>` and hands it nothing else', () => {
    const manifest = manifestArg(deploy['cluster__preflight']);
    expect(manifest).toMatch(/^assets\/[^/]+\/[0-9A-F]{32}\/plan\.json$/);
    for (const s of plan.steps) {
      const provisioners = deploy[resourceName(s.id)]?.provisioner;
      expect(provisioners, s.id).toEqual([
        { 'local-exec': { command: `${DMDEPLOY} step ${s.id} --manifest ${manifest}` } },
      ]);
    }
  });

  it('declares no variable and references none: secrets never pass through Terraform', () => {
    expect(json.variable).toBeUndefined();
    expect(leaves(json).filter(([, v]) => v.includes('var.'))).toEqual([]);
    // where the steps read them is in the manifest: sources only
    expect(plan.secrets).toEqual({
      sysdbaPassword: { env: 'DM_SYSDBA_PASSWORD' },
      sshPassphrase: { env: 'DM_SSH_PASSPHRASE' },
    });
  });

  it('has one destroy-time resource per teardown step, with no trigger and no variable', () => {
    expect(Object.keys(teardown).sort()).toEqual(plan.teardown.map((s) => resourceName(s.id)).sort());
    const manifest = manifestArg(deploy['cluster__verify']);
    for (const s of plan.teardown)
      expect(teardown[resourceName(s.id)]?.provisioner, s.id).toEqual([
        { 'local-exec': { when: 'destroy', command: `${DMDEPLOY} step ${s.id} --manifest ${manifest}` } },
      ]);
  });

  it('destroys in the §6.4 order of plan.teardown, before any deploy resource', () => {
    const index = new Map(plan.teardown.map((s, i) => [resourceName(s.id), i]));
    const order = destroyOrder(all, (n) => index.get(n) ?? (barriers[n] ? -1 : 1e6)).filter(
      (r) => !barriers[r],
    );
    const n = plan.teardown.length;
    expect(order.slice(0, n)).toEqual(plan.teardown.map((s) => resourceName(s.id)));
    expect(order.slice(n).every((r) => deploy[r])).toBe(true);
    // and the phases never go backwards whichever ready resource Terraform picks first
    const phase = new Map(
      plan.teardown.map((s) => [resourceName(s.id), TEARDOWN_PHASES.indexOf(s.phase as never)]),
    );
    const reversed = destroyOrder(all, (r) => -(index.get(r) ?? (barriers[r] ? 1e6 : -1e6))).filter(
      (r) => !barriers[r],
    );
    const phases = reversed.slice(0, n).map((r) => phase.get(r) ?? -1);
    expect(phases).toEqual([...phases].sort((a, b) => a - b));
  });

  it('makes Terraform order two teardown steps exactly when the plan does', () => {
    // B runs after A in teardown (A's phase is earlier) <=> resource(A) depends on resource(B)
    for (const a of plan.teardown)
      for (const b of plan.teardown) {
        if (a === b) continue;
        const planSays = teardownBefore(a, b);
        const terraformSays = dependsOnClosure(all, resourceName(a.id)).has(resourceName(b.id));
        expect(terraformSays, `${a.id} before ${b.id}`).toBe(planSays);
      }
  });

  it('orders the teardown phases through one barrier each: edges linear in the steps', () => {
    const phases = new Set(plan.teardown.map((s) => s.phase)).size;
    expect(Object.keys(barriers).length).toBe(phases - 1);
    const edges = Object.values(teardown).reduce((n, r) => n + (r.depends_on?.length ?? 0), 0);
    const barrierEdges = Object.values(barriers).reduce((n, r) => n + (r.depends_on?.length ?? 0), 0);
    expect(barrierEdges).toBe(
      plan.teardown.length - plan.teardown.filter((s) => s.phase === plan.teardown[0]?.phase).length,
    );
    expect(edges).toBeLessThanOrEqual(plan.teardown.length + Object.keys(deploy).length);
  });

  it('creates every teardown resource after cluster/verify (the cluster is up)', () => {
    for (const s of plan.teardown)
      expect(dependsOnClosure(all, resourceName(s.id)).has('cluster__verify'), s.id).toBe(true);
    // cluster/verify is the deploy's only end: every deploy step comes before it
    const beforeVerify = dependsOnClosure(all, 'cluster__verify');
    for (const s of plan.steps)
      if (s.id !== 'cluster/verify') expect(beforeVerify.has(resourceName(s.id)), s.id).toBe(true);
  });

  it('keeps data on destroy (no purge step without purgeData)', () => {
    expect(plan.teardown.some((s) => s.phase === 'purge')).toBe(false);
  });

  it('outputs the service name, the dm_svc.conf entry and connection strings, none sensitive', () => {
    const m = cluster.model;
    expect(json.output.client_service_name?.value).toBe(m.client.serviceName);
    expect(json.output.dm_svc_conf?.value).toContain(`${m.client.serviceName}=(`);
    expect(json.output.connection_string?.value).toMatch(
      new RegExp(`^jdbc:dm://${m.client.serviceName}(\\?|$)`),
    );
    expect(json.output.disql_connect?.value).toBe(`disql SYSDBA@${m.client.serviceName}`);
    expect(json.output.plan_steps?.value).toBe(plan.steps.length);
    for (const o of Object.values(json.output)) expect(o.sensitive).toBeUndefined();
  });

  it('has exactly the outputs of its kind, each described', () => {
    const expected =
      cluster.kind === 'MppGroup'
        ? [...OUTPUTS, ...MPP_OUTPUTS]
        : cluster.kind === 'DpcCluster'
          ? [...OUTPUTS, ...DPC_OUTPUTS]
          : OUTPUTS;
    expect(Object.keys(json.output).sort()).toEqual([...expected].sort());
    for (const [name, o] of Object.entries(json.output)) expect(o.description, name).toBeTruthy();
  });
});

describe('DpcCluster (003 7.1)', () => {
  it('outputs each SP, the only nodes clients use (003 7.1.7), and a dm_svc.conf over the SPs alone', () => {
    const stack = new TerraformStack(Testing.app(), 'dpc');
    dpc71(stack);
    const json = JSON.parse(Testing.synth(stack)) as { output: Record<string, { value: unknown }> };
    expect(json.output.sp_connections?.value).toEqual({ SP1: '223.254.30.136:5236' });
    expect(serviceLine(json.output.dm_svc_conf?.value, 'DPC1')).toEqual(['223.254.30.136:5236']);
  });

  it('stops synth with the DMDPC rule that names the field', () => {
    const stack = new TerraformStack(Testing.app(), 'dpcbad');
    const spec = withoutKind(example<'DpcCluster'>('7.1-dpc-single-replica.yaml'));
    new DpcCluster(stack, 'DPC1', {
      ...spec,
      mp: { replicas: [{ ...spec.mp.replicas[0], mpPort: 6001 } as never] },
    });
    expect(synthErrors(stack)).toContain('DPC_MP_PORT_VS_AP mp.replicas[0].mpPort [dpcbad/DPC1]');
  });
});

describe('MppGroup (7.4)', () => {
  it('outputs the MPP-wide service and a direct connection to each EP', () => {
    const { cluster, json } = synthCluster(mpp74);
    const out = (name: string) => json.output[name]?.value;
    expect(out('client_service_name')).toBe('MPP_GRP1');
    expect(out('mpp_service_name')).toBe('MPP_GRP1');
    expect(out('connection_string')).toBe('jdbc:dm://MPP_GRP1');
    expect(out('disql_connect')).toBe('disql SYSDBA@MPP_GRP1');
    // each EP is its group's primary: MAL_INST_HOST:PORT_NUM of tables 7.5-7.8
    expect(out('ep_connections')).toEqual({
      GRP1_MPP_EP01: '192.168.1.131:5236',
      GRP2_MPP_EP02: '192.168.1.132:5236',
    });
    // the MPP-wide service lists every EP, and the standbys that may take an EP over
    const listed = serviceLine(out('dm_svc_conf'), 'MPP_GRP1');
    expect(listed).toEqual(dmSvcAddresses(cluster.model as ClusterModel));
    expect(listed).toEqual(
      expect.arrayContaining(Object.values(out('ep_connections') as Record<string, string>)),
    );
    expect(listed).toEqual(
      expect.arrayContaining(['192.168.1.132:5237', '192.168.1.131:5237']), // GRP1_MPP_EP11, GRP2_MPP_EP22
    );
    expect(String(out('dm_svc_conf'))).toContain('[MPP_GRP1]\nLOGIN_MODE=(1)\n');
  });

  it("with DCP proxies (001 6.3): each proxy's connection, and the dcp service over all of them", () => {
    const { json } = synthCluster(
      (stack) =>
        new MppGroup(stack, 'MPP_DCP', {
          ...withoutKind(example<'MppGroup'>('7.4-mpp-dcp.yaml')),
          dmdeploy: DMDEPLOY,
        }),
    );
    const out = (name: string) => json.output[name]?.value;
    expect(out('dcp_connections')).toEqual({ DCP1: '192.168.0.207:5236', DCP2: '192.168.0.208:5236' });
    expect(String(out('dm_svc_conf'))).toContain('dcp=(192.168.0.207:5236,192.168.0.208:5236)\n');
  });

  it('refuses AsyncStandby and SyncStandby children, naming the field of the node group', () => {
    const stack = new TerraformStack(Testing.app(), 'MPP');
    const mpp = new MppGroup(stack, 'MPP_EP', withoutKind(example<'MppGroup'>('7.4-mpp-group.yaml')));
    expect(() => new AsyncStandby(mpp, 'A1', { name: 'GRP1_ASYNC_01', host: 'C', timer: {} })).toThrow(
      /MPP\/MPP_EP\/A1: an MppGroup takes no AsyncStandby or SyncStandby child .*groups\[i\]\.asyncStandbys of MPP\/MPP_EP/,
    );
    expect(() => new SyncStandby(mpp, 'S1', { name: 'GRP1_SYNC_01', host: 'C' })).toThrow(
      /groups\[i\]\.syncStandbys/,
    );
  });

  it('validates every node group at synth, naming the field and the construct', () => {
    const spec = withoutKind(example<'MppGroup'>('7.4-mpp-group.yaml'));
    const [g1] = spec.groups;
    if (!g1) throw new Error('7.4 has two groups');
    const stack = new TerraformStack(Testing.app(), 'BAD');
    const mpp = new MppGroup(stack, 'Mpp', { ...spec, groups: [{ ...g1, standbys: [], seqNo: 3 }] });
    expect(synthErrors(stack)).toEqual(
      expect.arrayContaining([
        'MPP_GROUP_COUNT groups [BAD/Mpp]',
        'STANDBY_COUNT groups[0].standbys [BAD/Mpp]',
        'MPP_SEQ_NO groups[0].seqNo [BAD/Mpp]',
      ]),
    );
    expect(() => mpp.plan).toThrow(SpecError);
  });

  it('takes DcpProxy children into dcp.proxies after the inline ones; their findings name the child', () => {
    const spec = withoutKind(example<'MppGroup'>('7.4-mpp-group.yaml'));
    const stack = new TerraformStack(Testing.app(), 'DCP');
    const hosts = { ...spec.hosts, D1: { address: '192.168.0.207' }, D2: { address: '192.168.0.208' } };
    const mpp = new MppGroup(stack, 'Mpp', {
      ...spec,
      hosts,
      dcp: { serviceName: 'dcp', proxies: [{ name: 'DCP1', host: 'D1', port: 5236 }] },
    });
    const d2 = new DcpProxy(mpp, 'DCP2', { name: 'DCP2', host: 'D2', port: 5236 });
    new DcpProxy(mpp, 'DCP3', { name: 'DCP3', host: 'NOWHERE' });
    expect(d2.instanceName).toBe('DCP2');
    const dcp = (mpp.spec as { dcp?: { proxies: { name: string }[] } }).dcp;
    expect(dcp?.proxies.map((p) => p.name)).toEqual(['DCP1', 'DCP2', 'DCP3']);
    expect(synthErrors(stack)).toEqual(
      expect.arrayContaining(['DCP_HOST dcp.proxies[2].host [DCP/Mpp/DCP3]']),
    );
  });
});

describe('DscPrimary (7.5)', () => {
  it('outputs the service over every DSC node and the standby', () => {
    const { json } = synthCluster(dsc75);
    expect(json.output.client_service_name?.value).toBe('GRP1');
    expect(serviceLine(json.output.dm_svc_conf?.value, 'GRP1')).toEqual([
      '192.168.1.131:8344', // GRP1_RT_DSC01
      '192.168.1.131:8346', // GRP1_RT_DSC02
      '192.168.1.132:9344', // GRP1_RT_01
    ]);
    expect(json.output.connection_string?.value).toBe('jdbc:dm://GRP1');
    expect(json.output.disql_connect?.value).toBe('disql SYSDBA@GRP1');
  });

  it('takes AsyncStandby children (one fed by a DSC node, one cascaded from it) and a SyncStandby', () => {
    const { cluster, json } = synthCluster(dscAsync75);
    expect((cluster as DscPrimary).primaryName).toBe('GRP1_RT_DSC01');
    expect(cluster.spec).toEqual(dscAsyncSpec());
    expect(cluster.plan).toEqual(planCluster(modelOf(dscAsyncSpec())));
    // the source named by a DSC node is the DSC database
    const asyncs =
      (cluster.model as ClusterModel).groups[0]?.databases.filter((d) => d.role === 'async') ?? [];
    expect(asyncs.map((d) => [d.id, d.source])).toEqual([
      ['GRP1_ASYNC_01', 'GRP1_RT_DSC01'],
      ['GRP1_ASYNC_02', 'GRP1_ASYNC_01'],
    ]);
    const { deploy, teardown } = split(json);
    expect(Object.keys(deploy).sort()).toEqual(cluster.plan.steps.map((s) => resourceName(s.id)).sort());
    expect(Object.keys(teardown).sort()).toEqual(cluster.plan.teardown.map((s) => resourceName(s.id)).sort());
    for (const a of ['GRP1_ASYNC_01', 'GRP1_ASYNC_02', 'GRP1_SYNC_01'])
      expect(
        cluster.plan.steps.some((s) => s.id.startsWith(`${a}/`)),
        a,
      ).toBe(true);
  });

  it('validates at synth, naming the field and the construct (a DMDSC standby of a DMDSC primary)', () => {
    const spec = withoutKind(example<'DscPrimary'>('7.5-dsc-primary.yaml'));
    const stack = new TerraformStack(Testing.app(), 'BAD');
    const dsc = new DscPrimary(stack, 'Dsc', { ...spec, standbys: [spec.primary] });
    expect(synthErrors(stack)).toContain('DSC_TO_DSC standbys[0].nodes [BAD/Dsc]');
    expect(() => dsc.plan).toThrow(SpecError);
  });
});

describe('connection helpers', () => {
  const mpp = () => example<'MppGroup'>('7.4-mpp-group.yaml');

  it('list the EPs of an MPP model in MPP_SEQ_NO order, addressed as dm_svc.conf lists them', () => {
    const model = modelOf(mpp());
    expect(mppEndpoints(model)).toEqual([
      { seqNo: 0, group: 'GRP1', instance: 'GRP1_MPP_EP01', address: '192.168.1.131:5236' },
      { seqNo: 1, group: 'GRP2', instance: 'GRP2_MPP_EP02', address: '192.168.1.132:5236' },
    ]);
    for (const e of mppEndpoints(model)) expect(dmSvcAddresses(model)).toContain(e.address);
    const [g1, g2] = mpp().groups;
    if (!g1 || !g2) throw new Error('7.4 has two groups');
    const swapped = modelOf({
      ...mpp(),
      groups: [
        { ...g1, seqNo: 1 },
        { ...g2, seqNo: 0 },
      ],
    });
    expect(Object.entries(epConnections(swapped))).toEqual([
      ['GRP2_MPP_EP02', '192.168.1.132:5236'],
      ['GRP1_MPP_EP01', '192.168.1.131:5236'],
    ]);
  });

  it('bracket an IPv6 public address and give nothing for a model that is not MPP', () => {
    const spec = mpp();
    const v6 = modelOf({
      ...spec,
      hosts: { ...spec.hosts, A: { address: 'fd00::131', public: 'fd00::131' } },
    });
    expect(epConnections(v6)).toEqual({
      GRP1_MPP_EP01: '[fd00::131]:5236',
      GRP2_MPP_EP02: '192.168.1.132:5236',
    });
    expect(mppEndpoints(modelOf(example('7.2-realtime-pair.yaml')))).toEqual([]);
    expect(epConnections(modelOf(example('7.5-dsc-primary.yaml')))).toEqual({});
  });
});

describe('outputs', () => {
  it('carry read-write separation for a ReadWriteCluster (7.3.9)', () => {
    const { json } = synthCluster(rw73);
    expect(json.output.connection_string?.value).toBe('jdbc:dm://GRP1?rwSeparate=1&rwPercent=25');
    expect(json.output.dm_svc_conf?.value).toContain('RW_SEPARATE=(1)\nRW_PERCENT=(25)');
  });

  it('follow client.rwPercent and leave rwSeparate out of a plain realtime pair', () => {
    const spec = withoutKind(example<'ReadWriteCluster'>('7.3-read-write-cluster.yaml'));
    const { json } = synthCluster(
      (s) => new ReadWriteCluster(s, 'GRP1', { ...spec, client: { rwPercent: 10 }, dmdeploy: DMDEPLOY }),
    );
    expect(json.output.connection_string?.value).toBe('jdbc:dm://GRP1?rwSeparate=1&rwPercent=10');
    expect(synthCluster(pair72).json.output.connection_string?.value).toBe('jdbc:dm://GRP1');
  });
});

describe('digests', () => {
  const digests = (json: StackJson) =>
    Object.fromEntries(Object.entries(split(json).deploy).map(([n, r]) => [n, r.triggers?.digest]));

  it("change only for the steps that read the changed standby's port", () => {
    const base = synthCluster(pair72).json;
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    const [s0] = spec.standbys;
    const changed = synthCluster(
      (s) =>
        new RealtimePair(s, 'GRP1', {
          ...spec,
          standbys: [{ ...s0, port: 32152 } as never],
          dmdeploy: DMDEPLOY,
        }),
    ).json;
    const a = digests(base);
    const b = digests(changed);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    const differ = Object.keys(a)
      .filter((n) => a[n] !== b[n])
      .sort();
    expect(differ).toEqual([
      'GRP1_RT_01__config', // its dmmal.ini lists GRP1_RT_02's MAL_INST_PORT
      'GRP1_RT_02__config', // dm.ini PORT_NUM, dmmal.ini
      'GRP1_RT_02__dminit',
      'GRP1_RT_02__join',
      'GRP1_RT_02__mode',
      'GRP1_RT_02__mount',
      'GRP1_RT_02__restore',
      'GRP1_RT_02__watcher',
      'GRP1__restart',
      'cluster__preflight', // the port must be free
      'cluster__verify',
    ]);
    // the primary's own steps, the copy and the monitor are untouched: they will not run again
    for (const n of [
      'GRP1_RT_01__dminit',
      'GRP1_RT_01__backup',
      'GRP1_RT_01__mode',
      'DW_S1__copy-backup',
      'DW_M__monitor',
    ])
      expect(b[n], n).toBe(a[n]);
  });

  it('do not depend on the construct path, the outdir or the dmdeploy path', () => {
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    const a = synthCluster(pair72).json;
    const b = synthCluster((s) => new RealtimePair(s, 'Elsewhere', spec), Testing.app(), 'Other').json;
    expect(digests(b)).toEqual(digests(a));
  });
});

describe('the plan manifest asset', () => {
  it.each([
    ['7.6 async cascade', cascade76],
    ['7.4 MPP group', mpp74],
    ['7.5 DMDSC primary', dsc75],
  ])(
    '%s: holds the plan bytes, lands in the stack assets/ dir, and no secret reaches any synthesized file',
    (_title, build) => {
      const marker = 'S3cret-marker-4711';
      const saved = { b: process.env.DM_SYSDBA_PASSWORD };
      process.env.DM_SYSDBA_PASSWORD = marker;
      try {
        const outdir = mkdtempSync(path.join(tmpdir(), 'dm-constructs-'));
        const app = new App({ outdir });
        const stack = new TerraformStack(app, 'GRP1');
        const cluster = build(stack);
        app.synth();
        const stackDir = path.join(outdir, 'stacks', 'GRP1');
        const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as StackJson;
        const asset = manifestArg(json.resource.null_resource['cluster__preflight']);
        expect(readFileSync(path.join(stackDir, asset), 'utf8')).toBe(planManifest(cluster.plan));
        const files = readdirSync(outdir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
        expect(files.length).toBeGreaterThan(2);
        for (const f of files)
          expect(readFileSync(path.join(f.parentPath, f.name), 'utf8'), f.name).not.toContain(marker);
      } finally {
        for (const [k, v] of [['DM_SYSDBA_PASSWORD', saved.b]] as const)
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
      }
    },
  );

  it('is synthesized to identical bytes twice (stable asset hashes, default command: node on the step bundle)', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dm-constructs-'));
    const once = () => {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, 'GRP1');
      new RealtimePair(stack, 'GRP1', withoutKind(example('7.2-realtime-pair.yaml')));
      app.synth();
      return readFileSync(path.join(outdir, 'stacks/GRP1/cdk.tf.json'));
    };
    const first = once();
    expect(once().equals(first)).toBe(true);
    // without a dmdeploy: `node <the step bundle>`, an asset relative to the stack directory
    const json = JSON.parse(first.toString()) as StackJson;
    const command =
      json.resource.null_resource['cluster__verify']?.provisioner[0]?.['local-exec'].command ?? '';
    const [node, bundle = ''] = command.split(' ');
    expect(node).toBe('node');
    expect(bundle).toMatch(/^assets\/[^/]+\/[0-9A-F]{32}\/dmdeploy-step\.cjs$/);
    expect(existsSync(path.join(outdir, 'stacks/GRP1', path.dirname(bundle), 'step.cjs'))).toBe(true);
  });
});

describe('purgeData', () => {
  it('adds purge steps that run last on destroy, one per host', () => {
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    const { cluster, json } = synthCluster(
      (s) => new RealtimePair(s, 'GRP1', { ...spec, purgeData: true, dmdeploy: DMDEPLOY }),
    );
    const purges = cluster.plan.teardown.filter((s) => s.phase === 'purge').map((s) => resourceName(s.id));
    expect(purges).toEqual(['DW_P__purge', 'DW_S1__purge']);
    const all = json.resource.null_resource;
    for (const p of purges) {
      expect(all[p]?.provisioner[0]?.['local-exec'].when).toBe('destroy');
      expect(all[p]?.depends_on).toEqual([ref('cluster__verify')]);
    }
    const index = new Map(cluster.plan.teardown.map((s, i) => [resourceName(s.id), i]));
    const order = destroyOrder(all, (n) => index.get(n) ?? (isBarrier(all[n]) ? -1 : 1e6));
    const teardown = order.filter((n) => !isBarrier(all[n])).slice(0, cluster.plan.teardown.length);
    expect(teardown.slice(-2).sort()).toEqual(purges);
    // every stop comes before every purge
    for (const s of cluster.plan.teardown.filter((t) => t.phase !== 'purge'))
      for (const p of purges) expect(teardown.indexOf(resourceName(s.id))).toBeLessThan(teardown.indexOf(p));
  });
});

describe('validation', () => {
  it('stops synth before any stack of the app is written', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dm-constructs-'));
    const app = new App({ outdir });
    // a valid cluster in its own stack first: it must not be written either
    pair72(new TerraformStack(app, 'OK'));
    const stack = new TerraformStack(app, 'BAD');
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    const pair = new RealtimePair(stack, 'Pair', {
      ...spec,
      oguid: -1,
      standbys: [],
      malport: 1,
    } as never);
    new AsyncStandby(pair, 'Late', { name: 'GRP1_LOCAL_01_TOO_LONG_NAME', host: 'NOWHERE', timer: {} });
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    const findings = (error as SpecError).findings;
    expect(findings.map((f) => `${f.code} ${f.path}`)).toEqual(['SPEC_UNKNOWN_FIELD malport']);
    const message = (error as Error).message;
    expect(message).toContain('SPEC_UNKNOWN_FIELD malport');
    expect(message).toContain('[BAD/Pair]');
    expect(existsSync(path.join(outdir, 'stacks', 'OK', 'cdk.tf.json'))).toBe(false);
    expect(existsSync(path.join(outdir, 'stacks', 'BAD', 'cdk.tf.json'))).toBe(false);
  });

  it('runs every rule on the complete spec, naming the attached child', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'BAD');
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    const pair = new RealtimePair(stack, 'Pair', { ...spec, oguid: -1, standbys: [] });
    new AsyncStandby(pair, 'Late', { name: 'GRP1_LOCAL_01_TOO_LONG_NAME', host: 'NOWHERE', timer: {} });
    let error: unknown;
    try {
      Testing.synth(stack);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    const errors = (error as SpecError).findings.filter((f) => f.severity === 'error');
    const seen = errors.map((f) => `${f.code} ${f.path} [${f.location}]`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'OGUID_RANGE oguid [BAD/Pair]',
        'STANDBY_COUNT standbys [BAD/Pair]',
        expect.stringMatching(/^\w+ asyncStandbys\[0\]\.name \[BAD\/Pair\/Late\]$/),
        expect.stringMatching(/^\w+ asyncStandbys\[0\]\.host \[BAD\/Pair\/Late\]$/),
      ]),
    );
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(() => pair.plan).toThrow(SpecError);
  });

  it('refuses a standby attached after synthesis', () => {
    const { cluster: pair } = synthCluster(pair72);
    expect(() => new SyncStandby(pair, 'Late', { name: 'GRP1_SYNC_09', host: 'DW_M' })).toThrow(
      /cannot attach a standby to GRP1\/GRP1 after it was validated or synthesized/,
    );
  });

  it('turns validation warnings into cdktf warning annotations', () => {
    const { cluster: pair } = synthCluster(pair72);
    const warnings = pair.node.metadata.filter((m) => m.type === '@cdktf/warn');
    expect(warnings.map((w) => String(w.data))).toEqual(
      expect.arrayContaining([expect.stringContaining('OGUID_MANUAL_EXAMPLE oguid')]),
    );
  });
});

describe('several clusters in one stack', () => {
  it('prefix the MPP outputs too (an MppGroup and a DscPrimary side by side)', () => {
    const stack = new TerraformStack(Testing.app(), 'Both');
    const mpp = mpp74(stack);
    const dsc = dsc75(stack);
    const json = JSON.parse(Testing.synth(stack)) as StackJson;
    expect(Object.keys(json.output).sort()).toEqual(
      [
        ...OUTPUTS.map((o) => `GRP1__${o}`),
        ...[...OUTPUTS, ...MPP_OUTPUTS].map((o) => `MPP_EP__${o}`),
      ].sort(),
    );
    expect(json.output['MPP_EP__ep_connections']?.value).toEqual(epConnections(mpp.model));
    const names = Object.keys(json.resource.null_resource);
    const count = (c: DmCluster) => resourceCount(c.plan);
    expect(names.length).toBe(count(mpp) + count(dsc));
    for (const r of Object.values(json.resource.null_resource))
      for (const d of r.depends_on ?? []) expect(names).toContain(unref(d));
  });

  it('share one provider and no variable, and prefix resource and output names', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'Both');
    const a = pair72(stack);
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    new RealtimePair(stack, 'GRP2', { ...spec, group: 'GRP2', oguid: 453339, dmdeploy: DMDEPLOY });
    const json = JSON.parse(Testing.synth(stack)) as StackJson;
    expect(json.provider.null).toHaveLength(1);
    expect(json.variable).toBeUndefined();
    const names = Object.keys(json.resource.null_resource);
    expect(names.length).toBe(2 * resourceCount(a.plan));
    expect(names).toContain('GRP1__cluster__verify');
    expect(names).toContain('GRP2__cluster__verify');
    expect(dependsOnClosure(json.resource.null_resource, 'GRP2__DW_M__stop-monitor')).toContain(
      'GRP2__GRP1_RT_01__stop-watcher',
    );
    expect(Object.keys(json.output)).toEqual(
      expect.arrayContaining(['GRP1__connection_string', 'GRP2__connection_string']),
    );
    for (const r of Object.values(json.resource.null_resource))
      for (const d of r.depends_on ?? []) expect(names).toContain(unref(d));
  });
});

describe('stepResource: terraform_data', () => {
  const stack = () => {
    const app = Testing.app();
    const st = new TerraformStack(app, 'GRP1');
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    const cluster = new RealtimePair(st, 'GRP1', {
      ...spec,
      stepResource: 'terraform_data',
      dmdeploy: DMDEPLOY,
    });
    const json = JSON.parse(Testing.synth(st)) as StackJson & {
      terraform?: { required_providers?: Record<string, unknown> };
    };
    return { cluster, json };
  };

  it("makes every step Terraform's built-in terraform_data, with the same DAG, triggers and commands", () => {
    const { cluster, json } = stack();
    const plan = cluster.plan;
    const data = json.resource.terraform_data ?? {};
    expect(json.resource.null_resource).toBeUndefined();
    expect(Object.keys(data).length).toBe(resourceCount(plan));
    expect(
      Object.keys(data)
        .filter((n) => !n.startsWith('teardown__before__'))
        .sort(),
    ).toEqual([...plan.steps, ...plan.teardown].map((s) => resourceName(s.id)).sort());
    for (const s of plan.steps) {
      const r = data[resourceName(s.id)];
      expect(r?.triggers_replace, s.id).toEqual({ step: s.id, digest: stepDigest(plan, s) });
      expect(r?.depends_on, s.id).toEqual(s.after.map((a) => `terraform_data.${resourceName(a)}`));
      expect(r?.provisioner?.[0]?.['local-exec']?.command).toContain(`step ${s.id} --manifest `);
    }
  });

  it('needs no provider: none configured, none required', () => {
    const { json } = stack();
    expect(json.provider).toBeUndefined();
    expect(json.terraform?.required_providers ?? {}).toEqual({});
  });
});
