// Opening one SSH connection to a host: host-key check, authentication, keepalive, and retries with
// backoff on transient network errors only (refused, reset, unreachable, timed out). Refused host
// keys, failed authentication and protocol errors are not retried: repeating them cannot help.

import { Client, type AlgorithmList, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import type { ResolvedAuth } from './auth';
import { HostKeyError, SshError, describeCause } from './errors';
import { knownKeyTypes, verifyHostKey, type HostKeyPolicy } from './host-key';
import { hostKeyAlgorithmsFor } from './known-hosts';
import type { SshLogger } from './log';

export interface SshTarget {
  /** The host's name in the cluster spec (e.g. DW_P); used in every message. */
  name: string;
  /** Where SSH goes (address or DNS name). */
  address: string;
  port: number;
  user: string;
}

export interface RetryPolicy {
  /** Connection attempts in total. @default 5 */
  attempts: number;
  /** Delay before the second attempt; doubles each time, with jitter. @default 250 */
  initialDelayMs: number;
  /** @default 4000 */
  maxDelayMs: number;
}

export interface ConnectOptions {
  auth: ResolvedAuth;
  hostKeys: HostKeyPolicy;
  /** SSH-level keepalive (keepalive@openssh.com) interval. @default 5000 */
  keepaliveIntervalMs: number;
  /** Unanswered keepalives before the connection is declared dead. @default 3 */
  keepaliveCountMax: number;
  /** TCP connect + SSH handshake + authentication, per attempt. @default 10000 */
  readyTimeoutMs: number;
  retry: RetryPolicy;
  log: SshLogger;
  /** Send ssh2's protocol trace to the logger at debug level. */
  protocolDebug?: boolean;
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
]);

/** Errors worth another attempt: the network or the server's accept queue, not our credentials. */
export function isTransient(e: unknown): boolean {
  if (e instanceof SshError) return false;
  const err = e as NodeJS.ErrnoException & { level?: string };
  if (err.code && TRANSIENT_CODES.has(err.code)) return true;
  if (err.level === 'client-timeout') return true; // readyTimeout: no handshake in time
  // sshd closes early when over MaxStartups or while starting up.
  return /Connection lost before handshake|Timed out while waiting for handshake/.test(err.message ?? '');
}

export function where(t: SshTarget): string {
  return `${t.name} (${t.user}@${t.address}:${t.port})`;
}

/** One attempt. Resolves with a ready client. */
function connectOnce(
  target: SshTarget,
  opts: ConnectOptions,
  hostKeyAlgos: ServerHostKeyAlgorithm[],
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let refusedKey: HostKeyError | undefined;
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      client.removeAllListeners('ready');
      client.on('error', () => undefined); // late errors of an abandoned attempt
      client.end();
      reject(refusedKey ?? e);
    };
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      client.removeListener('error', fail);
      // Keep a listener: an 'error' with none would crash the process, and the owner attaches
      // its own only a microtask later. Errors after this surface as 'close' to the owner.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', () =>
      fail(Object.assign(new Error('Connection lost before handshake'), { code: 'ECONNRESET' })),
    );
    const config: ConnectConfig = {
      host: target.address,
      port: target.port,
      username: target.user,
      readyTimeout: opts.readyTimeoutMs,
      keepaliveInterval: opts.keepaliveIntervalMs,
      keepaliveCountMax: opts.keepaliveCountMax,
      // ssh2 hands the raw host-key blob to the verifier when hostHash is unset; answering through
      // the callback (returning undefined) makes the check asynchronous, so TOFU can append the file.
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        verifyHostKey(opts.hostKeys, target.name, target.address, target.port, key, opts.log).then(
          (err) => {
            refusedKey = err;
            verify(err === undefined);
          },
          (e: unknown) => {
            refusedKey = new HostKeyError(
              where(target),
              'HOST_KEY_UNKNOWN',
              `cannot read known_hosts ${opts.hostKeys.knownHostsPath}: ${describeCause(e)}`,
              'make the known_hosts file readable (ssh.knownHostsPath in the cluster spec)',
              '',
              '',
            );
            verify(false);
          },
        );
      },
      ...(hostKeyAlgos.length > 0
        ? // ssh2 applies the keys in order: remove them from the defaults, then put them first.
          {
            algorithms: {
              serverHostKey: {
                remove: hostKeyAlgos,
                prepend: hostKeyAlgos,
              } as AlgorithmList<ServerHostKeyAlgorithm>,
            },
          }
        : {}),
    };
    if (opts.auth.privateKey) config.privateKey = opts.auth.privateKey;
    if (opts.auth.passphrase !== undefined) config.passphrase = opts.auth.passphrase;
    if (opts.auth.agent) config.agent = opts.auth.agent;
    if (opts.protocolDebug) config.debug = (m: string) => opts.log.log('debug', `${target.name}: ${m}`);
    try {
      client.connect(config);
      // Without TCP_NODELAY each small request (channel open, exec, EOF) can wait ~40 ms on Nagle
      // and delayed ACKs: a trivial command took 48 ms instead of 5 ms in the lab.
      client.setNoDelay(true);
    } catch (e) {
      fail(e);
    }
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Connect, retrying transient failures with exponential backoff (bounded in attempts and time). */
export async function connect(target: SshTarget, opts: ConnectOptions): Promise<Client> {
  const who = where(target);
  const algos = <ServerHostKeyAlgorithm[]>(
    hostKeyAlgorithmsFor(await knownKeyTypes(opts.hostKeys, target.address, target.port).catch(() => []))
  );
  const started = Date.now();
  let delay = opts.retry.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const client = await connectOnce(target, opts, algos);
      opts.log.log(
        'info',
        `${who}: connected (${opts.auth.summary})${attempt > 1 ? ` after ${attempt} attempts` : ''}`,
      );
      return client;
    } catch (e) {
      if (e instanceof SshError) throw e;
      const err = e as Error & { level?: string };
      if (err.level === 'client-authentication') {
        throw new SshError(
          who,
          'AUTH',
          `authentication failed with ${opts.auth.summary}`,
          `check that the matching public key is in ~${target.user}/.ssh/authorized_keys on ${target.address} ` +
            `and that ssh.user (${target.user}) is right`,
          { cause: e },
        );
      }
      if (!isTransient(e)) {
        throw new SshError(
          who,
          'CONNECT',
          `SSH connection failed: ${describeCause(e)}`,
          'check that the host runs OpenSSH sshd and that the address and port are right',
          { cause: e },
        );
      }
      if (attempt >= opts.retry.attempts) {
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        throw new SshError(
          who,
          'CONNECT',
          `cannot connect after ${attempt} attempts in ${secs}s: ${describeCause(e)}`,
          `check that the host is up, that sshd listens on ${target.address}:${target.port} and that no firewall blocks it; ` +
            're-running the deploy resumes where it stopped',
          { cause: e },
        );
      }
      const wait = Math.round(delay * (0.5 + Math.random() / 2));
      opts.log.log(
        'warn',
        `${who}: connect attempt ${attempt}/${opts.retry.attempts} failed (${describeCause(e)}); retrying in ${wait} ms`,
      );
      await sleep(wait);
      delay = Math.min(delay * 2, opts.retry.maxDelayMs);
    }
  }
}
