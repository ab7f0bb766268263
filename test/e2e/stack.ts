/**
 * The synthesized stack every end-to-end test deploys: the spec written as clusters/<id>.yaml,
 * `main.ts` synthesizing it, the real `terraform` binary running it (offline: the hashicorp/null
 * test double from a local mirror, or no provider at all for `stepResource: terraform_data`),
 * the password only in terraform's environment, where each step process reads it; and
 * `dmdeploy status --json` on it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'cdktf';
import { stringify } from 'yaml';
import { buildApp } from '../../main';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { ClusterStatus } from '../../lib/steps';
import { resourceName } from '../../lib/plan';
import { renderCluster } from '../../lib/render';
import { validateSpec } from '../../lib/validate';
import type { Lab } from '../lab/lab';
import { PASSWORD } from '../dmsim/lab-harness';
import { expect } from 'vitest';
import { terraformRunner, type TfEvent, type TfRunner } from '../tf';
import { readLogs, teardownSequence, type HostRecord } from './dmsim-log';
import { terraformAvailability } from '../tf/availability';
import { noProviderTerraformEnv } from '../tf/offline';

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
  /** The Terraform address of a step's resource (`null_resource.X` or `terraform_data.X`). */
  address: (stepId: string) => string;
}

/**
 * The spec file edited to `spec` and synthesized again into the same stack directory (the same
 * state): no dmdeploy, so each resource runs `node <the step bundle asset> step ...`, as a user's
 * stack does.
 */
export function resynth(dir: string, specFile: string, spec: unknown): void {
  writeFileSync(specFile, stringify(spec));
  buildApp(new App({ outdir: path.join(dir, 'cdktf.out') }), [specFile]).synth();
}

/** Synthesize `spec` as main.ts does for clusters/<id>.yaml, and a runner for its stack. */
export function synthStack(id: string, spec: ClusterSpec, cluster: string): Stack {
  const dir = mkdtempSync(path.join(tmpdir(), `dm-cdktf-e2e-${id}-`));
  const specFile = path.join(dir, 'clusters', `${id}.yaml`);
  mkdirSync(path.dirname(specFile), { recursive: true });
  resynth(dir, specFile, spec);
  const stackDir = path.join(dir, 'cdktf.out', 'stacks', cluster);
  const output: string[] = [];
  const onEvent = (e: TfEvent) => {
    if (e.type === 'output') output.push(e.line);
    if (e.type === 'finish' && !e.ok) output.push(`FAILED ${e.address}`);
  };
  // the password is only in terraform's environment, which local-exec hands to each step
  const env: NodeJS.ProcessEnv = { ...process.env, DM_SYSDBA_PASSWORD: PASSWORD };
  const type = spec.stepResource ?? 'null_resource';
  // terraform_data needs no provider: prove it with a mirror that holds none
  const cliEnv = type === 'terraform_data' ? { cliEnv: noProviderTerraformEnv() } : {};
  const binary = terraformAvailability().binary;
  if (!binary) throw new Error(`real Terraform is needed: ${terraformAvailability().reason ?? ''}`);
  const tf = terraformRunner({ stackDir, env, onEvent, parallelism: 10, ...cliEnv }, binary);
  const address = (id: string) => `${type}.${resourceName(id)}`;
  return { dir, specFile, stackDir, tf, output, address };
}

/** `dmdeploy status <spec> --json` (exit 1 when unhealthy still prints the JSON). */
export async function dmdeployStatus(specFile: string, password = PASSWORD): Promise<ClusterStatus> {
  const r = await run(DMDEPLOY, ['status', specFile, '--json'], {
    env: { ...process.env, DM_SYSDBA_PASSWORD: password },
    timeout: 120_000,
  }).catch((e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? '', stderr: e.stderr ?? '' }));
  try {
    return JSON.parse(r.stdout) as ClusterStatus;
  } catch {
    throw new Error(`dmdeploy status printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}

/**
 * The whole files `spec` renders (dm.ini settings are merged patches, left out) that are not on
 * their hosts byte for byte as rendered: `host:path`, empty when every one is. Read over SSH: a
 * host's data disk is mounted inside it.
 */
export async function filesNotAsRendered(lab: Lab, spec: ClusterSpec): Promise<string[]> {
  const v = validateSpec(spec);
  if (!v.model) throw new Error(`spec invalid: ${JSON.stringify(v.findings)}`);
  const out: string[] = [];
  for (const f of renderCluster(v.model).filter((x) => x.kind === 'file')) {
    const r = await lab.sh(f.host, `cat '${f.path}'`);
    if (r.code !== 0 || r.stdout !== f.content) out.push(`${f.host}:${f.path}`);
  }
  return out;
}

/**
 * After an apply that changed a running cluster: `dmdeploy status` finds no problem and exactly
 * the members `shape` names (`<group> <instance> <mode> <status>`, sorted), every file is on its
 * host as `spec` renders it, and Terraform has nothing left to create, replace or destroy.
 */
export async function expectConverged(
  lab: Lab,
  spec: ClusterSpec,
  specFile: string,
  tf: TfRunner,
  shape: string[],
): Promise<void> {
  const s = await dmdeployStatus(specFile);
  expect(s.problems).toEqual([]);
  expect(
    s.groups
      .flatMap((g) => g.databases.map((d) => `${g.name} ${d.instance} ${String(d.mode)} ${String(d.status)}`))
      .sort(),
  ).toEqual([...shape].sort());
  expect(await filesNotAsRendered(lab, spec)).toEqual([]);
  const p = await tf.plan();
  expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
}

/**
 * `terraform destroy`, then: every dmserver stopped normally, `standbys` standby servers and
 * watchers among the stops, in §6.4's order (the primary on `primaryHosts`), and nothing of the
 * cluster running on `hosts` any more.
 */
export async function expectDestroyedInOrder(
  lab: Lab,
  hosts: readonly string[],
  tf: TfRunner,
  primaryHosts: readonly string[],
  standbys: number,
): Promise<void> {
  const from = Date.now();
  await tf.destroy();
  const t = teardownSequence(readLogs(lab, hosts), from, primaryHosts);
  expect(t.seq.filter((x) => x === 'standby server')).toHaveLength(standbys);
  expect(t.seq.filter((x) => x === 'standby watcher')).toHaveLength(standbys);
  expect(t.inOrder, t.seq.join(', ')).toBe(true);
  expect(t.allNormal).toBe(true);
  for (const h of hosts)
    expect(lab.findProcesses(h, /dmsim\.cjs (dmserver|dmwatcher|dmmonitor)/), h).toEqual([]);
}

/**
 * An async or sync standby's join with restarts: rolling (7.6-7.7), as the hosts' logs since the
 * apply began show it: on `standby` and `primary` (the running members' hosts), SF_MAL_INST_ADD of
 * each of `joining` once, no ADD ARCHIVELOG and no MOUNT for it, and one restart (a shutdown, a
 * start; no dminit, no restore); the standby started again before the primary (§6.19); one fresh
 * online backup of the primary per joining standby (7.1.2); no 7.10.4 hazard.
 */
export function expectRollingJoin(
  log: readonly HostRecord[],
  joining: readonly string[],
  standby: string,
  primary: string,
): void {
  const ok = (h: string, re: RegExp) =>
    log.filter((r) => r.host === h && r.event === 'exec' && r.ok === true && re.test(String(r.stmt)));
  for (const h of [primary, standby]) {
    for (const name of joining)
      expect(ok(h, new RegExp(`^SF_MAL_INST_ADD\\('MAL_INST\\d+','${name}'`)), `${h} ${name}`).toHaveLength(
        1,
      );
    expect(ok(h, /ADD ARCHIVELOG|^ALTER DATABASE MOUNT$/), h).toEqual([]);
    const events = log
      .filter((r) => r.host === h && (r.event === 'dminit' || r.event === 'restore' || r.tool === 'dmserver'))
      .filter((r) => ['dminit', 'restore', 'start', 'shutdown'].includes(String(r.event)))
      .map((r) => String(r.event));
    expect(events, h).toEqual(['shutdown', 'start']);
  }
  const startAt = (h: string) =>
    log.findIndex((r) => r.host === h && r.tool === 'dmserver' && r.event === 'start');
  expect(startAt(standby)).toBeLessThan(startAt(primary));
  expect(log.filter((r) => r.host === primary && r.event === 'backup').map((r) => r.online)).toEqual(
    joining.map(() => true),
  );
  expect(log.filter((r) => r.event === 'hazard')).toEqual([]);
}

/**
 * Where the SYSDBA password shows, of everything a deploy leaves: the synthesized stack, Terraform
 * state and dmdeploy logs under `dir`, the provisioner output, each host's dmsim action log.
 */
export function placesHoldingPassword(
  lab: Lab,
  hosts: readonly string[],
  dir: string,
  output: readonly string[],
): string[] {
  const places: [string, string][] = [
    ...filesUnder(path.join(dir, 'cdktf.out')).map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
    ...filesUnder(dir)
      .filter((f) => /tfstate|dmdeploy\.log/.test(f))
      .map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
    ['provisioner output', output.join('\n')],
    ...hosts.map((h): [string, string] => [h, readFileSync(lab.dmPath(h, '/dm/dmsim.log'), 'utf8')]),
  ];
  return places.filter(([, x]) => x.includes(PASSWORD)).map(([w]) => w);
}
