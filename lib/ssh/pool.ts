// Idle SSH connections kept between steps, for a process that runs many steps (the step broker,
// lib/cli/step-broker.ts). A connection is leased to one executor at a time, so a step has its
// connections to itself exactly as when it ran in its own process; a step that ends well hands
// them back for the next step to the same host, one that fails or is abandoned closes them (its
// channels end with it, as they would when its process died).

import type { HostConnection } from './connection';

export class ConnectionPool {
  private readonly idle = new Map<string, HostConnection[]>();
  private closed = false;

  /** An idle connection opened with the same key, else a new one from `make`. */
  lease(key: string, make: () => HostConnection): HostConnection {
    const list = this.idle.get(key);
    const reused = list?.pop();
    if (list && list.length === 0) this.idle.delete(key);
    return reused ?? make();
  }

  /** Back to the pool (`reuse`), or closed. Never pooled after closeAll(). */
  async release(key: string, conn: HostConnection, reuse: boolean): Promise<void> {
    if (!reuse || this.closed || conn.isClosed) return conn.close();
    const list = this.idle.get(key) ?? [];
    list.push(conn);
    this.idle.set(key, list);
  }

  /** Connections waiting to be leased. */
  get size(): number {
    let n = 0;
    for (const l of this.idle.values()) n += l.length;
    return n;
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
