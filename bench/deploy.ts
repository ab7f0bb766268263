// Deploy overhead: the demo topology (the manual's 7.2 pair) deployed on lab hosts running the DM8
// simulator, through the synthesized stack under real terraform (terraform_data steps, offline).
// Against the same run's own baselines it prints:
//   - the apply's wall time vs the time spent inside the steps' probe/act/verify (their sum, and
//     the critical path of the DAG weighted by each step's wall time as terraform saw it);
//   - per-step overhead, median and max: the step process's start (node, modules, manifest,
//     secrets) + its SSH connects, as the step measured them; and terraform's view of it, the
//     resource's wall time minus the step's DM work.
// Bounded: one apply, one destroy, each with terraform's own limits; the lab is removed after.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { stringify } from 'yaml';
import { buildApp } from '../main';
import { planCluster, resourceName } from '../lib/plan';
import { validateSpec } from '../lib/validate';
import { labAvailability } from '../test/lab/availability';
import { Lab } from '../test/lab/lab';
import { installDmsim } from '../test/dmsim/install';
import { terraformRunner } from '../test/tf';
import { terraformAvailability } from '../test/tf/availability';
import { noProviderTerraformEnv } from '../test/tf/offline';
import { labSpec, TOPOLOGIES } from '../test/e2e/specs';

/** `[id @ host] done in 1.234 s (process start 85 ms, ssh connect 40 ms)` in dmdeploy.log. */
const DONE = /\[(\S+) @ \S+\] .* in (\d+\.\d+) s \(process start (\d+) ms, ssh connect (\d+) ms\)$/;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

export default async function deploy(): Promise<number> {
  const avail = labAvailability();
  const tfBin = terraformAvailability();
  if (!avail.ok || !tfBin.binary) {
    console.error(`deploy benchmark needs a lab and terraform: ${avail.reason ?? tfBin.reason ?? ''}`);
    return 1;
  }
  const topo = TOPOLOGIES[0];
  if (!topo) throw new Error('no topology');
  const lab = await Lab.up({ name: 'benchdeploy', hosts: topo.hosts });
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-bench-deploy-'));
  try {
    for (const h of topo.hosts) installDmsim(lab.dmPath(h, '/dm/bin'), { logPath: '/dm/dmsim.log' });
    const spec = labSpec(topo, lab, { stepResource: 'terraform_data' });
    const v = validateSpec(spec);
    if (!v.model) throw new Error('the demo spec is invalid');
    const plan = planCluster(v.model);
    const specFile = path.join(dir, 'clusters', 'demo.yaml');
    mkdirSync(path.dirname(specFile), { recursive: true });
    writeFileSync(specFile, stringify(spec));
    buildApp(new App({ outdir: path.join(dir, 'cdktf.out') }), [specFile]).synth();
    const stackDir = path.join(dir, 'cdktf.out', 'stacks', plan.cluster);

    const starts = new Map<string, number>();
    const walls = new Map<string, number>();
    const tf = terraformRunner(
      {
        stackDir,
        env: { ...process.env, DM_SYSDBA_PASSWORD: `Bench_${randomBytes(9).toString('hex')}` },
        cliEnv: noProviderTerraformEnv(),
        onEvent: (e) => {
          if (e.type === 'start') starts.set(e.address, performance.now());
          if (e.type === 'finish' && e.action === 'create')
            walls.set(e.address, performance.now() - (starts.get(e.address) ?? performance.now()));
        },
      },
      tfBin.binary,
    );
    const t0 = performance.now();
    await tf.apply();
    const applyMs = performance.now() - t0;

    const work = new Map<string, { inStepMs: number; startMs: number; connectMs: number }>();
    for (const line of readFileSync(path.join(stackDir, 'dmdeploy.log'), 'utf8').split('\n')) {
      const m = DONE.exec(line);
      if (m?.[1]) {
        const [inStep, start, connect] = [Number(m[2]) * 1000, Number(m[3]), Number(m[4])];
        work.set(m[1], { inStepMs: inStep - connect, startMs: start, connectMs: connect });
      }
    }
    const wall = (id: string) => walls.get(`terraform_data.${resourceName(id)}`) ?? 0;
    // longest path through the DAG, each step weighted by its wall time under terraform
    const longest = new Map<string, number>();
    for (const s of plan.steps)
      longest.set(s.id, wall(s.id) + Math.max(0, ...s.after.map((a) => longest.get(a) ?? 0)));
    const critical = Math.max(...longest.values());
    const inside = plan.steps.reduce((n, s) => n + (work.get(s.id)?.inStepMs ?? 0), 0);
    const own = plan.steps.map((s) => (work.get(s.id)?.startMs ?? 0) + (work.get(s.id)?.connectMs ?? 0));
    const seen = plan.steps.map((s) => wall(s.id) - (work.get(s.id)?.inStepMs ?? 0));
    const f = (ms: number) => `${ms.toFixed(0)} ms`;

    console.log(
      `${topo.title}: ${plan.steps.length} steps on ${topo.hosts.length} lab hosts, ${tfBin.version ?? ''}`,
    );
    console.log(`apply wall time                          ${f(applyMs)}`);
    console.log(
      `critical path (step wall times)          ${f(critical)}   apply/critical ${(applyMs / critical).toFixed(2)}`,
    );
    console.log(
      `time inside probe/act/verify (sum)       ${f(inside)}   apply/inside ${(applyMs / inside).toFixed(2)}`,
    );
    console.log(
      `per-step overhead, the step's own (process start + ssh connect): median ${f(median(own))}, max ${f(Math.max(...own))} (target median <= 150 ms)`,
    );
    console.log(
      `  of which process start: median ${f(median(plan.steps.map((s) => work.get(s.id)?.startMs ?? 0)))}, ` +
        `ssh connect: median ${f(median(plan.steps.map((s) => work.get(s.id)?.connectMs ?? 0)))}`,
    );
    console.log(
      `per-step overhead as terraform sees it (wall - DM work): median ${f(median(seen))}, max ${f(Math.max(...seen))}`,
    );
    await tf.destroy();
    return work.size === plan.steps.length ? 0 : 1;
  } finally {
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}
