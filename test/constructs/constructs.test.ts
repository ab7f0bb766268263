/**
 * The cluster constructs, asserted on synthesized Terraform JSON: one null_resource per plan
 * step with the DAG as depends_on, content-digest triggers, the manifest asset, the sensitive
 * variables, the §6.4 teardown as destroy-time provisioners, and the client outputs.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Testing, TerraformStack } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { AsyncStandby, ReadWriteCluster, RealtimePair, SyncStandby, type DmCluster } from '../../constructs';
import {
  planCluster,
  planManifest,
  resourceName,
  stepDigest,
  TEARDOWN_PHASES,
  type Plan,
} from '../../lib/plan';
import { validateSpec, SpecError } from '../../lib/validate';
import type { ClusterSpec } from '../../lib/spec/schema';
import {
  DMDEPLOY,
  dependsOnClosure,
  destroyOrder,
  example,
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

const CASES: [string, string, (stack: TerraformStack) => DmCluster][] = [
  ['7.2 realtime pair', '7.2-realtime-pair.yaml', pair72],
  ['7.3 read-write cluster', '7.3-read-write-cluster.yaml', rw73],
  ['7.6 async cascade (AsyncStandby children)', '7.6-async-cascade.yaml', cascade76],
  ['7.7 sync standby (SyncStandby child)', '7.7-sync-standby.yaml', sync77],
];

function planOf(file: string): Plan {
  const v = validateSpec(example<ClusterSpec['kind']>(file));
  if (!v.model) throw new Error(`${file} is invalid`);
  return planCluster(v.model);
}

const split = (json: StackJson) => {
  const all = json.resource.null_resource;
  const deploy = Object.fromEntries(Object.entries(all).filter(([, r]) => r.triggers));
  const teardown = Object.fromEntries(Object.entries(all).filter(([, r]) => !r.triggers));
  return { all, deploy, teardown };
};

const manifestArg = (r: NullResourceJson | undefined): string => {
  const m = /--manifest (\S+)$/.exec(r?.provisioner[0]?.['local-exec'].command ?? '');
  if (!m?.[1]) throw new Error('no --manifest in the command');
  return m[1];
};

describe.each(CASES)('%s', (_title, file, build) => {
  const { cluster, json } = synthCluster(build);
  const plan = cluster.plan;
  const { all, deploy, teardown } = split(json);

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

  it('runs `dmdeploy step <id> --manifest <asset>` with the secrets from the variables', () => {
    const manifest = manifestArg(deploy['cluster__preflight']);
    expect(manifest).toMatch(/^assets\/[^/]+\/[0-9A-F]{32}\/plan\.json$/);
    for (const s of plan.steps) {
      const provisioners = deploy[resourceName(s.id)]?.provisioner;
      expect(provisioners, s.id).toEqual([
        {
          'local-exec': {
            command: `${DMDEPLOY} step ${s.id} --manifest ${manifest}`,
            environment: {
              DM_SYSDBA_PASSWORD: '${var.sysdba_password}',
              DM_SSH_PASSPHRASE: '${var.ssh_key_passphrase}',
            },
          },
        },
      ]);
    }
  });

  it('declares the secrets as sensitive variables and uses them only in provisioner environments', () => {
    expect(json.variable).toEqual({
      sysdba_password: expect.objectContaining({ type: 'string', sensitive: true, nullable: false }),
      ssh_key_passphrase: expect.objectContaining({ type: 'string', sensitive: true, default: '' }),
    });
    expect(json.variable.sysdba_password).not.toHaveProperty('default');
    const uses = leaves(json).filter(([, v]) => v.includes('var.'));
    expect(uses.length).toBe(plan.steps.length * 2);
    for (const [at, v] of uses) {
      expect(at).toMatch(
        /^resource\.null_resource\.[^.]+\.provisioner\[0\]\.local-exec\.environment\.DM_(SYSDBA_PASSWORD|SSH_PASSPHRASE)$/,
      );
      expect(v).toBe(
        at.endsWith('DM_SYSDBA_PASSWORD') ? '${var.sysdba_password}' : '${var.ssh_key_passphrase}',
      );
    }
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
    const order = destroyOrder(all, (n) => index.get(n) ?? 1e6);
    const n = plan.teardown.length;
    expect(order.slice(0, n)).toEqual(plan.teardown.map((s) => resourceName(s.id)));
    expect(order.slice(n).every((r) => deploy[r])).toBe(true);
    // and the phases never go backwards whichever ready resource Terraform picks first
    const phase = new Map(
      plan.teardown.map((s) => [resourceName(s.id), TEARDOWN_PHASES.indexOf(s.phase as never)]),
    );
    const reversed = destroyOrder(all, (r) => -(index.get(r) ?? -1e6));
    const phases = reversed.slice(0, n).map((r) => phase.get(r) ?? -1);
    expect(phases).toEqual([...phases].sort((a, b) => a - b));
  });

  it('makes Terraform order two teardown steps exactly when the plan does', () => {
    // B runs after A in teardown (B.after, transitively, holds A) <=> resource(A) depends on resource(B)
    const after = new Map(plan.teardown.map((s) => [s.id, new Set(s.after)]));
    const closure = (id: string): Set<string> => {
      const out = new Set<string>();
      const visit = (x: string) => {
        for (const a of after.get(x) ?? []) {
          if (out.has(a)) continue;
          out.add(a);
          visit(a);
        }
      };
      visit(id);
      return out;
    };
    for (const a of plan.teardown)
      for (const b of plan.teardown) {
        if (a === b) continue;
        const planSays = closure(b.id).has(a.id);
        const terraformSays = dependsOnClosure(all, resourceName(a.id)).has(resourceName(b.id));
        expect(terraformSays, `${a.id} before ${b.id}`).toBe(planSays);
      }
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
      'GRP1_RT_02__mode',
      'GRP1_RT_02__mount',
      'GRP1_RT_02__restore',
      'GRP1_RT_02__watcher',
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
  it('holds the plan bytes, lands in the stack assets/ dir, and no secret reaches any synthesized file', () => {
    const marker = 'S3cret-marker-4711';
    const saved = { a: process.env.TF_VAR_sysdba_password, b: process.env.DM_SYSDBA_PASSWORD };
    process.env.TF_VAR_sysdba_password = marker;
    process.env.DM_SYSDBA_PASSWORD = marker;
    try {
      const outdir = mkdtempSync(path.join(tmpdir(), 'dm-constructs-'));
      const app = new App({ outdir });
      const stack = new TerraformStack(app, 'GRP1');
      const cluster = cascade76(stack);
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
      for (const [k, v] of [
        ['TF_VAR_sysdba_password', saved.a],
        ['DM_SYSDBA_PASSWORD', saved.b],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it('is synthesized to identical bytes twice (stable asset hash, default dmdeploy path)', () => {
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
    // the default dmdeploy is this repository's bin/dmdeploy, relative to the stack directory
    const json = JSON.parse(first.toString()) as StackJson;
    const command =
      json.resource.null_resource['cluster__verify']?.provisioner[0]?.['local-exec'].command ?? '';
    const dmdeploy = command.split(' ')[0] ?? '';
    expect(path.isAbsolute(dmdeploy)).toBe(false);
    expect(path.resolve(outdir, 'stacks/GRP1', dmdeploy)).toBe(path.resolve(__dirname, '../../bin/dmdeploy'));
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
    const order = destroyOrder(all, (n) => index.get(n) ?? 1e6);
    const teardown = order.slice(0, cluster.plan.teardown.length);
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
  it('share one provider and one variable set, and prefix resource and output names', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'Both');
    const a = pair72(stack);
    const spec = withoutKind(example('7.2-realtime-pair.yaml'));
    new RealtimePair(stack, 'GRP2', { ...spec, group: 'GRP2', oguid: 453339, dmdeploy: DMDEPLOY });
    const json = JSON.parse(Testing.synth(stack)) as StackJson;
    expect(json.provider.null).toHaveLength(1);
    expect(Object.keys(json.variable).sort()).toEqual(['ssh_key_passphrase', 'sysdba_password']);
    const names = Object.keys(json.resource.null_resource);
    expect(names.length).toBe(2 * (a.plan.steps.length + a.plan.teardown.length));
    expect(names).toContain('GRP1__cluster__verify');
    expect(names).toContain('GRP2__cluster__verify');
    expect(json.resource.null_resource['GRP2__DW_M__stop-monitor']?.depends_on).toEqual(
      expect.arrayContaining([ref('GRP2__GRP1_RT_01__stop-watcher')]),
    );
    expect(Object.keys(json.output)).toEqual(
      expect.arrayContaining(['GRP1__connection_string', 'GRP2__connection_string']),
    );
    for (const r of Object.values(json.resource.null_resource))
      for (const d of r.depends_on ?? []) expect(names).toContain(unref(d));
  });
});
