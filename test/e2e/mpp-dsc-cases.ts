/**
 * MppGroup (7.4) and DscPrimary (7.5) deployed on lab hosts running the DM8 simulator, through the
 * synthesized Terraform (one null_resource per step) run by the real `terraform` binary, as
 * deploy-cases.ts does for the single-node topologies:
 *   - MppGroup 2 groups x (1+1) in the manual's cross placement, and 3 groups x (1+2) crosswise;
 *   - DscPrimary 2 DSC nodes (on two hosts sharing storage) + 1 standby, and + an async standby.
 * For the DMDSC topologies, beforeAll first builds the existing DMDSC cluster a DBA has before
 * using the tool (7.5.3, dsc-cluster.ts): its dmserver nodes stopped, dmcss/dmasmsvr running.
 * For each topology:
 *   - an apply killed after step k, for three k, finishes when applied again; no database is
 *     initialised or restored twice (and the DSC nodes get no dminit at all);
 *   - `dmdeploy status --json`: every group has exactly one PRIMARY database OPEN (for DMDSC all
 *     its nodes), standbys STANDBY/OPEN, archives VALID on the primary, watchers OPEN, the monitor
 *     seeing every instance OPEN; MPP: dmmpp.ctl byte-identical on every instance, MPP_INI = 1;
 *     DMDSC: dmdcr.ini restarts the nodes in MOUNT, dmcss/dmasmsvr restarted once;
 *   - a second apply runs nothing; an apply that lost its state runs every step, mutates nothing
 *     (for the topologies flagged lostState);
 *   - the SYSDBA password appears nowhere;
 *   - destroy stops everything in the order of the teardown's phases, every shutdown normal, keeps
 *     the data; nothing of the cluster runs after it, and dmcss restarts no DSC node.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCluster, TEARDOWN_PHASES, type Plan, type Step } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { parseIni } from '../../lib/render/ini';
import type { ClusterStatus, DatabaseStatus } from '../../lib/steps';
import type { ClusterModel, InstanceModel } from '../../lib/families/data-guard/model';
import { shQuote, type SshExecutor } from '../../lib/ssh';
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
import { mutatingCommands, perInstance, readLogs, type HostRecord } from './dmsim-log';
import { labSpec } from './specs';
import { buildExistingDsc, dscControlFile, type DscClusterSetup } from './dsc-cluster';
import { DSC_RESTART_INTERVAL, dscSetupOf, MPP_DSC_TOPOLOGIES } from './specs-mpp-dsc';
import { dmdeployStatus, filesUnder, synthStack } from './stack';

const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A status entry; `database` is shared by a DMDSC database's nodes. */
type Entry = DatabaseStatus;

/** Does any string anywhere in `v` equal `s`? */
function mentions(v: unknown, s: string): boolean {
  if (typeof v === 'string') return v === s;
  if (Array.isArray(v)) return v.some((x) => mentions(x, s));
  if (v && typeof v === 'object') return Object.values(v).some((x) => mentions(x, s));
  return false;
}

/** A global key's value in DM ini text (the last one, as DM reads it; comments stripped). */
function iniValue(text: string, key: string): string | undefined {
  return parseIni(text)
    .globals.filter(([k]) => k === key)
    .at(-1)?.[1];
}

const instancesOf = (m: ClusterModel): InstanceModel[] =>
  m.groups.flatMap((g) => g.databases.flatMap((d) => d.instances));

const after = (t: number) => (r: HostRecord) => Date.parse(String(r.t)) >= t;

/** One topology of MPP_DSC_TOPOLOGIES, by id, as its own test file (files run in parallel labs). */
export function describeMppDsc(id: string): void {
  const topo = MPP_DSC_TOPOLOGIES.find((t) => t.id === id);
  if (!topo) throw new Error(`no topology ${id} in MPP_DSC_TOPOLOGIES`);
  // skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
  describe.skipIf(!avail.ok || !terraform.ok)(`deploy through Terraform: ${topo.title}`, () => {
    const lab = useLab({ name: `e2e${topo.id}`, hosts: topo.hosts }, 90_000);
    const sampler = () => topo.hosts[0] ?? '';
    const isDsc = topo.kind === 'DscPrimary';
    let dir = '';
    let specFile = '';
    let stackDir = '';
    let plan: Plan;
    let model: ClusterModel;
    let tf: TfRunner;
    let ex: SshExecutor;
    let dsc: DscClusterSetup | undefined;
    /** When the existing DMDSC cluster was ready (log records before it are the DBA's, not the deployer's). */
    let setupEnd = 0;
    /** Set once the crash-and-resume test has a finished deploy: the later tests need one. */
    let deployed = false;
    const needDeploy = () => {
      if (!deployed) throw new Error('the deploy did not finish (see the first test of this topology)');
    };
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
      model = v.model as ClusterModel;
      plan = planCluster(v.model);
      if (isDsc) {
        dsc = dscSetupOf(spec, l);
        await buildExistingDsc(ex, dm, dsc);
      }
      setupEnd = Date.now();
      ({ dir, specFile, stackDir, tf, output, address } = synthStack(topo.id, spec, plan.cluster));
    }, 120_000);

    afterAll(async () => {
      await killOurProcesses(lab(), topo.hosts).catch(() => undefined);
      await ex?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (dsc) rmSync(dsc.shared, { recursive: true, force: true });
    }, 30_000);

    const steps = () => plan.steps.length;
    const log = () => readLogs(lab(), topo.hosts);
    const dscHosts = () => new Set(dsc?.nodes.map((n) => n.host) ?? []);
    /** The error with the provisioners' last output and the hosts' last simulator records (no SQL reads). */
    const withOutput = (e: unknown) => {
      const recs = log()
        .filter((r) => r.event !== 'sql' && r.event !== 'connect' && r.event !== 'invoke')
        .slice(-40)
        .map((r) => {
          const { t, host, tool, event, ...rest } = r;
          return `${String(t)} ${host} ${String(tool)} ${String(event)} ${JSON.stringify(rest)}`;
        });
      const out = output.filter((l) => !/output suppressed/.test(l)).slice(-40);
      return new Error(`${String(e)}\n${out.join('\n')}\n--- dmsim log (last records)\n${recs.join('\n')}`);
    };

    const status = (): Promise<ClusterStatus> => dmdeployStatus(specFile);

    async function sh(host: string, cmd: string): Promise<string> {
      const r = await ex.exec(host, cmd, { timeoutMs: 30_000 });
      if (r.exitCode !== 0) throw new Error(`${host}: ${cmd}: exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    }

    it('an apply killed after step k resumes and finishes; nothing is initialised or restored twice', async () => {
      // one step at a time, so "after step k" is exact: k early, in the middle and near the end
      const ks = [2, Math.floor(steps() / 2), steps() - 3];
      let done = 0;
      for (const k of ks) {
        const err = await tf.apply({ crashAfter: k - done, parallelism: 1 }).catch((e: unknown) => e);
        if (!(err instanceof TfCrash)) throw withOutput(`crash after ${k}: ${String(err)}`);
        done = k;
      }
      const r = await tf.apply().catch((e: unknown) => {
        throw withOutput(e);
      });
      expect(r.created.length).toBeGreaterThan(0);
      deployed = true;
      // the deployer's own records only (the DBA made the DMDSC database with dminit control=)
      const l = log().filter(after(setupEnd));
      const inits = perInstance(l, 'dminit');
      expect(inits.size).toBe(plan.steps.filter((s) => s.params.kind === 'dminit').length);
      expect([...inits.values()].every((n) => n === 1)).toBe(true);
      // DSC nodes get no dminit from the deployer
      expect(l.filter((r) => r.event === 'dminit' && dscHosts().has(r.host))).toEqual([]);
      expect(l.filter((r) => r.event === 'dminit' && r.control !== undefined)).toEqual([]);
      const restores = perInstance(l, 'restore');
      expect(restores.size).toBe(plan.steps.filter((s) => s.params.kind === 'restore').length);
      expect([...restores.values()].every((n) => n === 1)).toBe(true);
    }, 1_200_000);

    it('dmdeploy status: each group one PRIMARY database OPEN, standbys STANDBY/OPEN, archives VALID, watchers OPEN, the monitor seeing all', async () => {
      needDeploy();
      const s = await status();
      expect(s.problems).toEqual([]);
      expect(s.healthy).toBe(true);
      expect(s.groups.map((g) => g.name).sort()).toEqual(model.groups.map((g) => g.name).sort());
      // every instance of the model is in the status, once
      const seen = s.groups.flatMap((g) => g.databases.map((d) => `${g.name}.${d.instance}@${d.host}`));
      const want = model.groups.flatMap((g) =>
        g.databases.flatMap((d) => d.instances.map((i) => `${g.name}.${i.name}@${i.host}`)),
      );
      expect(seen.sort()).toEqual(want.sort());
      for (const g of s.groups) {
        const entries = g.databases as Entry[];
        // a database is its entries with one `database` id (a DMDSC database's nodes), else one instance
        const dbs = new Map<string, Entry[]>();
        for (const d of entries) dbs.set(d.database, [...(dbs.get(d.database) ?? []), d]);
        const primaries = [...dbs].filter(([, ds]) =>
          ds.every((d) => d.mode === 'PRIMARY' && d.status === 'OPEN'),
        );
        expect(
          primaries.map(([id]) => id),
          `${g.name}: PRIMARY/OPEN databases`,
        ).toHaveLength(1);
        const [pid, pnodes] = primaries[0] ?? ['', []];
        expect(pnodes.map((d) => d.role)).toEqual(pnodes.map(() => 'primary'));
        // no other entry is PRIMARY (a DMDSC primary counts once, with all its nodes)
        expect(entries.filter((d) => d.mode === 'PRIMARY').map((d) => d.database)).toEqual(
          pnodes.map(() => pid),
        );
        const gm = model.groups.find((x) => x.name === g.name);
        const pm = gm?.databases.find((d) => d.role === 'primary');
        expect(pnodes.map((d) => d.instance).sort()).toEqual(pm?.instances.map((i) => i.name).sort());
        for (const d of entries.filter((x) => x.role !== 'primary'))
          expect([d.instance, d.mode, d.status]).toEqual([d.instance, 'STANDBY', 'OPEN']);
        for (const d of entries) {
          expect(d.oguid, d.instance).toBe(g.oguid);
          expect(d.watcher, d.instance).toBe('OPEN');
          expect(d.monitor, d.instance).toMatchObject({ wstatus: 'OPEN', istatus: 'OPEN' });
        }
        // the primary archives locally and to every standby it sends to, all VALID (on each DSC node)
        for (const p of pnodes) {
          expect(p.archives.length, p.instance).toBeGreaterThanOrEqual(2);
          expect(
            p.archives.filter((a) => a.status !== 'VALID'),
            `${p.instance}: archives not VALID`,
          ).toEqual([]);
        }
      }
      expect(s.monitor?.answered).toBe(true);
    }, 180_000);

    if (topo.kind === 'MppGroup')
      it('MPP: dmmpp.ctl is byte-identical on every primary and standby, and every dm.ini has MPP_INI = 1 (7.4.3)', async () => {
        needDeploy();
        const insts = instancesOf(model);
        const sums = new Map<string, string>();
        for (const i of insts) {
          const conf = path.posix.dirname(i.iniPath);
          const out = await sh(i.host, `sha256sum ${shQuote(path.posix.join(conf, 'dmmpp.ctl'))}`);
          sums.set(`${i.host}:${i.name}`, out.trim().split(/\s+/)[0] ?? '');
          const ini = (await ex.readFile(i.host, i.iniPath)).toString('utf8');
          expect(iniValue(ini, 'MPP_INI'), `${i.name}: MPP_INI`).toBe('1');
        }
        expect(sums.size).toBe(insts.length);
        expect(new Set(sums.values()).size, JSON.stringify([...sums])).toBe(1);
        expect([...sums.values()][0]).toMatch(/^[0-9a-f]{64}$/);
        // converted from dmmpp.ini with dmctlcvt TYPE=2 (7.4.3.4)
        expect(
          log().some(
            (r) => r.tool === 'dmctlcvt' && r.event === 'invoke' && JSON.stringify(r.argv).includes('TYPE=2'),
          ),
        ).toBe(true);
      }, 60_000);

    if (isDsc)
      it('DSC: each node’s dmdcr.ini restarts it in MOUNT (7.5.10), and dmcss/dmasmsvr were restarted once for it', async () => {
        needDeploy();
        for (const n of dsc?.nodes ?? []) {
          const text = (await ex.readFile(n.host, n.dcrIni)).toString('utf8');
          expect(iniValue(text, 'DMDCR_DB_RESTART_INTERVAL'), n.dcrIni).toBe(String(DSC_RESTART_INTERVAL));
          const cmd = iniValue(text, 'DMDCR_DB_STARTUP_CMD') ?? '';
          expect(cmd, n.dcrIni).toMatch(/\bmount\s*$/i);
          expect(cmd).toContain(n.iniPath);
          expect(cmd.toLowerCase()).toContain(`dcr_ini=${n.dcrIni}`.toLowerCase());
          // the setup's dmcss/dmasmsvr were running; since then each was stopped once and started once
          const l = log().filter((r) => r.host === n.host && after(setupEnd)(r));
          for (const t of ['dmcss', 'dmasmsvr']) {
            expect(
              l.filter((r) => r.tool === t && r.event === 'start').map((r) => r.dcrIni),
              `${n.host}: ${t} starts`,
            ).toEqual([n.dcrIni]);
            // stopped normally (dmasmsvr first: a dmcss exit forces dmasmsvr down, 7.5.10)
            expect(
              l.filter((r) => r.tool === t && r.event === 'exit').map((r) => r.normal),
              `${n.host}: ${t} exits`,
            ).toEqual([true]);
          }
          // and they run now, once each
          expect(lab().findProcesses(n.host, /dmsim\.cjs dmcss /)).toHaveLength(1);
          expect(lab().findProcesses(n.host, /dmsim\.cjs dmasmsvr /)).toHaveLength(1);
        }
      }, 60_000);

    it('a second apply runs nothing', async () => {
      needDeploy();
      const before = mutatingCommands(log()).length;
      const again = await tf.apply().catch((e: unknown) => {
        throw withOutput(e);
      });
      expect(again.created).toEqual([]);
      expect(again.replaced).toEqual([]);
      expect(mutatingCommands(log()).slice(before)).toEqual([]);
    }, 900_000);

    // a whole run of every step's probes: proven on the richest topology of each kind (flag lostState)
    if (topo.lostState)
      it('an apply that lost its state runs every step and changes nothing', async () => {
        needDeploy();
        const before = mutatingCommands(log()).length;
        // the state file gone (a new workspace, say): every step's provisioner runs and probes
        const lost = await tf
          .apply({ statePath: path.join(dir, 'lost.tfstate.json') })
          .catch((e: unknown) => {
            throw withOutput(e);
          });
        expect(lost.created).toEqual(expect.arrayContaining(plan.steps.map((s) => address(s.id))));
        const after2 = mutatingCommands(log());
        expect(after2.slice(before).map((r) => `${r.host} ${String(r.tool)} ${String(r.event)}`)).toEqual([]);
        rmSync(path.join(dir, 'lost.tfstate.json'), { force: true });
      }, 900_000);

    it('the SYSDBA password appears nowhere: Terraform JSON, manifest, state, process lists, logs', async () => {
      needDeploy();
      const l = lab();
      const places: [string, string][] = [
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
      // the DMDSC shared storage (control file, runtime records, dmdcr.ini of the hosts)
      for (const f of filesUnder(dsc?.shared ?? '')) places.push([f, readFileSync(f, 'utf8')]);
      expect(places.length).toBeGreaterThan(5);
      expect(places.filter(([, text]) => text.includes(PASSWORD)).map(([where]) => where)).toEqual([]);
      // Terraform shows the steps' progress (no sensitive value in the config); dmdeploy.log keeps it too
      const progress = readFileSync(path.join(stackDir, 'dmdeploy.log'), 'utf8');
      for (const s of plan.steps) expect(progress).toContain(`[${s.id} @ ${s.host}]`);
      // and it was in play: the manifest is there, and the deploy logged in with it
      expect(places.some(([w]) => w.endsWith('plan.json'))).toBe(true);
      expect(log().some((r) => r.event === 'connect')).toBe(true);
    }, 60_000);

    it('destroy stops everything in the order of the teardown phases (§6.4), every shutdown normal, and keeps the data', async () => {
      needDeploy();
      const from = Date.now();
      const starts = new Map(
        log()
          .filter((r) => r.event === 'start')
          .map((r) => [`${r.host}:${String(r.pid)}`, r] as const),
      );
      await tf.destroy().catch((e: unknown) => {
        throw withOutput(e);
      });
      const since = log().filter(after(from));
      // stop events: dmserver shutdowns, and the exits of the long-running processes that ran before
      // destroy (a dmmonitor session a teardown step opens and closes is not a stop of the cluster's)
      const stops = since.flatMap((r) => {
        if (r.tool === 'dmserver' && r.event === 'shutdown')
          return [{ r, key: String(r.instance), prefer: 'stop-server' }];
        const st = starts.get(`${r.host}:${String(r.pid)}`);
        if (r.event !== 'exit' || !st || Date.parse(String(st.t)) >= from) return [];
        if (r.tool === 'dmwatcher') return [{ r, key: String(st.ini), prefer: 'stop-watcher' }];
        if (r.tool === 'dmmonitor') return [{ r, key: String(st.ini), prefer: 'stop-monitor' }];
        if (r.tool === 'dmcss' || r.tool === 'dmasmsvr') return [{ r, key: String(st.dcrIni), prefer: '' }];
        return [];
      });
      const mapped = stops.map((x) => {
        const cands = plan.teardown.filter((s) => s.host === x.r.host && mentions(s.params, x.key));
        return { ...x, step: cands.find((s) => s.params.kind === x.prefer) ?? cands[0] };
      });
      const describeStop = (x: (typeof mapped)[number]) =>
        `${x.r.host} ${String(x.r.tool)} ${String(x.r.event)} ${x.key}`;
      expect(
        mapped.filter((x) => !x.step).map(describeStop),
        'stop events no teardown step accounts for',
      ).toEqual([]);
      const phaseOf = (s: Step) => (TEARDOWN_PHASES as readonly string[]).indexOf(s.phase);
      expect(plan.teardown.filter((s) => phaseOf(s) < 0).map((s) => s.id)).toEqual([]);
      const seq = mapped.map(
        (x) => `${x.step ? phaseOf(x.step) : -1} ${x.step?.phase ?? '?'} ${describeStop(x)}`,
      );
      const sorted = [...mapped].sort(
        (a, b) => (a.step ? phaseOf(a.step) : -1) - (b.step ? phaseOf(b.step) : -1),
      );
      expect(seq).toEqual(
        sorted.map((x) => `${x.step ? phaseOf(x.step) : -1} ${x.step?.phase ?? '?'} ${describeStop(x)}`),
      );
      // each stop step stopped its own process, once
      for (const s of plan.teardown) {
        const n = mapped.filter((x) => x.step === s).length;
        if (['stop-server', 'stop-watcher', 'stop-monitor'].includes(s.params.kind)) expect(n, s.id).toBe(1);
      }
      expect(mapped.filter((x) => x.r.event === 'shutdown').length).toBe(instancesOf(model).length);
      // every server stopped normally
      expect(
        since.filter((r) => (r.event === 'shutdown' && r.normal !== true) || r.event === 'shutdown-abnormal'),
      ).toEqual([]);
      // the data stays (the data disk is mounted inside each host: look over SSH)
      for (const s of plan.steps)
        if (s.params.kind === 'dminit') {
          expect(await ex.exists(s.host, s.params.iniPath), s.id).toBe(true);
          expect(
            await ex.exists(s.host, path.posix.join(path.posix.dirname(s.params.iniPath), 'dm.ctl')),
            s.id,
          ).toBe(true);
        }
      if (dsc) {
        expect(existsSync(dscControlFile(dsc))).toBe(true);
        for (const n of dsc.nodes) expect(await ex.exists(n.host, n.iniPath), n.iniPath).toBe(true);
        // dmcss restarts no node: wait well past DMDCR_DB_RESTART_INTERVAL (bounded)
        await sleep((3 * DSC_RESTART_INTERVAL + 2) * 1000);
        expect(
          log()
            .filter(after(from))
            .filter((r) => r.event === 'restart-instance'),
        ).toEqual([]);
        // while the existing cluster's dmcss kept running on each DSC host (so the wait proves something)
        for (const h of dscHosts()) expect(lab().findProcesses(h, /dmsim\.cjs dmcss /), h).toHaveLength(1);
      }
      // and nothing of the cluster runs any more
      for (const h of topo.hosts)
        expect(lab().findProcesses(h, /dmsim\.cjs (dmserver|dmwatcher|dmmonitor)/), h).toEqual([]);
    }, 600_000);
  });
}
