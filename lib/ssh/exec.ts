// Running one command on an exec channel.
//
// The timeout is enforced on the host by coreutils `timeout`, which runs the command in its own
// process group and signals the whole group (TERM, then KILL after a grace period), so children
// die too; a signal sent over SSH would reach only the shell. A local timer backs it up in case
// the host does not answer at all.

import type { Client, ClientChannel } from 'ssh2';
import { OutputCapture } from './capture';
import { SshError } from './errors';
import { shQuote } from './quote';

export interface ExecOptions {
  /** Kill the command after this long. @default the executor's defaultTimeoutMs (60 s) */
  timeoutMs?: number;
  /** Sent on the command's standard input, then EOF. The place for secrets (disql's password). Never logged. */
  stdin?: string | Buffer;
  /** Bytes of stdout and of stderr kept (head and tail); the rest is drained and counted. @default 1 MiB */
  maxOutputBytes?: number;
  /** Between TERM and KILL when the timeout expires. @default 2000 */
  killGraceMs?: number;
}

export interface ExecResult {
  /** Host label: name (user@address:port). */
  host: string;
  command: string;
  /** null when the command was killed by a signal. */
  exitCode: number | null;
  /** e.g. "SIGKILL" when killed by a signal. */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
}

/** A timed-out or lost command, with what it printed before. */
export class ExecError extends SshError {
  constructor(
    host: string,
    code: 'COMMAND_TIMEOUT' | 'NO_EXIT_STATUS' | 'COMMAND_FAILED',
    what: string,
    hint: string,
    readonly result: ExecResult,
  ) {
    super(host, code, what, hint);
  }
}

const TIMEOUT_EXIT_CODES = new Set([124, 137]); // coreutils timeout: 124 after TERM, 128+9 after KILL

function seconds(ms: number): string {
  return `${Math.max(ms, 1) / 1000}`;
}

export function wrapWithTimeout(command: string, timeoutMs: number, graceMs: number): string {
  return `exec timeout -k ${seconds(graceMs)} ${seconds(timeoutMs)} sh -c ${shQuote(command)}`;
}

export interface ExecContext {
  host: string;
  timeoutMs: number;
  maxOutputBytes: number;
  killGraceMs: number;
  stdin?: string | Buffer;
}

export interface StartedExec {
  channel: ClientChannel;
  /** Resolves for any exit status; rejects on timeout or a missing exit status. */
  result: Promise<ExecResult>;
}

/**
 * Open an exec channel and start following it. The listeners are attached inside ssh2's callback,
 * synchronously: for a fast command, the exit status and the close can arrive in the same TCP read
 * as the exec confirmation, and an 'exit' listener attached a microtask later would miss it (seen
 * in the lab as a spurious "no exit status" under load).
 */
export function startExec(
  client: Client,
  wrapped: string,
  command: string,
  ctx: ExecContext,
): Promise<StartedExec> {
  return new Promise((resolve, reject) => {
    client.exec(wrapped, (err, channel) => {
      if (err) return reject(err);
      const result = followExec(channel, command, ctx, Date.now());
      result.catch(() => undefined); // the caller awaits it a tick later; not an unhandled rejection
      resolve({ channel, result });
    });
  });
}

/** The last lines a command printed, for error messages. */
export function outputTail(res: ExecResult, lines = 5): string {
  const tail = (res.stderr.trim() || res.stdout.trim()).split('\n').slice(-lines).join('\n    ');
  return tail ? `\n    ${tail}` : '';
}

function followExec(
  channel: ClientChannel,
  command: string,
  ctx: ExecContext,
  started: number,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const out = new OutputCapture(ctx.maxOutputBytes);
    const err = new OutputCapture(ctx.maxOutputBytes);
    let exitCode: number | null | undefined;
    let signal: string | null = null;
    let localTimeout = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    channel.on('data', (b: Buffer) => out.push(b));
    channel.stderr.on('data', (b: Buffer) => err.push(b));
    channel.on('exit', (code: number | null, sig?: string) => {
      exitCode = code;
      signal = code === null ? (sig ?? null) : null;
    });

    const finish = () => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      const durationMs = Date.now() - started;
      const result: ExecResult = {
        host: ctx.host,
        command,
        exitCode: exitCode ?? null,
        signal,
        stdout: out.text(),
        stderr: err.text(),
        stdoutBytes: out.total,
        stderrBytes: err.total,
        stdoutTruncated: out.truncated,
        stderrTruncated: err.truncated,
        durationMs,
      };
      const secs = (ctx.timeoutMs / 1000).toFixed(1);
      // After the grace period, timeout SIGKILLs its whole process group, itself included.
      const remoteTimeout =
        durationMs >= ctx.timeoutMs &&
        ((exitCode != null && TIMEOUT_EXIT_CODES.has(exitCode)) ||
          (exitCode === null && signal === 'SIGKILL'));
      if (localTimeout || remoteTimeout) {
        reject(
          new ExecError(
            ctx.host,
            'COMMAND_TIMEOUT',
            `command timed out after ${secs}s and was killed` +
              (localTimeout
                ? ' (the host stopped answering; it may still be running there)'
                : ` (TERM, then KILL after ${ctx.killGraceMs} ms)`) +
              `: ${command}${outputTail(result)}`,
            "see why it hangs from its last output above and on the host; raise this step's timeout only if it is legitimately slow",
            result,
          ),
        );
      } else if (exitCode === undefined) {
        reject(
          new ExecError(
            ctx.host,
            'NO_EXIT_STATUS',
            `the channel closed without an exit status (the connection was lost or sshd was killed), so it is unknown whether the command completed: ${command}`,
            "check the host's state before re-running; the deploy re-checks each step before acting, so re-running it is safe",
            result,
          ),
        );
      } else if (
        exitCode === 127 &&
        /timeout: (command )?not found|timeout: No such file/.test(result.stderr)
      ) {
        reject(
          new ExecError(
            ctx.host,
            'COMMAND_FAILED',
            'the host has no `timeout` command, which every command runs under (so it can be killed at its deadline)',
            'install coreutils on the host',
            result,
          ),
        );
      } else {
        resolve(result);
      }
    };

    // Backstop: the host's `timeout` should have ended the command by timeoutMs + grace. If it did
    // not, the host is not answering: kill what we can, and give up waiting a little later even if
    // the channel never closes (keepalive will take the connection down).
    timers.push(
      setTimeout(
        () => {
          localTimeout = true;
          channel.signal('KILL');
          channel.close();
          timers.push(setTimeout(finish, 5000));
        },
        ctx.timeoutMs + ctx.killGraceMs + 5000,
      ),
    );
    channel.on('close', finish);
    channel.on('error', () => undefined); // surfaces as a close without exit status
    // Always send EOF: a command that reads stdin must not wait forever for input that never comes.
    if (ctx.stdin !== undefined) channel.end(ctx.stdin);
    else channel.end();
  });
}
