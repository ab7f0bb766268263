/**
 * What waits for a restart: when a config step writes a file that a running dmserver reads only
 * at its start, it leaves a marker on the host naming the files and that dmserver's pid. The
 * marker holds while the same process runs: once the server has restarted (another pid, or none)
 * it no longer waits. `status` reports a waiting member as a problem; the group's restart step
 * restarts it (`restarts: rolling`) or says that it waits.
 */
import path from 'node:path/posix';
import { resourceName } from '../plan/manifest';
import { shQuote } from '../ssh';
import type { Remote } from './remote';

const markerPath = (r: Remote, instance: string) =>
  path.join(r.dmHome, 'dmdeploy', 'pending', `${resourceName(instance)}.restart`);

interface Marker {
  pid: number;
  files: string[];
}

/** Records that `instance`'s running dmserver (on `iniPath`) waits for a restart to read `files`. */
export async function markPending(
  r: Remote,
  instance: string,
  iniPath: string,
  files: string[],
): Promise<void> {
  const pid = (await r.pidsOf('dmserver', iniPath))[0];
  if (!pid) return;
  const had = await pendingRestart(r, instance, iniPath);
  const marker: Marker = { pid, files: [...new Set([...(had ?? []), ...files])].sort() };
  const file = markerPath(r, instance);
  await r.must(`mkdir -p ${shQuote(path.dirname(file))}`, 'mkdir', 'check the permissions of dmHome');
  await r.ctx.ex.writeFile(r.host, file, `${JSON.stringify(marker)}\n`, { mode: 0o644 });
}

/** The files `instance`'s running dmserver waits to read, or undefined when it waits for nothing. */
export async function pendingRestart(
  r: Remote,
  instance: string,
  iniPath: string,
): Promise<string[] | undefined> {
  const file = markerPath(r, instance);
  if (!(await r.ctx.ex.exists(r.host, file))) return undefined;
  let marker: Marker;
  try {
    marker = JSON.parse((await r.ctx.ex.readFile(r.host, file)).toString('utf8')) as Marker;
  } catch {
    return undefined;
  }
  const pids = await r.pidsOf('dmserver', iniPath);
  return pids.includes(marker.pid) ? marker.files : undefined;
}

export async function clearPending(r: Remote, instance: string): Promise<void> {
  await r.exec(`rm -f ${shQuote(markerPath(r, instance))}`);
}
