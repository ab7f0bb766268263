/**
 * The synthesized stack every end-to-end test deploys: the spec written as clusters/<id>.yaml,
 * `main.ts` synthesizing it, test/tf running it as Terraform would with the password only as a
 * sensitive variable; and `dmdeploy status --json` on it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'cdktf';
import { stringify } from 'yaml';
import { buildApp } from '../../main';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { ClusterStatus } from '../../lib/steps';
import { PASSWORD } from '../dmsim/lab-harness';
import { runner, type TfEvent, type TfRunner } from '../tf';

const run = promisify(execFile);
export const DMDEPLOY = path.join(__dirname, '../..', 'bin/dmdeploy');

/** Walk a directory tree's files (bounded by what the test wrote). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
}

export interface Stack {
  /** The test's own temporary directory (the spec, cdktf.out, the state files). */
  dir: string;
  specFile: string;
  stackDir: string;
  tf: TfRunner;
  /** The provisioners' output lines, and `FAILED <address>` for each failed resource. */
  output: string[];
}

/** Synthesize `spec` as main.ts does for clusters/<id>.yaml, and a runner for its stack. */
export function synthStack(id: string, spec: ClusterSpec, cluster: string): Stack {
  const dir = mkdtempSync(path.join(tmpdir(), `dm-cdktf-e2e-${id}-`));
  const specFile = path.join(dir, 'clusters', `${id}.yaml`);
  mkdirSync(path.dirname(specFile), { recursive: true });
  writeFileSync(specFile, stringify(spec));
  buildApp(new App({ outdir: path.join(dir, 'cdktf.out') }), [specFile], { dmdeploy: DMDEPLOY }).synth();
  const stackDir = path.join(dir, 'cdktf.out', 'stacks', cluster);
  const output: string[] = [];
  const onEvent = (e: TfEvent) => {
    if (e.type === 'output') output.push(e.line);
    if (e.type === 'finish' && !e.ok) output.push(`FAILED ${e.address}`);
  };
  // the password reaches the steps only as the sensitive variable, never from this process
  const env = { ...process.env };
  delete env.DM_SYSDBA_PASSWORD;
  delete env.TF_VAR_sysdba_password;
  const tf = runner({ stackDir, vars: { sysdba_password: PASSWORD }, env, onEvent, parallelism: 10 });
  return { dir, specFile, stackDir, tf, output };
}

/** `dmdeploy status <spec> --json` (exit 1 when unhealthy still prints the JSON). */
export async function dmdeployStatus(specFile: string): Promise<ClusterStatus> {
  const r = await run(DMDEPLOY, ['status', specFile, '--json'], {
    env: { ...process.env, DM_SYSDBA_PASSWORD: PASSWORD },
    timeout: 120_000,
  }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
  try {
    return JSON.parse(r.stdout) as ClusterStatus;
  } catch {
    throw new Error(`dmdeploy status printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}
