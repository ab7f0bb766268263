// Atomic replacement of a remote file: write a temp file in the same directory, set its owner and
// mode, fsync it, then posix-rename it over the target. Readers see the old file or the new one,
// never a half-written one; if the connection dies mid-write the old file is untouched.
//
// Owner and mode are set on the temp file BEFORE the rename (not after, as a first sketch had it):
// then the target never exists, even for a moment, with the wrong owner or mode - and a crash
// between rename and chmod cannot leave a config file readable by the wrong user.
//
// Temp names are ours alone (.<name>.dmdeploy-<random>.tmp); a write first removes stale ones of
// the same target, left by a write whose connection died.

import { randomBytes } from 'node:crypto';
import * as posix from 'node:path/posix';
import type { Sftp } from './sftp';

export interface FileAttributes {
  /** @default 0o644 */
  mode?: number;
  uid?: number;
  gid?: number;
}

const TEMP_SUFFIX = /^\.dmdeploy-[0-9a-f]{12}\.tmp$/;

export function tempNameFor(target: string): string {
  return posix.join(
    posix.dirname(target),
    `.${posix.basename(target)}.dmdeploy-${randomBytes(6).toString('hex')}.tmp`,
  );
}

/** Is `name` (a directory entry) one of our temp files for `target`? */
export function isOurTemp(target: string, name: string): boolean {
  const prefix = `.${posix.basename(target)}`;
  return name.startsWith(prefix) && TEMP_SUFFIX.test(name.slice(prefix.length));
}

/** Remove stale temp files of earlier, interrupted writes of `target`; returns their paths. */
export async function removeStaleTemps(sftp: Sftp, target: string): Promise<string[]> {
  const dir = posix.dirname(target);
  const stale = (await sftp.readdir(dir)).filter((n) => isOurTemp(target, n)).map((n) => posix.join(dir, n));
  for (const p of stale) await sftp.unlink(p).catch(() => undefined);
  return stale;
}

/** Create the temp file for `target` (O_EXCL, mode 0600 until the final mode is set). */
export async function createTemp(sftp: Sftp, target: string): Promise<{ path: string; handle: Buffer }> {
  const path = tempNameFor(target);
  const handle = await sftp.open(path, 'wx', 0o600);
  return { path, handle };
}

/** Owner, mode, fsync, close, rename. On failure the temp file is removed (best effort). */
export async function commitTemp(
  sftp: Sftp,
  temp: { path: string; handle: Buffer },
  target: string,
  attrs: FileAttributes,
): Promise<void> {
  let open = true;
  try {
    if (attrs.uid !== undefined || attrs.gid !== undefined) {
      const st = await sftp.fstat(temp.handle);
      await sftp.fchown(temp.handle, attrs.uid ?? st.uid, attrs.gid ?? st.gid);
    }
    await sftp.fchmod(temp.handle, attrs.mode ?? 0o644); // after chown, which may clear mode bits
    await sftp.fsync(temp.handle);
    await sftp.close(temp.handle);
    open = false;
    await sftp.posixRename(temp.path, target);
  } catch (e) {
    await discardTemp(sftp, temp, open);
    throw e;
  }
}

export async function discardTemp(
  sftp: Sftp,
  temp: { path: string; handle: Buffer },
  open = true,
): Promise<void> {
  if (open) await sftp.close(temp.handle).catch(() => undefined);
  await sftp.unlink(temp.path).catch(() => undefined);
}

export interface WriteProgress {
  bytes: number;
  total: number;
}

/** Write a whole buffer with several requests in flight (one round trip per request would be slow). */
export async function writeAll(
  sftp: Sftp,
  handle: Buffer,
  data: Buffer,
  onProgress?: (p: WriteProgress) => void,
  chunk = 64 * 1024,
  window = 16,
): Promise<void> {
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async () => {
    while (next < data.length && !failed) {
      const off = next;
      next += chunk;
      const piece = data.subarray(off, Math.min(off + chunk, data.length));
      await sftp.write(handle, piece, off).catch((e: unknown) => {
        failed = true; // stop the other workers: the first error is the one reported
        throw e;
      });
      done += piece.length;
      onProgress?.({ bytes: done, total: data.length });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, Math.ceil(data.length / chunk) || 1) }, worker));
}

/** The whole atomic write. */
export async function writeFileAtomic(
  sftp: Sftp,
  target: string,
  data: Buffer,
  attrs: FileAttributes,
  onProgress?: (p: WriteProgress) => void,
): Promise<{ removedStale: string[] }> {
  const removedStale = await removeStaleTemps(sftp, target);
  const temp = await createTemp(sftp, target);
  try {
    await writeAll(sftp, temp.handle, data, onProgress);
  } catch (e) {
    await discardTemp(sftp, temp);
    throw e;
  }
  await commitTemp(sftp, temp, target, attrs);
  return { removedStale };
}
