// lib/ssh: remote execution over ssh2 (DESIGN.md §6).
export {
  SshExecutor,
  type HostSpec,
  type ExecutorOptions,
  type WriteFileOptions,
  type CopyOptions,
  type CopyResult,
} from './executor';
export { ExecError, type ExecOptions, type ExecResult } from './exec';
export { SshError, HostKeyError, type SshErrorCode } from './errors';
export type { SshAuth } from './auth';
export type { ConnectionStats } from './connection';
export { ConnectionPool } from './pool';
export type { RetryPolicy } from './connect';
export type { TransferProgress, TransferTuning } from './transfer';
export type { WriteProgress } from './atomic-write';
export { silentLogger, stderrLogger, type SshLogger, type LogLevel } from './log';
export { shQuote, shJoin } from './quote';
export { fingerprint, knownHostsLine } from './known-hosts';
