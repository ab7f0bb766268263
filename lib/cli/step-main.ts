/**
 * The step-only entry point: what constructs/step-bundle.ts bundles into one script for plain
 * node, and what each Terraform resource runs (`node <bundle> step <id> --manifest <plan.json>`).
 * It runs on load: import stepMain or stepEntry from ./step instead.
 *
 * bin/dmdeploy runs `step` through the cached bundle with DMDEPLOY_SOURCES=<repository>: then the
 * bundle first checks that it is made of that repository's current files, and if not, runs the
 * sources through tsx as bin/dmdeploy would without a bundle (same arguments, stdio, exit status).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isFresh, readBuildInfo } from './build-info';
import { stepEntry } from './step';
import { exitWith } from './usage';

function staleFallback(root: string): number | undefined {
  const info = readBuildInfo(readFileSync(__filename, 'utf8'));
  if (info && isFresh(info, root)) return undefined;
  const r = spawnSync(
    path.join(root, 'node_modules', '.bin', 'tsx'),
    [path.join(root, 'lib', 'cli', 'main.ts'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  if (r.error) {
    process.stderr.write(`dmdeploy: cannot run ${path.join(root, 'lib/cli/main.ts')}: ${r.error.message}\n`);
    return 1;
  }
  return r.status ?? 1;
}

const sources = process.env.DMDEPLOY_SOURCES;
const fallback = sources ? staleFallback(sources) : undefined;
if (fallback !== undefined) process.exitCode = fallback;
else exitWith(stepEntry(process.argv.slice(2), __filename));
