/** main.ts: one stack per spec, synthesized without a terraform binary; invalid specs stop synth. */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { buildApp, ClusterStack, specFiles } from '../main';
import { DscPrimary, MppGroup, RealtimePair, ReadWriteCluster } from '../constructs';
import { planManifest, resourceName, stepDigest } from '../lib/plan';
import { stepBundle } from '../constructs/step-bundle';
import { isBarrier, resourceCount, type NullResourceJson } from './constructs/support';

const EXAMPLES = path.join(__dirname, '../examples');

function clustersDir(...examples: string[]): { root: string; files: string[] } {
  const root = mkdtempSync(path.join(tmpdir(), 'dm-main-'));
  mkdirSync(path.join(root, 'clusters'));
  for (const e of examples) copyFileSync(path.join(EXAMPLES, e), path.join(root, 'clusters', e));
  return { root, files: specFiles(root) };
}

describe('main.ts', () => {
  it('falls back to the built-in example and synthesizes its stack', () => {
    const files = specFiles(mkdtempSync(path.join(tmpdir(), 'dm-main-')));
    expect(files.map((f) => path.basename(f))).toEqual(['7.2-realtime-pair.yaml']);
    const app = buildApp(Testing.app(), [path.join(__dirname, '../examples/7.2-realtime-pair.yaml')]);
    const stack = app.node.findChild('GRP1');
    const json = JSON.parse(Testing.synth(stack as never));
    expect(json.output.client_service_name.value).toBe('GRP1');
    expect(json.output.dm_svc_conf.value).toContain('GRP1=(192.168.1.131:32141,192.168.1.132:32142)');
    expect(json.output.connection_string.value).toBe('jdbc:dm://GRP1');
  });

  it('puts the construct of the spec kind in each stack, with one null_resource per step', () => {
    const { files } = clustersDir(
      '7.2-realtime-pair.yaml',
      '7.3-read-write-cluster.yaml',
      '7.7-sync-standby.yaml',
    );
    // three specs of group GRP1: give two of them their own names
    const dir = path.dirname(files[0] ?? '');
    for (const [f, name] of [
      ['7.3-read-write-cluster.yaml', 'RW'],
      ['7.7-sync-standby.yaml', 'SYNC'],
    ] as const)
      writeFileSync(path.join(dir, f), `${readFileSync(path.join(dir, f), 'utf8')}name: ${name}\n`);
    const app = buildApp(Testing.app(), files, { dmdeploy: '/opt/dmdeploy' });
    const stacks = app.node.children.filter((c): c is ClusterStack => c instanceof ClusterStack);
    expect(stacks.map((s) => s.node.id)).toEqual(['GRP1', 'RW', 'SYNC']);
    expect(stacks.map((s) => s.cluster.constructor)).toEqual([RealtimePair, ReadWriteCluster, RealtimePair]);
    for (const s of stacks) {
      const json = JSON.parse(Testing.synth(s));
      const plan = s.cluster.plan;
      const resources = json.resource.null_resource as Record<string, NullResourceJson>;
      expect(
        Object.keys(resources)
          .filter((n) => !isBarrier(resources[n]))
          .sort(),
      ).toEqual([...plan.steps, ...plan.teardown].map((st) => resourceName(st.id)).sort());
      expect(json.resource.null_resource['cluster__verify'].provisioner[0]['local-exec'].command).toMatch(
        /^\/opt\/dmdeploy step cluster\/verify --manifest assets\//,
      );
    }
    // the inline sync standby of the YAML is planned
    expect(stacks[2]?.cluster.plan.steps.map((s) => s.id)).toContain('GRP1_SYNC_01/mode');
    expect(JSON.parse(Testing.synth(stacks[1] as never)).output.connection_string.value).toBe(
      'jdbc:dm://GRP1?rwSeparate=1&rwPercent=25',
    );
  });

  it('synthesizes to disk like `cdktf synth`: cdk.tf.json and the plan manifest asset', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'dm-main-out-'));
    const app = buildApp(new App({ outdir }), [path.join(EXAMPLES, '7.2-realtime-pair.yaml')]);
    app.synth();
    const stackDir = path.join(outdir, 'stacks/GRP1');
    const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const command: string =
      json.resource.null_resource['cluster__preflight'].provisioner[0]['local-exec'].command;
    // no dmdeploy given: plain node on the step bundle, copied into the stack's assets/
    const [node, bundle, step, , , manifest] = command.split(' ');
    expect([node, step]).toEqual(['node', 'step']);
    expect(bundle).toMatch(/^assets\/[^/]+\/[0-9A-F]{32}\/dmdeploy-step\.cjs$/);
    const copied = readFileSync(path.join(stackDir, path.dirname(bundle ?? ''), 'step.cjs'));
    expect(copied.equals(readFileSync(path.join(path.dirname(stepBundle()), 'step.cjs')))).toBe(true);
    const stack = app.node.findChild('GRP1') as ClusterStack;
    expect(readFileSync(path.join(stackDir, manifest ?? ''), 'utf8')).toBe(planManifest(stack.cluster.plan));
    expect(JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')).stacks.GRP1).toBeDefined();
  });

  it('refuses to synthesize an invalid spec, naming every error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dm-main-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'kind: RealtimePair\ngroup: GRP1\noguid: -1\nhosts: { P: { address: 198.18.1.1 } }\nprimary: { name: A1, host: P }\nstandbys: []\n',
    );
    expect(() => buildApp(new App({ outdir: dir }), [file])).toThrow(
      /OGUID_RANGE oguid.*\n.*STANDBY_COUNT standbys/s,
    );
  });

  it('synthesizes the 7.4 MPP and 7.5 DMDSC examples: a resource per step, digests, outputs, no password', () => {
    const { root, files } = clustersDir('7.4-mpp-group.yaml', '7.5-dsc-primary.yaml');
    const outdir = path.join(root, 'out');
    const marker = 'S3cret-marker-4711';
    const saved = { b: process.env.DM_SYSDBA_PASSWORD };
    process.env.DM_SYSDBA_PASSWORD = marker;
    let app: App;
    try {
      app = buildApp(new App({ outdir }), files, { dmdeploy: '/opt/dmdeploy' });
      app.synth();
    } finally {
      for (const [k, v] of [['DM_SYSDBA_PASSWORD', saved.b]] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    const stacks = app.node.children.filter((c): c is ClusterStack => c instanceof ClusterStack);
    expect(stacks.map((s) => s.node.id)).toEqual(['MPP_EP', 'GRP1']);
    expect(stacks.map((s) => s.cluster.constructor)).toEqual([MppGroup, DscPrimary]);

    const outputs: Record<string, Record<string, unknown>> = {};
    for (const s of stacks) {
      const stackDir = path.join(outdir, 'stacks', s.node.id);
      const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
      const plan = s.cluster.plan;
      const resources: Record<string, { triggers?: Record<string, string> }> = json.resource.null_resource;
      // one resource per deploy step, triggered by the step id and its digest; one per teardown step
      const deploy = Object.entries(resources).filter(([, r]) => r.triggers);
      expect(deploy.map(([n]) => n).sort()).toEqual(plan.steps.map((st) => resourceName(st.id)).sort());
      for (const st of plan.steps)
        expect(resources[resourceName(st.id)]?.triggers, st.id).toEqual({
          step: st.id,
          digest: stepDigest(plan, st),
        });
      expect(Object.keys(resources).length).toBe(resourceCount(plan));
      // the manifest asset holds the plan; no variable exists for a secret to pass through
      const command: string =
        json.resource.null_resource['cluster__verify'].provisioner[0]['local-exec'].command;
      expect(command).toMatch(/^\/opt\/dmdeploy step cluster\/verify --manifest assets\//);
      expect(readFileSync(path.join(stackDir, command.split(' ')[4] ?? ''), 'utf8')).toBe(planManifest(plan));
      expect(json.variable).toBeUndefined();
      outputs[s.node.id] = Object.fromEntries(
        Object.entries(json.output as Record<string, { value: unknown }>).map(([k, o]) => [k, o.value]),
      );
      expect(outputs[s.node.id]?.plan_steps).toBe(plan.steps.length);
    }
    const written = readdirSync(outdir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
    expect(written.length).toBeGreaterThan(4);
    for (const f of written)
      expect(readFileSync(path.join(f.parentPath, f.name), 'utf8'), f.name).not.toContain(marker);

    expect(outputs.MPP_EP).toEqual({
      client_service_name: 'MPP_GRP1',
      mpp_service_name: 'MPP_GRP1',
      dm_svc_conf:
        '# dm_svc.conf entry generated by dm-cdktf; add it to /etc/dm_svc.conf on client hosts.\n' +
        'MPP_GRP1=(192.168.1.131:5236,192.168.1.132:5237,192.168.1.132:5236,192.168.1.131:5237)\n' +
        '[MPP_GRP1]\nLOGIN_MODE=(1)\nSWITCH_TIME=(3)\nSWITCH_INTERVAL=(1000)\n',
      connection_string: 'jdbc:dm://MPP_GRP1',
      disql_connect: 'disql SYSDBA@MPP_GRP1',
      ep_connections: { GRP1_MPP_EP01: '192.168.1.131:5236', GRP2_MPP_EP02: '192.168.1.132:5236' },
      plan_steps: stacks[0]?.cluster.plan.steps.length,
    });
    expect(outputs.GRP1).toEqual({
      client_service_name: 'GRP1',
      dm_svc_conf:
        '# dm_svc.conf entry generated by dm-cdktf; add it to /etc/dm_svc.conf on client hosts.\n' +
        'GRP1=(192.168.1.131:8344,192.168.1.131:8346,192.168.1.132:9344)\n' +
        '[GRP1]\nLOGIN_MODE=(1)\nSWITCH_TIME=(3)\nSWITCH_INTERVAL=(1000)\n',
      connection_string: 'jdbc:dm://GRP1',
      disql_connect: 'disql SYSDBA@GRP1',
      plan_steps: stacks[1]?.cluster.plan.steps.length,
    });
  });

  it('refuses two specs that would share a stack name, naming both files', () => {
    const { files } = clustersDir('7.2-realtime-pair.yaml', '7.6-async-cascade.yaml');
    expect(() => buildApp(Testing.app(), files)).toThrow(
      /7\.6-async-cascade\.yaml: cluster name GRP1 is already the stack of .*7\.2-realtime-pair\.yaml/,
    );
  });
});
