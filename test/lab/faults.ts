// Faults a test can inject on a lab host. Network cuts live in network.ts (setHostLinks).

import { hostRun, isAlive, processesIn, type HostNs, type ProcInfo } from './host-exec';
import { HOST_DATA } from './names';

export const FILL_FILE = `${HOST_DATA}/.dmlab-fill`;

/** Processes of a host whose command line matches (sshd shows e.g. "sshd: root@notty" for a session). */
export function matchingProcesses(ns: HostNs, pattern: string | RegExp): ProcInfo[] {
  const test =
    typeof pattern === 'string' ? (c: string) => c.includes(pattern) : (c: string) => pattern.test(c);
  return processesIn([ns.netnsFile, ns.mountNsFile]).filter((p) => isAlive(p.pid) && test(p.cmdline));
}

/** Send a signal to every matching process on the host; returns their pids. */
export function killMatching(ns: HostNs, pattern: string | RegExp, signal: NodeJS.Signals): number[] {
  const pids: number[] = [];
  for (const p of matchingProcesses(ns, pattern)) {
    try {
      process.kill(p.pid, signal);
      pids.push(p.pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Fill the host's data disk (the tmpfs at /dm/data) to the last byte; returns the bytes now free. */
export async function fillDisk(ns: HostNs): Promise<number> {
  // cat stops at ENOSPC; the tmpfs size bounds both the time and the memory this takes.
  await hostRun(ns, ['sh', '-c', `cat /dev/zero >> ${FILL_FILE}`], { allowFailure: true, timeoutMs: 60_000 });
  return freeBytes(ns);
}

export async function freeDisk(ns: HostNs): Promise<void> {
  await hostRun(ns, ['rm', '-f', FILL_FILE]);
}

export async function freeBytes(ns: HostNs, dir = HOST_DATA): Promise<number> {
  const res = await hostRun(ns, ['df', '-B1', '--output=avail', dir]);
  return Number(res.stdout.trim().split('\n').pop());
}
