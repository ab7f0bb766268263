// `npm run lab -- up --dmsim` as a user runs it: the printed spec blocks name the real key,
// known_hosts and addresses, the simulator runs on the hosts, and `down` leaves nothing.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isAlive } from './host-exec';
import { Lab } from './lab';
import { leftovers } from './cleanup';
import { SPEC_BLOCK_HEADER } from './spec-block';
import { labAvailabilityForTests, labName } from './vitest';
import { stepCommand } from '../../lib/cli/remote';
import { planCluster } from '../../lib/plan';
import { givenSecrets } from '../../lib/steps';
import { validateSpec } from '../../lib/validate';

const avail = labAvailabilityForTests();

/** Run the lab CLI (as `npm run lab -- ...` does). */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/lab/cli.ts'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('close', (code) => (clearTimeout(t), resolve({ code, out, err })));
  });
}

/** The YAML block `up` prints: from its header comment to the next blank line. */
function yamlBlock(out: string): string {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith(SPEC_BLOCK_HEADER));
  expect(start, `no "${SPEC_BLOCK_HEADER}" in:\n${out}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

interface Printed {
  ssh: { user: string; privateKeyPath: string; knownHostsPath: string };
  hosts: Record<string, { address: string; public: string; private: string }>;
}

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('npm run lab -- up --dmsim: a lab for your own specs', () => {
  // Run-scoped (userlab<runId>), so concurrent runs never take each other's lab. No --slot: slots
  // are claimed at `up` (the first free one from the name's hash), never fixed per test.
  const name = labName('userlab');
  afterAll(() => Lab.down(name), 60_000); // if a check failed before `down`

  it('prints a spec block for the lab, installs the simulator, and down leaves nothing', async () => {
    const up = await cli(['up', '--name', name, '--hosts', 'DW_P,DW_S1', '--dmsim']);
    expect(up.code, up.out + up.err).toBe(0);
    const lab = await Lab.load(name);
    if (!lab) throw new Error(`lab ${name} is not up after "up":\n${up.out}${up.err}`);
    const d = lab.descriptor;

    const printed = parse(yamlBlock(up.out)) as Printed;
    expect(printed.ssh).toEqual({
      user: 'root',
      privateKeyPath: d.privateKeyPath,
      knownHostsPath: d.knownHostsPath,
    });
    expect(fs.readFileSync(printed.ssh.privateKeyPath, 'utf8')).toContain('PRIVATE KEY');
    const knownHosts = fs.readFileSync(printed.ssh.knownHostsPath, 'utf8');
    expect(Object.keys(printed.hosts)).toEqual(['DW_P', 'DW_S1']);
    for (const h of d.hosts) {
      expect(printed.hosts[h.name]).toEqual({ address: h.public, public: h.public, private: h.private });
      expect(knownHosts).toContain(`${h.public},${h.private} ${h.hostKey}`);
    }
    expect(up.out).toMatch(/DM_SYSDBA_PASSWORD=\S+ npx cdktf deploy/);
    expect(up.out).toContain(`npm run lab -- down --name ${name}`);

    // The blocks make a spec that validates, and whose SSH settings reach the hosts: the deploy's
    // first step, the preflight (tools in /dm/bin, clocks, ports, paths), passes on them.
    const v = validateSpec({
      kind: 'RealtimePair',
      group: 'ULAB',
      oguid: 61001,
      ssh: printed.ssh,
      hosts: printed.hosts,
      primary: { name: 'ULAB_01', host: 'DW_P' },
      standbys: [{ name: 'ULAB_02', host: 'DW_S1' }],
    });
    expect(v.findings.filter((f) => f.severity === 'error')).toEqual([]);
    if (!v.model) throw new Error('the printed blocks do not make a valid spec');
    const errors: string[] = [];
    const saved = process.env.DMDEPLOY_LOG;
    process.env.DMDEPLOY_LOG = path.join(os.tmpdir(), `${name}-dmdeploy.log`);
    try {
      const code = await stepCommand(
        planCluster(v.model),
        'cluster/preflight',
        givenSecrets({ sysdbaPassword: 'Userlab_pw_123' }),
        () => undefined,
        (e) => errors.push(e),
      );
      expect(code, errors.join('')).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.DMDEPLOY_LOG;
      else process.env.DMDEPLOY_LOG = saved;
      fs.rmSync(path.join(os.tmpdir(), `${name}-dmdeploy.log`), { force: true });
    }

    // The simulator is in each host's /dm/bin and runs there: dminit makes a database in /dm/data.
    for (const h of ['DW_P', 'DW_S1']) expect(fs.existsSync(lab.dmPath(h, '/dm/bin/dminit'))).toBe(true);
    const init = await lab.sh('DW_P', '/dm/bin/dminit path=/dm/data/t', { input: 'Userlab_pw_123\n' });
    expect(init.code).toBe(0);
    expect((await lab.sh('DW_P', 'test -f /dm/data/t/DAMENG/dm.ini && echo made')).stdout).toBe('made\n');
    // A detached process on a host, as a deploy leaves dmserver and the watchers behind.
    await lab.sh('DW_S1', 'setsid sleep 600 </dev/null >/dev/null 2>&1 &');
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      pids = lab.findProcesses('DW_S1', 'sleep 600').map((p) => p.pid);
      if (pids.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(pids.length).toBe(1);

    const down = await cli(['down', '--name', name]);
    expect(down.code, down.out + down.err).toBe(0);
    expect(down.out).toContain(`lab ${name}: removed`);
    expect(await leftovers(name)).toEqual([]);
    expect(await Lab.list()).not.toContain(name);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(fs.existsSync(printed.ssh.privateKeyPath)).toBe(false);
    expect(fs.existsSync(path.dirname(lab.dmPath('DW_P', '/dm')))).toBe(false);
    expect((await cli(['down', '--name', name])).out).toContain(`lab ${name}: nothing to remove`);
  }, 120_000);
});
