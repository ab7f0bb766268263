// Can this machine run a lab? Synchronous, so test files can decide at collection time
// (describe.skipIf) and print why they skip. CI runs as root with every tool installed and skips nothing.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Availability {
  ok: boolean;
  /** Why labs cannot run here (set when ok is false). */
  reason?: string;
  /** Set when missing tools are the only reason (Linux, root and namespaces are there). */
  missingTools?: string[];
}

/** Tools a lab uses, and the Debian package that provides each. */
export const LAB_TOOLS: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  // the deploy's steps check processes with `ps` on the hosts, which share this machine's /usr
  ps: 'procps',
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

/** Check again, ignoring and replacing the cached answer (after installing the tools). */
export function recheckLabAvailability(): Availability {
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
  if (!fs.existsSync('/proc/self/ns/net') || !fs.existsSync('/proc/self/ns/mnt')) {
    return { ok: false, reason: 'test/lab needs a kernel with network and mount namespaces (/proc/self/ns)' };
  }
  const lacking = lackingCapabilities();
  if (lacking.length > 0) {
    return {
      ok: false,
      reason:
        `test/lab needs ${lacking.join(' and ')}, which this root process lacks ` +
        '(an unprivileged container? run it with docker run --privileged)',
    };
  }
  const missing = Object.keys(LAB_TOOLS).filter((t) => !findTool(t));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => LAB_TOOLS[t]))].join(' ');
    return {
      ok: false,
      reason: `test/lab needs ${missing.join(', ')}: install them with apt-get install -y ${pkgs}`,
      missingTools: missing,
    };
  }
  return { ok: true };
}

/** Capabilities a lab needs (network namespaces and links; mounts) that this process lacks. */
function lackingCapabilities(): string[] {
  let eff: bigint;
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (!m?.[1]) return [];
    eff = BigInt(`0x${m[1]}`);
  } catch {
    return []; // cannot tell: let the lab try
  }
  const caps: [string, bigint][] = [
    ['CAP_NET_ADMIN', 12n],
    ['CAP_SYS_ADMIN', 21n],
  ];
  return caps.filter(([, bit]) => ((eff >> bit) & 1n) === 0n).map(([name]) => name);
}
