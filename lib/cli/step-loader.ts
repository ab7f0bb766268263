/**
 * The step bundle's launcher (bundled by constructs/step-bundle.ts to dmdeploy-step.cjs, beside
 * step.cjs): compiles step.cjs with the V8 code cache made at build time (step.v8cache), which
 * saves compiling the bundle in each of the thousands of step processes of a large apply. The
 * cache starts with a sha256 of the bundle's text and this node's version; a missing, foreign or
 * rejected cache only means compiling from source. With DMDEPLOY_WRITE_V8_CACHE=1 it writes the
 * cache at exit.
 *
 * A step (`step <id> --manifest …`) is first offered to the run's step broker (step-client.ts),
 * which runs it in a process that keeps the parsed manifest and the SSH connections between
 * steps; then this process never loads step.cjs at all.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

import { stepThroughBroker } from './step-client';

function loadBundle(): void {
  const file = path.join(__dirname, 'step.cjs');
  const cacheFile = path.join(__dirname, 'step.v8cache');
  const source = readFileSync(file, 'utf8');
  const stamp = createHash('sha256').update(process.version).update('\0').update(source).digest();

  let cachedData: Buffer | undefined;
  try {
    const cache = readFileSync(cacheFile);
    if (cache.subarray(0, stamp.length).equals(stamp)) cachedData = cache.subarray(stamp.length);
  } catch {
    // no cache: compile from source
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  if (process.env.DMDEPLOY_WRITE_V8_CACHE === '1')
    process.on('exit', () => writeFileSync(cacheFile, Buffer.concat([stamp, script.createCachedData()])));
  const mod = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(mod.exports, mod.exports, require, mod, file, path.dirname(file));
}

void stepThroughBroker(process.argv.slice(2), __filename, __dirname).then(
  (status) => (status === undefined ? loadBundle() : (process.exitCode = status)),
  (e: unknown) => {
    process.stderr.write(
      `dmdeploy: the step broker failed (${e instanceof Error ? e.message : String(e)}); running the step in this process\n`,
    );
    loadBundle();
  },
);
