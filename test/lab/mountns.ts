// Each host's private /dm (and /root, /tmp): a persistent mount namespace per host (kept alive by binding its nsfs file
// under the lab's private tmpfs), in which the host's own directory is bind-mounted at /dm and a small
// tmpfs is mounted at /dm/data (the "data disk", small so a test can fill it).

import * as fs from 'node:fs/promises';
import { run } from './run';
import { HOST_DATA, HOST_DM } from './names';

/**
 * The directory holding the nsfs files. `unshare --mount=<file>` refuses a file on a shared mount
 * (the binding would propagate into the new namespace itself), so it gets its own private tmpfs.
 */
export async function createNsDir(nsDir: string, label: string): Promise<void> {
  await fs.mkdir(nsDir, { recursive: true, mode: 0o700 });
  await run(['mount', '-t', 'tmpfs', '-o', 'size=1m,mode=0700', label, nsDir]);
  await run(['mount', '--make-private', nsDir]);
}

export interface HostMountNs {
  nsFile: string;
  nsDir: string;
  dmDir: string;
  /** The host's own /root and /tmp. */
  homeDir: string;
  tmpDir: string;
  dataDiskMiB: number;
  dataLabel: string;
}

export async function createHostMountNs(h: HostMountNs): Promise<void> {
  await fs.mkdir(h.dmDir, { recursive: true, mode: 0o755 });
  await fs.mkdir(h.homeDir, { recursive: true, mode: 0o700 });
  await fs.mkdir(h.tmpDir, { recursive: true });
  await fs.chmod(h.tmpDir, 0o1777);
  // /dm must exist as a mount point. On a machine with a real /dm it is only shadowed inside the
  // host's namespace, never modified; otherwise an empty directory is created once and left in place
  // (removing it later could detach the /dm mounts of another lab's hosts).
  await fs.mkdir(HOST_DM, { recursive: true, mode: 0o755 });
  await fs.writeFile(h.nsFile, '');
  const script = [
    'set -e',
    // Drop this namespace's copy of the nsfs directory: it would pin the other hosts' namespaces.
    `umount -l ${h.nsDir}`,
    `mount --bind ${h.dmDir} ${HOST_DM}`,
    // Each host has its own home and /tmp, as a real one does; this also keeps the runner's
    // dotfiles (a slow ~/.bashrc runs on every SSH command) out of the lab.
    `mount --bind ${h.homeDir} /root`,
    `mount --bind ${h.tmpDir} /tmp`,
    `mkdir -p ${HOST_DATA}`,
    `mount -t tmpfs -o size=${h.dataDiskMiB}m,mode=0755 ${h.dataLabel} ${HOST_DATA}`,
  ].join('\n');
  await run(['unshare', `--mount=${h.nsFile}`, '--propagation', 'private', '--', 'sh', '-c', script]);
}
