/**
 * The user's own commands: `cdktf deploy` and `cdktf destroy` (this repository's pinned
 * cdktf-cli, what `npx cdktf` runs here) in a project directory holding only cdktf.json and
 * clusters/grp1.yaml, against lab hosts running the DM8 simulator. cdktf synthesizes through
 * main.ts and drives the real `terraform` binary, offline: the hashicorp/null test double from a
 * local mirror (test/tf/null-provider), CHECKPOINT_DISABLE=1, `--skip-provider-lock`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { planCluster, type Plan } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { installOnHosts, killOurProcesses, PASSWORD } from '../dmsim/lab-harness';
import { terraformForTests } from '../tf/availability';
import { offlineTerraformEnv } from '../tf/offline';
import { mutatingCommands, readLogs } from './dmsim-log';
import { labSpec, TOPOLOGIES } from './specs';
import { dmdeployStatus, filesUnder } from './stack';
import { resourceCount } from '../constructs/support';

const REPO = path.join(__dirname, '..', '..');
const CDKTF = path.join(REPO, 'node_modules', '.bin', 'cdktf');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const topo = TOPOLOGIES.find((t) => t.id === 'rt11');
if (!topo) throw new Error('no rt11 topology');

/** Run the cdktf CLI in the project directory; resolves with its exit code and output, ANSI stripped. */
function cdktf(dir: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      CDKTF,
      args,
      {
        cwd: dir,
        timeout: 600_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          ...offlineTerraformEnv(),
          CHECKPOINT_DISABLE: '1',
          TERRAFORM_BINARY_NAME: terraform.binary ?? 'terraform',
          // the password only in the environment cdktf (and so terraform, and local-exec) runs in
          DM_SYSDBA_PASSWORD: PASSWORD,
          CI: '1',
        },
      },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, output });
      },
    );
  });
}

// skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok || !terraform.ok)('npx cdktf deploy / destroy on lab hosts (7.2 pair)', () => {
  const lab = useLab({ name: 'e2ecdktf', hosts: topo.hosts }, 90_000);
  let dir = '';
  let plan: Plan;
  const outputs: string[] = [];
  const log = () => readLogs(lab(), topo.hosts);

  beforeAll(() => {
    installOnHosts(lab(), topo.hosts);
    const spec = labSpec(topo, lab());
    const v = validateSpec(spec);
    if (!v.model) throw new Error(`spec invalid: ${JSON.stringify(v.findings)}`);
    plan = planCluster(v.model);
    dir = mkdtempSync(path.join(tmpdir(), 'dm-cdktf-cli-'));
    mkdirSync(path.join(dir, 'clusters'));
    writeFileSync(path.join(dir, 'clusters', 'grp1.yaml'), stringify(spec));
    writeFileSync(
      path.join(dir, 'cdktf.json'),
      JSON.stringify({
        language: 'typescript',
        app: `${TSX} ${path.join(REPO, 'main.ts')}`,
        projectId: 'dm-cdktf-e2e',
        sendCrashReports: 'false',
        terraformProviders: [],
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await killOurProcesses(lab(), topo.hosts).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('cdktf deploy synthesizes main.ts and builds the cluster through terraform', async () => {
    const r = await cdktf(dir, ['deploy', '--auto-approve', '--skip-provider-lock']);
    outputs.push(r.output);
    expect(r.code, r.output.slice(-4000)).toBe(0);
    // cdktf ran terraform on the stack main.ts synthesized from clusters/grp1.yaml
    expect(existsSync(path.join(dir, 'cdktf.out', 'stacks', plan.cluster, 'cdk.tf.json'))).toBe(true);
    expect(r.output).toMatch(/Apply complete! Resources: \d+ added, 0 changed, 0 destroyed/);
    const state = JSON.parse(readFileSync(path.join(dir, `terraform.${plan.cluster}.tfstate`), 'utf8')) as {
      resources: { type: string }[];
    };
    expect(state.resources.filter((x) => x.type === 'null_resource').length).toBe(resourceCount(plan));
    const s = await dmdeployStatus(path.join(dir, 'clusters', 'grp1.yaml'));
    expect(s.problems).toEqual([]);
    expect(s.healthy).toBe(true);
  }, 600_000);

  it('a second cdktf deploy changes nothing on Terraform or on any host', async () => {
    const before = mutatingCommands(log()).length;
    const r = await cdktf(dir, ['deploy', '--auto-approve', '--skip-provider-lock']);
    outputs.push(r.output);
    expect(r.code, r.output.slice(-4000)).toBe(0);
    expect(r.output).toMatch(/No changes/);
    expect(mutatingCommands(log()).length).toBe(before);
  }, 300_000);

  it('cdktf destroy stops the monitor, the standby watcher, the primary watcher, the primary, the standby', async () => {
    const from = Date.now();
    const r = await cdktf(dir, ['destroy', '--auto-approve']);
    outputs.push(r.output);
    expect(r.code, r.output.slice(-4000)).toBe(0);
    expect(r.output).toMatch(/Destroy complete! Resources: \d+ destroyed/);
    const seq = log()
      .filter((x) => Date.parse(String(x.t)) >= from)
      .filter(
        (x) =>
          (x.event === 'exit' && (x.tool === 'dmmonitor' || x.tool === 'dmwatcher')) ||
          (x.event === 'shutdown' && x.tool === 'dmserver'),
      )
      .map((x) => `${x.host} ${String(x.tool)}`);
    expect(seq).toEqual([
      'DW_M dmmonitor',
      'DW_S1 dmwatcher',
      'DW_P dmwatcher',
      'DW_P dmserver',
      'DW_S1 dmserver',
    ]);
    for (const h of topo.hosts)
      expect(lab().findProcesses(h, /dmsim\.cjs (dmserver|dmwatcher|dmmonitor)/)).toEqual([]);
  }, 300_000);

  it('the password is nowhere cdktf or terraform wrote: output, cdktf.out, state', () => {
    const places: [string, string][] = [
      ['cdktf output', outputs.join('\n')],
      ...filesUnder(dir).map((f): [string, string] => [f, readFileSync(f, 'latin1')]),
    ];
    expect(outputs.length).toBe(3);
    expect(places.some(([f]) => f.endsWith('.tfstate'))).toBe(true);
    expect(places.filter(([, text]) => text.includes(PASSWORD)).map(([w]) => w)).toEqual([]);
  });
});
