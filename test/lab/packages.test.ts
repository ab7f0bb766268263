// ensureLabPackages' decisions, with the machine injected: no apt-get runs here.

import { describe, expect, it } from 'vitest';
import type { Availability } from './availability';
import { ensureLabPackages, labPackagesFor, runStreaming, type PackageDeps } from './packages';

const MISSING: Availability = {
  ok: false,
  reason: 'test/lab needs sshd: install them with apt-get install -y openssh-server',
  missingTools: ['sshd'],
};

function fake(first: Availability, o: Partial<PackageDeps> & { codes?: number[] } = {}) {
  const calls: string[][] = [];
  const lines: string[] = [];
  const codes = [...(o.codes ?? [])];
  const deps: Partial<PackageDeps> = {
    availability: () => first,
    recheck: () => ({ ok: true }),
    hasAptGet: () => true,
    run: async (argv, line) => {
      calls.push([...argv]);
      line('Reading package lists...');
      return codes.shift() ?? 0;
    },
    ...o,
  };
  return { deps, calls, lines, say: (l: string) => lines.push(l) };
}

describe('labPackagesFor', () => {
  it('always installs the OpenSSH server and client and iproute2', () => {
    expect(labPackagesFor(['sshd'])).toEqual(['openssh-server', 'openssh-client', 'iproute2']);
    expect(labPackagesFor(['ip', 'ssh-keygen'])).toEqual(['openssh-server', 'openssh-client', 'iproute2']);
  });

  it('adds util-linux, mount and procps only for their missing tools, once each', () => {
    expect(labPackagesFor(['nsenter', 'unshare', 'umount', 'ps'])).toEqual([
      'openssh-server',
      'openssh-client',
      'iproute2',
      'util-linux',
      'mount',
      'procps',
    ]);
  });
});

describe('ensureLabPackages', () => {
  it('installs when tools are all that is missing, says why, streams apt-get, and checks again', async () => {
    const f = fake(MISSING);
    const res = await ensureLabPackages(f.say, f.deps);
    expect(res).toEqual({ ok: true });
    expect(f.calls).toEqual([
      ['apt-get', '-o', 'DPkg::Lock::Timeout=120', 'update'],
      [
        'apt-get',
        '-o',
        'DPkg::Lock::Timeout=120',
        'install',
        '-y',
        '--no-install-recommends',
        'openssh-server',
        'openssh-client',
        'iproute2',
      ],
    ]);
    expect(f.lines[0]).toMatch(/need sshd/);
    expect(f.lines[1]).toMatch(/^Installing openssh-server openssh-client iproute2 with apt-get: .*sshd/);
    expect(f.lines).toContain('  apt-get: Reading package lists...');
    expect(f.lines.at(-1)).toMatch(/can run here now/);
  });

  it('returns the reason unchanged, running nothing, when not root, not Linux or without apt-get', async () => {
    const notRoot: Availability = { ok: false, reason: 'test/lab needs root ... (running as uid 1000)' };
    const notLinux: Availability = { ok: false, reason: 'test/lab needs Linux (this is darwin)' };
    for (const [avail, hasApt] of [
      [notRoot, true],
      [notLinux, true],
      [MISSING, false],
      [{ ok: true }, true],
    ] as const) {
      const f = fake(avail, { hasAptGet: () => hasApt });
      expect(await ensureLabPackages(f.say, f.deps)).toBe(avail);
      expect(f.calls).toEqual([]);
      expect(f.lines).toEqual([]);
    }
  });

  it('goes on after a failed apt-get update, and reports a failed install with the original reason', async () => {
    const f = fake(MISSING, { codes: [100, 100] });
    const res = await ensureLabPackages(f.say, f.deps);
    expect(res.ok).toBe(false);
    expect(res.reason).toMatch(
      /^apt-get install openssh-server openssh-client iproute2 failed \(exit 100\); /,
    );
    expect(res.reason).toContain(MISSING.reason);
    expect(f.lines.some((l) => l.startsWith('apt-get update failed (exit 100)'))).toBe(true);
    expect(f.calls).toHaveLength(2);
  });

  it('returns what the fresh check says when the install did not fix it', async () => {
    const still: Availability = { ok: false, reason: 'test/lab needs sshd: ...', missingTools: ['sshd'] };
    const f = fake(MISSING, { recheck: () => still });
    expect(await ensureLabPackages(f.say, f.deps)).toBe(still);
    expect(f.lines.at(-1)).toBe('Installed, but still: test/lab needs sshd: ...');
  });
});

describe('runStreaming', () => {
  it('passes each line of stdout and stderr, with stdin closed and DEBIAN_FRONTEND=noninteractive', async () => {
    const lines: string[] = [];
    const script =
      'echo "$DEBIAN_FRONTEND"; echo err >&2; cat; printf "(db ... 5%%\\r(db ... 100%%\\r(db: 9 files)\\n"; ' +
      'printf "no newline"; exit 3';
    const code = await runStreaming(['sh', '-c', script], (l) => lines.push(l));
    expect(code).toBe(3);
    expect(lines.sort()).toEqual(['(db: 9 files)', 'err', 'no newline', 'noninteractive']);
  });

  it('reports a command that cannot start', async () => {
    const lines: string[] = [];
    expect(await runStreaming(['/nonexistent/apt-get'], (l) => lines.push(l))).toBe(127);
    expect(lines[0]).toMatch(/ENOENT/);
  });
});
