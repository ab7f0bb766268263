// Errors from remote execution. Every one names the host and says what to do next, because the
// person reading it is a DBA at a terminal in the middle of a deploy.

export type SshErrorCode =
  /** TCP or SSH handshake failed after all retries (refused, reset, unreachable, timed out). */
  | 'CONNECT'
  /** The server rejected every authentication method. */
  | 'AUTH'
  /** The private key could not be read or decrypted. */
  | 'KEY'
  | 'HOST_KEY_UNKNOWN'
  | 'HOST_KEY_CHANGED'
  | 'HOST_KEY_REVOKED'
  /** The command ran past its timeout and was killed. */
  | 'COMMAND_TIMEOUT'
  /** The channel closed without an exit status: the outcome of the command is unknown. */
  | 'NO_EXIT_STATUS'
  /** The command exited non-zero (only from run(), never from exec()). */
  | 'COMMAND_FAILED'
  /** The server refused to open a channel. */
  | 'CHANNEL'
  /** No session slot became free in time. */
  | 'QUEUE_TIMEOUT'
  | 'SFTP'
  | 'TRANSFER'
  /** The executor was closed. */
  | 'CLOSED';

export interface SshErrorOptions {
  cause?: unknown;
}

export class SshError extends Error {
  override readonly name = 'SshError';

  constructor(
    /** The host's name as the deploy knows it (e.g. DW_P), and its address. */
    readonly host: string,
    readonly code: SshErrorCode,
    /** What happened, without the host prefix. */
    readonly what: string,
    /** The next thing to try. */
    readonly hint: string,
    opts: SshErrorOptions = {},
  ) {
    super(`${host}: ${what}\n  next: ${hint}`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
  }
}

/** A short description of a low-level error (code and message), never including config objects. */
export function describeCause(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    // Errno names help (ECONNREFUSED); SFTP's numeric status codes do not.
    return typeof code === 'string' && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/** A refused host key, with what the user needs to decide: its fingerprint and known_hosts line. */
export class HostKeyError extends SshError {
  constructor(
    host: string,
    code: 'HOST_KEY_UNKNOWN' | 'HOST_KEY_CHANGED' | 'HOST_KEY_REVOKED',
    what: string,
    hint: string,
    /** SHA256:... of the key the server presented. */
    readonly fingerprint: string,
    /** The known_hosts line for the presented key. */
    readonly knownHostsLine: string,
  ) {
    super(host, code, what, hint);
  }
}
