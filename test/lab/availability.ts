// Can this machine run a lab? Synchronous, so test files can decide at collection time
// (describe.skipIf) and print why they skip. CI runs as root with every tool installed and skips nothing.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Availability {
  ok: boolean;
  /** Why labs cannot run here (set when ok is false). */
  reason?: string;
}

/** Tools a lab uses, and the Debian package that provides each. */
const TOOLS: Record<string, string> = {
  ip: 'iproute2',
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  mount: 'mount',
  umount: 'mount',
};

export function findTool(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

let cached: Availability | undefined;

export function labAvailability(): Availability {
  if (cached) return cached;
  cached = check();
  return cached;
}

function check(): Availability {
  if (process.platform !== 'linux') {
    return {
      ok: false,
      reason: `test/lab needs Linux network and mount namespaces (this is ${process.platform})`,
    };
  }
  const uid = process.getuid?.();
  if (uid !== 0) {
    return {
      ok: false,
      reason:
        `test/lab needs root to create network namespaces, bridges and mounts (running as uid ${uid}); ` +
        'run the suite as root, as CI does (.ci/run)',
    };
  }
  const missing = Object.keys(TOOLS).filter((t) => !findTool(t));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => TOOLS[t]))].join(' ');
    return {
      ok: false,
      reason: `test/lab needs ${missing.join(', ')}: install them with apt-get install -y ${pkgs}`,
    };
  }
  if (!fs.existsSync('/proc/self/ns/net') || !fs.existsSync('/proc/self/ns/mnt')) {
    return { ok: false, reason: 'test/lab needs a kernel with network and mount namespaces (/proc/self/ns)' };
  }
  return { ok: true };
}
