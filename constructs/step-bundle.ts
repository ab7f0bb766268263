/**
 * The step bundle: lib/cli/step-main.ts (what `dmdeploy step` needs, nothing else) bundled by
 * esbuild into one script for plain node, which each Terraform resource runs. Node starts it in
 * a fraction of the time tsx takes to load the TypeScript of the whole command line, and a large
 * apply runs thousands of steps.
 *
 * Built into node_modules/.cache/dm-cdktf/step/, never stale: the bundle ends with a line holding
 * the digest of the files it was built from (every input esbuild's metafile listed, and this
 * recipe) with the esbuild version, and the list of those files; `stepBundle()` digests the
 * current contents of the files listed and rebuilds when the digest differs. A new import can
 * only appear by changing a file that is listed, so the list of the last build is enough. Builds
 * go to a temporary directory and each file is renamed into place (the bundle last), so parallel
 * builders and running steps never see a partial file.
 *
 * The directory holds:
 *   dmdeploy-step.cjs   the launcher: runs step.cjs with the V8 code cache (what the command runs)
 *   step.cjs            the bundle; `node step.cjs --build-info` (or through the launcher) prints
 *                       its digest and input files as JSON
 *   step.v8cache        V8's compiled code of step.cjs, for this node (another node ignores it)
 *
 * `npm ci` builds it (the `prepare` script runs this file), synthesis checks it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  BUILD_INFO_MARKER,
  installedEsbuild,
  readBuildInfo,
  sourcesDigest,
  type BuildInfo,
} from '../lib/cli/build-info';

const REPO = path.resolve(__dirname, '..');

/** Where the bundle is built and cached. */
export const STEP_BUNDLE_DIR = path.join(REPO, 'node_modules', '.cache', 'dm-cdktf', 'step');
/** The file the command runs, in STEP_BUNDLE_DIR: the launcher. */
export const STEP_BUNDLE_ENTRY = 'dmdeploy-step.cjs';
const BUNDLE = 'step.cjs';
const V8_CACHE = 'step.v8cache';

/** This recipe, relative to the repository: changing how the bundle is built rebuilds it. */
const RECIPE = 'constructs/step-bundle.ts';
const ENTRY = 'lib/cli/step-main.ts';
const LOADER = 'lib/cli/step-loader.ts';

/**
 * ssh2's optional native parts: its crypto binding (`./crypto/build/Release/sshcrypto.node`) and
 * `cpu-features`. ssh2 requires each inside a try and uses its JavaScript and node:crypto code
 * when the require throws, as on a host where they were never compiled. The bundle is that host
 * wherever it is copied to: `.node` files stay external, required relative to the bundle where
 * there are none, and cpu-features is a module that throws (esbuild's synchronous API, which
 * synthesis needs, takes no plugins).
 */
const NATIVE_EXTERNAL = ['*.node'];
const NATIVE_ALIAS = { 'cpu-features': './lib/cli/unbundled-native.ts' };

/** The BuildInfo of the bundle in `dir`, if there is one. */
export function bundleInfo(dir: string = STEP_BUNDLE_DIR): BuildInfo | undefined {
  try {
    return readBuildInfo(readFileSync(path.join(dir, BUNDLE), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The digest of the current contents of the files a bundle lists (undefined: one is gone). */
export function currentDigest(info: Pick<BuildInfo, 'inputs'>): string | undefined {
  const esbuild = installedEsbuild(REPO);
  return esbuild === undefined ? undefined : sourcesDigest(REPO, esbuild, info.inputs);
}

const unique = () => `${process.pid}-${randomBytes(4).toString('hex')}`;

/** Builds the launcher, the bundle and its code cache into `out`; returns the BuildInfo. */
function buildInto(out: string): BuildInfo {
  // lazily: constructs given a dmdeploy command never need esbuild
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require(require.resolve('esbuild', { paths: [REPO] })) as typeof import('esbuild');
  const version = installedEsbuild(REPO);
  if (version !== esbuild.version)
    throw new Error(`esbuild ${esbuild.version} is loaded but ${version ?? 'none'} is installed; run npm ci`);
  const result = esbuild.buildSync({
    absWorkingDir: REPO,
    entryPoints: { step: ENTRY, 'dmdeploy-step': LOADER },
    outdir: out,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: false,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    external: NATIVE_EXTERNAL,
    alias: NATIVE_ALIAS,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const inputs = [...Object.keys(result.metafile.inputs), RECIPE].sort();
  const digest = sourcesDigest(REPO, version, inputs);
  if (!digest) throw new Error(`step bundle: cannot read every input of the build (${inputs.join(', ')})`);
  const info: BuildInfo = { digest, esbuild: version, inputs };
  for (const f of result.outputFiles) {
    const text = f.text.endsWith('\n') ? f.text : `${f.text}\n`;
    const trailer = path.basename(f.path) === BUNDLE ? `${BUILD_INFO_MARKER}${JSON.stringify(info)}\n` : '';
    writeFileSync(f.path, text + trailer);
  }
  // Load every module once through the launcher (--help runs no step), which writes the cache.
  spawnSync(process.execPath, [path.join(out, STEP_BUNDLE_ENTRY), '--help'], {
    env: { PATH: process.env.PATH ?? '', DMDEPLOY_WRITE_V8_CACHE: '1' },
    stdio: 'ignore',
    timeout: 30_000,
  });
  return info;
}

/** Builds the bundle into STEP_BUNDLE_DIR, through a temporary directory beside it. */
function build(): BuildInfo {
  const parent = path.dirname(STEP_BUNDLE_DIR);
  mkdirSync(STEP_BUNDLE_DIR, { recursive: true });
  const tmp = path.join(parent, `.step-build-${unique()}`);
  mkdirSync(tmp);
  try {
    const info = buildInto(tmp);
    // a parallel builder installed the same build meanwhile: keep it (its code cache is as good)
    if (bundleInfo()?.digest === info.digest && existsSync(path.join(STEP_BUNDLE_DIR, STEP_BUNDLE_ENTRY)))
      return info;
    // the bundle last: its build info is what says the directory is up to date; the launcher
    // checks the cache against the bundle it runs, so a reader between two renames is safe
    for (const f of [STEP_BUNDLE_ENTRY, V8_CACHE, BUNDLE])
      try {
        renameSync(path.join(tmp, f), path.join(STEP_BUNDLE_DIR, f));
      } catch (e) {
        if (f !== V8_CACHE) throw e; // the cache is optional: no node to make it is only slower
      }
    return info;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The step bundle built from the current sources: its launcher's path, and what it is built from. */
export interface StepBundle {
  /** The launcher, in STEP_BUNDLE_DIR: run it with `node`. */
  entry: string;
  info: BuildInfo;
}

/** The step bundle, reused when the digest of the files the cached one lists matches, else rebuilt. */
export function builtStepBundle(): StepBundle {
  const cached = bundleInfo();
  const fresh =
    cached &&
    currentDigest(cached) === cached.digest &&
    existsSync(path.join(STEP_BUNDLE_DIR, STEP_BUNDLE_ENTRY));
  return { entry: path.join(STEP_BUNDLE_DIR, STEP_BUNDLE_ENTRY), info: fresh ? cached : build() };
}

/**
 * The path of the step bundle's launcher (run it with `node`), built from the current sources:
 * reused when the digest of the files the cached bundle lists matches, else rebuilt.
 */
export function stepBundle(): string {
  return builtStepBundle().entry;
}

// `npm ci` (the prepare script) and `tsx constructs/step-bundle.ts`: build it now if needed.
if (require.main === module) {
  const { entry, info } = builtStepBundle();
  process.stdout.write(
    `step bundle: ${path.relative(process.cwd(), entry)} (sources digest ${info.digest.slice(0, 12)}, ` +
      `${info.inputs.length} input files)\n`,
  );
}
