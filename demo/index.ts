/**
 * npm run demo: the main job on the built-in example. Brings up a small lab (three hosts, each
 * a network namespace with its own sshd and /dm, the DM8 simulator in /dm/bin), deploys the
 * manual's 7.2 realtime pair through the synthesized Terraform stack, prints its live status and
 * a timing summary, then destroys it and takes the lab down.
 *
 * With a `terraform` binary on PATH the stack runs under real Terraform, offline: its steps are
 * Terraform's built-in terraform_data (`stepResource: terraform_data`), so no provider is
 * downloaded, and the CLI config names an empty mirror. Without one it says so and falls back to
 * test/tf's emulator of Terraform's provisioner semantics (null_resource steps).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { stringify } from 'yaml';
import { buildApp } from '../main';
import { formatPlan, planCluster, resourceName } from '../lib/plan';
import { formatStatus, statusOf } from '../lib/cli/remote';
import { givenSecrets } from '../lib/steps';
import { validateSpec } from '../lib/validate';
import { ensureLabPackages } from '../test/lab/packages';
import { Lab } from '../test/lab/lab';
import { installDmsim } from '../test/dmsim/install';
import { runner, terraformRunner, type TfOptions, type TfRunner } from '../test/tf';
import { terraformAvailability } from '../test/tf/availability';
import { noProviderTerraformEnv } from '../test/tf/offline';
import { labSpec, TOPOLOGIES } from '../test/e2e/specs';

const out = (s: string) => process.stdout.write(s);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  // installs openssh-server/iproute2 with apt-get when they are all that is missing
  const avail = await ensureLabPackages((line) => out(`${line}\n`));
  if (!avail.ok) {
    out(`The demo needs lab hosts, and they cannot run here: ${avail.reason}\n`);
    out(
      'Run it as root on Linux; on Debian or Ubuntu it installs the missing tools itself, elsewhere ' +
        'install OpenSSH (server and client), iproute2, util-linux and procps first.\n',
    );
    return 1;
  }
  const topo = TOPOLOGIES[0];
  if (!topo) throw new Error('no topology');
  const t0 = Date.now();
  const times: [string, number][] = [];
  const lap = (what: string, since: number) => times.push([what, Date.now() - since]);

  out(`1. lab: hosts ${topo.hosts.join(', ')} (network namespaces, sshd, DM8 simulator in /dm/bin)\n`);
  let t = Date.now();
  const lab = await Lab.up({ name: 'demo', hosts: topo.hosts });
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-cdktf-demo-'));
  try {
    for (const h of topo.hosts) installDmsim(lab.dmPath(h, '/dm/bin'), { logPath: '/dm/dmsim.log' });
    for (const h of lab.hosts) out(`   ${h.name.padEnd(6)} public ${h.public}, private ${h.private}\n`);
    lap('lab up', t);

    out(`\n2. spec: examples/7.2-realtime-pair.yaml (${topo.title}), its hosts moved onto the lab\n`);
    const tfBin = terraformAvailability();
    const spec = labSpec(topo, lab, tfBin.ok ? { stepResource: 'terraform_data' } : {});
    const v = validateSpec(spec);
    if (!v.model) throw new Error('the example does not validate');
    const plan = planCluster(v.model);
    out(formatPlan(plan).replace(/^/gm, '   '));

    out('\n3. cdktf synth (no terraform binary needed for this part)\n');
    t = Date.now();
    const specFile = path.join(dir, 'clusters', 'demo.yaml');
    mkdirSync(path.dirname(specFile), { recursive: true });
    writeFileSync(specFile, stringify(spec));
    buildApp(new App({ outdir: path.join(dir, 'cdktf.out') }), [specFile]).synth();
    const stackDir = path.join(dir, 'cdktf.out', 'stacks', plan.cluster);
    const type = spec.stepResource ?? 'null_resource';
    const synthesized = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as {
      resource: Record<string, Record<string, unknown>>;
    };
    const count = Object.keys(synthesized.resource[type] ?? {}).length;
    out(
      `   ${path.join(stackDir, 'cdk.tf.json')}: ${count} ${type} resources: ${plan.steps.length} deploy steps, ` +
        `${plan.teardown.length} teardown steps, ${count - plan.steps.length - plan.teardown.length} barriers between teardown phases\n`,
    );
    lap('synth', t);

    // a fresh random SYSDBA password, only in the environment Terraform runs in: each step reads
    // it from there (spec secrets.sysdbaPassword, by default DM_SYSDBA_PASSWORD); no variable
    const password = `Demo_${randomBytes(9).toString('hex')}`;
    const options: TfOptions = {
      stackDir,
      env: { ...process.env, DM_SYSDBA_PASSWORD: password },
      onCommand: (argv) =>
        out(`   $ ${[path.basename(argv[0] ?? ''), ...argv.slice(1)].join(' ')}  (in ${stackDir})\n`),
      onEvent: (e) => {
        if (e.type === 'finish' && e.action === 'create' && e.ms > 0) {
          const id = plan.steps.find((s) => `${type}.${resourceName(s.id)}` === e.address);
          if (id)
            out(`   ${e.ok ? 'done' : 'FAILED'} ${secs(e.ms).padStart(7)}  ${id.host.padEnd(6)} ${id.id}\n`);
        }
      },
    };
    let tf: TfRunner;
    if (tfBin.ok && tfBin.binary) {
      out(`\n   Terraform: ${tfBin.version ?? ''} (${tfBin.binary}), offline: no provider needed\n`);
      tf = terraformRunner({ ...options, cliEnv: noProviderTerraformEnv() }, tfBin.binary);
    } else {
      out(
        `\n   No terraform binary here (${tfBin.reason ?? ''}): falling back to test/tf's emulator of ` +
          "Terraform's provisioner semantics. Install Terraform >= 1.4 to run the stack for real.\n",
      );
      tf = runner({ ...options, env: { ...options.env, TERRAFORM_BINARY_NAME: '' } });
    }
    out('\n4. apply (each step: probe, act only if needed, verify)\n');
    t = Date.now();
    await tf.apply();
    lap('apply', t);

    out('\n5. dmdeploy status\n');
    t = Date.now();
    const st = await statusOf(plan, givenSecrets({ sysdbaPassword: password }));
    out(formatStatus(st).replace(/^/gm, '   '));
    lap('status', t);

    out('\n6. apply again: nothing to do\n');
    t = Date.now();
    const again = await tf.apply();
    out(`   created ${again.created.length}, replaced ${again.replaced.length}\n`);
    lap('second apply', t);

    out(
      '\n7. destroy (§6.4 order: monitor, standby watchers, primary watcher, primary, standbys; data kept)\n',
    );
    t = Date.now();
    await tf.destroy();
    lap('destroy', t);
    out(
      `\ntimings: ${times.map(([w, ms]) => `${w} ${secs(ms)}`).join(', ')}; total ${secs(Date.now() - t0)}\n`,
    );
    return st.healthy ? 0 : 1;
  } finally {
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
