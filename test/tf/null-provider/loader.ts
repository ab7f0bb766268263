/**
 * What the launcher runs (bundled to loader.cjs): loads provider.cjs beside it with the V8 code
 * cache that install.ts made at build time (provider.v8cache), which saves compiling the bundle on
 * each of the several starts per terraform command. A missing or rejected cache (another node)
 * only means compiling from source. With NULL_PROVIDER_WRITE_V8_CACHE=1 it writes the cache at exit.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const file = path.join(__dirname, 'provider.cjs');
const cacheFile = path.join(__dirname, 'provider.v8cache');

let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // no cache: compile from source
}
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
if (process.env.NULL_PROVIDER_WRITE_V8_CACHE === '1') {
  process.on('exit', () => writeFileSync(cacheFile, script.createCachedData()));
}
const mod = { exports: {} };
const run = script.runInThisContext() as (...args: unknown[]) => void;
run.call(mod.exports, mod.exports, require, mod, file, __dirname);
