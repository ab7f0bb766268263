/**
 * Install the DM8 simulator's tools into a directory (a lab host's /dm/bin, or a test's temp dir).
 *
 * The TypeScript sources are bundled once per process with esbuild (a pinned devDependency) into
 * node_modules/.cache/dmsim/dmsim.cjs, so that a tool starts as fast as plain node (tens of ms
 * instead of tsx's few hundred). The bundle is copied into the install directory itself and each
 * tool is a small /bin/sh wrapper that execs this node binary on the copy beside it: a lab host
 * has its own /tmp and /root, so a checkout under either (CI may clone into /tmp) is not visible
 * there. If esbuild cannot be loaded, the wrappers run the sources through this repo's tsx
 * instead (slower, and only where the checkout is visible).
 */
import fs from 'node:fs';
import path from 'node:path';

export const DMSIM_TOOLS = [
  'dminit',
  'dmserver',
  'disql',
  'dmrman',
  'dmwatcher',
  'dmmonitor',
  'dmctlcvt',
  'dmcss',
  'dmasmsvr',
] as const;
export type DmsimTool = (typeof DMSIM_TOOLS)[number];

const HERE = __dirname;
const REPO = path.resolve(HERE, '..', '..');
const ENTRY = path.join(HERE, 'src', 'main.ts');
/** Build output, outside the sources so linters and git never see it. */
export const BUNDLE = path.join(REPO, 'node_modules', '.cache', 'dmsim', 'dmsim.cjs');

/** The name of the bundle's copy inside an install directory. */
export const BUNDLE_COPY = 'dmsim.cjs';

let built: string | undefined;

/**
 * Bundle the simulator (once per process). Returns the command prefix the wrappers exec; a
 * `$BUNDLE` in it stands for the copy beside the wrapper.
 */
export function buildDmsim(): string {
  if (built) return built;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require(require.resolve('esbuild', { paths: [REPO] })) as typeof import('esbuild');
    fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
    const tmp = `${BUNDLE}.${process.pid}.tmp`;
    esbuild.buildSync({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: tmp,
      logLevel: 'silent',
      legalComments: 'none',
    });
    fs.renameSync(tmp, BUNDLE); // atomic: processes running the old bundle keep their inode
    built = `${sh(process.execPath)} "$(dirname "$0")/${BUNDLE_COPY}"`;
  } catch {
    built = `${sh(path.join(REPO, 'node_modules', '.bin', 'tsx'))} ${sh(ENTRY)}`;
  }
  return built;
}

export interface InstallOptions {
  /** Default DMSIM_LOG baked into the wrappers. @default <binDir>/../dmsim.log */
  logPath?: string;
  /** Simulator settings baked into the wrappers as defaults (DMSIM_* names only). */
  env?: Record<string, string>;
}

/** Write one wrapper per tool into binDir. Returns the tool paths. */
export function installDmsim(binDir: string, opts: InstallOptions = {}): Record<DmsimTool, string> {
  const cmd = buildDmsim();
  fs.mkdirSync(binDir, { recursive: true });
  if (fs.existsSync(BUNDLE) && cmd.includes(BUNDLE_COPY)) {
    const tmp = path.join(binDir, `${BUNDLE_COPY}.${process.pid}.tmp`);
    fs.copyFileSync(BUNDLE, tmp);
    fs.renameSync(tmp, path.join(binDir, BUNDLE_COPY)); // running tools keep the old inode
  }
  const log = opts.logPath ?? path.join(path.dirname(path.resolve(binDir)), 'dmsim.log');
  const out = {} as Record<DmsimTool, string>;
  for (const tool of DMSIM_TOOLS) {
    const file = path.join(binDir, tool);
    const text = [
      '#!/bin/sh',
      `# dmsim: test double of DM8 ${tool} (see test/dmsim/README.md in dm-cdktf)`,
      `: "\${DMSIM_LOG:=${log}}"`,
      'export DMSIM_LOG',
      ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => {
        if (!/^DMSIM_[A-Z_]+$/.test(k)) throw new Error(`installDmsim: ${k} is not a DMSIM_* setting`);
        return [`: "\${${k}:=${v.replace(/[^\w.,=-]/g, '')}}"`, `export ${k}`];
      }),
      `exec ${cmd} ${tool} "$@"`,
      '',
    ].join('\n');
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o755 });
    fs.renameSync(tmp, file);
    out[tool] = file;
  }
  return out;
}

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
