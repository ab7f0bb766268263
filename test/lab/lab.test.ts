import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { leftovers, listLabNames, sweepStaleLabs } from './cleanup';
import { Lab } from './lab';
import { hostPaths, netnsName, subnet } from './names';
import { EPHEMERAL_PORTS } from './network';
import { labAvailabilityForTests, labName, sharedLab, useLab } from './vitest';

const avail = labAvailabilityForTests();

/** Try a TCP connection from inside a host (node is on the shared root file system). */
async function probe(lab: Lab, from: string, addr: string, port = 22, timeoutMs = 1500): Promise<string> {
  const js =
    `const s=require('net').connect({host:${JSON.stringify(addr)},port:${port},timeout:${timeoutMs}});` +
    `s.on('connect',()=>{console.log('open');s.destroy()});` +
    `s.on('timeout',()=>{console.log('timeout');s.destroy()});` +
    `s.on('error',e=>console.log(e.code))`;
  const res = await lab.exec(from, [process.execPath, '-e', js], { timeoutMs: timeoutMs + 5000 });
  return res.stdout.trim();
}

/** The same probe from the runner (the root namespace). */
function probeHere(addr: string, port = 22, timeoutMs = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: addr, port, timeout: timeoutMs });
    s.on('connect', () => (s.destroy(), resolve('open')));
    s.on('timeout', () => (s.destroy(), resolve('timeout')));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

function ssh(lab: Lab, addr: string, command: string): Promise<{ code: number | null; out: string }> {
  const d = lab.descriptor;
  return new Promise((resolve) => {
    const args = [
      '-i', d.privateKeyPath,
      '-o', `UserKnownHostsFile=${d.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
      '-o', 'ConnectTimeout=5',
      `${d.user}@${addr}`,
      command,
    ]; // prettier-ignore
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code) => (clearTimeout(t), resolve({ code, out })));
  });
}

/** Run the lab CLI (as `npm run lab -- ...` does). */
function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/lab/cli.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('close', (code) => (clearTimeout(t), resolve({ code, out })));
  });
}

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('test/lab: hosts in miniature', () => {
  const lab = useLab({ name: 'tlab', hosts: ['a', 'b', { name: 'c', dataDiskMiB: 8 }] });

  it('gives each host a public and a private address in 198.18.0.0/15 and no route out', async () => {
    const a = lab().host('a');
    expect(a.public).toMatch(/^198\.1[89]\./);
    expect(a.private).toMatch(/^198\.1[89]\./);
    const routes = JSON.parse((await lab().exec('a', ['ip', '-j', '-4', 'route'])).stdout) as {
      dst: string;
    }[];
    expect(routes.map((r) => r.dst).sort()).toEqual(
      [subnet(lab().descriptor.slot, 'private'), subnet(lab().descriptor.slot, 'public')].sort(),
    );
    // Hosts reach each other on both networks; anything else is unroutable, not merely filtered.
    const b = lab().host('b');
    expect(await probe(lab(), 'a', b.public)).toBe('open');
    expect(await probe(lab(), 'a', b.private)).toBe('open');
    expect(await probe(lab(), 'a', '192.0.2.1')).toBe('ENETUNREACH');
    expect(await probe(lab(), 'a', '127.0.0.1', 9)).toBe('ECONNREFUSED'); // its own loopback, nothing else
  });

  it("takes a host's outgoing local ports from a range where no lab spec listens", async () => {
    const r = await lab().exec('a', ['cat', '/proc/sys/net/ipv4/ip_local_port_range']);
    expect(r.stdout.trim().split(/\s+/).join(' ')).toBe(EPHEMERAL_PORTS);
  });

  it('runs OpenSSH sshd -r on port 22 of both addresses, each host with its own host key', async () => {
    for (const h of lab().hosts) {
      const listener = lab()
        .findProcesses(h.name, /sshd/)
        .find((p) => p.cmdline.includes(' -r '));
      expect(listener, `sshd -r on ${h.name}`).toBeDefined();
    }
    // OpenSSH's own client, with strict host-key checking against the lab's known_hosts, on both
    // addresses of every host (in parallel: each ssh takes ~0.3 s here).
    const logins = await Promise.all(
      lab().hosts.flatMap((h) => [h.public, h.private].map((addr) => ssh(lab(), addr, 'echo ok'))),
    );
    for (const res of logins) {
      expect(res.out).toContain('ok');
      expect(res.code).toBe(0);
    }
    const keys = lab().hosts.map((h) => h.hostKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives each host a private /dm with a small tmpfs data disk', async () => {
    await lab().sh('a', 'echo from-a > /dm/probe && echo data-a > /dm/data/probe');
    expect((await lab().sh('b', 'cat /dm/probe 2>&1 || true')).stdout).toMatch(/No such file/);
    expect(fs.readFileSync(lab().dmPath('a', '/dm/probe'), 'utf8')).toBe('from-a\n');
    expect(fs.existsSync('/dm/probe')).toBe(false); // the runner's /dm is untouched
    const df = (await lab().exec('c', ['df', '-B1M', '--output=size,fstype', '/dm/data'], {})).stdout;
    expect(df).toMatch(/\s8\s+tmpfs/);
  });

  it('cuts a host off the network and restores it', async () => {
    const b = lab().host('b');
    await lab().cut('b');
    expect(await lab().linkState('b', 'public')).toBe('down');
    expect(await probeHere(b.public, 22, 600)).not.toBe('open');
    expect(await probe(lab(), 'a', b.private, 22, 600)).not.toBe('open');
    await lab().restore('b');
    expect(await probeHere(b.public)).toBe('open');
    expect(await probe(lab(), 'a', b.private)).toBe('open');
  });

  it('kills a process on a host and only there', async () => {
    await lab().sh('a', 'setsid sleep 600 </dev/null >/dev/null 2>&1 &');
    await lab().sh('b', 'setsid sleep 600 </dev/null >/dev/null 2>&1 &');
    const deadline = Date.now() + 5000;
    while (lab().findProcesses('a', 'sleep 600').length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const killed = lab().kill('a', 'sleep 600');
    expect(killed.length).toBe(1);
    for (let i = 0; i < 100 && lab().findProcesses('a', 'sleep 600').length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(lab().findProcesses('a', 'sleep 600')).toEqual([]);
    expect(lab().findProcesses('b', 'sleep 600').length).toBe(1);
  });

  it('fills a host data disk and frees it', async () => {
    expect(await lab().fillDisk('c')).toBe(0);
    const write = await lab().sh('c', 'head -c 4096 /dev/zero > /dm/data/more', { allowFailure: true });
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/No space left/);
    await lab().freeDisk('c');
    expect(await lab().freeBytes('c')).toBeGreaterThan(7 * 1024 * 1024);
  });

  it('restarts sshd with new settings', async () => {
    await lab().startSshd('a', { maxSessions: 3 });
    const cfg = fs.readFileSync(hostPaths(lab().name, 'a').sshdConfig, 'utf8');
    expect(cfg).toMatch(/^MaxSessions 3$/m);
    expect((await ssh(lab(), lab().host('a').public, 'echo ok')).out).toContain('ok');
  });
});

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('test/lab: lifecycle', () => {
  it('down leaves no namespace, link, mount, process or directory behind', async () => {
    const name = labName('tdown');
    const lab = await Lab.up({ name, hosts: ['a', 'b'] });
    await lab.sh('a', 'setsid sleep 600 </dev/null >/dev/null 2>&1 &');
    expect((await lab.leftovers()).length).toBeGreaterThan(0);
    await lab.down();
    expect(await lab.leftovers()).toEqual([]);
    expect(fs.readdirSync('/run/netns').filter((n) => n.startsWith(`dmlab-${name}-`))).toEqual([]);
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(`/run/dmlab/${name}/`);
    expect(await listLabNames()).not.toContain(name);
  });

  it('up removes a stale lab of the same name first', async () => {
    const name = labName('tstale');
    const first = await Lab.up({ name, hosts: ['a'] });
    await first.sh('a', 'echo stale > /dm/marker');
    // No down: as if the run had crashed. Bringing it up again must work and start clean.
    const second = await Lab.up({ name, hosts: ['a', 'b'] });
    try {
      expect((await second.sh('a', 'ls /dm')).stdout).not.toContain('marker');
      expect((await ssh(second, second.host('b').public, 'echo ok')).out).toContain('ok');
      expect(
        fs
          .readdirSync('/run/netns')
          .filter((n) => n.startsWith(`dmlab-${name}-`))
          .sort(),
      ).toEqual([netnsName(name, 'a'), netnsName(name, 'b')]);
    } finally {
      await second.down();
    }
  });

  it("removes a crashed run's lab (its owner was SIGKILLed) with `lab down --stale`, sparing live labs", async () => {
    const crashed = labName('tcrash');
    // One process (no tsx wrapper), so SIGKILL kills the lab's owner itself.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.resolve('test/lab/crash-child.ts'), crashed],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const up = await new Promise<string>((resolve) => {
      let out = '';
      const t = setTimeout(() => resolve(out), 30_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('up')) {
          clearTimeout(t);
          resolve(out);
        }
      });
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    });
    expect(up).toContain('up');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    expect((await leftovers(crashed)).length).toBeGreaterThan(0);
    // `down` (no name) and the next run's global setup find stale labs the same way.
    const res = await cli(['down', '--stale']);
    expect(res.code).toBe(0);
    expect(await leftovers(crashed)).toEqual([]); // (a concurrent run's sweep may have got there first)
    // The shared lab's owner (this run's vitest main process) is alive: it is kept.
    expect(await listLabNames()).toContain(sharedLab().name);
    expect(await sweepStaleLabs()).not.toContain(sharedLab().name);
  }, 60_000);

  it('the CLI brings a lab up, reports it, and takes it down', async () => {
    const name = labName('tcli');
    const up = await cli(['up', '--name', name, '--hosts', 'x,y']);
    expect(up.code).toBe(0);
    expect(up.out).toMatch(/x\s+public 198\.18\.\d+\.10/);
    const status = await cli(['status', '--name', name]);
    expect(status.out).toMatch(/y\s+sshd pid \d+, links public up private up/);
    const down = await cli(['down', '--name', name]);
    expect(down.code).toBe(0);
    expect(await leftovers(name)).toEqual([]);
  }, 60_000);
});
