/**
 * One local-exec provisioner run, as Terraform runs it on Linux: `/bin/sh -c <command>` with the
 * base environment plus the provisioner's own, in its working directory. Each run leads its own
 * process group, so a timeout or a simulated crash kills the command and everything it started.
 * Output is streamed line by line; the last 8 KiB (Terraform's buffer size) are kept for the error.
 */
import { spawn } from 'node:child_process';

const TAIL_BYTES = 8 * 1024;

/** The process groups of the provisioners running now, so a simulated crash can kill them all. */
export class ProcessGroups {
  private readonly pids = new Set<number>();

  add(pid: number): void {
    this.pids.add(pid);
  }

  delete(pid: number): void {
    this.pids.delete(pid);
  }

  killAll(): void {
    for (const pid of this.pids) killGroup(pid);
  }
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export interface LocalExecSpec {
  command: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  timeoutMs: number;
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
}

export interface LocalExecResult {
  ok: boolean;
  /** How it ended: `exit status 3`, `killed by SIGKILL`, `timed out after 100 ms`, `could not start: ...` */
  status: string;
  /** The last 8 KiB of stdout and stderr, interleaved as they arrived. */
  tail: string;
}

export function runLocalExec(spec: LocalExecSpec, groups: ProcessGroups): Promise<LocalExecResult> {
  return new Promise((resolve) => {
    let tail = '';
    let timedOut = false;
    let settled = false;
    const child = spawn('/bin/sh', ['-c', spec.command], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    if (pid !== undefined) groups.add(pid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, spec.timeoutMs);
    const settle = (r: LocalExecResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (pid !== undefined) groups.delete(pid);
      resolve(r);
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      const s = child[stream];
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        tail = (tail + chunk).slice(-TAIL_BYTES);
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const l of lines) spec.onLine(l, stream);
      });
      s.on('end', () => {
        if (partial) spec.onLine(partial, stream);
      });
    }
    child.on('error', (e) => settle({ ok: false, status: `could not start: ${e.message}`, tail }));
    child.on('close', (code, signal) => {
      if (timedOut) settle({ ok: false, status: `timed out after ${spec.timeoutMs} ms`, tail });
      else if (signal) settle({ ok: false, status: `killed by ${signal}`, tail });
      else settle({ ok: code === 0, status: `exit status ${code}`, tail });
    });
  });
}
