// One SSH connection per host, shared by every step of a run, and the queue of channels on it.
// The connection is opened on first use and re-opened on the next use after it was lost; a channel
// that was open when it was lost fails (its command's outcome is unknown) and is never replayed.

import type { Client } from 'ssh2';
import type { ResolvedAuth } from './auth';
import { connect, where, type ConnectOptions, type SshTarget } from './connect';
import { SshError, describeCause } from './errors';
import { SessionSlots } from './session-slots';

export interface ConnectionStats {
  /** Connections opened so far (1 for a healthy run). */
  connects: number;
  /** Time spent opening them (key read, TCP, handshake, authentication), in ms. */
  connectMs: number;
  channelsOpened: number;
  /** Channel opens the server refused (over its MaxSessions) and that were queued again. */
  channelsRefused: number;
  peakSessions: number;
  sessionLimit: number;
}

export interface ConnectionOptions extends Omit<ConnectOptions, 'auth'> {
  /** Credentials, resolved (key read and decrypted) once for all hosts when first needed. */
  auth: () => Promise<ResolvedAuth>;
  /** Concurrent channels on the connection: the server's MaxSessions. @default 10 */
  maxSessions: number;
  /** How long a request may wait for a free channel slot. @default 600000 */
  queueTimeoutMs: number;
}

// RFC 4254 §5.1 reasons. OpenSSH refuses a session over MaxSessions with 2 ("open failed").
const OPEN_ADMINISTRATIVELY_PROHIBITED = 1;
const OPEN_CONNECT_FAILED = 2;

/**
 * Which refusals prove the server's limit is lower than ours. OpenSSH frees a closed session on
 * the main-loop pass AFTER the one that reads our CHANNEL_CLOSE, so a CHANNEL_OPEN read together
 * with a CLOSE is refused although we had released the slot ("ghost" sessions; in the lab about
 * half the opens under full load). Any answer to a request proves the server has read, and will
 * free before reading further, every CLOSE we sent before that request. So: number the releases,
 * note the number each open was sent at, and on a refusal count the releases not yet proven.
 * No ghosts: the server's limit really is lower. Ghosts: just the race; retry (nothing ran).
 */
class CloseLedger {
  /** Channels released so far. */
  released = 0;
  /** Releases the server has certainly processed. */
  proven = 0;
  /** Channels whose open was answered and which are not released. */
  open = 0;
  private opens = 0;
  /** Opens sent and not yet answered, by send order. */
  private readonly pending = new Set<number>();

  /** Record an open being sent; returns its ticket. */
  sent(): { seq: number; releasedAt: number; ghosts: number } {
    const seq = this.opens++;
    this.pending.add(seq);
    return { seq, releasedAt: this.released, ghosts: this.released - this.proven };
  }

  /** An open was answered, either way. */
  answered(t: { seq: number; releasedAt: number }): void {
    this.pending.delete(t.seq);
    this.proven = Math.max(this.proven, t.releasedAt);
  }

  /** An upper bound on the server's session limit this refusal proves, or undefined if ghosts may explain it. */
  provenLimit(t: { seq: number; releasedAt: number; ghosts: number }): number | undefined {
    if (t.ghosts > 0) return undefined;
    // Sessions the server may have held: open now, opened by requests sent earlier whose answer
    // (for exec: the reply to the exec request) is still on its way, and closed since we sent.
    const earlier = [...this.pending].filter((s) => s < t.seq).length;
    return this.open + earlier + (this.released - t.releasedAt);
  }

  reset(): void {
    this.proven = this.released;
    this.open = 0;
    this.pending.clear();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class HostConnection {
  readonly slots: SessionSlots;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private closed = false;
  private readonly counters = { connects: 0, connectMs: 0, channelsOpened: 0, channelsRefused: 0 };
  private readonly ledger = new CloseLedger();

  constructor(
    readonly target: SshTarget,
    private readonly opts: ConnectionOptions,
  ) {
    this.slots = new SessionSlots(opts.maxSessions);
  }

  get label(): string {
    return where(this.target);
  }

  /** True once close() was called: the connection is never used again. */
  get isClosed(): boolean {
    return this.closed;
  }

  stats(): ConnectionStats {
    return { ...this.counters, peakSessions: this.slots.peak, sessionLimit: this.slots.limit };
  }

  /** The live client, connecting (once, shared by concurrent callers) if needed. */
  async get(): Promise<Client> {
    if (this.closed) throw this.closedError();
    if (this.client) return this.client;
    if (!this.connecting) {
      const started = performance.now();
      this.connecting = this.opts
        .auth()
        .then((auth) => connect(this.target, { ...this.opts, auth }))
        .then(
          (client) => {
            this.connecting = undefined;
            if (this.closed) {
              client.end();
              throw this.closedError();
            }
            this.counters.connects++;
            this.counters.connectMs += performance.now() - started;
            this.client = client;
            const lost = (why: string) => {
              if (this.client !== client) return;
              this.client = undefined;
              if (!this.closed)
                this.opts.log.log(
                  'warn',
                  `${this.label}: connection lost (${why}); the next step reconnects`,
                );
            };
            client.on('error', (e: Error) => lost(describeCause(e)));
            client.on('close', () => lost('closed'));
            return client;
          },
          (e: unknown) => {
            this.connecting = undefined;
            throw e;
          },
        );
    }
    return this.connecting;
  }

  /**
   * Run `use` on a new channel, holding a session slot for its whole life. A channel the server
   * refuses (over its MaxSessions) never started anything, so it is safe to queue it again; the slot
   * limit is then lowered to what the server accepted.
   */
  async withChannel<C, T>(
    kind: string,
    open: (client: Client) => Promise<C>,
    use: (channel: C) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const release = await this.slots.acquire(
        this.opts.queueTimeoutMs,
        () =>
          new SshError(
            this.label,
            'QUEUE_TIMEOUT',
            `waited ${this.opts.queueTimeoutMs} ms for a free SSH session (${this.slots.inUse} of ${this.slots.limit} busy, ${this.slots.queued} waiting)`,
            'a command on this host is hanging or the deploy runs too much at once; check the running steps, or raise the server MaxSessions',
          ),
        attempt > 0,
      );
      let channel: C;
      const client = await this.get().catch((e: unknown) => {
        release();
        throw e;
      });
      const ticket = this.ledger.sent();
      try {
        channel = await open(client);
      } catch (e) {
        this.ledger.answered(ticket);
        release();
        const reason = (e as { reason?: unknown }).reason;
        const refused = reason === OPEN_ADMINISTRATIVELY_PROHIBITED || reason === OPEN_CONNECT_FAILED;
        const limit = this.ledger.provenLimit(ticket);
        // A refused channel never started anything, so opening it again is safe.
        if (refused && (limit === undefined || limit > 0)) {
          this.counters.channelsRefused++;
          if (limit !== undefined) this.slots.lowerLimit(limit);
          this.opts.log.log(
            'debug',
            `${this.label}: server refused a ${kind} channel (${limit === undefined ? 'a just-closed session was not freed yet' : `it allows ${limit}`}); session limit ${this.slots.limit}`,
          );
          // The server frees ghost sessions on its next loop pass, so an immediate retry is enough.
          if (attempt >= 3) await sleep(Math.min(10 * attempt, 100));
          continue;
        }
        if (e instanceof SshError) throw e;
        throw new SshError(
          this.label,
          'CHANNEL',
          `cannot open a ${kind} channel: ${describeCause(e)}`,
          refused
            ? 'the server refuses sessions (MaxSessions 0, or a restriction in sshd_config): check sshd_config on the host'
            : 'the connection may have dropped; re-run the deploy (completed steps are skipped)',
          { cause: e },
        );
      }
      this.ledger.answered(ticket);
      this.ledger.open++;
      this.counters.channelsOpened++;
      try {
        return await use(channel);
      } finally {
        this.ledger.open--;
        this.ledger.released++;
        release();
      }
    }
    throw new SshError(
      this.label,
      'CHANNEL',
      `the server refused a ${kind} channel 100 times`,
      'check MaxSessions in sshd_config on the host',
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.slots.rejectAll(() => this.closedError());
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      client.once('close', () => (clearTimeout(t), resolve()));
      client.end();
    });
  }

  private closedError(): SshError {
    return new SshError(
      this.label,
      'CLOSED',
      'the executor was closed',
      'this is a bug in the caller: do not use an executor after close()',
    );
  }
}
