// Shared helpers for the executor tests: an executor aimed at a lab, and a log that can be inspected.

import {
  SshExecutor,
  type ExecutorOptions,
  type HostSpec,
  type LogLevel,
  type SshLogger,
} from '../../lib/ssh';
import type { Lab } from '../lab/lab';

export interface CapturedLog extends SshLogger {
  lines: string[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  return {
    lines,
    log(level: LogLevel, message: string) {
      lines.push(`${level} ${message}`);
    },
    text: () => lines.join('\n'),
  };
}

/** The lab's hosts as the executor sees them (SSH to the public address). */
export function labHosts(lab: Lab, names?: readonly string[]): HostSpec[] {
  return lab.hosts
    .filter((h) => !names || names.includes(h.name))
    .map((h) => ({ name: h.name, address: h.public, port: h.sshPort }));
}

/** An executor for the lab, with its key and known_hosts; options override the defaults. */
export function labExecutor(
  lab: Lab,
  opts: Partial<ExecutorOptions> = {},
  names?: readonly string[],
): SshExecutor {
  return new SshExecutor(labHosts(lab, names), {
    auth: { privateKeyPath: lab.descriptor.privateKeyPath },
    knownHostsPath: lab.descriptor.knownHostsPath,
    user: lab.descriptor.user,
    ...opts,
  });
}

/** Poll until `check` is true (bounded). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The largest number of [start, end] intervals that overlap at any instant. */
export function maxOverlap(intervals: readonly [number, number][]): number {
  const events = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]) as [number, number][];
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // ends before starts at the same instant
  let cur = 0;
  let max = 0;
  for (const [, d] of events) {
    cur += d;
    max = Math.max(max, cur);
  }
  return max;
}
