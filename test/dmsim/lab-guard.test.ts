/**
 * The simulator's watcher and DMDSC refusals on lab hosts (network namespaces with OpenSSH), every
 * tool driven through the lib/ssh executor as in lab.test.ts: a GLOBAL watcher without a
 * realtime/timely archive (§3.2), a watcher whose OGUID differs from its database's (§2.2.13),
 * dmmal.ini differing inside a group (7.2.3.2), two primaries (§2.2.16), manual changes while a
 * watcher is active (§5.1), and a DMDSC database on two hosts sharing one storage directory
 * (7.5: dmcss/dmasmsvr, DCR_INI, dmrman use_ap=2 dcr_ini=, §2.2.3).
 */
import fs from 'node:fs';
import path from 'node:path/posix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shQuote, type SshExecutor } from '../../lib/ssh';
import type { RenderedFile } from '../../lib/render';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { Lab } from '../lab/lab';
import { labPaths } from '../lab/names';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { labExecutor } from '../ssh/helpers';
import {
  DM,
  DmOverSsh,
  killOurProcesses,
  PASSWORD,
  db,
  installOnHosts,
  invocation,
  ok,
  renderSpec,
  until,
  type Db,
} from './lab-harness';
import type { LogRecord } from './src/common';

const avail = labAvailabilityForTests();

/**
 * One host for the §3.2 watcher (ARCH); a pair of hosts per group-level refusal (OG_: OGUID,
 * MAL_: dmmal.ini, PP_: two primaries, ACT_: an open pair under active watchers); DSC1 and DSC2
 * for the DMDSC database on shared storage.
 */
const HOSTS = [
  'ARCH',
  'OG_P',
  'OG_S',
  'MAL_P',
  'MAL_S',
  'PP_P',
  'PP_S',
  'ACT_P',
  'ACT_S',
  'DSC1',
  'DSC2',
] as const;

/** dmsim's watcher loop period (DMSIM_TICK_MS default). */
const TICK_MS = 200;

const events = (recs: readonly LogRecord[]) => recs.map((r) => r.event);
const refusals = (log: readonly LogRecord[]) =>
  log.filter((r) => r.event === 'refuse').map((r) => String(r.reason));
const execs = (log: readonly LogRecord[]) =>
  log.filter((r) => r.event === 'exec' && r.tool === 'dmserver').map((r) => [r.stmt, r.ok]);
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pairSpec(lab: Lab, o: { group: string; oguid: number; p: Db; s: Db }): ClusterSpec {
  const host = (n: string) => {
    const h = lab.host(n);
    return { address: h.public, public: h.public, private: h.private };
  };
  const dbSpec = (d: Db) => ({ name: d.name, host: d.host, path: d.path, port: d.port });
  return {
    kind: 'RealtimePair',
    group: o.group,
    oguid: o.oguid,
    dmHome: '/dm',
    hosts: { [o.p.host]: host(o.p.host), [o.s.host]: host(o.s.host) },
    primary: dbSpec(o.p),
    standbys: [dbSpec(o.s)],
    watcher: { mode: 'MANUAL' },
  };
}

// skipped only where no lab can run (not root, no namespaces or tools), with the printed reason; CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok)('dmsim watcher and DMDSC refusals on lab hosts, over SSH', () => {
  const lab = useLab({ name: 'dmsimguard', hosts: [...HOSTS] });
  let ex: SshExecutor;
  let dm: DmOverSsh;
  /** The DMDSC storage directory both DSC hosts see (under the lab's own /var/lib/dmlab tree). */
  let shared: string | undefined;

  beforeAll(() => {
    installOnHosts(lab(), HOSTS);
    ex = labExecutor(lab(), { defaultTimeoutMs: 20_000 });
    dm = new DmOverSsh(ex, (h) => lab().host(h).public);
  }, 30_000);

  afterAll(async () => {
    // Every process started on a host (servers, watchers, dmcss, dmasmsvr): SIGKILL through the
    // lab's fault control until none is left (bounded), then the shared storage directory.
    await killOurProcesses(lab(), HOSTS);
    if (shared) fs.rmSync(shared, { recursive: true, force: true });
    await ex?.close();
  }, 20_000);

  // ------------------------------------------------------------------ helpers

  const watcherIni = (files: readonly RenderedFile[], d: Db) =>
    files.find((f) => f.role === 'dmwatcher.ini' && f.instance === d.name)?.path ?? '';
  const watcherOut = (d: Db) => path.join(DM.out, `dmwatcher_${d.name}.out`);

  /** A watcher in the background, as DM's service script starts it; its pid once READY. */
  async function startWatcher(files: readonly RenderedFile[], d: Db): Promise<number> {
    const w = await dm.background(
      d.host,
      `${DM.bin}/dmwatcher ${shQuote(watcherIni(files, d))} -noconsole`,
      watcherOut(d),
      { ready: 'IS READY' },
    );
    ok(w.result, `dmwatcher ${d.name}`);
    return w.pid;
  }

  /**
   * A pair built as 7.1.1 + 7.2 prescribe (dminit, first normal start, the primary's files,
   * offline backup, the set copied host to host, RESTORE + UPDATE DB_MAGIC, the standby's files,
   * MOUNT, OGUID and mode inside the ALTER_MODE_STATUS wrapper), with one deviation at most.
   */
  async function buildPair(
    files: readonly RenderedFile[],
    P: Db,
    S: Db,
    o: {
      oguid: number;
      standbyOguid?: number;
      standbyMode?: 'STANDBY' | 'PRIMARY';
      beforeMount?: () => Promise<void>;
    },
  ): Promise<void> {
    ok(await dm.dminit(P), `dminit ${P.name}`);
    ok(await dm.dminit(S), `dminit ${S.name}`);
    const first = await dm.startServer(P);
    ok(first.result, `first start ${P.name}`);
    await dm.shutdown(P, first.pid);
    await dm.push(files, (f) => f.instance === P.name);
    const set = path.join(DM.bak, 'full01');
    ok(await dm.rman(P.host, `BACKUP DATABASE '${P.ini}' FULL TO BACKUP_FILE1 BACKUPSET '${set}'`), 'backup');
    ok(await ex.exec(S.host, `mkdir -p ${set}`), 'mkdir');
    for (const f of ['BACKUP_FILE1.bak', 'BACKUP_FILE1.meta'])
      await ex.copyFile({ host: P.host, path: path.join(set, f) }, { host: S.host, path: path.join(set, f) });
    ok(await dm.rman(S.host, `RESTORE DATABASE '${S.ini}' FROM BACKUPSET '${set}'`), 'restore');
    ok(await dm.rman(S.host, `RECOVER DATABASE '${S.ini}' UPDATE DB_MAGIC`), 'update db_magic');
    await dm.push(files, (f) => f.instance === S.name);
    await o.beforeMount?.();
    for (const d of [P, S]) ok((await dm.startServer(d, { mount: true })).result, `mount ${d.name}`);
    for (const [d, oguid, mode] of [
      [P, o.oguid, 'PRIMARY'],
      [S, o.standbyOguid ?? o.oguid, o.standbyMode ?? 'STANDBY'],
    ] as const)
      ok(await dm.setOguidAndMode(d, oguid, mode), `${d.name} oguid/mode`);
  }

  /**
   * Start both watchers and wait (bounded) until each has logged its refusal; then a few more
   * ticks, so that a refusal reported again would be in the logs read here.
   */
  async function watchersRefuse(
    files: readonly RenderedFile[],
    expected: readonly [Db, RegExp][],
  ): Promise<Map<string, LogRecord[]>> {
    for (const [d] of expected) await startWatcher(files, d);
    for (const [d, reason] of expected)
      await until(
        async () => refusals(await dm.log(d.host)).some((x) => reason.test(x)),
        `${d.name}'s watcher refuses`,
        10_000,
      );
    await sleep(5 * TICK_MS);
    const logs = new Map<string, LogRecord[]>();
    for (const [d] of expected) logs.set(d.host, await dm.log(d.host));
    return logs;
  }

  /**
   * On the watcher's host: the refusal is logged exactly once, after the watcher started, and
   * nothing was opened; the watcher printed it (with the manual section) to its output.
   */
  async function refusedOnce(log: readonly LogRecord[], d: Db, reason: RegExp): Promise<void> {
    const iStart = log.findIndex((r) => r.event === 'start' && r.tool === 'dmwatcher');
    const hits = log.flatMap((r, i) => (r.event === 'refuse' && reason.test(String(r.reason)) ? [i] : []));
    expect(iStart, `${d.host}: watcher start`).toBeGreaterThanOrEqual(0);
    expect(hits, `${d.host}: refusals`).toHaveLength(1);
    expect(hits[0]).toBeGreaterThan(iStart);
    expect(log[hits[0] ?? -1]).toMatchObject({ tool: 'dmwatcher', instance: d.name });
    expect(log.some((r) => r.event === 'open' || r.event === 'open-instance')).toBe(false);
    expect((await ex.readFile(d.host, watcherOut(d))).toString('utf8')).toMatch(reason);
  }

  // ------------------------------------------------------------------ §3.2

  it('refuses a GLOBAL watcher whose instance has no realtime/timely archive (§3.2)', async () => {
    const P = db('GRP1_RT_01', 'ARCH');
    const S = db('GRP1_RT_02', 'ARCH', 5237);
    const files = renderSpec(pairSpec(lab(), { group: 'GRP1', oguid: 4541, p: P, s: S }));
    ok(await dm.dminit(P), 'dminit');
    await dm.push(files, (f) => f.instance === P.name);
    // the rendered dmarch.ini without its realtime section: a LOCAL archive only
    const arch = files.find((f) => f.role === 'dmarch.ini' && f.instance === P.name);
    const local = arch?.content.replace(/\[ARCHIVE_REALTIME1\][^[]*/, '') ?? '';
    expect(local).toMatch(/ARCH_TYPE = LOCAL/);
    expect(local).not.toMatch(/REALTIME|TIMELY/);
    await ex.writeFile('ARCH', arch?.path ?? '', local, { mode: 0o644 });

    const wIni = watcherIni(files, P);
    const from = (await dm.log('ARCH')).length;
    const r = await dm.tool('ARCH', 'dmwatcher', [wIni, '-noconsole'], { timeoutMs: 10_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /DW_TYPE = GLOBAL but instance GRP1_RT_01 has no REALTIME or TIMELY archive in dmarch\.ini \(ARCH_INI = 1\); dmwatcher fails to start \(DM8 manual §3\.2\)/,
    );
    const mine = invocation(await dm.log('ARCH'), from, 'dmwatcher', wIni);
    // refused while reading its configuration: it never started, never listened
    expect(events(mine)).toEqual(['invoke', 'error']);
    expect(String(mine[1]?.error)).toMatch(/§3\.2/);

    // the same watcher with the rendered dmarch.ini (realtime archive to GRP1_RT_02) starts
    await ex.writeFile('ARCH', arch?.path ?? '', arch?.content ?? '', { mode: 0o644 });
    const from2 = (await dm.log('ARCH')).length;
    const pid = await startWatcher(files, P);
    ok(await ex.exec('ARCH', `kill ${pid}`), 'stop watcher');
    await dm.waitExit('ARCH', pid);
    const again = invocation(await dm.log('ARCH'), from2, 'dmwatcher', wIni);
    expect(events(again)[0]).toBe('invoke');
    expect(events(again)[1]).toBe('start');
    expect(events(again).at(-1)).toBe('exit');
    expect(again.some((x) => x.event === 'error')).toBe(false);
  });

  // ------------------------------------------------------------------ §2.2.13

  it("refuses a watcher whose INST_OGUID differs from its database's OGUID (§2.2.13)", async () => {
    const P = db('GRP2_RT_01', 'OG_P');
    const S = db('GRP2_RT_02', 'OG_S');
    const files = renderSpec(pairSpec(lab(), { group: 'GRP2', oguid: 4542, p: P, s: S }));
    expect(files.find((f) => f.role === 'dmwatcher.ini' && f.instance === S.name)?.content).toMatch(
      /INST_OGUID = 4542/,
    );
    // the standby's database gets another OGUID than the group's watchers and primary
    await buildPair(files, P, S, { oguid: 4542, standbyOguid: 4546 });
    expect(await dm.instance(S)).toEqual({ status: 'MOUNT', mode: 'STANDBY', oguid: 4546 });
    const own = new RegExp(
      `watcher INST_OGUID 4542 differs from database GRP2_RT_02's OGUID 4546; .*\\(DM8 manual §2\\.2\\.13, 7\\.2\\.3\\.6\\)`,
    );
    const peer = /peer database GRP2_RT_02 has OGUID 4546, not 4542 \(DM8 manual §2\.2\.13\)/;
    const logs = await watchersRefuse(files, [
      [S, own],
      [P, peer],
    ]);
    const logS = logs.get('OG_S') ?? [];
    await refusedOnce(logS, S, own);
    await refusedOnce(logs.get('OG_P') ?? [], P, peer);
    // the OGUID was set by hand (§2.2.13), before the watcher started and refused
    const iSet = logS.findIndex((r) => r.event === 'exec' && r.stmt === 'SP_SET_OGUID(4546)' && r.ok);
    const iStart = logS.findIndex((r) => r.event === 'start' && r.tool === 'dmwatcher');
    expect(iSet).toBeGreaterThanOrEqual(0);
    expect(iStart).toBeGreaterThan(iSet);
    expect(await dm.instance(S)).toEqual({ status: 'MOUNT', mode: 'STANDBY', oguid: 4546 });
    expect(await dm.instance(P)).toEqual({ status: 'MOUNT', mode: 'PRIMARY', oguid: 4542 });
  }, 30_000);

  // ------------------------------------------------------------------ 7.2.3.2

  it('refuses a group whose dmmal.ini files differ (7.2.3.2, §5.2)', async () => {
    const P = db('GRP3_RT_01', 'MAL_P');
    const S = db('GRP3_RT_02', 'MAL_S');
    const files = renderSpec(pairSpec(lab(), { group: 'GRP3', oguid: 4543, p: P, s: S }));
    const malS = path.join(path.dirname(S.ini), 'dmmal.ini');
    const malP = path.join(path.dirname(P.ini), 'dmmal.ini');
    // the standby's copy edited on its host after the push: one value differs
    await buildPair(files, P, S, {
      oguid: 4543,
      beforeMount: async () => {
        const text = (await ex.readFile('MAL_S', malS)).toString('utf8');
        expect(text).toMatch(/^MAL_CHECK_INTERVAL = 5$/m);
        await ex.writeFile('MAL_S', malS, text.replace('MAL_CHECK_INTERVAL = 5', 'MAL_CHECK_INTERVAL = 6'));
      },
    });
    const [textP, textS] = [
      (await ex.readFile('MAL_P', malP)).toString('utf8').split('\n'),
      (await ex.readFile('MAL_S', malS)).toString('utf8').split('\n'),
    ];
    expect(textS.filter((l, i) => l !== textP[i])).toEqual(['MAL_CHECK_INTERVAL = 6']);
    const reason = (peer: Db, self: Db) =>
      new RegExp(
        `dmmal\\.ini of ${peer.name} differs from dmmal\\.ini of ${self.name}; .*\\(DM8 manual 7\\.2\\.3\\.2, §5\\.2\\)`,
      );
    const logs = await watchersRefuse(files, [
      [P, reason(S, P)],
      [S, reason(P, S)],
    ]);
    await refusedOnce(logs.get('MAL_P') ?? [], P, reason(S, P));
    await refusedOnce(logs.get('MAL_S') ?? [], S, reason(P, S));
    expect(await dm.instance(P)).toEqual({ status: 'MOUNT', mode: 'PRIMARY', oguid: 4543 });
    expect(await dm.instance(S)).toEqual({ status: 'MOUNT', mode: 'STANDBY', oguid: 4543 });
  }, 30_000);

  // ------------------------------------------------------------------ §2.2.16

  it('refuses two primaries in a group (§2.2.16)', async () => {
    const P = db('GRP4_RT_01', 'PP_P');
    const S = db('GRP4_RT_02', 'PP_S');
    const files = renderSpec(pairSpec(lab(), { group: 'GRP4', oguid: 4544, p: P, s: S }));
    await buildPair(files, P, S, { oguid: 4544, standbyMode: 'PRIMARY' });
    const reason = (self: Db, peer: Db) =>
      new RegExp(
        `more than one PRIMARY database in group GRP4 \\(${self.name}, ${peer.name}\\); the watcher will not open either \\(DM8 manual §2\\.2\\.16\\)`,
      );
    const logs = await watchersRefuse(files, [
      [P, reason(P, S)],
      [S, reason(S, P)],
    ]);
    await refusedOnce(logs.get('PP_P') ?? [], P, reason(P, S));
    await refusedOnce(logs.get('PP_S') ?? [], S, reason(S, P));
    // both were made PRIMARY by hand, in MOUNT, before their watchers started
    for (const [d, log] of [
      [P, logs.get('PP_P') ?? []],
      [S, logs.get('PP_S') ?? []],
    ] as const) {
      const iMode = log.findIndex((r) => r.event === 'exec' && r.stmt === 'ALTER DATABASE PRIMARY' && r.ok);
      const iStart = log.findIndex((r) => r.event === 'start' && r.tool === 'dmwatcher');
      expect(iMode, d.name).toBeGreaterThanOrEqual(0);
      expect(iStart, d.name).toBeGreaterThan(iMode);
      expect(await dm.instance(d)).toEqual({ status: 'MOUNT', mode: 'PRIMARY', oguid: 4544 });
    }
  }, 30_000);

  // ------------------------------------------------------------------ §5.1 DW_INACTIVE_INTERVAL

  it('refuses OGUID, mode and status changes while a watcher is active (§5.1 DW_INACTIVE_INTERVAL)', async () => {
    const P = db('GRP5_RT_01', 'ACT_P');
    const S = db('GRP5_RT_02', 'ACT_S');
    const files = renderSpec(pairSpec(lab(), { group: 'GRP5', oguid: 4545, p: P, s: S }));
    await buildPair(files, P, S, { oguid: 4545 });
    for (const d of [P, S]) await startWatcher(files, d);
    await until(async () => (await dm.instance(P))?.status === 'OPEN', 'primary OPEN', 30_000);
    await until(async () => (await dm.instance(S))?.status === 'OPEN', 'standby OPEN', 30_000);

    // ALTER_MODE_STATUS = 1 and the standby's watcher heartbeating it: only the watcher stands in the way
    const from = (await dm.log('ACT_S')).length;
    ok(await dm.sql(S, [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`]), 'ALTER_MODE_STATUS = 1');
    for (const stmt of ['SP_SET_OGUID(4547)', 'ALTER DATABASE PRIMARY', 'ALTER DATABASE MOUNT']) {
      const r = await dm.sql(S, [stmt]);
      expect(r.exitCode, stmt).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `\\[-721\\]:${re(stmt)} refused: a dmwatcher is active \\(last message \\d+ s ago, DW_INACTIVE_INTERVAL = 60 s\\) \\(DM8 manual §5\\.1 DW_INACTIVE_INTERVAL\\)`,
        ),
      );
    }
    ok(await dm.sql(S, [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`]), 'ALTER_MODE_STATUS = 0');
    const log = await dm.log('ACT_S');
    expect(execs(log.slice(from))).toEqual([
      [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`, true],
      ['SP_SET_OGUID(4547)', false],
      ['ALTER DATABASE PRIMARY', false],
      ['ALTER DATABASE MOUNT', false],
      [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`, true],
    ]);
    // the watcher had opened the standby (OPEN FORCE through its link) before any of this
    const iOpen = log.findIndex((r) => r.event === 'open' && r.tool === 'dmserver');
    expect(iOpen).toBeGreaterThanOrEqual(0);
    expect(iOpen).toBeLessThan(from);
    expect(log.filter((r) => r.event === 'open' && r.tool === 'dmserver')).toHaveLength(1);
    // nothing changed
    expect(await dm.instance(S)).toEqual({ status: 'OPEN', mode: 'STANDBY', oguid: 4545 });
    expect(await dm.instance(P)).toEqual({ status: 'OPEN', mode: 'PRIMARY', oguid: 4545 });
  }, 30_000);

  // ------------------------------------------------------------------ DMDSC (7.5)

  it('DMDSC on two hosts sharing storage: DCR_INI and the host dmcss required, dmrman use_ap=2 dcr_ini= backup, no mode change while the other node is not in MOUNT (7.5, §2.2.3)', async () => {
    const l = lab();
    shared = path.join(labPaths(l.name).dataDir, 'dsc_shared');
    const dsc = path.join(shared, 'DMDATA', 'data', 'DSC');
    const dcr = '/dm/conf/dmdcr.ini';
    const N1: Db = { name: 'DSC01', host: 'DSC1', path: '/dm/dsc', ini: '/dm/dsc/DSC01/dm.ini', port: 5236 };
    const N2: Db = { name: 'DSC02', host: 'DSC2', path: '/dm/dsc', ini: '/dm/dsc/DSC02/dm.ini', port: 5236 };

    // the storage directory: made on DSC1, seen by DSC2 (neither's private /dm, /root or /tmp)
    ok(await ex.exec('DSC1', `mkdir -p ${shQuote(shared)}`), 'mkdir shared');
    ok(await ex.exec('DSC2', `test -d ${shQuote(shared)} && test -w ${shQuote(shared)}`), 'shared on DSC2');
    // each host its own dmdcr.ini (7.5.10): DMDCR_PATH on the shared directory, +DMDATA maps beside it
    for (const [d, seq] of [
      [N1, 0],
      [N2, 1],
    ] as const) {
      ok(await ex.exec(d.host, 'mkdir -p /dm/conf'), 'mkdir conf');
      await ex.writeFile(
        d.host,
        dcr,
        `DMDCR_PATH = ${shared}/dcr.disk\nDMDCR_MAL_PATH = ${shared}/dmasvrmal.ini\nDMDCR_SEQNO = ${seq}\n`,
      );
    }
    // dminit control= on DSC1 (7.5.3): the control file on shared storage, each node's dm.ini at
    // its CONFIG_PATH; DSC02's then copied to its own host, as with real DM
    const control = '/dm/dsc/dminit.ini';
    ok(await ex.exec('DSC1', 'mkdir -p /dm/dsc'), 'mkdir dsc');
    await ex.writeFile(
      'DSC1',
      control,
      [
        'DB_NAME = DSC',
        'SYSTEM_PATH = +DMDATA/data',
        'CTL_PATH = +DMDATA/data/DSC/dm.ctl',
        `DCR_PATH = ${shared}/dcr.disk`,
        '[DSC01]',
        `CONFIG_PATH = ${path.dirname(N1.ini)}`,
        `PORT_NUM = ${N1.port}`,
        '[DSC02]',
        `CONFIG_PATH = ${path.dirname(N2.ini)}`,
        `PORT_NUM = ${N2.port}`,
        '',
      ].join('\n'),
    );
    ok(await dm.tool('DSC1', 'dminit', [`control=${control}`], { stdin: `${PASSWORD}\n` }), 'dminit control');
    ok(await ex.exec('DSC2', `mkdir -p ${path.dirname(N2.ini)}`), 'mkdir DSC02');
    await ex.copyFile({ host: 'DSC1', path: N2.ini }, { host: 'DSC2', path: N2.ini });
    ok(await ex.exec('DSC1', `rm -r ${path.dirname(N2.ini)}`), 'rm DSC02 on DSC1');
    // +DMDATA/data/DSC/dm.ctl is one file, the same seen from both hosts
    const ctlSum = async (h: string) =>
      ok(await ex.exec(h, `sha256sum ${shQuote(path.join(dsc, 'dm.ctl'))}`), `dm.ctl on ${h}`).stdout;
    expect(await ctlSum('DSC2')).toBe(await ctlSum('DSC1'));
    // each node's LOCAL archive on ASM (an offline backup needs one, 7.1) and a REMOTE archive to
    // the other node (§2.7.3, 7.5.3.1), through the nodes' identical dmmal.ini; ARCH_INI = 1
    const mal = [N1, N2]
      .map(
        (d, i) =>
          `[MAL_INST${i + 1}]\n\tMAL_INST_NAME = ${d.name}\n\tMAL_HOST = ${lab().host(d.host).private}\n\tMAL_PORT = 5238\n\tMAL_INST_HOST = ${lab().host(d.host).public}\n\tMAL_INST_PORT = ${d.port}\n\tMAL_DW_PORT = 5239\n\tMAL_INST_DW_PORT = 5240\n`,
      )
      .join('\n');
    for (const [d, other] of [
      [N1, N2],
      [N2, N1],
    ] as const) {
      await ex.writeFile(
        d.host,
        path.join(path.dirname(d.ini), 'dmarch.ini'),
        `[ARCHIVE_LOCAL1]\n\tARCH_TYPE = LOCAL\n\tARCH_DEST = +DMDATA/DSC/${d.name}/arch\n\tARCH_FILE_SIZE = 128\n\tARCH_SPACE_LIMIT = 0\n` +
          `[ARCHIVE_REMOTE1]\n\tARCH_TYPE = REMOTE\n\tARCH_DEST = ${other.name}\n\tARCH_INCOMING_PATH = +DMDATA/DSC/${other.name}/arch\n`,
      );
      await ex.writeFile(d.host, path.join(path.dirname(d.ini), 'dmmal.ini'), mal);
      await dm.push(
        [
          {
            host: d.host,
            path: d.ini,
            role: 'dm.ini',
            kind: 'ini-patch',
            content: 'ARCH_INI = 1\nMAL_INI = 1\n',
          },
        ],
        () => true,
      );
    }

    // refused: a DMDSC node without DCR_INI (7.5.11)
    let from = (await dm.log('DSC1')).length;
    const noDcr = await dm.startServer(N1);
    expect(noDcr.result.exitCode).toBe(1);
    expect(noDcr.result.stderr).toMatch(/DCR_INI=<dmdcr\.ini>.*\(DM8 manual 7\.5\.11\)/);
    expect(events(invocation(await dm.log('DSC1'), from, 'dmserver', N1.ini))).toEqual(['invoke', 'error']);

    // refused: DCR_INI, but no dmcss on this host; the one running on DSC2 does not count (7.5.3)
    const cssOn = async (d: Db) => {
      for (const t of ['dmcss', 'dmasmsvr'] as const)
        ok(
          (
            await dm.background(d.host, `${DM.bin}/${t} dcr_ini=${dcr}`, path.join(DM.out, `${t}.out`), {
              ready: 'IS READY',
            })
          ).result,
          `${t} on ${d.host}`,
        );
    };
    await cssOn(N2);
    from = (await dm.log('DSC1')).length;
    const noCss = await dm.startServer(N1, { extra: [`DCR_INI=${dcr}`] });
    expect(noCss.result.exitCode).toBe(1);
    expect(noCss.result.stderr).toMatch(
      new RegExp(`no dmcss runs on this host for ${re(dcr)}; .*\\(DM8 manual 7\\.5\\.3\\)`),
    );
    expect(events(invocation(await dm.log('DSC1'), from, 'dmserver', N1.ini))).toEqual([
      'invoke',
      'start',
      'error',
    ]);
    await cssOn(N1);
    for (const h of ['DSC1', 'DSC2']) {
      const log = await dm.log(h);
      expect(
        log
          .filter((r) => r.event === 'start' && (r.tool === 'dmcss' || r.tool === 'dmasmsvr'))
          .map((r) => r.tool),
      ).toEqual(['dmcss', 'dmasmsvr']);
    }

    // both nodes started normally once (7.1 注意), each on its host, one database
    const run1 = await dm.startServer(N1, { extra: [`DCR_INI=${dcr}`] });
    ok(run1.result, 'start DSC01');
    const run2 = await dm.startServer(N2, { extra: [`DCR_INI=${dcr}`] });
    ok(run2.result, 'start DSC02');
    expect(await dm.instance(N1)).toEqual({ status: 'OPEN', mode: 'NORMAL', oguid: 0 });
    expect(await dm.instance(N2)).toEqual({ status: 'OPEN', mode: 'NORMAL', oguid: 0 });
    // runtime records of both nodes and their archives, all on the shared directory
    const ls = ok(
      await ex.exec('DSC2', `cd ${shQuote(shared)} && find . -name '*.json' -o -name arch`),
      'ls',
    );
    expect(ls.stdout.trim().split('\n').sort()).toEqual([
      './DMDATA/DSC/DSC01/arch',
      './DMDATA/DSC/DSC02/arch',
      './DMDATA/data/DSC/dm.ctl.node.DSC01.json',
      './DMDATA/data/DSC/dm.ctl.node.DSC02.json',
    ]);

    // each node archived a log file when it opened (ARCH_INI = 1), into its own directory
    for (const d of [N1, N2])
      expect(
        ok(
          await ex.exec('DSC1', `ls ${shQuote(path.join(shared, 'DMDATA', 'DSC', d.name, 'arch'))}`),
          'ls arch',
        ).stdout,
      ).toMatch(new RegExp(`^ARCHIVE_LOCAL1_0x[0-9A-F]{8}_EP${d === N1 ? 0 : 1}_[\\d_-]+\\.log$`, 'm'));

    // the offline backup through dmrman use_ap=2 dcr_ini= (7.5.3.3): refused while DSC02 runs on
    // the other host, done once both are down (and both have archive logs)
    await dm.shutdown(N1, run1.pid);
    const set = '/dm/bak/dsc_full';
    const rman = () =>
      dm.tool('DSC1', 'dmrman', ['use_ap=2', `dcr_ini=${dcr}`], {
        stdin: `BACKUP DATABASE '${N1.ini}' FULL BACKUPSET '${set}';\n`,
      });
    from = (await dm.log('DSC1')).length;
    const busy = await rman();
    expect(busy.exitCode).toBe(1);
    expect(busy.stderr).toMatch(
      /offline BACKUP: the database is in use by a running dmserver \(instance DSC02, .*\(DM8 manual 7\.1\.1\)/,
    );
    expect(events(invocation(await dm.log('DSC1'), from, 'dmrman', 'use_ap=2'))).toEqual([
      'invoke',
      'rman',
      'rman-done',
      'error',
    ]);
    await dm.shutdown(N2, run2.pid);
    from = (await dm.log('DSC1')).length;
    expect(ok(await rman(), 'dsc backup').stdout).toContain('backup successfully');
    const bak = invocation(await dm.log('DSC1'), from, 'dmrman', 'use_ap=2');
    expect(events(bak)).toEqual(['invoke', 'rman', 'backup', 'rman-done']);
    expect(bak.find((r) => r.event === 'rman-done')).toMatchObject({ ok: true });
    const meta = ok(await ex.exec('DSC1', `cat ${set}/*.meta`), 'meta').stdout;
    expect(JSON.parse(meta)).toMatchObject({ online: false, source: { dscNodes: ['DSC01', 'DSC02'] } });

    // §2.2.3: DSC01 in MOUNT may not change the database's mode while DSC02 is OPEN, nor while it
    // is down; once DSC02 is in MOUNT too it may, and DSC02 sees the new mode
    const open2 = await dm.startServer(N2, { extra: [`DCR_INI=${dcr}`] });
    ok(open2.result, 'start DSC02 (OPEN)');
    const mount1 = await dm.startServer(N1, { mount: true, extra: [`DCR_INI=${dcr}`] });
    ok(mount1.result, 'mount DSC01');
    from = (await dm.log('DSC1')).length;
    const notMount =
      /ALTER DATABASE PRIMARY refused: DMDSC node DSC02 is not in MOUNT state; every node must be \(DM8 manual §2\.2\.3\)/;
    const r1 = await dm.sql(N1, [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`, 'ALTER DATABASE PRIMARY']);
    expect(r1.exitCode).toBe(1);
    expect(r1.stdout).toMatch(notMount);
    await dm.shutdown(N2, open2.pid);
    const r2 = await dm.sql(N1, ['ALTER DATABASE PRIMARY']);
    expect(r2.exitCode).toBe(1);
    expect(r2.stdout).toMatch(notMount);
    expect(await dm.instance(N1)).toEqual({ status: 'MOUNT', mode: 'NORMAL', oguid: 0 });
    ok((await dm.startServer(N2, { mount: true, extra: [`DCR_INI=${dcr}`] })).result, 'mount DSC02');
    ok(await dm.sql(N1, ['ALTER DATABASE PRIMARY']), 'mode with both nodes in MOUNT');
    expect(execs((await dm.log('DSC1')).slice(from))).toEqual([
      [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`, true],
      ['ALTER DATABASE PRIMARY', false],
      ['ALTER DATABASE PRIMARY', false],
      ['ALTER DATABASE PRIMARY', true],
    ]);
    expect(await dm.instance(N2)).toEqual({ status: 'MOUNT', mode: 'PRIMARY', oguid: 0 });
  }, 40_000);
});
