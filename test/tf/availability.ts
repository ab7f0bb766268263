/**
 * Can this machine run real Terraform? The binary is TERRAFORM_BINARY_NAME (a name on PATH or a
 * path), else `terraform`. Tests that need it skip with the reason printed; where the run must
 * not skip (CI: DMLAB_REQUIRED=1), a missing binary fails the run instead (global-setup.ts).
 */
import { execFileSync } from 'node:child_process';
import { findExecutable } from './index';

export interface TerraformAvailability {
  ok: boolean;
  binary?: string;
  /** First line of `terraform version`. */
  version?: string;
  reason?: string;
}

let cached: TerraformAvailability | undefined;

export function terraformAvailability(env: NodeJS.ProcessEnv = process.env): TerraformAvailability {
  if (cached) return cached;
  const name = env.TERRAFORM_BINARY_NAME || 'terraform';
  const binary = findExecutable(name, env.PATH);
  if (!binary)
    return (cached = {
      ok: false,
      reason: `no ${name} binary on PATH (install Terraform >= 1.4, or set TERRAFORM_BINARY_NAME)`,
    });
  try {
    const out = execFileSync(binary, ['version'], {
      env: { ...env, CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return (cached = { ok: true, binary, version: out.split('\n')[0]?.trim() ?? '' });
  } catch (e) {
    return (cached = { ok: false, reason: `${binary} version failed: ${(e as Error).message}` });
  }
}

let warned = false;

/** For test files: the availability, with the reason printed once per file when it is missing. */
export function terraformForTests(): TerraformAvailability {
  const a = terraformAvailability();
  if (!a.ok && !warned) {
    warned = true;
    console.warn(`SKIPPING real-Terraform tests: ${a.reason ?? ''}`);
  }
  return a;
}
