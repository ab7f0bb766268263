/**
 * Where the step broker of a run listens: a unix socket in a directory only this user can enter
 * ($XDG_RUNTIME_DIR, else the temporary directory), named by a digest of what a broker may serve:
 * the step bundle (its directory and step.cjs's identity: another build is another broker), the
 * working directory Terraform runs the steps in (relative paths in the spec and DMDEPLOY_LOG
 * resolve there) and the plan manifest. undefined when no such place can be made safely; the
 * caller then runs the step in its own process.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The longest unix socket path Linux takes (sun_path is 108 bytes, NUL included). */
const MAX_SOCKET_PATH = 107;

/**
 * Whether no other user can replace what `dir` holds: it is ours or root's, and nobody else may
 * write it, or only with the sticky bit (as /tmp), which stops them renaming our entries.
 */
function safeParent(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || (st.uid !== uid && st.uid !== 0)) return false;
    return (st.mode & 0o022) === 0 || (st.mode & 0o1000) !== 0;
  } catch {
    return false;
  }
}

/** The broker's directory, made 0700 if missing; undefined unless it is ours and private. */
export function brokerDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  // XDG_RUNTIME_DIR only when it is this user's (sudo -E keeps another user's)
  const xdg = env.XDG_RUNTIME_DIR;
  const parent = xdg && lstatSafeOwn(xdg, uid) ? xdg : os.tmpdir();
  if (!safeParent(parent, uid)) return undefined;
  const dir = path.join(parent, `dm-cdktf-steps-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
  }
  try {
    const st = lstatSync(dir);
    // like ssh with ~/.ssh: a directory another user owns or can write is not used
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

function lstatSafeOwn(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
  } catch {
    return false;
  }
}

/** The broker socket for steps of `manifest` run from `bundleDir` in `cwd`, or undefined. */
export function brokerSocket(bundleDir: string, manifest: string, cwd: string): string | undefined {
  const dir = brokerDir();
  if (!dir) return undefined;
  let identity: string;
  try {
    const bundle = statSync(path.join(bundleDir, 'step.cjs'));
    identity = [realpathSync(bundleDir), bundle.ino, bundle.size, bundle.mtimeMs].join('\0');
  } catch {
    return undefined;
  }
  const digest = createHash('sha256')
    .update(identity)
    .update('\0')
    .update(cwd)
    .update('\0')
    .update(path.resolve(cwd, manifest))
    .digest('hex')
    .slice(0, 32);
  const socket = path.join(dir, `${digest}.sock`);
  return Buffer.byteLength(socket) <= MAX_SOCKET_PATH ? socket : undefined;
}

/** The environment a broker is started with: none of the caller's secrets, only what node needs. */
export function brokerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const keep = [
    'PATH',
    'HOME',
    'TMPDIR',
    'XDG_RUNTIME_DIR',
    'LANG',
    'LC_ALL',
    'TZ',
    'DMDEPLOY_STEP_BROKER_IDLE_MS',
  ];
  const out: NodeJS.ProcessEnv = {};
  for (const k of keep) if (env[k] !== undefined) out[k] = env[k];
  return out;
}
