/**
 * What waits for a restart: when a config step writes a file that a running dmserver reads only
 * at its start, it leaves a marker on the host naming the files and that dmserver process (its
 * pid, its start time and the host's boot id, so that a pid used again after a reboot is not
 * taken for it). The marker holds while that process runs: once the server has restarted it no
 * longer waits. `status` reports a waiting member as a problem; the group's restart step
 * restarts it (`restarts: rolling`) or says that it waits.
 */
import path from 'node:path/posix';
import { resourceName } from '../plan/manifest';
import { shQuote } from '../ssh';
import type { Remote } from './remote';

const markerPath = (r: Remote, instance: string) =>
  path.join(r.dmHome, 'dmdeploy', 'pending', `${resourceName(instance)}.restart`);

/** A process, as /proc tells it apart: pid, start time (clock ticks since boot), boot id. */
export interface ProcessId {
  pid: number;
  start: string;
  boot: string;
}

interface Marker {
  process: ProcessId;
  files: string[];
  /** The port a SHUTDOWN reaches that process through, where the rewritten files moved it: a DCP proxy's DCP_PORT_NUM as it started. */
  via?: number;
  /** Set by the restart step before its SHUTDOWN: a server found down then was left down by it. */
  stopping?: boolean;
}

/** The dmserver process running on `iniPath`, or undefined. */
export async function serverProcess(r: Remote, iniPath: string): Promise<ProcessId | undefined> {
  const pid = (await r.pidsOf('dmserver', iniPath))[0];
  if (!pid) return undefined;
  const res = await r.exec(
    `cut -d' ' -f22 /proc/${pid}/stat 2>/dev/null; cat /proc/sys/kernel/random/boot_id 2>/dev/null`,
  );
  const [start = '', boot = ''] = res.stdout.trim().split('\n');
  return { pid, start, boot };
}

const same = (a: ProcessId | undefined, b: ProcessId | undefined) =>
  !!a && !!b && a.pid === b.pid && a.start === b.start && a.boot === b.boot;

async function readMarker(r: Remote, instance: string): Promise<Marker | undefined> {
  const file = markerPath(r, instance);
  if (!(await r.ctx.ex.exists(r.host, file))) return undefined;
  try {
    const m = JSON.parse((await r.ctx.ex.readFile(r.host, file)).toString('utf8')) as Marker;
    return m.process ? m : undefined;
  } catch {
    return undefined;
  }
}

async function writeMarker(r: Remote, instance: string, marker: Marker): Promise<void> {
  const file = markerPath(r, instance);
  await r.must(`mkdir -p ${shQuote(path.dirname(file))}`, 'mkdir', 'check the permissions of dmHome');
  await r.ctx.ex.writeFile(r.host, file, `${JSON.stringify(marker)}\n`, { mode: 0o644 });
}

/**
 * Records that the dmserver process `proc` (read before the files were written) waits for a
 * restart to read `files`; nothing when it no longer runs (a server started since has read them).
 */
export async function markPending(
  r: Remote,
  instance: string,
  iniPath: string,
  proc: ProcessId | undefined,
  files: string[],
  via?: number,
): Promise<void> {
  if (!proc || !same(proc, await serverProcess(r, iniPath))) return;
  // a marker of this same process knows the port it started with; later writes keep it (one left
  // by a restart that started it again is of another process, and says nothing of this one)
  const had = await pendingRestart(r, instance, iniPath);
  const mine = had?.state === 'waits' ? had : undefined;
  const port = mine?.via ?? via;
  await writeMarker(r, instance, {
    process: proc,
    files: [...new Set([...(mine?.files ?? []), ...files])].sort(),
    ...(port !== undefined ? { via: port } : {}),
  });
}

/**
 * What `instance`'s dmserver waits for: the files it has not read (the process that ran when they
 * were written still runs: `waits`); or, after the restart step began on it and was cut short,
 * `down` (stopped, not started again) or `restarted` (started again, but its watchers, the monitor
 * and the group's settling not seen through). Undefined when it waits for nothing.
 */
export async function pendingRestart(
  r: Remote,
  instance: string,
  iniPath: string,
): Promise<{ files: string[]; state: 'waits' | 'down' | 'restarted'; via?: number } | undefined> {
  const marker = await readMarker(r, instance);
  if (!marker) return undefined;
  const now = await serverProcess(r, iniPath);
  const via = marker.via !== undefined ? { via: marker.via } : {};
  if (same(marker.process, now)) return { files: marker.files, state: 'waits', ...via };
  if (marker.stopping) return { files: marker.files, state: now ? 'restarted' : 'down', ...via };
  return undefined;
}

/** Before the restart step's SHUTDOWN: if the run is cut short, the next one starts it again. */
export async function markStopping(r: Remote, instance: string, iniPath: string): Promise<void> {
  const marker = await readMarker(r, instance);
  const proc = (await serverProcess(r, iniPath)) ?? marker?.process ?? { pid: 0, start: '', boot: '' };
  await writeMarker(r, instance, {
    process: proc,
    files: marker?.files ?? [],
    stopping: true,
    ...(marker?.via !== undefined ? { via: marker.via } : {}),
  });
}

export async function clearPending(r: Remote, instance: string): Promise<void> {
  await r.exec(`rm -f ${shQuote(markerPath(r, instance))}`);
}
