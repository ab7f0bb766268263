// The executor the step runner uses: named hosts, one shared connection each, and the operations
// steps need (exec, atomic file write, file read, host-to-host copy).

import { resolveAuth, type ResolvedAuth, type SshAuth } from './auth';
import { writeFileAtomic, type FileAttributes, type WriteProgress } from './atomic-write';
import type { RetryPolicy, SshTarget } from './connect';
import { HostConnection, type ConnectionStats } from './connection';
import type { ConnectionPool } from './pool';
import { SshError, describeCause } from './errors';
import {
  ExecError,
  outputTail,
  startExec,
  wrapWithTimeout,
  type ExecContext,
  type ExecOptions,
  type ExecResult,
} from './exec';
import { silentLogger, type SshLogger } from './log';
import { shQuote } from './quote';
import { isNoSuchFile, openSftp, type Sftp } from './sftp';
import { TransferSideError, copyFile, type TransferProgress, type TransferTuning } from './transfer';

export interface HostSpec {
  /** The name steps use (e.g. DW_P). */
  name: string;
  address: string;
  /** @default 22 */
  port?: number;
  /** @default ExecutorOptions.user */
  user?: string;
}

export interface ExecutorOptions {
  auth: SshAuth;
  /** The OpenSSH known_hosts file host keys are checked against. */
  knownHostsPath: string;
  /** Accept and record unknown host keys (labs only). @default false */
  trustOnFirstUse?: boolean;
  /** Remote user for hosts that do not name one. */
  user: string;
  /** The servers' MaxSessions: channels open at once per connection. @default 10 (OpenSSH default) */
  maxSessions?: number;
  /** @default 5000 */
  keepaliveIntervalMs?: number;
  /** @default 3 */
  keepaliveCountMax?: number;
  /** Per connection attempt (TCP + handshake + auth). @default 10000 */
  readyTimeoutMs?: number;
  connectRetry?: Partial<RetryPolicy>;
  /** Longest wait for a free session slot. @default 600000 */
  queueTimeoutMs?: number;
  /** Command timeout when exec() is given none. @default 60000 */
  defaultTimeoutMs?: number;
  /** Output kept per stream. @default 1 MiB */
  maxOutputBytes?: number;
  logger?: SshLogger;
  /** ssh2's protocol trace, at debug level. */
  protocolDebug?: boolean;
  /**
   * Lease connections from here, and hand them back on close({ reuse: true }). A pooled connection
   * keeps the logger of the executor that opened it.
   */
  pool?: ConnectionPool;
}

export interface WriteFileOptions {
  /** @default 0o644 */
  mode?: number;
  /** User name or uid. */
  owner?: string | number;
  /** Group name or gid. */
  group?: string | number;
  onProgress?: (p: WriteProgress) => void;
}

export interface CopyOptions extends Omit<WriteFileOptions, 'onProgress'> {
  onProgress?: (p: TransferProgress) => void;
  tuning?: TransferTuning;
}

export interface CopyResult {
  bytes: number;
  durationMs: number;
}

export class SshExecutor {
  private readonly hosts = new Map<string, HostConnection>();
  /** Each host's pool key and its stats when leased (a pooled connection's counters run on). */
  private readonly leased = new Map<string, { key: string; base: ConnectionStats }>();
  private auth: Promise<ResolvedAuth> | undefined;
  private readonly log: SshLogger;
  private readonly idCache = new Map<string, number>();

  constructor(
    hosts: readonly HostSpec[],
    private readonly opts: ExecutorOptions,
  ) {
    this.log = opts.logger ?? silentLogger;
    for (const h of hosts) {
      if (this.hosts.has(h.name)) throw new Error(`host ${h.name} is listed twice`);
      const target: SshTarget = {
        name: h.name,
        address: h.address,
        port: h.port ?? 22,
        user: h.user ?? opts.user,
      };
      const make = () => this.makeConnection(target);
      if (!opts.pool) {
        this.hosts.set(h.name, make());
        continue;
      }
      const key = poolKey(target, opts);
      const conn = opts.pool.lease(key, make);
      this.hosts.set(h.name, conn);
      this.leased.set(h.name, { key, base: conn.stats() });
    }
  }

  private makeConnection(target: SshTarget): HostConnection {
    const o = this.opts;
    return new HostConnection(target, {
      // Read and decrypt the key once, when the first connection needs it.
      auth: () => (this.auth ??= resolveAuth(o.auth)),
      hostKeys: { knownHostsPath: o.knownHostsPath, trustOnFirstUse: o.trustOnFirstUse ?? false },
      keepaliveIntervalMs: o.keepaliveIntervalMs ?? 5000,
      keepaliveCountMax: o.keepaliveCountMax ?? 3,
      readyTimeoutMs: o.readyTimeoutMs ?? 10_000,
      retry: { attempts: 5, initialDelayMs: 250, maxDelayMs: 4000, ...o.connectRetry },
      log: this.log,
      protocolDebug: o.protocolDebug ?? false,
      maxSessions: o.maxSessions ?? 10,
      queueTimeoutMs: o.queueTimeoutMs ?? 600_000,
    });
  }

  private host(name: string): HostConnection {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`unknown host "${name}" (known: ${[...this.hosts.keys()].join(', ')})`);
    return h;
  }

  hostNames(): string[] {
    return [...this.hosts.keys()];
  }

  /** This executor's use of the host's connection (a pooled one counts from the lease). */
  stats(host: string): ConnectionStats {
    const now = this.host(host).stats();
    const base = this.leased.get(host)?.base;
    if (!base) return now;
    return {
      ...now,
      connects: now.connects - base.connects,
      connectMs: now.connectMs - base.connectMs,
      channelsOpened: now.channelsOpened - base.channelsOpened,
      channelsRefused: now.channelsRefused - base.channelsRefused,
    };
  }

  /**
   * Run a shell command. Resolves with its result for ANY exit status (check exitCode, or use run()).
   * Rejects with ExecError on timeout (the command was killed) or when no exit status came back.
   * Never retried: a command that ran once is not run again behind the caller's back.
   */
  async exec(host: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const conn = this.host(host);
    const timeoutMs = opts.timeoutMs ?? this.opts.defaultTimeoutMs ?? 60_000;
    const killGraceMs = opts.killGraceMs ?? 2000;
    const wrapped = wrapWithTimeout(command, timeoutMs, killGraceMs);
    const ctx: ExecContext = {
      host: conn.label,
      timeoutMs,
      killGraceMs,
      maxOutputBytes: opts.maxOutputBytes ?? this.opts.maxOutputBytes ?? 1024 * 1024,
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    };
    return conn.withChannel(
      'exec',
      (client) => startExec(client, wrapped, command, ctx),
      async ({ result }) => {
        this.log.log(
          'debug',
          `${conn.label}: $ ${command}${opts.stdin !== undefined ? ' (with stdin)' : ''}`,
        );
        try {
          const res = await result;
          this.log.log(
            'info',
            `${conn.label}: ${res.exitCode !== null ? `exit ${res.exitCode}` : `killed by ${res.signal}`} in ${res.durationMs} ms: ${command}`,
          );
          return res;
        } catch (e) {
          this.log.log('error', e instanceof Error ? e.message : String(e));
          throw e;
        }
      },
    );
  }

  /** exec(), and reject with ExecError COMMAND_FAILED unless the exit code is 0. */
  async run(host: string, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const res = await this.exec(host, command, opts);
    if (res.exitCode !== 0) {
      const how = res.exitCode !== null ? `exit code ${res.exitCode}` : `signal ${res.signal}`;
      throw new ExecError(
        res.host,
        'COMMAND_FAILED',
        `command failed with ${how}: ${command}${outputTail(res)}`,
        "read the tool's message above; fix the cause on the host or in the spec, then re-run the deploy",
        res,
      );
    }
    return res;
  }

  private withSftp<T>(host: string, what: string, use: (sftp: Sftp) => Promise<T>, hint: string): Promise<T> {
    const conn = this.host(host);
    return conn
      .withChannel('sftp', openSftp, async (sftp) => {
        try {
          return await use(sftp);
        } finally {
          await sftp.end();
        }
      })
      .catch((e: unknown) => {
        if (e instanceof SshError) throw e;
        throw new SshError(conn.label, 'SFTP', `${what} failed: ${describeCause(e)}`, hint, { cause: e });
      });
  }

  /** uid/gid for a user or group name on a host (numbers pass through). */
  private async resolveId(
    host: string,
    kind: 'user' | 'group',
    id: string | number | undefined,
  ): Promise<number | undefined> {
    if (id === undefined || typeof id === 'number') return id;
    if (/^\d+$/.test(id)) return Number(id);
    const key = `${host}\0${kind}\0${id}`;
    const cached = this.idCache.get(key);
    if (cached !== undefined) return cached;
    const cmd = kind === 'user' ? `id -u -- ${shQuote(id)}` : `getent group ${shQuote(id)} | cut -d: -f3`;
    const res = await this.exec(host, cmd, { timeoutMs: 10_000 });
    const n = Number(res.stdout.trim());
    if (res.exitCode !== 0 || !res.stdout.trim() || !Number.isInteger(n)) {
      throw new SshError(
        this.host(host).label,
        'SFTP',
        `no ${kind} named "${id}" on the host`,
        `create the ${kind} first (the DM install step does) or fix the owner in the spec`,
      );
    }
    this.idCache.set(key, n);
    return n;
  }

  private async attributes(
    host: string,
    o: { mode?: number; owner?: string | number; group?: string | number },
  ): Promise<FileAttributes> {
    const attrs: FileAttributes = {};
    if (o.mode !== undefined) attrs.mode = o.mode;
    const uid = await this.resolveId(host, 'user', o.owner);
    const gid = await this.resolveId(host, 'group', o.group);
    if (uid !== undefined) attrs.uid = uid;
    if (gid !== undefined) attrs.gid = gid;
    return attrs;
  }

  /** Replace a file atomically (temp + fsync + posix-rename; owner and mode set before the rename). */
  async writeFile(
    host: string,
    path: string,
    data: string | Buffer,
    opts: WriteFileOptions = {},
  ): Promise<void> {
    const attrs = await this.attributes(host, opts);
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8');
    const { removedStale } = await this.withSftp(
      host,
      `writing ${path}`,
      (sftp) => writeFileAtomic(sftp, path, buf, attrs, opts.onProgress),
      `the old ${path} is unchanged; check that its directory exists and has free space, then re-run (a leftover temp file is removed by the next write)`,
    );
    if (removedStale.length > 0) {
      this.log.log(
        'warn',
        `${this.host(host).label}: removed temp files of an interrupted write: ${removedStale.join(', ')}`,
      );
    }
    this.log.log(
      'info',
      `${this.host(host).label}: wrote ${path} (${buf.length} bytes${attrs.mode !== undefined ? `, mode ${attrs.mode.toString(8)}` : ''})`,
    );
  }

  /** Read a whole (small) file. Rejects if it is larger than maxBytes (default 16 MiB). */
  async readFile(host: string, path: string, maxBytes = 16 * 1024 * 1024): Promise<Buffer> {
    return this.withSftp(
      host,
      `reading ${path}`,
      async (sftp) => {
        const handle = await sftp.open(path, 'r');
        try {
          const size = (await sftp.fstat(handle)).size;
          if (size > maxBytes) throw new Error(`file is ${size} bytes, more than the ${maxBytes} allowed`);
          const buf = Buffer.alloc(size);
          let off = 0;
          for (let i = 0; off < size && i < 100_000; i++) {
            const n = await sftp.read(handle, buf.subarray(off), off);
            if (n === 0) break;
            off += n;
          }
          return buf.subarray(0, off);
        } finally {
          await sftp.close(handle).catch(() => undefined);
        }
      },
      `check that ${path} exists on the host and is readable by the SSH user`,
    );
  }

  /** Does a path exist on the host? */
  async exists(host: string, path: string): Promise<boolean> {
    return this.withSftp(
      host,
      `checking ${path}`,
      (sftp) =>
        sftp.stat(path).then(
          () => true,
          (e: unknown) => {
            if (isNoSuchFile(e)) return false;
            throw e;
          },
        ),
      'check the permissions of the path on the host',
    );
  }

  /**
   * Stream a file from one host to another through this process, without holding it in memory.
   * The destination is replaced atomically; its mode defaults to the source's.
   */
  async copyFile(
    from: { host: string; path: string },
    to: { host: string; path: string },
    opts: CopyOptions = {},
  ): Promise<CopyResult> {
    const attrs = await this.attributes(to.host, opts);
    const started = Date.now();
    const src = this.host(from.host);
    const dst = this.host(to.host);
    const what = `copying ${src.label}:${from.path} to ${dst.label}:${to.path}`;
    const withEnd = (use: (sftp: Sftp) => Promise<number>) => async (sftp: Sftp) => {
      try {
        return await use(sftp);
      } finally {
        await sftp.end();
      }
    };
    const bytes = await src
      .withChannel(
        'sftp',
        openSftp,
        withEnd((s) =>
          dst.withChannel(
            'sftp',
            openSftp,
            withEnd((d) => copyFile(s, from.path, d, to.path, attrs, opts.tuning, opts.onProgress)),
          ),
        ),
      )
      .catch((e: unknown) => {
        if (e instanceof SshError) throw e;
        const onSource = e instanceof TransferSideError && e.side === 'source';
        const cause = e instanceof TransferSideError ? e.error : e;
        throw new SshError(
          onSource ? src.label : dst.label,
          'TRANSFER',
          `${what} failed: ${describeCause(cause)}`,
          onSource
            ? `check that ${from.path} exists on ${from.host} and is readable; the destination is unchanged`
            : `the old ${to.path} on ${to.host} is unchanged; check that its directory exists and has free space, then re-run the step`,
          { cause },
        );
      });
    const durationMs = Date.now() - started;
    this.log.log('info', `${what}: ${bytes} bytes in ${durationMs} ms`);
    return { bytes, durationMs };
  }

  /**
   * Ends the executor. With a pool and `reuse`, its connections go back to the pool for another
   * executor; otherwise they are closed, which ends any channel still open on them.
   */
  async close(opts: { reuse?: boolean } = {}): Promise<void> {
    const pool = this.opts.pool;
    await Promise.all(
      [...this.hosts].map(([name, conn]) => {
        const lease = this.leased.get(name);
        return pool && lease ? pool.release(lease.key, conn, opts.reuse ?? false) : conn.close();
      }),
    );
  }
}

/**
 * What makes two connections interchangeable: the target and every option that shapes the
 * connection or its authentication (the passphrase included: the key never leaves this process).
 */
function poolKey(target: SshTarget, o: ExecutorOptions): string {
  const rest: Partial<ExecutorOptions> = { ...o };
  delete rest.pool;
  delete rest.logger;
  delete rest.auth;
  const auth = o.auth;
  const key = auth.privateKey === undefined ? undefined : Buffer.from(auth.privateKey).toString('base64');
  return JSON.stringify([target, rest, { ...auth, privateKey: key }]);
}

export { ExecError };
