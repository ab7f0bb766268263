/**
 * dmwatcher and dmmonitor on a realtime pair (7.2) built from the project's own rendered files,
 * and each group-level refusal on a pair of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyFiles, buildPair, ok, pairSpec, PASSWORD, SimLab, until, watcherIni, type Bg } from './harness';
import type { LogRecord } from './src/common';

type Pair = ReturnType<typeof pairSpec>;

function startWatchers(pair: Pair): Bg[] {
  return [
    pair.P.spawn('dmwatcher', [watcherIni(pair.files, pair.primary.name)]),
    pair.S.spawn('dmwatcher', [watcherIni(pair.files, pair.standby.name)]),
  ];
}

const refusals = (logs: LogRecord[]) => logs.filter((r) => r.event === 'refuse').map((r) => String(r.reason));

describe('a realtime pair built as the manual says (7.1, 7.2)', () => {
  let lab: SimLab;
  let pair: Pair;
  let mon: Bg;
  beforeAll(async () => {
    lab = SimLab.create('dmsim-pair');
    pair = pairSpec(lab, { instErrorTime: 3 });
    await buildPair(pair);
    startWatchers(pair);
    mon = pair.M.spawn('dmmonitor', [pair.monitorIni]);
    await mon.waitFor(/启动确认监视器/);
  }, 30_000);
  afterAll(async () => lab?.cleanup());

  it('the watchers open both instances and the confirm monitor shows every instance and watcher OPEN', async () => {
    await until(async () => (await pair.P.instance(pair.primary.port)).STATUS$ === 'OPEN', 'primary OPEN');
    await until(async () => (await pair.S.instance(pair.standby.port)).STATUS$ === 'OPEN', 'standby OPEN');
    expect(await pair.P.instance(pair.primary.port)).toMatchObject({ MODE$: 'PRIMARY', OGUID: 4533 });
    expect(await pair.S.instance(pair.standby.port)).toMatchObject({ MODE$: 'STANDBY', OGUID: 4533 });
    // the watcher opened them (OPEN FORCE through its link), after 7.2's order of steps
    const opens = [...pair.P.log(), ...pair.S.log()].filter(
      (r) => r.event === 'open' && r.tool === 'dmserver',
    );
    expect(opens.map((r) => r.instance).sort()).toEqual(['GRP1_RT_01', 'GRP1_RT_02']);
    // each round reads the answer to its own `show` (the output after it), and a timeout says what
    // the monitor last showed
    let lastShow = '';
    const shown = await until(
      async () => {
        const before = mon.output().length;
        mon.write('show\n');
        lastShow = await until(() => {
          const answer = mon.output().slice(before);
          return /EP INFO:[\s\S]*EP INFO:[\s\S]*\n\n/.test(answer) ? answer : undefined;
        }, 'an answer to show');
        return /GRP1_RT_02\s+OK\s+1\s+1\s+OPEN\s+STANDBY\s+REALTIME\s+VALID/.test(lastShow)
          ? lastShow
          : undefined;
        // a bound, not a speed claim: the watchers' MAL rounds run late when every lab of a run is busy
      },
      'show with both OPEN',
      60_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\nthe monitor last showed:\n${lastShow}`);
    });
    expect(shown).toMatch(/GRP1\s+4533\s+TRUE\s+AUTO\s+FALSE/);
    expect(shown).toMatch(
      new RegExp(
        `${pair.P.priv.replace(/\./g, '\\.')}\\s+${pair.primary.malDwPort}\\s+\\S+ \\S+\\s+GLOBAL\\s+VALID\\s+OPEN\\s+GRP1_RT_01\\s+OK\\s+1\\s+1\\s+OPEN\\s+PRIMARY\\s+REALTIME\\s+VALID`,
      ),
    );
    expect(shown).toMatch(/GLOBAL\s+VALID\s+OPEN\s+GRP1_RT_02/);
  }, 60_000);

  it('V$ARCH_STATUS shows the realtime archive VALID on the primary; V$DMWATCHER shows the watcher', async () => {
    const arch = await pair.P.query(
      pair.primary.port,
      'SELECT ARCH_TYPE, ARCH_DEST, ARCH_STATUS FROM V$ARCH_STATUS',
    );
    expect(arch).toContainEqual({ ARCH_TYPE: 'REALTIME', ARCH_DEST: 'GRP1_RT_02', ARCH_STATUS: 'VALID' });
    expect(arch.find((a) => a.ARCH_TYPE === 'LOCAL')?.ARCH_STATUS).toBe('VALID');
    const w = await until(async () => {
      const rows = await pair.S.query(
        pair.standby.port,
        'SELECT GROUP_NAME, INST_NAME, DW_TYPE, DW_MODE, DW_STATUS FROM V$DMWATCHER',
      );
      return rows[0]?.DW_STATUS === 'OPEN' ? rows : undefined;
    }, 'V$DMWATCHER shows OPEN');
    expect(w).toEqual([
      { GROUP_NAME: 'GRP1', INST_NAME: 'GRP1_RT_02', DW_TYPE: 'GLOBAL', DW_MODE: 'AUTO', DW_STATUS: 'OPEN' },
    ]);
  });

  it('takes a static parameter (RLOG_SEND_APPLY_MON, §5.1) in the file only, never in memory', async () => {
    const r = await pair.S.sql(pair.standby.port, [`SP_SET_PARA_VALUE(1, 'RLOG_SEND_APPLY_MON', 128)`]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/RLOG_SEND_APPLY_MON is static/);
    ok(await pair.S.sql(pair.standby.port, [`SP_SET_PARA_VALUE(2, 'RLOG_SEND_APPLY_MON', 64)`]), 'scope 2');
  });

  it('refuses mode, status and OGUID changes while a watcher is active (§5.1 DW_INACTIVE_INTERVAL)', async () => {
    const r = await pair.S.sql(pair.standby.port, [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      'ALTER DATABASE MOUNT',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(
      /ALTER DATABASE MOUNT refused: a dmwatcher is active.*§5\.1 DW_INACTIVE_INTERVAL/,
    );
    const r2 = await pair.S.sql(pair.standby.port, ['SP_SET_OGUID(1)']);
    expect(r2.stdout).toMatch(/dmwatcher is active/);
    ok(await pair.S.sql(pair.standby.port, [`SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`]), 'reset');
    expect(await pair.S.instance(pair.standby.port)).toMatchObject({ STATUS$: 'OPEN', OGUID: 4533 });
  });

  it('refuses a second confirm monitor for the group (§3.3)', async () => {
    const r = await pair.M.run('dmmonitor', [pair.monitorIni], { stdin: 'show\n' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/already has a confirm monitor.*§3\.3/);
    // a monitoring-mode monitor is welcome beside it (§4.1: up to 10)
    const plain = path.join(pair.M.dir, 'plain.ini');
    fs.writeFileSync(
      plain,
      fs.readFileSync(pair.monitorIni, 'utf8').replace('MON_DW_CONFIRM = 1', 'MON_DW_CONFIRM = 0'),
    );
    const r2 = ok(await pair.M.run('dmmonitor', [plain], { stdin: 'show\ntip\nexit\n' }), 'plain monitor');
    expect(r2.stdout).toContain('守护系统运行正常');
  });

  it('takes a confirm monitor started again once the old one is gone: the watchers drop its registration', async () => {
    // each watcher reports only the confirm monitor connected to it; a peer's report of one that
    // is gone ends with that peer's next heartbeat, instead of the two watchers echoing it for ever
    mon.kill('SIGKILL');
    await mon.exited(10_000);
    // long enough for the watchers to have polled each other with the old registration gone
    await new Promise((r) => setTimeout(r, 4000));
    mon = pair.M.spawn('dmmonitor', [pair.monitorIni]);
    await mon.waitFor(/启动确认监视器/, 20_000);
    const again = await pair.M.run('dmmonitor', [pair.monitorIni], { stdin: 'show\n' });
    expect(again.stdout).toMatch(/already has a confirm monitor/);
  }, 40_000);

  it('refuses a monitor whose MON_DW_IP is not MAL_HOST:MAL_DW_PORT (7.2.5.1)', async () => {
    // the public address reaches the watcher, but dmmal.ini says MAL_HOST is the private one
    const bad = path.join(pair.M.dir, 'bad.ini');
    const text = fs
      .readFileSync(pair.monitorIni, 'utf8')
      .replace('MON_DW_CONFIRM = 1', 'MON_DW_CONFIRM = 0')
      .replace(`${pair.P.priv}:${pair.primary.malDwPort}`, `${pair.P.pub}:${pair.primary.malDwPort}`);
    fs.writeFileSync(bad, text);
    const r = await pair.M.run('dmmonitor', [bad], { stdin: 'show\n' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `MON_DW_IP ${pair.P.pub.replace(/\./g, '\\.')}:${pair.primary.malDwPort} does not match .*MAL_HOST:MAL_DW_PORT.*7\\.2\\.5\\.1`,
      ),
    );
  });

  it('INST_AUTO_RESTART: a killed standby is restarted by its watcher (in MOUNT) and opened again', async () => {
    pair.S.kill('dmserver', 'SIGKILL');
    await until(
      () => pair.S.log().some((r) => r.event === 'restart-instance'),
      'watcher restarts the instance',
      30_000,
    );
    await until(
      async () => (await pair.S.instance(pair.standby.port)).STATUS$ === 'OPEN',
      'standby open again',
      30_000,
    );
  });

  it('once its watcher is gone, DW_INACTIVE_INTERVAL expires and manual changes are allowed again (§5.1, 7.8.4)', async () => {
    pair.S.kill('dmwatcher', 'SIGKILL');
    ok(
      await pair.S.sql(pair.standby.port, [`SP_SET_PARA_VALUE(1, 'DW_INACTIVE_INTERVAL', 1)`]),
      'interval 1',
    );
    await new Promise((r) => setTimeout(r, 1300));
    ok(
      await pair.S.sql(pair.standby.port, [
        `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
        'ALTER DATABASE MOUNT',
        `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
        `SP_SET_PARA_VALUE(1, 'DW_INACTIVE_INTERVAL', 60)`,
      ]),
      'manual mount',
    );
    expect((await pair.S.instance(pair.standby.port)).STATUS$).toBe('MOUNT');
    // a watcher started again opens it again: why 7.8.4 stops the watchers before such changes
    pair.S.spawn('dmwatcher', [watcherIni(pair.files, pair.standby.name)]);
    await until(
      async () => (await pair.S.instance(pair.standby.port)).STATUS$ === 'OPEN',
      'standby re-opened',
    );
  });

  it('set group auto restart on fails in a group without a DMDSC database (§4.4 item 30)', async () => {
    const before = mon.output().length;
    mon.write('set group GRP1 auto restart on\n');
    await mon.waitFor(/组\(GRP1\)中没有 DMDSC 集群/);
    expect(mon.output().slice(before)).toMatch(/\[!!!\] 组\(GRP1\)中没有 DMDSC 集群.*§4\.4/);
  });

  it('set group <g> <para> <value>: logged in, only the parameters of §4.4 item 34, into memory and dmwatcher.ini', async () => {
    const files = [pair.primary.name, pair.standby.name].map((n) => watcherIni(pair.files, n));
    const original = /DW_ERROR_TIME\s*=\s*(\d+)/.exec(fs.readFileSync(files[0] ?? '', 'utf8'))?.[1] ?? '';
    expect(original).not.toBe('');
    const before = mon.output().length;
    mon.write('set group GRP1 DW_ERROR_TIME 12\n');
    await mon.waitFor(/请先执行login登录监视器/);
    mon.write(`login\nSYSDBA\n${PASSWORD}\nset group GRP1 DW_MODE MANUAL\n`);
    await mon.waitFor(/set group cannot change DW_MODE/);
    mon.write('set group GRP1 DW_ERROR_TIME 2\n');
    await mon.waitFor(/DW_ERROR_TIME must be 3~32767/);
    mon.write('set group GRP1 DW_ERROR_TIME 12\n');
    await mon.waitFor(/修改组\(GRP1\)守护进程参数DW_ERROR_TIME成功/);
    expect(mon.output().slice(before)).not.toContain(PASSWORD);
    for (const f of files) expect(fs.readFileSync(f, 'utf8')).toMatch(/DW_ERROR_TIME\s*=\s*12\b/);
    const sets = [...pair.P.log(), ...pair.S.log()].filter((r) => r.event === 'set-para');
    expect(sets.map((r) => `${String(r.instance)} ${String(r.para)}=${String(r.value)}`).sort()).toEqual([
      `${pair.primary.name} DW_ERROR_TIME=12`,
      `${pair.standby.name} DW_ERROR_TIME=12`,
    ]);
    mon.write(`set group GRP1 DW_ERROR_TIME ${original}\nlogout\n`);
    await until(
      () =>
        files.every((f) =>
          new RegExp(`DW_ERROR_TIME\\s*=\\s*${original}\\b`).test(fs.readFileSync(f, 'utf8')),
        ),
      'DW_ERROR_TIME back',
    );
  });

  it('stop group: watchers to SHUTDOWN, then the primary exits before the standby (§4.4, §6.4)', async () => {
    mon.write(`login\nSYSDBA\n${PASSWORD}\nstop group\n`);
    await mon.waitFor(/退出组\(GRP1\)成功/, 20_000);
    const out = mon.output();
    expect(out.indexOf('通知实例(GRP1_RT_01)正常退出成功')).toBeLessThan(
      out.indexOf('通知实例(GRP1_RT_02)正常退出成功'),
    );
    const downs = [...pair.P.log(), ...pair.S.log()].filter(
      (r) => r.event === 'shutdown' && r.tool === 'dmserver',
    );
    const last = (n: string) => downs.filter((r) => r.instance === n).at(-1);
    expect(last('GRP1_RT_01')?.normal).toBe(true);
    expect(last('GRP1_RT_02')?.normal).toBe(true);
    expect(Date.parse(String(last('GRP1_RT_01')?.t))).toBeLessThanOrEqual(
      Date.parse(String(last('GRP1_RT_02')?.t)),
    );
    const states = [...pair.P.log(), ...pair.S.log()].filter(
      (r) => r.event === 'dw-state' && r.to === 'SHUTDOWN',
    );
    expect(states.length).toBe(2);
    // the password typed at login never reaches a log
    expect(fs.readFileSync(pair.M.logFile, 'utf8')).not.toContain(PASSWORD);
  });
});

describe('detach, stop and attach a standby through the monitor (§4.4 items 43, 44, 49; §6.18)', () => {
  let lab: SimLab;
  let pair: Pair;
  let mon: Bg;
  beforeAll(async () => {
    lab = SimLab.create('dmsim-detach');
    pair = pairSpec(lab, { instErrorTime: 3 });
    await buildPair(pair);
    startWatchers(pair);
    mon = pair.M.spawn('dmmonitor', [pair.monitorIni]);
    await mon.waitFor(/启动确认监视器/);
    for (const [h, port] of [
      [pair.P, pair.primary.port],
      [pair.S, pair.standby.port],
    ] as const)
      await until(async () => (await h.instance(port)).STATUS$ === 'OPEN', `${port} OPEN`);
  }, 30_000);
  afterAll(async () => lab?.cleanup());

  const archive = async () =>
    (
      await pair.P.query(
        pair.primary.port,
        "SELECT ARCH_STATUS FROM V$ARCH_STATUS WHERE ARCH_TYPE = 'REALTIME'",
      )
    )[0]?.ARCH_STATUS;

  it('refuses to stop a standby whose archive is valid; detach makes it INVALID, attach VALID again', async () => {
    await until(async () => (await archive()) === 'VALID', 'archive VALID');
    mon.write(`login\nSYSDBA\n${PASSWORD}\nstop database GRP1.GRP1_RT_02\n`);
    await mon.waitFor(/备库\(GRP1_RT_02\)的归档状态有效, 请先执行detach database分离备库.*§4\.4 item 49/);
    expect(pair.S.log().filter((r) => r.event === 'shutdown' && r.tool === 'dmserver')).toEqual([]);
    mon.write('detach database GRP1.GRP1_RT_02\n');
    await mon.waitFor(/分离库\(GRP1_RT_02\)成功/);
    expect(await archive()).toBe('INVALID');
    mon.write('attach database GRP1.GRP1_RT_02\n');
    await mon.waitFor(/加回库\(GRP1_RT_02\)成功/);
    await until(async () => (await archive()) === 'VALID', 'archive VALID again');
    // the primary cannot be detached: only a GLOBAL standby
    mon.write('detach database GRP1.GRP1_RT_01\n');
    await mon.waitFor(/库\(GRP1_RT_01\)不是全局守护类型的备库/);
  });

  it('a detached standby stops normally; its watcher goes to Shutdown and does not restart it', async () => {
    mon.write('detach database GRP1.GRP1_RT_02\nstop database GRP1.GRP1_RT_02\n');
    await mon.waitFor(/关闭库\(GRP1_RT_02\)成功/, 20_000);
    await until(
      () => pair.S.log().some((r) => r.event === 'shutdown' && r.tool === 'dmserver' && r.normal === true),
      'standby shut down normally',
    );
    // INST_AUTO_RESTART is on: a watcher still watching would start it again within a few rounds
    await new Promise((r) => setTimeout(r, 3000));
    expect(pair.S.log().filter((r) => r.event === 'start' && r.tool === 'dmserver')).toHaveLength(1);
    expect((await pair.P.instance(pair.primary.port)).STATUS$).toBe('OPEN');
  });
});

describe('an async standby (7.6) under a LOCAL watcher', () => {
  let lab: SimLab;
  afterAll(async () => lab?.cleanup());

  it('TIMER_INI + dmtimer.ini + ASYNC archive on the sources; the LOCAL watcher opens the async standby directly', async () => {
    lab = SimLab.create('dmsim-async');
    const pair = pairSpec(lab, { async: true });
    const as = pair.asyncStandby;
    if (!as || !pair.A) throw new Error('no async standby');
    await buildPair(pair);
    const timer = pair.files.find((f) => f.role === 'dmtimer.ini' && f.instance === pair.primary.name);
    expect(timer?.content).toContain('[RT_TIMER]');
    // the async standby opens on its own (LOCAL type, §3.2), before the GLOBAL pair has a watcher
    pair.A.spawn('dmwatcher', [watcherIni(pair.files, as.name)]);
    await until(async () => (await pair.A?.instance(as.port))?.STATUS$ === 'OPEN', 'async standby OPEN');
    expect((await pair.P.instance(pair.primary.port)).STATUS$).toBe('MOUNT');
    startWatchers(pair);
    await until(async () => (await pair.P.instance(pair.primary.port)).STATUS$ === 'OPEN', 'primary OPEN');
    const arch = await pair.P.query(
      pair.primary.port,
      "SELECT ARCH_DEST, ARCH_STATUS FROM V$ARCH_STATUS WHERE ARCH_TYPE = 'ASYNC'",
    );
    expect(arch).toEqual([{ ARCH_DEST: 'GRP1_ASYNC_01', ARCH_STATUS: 'VALID' }]);
    const w = await pair.A.query(as.port, 'SELECT DW_TYPE, DW_STATUS FROM V$DMWATCHER');
    expect(w).toEqual([{ DW_TYPE: 'LOCAL', DW_STATUS: 'OPEN' }]);
    // §3.2, §6.5: the monitor switches over to a GLOBAL standby only, never to the async one
    const plain = path.join(pair.M.dir, 'plain.ini');
    fs.writeFileSync(
      plain,
      fs.readFileSync(pair.monitorIni, 'utf8').replace('MON_DW_CONFIRM = 1', 'MON_DW_CONFIRM = 0'),
    );
    const sw = await pair.M.run('dmmonitor', [plain], {
      stdin: `login\nSYSDBA\n${PASSWORD}\nswitchover GRP1.${as.name}\nexit\n`,
    });
    expect(`${sw.stdout}\n${sw.stderr}`).toMatch(/库\(GRP1_ASYNC_01\)不是全局守护类型的备库, 不能切换为主库/);
    expect((await pair.P.instance(pair.primary.port)).MODE$).toBe('PRIMARY');
  });
});

/** A pair built with the standby's dmmal.ini edited before its MOUNT start. */
async function pairWithStandbyMal(lab: SimLab, edit: (text: string) => string): Promise<Pair> {
  const pair = pairSpec(lab);
  const mal = path.join(path.dirname(pair.standby.ini), 'dmmal.ini');
  await buildPair(pair, { beforeMount: () => fs.writeFileSync(mal, edit(fs.readFileSync(mal, 'utf8'))) });
  return pair;
}

describe('group refusals', () => {
  let lab: SimLab;
  afterEach(async () => lab?.cleanup());

  it('refuses a GLOBAL watcher whose instance has no realtime/timely archive (§3.2)', async () => {
    lab = SimLab.create('dmsim-g1');
    const pair = pairSpec(lab);
    ok(await pair.P.dminit(pair.primary.path), 'dminit');
    applyFiles(pair.files, (f) => f.instance === pair.primary.name);
    const arch = path.join(path.dirname(pair.primary.ini), 'dmarch.ini');
    fs.writeFileSync(arch, fs.readFileSync(arch, 'utf8').replace(/\[ARCHIVE_REALTIME1\][^[]*/, ''));
    const r = await pair.P.run('dmwatcher', [watcherIni(pair.files, pair.primary.name)], { timeoutMs: 5000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /DW_TYPE = GLOBAL but instance GRP1_RT_01 has no REALTIME or TIMELY archive.*§3\.2/,
    );
  });

  it('refuses a watcher whose INST_OGUID differs from its database OGUID (§2.2.13)', async () => {
    lab = SimLab.create('dmsim-g2');
    const pair = pairSpec(lab);
    await buildPair(pair, { standbyOguid: 4534 });
    startWatchers(pair);
    await until(
      () =>
        refusals(pair.S.log()).some((r) =>
          /watcher INST_OGUID 4533 differs from database GRP1_RT_02's OGUID 4534.*§2\.2\.13/.test(r),
        ),
      'S refusal',
    );
    await until(
      () => refusals(pair.P.log()).some((r) => /peer database GRP1_RT_02 has OGUID 4534.*§2\.2\.13/.test(r)),
      'P refusal',
    );
    expect((await pair.S.instance(pair.standby.port)).STATUS$).toBe('MOUNT');
    expect((await pair.P.instance(pair.primary.port)).STATUS$).toBe('MOUNT');
  });

  it('refuses a group whose dmmal.ini files differ (7.2.3.2)', async () => {
    lab = SimLab.create('dmsim-g3');
    const pair = await pairWithStandbyMal(lab, (t) =>
      t.replace('MAL_CHECK_INTERVAL = 5', 'MAL_CHECK_INTERVAL = 6'),
    );
    startWatchers(pair);
    await until(
      () =>
        refusals(pair.P.log()).some((r) =>
          /dmmal\.ini of GRP1_RT_02 differs from dmmal\.ini of GRP1_RT_01.*7\.2\.3\.2/.test(r),
        ),
      'P refusal',
    );
    await until(
      () => refusals(pair.S.log()).some((r) => /dmmal\.ini of GRP1_RT_01 differs/.test(r)),
      'S refusal',
    );
    expect((await pair.P.instance(pair.primary.port)).STATUS$).toBe('MOUNT');
    expect((await pair.S.instance(pair.standby.port)).STATUS$).toBe('MOUNT');
  });

  it('takes dmmal.ini files that differ only in section names and the default MAL_LINK_MAGIC (what SF_MAL_CONFIG_APPLY writes, 7.10.3)', async () => {
    lab = SimLab.create('dmsim-g3b');
    const pair = await pairWithStandbyMal(lab, (t) =>
      t
        .replace(/\[MAL_INST1\]/, '[MAL_INST9]')
        .replace(/(MAL_INST_NAME\s*=\s*GRP1_RT_01)/, '$1\n\tMAL_LINK_MAGIC = 0'),
    );
    const mal = path.join(path.dirname(pair.standby.ini), 'dmmal.ini');
    expect(fs.readFileSync(mal, 'utf8')).toMatch(/\[MAL_INST9\][\s\S]*MAL_LINK_MAGIC = 0/);
    startWatchers(pair);
    await until(async () => (await pair.P.instance(pair.primary.port)).STATUS$ === 'OPEN', 'primary OPEN');
    await until(async () => (await pair.S.instance(pair.standby.port)).STATUS$ === 'OPEN', 'standby OPEN');
    expect(refusals([...pair.P.log(), ...pair.S.log()]).filter((r) => /dmmal\.ini/.test(r))).toEqual([]);
  });

  it('7.10.4: a standby put in MOUNT before its primary, or a primary opened before its standbys, is a hazard logged', async () => {
    lab = SimLab.create('dmsim-g3c');
    const pair = pairSpec(lab);
    await buildPair(pair);
    const watchers = startWatchers(pair);
    await until(async () => (await pair.S.instance(pair.standby.port)).STATUS$ === 'OPEN', 'standby OPEN');
    await until(async () => (await pair.P.instance(pair.primary.port)).STATUS$ === 'OPEN', 'primary OPEN');
    for (const w of watchers) w.kill('SIGTERM');
    const manual = [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      `SP_SET_PARA_VALUE(1, 'DW_INACTIVE_INTERVAL', 0)`,
    ];
    ok(await pair.P.sql(pair.primary.port, manual), 'P manual');
    ok(await pair.S.sql(pair.standby.port, manual), 'S manual');
    const hazards = () =>
      [...pair.P.log(), ...pair.S.log()].filter((r) => r.event === 'hazard').map((r) => String(r.reason));
    // in the manual's order: nothing
    ok(await pair.P.sql(pair.primary.port, ['ALTER DATABASE MOUNT']), 'P mount');
    ok(await pair.S.sql(pair.standby.port, ['ALTER DATABASE MOUNT']), 'S mount');
    ok(await pair.S.sql(pair.standby.port, ['ALTER DATABASE OPEN FORCE']), 'S open');
    ok(await pair.P.sql(pair.primary.port, ['ALTER DATABASE OPEN FORCE']), 'P open');
    expect(hazards()).toEqual([]);
    // out of order: both logged
    ok(await pair.S.sql(pair.standby.port, ['ALTER DATABASE MOUNT']), 'S mount first');
    ok(await pair.P.sql(pair.primary.port, ['ALTER DATABASE MOUNT']), 'P mount');
    ok(await pair.P.sql(pair.primary.port, ['ALTER DATABASE OPEN FORCE']), 'P open first');
    expect(hazards().sort()).toEqual([
      expect.stringMatching(/MOUNT of standby GRP1_RT_02 while its primary GRP1_RT_01 is OPEN/),
      expect.stringMatching(
        /OPEN FORCE of primary GRP1_RT_01 while standby GRP1_RT_02 is still in the MOUNT/,
      ),
    ]);
  });

  it('DELETE ARCHIVELOG: only in MOUNT, only by destination, never the LOCAL archive; it leaves the file without the section', async () => {
    lab = SimLab.create('dmsim-g3d');
    const pair = pairSpec(lab);
    await buildPair(pair);
    const manual = [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      `SP_SET_PARA_VALUE(1, 'DW_INACTIVE_INTERVAL', 0)`,
    ];
    ok(await pair.P.sql(pair.primary.port, manual), 'P manual');
    const del = (dest: string) =>
      pair.P.sql(pair.primary.port, [`ALTER DATABASE DELETE ARCHIVELOG 'DEST=${dest}'`]);
    if ((await pair.P.instance(pair.primary.port)).STATUS$ !== 'OPEN')
      ok(await pair.P.sql(pair.primary.port, ['ALTER DATABASE OPEN FORCE']), 'P open');
    const open = await del(pair.standby.name);
    expect(open.code).not.toBe(0);
    expect(open.stdout + open.stderr).toMatch(/only in MOUNT/);
    ok(await pair.P.sql(pair.primary.port, ['ALTER DATABASE MOUNT']), 'P mount');
    const archIni = path.join(path.dirname(pair.primary.ini), 'dmarch.ini');
    const localDest =
      /ARCH_TYPE\s*=\s*LOCAL\s*\n\s*ARCH_DEST\s*=\s*(\S+)/.exec(fs.readFileSync(archIni, 'utf8'))?.[1] ?? '';
    expect(localDest).not.toBe('');
    const local = await del(localDest);
    expect(local.code).not.toBe(0);
    expect(local.stdout + local.stderr).toMatch(/the LOCAL archive .* cannot be deleted/);
    const none = await del('NO_SUCH_INSTANCE');
    expect(none.stdout + none.stderr).toMatch(/no archive with ARCH_DEST = NO_SUCH_INSTANCE/);
    ok(await del(pair.standby.name), 'delete the realtime destination');
    const arch = fs.readFileSync(path.join(path.dirname(pair.primary.ini), 'dmarch.ini'), 'utf8');
    expect(arch).not.toContain(pair.standby.name);
    expect(arch).toMatch(/ARCH_TYPE\s*=\s*LOCAL/);
  });

  it('refuses a standby whose permanent magic differs from the primary (not made by backup/restore, 7.1)', async () => {
    lab = SimLab.create('dmsim-g4');
    const pair = pairSpec(lab);
    await buildPair(pair, { skipRestore: true });
    startWatchers(pair);
    await until(
      () => refusals(pair.P.log()).some((r) => /PERMANENT_MAGIC of GRP1_RT_02 .* differs .*7\.1/.test(r)),
      'P refusal',
    );
    await until(
      () => refusals(pair.S.log()).some((r) => /PERMANENT_MAGIC of GRP1_RT_01/.test(r)),
      'S refusal',
    );
    expect((await pair.P.instance(pair.primary.port)).STATUS$).toBe('MOUNT');
    expect((await pair.S.instance(pair.standby.port)).STATUS$).toBe('MOUNT');
    // and the primary's realtime archive to it is not valid (-533)
    const arch = await pair.P.query(
      pair.primary.port,
      "SELECT ARCH_STATUS FROM V$ARCH_STATUS WHERE ARCH_TYPE = 'REALTIME'",
    );
    expect(arch).toEqual([{ ARCH_STATUS: 'INVALID' }]);
  });

  it('refuses two primaries in a group (§2.2.16)', async () => {
    lab = SimLab.create('dmsim-g5');
    const pair = pairSpec(lab);
    await buildPair(pair, { standbyMode: 'PRIMARY' });
    startWatchers(pair);
    await until(
      () =>
        refusals(pair.P.log()).some((r) => /more than one PRIMARY database in group GRP1.*§2\.2\.16/.test(r)),
      'P refusal',
    );
    await until(() => refusals(pair.S.log()).some((r) => /more than one PRIMARY/.test(r)), 'S refusal');
    expect((await pair.P.instance(pair.primary.port)).STATUS$).toBe('MOUNT');
    expect((await pair.S.instance(pair.standby.port)).STATUS$).toBe('MOUNT');
  });
});
