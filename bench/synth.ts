// Synth at scale: an MppGroup of G groups x (1+2), G = 8, 16, 32, 64, each synthesized in a fresh
// process (bench/synth-one.ts) against a plain JSON writer of the same resources measured in the
// same process. Prints time, resources, edges, cdk.tf.json and plan.json bytes and peak RSS per G,
// then the growth ratio synth(64)/synth(8) (linear is 8) and synth/plain at G=64.
// Medians of BENCH_SYNTH_ROUNDS (default 3, at most 9) runs per G; every run has a deadline.

import { execFile } from 'node:child_process';
import path from 'node:path';

const SIZES = [8, 16, 32, 64];
const ROUNDS = Math.max(1, Math.min(9, Number(process.env.BENCH_SYNTH_ROUNDS ?? 3)));
const TSX = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');

interface Sample {
  groups: number;
  resources: number;
  edges: number;
  synthMs: number;
  plainMs: number;
  tfBytes: number;
  planBytes: number;
  peakRssMb: number;
}

function once(groups: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    execFile(
      TSX,
      [path.join(__dirname, 'synth-one.ts'), String(groups)],
      { timeout: 300_000, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`synth-one ${groups}: ${err.message}\n${stderr}`));
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Sample);
      },
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

export default async function synth(): Promise<number> {
  const rows: Sample[] = [];
  for (const g of SIZES) {
    const runs: Sample[] = [];
    for (let i = 0; i < ROUNDS; i++) runs.push(await once(g));
    const first = runs[0] as Sample;
    rows.push({
      ...first,
      synthMs: median(runs.map((r) => r.synthMs)),
      plainMs: median(runs.map((r) => r.plainMs)),
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    });
  }
  const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
  console.log(`MppGroup G x (1+2), median of ${ROUNDS} fresh processes per G`);
  console.log(
    'G    resources  edges   synth ms  plain ms  synth/plain  cdk.tf.json  plan.json  peak RSS (process)',
  );
  for (const r of rows)
    console.log(
      `${String(r.groups).padEnd(4)} ${String(r.resources).padStart(9)}  ${String(r.edges).padStart(6)}  ` +
        `${r.synthMs.toFixed(0).padStart(8)}  ${r.plainMs.toFixed(0).padStart(8)}  ` +
        `${(r.synthMs / r.plainMs).toFixed(2).padStart(11)}  ${kb(r.tfBytes).padStart(11)}  ` +
        `${kb(r.planBytes).padStart(9)}  ${r.peakRssMb.toFixed(0).padStart(6)} MB`,
    );
  const at = (g: number) => rows.find((r) => r.groups === g) as Sample;
  const growth = at(64).synthMs / at(8).synthMs;
  console.log(
    `growth synth(64)/synth(8) = ${growth.toFixed(2)} (resources x${(at(64).resources / at(8).resources).toFixed(1)}; target <= 10)`,
  );
  console.log(
    `synth/plain JSON writer at G=64 = ${(at(64).synthMs / at(64).plainMs).toFixed(2)} (target <= 3); ` +
      `peak RSS at G=64 = ${at(64).peakRssMb.toFixed(0)} MB (target <= 200, includes tsx)`,
  );
  return 0;
}
