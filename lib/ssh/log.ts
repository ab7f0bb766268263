// Logging for the executor. Messages carry the host, the command and outcomes. They never carry
// secrets: a command line must not contain one (secrets go on stdin), stdin is never logged, and
// the key passphrase is never passed to the logger or to ssh2's debug output.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SshLogger {
  log(level: LogLevel, message: string): void;
}

export const silentLogger: SshLogger = { log: () => undefined };

/** A logger that writes one line per message to stderr, at `minLevel` and above. */
export function stderrLogger(minLevel: LogLevel = 'info'): SshLogger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(minLevel);
  return {
    log(level, message) {
      if (order.indexOf(level) >= min) process.stderr.write(`[ssh ${level}] ${message}\n`);
    },
  };
}
