/**
 * The step bundle (constructs/step-bundle.ts): built from the current sources and nothing else a
 * step does not need, what a synthesized stack runs when no dmdeploy is configured, and the same
 * command line as `dmdeploy step` run from the sources.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'cdktf';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ClusterStack } from '../../main';
import { STEP_BUNDLE_DIR, stepBundle } from '../../constructs/step-bundle';
import { isFresh, type BuildInfo } from '../../lib/cli/build-info';
import { run } from '../../lib/cli/main';
import type { Plan } from '../../lib/plan';

const REPO = path.join(__dirname, '../..');
const TSX = path.join(REPO, 'node_modules/.bin/tsx');
const MAIN = path.join(REPO, 'lib/cli/main.ts');
const EXAMPLE = path.join(REPO, 'examples/7.2-realtime-pair.yaml');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Ran {
  // no password unless the test gives one; no loader of the test runner
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.DM_SYSDBA_PASSWORD;
  Object.assign(env, opts.env);
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    cwd: opts.cwd ?? REPO,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `dmdeploy` from the sources, as bin/dmdeploy ran every command before the bundle. */
const fromSources = (args: readonly string[], cwd: string): Ran => exec([TSX, MAIN, ...args], { cwd });

/** The digest as documented in lib/cli/build-info.ts, computed here on its own. */
function digestNow(info: BuildInfo): string {
  const h = createHash('sha256').update(`dm-cdktf step bundle\0esbuild ${info.esbuild}\0`);
  for (const rel of [...info.inputs].sort()) {
    const content = readFileSync(path.join(REPO, rel));
    h.update(`${rel}\0${content.length}\0`).update(content).update('\0');
  }
  return h.digest('hex');
}

let entry = '';
let info: BuildInfo;
beforeAll(() => {
  entry = stepBundle();
  const r = exec(['node', entry, '--build-info']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  info = JSON.parse(r.stdout) as BuildInfo;
}, 120_000);

describe('the step bundle', () => {
  it('is built from the current sources: its digest is that of the files it lists, as they are now', () => {
    expect(entry).toBe(path.join(STEP_BUNDLE_DIR, 'dmdeploy-step.cjs'));
    expect(info.inputs).toEqual(
      expect.arrayContaining([
        'lib/steps/run.ts',
        'lib/plan/manifest.ts',
        'lib/cli/step-main.ts',
        'lib/cli/remote.ts',
        'lib/ssh/executor.ts',
        'constructs/step-bundle.ts',
      ]),
    );
    const esbuild = JSON.parse(readFileSync(path.join(REPO, 'node_modules/esbuild/package.json'), 'utf8'));
    expect(info.esbuild).toBe(esbuild.version);
    expect(info.digest).toBe(digestNow(info));
    // every step kind the runner dispatches to is in it
    const kinds = readdirSync(path.join(REPO, 'lib/steps/kinds')).filter((f) => f !== 'types.ts');
    for (const k of kinds) expect(info.inputs).toContain(`lib/steps/kinds/${k}`);
    // the bundle itself (not only its launcher) says the same
    const direct = exec(['node', path.join(STEP_BUNDLE_DIR, 'step.cjs'), '--build-info']);
    expect(JSON.parse(direct.stdout)).toEqual(info);
  });

  it('is stale once a file it lists changes or goes, and then bin/dmdeploy runs the sources instead', () => {
    // a copy of the inputs: the checkout itself is not touched
    const root = mkdtempSync(path.join(tmpdir(), 'dm-step-bundle-'));
    for (const rel of [...info.inputs, 'node_modules/esbuild/package.json']) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      copyFileSync(path.join(REPO, rel), path.join(root, rel));
    }
    expect(isFresh(info, root)).toBe(true);
    // fresh: the bundle runs (bin/dmdeploy passes DMDEPLOY_SOURCES)
    const fresh = exec(['node', entry, '--help'], { env: { DMDEPLOY_SOURCES: root } });
    expect([fresh.code, fresh.stdout]).toEqual([0, expect.stringContaining('dmdeploy step <id> --manifest')]);

    const run = path.join(root, 'lib/steps/run.ts');
    writeFileSync(run, `${readFileSync(run, 'utf8')}\n// changed\n`);
    expect(isFresh(info, root)).toBe(false);
    // stale: the sources run through tsx, with the same arguments, stdio and exit status
    const tsx = path.join(root, 'node_modules/.bin/tsx');
    mkdirSync(path.dirname(tsx), { recursive: true });
    writeFileSync(tsx, '#!/bin/sh\necho "from the sources: $*"\nexit 7\n');
    chmodSync(tsx, 0o755);
    const stale = exec(['node', entry, 'step', 'x', '--manifest', 'm'], { env: { DMDEPLOY_SOURCES: root } });
    expect(stale).toEqual({
      code: 7,
      stdout: `from the sources: ${path.join(root, 'lib/cli/main.ts')} step x --manifest m\n`,
      stderr: '',
    });
    copyFileSync(path.join(REPO, 'lib/steps/run.ts'), run);
    expect(isFresh(info, root)).toBe(true);
    writeFileSync(path.join(root, 'node_modules/esbuild/package.json'), '{"version":"0.0.1"}');
    expect(isFresh(info, root)).toBe(false);
    copyFileSync(
      path.join(REPO, 'node_modules/esbuild/package.json'),
      path.join(root, 'node_modules/esbuild/package.json'),
    );
    rmSync(path.join(root, 'lib/plan/manifest.ts'));
    expect(isFresh(info, root)).toBe(false);
  });

  it('holds no zod, yaml, cdktf, validator, renderer or planner', () => {
    const heavy = info.inputs.filter((f) =>
      /^node_modules\/(zod|yaml|cdktf|constructs|@cdktf)\/|^lib\/(validate|spec)\/|^lib\/render\/index\.ts$|^lib\/plan\/(build|format|index)\.ts$/.test(
        f,
      ),
    );
    expect(heavy).toEqual([]);
    expect(info.inputs.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/')[1])).toEqual(
      expect.not.arrayContaining(['zod', 'yaml', 'cdktf']),
    );
    // and what those would bring in, by name (identifiers are not minified)
    const text = readFileSync(path.join(STEP_BUNDLE_DIR, 'step.cjs'), 'utf8');
    for (const name of [
      'ZodError',
      'YAMLParseError',
      'TerraformStack',
      'planCluster',
      'validateSpec',
      'renderCluster',
    ])
      expect(text, name).not.toContain(name);
  });
});

describe('a synthesized stack without a dmdeploy', () => {
  let stackDir = '';
  let command = '';
  let plan: Plan;
  beforeAll(() => {
    const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'dm-step-bundle-stack-')), 'cdktf.out');
    const app = buildApp(new App({ outdir }), [EXAMPLE]);
    app.synth();
    plan = (app.node.findChild('GRP1') as ClusterStack).cluster.plan;
    stackDir = path.join(outdir, 'stacks/GRP1');
    const json = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    command = json.resource.null_resource['GRP1_RT_01__mode'].provisioner[0]['local-exec'].command;
  }, 120_000);

  it('runs each step as `node <the bundle asset> step <id> --manifest <plan.json asset>`', () => {
    const [node, bundle = '', step, id, flag, manifest = ''] = command.split(' ');
    expect([node, step, id, flag]).toEqual(['node', 'step', 'GRP1_RT_01/mode', '--manifest']);
    // named by the sources digest
    expect(bundle).toBe(`assets/dm-cdktf-step/${info.digest.slice(0, 32).toUpperCase()}/dmdeploy-step.cjs`);
    expect(manifest).toMatch(/^assets\/[^/]+\/[0-9A-F]{32}\/plan\.json$/);
    // the asset is the built directory: launcher, bundle, code cache
    const asset = path.join(stackDir, path.dirname(bundle));
    expect(readdirSync(asset).sort()).toEqual(['dmdeploy-step.cjs', 'step.cjs', 'step.v8cache']);
    for (const f of readdirSync(asset))
      expect(readFileSync(path.join(asset, f)).equals(readFileSync(path.join(STEP_BUNDLE_DIR, f))), f).toBe(
        true,
      );
    expect(JSON.parse(exec(['node', path.join(stackDir, bundle), '--build-info']).stdout)).toEqual(info);
  });

  it('answers a wrong step id and a bad call exactly as `dmdeploy step` from the sources does', () => {
    const sh = (line: string) => exec(['sh', '-c', line], { cwd: stackDir });
    const manifest = command.split(' ')[5] ?? '';
    const wrong = sh(command.replace(' step GRP1_RT_01/mode ', ' step GRP1_RT_09/mode '));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^dmdeploy: no step "GRP1_RT_09\/mode" in the plan of GRP1; fix: one of cluster\/preflight, /,
    );
    expect(wrong).toEqual(fromSources(['step', 'GRP1_RT_09/mode', '--manifest', manifest], stackDir));
    // and through bin/dmdeploy
    expect(
      exec([path.join(REPO, 'bin/dmdeploy'), 'step', 'GRP1_RT_09/mode', '--manifest', manifest], {
        cwd: stackDir,
      }),
    ).toEqual(wrong);
    // a usage error: the help text, exit 2
    const usage = sh(command.replace(/ --manifest \S+$/, ''));
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^dmdeploy: step needs a step id and --manifest <plan.json>\n\ndmdeploy - /);
    expect(usage).toEqual(fromSources(['step', 'GRP1_RT_01/mode'], stackDir));
    // a manifest that is not there: exit 1, one line
    const missing = sh(command.replace(/--manifest \S+$/, '--manifest nowhere.json'));
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: "dmdeploy: ENOENT: no such file or directory, open 'nowhere.json'\n",
    });
    expect(fromSources(['step', 'x', '--manifest', 'nowhere.json'], stackDir)).toEqual(missing);
    // no step ran: nothing was logged
    expect(existsSync(path.join(stackDir, 'dmdeploy.log'))).toBe(false);
  }, 60_000);

  it('--dry-run: what a step would connect to, without connecting, as main.ts prints it', async () => {
    const manifest = path.join(stackDir, command.split(' ')[5] ?? '');
    const dry = exec(['sh', '-c', `${command} --dry-run`], { cwd: stackDir });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const step = plan.steps.find((s) => s.id === 'GRP1_RT_01/mode');
    const host = plan.hosts[step?.host ?? ''];
    expect(dry.stdout).toContain(`[GRP1_RT_01/mode @ DW_P] dry run: would connect to 1 host\n`);
    expect(dry.stdout).toContain(`DW_P: ssh ${plan.ssh.user}@${host?.address}:${host?.sshPort}\n`);
    expect(dry.stdout).toContain(
      'SYSDBA password: environment variable DM_SYSDBA_PASSWORD, not found (environment variable DM_SYSDBA_PASSWORD is not set)',
    );
    // one implementation: the whole command line prints the same (the flag anywhere after step)
    let out = '';
    const saved = process.env.DM_SYSDBA_PASSWORD;
    delete process.env.DM_SYSDBA_PASSWORD;
    try {
      const code = await run(['step', '--dry-run', 'GRP1_RT_01/mode', '--manifest', manifest], {
        out: (s) => void (out += s),
        err: (s) => void (out += s),
      });
      expect(code).toBe(0);
    } finally {
      if (saved !== undefined) process.env.DM_SYSDBA_PASSWORD = saved;
    }
    expect(out).toBe(dry.stdout);
    // a secret found is never printed, only that it was found
    const marker = 'S3cret-marker-4711';
    const found = exec(['sh', '-c', `${command} --dry-run`], {
      cwd: stackDir,
      env: { DM_SYSDBA_PASSWORD: marker },
    });
    expect(found.code).toBe(0);
    expect(found.stdout).toContain('SYSDBA password: environment variable DM_SYSDBA_PASSWORD, found\n');
    expect(found.stdout + found.stderr).not.toContain(marker);
    expect(existsSync(path.join(stackDir, 'dmdeploy.log'))).toBe(false);
  }, 60_000);
});
