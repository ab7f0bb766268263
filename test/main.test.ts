/** main.ts: one stack per spec, synthesized without a terraform binary; invalid specs stop synth. */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { buildApp, ClusterStack, specFiles } from '../main';
import { RealtimePair, ReadWriteCluster } from '../constructs';
import { planManifest, resourceName } from '../lib/plan';

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
      expect(Object.keys(json.resource.null_resource).sort()).toEqual(
        [...plan.steps, ...plan.teardown].map((st) => resourceName(st.id)).sort(),
      );
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
    const [dmdeploy, , , , manifest] = command.split(' ');
    expect(path.resolve(stackDir, dmdeploy ?? '')).toBe(path.resolve(__dirname, '../bin/dmdeploy'));
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

  it('refuses MPP and DMDSC specs (not deployable yet) naming the file, with every other problem', () => {
    const { root, files } = clustersDir(
      '7.2-realtime-pair.yaml',
      '7.4-mpp-group.yaml',
      '7.5-dsc-primary.yaml',
    );
    const outdir = path.join(root, 'out');
    let message = '';
    try {
      buildApp(new App({ outdir }), files);
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe('cannot synthesize the cluster specs:');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        /clusters\/7\.4-mpp-group\.yaml: MppGroup: deploying MPP and DMDSC clusters is not built yet/,
      ),
      expect.stringMatching(
        /clusters\/7\.5-dsc-primary\.yaml: DscPrimary: deploying MPP and DMDSC clusters is not built yet/,
      ),
    ]);
    // nothing was made: not even the valid spec's stack
    expect(existsSync(path.join(outdir, 'stacks', 'GRP1'))).toBe(false);
  });

  it('refuses two specs that would share a stack name, naming both files', () => {
    const { files } = clustersDir('7.2-realtime-pair.yaml', '7.6-async-cascade.yaml');
    expect(() => buildApp(Testing.app(), files)).toThrow(
      /7\.6-async-cascade\.yaml: cluster name GRP1 is already the stack of .*7\.2-realtime-pair\.yaml/,
    );
  });
});
