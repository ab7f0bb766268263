// Streaming a file from one host to another through the runner, never holding it in memory: a
// readable stream over host A's SFTP feeds a writable stream over host B's SFTP, and stream
// backpressure stops reading while B is behind. Each side keeps a bounded window of requests in
// flight (one request per round trip would be latency-bound), so memory is at most about
// 2 x window x chunk plus stream buffers, whatever the file size.
// The destination is written like any other file: temp name, fsync, posix-rename.

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { commitTemp, createTemp, discardTemp, removeStaleTemps, type FileAttributes } from './atomic-write';
import type { Sftp } from './sftp';

export interface TransferTuning {
  /** Bytes per SFTP request (OpenSSH accepts up to 255 KiB). @default 128 KiB */
  chunkBytes?: number;
  /** Requests in flight per side. @default 32 */
  window?: number;
}

export interface TransferProgress {
  /** Bytes written and acknowledged by the destination. */
  bytes: number;
  /** Bytes read from the source; bytesRead - bytes is what is in transit through this process. */
  bytesRead: number;
  total: number;
  elapsedMs: number;
}

/** Which end of a copy failed, so the error can name the right host. */
export class TransferSideError extends Error {
  constructor(
    readonly side: 'source' | 'destination',
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error));
  }
}

async function onSide<T>(side: 'source' | 'destination', p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw e instanceof TransferSideError ? e : new TransferSideError(side, e);
  }
}

interface Segment {
  offset: number;
  len: number;
  data?: Buffer;
}

/** Reads [0, size) in order with up to `window` reads in flight. */
export class SftpReadStream extends Readable {
  private readonly segs: Segment[] = [];
  private nextOffset = 0;
  private inflight = 0;
  private wanted = false;
  private ended = false;
  /** Bytes handed to the consumer so far. */
  delivered = 0;

  constructor(
    private readonly sftp: Sftp,
    private readonly handle: Buffer,
    private readonly size: number,
    private readonly chunk: number,
    private readonly window: number,
  ) {
    super({ highWaterMark: chunk * 4 });
  }

  override _read(): void {
    this.wanted = true;
    this.pump();
  }

  private issue(seg: Segment): void {
    this.inflight++;
    const buf = Buffer.allocUnsafe(seg.len);
    this.sftp.read(this.handle, buf, seg.offset).then(
      (n) => {
        this.inflight--;
        seg.data = buf.subarray(0, n);
        this.pump();
      },
      (e: unknown) => this.destroy(new TransferSideError('source', e)),
    );
  }

  private pump(): void {
    if (this.destroyed || this.ended) return;
    // Deliver completed segments in file order.
    while (this.segs[0]?.data) {
      const seg = this.segs.shift() as Segment;
      const data = seg.data as Buffer;
      if (data.length < seg.len) {
        if (data.length === 0) {
          this.destroy(
            new Error(
              `source file ended at ${seg.offset} of ${this.size} bytes (was it truncated while copying?)`,
            ),
          );
          return;
        }
        // A short read: ask for the rest before anything after it is delivered.
        const rest: Segment = { offset: seg.offset + data.length, len: seg.len - data.length };
        this.segs.unshift(rest);
        this.issue(rest);
      }
      this.delivered += data.length;
      if (!this.push(data)) this.wanted = false;
    }
    if (this.segs.length === 0 && this.nextOffset >= this.size) {
      this.ended = true;
      this.push(null);
      return;
    }
    while (this.wanted && this.inflight < this.window && this.nextOffset < this.size) {
      const len = Math.min(this.chunk, this.size - this.nextOffset);
      const seg: Segment = { offset: this.nextOffset, len };
      this.nextOffset += len;
      this.segs.push(seg);
      this.issue(seg);
    }
  }
}

/** Writes sequentially with up to `window` writes in flight; finishes only when all are acknowledged. */
export class SftpWriteStream extends Writable {
  private offset = 0;
  private inflight = 0;
  private failure: Error | undefined;
  private onSlot: (() => void) | undefined;
  private onIdle: (() => void) | undefined;
  /** Bytes acknowledged by the server. */
  written = 0;

  constructor(
    private readonly sftp: Sftp,
    private readonly handle: Buffer,
    private readonly window: number,
    private readonly onWritten?: (bytes: number) => void,
  ) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.failure) return cb(this.failure);
    const off = this.offset;
    this.offset += chunk.length;
    this.inflight++;
    this.sftp.write(this.handle, chunk, off).then(
      () => {
        this.written += chunk.length;
        this.onWritten?.(this.written);
        this.settle();
      },
      (e: unknown) => {
        this.failure ??= new TransferSideError('destination', e);
        this.settle();
      },
    );
    if (this.inflight < this.window) cb();
    else this.onSlot = () => cb(this.failure ?? null);
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.inflight === 0) return cb(this.failure ?? null);
    this.onIdle = () => cb(this.failure ?? null);
  }

  private settle(): void {
    this.inflight--;
    const slot = this.onSlot;
    this.onSlot = undefined;
    slot?.();
    if (this.inflight === 0) {
      const idle = this.onIdle;
      this.onIdle = undefined;
      idle?.();
    }
  }
}

/**
 * Copy srcPath (on src) to dstPath (on dst) atomically. Mode defaults to the source's.
 * Returns the bytes copied.
 */
export async function copyFile(
  src: Sftp,
  srcPath: string,
  dst: Sftp,
  dstPath: string,
  attrs: FileAttributes,
  tuning: TransferTuning = {},
  onProgress?: (p: TransferProgress) => void,
  progressIntervalMs = 250,
): Promise<number> {
  const chunk = tuning.chunkBytes ?? 128 * 1024;
  const window = tuning.window ?? 32;
  const started = Date.now();
  const srcHandle = await onSide('source', src.open(srcPath, 'r'));
  try {
    const st = await onSide('source', src.fstat(srcHandle));
    const size = st.size;
    await onSide('destination', removeStaleTemps(dst, dstPath));
    const temp = await onSide('destination', createTemp(dst, dstPath));
    let last = 0;
    const reader = new SftpReadStream(src, srcHandle, size, chunk, window);
    const report = (bytes: number, force = false) => {
      const now = Date.now();
      if (!onProgress || (!force && now - last < progressIntervalMs)) return;
      last = now;
      onProgress({ bytes, bytesRead: reader.delivered, total: size, elapsedMs: now - started });
    };
    try {
      const writer = new SftpWriteStream(dst, temp.handle, window, (b) => report(b));
      await pipeline(reader, writer);
      if (writer.written !== size) {
        throw new TransferSideError('destination', new Error(`wrote ${writer.written} of ${size} bytes`));
      }
      report(size, true);
    } catch (e) {
      await discardTemp(dst, temp);
      throw e;
    }
    await onSide(
      'destination',
      commitTemp(dst, temp, dstPath, { ...attrs, mode: attrs.mode ?? st.mode & 0o7777 }),
    );
    return size;
  } finally {
    await src.close(srcHandle).catch(() => undefined);
  }
}
