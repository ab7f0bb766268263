// OpenSSH sshd on a lab host: its own host key and config, listening on port 22 of the host's two
// addresses, started with -r (no re-exec: the re-exec path fails in some sandboxes).

import * as fs from 'node:fs/promises';
import { findTool } from './availability';
import { hostRun, isAlive, type HostNs } from './host-exec';
import { run } from './run';
import type { HostPaths } from './names';

export interface SshdSettings {
  /** sshd's MaxSessions (OpenSSH default 10): how many channels one connection may open at once. */
  maxSessions: number;
  /** Extra sshd_config lines, for tests. */
  extraConfig?: readonly string[];
}

export async function generateKey(file: string, comment: string, passphrase = ''): Promise<void> {
  await fs.rm(file, { force: true });
  await fs.rm(`${file}.pub`, { force: true });
  await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', passphrase, '-C', comment, '-f', file]);
}

export function sshdConfig(paths: HostPaths, addresses: readonly string[], s: SshdSettings): string {
  return [
    `# written by test/lab: do not edit`,
    ...addresses.map((a) => `ListenAddress ${a}:22`),
    `HostKey ${paths.hostKey}`,
    `PidFile ${paths.pidFile}`,
    `AuthorizedKeysFile ${paths.authorizedKeys}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The lab's key files live under /run/dmlab, not in a home directory sshd would check.
    'StrictModes no',
    `MaxSessions ${s.maxSessions}`,
    'MaxStartups 64:30:128',
    'Subsystem sftp internal-sftp',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'LogLevel VERBOSE',
    ...(s.extraConfig ?? []),
    '',
  ].join('\n');
}

export async function writeSshdConfig(
  paths: HostPaths,
  addresses: readonly string[],
  s: SshdSettings,
): Promise<void> {
  await fs.writeFile(paths.sshdConfig, sshdConfig(paths, addresses, s), { mode: 0o600 });
}

async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const n = Number((await fs.readFile(pidFile, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Start sshd as a daemon inside the host and wait until it has bound its sockets (it writes its pid file then). */
export async function startSshd(ns: HostNs, paths: HostPaths): Promise<number> {
  const sshd = findTool('sshd');
  if (!sshd) throw new Error('sshd not found: apt-get install -y openssh-server');
  // Privilege-separation directory that Debian's sshd insists on (normally made by systemd);
  // several labs start at once, so make it without a check-then-create race
  await fs.mkdir('/run/sshd', { mode: 0o755, recursive: true });
  await fs.rm(paths.pidFile, { force: true });
  await hostRun(ns, [sshd, '-r', '-f', paths.sshdConfig, '-E', paths.sshdLog]);
  const deadline = Date.now() + 10_000;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    const pid = await readPid(paths.pidFile);
    if (pid !== undefined && isAlive(pid)) return pid;
    await new Promise((r) => setTimeout(r, 10));
  }
  let log = '';
  try {
    log = (await fs.readFile(paths.sshdLog, 'utf8')).trim().split('\n').slice(-5).join('\n');
  } catch {
    // no log yet
  }
  throw new Error(`sshd did not start within 10 s (config ${paths.sshdConfig}): ${log}`);
}

/** Stop the listening sshd (sessions already open keep their own processes, as on a real host). */
export async function stopSshd(paths: HostPaths): Promise<void> {
  const pid = await readPid(paths.pidFile);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 250 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  await fs.rm(paths.pidFile, { force: true });
}

export async function sshdPid(paths: HostPaths): Promise<number | undefined> {
  const pid = await readPid(paths.pidFile);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}
