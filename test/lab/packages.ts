// Install what a lab needs on a Debian-like machine, so `npm ci && npm run demo` works as root on a
// fresh one. Only when tools are the sole thing missing (Linux, root and namespaces are there) and
// apt-get exists; otherwise the reason is returned unchanged for the caller to print.

import { spawn } from 'node:child_process';
import {
  findTool,
  labAvailability,
  recheckLabAvailability,
  LAB_TOOLS,
  type Availability,
} from './availability';

/** Always installed together: the lab's sshd, ssh-keygen and ssh, and `ip`. */
const BASE_PACKAGES = ['openssh-server', 'openssh-client', 'iproute2'] as const;

/** The Debian packages to install for these missing tools. */
export function labPackagesFor(missingTools: readonly string[]): string[] {
  const extra = missingTools.map((t) => LAB_TOOLS[t]).filter((p): p is string => !!p);
  return [...new Set<string>([...BASE_PACKAGES, ...extra])];
}

/** What ensureLabPackages uses from the machine (injectable for tests). */
export interface PackageDeps {
  availability: () => Availability;
  /** The availability again, without the cache (after installing). */
  recheck: () => Availability;
  hasAptGet: () => boolean;
  /** Run a command with stdin closed, each output line passed to `line`; resolves to its exit code. */
  run: (argv: readonly string[], line: (s: string) => void) => Promise<number>;
}

/** Up to 10 minutes per apt-get (a slow mirror), then it is stopped. */
const APT_TIMEOUT_MS = 600_000;

function lastDraw(l: string): string {
  return (
    l
      .split('\r')
      .filter((x) => x.trim())
      .at(-1) ?? ''
  ).trimEnd();
}

export function runStreaming(argv: readonly string[], line: (s: string) => void): Promise<number> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('runStreaming: empty command');
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const timer = setTimeout(() => {
      line(`(${cmd} still running after ${APT_TIMEOUT_MS / 60_000} minutes: stopping it)`);
      child.kill('SIGTERM');
    }, APT_TIMEOUT_MS);
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        const lines = (rest + text).split('\n');
        rest = lines.pop() ?? '';
        // a line redrawn with \r (dpkg's progress) counts as what it ends as, as on a terminal
        lines.map(lastDraw).filter(Boolean).forEach(line);
      });
      stream.on('end', () => {
        if (lastDraw(rest)) line(lastDraw(rest));
      });
    }
    child.on('error', (e) => {
      clearTimeout(timer);
      line(`${cmd}: ${e.message}`);
      resolve(127);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

const DEFAULT_DEPS: PackageDeps = {
  availability: labAvailability,
  recheck: recheckLabAvailability,
  hasAptGet: () => !!findTool('apt-get'),
  run: runStreaming,
};

/**
 * Make the lab available if only packages are missing: apt-get update, then install them. Says
 * what it installs and why, streams apt-get's output through `say`, and returns the availability
 * checked afresh. Anything else (not root, not Linux, no apt-get) comes back unchanged.
 */
export async function ensureLabPackages(
  say: (line: string) => void,
  deps: Partial<PackageDeps> = {},
): Promise<Availability> {
  const d = { ...DEFAULT_DEPS, ...deps };
  const avail = d.availability();
  if (avail.ok || !avail.missingTools?.length || !d.hasAptGet()) return avail;

  const pkgs = labPackagesFor(avail.missingTools);
  say(`Lab hosts need ${avail.missingTools.join(', ')}, which this machine lacks.`);
  say(
    `Installing ${pkgs.join(' ')} with apt-get: each lab host is a network namespace running ` +
      "OpenSSH's sshd, wired up with iproute2's ip.",
  );
  if (avail.missingTools.includes('sshd'))
    say(
      "Note: on a machine with systemd, Debian's package also starts its own ssh service on port 22; " +
        'labs do not need it (systemctl disable --now ssh stops it).',
    );
  const apt = (args: readonly string[]) =>
    d.run(['apt-get', '-o', 'DPkg::Lock::Timeout=120', ...args], (l) => say(`  apt-get: ${l}`));

  const updated = await apt(['update']);
  if (updated !== 0)
    say(`apt-get update failed (exit ${updated}); trying the install with the lists we have`);
  const installed = await apt(['install', '-y', '--no-install-recommends', ...pkgs]);
  if (installed !== 0) {
    return {
      ok: false,
      reason: `apt-get install ${pkgs.join(' ')} failed (exit ${installed}); ${avail.reason ?? ''}`,
    };
  }
  const after = d.recheck();
  say(after.ok ? 'Installed: lab hosts can run here now.' : `Installed, but still: ${after.reason}`);
  return after;
}
