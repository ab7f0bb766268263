// Channels on one connection, queued under the server's MaxSessions (sshd counts every session
// channel: exec and sftp alike; OpenSSH's default is 10). Excess requests wait in FIFO order.
// If the server turns out to allow fewer than configured, the limit is lowered to what it accepted.

export type Release = () => void;

interface Waiter {
  grant: () => void;
  fail: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class SessionSlots {
  private active = 0;
  private readonly waiting: Waiter[] = [];
  private _limit: number;
  /** Highest number of slots ever held at once (for tests and diagnostics). */
  peak = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`maxSessions must be a positive integer, got ${limit}`);
    this._limit = limit;
  }

  get limit(): number {
    return this._limit;
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Wait for a slot. `front` puts the request at the head of the queue (a request the server
   * refused goes back first, so it does not lose its turn). Rejects with onTimeout() after timeoutMs.
   */
  acquire(timeoutMs: number, onTimeout: () => Error, front = false): Promise<Release> {
    if (this.active < this._limit && this.waiting.length === 0) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        grant: () => {
          clearTimeout(w.timer);
          resolve(this.take());
        },
        fail: (e) => {
          clearTimeout(w.timer);
          reject(e);
        },
        timer: setTimeout(() => {
          const i = this.waiting.indexOf(w);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(onTimeout());
        }, timeoutMs),
      };
      if (front) this.waiting.unshift(w);
      else this.waiting.push(w);
    });
  }

  /** The server refused a channel while `openNow` others were open: it allows no more than that. */
  lowerLimit(openNow: number): void {
    this._limit = Math.max(1, Math.min(this._limit, openNow));
  }

  /** Fail every waiter (the executor is closing). */
  rejectAll(err: () => Error): void {
    for (const w of this.waiting.splice(0)) w.fail(err());
  }

  private take(): Release {
    this.active++;
    this.peak = Math.max(this.peak, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.dispatch();
    };
  }

  private dispatch(): void {
    while (this.active < this._limit && this.waiting.length > 0) this.waiting.shift()?.grant();
  }
}
