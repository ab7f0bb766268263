/**
 * Day 2 on a deployed 7.2 pair, through the synthesized stack and real Terraform applying each
 * edited spec into the same state: a change the running cluster cannot take is refused by the
 * first step (preflight), before any step acts on a host, and `dmdeploy plan --live` says so
 * beforehand. Refused here: an OGUID change (with and without the record on the hosts), a static
 * dm.ini setting under running servers, an async standby added without restarts: rolling (7.6.2
 * adds one to a group shut down first). After each refusal: no mutating DM command ran on any host, the cluster is still
 * healthy, and the reverted spec applies cleanly with nothing to do. Done online: dwErrorTime
 * through the monitor's `set group` (§4.4 item 34), a monitor setting by restarting the monitor,
 * and a realtime standby added as 7.10 adds one to a running pair.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../lib/spec/schema';
import { installOnHosts, killOurProcesses, PASSWORD } from '../dmsim/lab-harness';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { terraformForTests } from '../tf/availability';
import type { TfRunner } from '../tf';
import { confirmMonitorStarts, mutatingCommands, readLogs } from './dmsim-log';
import { labSpec, TOPOLOGIES } from './specs';
import { planCluster } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { DMDEPLOY, dmdeployStatus, synthStack, resynth } from './stack';

const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const run = promisify(execFile);
const topo = TOPOLOGIES[0];
if (!topo) throw new Error('no topology');
const HOSTS = [...topo.hosts, 'DW_S2'];

// skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok || !terraform.ok)('day 2 on a deployed RealtimePair 1+1 (7.2)', () => {
  const lab = useLab({ name: 'e2eday2', hosts: HOSTS }, 90_000);
  let dir = '';
  let specFile = '';
  let tf: TfRunner;
  let output: string[] = [];
  let deployed: ClusterSpec;

  beforeAll(async () => {
    const l = lab();
    installOnHosts(l, HOSTS);
    deployed = labSpec(topo, l);
    ({ dir, specFile, tf, output } = synthStack('day2', deployed, 'GRP1'));
    await tf.apply();
  }, 600_000);

  afterAll(async () => {
    await killOurProcesses(lab(), HOSTS).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** The spec file edited to `spec` and synthesized again into the same stack (same state). */
  const edit = (spec: ClusterSpec): void => resynth(dir, specFile, spec);

  async function planLive(): Promise<{ code: number; out: string }> {
    return run(DMDEPLOY, ['plan', specFile, '--live'], {
      env: { ...process.env, DM_SYSDBA_PASSWORD: PASSWORD },
      timeout: 120_000,
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );
  }

  const mutating = () => mutatingCommands(readLogs(lab(), HOSTS)).length;

  /**
   * Apply the edited spec, which must fail at preflight saying nothing was touched, with no
   * mutating DM command on any host; what the steps printed.
   */
  async function applyRefused(): Promise<string> {
    const before = mutating();
    const from = output.length;
    const err = await tf.apply().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the apply must fail').toBeInstanceOf(Error);
    expect(String(err)).toContain('cluster__preflight');
    const said = output.slice(from).join('\n');
    expect(said).toContain('nothing was touched');
    expect(mutating()).toBe(before);
    return said;
  }

  /** Apply the edited spec: refused at preflight with `code`, and nothing mutating ran anywhere. */
  async function refused(spec: ClusterSpec, code: string, mentions: RegExp): Promise<void> {
    edit(spec);
    const live = await planLive();
    expect(live.code, live.out).toBe(1);
    expect(live.out).toContain(`refused: an apply stops at cluster/preflight, before any host is touched:`);
    expect(live.out).toContain(code);
    expect(live.out).toMatch(mentions);
    const said = await applyRefused();
    expect(said).toContain(code);
    // the running cluster is as it was (status against the spec it runs)
    writeFileSync(path.join(dir, 'deployed.yaml'), stringify(deployed));
    const s = await dmdeployStatus(path.join(dir, 'deployed.yaml'));
    expect(s.problems).toEqual([]);
  }

  it('plan --live: the deployed spec has no changes', async () => {
    const r = await planLive();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('live plan for GRP1: no changes: the running cluster is as the spec says\n');
  }, 120_000);

  it('an OGUID change is refused before any host is touched', async () => {
    const oguid = (deployed as { oguid: number }).oguid;
    await refused(
      { ...deployed, oguid: oguid + 1 } as ClusterSpec,
      'LIVE_OGUID_CHANGED',
      /runs with OGUID \d+/,
    );
  }, 300_000);

  it('dwErrorTime is changed online: the monitor sets it on every running watcher (§4.4 item 34)', async () => {
    const watcher = { ...(deployed as { watcher: Record<string, unknown> }).watcher, dwErrorTime: 20 };
    const spec = { ...deployed, watcher } as ClusterSpec;
    edit(spec);
    const live = await planLive();
    expect(live.code, live.out).toBe(0);
    expect(live.out).toContain('set group GRP1 DW_ERROR_TIME 20 through the monitor (§4.4 item 34)');
    const before = mutating();
    const sets = () => readLogs(lab(), HOSTS).filter((r) => r.event === 'set-para');
    const setsBefore = sets().length;
    await tf.apply();
    // no server or watcher restarted; each running watcher took the value, in memory and file
    expect(mutating()).toBe(before);
    expect(
      sets()
        .slice(setsBefore)
        .map((r) => `${String(r.instance)} ${String(r.para)}=${String(r.value)}`)
        .sort(),
    ).toEqual(expect.arrayContaining(['GRP1_RT_01 DW_ERROR_TIME=20', 'GRP1_RT_02 DW_ERROR_TIME=20']));
    for (const h of ['DW_P', 'DW_S1']) {
      const ini = await lab().sh(h, 'cat /dm/data/DAMENG/dmwatcher.ini');
      expect(ini.stdout).toMatch(/DW_ERROR_TIME\s*=\s*20\b/);
    }
    deployed = spec;
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect((await planLive()).out).toContain('no changes');
  }, 300_000);

  it('a static dm.ini setting (RLOG_SEND_APPLY_MON, §5.1) on running servers is refused, not written', async () => {
    await refused(
      { ...deployed, dmIni: { RLOG_SEND_APPLY_MON: 128 } } as ClusterSpec,
      'LIVE_RESTART_NEEDED',
      /RLOG_SEND_APPLY_MON (64 -> 128|= 128 \(new\))/,
    );
    const ini = await lab().sh('DW_P', 'cat /dm/data/DAMENG/dm.ini');
    expect(ini.stdout).not.toMatch(/RLOG_SEND_APPLY_MON\s*=\s*128/);
  }, 300_000);

  /** The deployed spec with one more member on DW_S2, a standby or an async standby. */
  function grown(kind: 'standbys' | 'asyncStandbys', name: string): ClusterSpec {
    const s2 = lab().host('DW_S2');
    const spec = structuredClone(deployed) as ClusterSpec & {
      hosts: Record<string, unknown>;
      standbys: Record<string, unknown>[];
      asyncStandbys?: Record<string, unknown>[];
    };
    spec.hosts.DW_S2 = { address: s2.public, public: s2.public, private: s2.private };
    const member = {
      name,
      host: 'DW_S2',
      port: 32143,
      malPort: 61143,
      malDwPort: 52143,
      instDwPort: 33143,
    };
    if (kind === 'standbys') spec.standbys.push({ ...spec.standbys[0], ...member });
    else
      spec.asyncStandbys = [
        {
          ...member,
          source: 'GRP1_RT_01',
          timer: { name: 'RT_TIMER', type: 2, startTime: '00:00:00', endTime: '23:59:59' },
        },
      ];
    return spec;
  }

  it('an async standby added to the running pair is refused without restarts: rolling: the manual adds one to a group shut down first (7.6.2)', async () => {
    await refused(
      grown('asyncStandbys', 'GRP1_LOCAL_01'),
      'LIVE_ADD_MEMBER',
      /GRP1_LOCAL_01 on DW_S2 joins group GRP1: .*7\.6\.2.*restarts: rolling/,
    );
  }, 300_000);

  it('a realtime standby added to the running pair joins online as 7.10 does; nothing that ran restarts', async () => {
    const spec = grown('standbys', 'GRP1_RT_03');
    edit(spec);
    const live = await planLive();
    expect(live.code, live.out).toBe(0);
    expect(live.out).toMatch(/standby GRP1_RT_03 on DW_S2 joins group GRP1 online \(7\.9-7\.10\)/);
    expect(live.out).toMatch(/dmmal\.ini on DW_P \(GRP1_RT_01\): .*SF_MAL_INST_ADD/);
    const t0 = Date.now();
    // the first apply fails inside the join (the standby's ADD ARCHIVELOG): the group is opened
    // again, its parameters put back and its watchers started before the failure is reported
    writeFileSync(lab().dmPath('DW_S1', '/dm/dmsim.faults'), 'ADD ARCHIVELOG\n');
    const err = await tf.apply().then(
      () => undefined,
      (e: unknown) => e,
    );
    // Terraform wraps the step's output: compared with its white space folded
    expect(String(err).replace(/\s+/g, ' ')).toMatch(
      /step GRP1_RT_03\/join on DW_S1 failed: ADD ARCHIVELOG DEST=GRP1_RT_03 \(7\.10\.4 item 3\) on GRP1_RT_02 failed .*dmsim injected fault/,
    );
    writeFileSync(path.join(dir, 'deployed.yaml'), stringify(deployed));
    const shape = async () =>
      (await dmdeployStatus(path.join(dir, 'deployed.yaml'))).groups[0]?.databases.map(
        (d) => `${d.instance} ${String(d.mode)} ${String(d.status)} ${String(d.watcher)}`,
      );
    // the restarted watchers report OPEN within a few of their rounds (bounded: 30 s)
    let seen = await shape();
    for (let i = 0; i < 30 && seen?.some((x) => !x.endsWith('OPEN OPEN')); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      seen = await shape();
    }
    expect(seen).toEqual(['GRP1_RT_01 PRIMARY OPEN OPEN', 'GRP1_RT_02 STANDBY OPEN OPEN']);
    const afterCut = readLogs(lab(), HOSTS).filter((r) => Date.parse(String(r.t)) >= t0);
    for (const h of ['DW_P', 'DW_S1'])
      expect(
        afterCut.filter(
          (r) =>
            r.host === h &&
            r.event === 'exec' &&
            r.ok === true &&
            /^SP_SET_PARA_VALUE\(1, '(ALTER_MODE_STATUS', 0|DW_INACTIVE_INTERVAL', 60)\)/.test(
              String(r.stmt),
            ),
        ).length,
        h,
      ).toBe(2);
    // the next apply resumes the join where it stopped
    await tf.apply();
    const log = readLogs(lab(), HOSTS).filter((r) => Date.parse(String(r.t)) >= t0);
    const on = (host: string) => log.filter((r) => r.host === host);
    // the running members were neither initialised, restored nor restarted
    for (const h of ['DW_P', 'DW_S1'])
      expect(
        on(h).filter(
          (r) =>
            r.event === 'dminit' ||
            r.event === 'restore' ||
            (r.event === 'start' && r.tool === 'dmserver') ||
            (r.event === 'invoke' && r.tool === 'dmrman'),
        ),
      ).toEqual([]);
    // 7.10.1: a fresh online backup of the primary, restored and recovered FOR STANDBY on DW_S2
    expect(
      on('DW_P')
        .filter((r) => r.event === 'backup')
        .map((r) => r.online),
    ).toEqual([true]);
    expect(
      on('DW_S2')
        .filter((r) => r.event === 'restore')
        .map((r) => r.online),
    ).toEqual([true]);
    // 7.10.3-7.10.4 on each running member, in the manual's order
    const at = (host: string, stmt: RegExp) =>
      log.findIndex(
        (r) => r.host === host && r.event === 'exec' && r.ok === true && stmt.test(String(r.stmt)),
      );
    const statements = [
      /^SF_MAL_INST_ADD\('MAL_INST\d+','GRP1_RT_03'/,
      /^SF_MAL_CONFIG_APPLY/,
      /^ALTER DATABASE MOUNT$/,
      /^ALTER DATABASE ADD ARCHIVELOG 'DEST=GRP1_RT_03, TYPE=REALTIME'/,
      /^ALTER DATABASE OPEN FORCE$/,
      /^SP_SET_PARA_VALUE\(1, 'DW_INACTIVE_INTERVAL', 60\)/,
    ];
    for (const h of ['DW_P', 'DW_S1'])
      for (const st of statements) expect(at(h, st), `${h} ran ${String(st)}`).toBeGreaterThanOrEqual(0);
    // the simulator logs the 7.10.4 order broken as a hazard: none
    expect(log.filter((r) => r.event === 'hazard').map((r) => r.reason)).toEqual([]);
    for (const h of ['DW_P', 'DW_S1']) {
      expect(at(h, /^SF_MAL_CONFIG_APPLY/), h).toBeGreaterThan(at(h, /^SF_MAL_INST_ADD/));
      expect(at(h, /^ALTER DATABASE ADD ARCHIVELOG 'DEST=GRP1_RT_03, TYPE=REALTIME'/), h).toBeGreaterThan(
        at(h, /^ALTER DATABASE MOUNT$/),
      );
      expect(at(h, /^SP_SET_PARA_VALUE\(1, 'DW_INACTIVE_INTERVAL', 60\)/), h).toBeGreaterThan(
        at(h, /^ALTER DATABASE OPEN FORCE$/),
      );
    }
    expect(at('DW_P', /^ALTER DATABASE MOUNT$/)).toBeLessThan(at('DW_S1', /^ALTER DATABASE MOUNT$/));
    expect(at('DW_S1', /^ALTER DATABASE OPEN FORCE$/)).toBeLessThan(
      at('DW_P', /^ALTER DATABASE OPEN FORCE$/),
    );
    // the files end as render gives them for the new spec, on every member
    const v = validateSpec(spec);
    if (!v.model) throw new Error(JSON.stringify(v.findings));
    const plan = planCluster(v.model);
    for (const st of plan.steps)
      if (st.params.kind === 'config')
        for (const f of st.params.files.filter((x) => x.role === 'dmmal.ini' || x.role === 'dmarch.ini'))
          expect((await lab().sh(st.host, `cat ${f.path}`)).stdout, `${st.host}:${f.path}`).toBe(f.content);
    deployed = spec;
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(
      s.groups[0]?.databases.map((d) => `${d.instance} ${String(d.mode)} ${String(d.status)}`).sort(),
    ).toEqual(['GRP1_RT_01 PRIMARY OPEN', 'GRP1_RT_02 STANDBY OPEN', 'GRP1_RT_03 STANDBY OPEN']);
    const p = await tf.plan();
    expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
    expect((await planLive()).out).toContain('no changes');
  }, 600_000);

  it('a dynamic dm.ini setting is set online by SP_SET_PARA_VALUE on every running server; none restarts', async () => {
    const spec = { ...deployed, dmIni: { SESS_FREE_IN_SUSPEND: 120 } } as ClusterSpec;
    edit(spec);
    const live = await planLive();
    expect(live.code, live.out).toBe(0);
    expect(live.out).toMatch(
      /SP_SET_PARA_VALUE\(1, 'SESS_FREE_IN_SUSPEND', 120\) on GRP1_RT_01 \(DW_P\): dynamic, it takes effect now/,
    );
    const t0 = Date.now();
    await tf.apply();
    const log = readLogs(lab(), HOSTS).filter((r) => Date.parse(String(r.t)) >= t0);
    const sets = log
      .filter(
        (r) =>
          r.event === 'exec' &&
          r.ok === true &&
          /^SP_SET_PARA_VALUE\(1, 'SESS_FREE_IN_SUSPEND', 120\)/.test(String(r.stmt)),
      )
      .map((r) => r.host)
      .sort();
    expect(sets).toEqual(['DW_P', 'DW_S1', 'DW_S2']);
    expect(
      log.filter((r) => r.tool === 'dmserver' && (r.event === 'start' || r.event === 'shutdown')),
    ).toEqual([]);
    for (const h of ['DW_P', 'DW_S1', 'DW_S2'])
      expect((await lab().sh(h, 'cat /dm/data/DAMENG/dm.ini')).stdout).toMatch(
        /SESS_FREE_IN_SUSPEND\s*=\s*120\b/,
      );
    deployed = spec;
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect((await planLive()).out).toContain('no changes');
  }, 300_000);

  it('restarts: rolling: a static dm.ini setting is written, then the standbys restart one at a time and the primary last', async () => {
    const dmIni = { ...(deployed as { dmIni?: Record<string, number> }).dmIni, RLOG_SEND_APPLY_MON: 128 };
    const spec = { ...deployed, restarts: 'rolling', dmIni } as ClusterSpec;
    edit(spec);
    const live = await planLive();
    expect(live.code, live.out).toBe(0);
    expect(live.out).toMatch(
      /rewrite \/dm\/data\/DAMENG\/dm\.ini on DW_P \(GRP1_RT_01\): RLOG_SEND_APPLY_MON 64 -> 128[^;]*; then GRP1_RT_01 is restarted/,
    );
    const t0 = Date.now();
    await tf.apply();
    const log = readLogs(lab(), HOSTS).filter((r) => Date.parse(String(r.t)) >= t0);
    // every member restarted once by a normal SHUTDOWN, one at a time: the standbys, then the primary
    const servers = log.filter(
      (r) => r.tool === 'dmserver' && (r.event === 'shutdown' || r.event === 'start'),
    );
    expect(servers.map((r) => `${r.event} ${r.host}`)).toEqual(
      servers.filter((r) => r.event === 'start').flatMap((r) => [`shutdown ${r.host}`, `start ${r.host}`]),
    );
    const order = servers.filter((r) => r.event === 'start').map((r) => r.host);
    expect([...order].sort()).toEqual(['DW_P', 'DW_S1', 'DW_S2']);
    expect(order[2]).toBe('DW_P');
    expect(servers.filter((r) => r.event === 'shutdown').every((r) => r.normal === true)).toBe(true);
    // before the primary's SHUTDOWN: the confirm monitor, then every watcher, the primary's last (§6.4)
    const primaryDown = log.indexOf(servers[4] as (typeof log)[number]);
    const lastStandbyUp = log.indexOf(servers[3] as (typeof log)[number]);
    const exits = log
      .map((r, i) => ({ r, i }))
      .filter(({ r, i }) => r.event === 'exit' && i > lastStandbyUp && i < primaryDown);
    expect(exits.map(({ r }) => `${String(r.tool)} ${r.host}`)).toEqual([
      'dmmonitor DW_M',
      expect.stringMatching(/^dmwatcher DW_S[12]$/),
      expect.stringMatching(/^dmwatcher DW_S[12]$/),
      'dmwatcher DW_P',
    ]);
    for (const h of ['DW_P', 'DW_S1', 'DW_S2'])
      expect((await lab().sh(h, 'cat /dm/data/DAMENG/dm.ini')).stdout).toMatch(
        /RLOG_SEND_APPLY_MON\s*=\s*128\b/,
      );
    deployed = spec;
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.groups[0]?.databases.find((d) => d.instance === 'GRP1_RT_01')?.mode).toBe('PRIMARY');
    expect((await planLive()).out).toContain('no changes');
    const p = await tf.plan();
    expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
  }, 600_000);

  it('a standby marked removed leaves the running group: stopped, its destination deleted online; its MAL entry and data stay', async () => {
    const spec = structuredClone(deployed) as ClusterSpec & { standbys: Record<string, unknown>[] };
    const rt3 = spec.standbys.find((x) => x.name === 'GRP1_RT_03');
    if (!rt3) throw new Error('GRP1_RT_03 is not in the spec');
    rt3.removed = true;
    edit(spec);
    const live = await planLive();
    expect(live.code, live.out).toBe(0);
    expect(live.out).toMatch(/standby GRP1_RT_03 on DW_S2 leaves group GRP1, marked removed: stopped/);
    const t0 = Date.now();
    await tf.apply();
    const log = readLogs(lab(), HOSTS).filter((r) => Date.parse(String(r.t)) >= t0);
    // the leaving standby stopped normally; nothing else restarted
    expect(
      log
        .filter((r) => r.tool === 'dmserver' && (r.event === 'shutdown' || r.event === 'start'))
        .map((r) => `${r.event} ${r.host} ${String(r.normal)}`),
    ).toEqual(['shutdown DW_S2 true']);
    // §6.18: detached, then stopped through the monitor (§4.4 items 43, 49), before its
    // destination is deleted with the members in MOUNT
    const commands = log
      .filter((r) => r.tool === 'dmmonitor' && r.event === 'command')
      .map((r) => String(r.cmd));
    expect(commands).toEqual(
      expect.arrayContaining(['detach database grp1.grp1_rt_03', 'stop database grp1.grp1_rt_03']),
    );
    expect(log.filter((r) => r.event === 'detach').map((r) => `${r.host} ${String(r.db)}`)).toEqual([
      'DW_P GRP1_RT_03',
    ]);
    const stopAt = log.findIndex((r) => r.tool === 'dmserver' && r.event === 'shutdown');
    const deleteAt = log.findIndex((r) => r.event === 'exec' && /DELETE ARCHIVELOG/.test(String(r.stmt)));
    expect(stopAt).toBeGreaterThanOrEqual(0);
    expect(deleteAt).toBeGreaterThan(stopAt);
    for (const h of ['DW_P', 'DW_S1'])
      expect(
        log.filter(
          (r) =>
            r.host === h &&
            r.event === 'exec' &&
            r.ok === true &&
            r.stmt === "ALTER DATABASE DELETE ARCHIVELOG 'DEST=GRP1_RT_03'",
        ).length,
        h,
      ).toBe(1);
    expect(log.filter((r) => r.event === 'hazard').map((r) => r.reason)).toEqual([]);
    // the files as rendered: no destination to it, its MAL entry kept
    const v = validateSpec(spec);
    if (!v.model) throw new Error(JSON.stringify(v.findings));
    for (const st of planCluster(v.model).steps)
      if (st.params.kind === 'config')
        for (const f of st.params.files.filter((x) => x.role === 'dmmal.ini' || x.role === 'dmarch.ini')) {
          const text = (await lab().sh(st.host, `cat ${f.path}`)).stdout;
          expect(text, `${st.host}:${f.path}`).toBe(f.content);
          if (f.role === 'dmarch.ini') expect(text).not.toContain('GRP1_RT_03');
          else expect(text).toContain('MAL_INST_NAME = GRP1_RT_03');
        }
    // its database is kept (no purgeData)
    expect((await lab().sh('DW_S2', 'test -f /dm/data/DAMENG/dm.ini && echo kept')).stdout).toContain('kept');
    deployed = spec;
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.groups[0]?.databases.map((d) => d.instance).sort()).toEqual(['GRP1_RT_01', 'GRP1_RT_02']);
    const p = await tf.plan();
    expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
    expect((await planLive()).out).toContain('no changes');
  }, 600_000);

  it('without the record on the hosts, an OGUID change is still refused: the running databases tell theirs', async () => {
    for (const h of HOSTS) await lab().sh(h, 'rm -rf /dm/dmdeploy/cluster');
    const oguid = (deployed as { oguid: number }).oguid;
    edit({ ...deployed, oguid: oguid + 1 } as ClusterSpec);
    const live = await planLive();
    expect(live.code, live.out).toBe(1);
    expect(live.out).toContain('no host holds a record of a healthy deploy, but databases run');
    expect(live.out).toMatch(
      /LIVE_OGUID_CHANGED oguid \(group GRP1\): GRP1_RT_0\d on DW_\w+ runs with OGUID/,
    );
    const said = await applyRefused();
    expect(said).toMatch(
      /LIVE_OGUID_CHANGED oguid \(group GRP1\): GRP1_RT_0\d on DW_\w+ runs with OGUID \d+/,
    );
    // a standby added without a record: the online join needs one, so it is refused too
    const grownSpec = structuredClone(deployed) as ClusterSpec & { standbys: Record<string, unknown>[] };
    grownSpec.standbys.push({
      ...grownSpec.standbys[0],
      name: 'GRP1_RT_04',
      host: 'DW_S2',
      path: '/dm/data4',
      port: 32144,
      malPort: 61144,
      malDwPort: 52144,
      instDwPort: 33144,
    });
    edit(grownSpec);
    const added = await planLive();
    expect(added.code, added.out).toBe(1);
    expect(added.out).toMatch(
      /LIVE_ADD_MEMBER GRP1_RT_04: GRP1_RT_04 is not a member of the running group GRP1/,
    );
  }, 300_000);

  it('the reverted spec applies with nothing to do on any host, and a re-plan shows no changes', async () => {
    edit(deployed);
    const before = mutating();
    await tf.apply();
    expect(mutating()).toBe(before);
    const p = await tf.plan();
    expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
    // verify ran again and recorded the cluster
    const live = await planLive();
    expect(live.code).toBe(0);
    expect(live.out).toContain('no changes: the running cluster is as the spec says');
  }, 300_000);

  it('a monitor setting is changed online: the monitor step restarts the confirm monitor to read it', async () => {
    const monitor = { ...(deployed as { monitor: Record<string, unknown> }).monitor, logInterval: 30 };
    const spec = { ...deployed, monitor } as ClusterSpec;
    edit(spec);
    const live = await planLive();
    expect(live.code, live.out).toBe(0);
    expect(live.out).toMatch(
      /rewrite \S+dmmonitor\.ini on DW_M: MON_LOG_INTERVAL 60 -> 30; the monitor step restarts/,
    );
    const starts = () => confirmMonitorStarts(readLogs(lab(), HOSTS)).length;
    const before = mutating();
    const monitorStarts = starts();
    await tf.apply();
    // the confirm monitor was restarted, and nothing else mutating ran
    expect(starts()).toBe(monitorStarts + 1);
    expect(mutating()).toBe(before + 1);
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.monitor?.running).toBe(true);
    const after = await planLive();
    expect(after.out).toContain('no changes');
  }, 300_000);
});
