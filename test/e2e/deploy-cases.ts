/**
 * Each topology deployed on lab hosts running the DM8 simulator, through the synthesized
 * Terraform (one null_resource or terraform_data per step) run by the real `terraform` binary:
 *   - an apply killed after step k (terraform and its provisioners SIGKILLed), for several k
 *     across the phases, finishes when applied again, and no database is initialised or restored
 *     twice;
 *   - `dmdeploy status --json` then shows one PRIMARY/OPEN, every standby STANDBY/OPEN, archives
 *     VALID, watchers OPEN and the monitor seeing them all;
 *   - a second apply runs no mutating command on any host, nor does an apply that lost its state
 *     (every step probes the real state first; for the topologies flagged lostState);
 *   - destroy stops everything in the order of §6.4 and keeps the data;
 *   - the SYSDBA password appears nowhere: cdk.tf.json, the manifest, the state, a saved plan
 *     (`plan -out`), the process lists sampled on the hosts during the deploy, and every log.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCluster, type Plan } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import type { ClusterStatus } from '../../lib/steps';
import type { SshExecutor } from '../../lib/ssh';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { labExecutor } from '../ssh/helpers';
import {
  DmOverSsh,
  installOnHosts,
  killOurProcesses,
  PASSWORD,
  PS_ROUNDS,
  PS_SEEN,
  startPsSampler,
} from '../dmsim/lab-harness';
import { TfCrash, type TfRunner } from '../tf';
import { terraformForTests } from '../tf/availability';
import { unzipEntries } from '../support/zip';
import { mutatingCommands, perInstance, readLogs, teardownSequence } from './dmsim-log';
import { labSpec, TOPOLOGIES } from './specs';
import { DMDEPLOY, dmdeployStatus, filesUnder, synthStack } from './stack';

const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const run = promisify(execFile);

/** One topology of TOPOLOGIES, by id, as its own test file (files run in parallel labs). */
export function describeDeploy(id: string): void {
  const topo = TOPOLOGIES.find((t) => t.id === id);
  if (!topo) throw new Error(`no topology ${id} in TOPOLOGIES`);
  // skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
  describe.skipIf(!avail.ok || !terraform.ok)(`deploy through Terraform: ${topo.title}`, () => {
    const lab = useLab({ name: `e2e${topo.id}`, hosts: topo.hosts }, 90_000);
    const sampler = () => topo.hosts[0] ?? '';
    let dir = '';
    let specFile = '';
    let stackDir = '';
    let plan: Plan;
    let tf: TfRunner;
    let ex: SshExecutor;
    let output: string[] = [];
    let address: (id: string) => string = (id) => id;

    beforeAll(async () => {
      const l = lab();
      installOnHosts(l, topo.hosts);
      ex = labExecutor(l);
      const dm = new DmOverSsh(ex, (h) => l.host(h).public);
      // the lab's hosts share one PID namespace (only net and mount are their own), so one
      // sampler sees every host's processes; one per host multiplied the forks for nothing
      await startPsSampler(dm, sampler());
      const spec = labSpec(topo, l);
      const v = validateSpec(spec);
      if (!v.model) throw new Error(`spec invalid: ${JSON.stringify(v.findings)}`);
      plan = planCluster(v.model);
      ({ dir, specFile, stackDir, tf, output, address } = synthStack(topo.id, spec, plan.cluster));
    }, 60_000);

    afterAll(async () => {
      await killOurProcesses(lab(), topo.hosts).catch(() => undefined);
      await ex?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 30_000);

    const steps = () => plan.steps.length;
    const log = () => readLogs(lab(), topo.hosts);

    const status = (): Promise<ClusterStatus> => dmdeployStatus(specFile);

    /** `dmdeploy step <id>` on the stack's manifest, outside terraform: its exit code and stderr. */
    const dmdeployStep = (id: string, env: NodeJS.ProcessEnv) => {
      const manifest = filesUnder(stackDir).find((f) => f.endsWith('plan.json')) ?? '';
      return run(DMDEPLOY, ['step', id, '--manifest', manifest], { cwd: dir, env, timeout: 60_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
      );
    };

    it('an apply killed after step k resumes and finishes; nothing is initialised or restored twice', async () => {
      // one step at a time, so "after step k" is exact: k in init, restore/config, and watch phases
      const ks = [2, Math.floor(steps() / 2), steps() - 3];
      let done = 0;
      for (const k of ks) {
        const err = await tf.apply({ crashAfter: k - done, parallelism: 1 }).catch((e: unknown) => e);
        expect(err, `crash after ${k}`).toBeInstanceOf(TfCrash);
        done = k;
      }
      const r = await tf.apply().catch((e: unknown) => {
        throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
      });
      // with the teardown resources, the resources left after the last crash were created now
      expect(r.created.length).toBeGreaterThan(0);
      const l = log();
      const dbs = plan.steps.filter((s) => s.params.kind === 'dminit').length;
      const inits = perInstance(l, 'dminit');
      expect(inits.size).toBe(dbs);
      expect([...inits.values()].every((n) => n === 1)).toBe(true);
      const restores = perInstance(l, 'restore');
      expect(restores.size).toBe(plan.steps.filter((s) => s.params.kind === 'restore').length);
      expect([...restores.values()].every((n) => n === 1)).toBe(true);
    }, 600_000);

    it('dmdeploy status shows one PRIMARY/OPEN, every standby STANDBY/OPEN, archives VALID, watchers OPEN, the monitor seeing all', async () => {
      const s = await status();
      expect(s.problems).toEqual([]);
      expect(s.healthy).toBe(true);
      for (const g of s.groups) {
        const primaries = g.databases.filter((d) => d.mode === 'PRIMARY' && d.status === 'OPEN');
        expect(primaries.map((d) => d.role)).toEqual(['primary']);
        for (const d of g.databases.filter((x) => x.role !== 'primary'))
          expect([d.mode, d.status, d.watcher]).toEqual(['STANDBY', 'OPEN', 'OPEN']);
        for (const d of g.databases) {
          expect(d.oguid).toBe(g.oguid);
          expect(d.watcher).toBe('OPEN');
          expect(d.monitor).toMatchObject({ wstatus: 'OPEN', istatus: 'OPEN' });
        }
        const p = primaries[0];
        // the primary archives locally and to every standby it sends to (7.2.4.3, 7.6, 7.7)
        expect(p?.archives.length).toBeGreaterThanOrEqual(2);
        expect(p?.archives.every((a) => a.status === 'VALID')).toBe(true);
      }
      expect(s.monitor?.answered).toBe(true);
    }, 180_000);

    if (topo.id === 'rt11')
      it('status tells a refused login and a changed host key apart from a database that does not answer', async () => {
        const wrong = await dmdeployStatus(specFile, 'Not_the_password_1');
        expect(wrong.healthy).toBe(false);
        expect(wrong.problems).toEqual(
          expect.arrayContaining([
            expect.stringMatching(
              /GRP1_RT_01 on DW_P: login failed \(check the SYSDBA password\): .*\[-2501\]/,
            ),
          ]),
        );
        expect(wrong.problems.join('\n')).not.toContain('Not_the_password_1');
        // DW_P presents its own key, but known_hosts now pins another host's key for its addresses
        const d = lab().descriptor;
        const p = d.hosts.find((h) => h.name === 'DW_P');
        const other = d.hosts.find((h) => h.name === 'DW_S1');
        const knownHosts = path.join(dir, 'changed_known_hosts');
        writeFileSync(
          knownHosts,
          readFileSync(d.knownHostsPath, 'utf8').replace(
            `${p?.public ?? ''},${p?.private ?? ''} ${p?.hostKey ?? ''}`,
            `${p?.public ?? ''},${p?.private ?? ''} ${other?.hostKey ?? ''}`,
          ),
        );
        const spec = parse(readFileSync(specFile, 'utf8')) as { ssh: Record<string, unknown> };
        const changed = path.join(dir, 'changed-key.yaml');
        writeFileSync(changed, stringify({ ...spec, ssh: { ...spec.ssh, knownHostsPath: knownHosts } }));
        const s = await dmdeployStatus(changed);
        expect(s.healthy).toBe(false);
        expect(s.problems).toEqual(
          expect.arrayContaining([expect.stringMatching(/GRP1_RT_01 on DW_P: host key changed \(/)]),
        );
        // the other database still answers
        expect(s.problems.filter((x) => x.includes('GRP1_RT_02 on DW_S1: host key'))).toEqual([]);
      }, 120_000);

    // one topology is enough for the error path
    if (topo.id === 'rt11')
      it("a failing step names the host, the step, the DM tool's own message and what to try next", async () => {
        const mode = plan.steps.find((s) => s.params.kind === 'mode');
        const r = await dmdeployStep(mode?.id ?? '', {
          ...process.env,
          DM_SYSDBA_PASSWORD: 'Not_the_password_1',
        });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`step ${mode?.id ?? ''} on ${mode?.host ?? ''} failed`);
        expect(r.stderr).toMatch(/DM says: .*\[-\d+\]/);
        expect(r.stderr).toMatch(/next: /);
        expect(r.stderr).not.toContain('Not_the_password_1');
      }, 60_000);

    if (topo.id === 'rt11')
      it('a step with no password in its environment fails, saying where it looked', async () => {
        const mode = plan.steps.find((s) => s.params.kind === 'mode');
        const env = { ...process.env };
        delete env.DM_SYSDBA_PASSWORD;
        const r = await dmdeployStep(mode?.id ?? '', env);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`step ${mode?.id ?? ''} on ${mode?.host ?? ''} failed`);
        expect(r.stderr).toContain('no SYSDBA password: environment variable DM_SYSDBA_PASSWORD is not set');
        expect(r.stderr).toMatch(/next: .*never as a Terraform variable/);
      }, 60_000);

    it('a second apply runs nothing', async () => {
      const before = mutatingCommands(log()).length;
      const again = await tf.apply();
      expect(again.created).toEqual([]);
      expect(again.replaced).toEqual([]);
      expect(mutatingCommands(log()).length).toBe(before);
    }, 300_000);

    // a whole run of every step's probes: proven on the richest topology of each kind (flag lostState)
    if (topo.lostState)
      it('an apply that lost its state runs every step and changes nothing', async () => {
        const before = mutatingCommands(log()).length;
        // the state file gone (a new workspace, say): every step's provisioner runs and probes
        const lost = await tf.apply({ statePath: path.join(dir, 'lost.tfstate.json') });
        expect(lost.created).toEqual(expect.arrayContaining(plan.steps.map((s) => address(s.id))));
        const after = mutatingCommands(log());
        expect(after.slice(before).map((r) => `${r.host} ${String(r.tool)} ${String(r.event)}`)).toEqual([]);
        rmSync(path.join(dir, 'lost.tfstate.json'), { force: true });
      }, 300_000);

    it('the SYSDBA password appears nowhere: Terraform JSON, manifest, state, a saved plan, process lists, logs', async () => {
      const l = lab();
      // a saved plan holds every variable's value: there must be none that carries a secret
      const planFile = path.join(dir, 'saved.tfplan');
      const planned = await tf.plan({ keepPlanFile: planFile });
      expect(planned.create.length + planned.replace.length).toBe(0);
      const saved = unzipEntries(readFileSync(planFile));
      expect(saved.map((e) => e.name)).toContain('tfplan');
      const places: [string, string][] = [
        ...saved.map((e): [string, string] => [`${planFile}:${e.name}`, e.data.toString('latin1')]),
        ...filesUnder(path.join(dir, 'cdktf.out')).map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
        ...filesUnder(dir)
          .filter((f) => /tfstate/.test(f))
          .map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
        ['provisioner output', output.join('\n')],
      ];
      for (const h of topo.hosts) {
        for (const f of [...filesUnder(l.dmPath(h, '/dm/log')), l.dmPath(h, '/dm/dmsim.log')])
          if (existsSync(f)) places.push([`${h}:${f}`, readFileSync(f, 'utf8')]);
      }
      places.push(['ps of every host', (await ex.readFile(sampler(), PS_SEEN)).toString('utf8')]);
      expect(Number((await ex.readFile(sampler(), PS_ROUNDS)).toString('utf8').trim())).toBeGreaterThan(10);
      expect(places.length).toBeGreaterThan(5);
      expect(places.filter(([, text]) => text.includes(PASSWORD)).map(([where]) => where)).toEqual([]);
      // no sensitive value in the config, so Terraform shows the steps' progress; dmdeploy.log has it too
      const progress = readFileSync(path.join(stackDir, 'dmdeploy.log'), 'utf8');
      for (const s of plan.steps) expect(progress).toContain(`[${s.id} @ ${s.host}]`);
      expect(output.some((line) => line.includes(`[${plan.steps[0]?.id ?? ''} @ `))).toBe(true);
      // and it was in play: the manifest is there, and the deploy logged in with it
      expect(places.some(([w]) => w.endsWith('plan.json'))).toBe(true);
      expect(log().some((r) => r.event === 'connect')).toBe(true);
    }, 60_000);

    it('destroy stops the monitor, the standby watchers, the primary watcher, the primary, the standbys (§6.4), and keeps the data', async () => {
      const from = Date.now();
      await tf.destroy();
      // the primary is on DW_P in every topology here
      const { seq, inOrder, allNormal } = teardownSequence(log(), from, ['DW_P']);
      expect(inOrder, seq.join(', ')).toBe(true);
      expect(seq).toContain('primary server');
      expect(seq.filter((x) => x === 'standby server').length).toBe(
        plan.steps.filter((s) => s.params.kind === 'restore').length,
      );
      // every server stopped normally
      expect(allNormal).toBe(true);
      // the data stays (the data disk is mounted inside each host: look over SSH)
      for (const s of plan.steps.filter((x) => x.params.kind === 'dminit'))
        if (s.params.kind === 'dminit') {
          expect(await ex.exists(s.host, s.params.iniPath)).toBe(true);
          expect(await ex.exists(s.host, path.join(path.dirname(s.params.iniPath), 'dm.ctl'))).toBe(true);
        }
      // and nothing of the cluster runs any more
      for (const h of topo.hosts)
        expect(lab().findProcesses(h, /dmsim\.cjs (dmserver|dmwatcher|dmmonitor)/)).toEqual([]);
      // the teardown read the password too: still nowhere in what terraform printed or kept
      const written = [
        ['provisioner output', output.join('\n')],
        ...filesUnder(dir)
          .filter((f) => /tfstate|dmdeploy\.log/.test(f))
          .map((f) => [f, readFileSync(f, 'utf8')]),
      ];
      expect(written.filter(([, text]) => text?.includes(PASSWORD)).map(([w]) => w)).toEqual([]);
    }, 300_000);

    // after destroy the cluster's ports are free: a foreign program on one must stop the preflight
    if (topo.id === 'rt11')
      it('preflight refuses a port that another program holds, naming host and port', async () => {
        const mount = plan.steps.find((s) => s.params.kind === 'mount');
        if (mount?.params.kind !== 'mount') throw new Error('no mount step');
        const { host, port } = { host: mount.host, port: mount.params.port };
        const listener = `require('net').createServer().listen(${port}, '0.0.0.0')`;
        const started = await ex.exec(
          host,
          `setsid nohup ${process.execPath} -e "${listener}" >/dev/null 2>&1 </dev/null & sleep 0.5; echo ok`,
        );
        expect(started.stdout).toContain('ok');
        try {
          const r = await dmdeployStep('cluster/preflight', { ...process.env, DM_SYSDBA_PASSWORD: PASSWORD });
          expect(r.code).toBe(1);
          expect(r.stderr).toContain(
            `${host}: port ${port} (for ${mount.params.instance}) is in use by another program`,
          );
        } finally {
          lab().kill(host, /createServer\(\)\.listen/, 'SIGKILL');
        }
      }, 60_000);
  });
}
