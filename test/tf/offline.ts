/**
 * The environment every real terraform (and cdktf) run of the suite gets: no network, ever.
 * CHECKPOINT_DISABLE=1 stops the version check; the CLI config names only a local filesystem
 * mirror holding the hashicorp/null test double (null-provider/), installed once per machine
 * under node_modules/.cache and reused while it is up to date.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installNullProvider } from './null-provider/install';

/** Where the mirror and the CLI config live (outside the sources; rebuilt when stale). */
export const OFFLINE_DIR = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'dm-cdktf-terraform');

let cached: Record<string, string> | undefined;

export function offlineTerraformEnv(): Record<string, string> {
  cached ??= { ...installNullProvider(OFFLINE_DIR).env, CHECKPOINT_DISABLE: '1' };
  return cached;
}

/**
 * A CLI config whose only mirror is empty: terraform can install no provider at all, which a
 * stack of `terraform_data` steps does not need.
 */
export function noProviderTerraformEnv(): Record<string, string> {
  const dir = path.join(OFFLINE_DIR, 'no-provider');
  const mirror = path.join(dir, 'mirror');
  const config = path.join(dir, 'terraformrc');
  mkdirSync(mirror, { recursive: true });
  const text = `disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`;
  writeFileSync(`${config}.${process.pid}`, text);
  renameSync(`${config}.${process.pid}`, config);
  return { TF_CLI_CONFIG_FILE: config, CHECKPOINT_DISABLE: '1' };
}
