// Promise wrappers over the ssh2 SFTP calls we use. One SFTP channel per operation: it holds a
// session slot only while the operation runs (sshd counts an sftp subsystem as a session).

import type { Client, OpenMode, SFTPWrapper, Stats } from 'ssh2';

/** Open an SFTP channel; wrapped inside ssh2's callback so no close can slip by unobserved. */
export function openSftp(client: Client): Promise<Sftp> {
  return new Promise((resolve, reject) =>
    client.sftp((err, raw) => (err ? reject(err) : resolve(new Sftp(raw)))),
  );
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02) as ssh2 reports them in err.code. */
export const SFTP_NO_SUCH_FILE = 2;

function connectionLost(): Error {
  return Object.assign(new Error('the connection was lost (SFTP channel closed)'), { code: 'ECONNRESET' });
}

export function isNoSuchFile(e: unknown): boolean {
  return (e as { code?: unknown }).code === SFTP_NO_SUCH_FILE;
}

/** Backstop for one request to a live but unresponsive server (a dead connection is caught by keepalive). */
const REQUEST_TIMEOUT_MS = 120_000;

export class Sftp {
  private closed = false;

  constructor(readonly raw: SFTPWrapper) {
    // ssh2 answers requests pending at close with "No response from server", but silently keeps
    // requests made AFTER the channel closed, unanswered forever: refuse those ourselves.
    const mark = () => (this.closed = true);
    raw.once('end', mark);
    raw.once('close', mark);
    raw.on('error', mark);
  }

  private call<T>(fn: (cb: (err: Error | null | undefined, v: T) => void) => void): Promise<T> {
    if (this.closed) return Promise.reject(connectionLost());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer to an SFTP request in ${REQUEST_TIMEOUT_MS / 1000}s`)),
        REQUEST_TIMEOUT_MS,
      );
      fn((err, v) => {
        clearTimeout(timer);
        if (err) reject(err.message === 'No response from server' ? connectionLost() : err);
        else resolve(v);
      });
    });
  }

  /** Close the channel (waits at most 2 s for the server's close). */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 2000);
      this.raw.once('close', () => (clearTimeout(t), resolve()));
      this.raw.end();
    });
  }

  open(path: string, flags: OpenMode, mode?: number): Promise<Buffer> {
    return this.call((cb) => this.raw.open(path, flags, mode !== undefined ? { mode } : {}, cb));
  }

  close(handle: Buffer): Promise<void> {
    return this.call<void>((cb) => this.raw.close(handle, (e) => cb(e, undefined)));
  }

  fstat(handle: Buffer): Promise<Stats> {
    return this.call((cb) => this.raw.fstat(handle, cb));
  }

  stat(path: string): Promise<Stats> {
    return this.call((cb) => this.raw.stat(path, cb));
  }

  readdir(path: string): Promise<string[]> {
    return this.call<{ filename: string }[]>((cb) => this.raw.readdir(path, cb)).then((l) =>
      l.map((e) => e.filename),
    );
  }

  unlink(path: string): Promise<void> {
    return this.call<void>((cb) => this.raw.unlink(path, (e) => cb(e, undefined)));
  }

  fchmod(handle: Buffer, mode: number): Promise<void> {
    return this.call<void>((cb) => this.raw.fchmod(handle, mode, (e) => cb(e, undefined)));
  }

  fchown(handle: Buffer, uid: number, gid: number): Promise<void> {
    return this.call<void>((cb) => this.raw.fchown(handle, uid, gid, (e) => cb(e, undefined)));
  }

  /** fsync@openssh.com: the data is on the host's disk, not only in its page cache. */
  fsync(handle: Buffer): Promise<void> {
    return this.call<void>((cb) => this.raw.ext_openssh_fsync(handle, (e) => cb(e, undefined)));
  }

  /** posix-rename@openssh.com: rename(2), atomically replacing the target (plain SFTP rename refuses to). */
  posixRename(from: string, to: string): Promise<void> {
    return this.call<void>((cb) => this.raw.ext_openssh_rename(from, to, (e) => cb(e, undefined)));
  }

  write(handle: Buffer, data: Buffer, position: number): Promise<void> {
    return this.call<void>((cb) =>
      this.raw.write(handle, data, 0, data.length, position, (e) => cb(e, undefined)),
    );
  }

  read(handle: Buffer, buf: Buffer, position: number): Promise<number> {
    return this.call((cb) => this.raw.read(handle, buf, 0, buf.length, position, (e, n) => cb(e, n)));
  }
}
