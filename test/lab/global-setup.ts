// vitest global setup: says which terraform the suite runs (test/tf), removes labs left by
// crashed runs (their owner process is gone), brings up the shared lab for the whole run and
// tears it down at the end. Where labs cannot run (no root, no sshd), it says why once and
// provides the reason, so lab tests skip visibly instead of passing (or, with DMLAB_REQUIRED=1,
// fails the run).
import type { TestProject } from 'vitest/node';
import { labAvailability } from './availability';
import { sweepStaleLabs } from './cleanup';
import { Lab } from './lab';
import { SHARED_LAB, runScopedName } from './provision';
import { terraformAvailability } from '../tf/availability';
import { offlineTerraformEnv } from '../tf/offline';

/**
 * Real Terraform runs the end-to-end stacks: say which once; where the run must not skip
 * (DMLAB_REQUIRED=1, as CI sets) a missing binary is an error. The hashicorp/null test double
 * is installed into its local mirror once here, before test files run in parallel.
 */
function checkTerraform(): void {
  const tf = terraformAvailability();
  if (!tf.ok) {
    if (process.env.DMLAB_REQUIRED === '1') throw new Error(`DMLAB_REQUIRED=1 but ${tf.reason ?? ''}`);
    console.warn(`test/tf: real-Terraform tests will be SKIPPED: ${tf.reason ?? ''}`);
    return;
  }
  const env = offlineTerraformEnv();
  console.log(
    `test/tf: real Terraform: ${tf.version ?? ''} (${tf.binary ?? ''}), offline: CHECKPOINT_DISABLE=1, ` +
      `CLI config ${env.TF_CLI_CONFIG_FILE ?? ''} (local mirror with the hashicorp/null test double only)`,
  );
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const runId = String(process.pid);
  checkTerraform();
  const avail = labAvailability();
  if (!avail.ok) {
    const reason = avail.reason ?? 'unknown reason';
    // Where labs must run (CI), a machine that cannot run them is an error, not a skip.
    if (process.env.DMLAB_REQUIRED === '1') throw new Error(`DMLAB_REQUIRED=1 but ${reason}`);
    console.warn(`test/lab: lab tests will be SKIPPED: ${reason}`);
    project.provide('dmlab', { runId, available: false, reason });
    return undefined;
  }
  const removed = await sweepStaleLabs();
  if (removed.length > 0) console.warn(`test/lab: removed labs left by a crashed run: ${removed.join(', ')}`);
  const lab = await Lab.up({ name: runScopedName(SHARED_LAB.name, runId), hosts: [...SHARED_LAB.hosts] });
  project.provide('dmlab', { runId, available: true, shared: lab.descriptor });
  return async () => {
    await lab.down();
    await sweepStaleLabs();
  };
}
