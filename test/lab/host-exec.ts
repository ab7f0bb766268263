// Running commands "on" a lab host and finding its processes. A command enters both of the host's
// namespaces (network and mount), so it sees the host's addresses and its private /dm.

import * as fs from 'node:fs';
import { run, type RunOptions, type RunResult } from './run';

export interface HostNs {
  /** /run/netns/<name> */
  netnsFile: string;
  /** the host's persistent mount-namespace file */
  mountNsFile: string;
}

export function hostArgv(ns: HostNs, argv: readonly string[]): string[] {
  return ['nsenter', `--net=${ns.netnsFile}`, `--mount=${ns.mountNsFile}`, '--', ...argv];
}

export function hostRun(ns: HostNs, argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
  return run(hostArgv(ns, argv), opts);
}

function inode(p: string): number | undefined {
  try {
    return fs.statSync(p).ino; // stat follows /proc/<pid>/ns/* to the namespace's nsfs inode
  } catch {
    return undefined;
  }
}

export interface ProcInfo {
  pid: number;
  cmdline: string;
}

/** Processes inside any of the given namespace files (network or mount). */
export function processesIn(nsFiles: readonly string[]): ProcInfo[] {
  const wanted = new Set(nsFiles.map(inode).filter((i): i is number => i !== undefined));
  if (wanted.size === 0) return [];
  const out: ProcInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const net = inode(`/proc/${pid}/ns/net`);
    const mnt = inode(`/proc/${pid}/ns/mnt`);
    if ((net !== undefined && wanted.has(net)) || (mnt !== undefined && wanted.has(mnt))) {
      let cmdline = '';
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        continue; // exited meanwhile
      }
      out.push({ pid, cmdline });
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie has left its namespaces already; it counts as gone.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** SIGKILL every process in the namespaces and wait (bounded) until they are gone. */
export async function killAllIn(nsFiles: readonly string[], timeoutMs = 5000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Set<number>();
  for (let round = 0; round < 100 && Date.now() < deadline; round++) {
    const procs = processesIn(nsFiles).filter((p) => isAlive(p.pid));
    if (procs.length === 0) return [...killed];
    for (const p of procs) {
      try {
        process.kill(p.pid, 'SIGKILL');
        killed.add(p.pid);
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const left = processesIn(nsFiles).filter((p) => isAlive(p.pid));
  if (left.length > 0) {
    throw new Error(`processes survived SIGKILL: ${left.map((p) => `${p.pid} ${p.cmdline}`).join('; ')}`);
  }
  return [...killed];
}
