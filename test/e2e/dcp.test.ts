/**
 * DCP proxies in front of the 7.4 MppGroup (seed 001 6.2, 6.3) on lab hosts, through the
 * synthesized stack and real Terraform: two proxies, each on a host of its own, deployed with the
 * MPP system (an apply killed before a proxy's start and before its registration resumes), status
 * showing their EP lists; a switchover in GRP1 (each proxy's lag a warning, one dated past its
 * 256 s refresh a problem, until SP_DCP_REFRESH_CONFIG) and back; a second apply doing nothing;
 * then a third proxy added on another host (only its steps run), all in the clients' service;
 * then the third deleted from the spec (refused before any host is touched) and marked removed
 * (only it stops, over its DCP_PORT_NUM); a changed pool size taken online by the running proxies,
 * a changed DCP_PORT_NUM refused before any host is touched, a changed PORT_NUM with restarts:
 * rolling taken by restarting the proxies one at a time; destroy stops the proxies first; the
 * password is nowhere.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../lib/spec/schema';
import { planCluster, type Plan } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { DM, installOnHosts, killOurProcesses, PASSWORD, until } from '../dmsim/lab-harness';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { terraformForTests } from '../tf/availability';
import { TfCrash, type TfRunner } from '../tf';
import { mutatingCommands, readLogs, type HostRecord } from './dmsim-log';
import { labSpec } from './specs';
import { MPP_DSC_TOPOLOGIES } from './specs-mpp-dsc';
import { DMDEPLOY, dmdeployStatus, filesUnder, placesHoldingPassword, resynth, synthStack } from './stack';

const run = promisify(execFile);
const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const topo = MPP_DSC_TOPOLOGIES.find((t) => t.id === 'mpp22');
if (!topo) throw new Error('no mpp22 topology');
const HOSTS = [...topo.hosts, 'D', 'E', 'F'];
const PROXY_HOSTS = new Set(['D', 'E', 'F']);
const EPS = ['GRP1_MPP_EP01', 'GRP1_MPP_EP11', 'GRP2_MPP_EP02', 'GRP2_MPP_EP22'];

type DcpSpec = Extract<ClusterSpec, { kind: 'MppGroup' }> & {
  dcp: {
    proxies: { name: string; host: string; removed?: boolean; dcpPort?: number; port?: number }[];
    poolSize?: number;
  };
};

// skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok || !terraform.ok)('DCP proxies in front of the 7.4 MppGroup (001 6.2, 6.3)', () => {
  const lab = useLab({ name: 'e2edcp', hosts: HOSTS }, 90_000);
  let dir = '';
  let specFile = '';
  let tf: TfRunner;
  let output: string[] = [];
  let two: DcpSpec;
  let three: DcpSpec;
  let plan: Plan;
  const log = (): HostRecord[] => readLogs(lab(), HOSTS);
  const synthed = () =>
    readFileSync(
      filesUnder(path.join(dir, 'cdktf.out')).find((f) => f.endsWith('cdk.tf.json')) ?? '',
      'utf8',
    );
  const hostOf = (h: string): { address: string; public: string; private: string } => {
    const x = lab().host(h);
    return { address: x.public, public: x.public, private: x.private };
  };

  beforeAll(() => {
    const l = lab();
    // the proxies' own 256 s refresh (001:L1414) must not run while the switchover test reads
    // their lag: it is the simulator's, proved in test/dmsim/dcp.test.ts
    installOnHosts(l, HOSTS, { DMSIM_DCP_REFRESH_S: '86400' });
    const base = labSpec(topo, l) as DcpSpec;
    // 001 6.3: two proxies, each on a host of its own, from the first deploy
    two = {
      ...base,
      hosts: { ...base.hosts, D: hostOf('D'), E: hostOf('E') },
      dcp: {
        proxies: [
          { name: 'DCP1', host: 'D' },
          { name: 'DCP2', host: 'E' },
        ],
      },
    };
    three = {
      ...two,
      hosts: { ...two.hosts, F: hostOf('F') },
      dcp: { proxies: [...two.dcp.proxies, { name: 'DCP3', host: 'F' }] },
    };
    const v = validateSpec(two);
    if (!v.model) throw new Error(JSON.stringify(v.findings));
    expect(v.findings.filter((f) => f.severity === 'error')).toEqual([]);
    plan = planCluster(v.model);
    ({ dir, specFile, tf, output } = synthStack('dcp', two, 'MPP_EP'));
  }, 60_000);

  afterAll(async () => {
    await killOurProcesses(lab(), HOSTS).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('deploys the MPP system, then both proxies; killed before a start and before a registration, it resumes', async () => {
    const at = (id: string) => plan.steps.findIndex((s) => s.id === id);
    // with parallelism 1 Terraform runs the steps in the plan's order
    const ks = [at('DCP1/start'), at('DCP1/register')];
    let done = 0;
    for (const k of ks) {
      const err = await tf.apply({ crashAfter: k - done, parallelism: 1 }).catch((e: unknown) => e);
      expect(err, `crash after ${k}`).toBeInstanceOf(TfCrash);
      done = k;
    }
    await tf.apply().catch((e: unknown) => {
      throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
    });
    const l = log();
    const lastEpStart = Math.max(
      ...l.map((r, i) => (!PROXY_HOSTS.has(r.host) && r.tool === 'dmserver' && r.event === 'start' ? i : -1)),
    );
    for (const h of ['D', 'E']) {
      const on = l.filter((r) => r.host === h);
      expect(
        on.filter((r) => r.event === 'dminit'),
        h,
      ).toHaveLength(1);
      // each proxy started after every EP was up, and registered each primary and standby once
      expect(
        l.findIndex((r) => r.host === h && r.tool === 'dmserver' && r.event === 'start'),
        h,
      ).toBeGreaterThan(lastEpStart);
      const adds = on.filter(
        (r) => r.event === 'exec' && r.ok === true && /^SP_DCP_ADD_INST/.test(String(r.stmt)),
      );
      expect(
        adds.map((r) => String(r.stmt).replace(/^SP_DCP_ADD_INST\('([^']+)'.*$/, '$1')).sort(),
        h,
      ).toEqual([...EPS].sort());
    }
    // the clients' service names both proxies' PORT_NUM (001:L1464-1474)
    expect(synthed()).toContain(`dcp=(${lab().host('D').public}:5236,${lab().host('E').public}:5236)`);
  }, 900_000);

  it('status: the MPP system healthy, each proxy listing every EP and each primary with its MPP_SEQ_NO', async () => {
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.healthy).toBe(true);
    expect(s.proxies?.map((p) => [p.instance, p.insts.map((x) => x.split('=')[0]).sort(), p.live])).toEqual(
      ['DCP1', 'DCP2'].map((n) => [n, [...EPS].sort(), ['GRP1_MPP_EP01:0', 'GRP2_MPP_EP02:1']]),
    );
  }, 300_000);

  it("after a switchover status warns while a proxy's view is younger than its 256 s refresh, then fails; SP_DCP_REFRESH_CONFIG makes it follow", async () => {
    const mon = plan.steps.find((x) => x.params.kind === 'monitor');
    if (mon?.params.kind !== 'monitor') throw new Error('no monitor step');
    // a monitoring-mode copy of the monitor's ini: the confirm monitor runs already (§4.1)
    const copy = path.join(path.dirname(mon.params.iniPath), 'switchover.ini');
    await lab().sh(
      mon.host,
      `sed 's/^[[:space:]]*MON_DW_CONFIRM[[:space:]]*=.*/MON_DW_CONFIRM = 0/' ${mon.params.iniPath} > ${copy}`,
    );
    const switchover = async (db: string) => {
      const r = await lab().exec(mon.host, [`${DM.bin}/dmmonitor`, copy], {
        input: `login\nSYSDBA\n${PASSWORD}\nswitchover GRP1.${db}\nexit\n`,
        timeoutMs: 60_000,
        allowFailure: true,
      });
      return `${r.stdout}\n${r.stderr}`;
    };
    const refresh = (h: 'D' | 'E') =>
      lab().exec(h, [`${DM.bin}/disql`, '-S', '/nolog'], {
        input: `CONN SYSDBA/${PASSWORD}@${lab().host(h).public}:5239\nWHENEVER SQLERROR EXIT 1\nSP_DCP_REFRESH_CONFIG();\nEXIT\n`,
        timeoutMs: 60_000,
      });
    const note = (n: string) => `${plan.dmHome}/dmdeploy/dcp/${n}.lag`;
    const lag = (n: string) =>
      new RegExp(
        `DCP proxy ${n} sees primaries GRP1_MPP_EP01:0, GRP2_MPP_EP02:1; the MPP system runs GRP1_MPP_EP11:0, GRP2_MPP_EP02:1`,
      );
    const count = (xs: readonly string[] | undefined, re: RegExp) =>
      (xs ?? []).filter((x) => re.test(x)).length;
    expect(await switchover('GRP1_MPP_EP11')).toMatch(/切换成功: 组\(GRP1\)的主库为GRP1_MPP_EP11/);
    // healthy once the new primary's watcher has recovered its standby (§6.5); each lag a warning
    const young = await until(
      async () => {
        const s = await dmdeployStatus(specFile);
        return s.healthy ? s : undefined;
      },
      'status healthy after the switchover',
      90_000,
    );
    expect(young.problems).toEqual([]);
    expect([count(young.warnings, lag('DCP1')), count(young.warnings, lag('DCP2'))]).toEqual([1, 1]);
    expect(young.warnings?.find((w) => lag('DCP1').test(w))).toMatch(/\(seen for \d+ s\): [^]*within 256 s/);
    // DCP1's lag first seen 300 s ago (its note dated back): a problem; DCP2's still a warning
    await lab().sh('D', `t=$(head -n 1 ${note('DCP1')}) && sed -i "1s/.*/$((t - 300))/" ${note('DCP1')}`);
    const old = await dmdeployStatus(specFile);
    expect(old.healthy).toBe(false);
    expect(count(old.problems, lag('DCP1'))).toBe(1);
    expect(old.problems.find((x) => lag('DCP1').test(x))).toMatch(
      /for 3\d\d s, longer than its 256 s refresh/,
    );
    expect([count(old.problems, lag('DCP2')), count(old.warnings, lag('DCP2'))]).toEqual([0, 1]);
    // the DBA's fix: SP_DCP_REFRESH_CONFIG over DCP_PORT_NUM; DCP1 sees EP11 and its note goes
    expect((await refresh('D')).code).toBe(0);
    const followed = await dmdeployStatus(specFile);
    expect(followed.problems).toEqual([]);
    expect(followed.warnings?.map((w) => lag('DCP2').test(w))).toEqual([true]);
    expect(followed.proxies?.map((p) => [p.instance, p.live])).toEqual([
      ['DCP1', ['GRP1_MPP_EP11:0', 'GRP2_MPP_EP02:1']],
      ['DCP2', ['GRP1_MPP_EP01:0', 'GRP2_MPP_EP02:1']],
    ]);
    expect((await lab().sh('D', `test -e ${note('DCP1')}; echo $?`)).stdout.trim()).toBe('1');
    expect((await refresh('E')).code).toBe(0);
    expect((await dmdeployStatus(specFile)).warnings ?? []).toEqual([]);
    // back to the spec's roles once the new primary has recovered its standby
    await until(
      async () => /切换成功: 组\(GRP1\)的主库为GRP1_MPP_EP01/.test(await switchover('GRP1_MPP_EP01')),
      'the switchover back',
      60_000,
    );
    for (const h of ['D', 'E'] as const) expect((await refresh(h)).code).toBe(0);
    await until(
      async () => {
        const s = await dmdeployStatus(specFile);
        return s.healthy && !(s.warnings ?? []).length ? s : undefined;
      },
      'status clean after the switchover back',
      90_000,
    );
  }, 600_000);

  it('a second apply changes nothing on the hosts', async () => {
    const p = await tf.plan();
    expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
    const before = mutatingCommands(log()).length;
    await tf.apply();
    expect(mutatingCommands(log()).slice(before)).toEqual([]);
  }, 300_000);

  it('a third proxy on its own host, added later: only its steps run; the clients get all three', async () => {
    resynth(dir, specFile, three);
    const from = Date.now();
    await tf.apply().catch((e: unknown) => {
      throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
    });
    const since = mutatingCommands(log()).filter((r) => Date.parse(String(r.t)) >= from);
    expect([...new Set(since.map((r) => r.host))]).toEqual(['F']);
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.proxies?.map((p) => p.instance)).toEqual(['DCP1', 'DCP2', 'DCP3']);
    const [d, e, f] = ['D', 'E', 'F'].map((h) => lab().host(h).public);
    expect(synthed()).toContain(`dcp=(${String(d)}:5236,${String(e)}:5236,${String(f)}:5236)`);
  }, 900_000);

  it('a proxy deleted from the spec is refused before any host is touched; marked removed, only it stops', async () => {
    // deleted outright: nothing would stop it, so preflight refuses (with its host, and without)
    const refusal = async (spec: DcpSpec): Promise<string> => {
      resynth(dir, specFile, spec);
      const mark = output.length;
      const err = await tf.apply().then(
        () => 'the apply succeeded',
        (e: unknown) => String(e),
      );
      return `${err}\n${output.slice(mark).join('\n')}`;
    };
    let from = Date.now();
    expect(await refusal(two)).toMatch(/LIVE_HOST_DROPPED hosts\.F/);
    expect(await refusal({ ...three, dcp: { proxies: three.dcp.proxies.slice(0, 2) } })).toMatch(
      /LIVE_FILE_SET_CHANGED[^\n]*DCP3[^\n]*removed: true/,
    );
    expect(mutatingCommands(log()).filter((r) => Date.parse(String(r.t)) >= from)).toEqual([]);
    expect(lab().findProcesses('F', /dmsim\.cjs dmserver/)).toHaveLength(1);
    // marked removed: its retire step shuts it down over DCP_PORT_NUM, and nothing else changes
    const retired: DcpSpec = {
      ...three,
      dcp: { proxies: [...two.dcp.proxies, { name: 'DCP3', host: 'F', removed: true }] },
    };
    resynth(dir, specFile, retired);
    // a lag note status left on DCP3's host (as after a switchover) goes with the proxy
    const note = `${plan.dmHome}/dmdeploy/dcp/DCP3.lag`;
    await lab().sh('F', `mkdir -p $(dirname ${note}) && printf '1\\nv\\n1\\n' > ${note}`);
    from = Date.now();
    await tf.apply().catch((e: unknown) => {
      throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
    });
    expect((await lab().sh('F', `test -e ${note}; echo $?`)).stdout.trim()).toBe('1');
    // one statement changed anything on any host: DCP3's SHUTDOWN, a normal one
    const since = log().filter((r) => Date.parse(String(r.t)) >= from);
    expect(mutatingCommands(since).map((r) => [r.host, r.tool, r.event])).toEqual([
      ['F', 'dmserver', 'exec'],
    ]);
    expect(
      since.filter((r) => r.tool === 'dmserver' && r.event === 'shutdown').map((r) => [r.host, r.normal]),
    ).toEqual([['F', true]]);
    expect(lab().findProcesses('F', /dmsim\.cjs dmserver/)).toEqual([]);
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.healthy).toBe(true);
    expect(s.proxies?.map((p) => p.instance)).toEqual(['DCP1', 'DCP2']);
    expect(synthed()).toContain(`dcp=(${lab().host('D').public}:5236,${lab().host('E').public}:5236)`);
    // and applied again, nothing runs
    const again = Date.now();
    await tf.apply();
    expect(mutatingCommands(log()).filter((r) => Date.parse(String(r.t)) >= again)).toEqual([]);
  }, 900_000);

  it('a changed pool size reaches the running proxies online; a changed port is refused before any host is touched, and with restarts: rolling the proxies restart one at a time', async () => {
    const retired = parse(readFileSync(specFile, 'utf8')) as DcpSpec;
    // 001:L197: DCP_CONN_POOL_SIZE is dynamic: SP_SET_PARA_VALUE over DCP_PORT_NUM, no restart
    const pooled: DcpSpec = { ...retired, dcp: { ...retired.dcp, poolSize: 77 } };
    resynth(dir, specFile, pooled);
    let from = Date.now();
    await tf.apply().catch((e: unknown) => {
      throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
    });
    const since = log().filter((r) => Date.parse(String(r.t)) >= from);
    expect(
      mutatingCommands(since)
        .map((r) => [r.host, r.tool, r.event, String(r.stmt)])
        .sort(),
    ).toEqual(
      ['D', 'E'].map((h) => [h, 'dmserver', 'exec', "SP_SET_PARA_VALUE(1, 'DCP_CONN_POOL_SIZE', 77)"]),
    );
    expect(
      since.filter((r) => r.tool === 'dmserver' && (r.event === 'start' || r.event === 'shutdown')),
    ).toEqual([]);
    for (const [h, n] of [
      ['D', 'DCP1'],
      ['E', 'DCP2'],
    ]) {
      const ini = plan.steps.find((x) => x.id === `${String(n)}/start`)?.params;
      if (ini?.kind !== 'dcp-start') throw new Error(`no ${String(n)}/start step`);
      expect((await lab().sh(String(h), `cat ${ini.iniPath}`)).stdout, String(n)).toMatch(
        /^\s*DCP_CONN_POOL_SIZE\s*=\s*77\b/m,
      );
    }
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    from = Date.now();
    await tf.apply();
    expect(mutatingCommands(log()).filter((r) => Date.parse(String(r.t)) >= from)).toEqual([]);
    // DCP_PORT_NUM is read at the proxy's start only: refused, nothing touched
    const first = pooled.dcp.proxies[0] ?? { name: '', host: '' };
    resynth(dir, specFile, {
      ...pooled,
      dcp: { ...pooled.dcp, proxies: [{ ...first, dcpPort: 5439 }, ...pooled.dcp.proxies.slice(1)] },
    });
    from = Date.now();
    const mark = output.length;
    const err = await tf.apply().then(
      () => 'the apply succeeded',
      (e: unknown) => String(e),
    );
    expect(`${err}\n${output.slice(mark).join('\n')}`).toMatch(
      /LIVE_RESTART_NEEDED DCP1: [^\n]*not dynamic: DCP_PORT_NUM \(TYPE IN FILE\)[^\n]*a DCP proxy reads its ports and mode at its start/,
    );
    expect(mutatingCommands(log()).filter((r) => Date.parse(String(r.t)) >= from)).toEqual([]);
    // restarts: rolling: both running proxies' PORT_NUM moves, and DCP1's DCP_PORT_NUM; each is
    // shut down normally (over the DCP_PORT_NUM it started with) and started again to read it,
    // DCP2 only once DCP1 serves again; the clients' service follows
    const moved: DcpSpec = {
      ...pooled,
      restarts: 'rolling',
      dcp: {
        ...pooled.dcp,
        proxies: pooled.dcp.proxies.map((p) =>
          p.removed ? p : { ...p, port: 5436, ...(p.name === 'DCP1' ? { dcpPort: 5439 } : {}) },
        ),
      },
    };
    resynth(dir, specFile, moved);
    from = Date.now();
    // an apply that stopped once DCP1's config step had written its dm.ini under the running
    // proxy (its steps run here one by one, as Terraform runs them): status says DCP1 waits
    const manifest = filesUnder(path.join(dir, 'cdktf.out')).find((f) => f.endsWith('plan.json')) ?? '';
    for (const id of ['cluster/preflight', 'DCP1/config'])
      await run(DMDEPLOY, ['step', id, '--manifest', manifest], {
        cwd: dir,
        env: { ...process.env, DM_SYSDBA_PASSWORD: PASSWORD },
        timeout: 120_000,
      });
    const waiting = await dmdeployStatus(specFile);
    expect(waiting.healthy).toBe(false);
    expect(waiting.problems.join('\n')).toMatch(
      /DCP proxy DCP1 on D runs with the dm\.ini it started with: it waits for a restart to read \S+dm\.ini/,
    );
    await tf.apply().catch((e: unknown) => {
      throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
    });
    const restarts = log().filter(
      (r) =>
        Date.parse(String(r.t)) >= from &&
        r.tool === 'dmserver' &&
        (r.event === 'start' || r.event === 'shutdown'),
    );
    expect(restarts.map((r) => `${r.host} ${String(r.event)}`)).toEqual([
      'D shutdown',
      'D start',
      'E shutdown',
      'E start',
    ]);
    expect(restarts.filter((r) => r.event === 'shutdown').every((r) => r.normal === true)).toBe(true);
    const s2 = await dmdeployStatus(specFile);
    expect(s2.problems).toEqual([]);
    expect(s2.proxies?.map((p) => p.instance)).toEqual(['DCP1', 'DCP2']);
    expect(synthed()).toContain(`dcp=(${lab().host('D').public}:5436,${lab().host('E').public}:5436)`);
    from = Date.now();
    await tf.apply();
    expect(mutatingCommands(log()).filter((r) => Date.parse(String(r.t)) >= from)).toEqual([]);
  }, 600_000);

  it('destroy stops the proxies first, every server normally; the password is nowhere', async () => {
    const from = Date.now();
    await tf.destroy();
    const stops = log().filter(
      (r) => Date.parse(String(r.t)) >= from && r.tool === 'dmserver' && r.event === 'shutdown',
    );
    // DCP3 was retired before: DCP1 and DCP2 are left to stop, and they go first
    const proxyStops = stops.map((r, i) => (PROXY_HOSTS.has(r.host) ? i : -1)).filter((i) => i >= 0);
    expect(proxyStops).toEqual([0, 1]);
    expect(
      stops
        .slice(0, 2)
        .map((r) => r.host)
        .sort(),
    ).toEqual(['D', 'E']);
    expect(stops.every((r) => r.normal === true)).toBe(true);
    for (const h of HOSTS) expect(lab().findProcesses(h, /dmsim\.cjs dmserver/), h).toEqual([]);
    expect(placesHoldingPassword(lab(), HOSTS, dir, output)).toEqual([]);
  }, 600_000);
});
