/**
 * Installs the null provider test double as a Terraform *unpacked* filesystem mirror under `dir`
 * and writes a CLI configuration that installs hashicorp/null from that mirror only (no direct
 * installation, no checkpoint calls). The bundle is rebuilt only when its inputs changed; builds go
 * to a temporary directory renamed into place, so parallel callers are safe.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { Root } from 'protobufjs';
import { PROTO_FILES } from './protos';

/** The version @cdktf/provider-null 11.0.1 pins in `terraform.required_providers.null.version`. */
export const NULL_PROVIDER_VERSION = '3.2.4';
export const NULL_PROVIDER_ADDRESS = 'registry.terraform.io/hashicorp/null';

export interface NullProviderInstall {
  /** The filesystem mirror directory (what the CLI configuration names). */
  mirrorDir: string;
  /** The CLI configuration file (TF_CLI_CONFIG_FILE). */
  cliConfigFile: string;
  /** Environment for terraform: TF_CLI_CONFIG_FILE and CHECKPOINT_DISABLE=1. */
  env: { TF_CLI_CONFIG_FILE: string; CHECKPOINT_DISABLE: string };
  /** The provider version served. */
  version: string;
  /** The plugin executable (`terraform-provider-null_v<version>`). */
  executable: string;
}

const SRC = __dirname;
const EXECUTABLE = `terraform-provider-null_v${NULL_PROVIDER_VERSION}`;
const STAMP = '.build-stamp';

/** Terraform's name for this platform: linux_amd64, darwin_arm64, ... */
export function terraformPlatform(): string {
  const arch = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[
    process.arch
  ];
  return `${process.platform}_${arch ?? process.arch}`;
}

const versionOf = (pkg: string): string => {
  const file = require.resolve(`${pkg}/package.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
};

/** A hash of everything the package is made from. */
function buildStamp(): string {
  const h = createHash('sha256');
  h.update(`${NULL_PROVIDER_VERSION}\0${process.execPath}\0${process.version}\0`);
  for (const pkg of ['esbuild', '@grpc/grpc-js', 'protobufjs', '@msgpack/msgpack']) {
    h.update(`${pkg}@${versionOf(pkg)}\0`);
  }
  const sources = readdirSync(SRC)
    .filter((f) => f.endsWith('.ts'))
    .sort()
    .map((f) => path.join(SRC, f))
    .concat(PROTO_FILES.map((f) => path.join(SRC, 'proto', f)));
  for (const f of sources) h.update(`${path.basename(f)}\0`).update(readFileSync(f));
  return h.digest('hex');
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The launcher: plain node on the loader beside it, NODE_OPTIONS (loaders, inspectors) dropped. */
const launcher = () => `#!/bin/sh
# terraform-provider-null v${NULL_PROVIDER_VERSION}: dm-cdktf's test double of hashicorp/null
# (test/tf/null-provider). Serves null_resource only.
unset NODE_OPTIONS
node=${shQuote(process.execPath)}
[ -x "$node" ] || node=node
exec "$node" "$(dirname "$0")/loader.cjs" "$@"
`;

/** The protobuf descriptor (JSON) of proto/*.proto, field names as written (snake_case). */
function protoDescriptor(): string {
  const root = new Root().loadSync(
    PROTO_FILES.map((f) => path.join(SRC, 'proto', f)),
    { keepCase: true },
  );
  return JSON.stringify(root.toJSON());
}

/** Builds the package (launcher, loader, bundle, code cache, protocol descriptor, stamp) into `out`. */
function buildPackage(out: string, stamp: string): void {
  mkdirSync(out, { recursive: true });
  buildSync({
    entryPoints: { provider: path.join(SRC, 'main.ts'), loader: path.join(SRC, 'loader.ts') },
    outdir: out,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: false,
    minify: true,
    legalComments: 'none',
    // Required lazily by grpc-js for channelz and ORCA only, neither of which is served here.
    external: ['@grpc/proto-loader'],
    logLevel: 'error',
  });
  writeFileSync(path.join(out, 'descriptor.json'), protoDescriptor());
  // A run without the magic cookie loads every module, then exits; the loader writes the V8 cache.
  spawnSync(process.execPath, [path.join(out, 'loader.cjs')], {
    env: { NULL_PROVIDER_WRITE_V8_CACHE: '1' },
    stdio: 'ignore',
    timeout: 30_000,
  });
  writeFileSync(path.join(out, EXECUTABLE), launcher());
  chmodSync(path.join(out, EXECUTABLE), 0o755);
  writeFileSync(path.join(out, STAMP), stamp);
}

const readStamp = (pkgDir: string): string | undefined => {
  try {
    return readFileSync(path.join(pkgDir, STAMP), 'utf8');
  } catch {
    return undefined;
  }
};

const unique = () => `${process.pid}-${randomBytes(4).toString('hex')}`;

/** Puts an up-to-date package at `pkgDir`, building it only when needed. */
function ensurePackage(pkgDir: string): void {
  const stamp = buildStamp();
  if (readStamp(pkgDir) === stamp) return;
  const parent = path.dirname(pkgDir);
  mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.tmp-${unique()}`);
  try {
    buildPackage(tmp, stamp);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        renameSync(tmp, pkgDir);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      }
      // Something is there: a parallel caller's fresh build (keep it) or a stale one (move it aside).
      if (readStamp(pkgDir) === stamp) return;
      const old = path.join(parent, `.old-${unique()}`);
      try {
        renameSync(pkgDir, old);
        rmSync(old, { recursive: true, force: true });
      } catch {
        // another caller moved it first
      }
    }
    throw new Error(`could not install the null provider test double at ${pkgDir}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Writes `file` atomically. */
function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${unique()}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/** HCL string literal (HCL's escapes match JSON's for what a path holds; `${` and `%{` escaped). */
const hclString = (s: string) => JSON.stringify(s).replace(/([$%])\{/g, (_m, c: string) => `${c}${c}{`);

/**
 * Installs (or reuses) the test double under `dir`: `<dir>/mirror/registry.terraform.io/hashicorp/null/
 * <version>/<os>_<arch>/terraform-provider-null_v<version>` and `<dir>/terraform.rc`. Run terraform
 * with `env` merged into its environment.
 */
export function installNullProvider(dir: string): NullProviderInstall {
  const root = path.resolve(dir);
  const mirrorDir = path.join(root, 'mirror');
  const pkgDir = path.join(mirrorDir, NULL_PROVIDER_ADDRESS, NULL_PROVIDER_VERSION, terraformPlatform());
  ensurePackage(pkgDir);

  const cliConfigFile = path.join(root, 'terraform.rc');
  writeAtomic(
    cliConfigFile,
    `# Written by test/tf/null-provider/install.ts: hashicorp/null from the local test double only.
disable_checkpoint = true

provider_installation {
  filesystem_mirror {
    path    = ${hclString(mirrorDir)}
    include = [${hclString(NULL_PROVIDER_ADDRESS)}]
  }
}
`,
  );
  return {
    mirrorDir,
    cliConfigFile,
    env: { TF_CLI_CONFIG_FILE: cliConfigFile, CHECKPOINT_DISABLE: '1' },
    version: NULL_PROVIDER_VERSION,
    executable: path.join(pkgDir, EXECUTABLE),
  };
}
