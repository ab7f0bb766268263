// One synth measurement, in a process of its own so its peak RSS is its own: an MppGroup of G
// groups x (1 primary + 2 standbys) on distinct hosts, synthesized through the constructs as
// `cdktf synth` does, then the same resources written by a plain JSON writer (the baseline:
// validate, plan, the step-resource mapping, JSON.stringify). Prints one JSON line.
// Usage: tsx bench/synth-one.ts <G>

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { MppGroup } from '../constructs';
import { stepResources } from '../constructs/step-resources';
import { planCluster, planManifest } from '../lib/plan';
import { validateSpec } from '../lib/validate';
import { mppGroups } from '../test/support/specs';

const G = Number(process.argv[2]);
const spec = mppGroups(G, 2);
const dir = mkdtempSync(path.join(tmpdir(), 'dm-bench-synth-'));
try {
  // the plain writer first: it warms the shared modules the construct path uses as well
  let t = performance.now();
  const v = validateSpec(spec);
  if (!v.model) throw new Error('the benchmark spec is invalid');
  const plan = planCluster(v.model);
  const manifest = planManifest(plan);
  const resources = stepResources(plan, { command: ['/opt/dmdeploy'], manifest: 'assets/plan.json' });
  const json = {
    resource: {
      null_resource: Object.fromEntries(
        resources.map((r) => [
          r.name,
          {
            depends_on: r.dependsOn.map((d) => `null_resource.${d}`),
            ...(r.triggers ? { triggers: r.triggers } : {}),
            ...(r.command
              ? {
                  provisioner: [
                    {
                      'local-exec': {
                        command: r.command,
                        ...(r.when === 'destroy' ? { when: 'destroy' } : {}),
                      },
                    },
                  ],
                }
              : {}),
          },
        ]),
      ),
    },
  };
  writeFileSync(path.join(dir, 'plain.tf.json'), JSON.stringify(json, null, 2));
  writeFileSync(path.join(dir, 'plain-plan.json'), manifest);
  const plainMs = performance.now() - t;

  t = performance.now();
  const app = new App({ outdir: path.join(dir, 'out') });
  const { kind, ...props } = spec;
  void kind;
  new MppGroup(new TerraformStack(app, 'MPP'), 'MPP', { ...props, dmdeploy: '/opt/dmdeploy' });
  app.synth();
  const synthMs = performance.now() - t;

  const stackDir = path.join(dir, 'out', 'stacks', 'MPP');
  const tf = path.join(stackDir, 'cdk.tf.json');
  const synthesized = JSON.parse(readFileSync(tf, 'utf8')) as {
    resource: { null_resource: Record<string, { depends_on?: string[] }> };
  };
  const all = Object.values(synthesized.resource.null_resource);
  const planFile = path.join(dir, 'out', '.dm-cdktf', 'MPP', 'MPP', 'plan.json');
  console.log(
    JSON.stringify({
      groups: G,
      resources: all.length,
      edges: all.reduce((n, r) => n + (r.depends_on?.length ?? 0), 0),
      synthMs,
      plainMs,
      tfBytes: statSync(tf).size,
      planBytes: statSync(planFile).size,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
