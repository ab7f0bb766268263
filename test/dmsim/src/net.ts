/**
 * The simulator's wire protocol: newline-delimited JSON over TCP. Every request carries an `id`
 * and gets exactly one reply with the same `id`. Every wait is bounded.
 */
import net from 'node:net';
import { DmError, E } from './common';

export type Msg = Record<string, unknown> & { op?: string; id?: number };
export type Handler = (msg: Msg, conn: ServerConn) => Promise<Msg> | Msg;

export interface ServerConn {
  readonly remote: string;
  readonly localAddress: string;
  readonly localPort: number;
  /** Data a handler keeps for the lifetime of the connection. */
  readonly data: Map<string, unknown>;
  onClose(fn: () => void): void;
  close(): void;
}

/** Listen on host:port; resolves once listening, rejects with a DM-style error when the port is taken. */
export function serveJson(host: string, port: number, handler: Handler): Promise<net.Server> {
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    const closers: (() => void)[] = [];
    const conn: ServerConn = {
      remote: `${sock.remoteAddress}:${sock.remotePort}`,
      localAddress: sock.localAddress ?? '',
      localPort: sock.localPort ?? 0,
      data: new Map(),
      onClose: (fn) => closers.push(fn),
      close: () => sock.destroy(),
    };
    let buf = '';
    let chain: Promise<void> = Promise.resolve();
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        chain = chain.then(async () => {
          let msg: Msg;
          try {
            msg = JSON.parse(line) as Msg;
          } catch {
            sock.destroy();
            return;
          }
          let reply: Msg;
          try {
            reply = await handler(msg, conn);
          } catch (e) {
            reply = errorReply(e);
          }
          if (!sock.destroyed) sock.write(JSON.stringify({ ...reply, id: msg.id }) + '\n');
        });
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      for (const fn of closers) fn();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new DmError(
          E.PORT,
          e.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is already in use`
            : `cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
        ),
      ),
    );
    server.listen({ host, port, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

export function errorReply(e: unknown): Msg {
  if (e instanceof DmError) return { ok: false, code: e.code, error: e.message };
  return { ok: false, code: -1, error: e instanceof Error ? e.message : String(e) };
}

/** Turn an error reply back into the DmError it was. */
export function raise(reply: Msg): Msg {
  if (reply.ok === false) throw new DmError(Number(reply.code ?? -1), String(reply.error ?? 'error'));
  return reply;
}

/** A client connection; requests may overlap, replies are matched by id. */
export class JsonClient {
  private buf = '';
  private nextId = 1;
  private pending = new Map<
    number,
    { resolve: (m: Msg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private closedErr: Error | undefined;
  private closeFns: (() => void)[] = [];

  private constructor(
    private readonly sock: net.Socket,
    readonly target: string,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      this.buf += d.toString('utf8');
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        let msg: Msg;
        try {
          msg = JSON.parse(line) as Msg;
        } catch {
          continue;
        }
        const p = this.pending.get(Number(msg.id));
        if (p) {
          clearTimeout(p.timer);
          this.pending.delete(Number(msg.id));
          p.resolve(msg);
        }
      }
    });
    const fail = () => {
      this.closedErr ??= new DmError(E.CONNECT, `connection to ${target} lost`);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(this.closedErr);
      }
      this.pending.clear();
      const fns = this.closeFns;
      this.closeFns = [];
      for (const fn of fns) fn();
    };
    sock.on('error', fail);
    sock.on('close', fail);
  }

  static connect(host: string, port: number, timeoutMs = 1000): Promise<JsonClient> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new DmError(E.CONNECT, `connect to ${host}:${port} timed out`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new JsonClient(sock, `${host}:${port}`));
      });
      sock.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new DmError(E.CONNECT, `cannot connect to ${host}:${port}: ${e.code ?? e.message}`));
      });
    });
  }

  get closed(): boolean {
    return this.closedErr !== undefined || this.sock.destroyed;
  }

  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.closeFns.push(fn);
  }

  request(msg: Msg, timeoutMs = 2000): Promise<Msg> {
    if (this.closed)
      return Promise.reject(this.closedErr ?? new DmError(E.CONNECT, `connection to ${this.target} closed`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new DmError(E.CONNECT, `no reply from ${this.target} to ${String(msg.op)} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.sock.write(JSON.stringify({ ...msg, id }) + '\n');
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

/** One request on a fresh connection. */
export async function requestOnce(host: string, port: number, msg: Msg, timeoutMs = 1500): Promise<Msg> {
  const c = await JsonClient.connect(host, port, timeoutMs);
  try {
    return await c.request(msg, timeoutMs);
  } finally {
    c.close();
  }
}

/** The address to dial for a host-local service bound on `addr` (wildcard means loopback). */
export function dialable(addr: string): string {
  if (addr === '0.0.0.0' || addr === '') return '127.0.0.1';
  if (addr === '::') return '::1';
  return addr;
}
