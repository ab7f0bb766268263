/**
 * What the project makes of a spec, as bytes: the rendered files, the plan manifest and the
 * synthesized cdk.tf.json, for every example and every end-to-end topology. The golden copies in
 * test/fixtures/golden/ were taken before the cluster families were restructured (issue 13,
 * part 1); golden.test.ts holds every later build to them byte for byte.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { parse, stringify } from 'yaml';
import { buildApp } from '../../main';
import { planCluster, planManifest } from '../../lib/plan';
import { renderCluster } from '../../lib/render';
import type { ClusterSpec } from '../../lib/spec/schema';
import { validateSpec } from '../../lib/validate';
import { TOPOLOGIES } from '../e2e/specs';
import { MPP_DSC_TOPOLOGIES } from '../e2e/specs-mpp-dsc';

const EXAMPLES = path.join(__dirname, '../../examples');
export const GOLDEN_DIR = path.join(__dirname, '../fixtures/golden');

/** Every example by file name, every e2e topology by `e2e-<id>` (with the example's own addresses). */
export function goldenSpecs(): { id: string; spec: ClusterSpec }[] {
  return [
    ...readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => ({
        id: f.replace(/\.yaml$/, ''),
        spec: parse(readFileSync(path.join(EXAMPLES, f), 'utf8')) as ClusterSpec,
      })),
    ...[...TOPOLOGIES, ...MPP_DSC_TOPOLOGIES].map((t) => {
      // as labSpec places them on lab hosts: every host on a public and a private network
      const s = t.spec();
      Object.keys(s.hosts)
        .sort()
        .forEach((h, i) => {
          s.hosts[h] = {
            address: `192.0.2.${i + 10}`,
            public: `192.0.2.${i + 10}`,
            private: `198.51.100.${i + 10}`,
          };
        });
      return { id: `e2e-${t.id}`, spec: s as unknown as ClusterSpec };
    }),
  ];
}

/** The three outputs of one spec, as the text each file holds. */
export function goldenOutputs(spec: ClusterSpec): Record<'files.json' | 'plan.json' | 'cdk.tf.json', string> {
  const v = validateSpec(spec);
  if (!v.model) throw new Error(`spec invalid: ${JSON.stringify(v.findings)}`);
  const files = `${JSON.stringify(renderCluster(v.model), null, 1)}\n`;
  const plan = planManifest(planCluster(v.model));
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-golden-'));
  try {
    const specFile = path.join(dir, 'spec.yaml');
    writeFileSync(specFile, stringify(spec));
    const outdir = path.join(dir, 'out');
    // a fixed dmdeploy command: the step bundle's path is this machine's
    buildApp(new App({ outdir }), [specFile], { dmdeploy: '/opt/dmdeploy' }).synth();
    const stacks = readdirSync(path.join(outdir, 'stacks'));
    // cdktf's local backend names the state file under the directory synth ran in
    const tf = readFileSync(path.join(outdir, 'stacks', stacks[0] ?? '', 'cdk.tf.json'), 'utf8')
      .split(`${process.cwd()}/`)
      .join('<cwd>/');
    return { 'files.json': files, 'plan.json': plan, 'cdk.tf.json': tf };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
