/**
 * MPP primary/standby (7.4: one watcher per host guarding two groups, dmmpp.ctl by dmctlcvt,
 * OGUID and mode through LOCAL disql sessions), a DMDSC primary with a single-node realtime
 * standby and an async standby (7.5, 7.5.1: dmcss/dmasmsvr, shared storage, archive logs before
 * the dmrman use_ap=2 dcr_ini= backup, TIMER_INI on every node), and a DMDSC cluster as the
 * realtime standby of a single-node primary (7.5.1, §2.7.5) with dmcss's restart settings and the
 * monitor's `set group ... auto restart` (7.5.10, §4.4), all from the project's rendered files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFiles,
  dbSpec,
  hostSpec,
  instPlan,
  ok,
  PASSWORD,
  render,
  SimLab,
  until,
  type Bg,
  type InstPlan,
  type SimHost,
} from './harness';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { RenderedFile } from '../../lib/render';
import { listProcesses } from './src/common';
import { setDmIniValue } from './src/config';

async function prepareStandby(
  files: RenderedFile[],
  prim: InstPlan,
  stby: InstPlan,
  bak: string,
): Promise<void> {
  ok(await stby.host.dminit(stby.path), `dminit ${stby.name}`);
  ok(
    await stby.host.run('dmrman', [`CTLSTMT=RESTORE DATABASE '${stby.ini}' FROM BACKUPSET '${bak}'`]),
    'restore',
  );
  ok(await stby.host.run('dmrman', [`CTLSTMT=RECOVER DATABASE '${stby.ini}' UPDATE DB_MAGIC`]), 'db_magic');
  applyFiles(files, (f) => f.instance === stby.name && f.role !== 'dmwatcher.ini');
  void prim;
}

const roleStmts = (oguid: number, mode: string) => [
  `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
  `SP_SET_OGUID(${oguid})`,
  `ALTER DATABASE ${mode}`,
  `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
];

/** OGUID and mode in MOUNT; an MPP instance through a LOCAL session (7.4.3.6, 7.4.3.7). */
async function setRole(i: InstPlan, oguid: number, mode: string, mpp?: 'LOCAL'): Promise<void> {
  ok(await i.host.sql(i.port, roleStmts(oguid, mode), mpp ? { mpp } : {}), `${i.name} role`);
}

/** dmcss then dmasmsvr for a dmdcr.ini on a host (7.5.10), each once READY. */
async function startCss(h: SimHost, dcr: string): Promise<{ css: Bg; asm: Bg }> {
  const css = h.spawn('dmcss', [`DCR_INI=${dcr}`]);
  await css.waitFor(/DMCSS \(dmsim\) IS READY/);
  const asm = h.spawn('dmasmsvr', [`DCR_INI=${dcr}`]);
  await asm.waitFor(/IS READY/);
  return { css, asm };
}

/** A DMDSC database of two nodes made by dminit control= (7.5.3); +DMDATA maps into `shared`. */
async function dscInit(
  h: SimHost,
  shared: string,
  nodes: [InstPlan, InstPlan],
  dcrs: [string, string],
): Promise<void> {
  for (const [f, seq] of [
    [dcrs[0], 0],
    [dcrs[1], 1],
  ] as const) {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(
      f,
      `DMDCR_PATH = ${shared}/dcr.disk\nDMDCR_MAL_PATH = ${shared}/dmasvrmal.ini\nDMDCR_SEQNO = ${seq}\n`,
    );
  }
  const control = path.join(h.dir, 'dminit.ini');
  fs.writeFileSync(
    control,
    [
      'DB_NAME = DSC',
      'SYSTEM_PATH = +DMDATA/data',
      'CTL_PATH = +DMDATA/data/DSC/dm.ctl',
      `DCR_PATH = ${shared}/dcr.disk`,
      ...nodes.flatMap((n) => [
        `[${n.name}]`,
        `CONFIG_PATH = ${path.dirname(n.ini)}`,
        `PORT_NUM = ${n.port}`,
      ]),
      '',
    ].join('\n'),
  );
  ok(await h.run('dminit', [`control=${control}`], { stdin: PASSWORD + '\n' }), 'dminit control');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ctlOf = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>;

describe('MPP primary/standby (7.4)', () => {
  let lab: SimLab;
  let A: SimHost, B: SimHost, C: SimHost;
  let ep01: InstPlan, ep02: InstPlan, ep11: InstPlan, ep22: InstPlan;
  let files: RenderedFile[];
  beforeAll(async () => {
    lab = SimLab.create('dmsim-mpp');
    A = lab.host('A');
    B = lab.host('B');
    C = lab.host('C');
    ep01 = instPlan(lab, 'EP01', A);
    ep22 = instPlan(lab, 'EP22', A);
    ep02 = instPlan(lab, 'EP02', B);
    ep11 = instPlan(lab, 'EP11', B);
    const spec = {
      kind: 'MppGroup',
      dmHome: lab.root,
      hosts: { A: hostSpec(A), B: hostSpec(B), C: { address: C.priv } },
      groups: [
        { group: 'GRP1', oguid: 7101, primary: dbSpec(ep01), standbys: [dbSpec(ep11)] },
        { group: 'GRP2', oguid: 7102, primary: dbSpec(ep02), standbys: [dbSpec(ep22)] },
      ],
      watcher: { mode: 'AUTO' },
      monitor: { host: 'C', confirm: true, path: path.join(C.dir, 'mon') },
    } as unknown as ClusterSpec;
    files = render(spec);
    for (const p of [ep01, ep02]) {
      ok(await p.host.dminit(p.path), 'dminit');
      ok(await p.host.startServer(p.ini), 'first start');
      await p.host.stopServer(p.ini);
      applyFiles(files, (f) => f.instance === p.name && f.role !== 'dmwatcher.ini');
    }
    const bak1 = path.join(lab.root, 'bak1');
    const bak2 = path.join(lab.root, 'bak2');
    ok(
      await A.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${ep01.ini}' FULL BACKUPSET '${bak1}'`]),
      'backup EP01',
    );
    ok(
      await B.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${ep02.ini}' FULL BACKUPSET '${bak2}'`]),
      'backup EP02',
    );
    await prepareStandby(files, ep01, ep11, bak1);
    await prepareStandby(files, ep02, ep22, bak2);
    applyFiles(files, (f) => f.role === 'dmwatcher.ini' || f.role === 'dmmonitor.ini');
  }, 40_000);
  afterAll(async () => lab?.cleanup());

  it('refuses to start an MPP_INI=1 instance without dmmpp.ctl (7.4.3.4)', async () => {
    const r = await A.startServer(ep01.ini, ['mount']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/MPP_INI=1 but there is no dmmpp\.ctl.*7\.4\.3\.4/);
  });

  it('one watcher per host guards both groups (7.4.7) and opens all four instances', async () => {
    const mppIni = files.find((f) => f.role === 'dmmpp.ini');
    expect(mppIni?.instance).toBe('EP01');
    const ctl = path.join(path.dirname(ep01.ini), 'dmmpp.ctl');
    ok(await A.run('dmctlcvt', ['TYPE=2', `SRC=${mppIni?.path}`, `DEST=${ctl}`]), 'dmctlcvt');
    for (const i of [ep02, ep11, ep22]) fs.copyFileSync(ctl, path.join(path.dirname(i.ini), 'dmmpp.ctl'));
    for (const i of [ep01, ep02, ep11, ep22])
      ok(await i.host.startServer(i.ini, ['mount']), `mount ${i.name}`);
    // 7.4.3.6: in MOUNT the MPP system is not formed; a GLOBAL session (disql's default) is
    // refused, the manual logs in with MPP_TYPE = LOCAL
    const global = await A.sql(ep01.port, roleStmts(7101, 'PRIMARY'));
    expect(global.code).toBe(1);
    expect(global.stdout).toMatch(/\[-8207\]:MPP GLOBAL session refused.*7\.4\.3\.6/);
    expect((await A.query(ep01.port, 'SELECT MODE$, OGUID FROM V$INSTANCE'))[0]).toEqual({
      MODE$: 'NORMAL',
      OGUID: 0,
    });
    await setRole(ep01, 7101, 'PRIMARY', 'LOCAL');
    await setRole(ep11, 7101, 'STANDBY', 'LOCAL');
    await setRole(ep02, 7102, 'PRIMARY', 'LOCAL');
    await setRole(ep22, 7102, 'STANDBY', 'LOCAL');
    const wA = files.filter((f) => f.role === 'dmwatcher.ini' && f.host === 'A');
    const wB = files.filter((f) => f.role === 'dmwatcher.ini' && f.host === 'B');
    expect(wA).toHaveLength(1);
    expect(wB).toHaveLength(1);
    expect(wA[0]?.content).toMatch(/\[GRP1\][\s\S]*\[GRP2\]/);
    A.spawn('dmwatcher', [wA[0]?.path ?? '']);
    B.spawn('dmwatcher', [wB[0]?.path ?? '']);
    for (const i of [ep01, ep02, ep11, ep22])
      await until(async () => (await i.host.instance(i.port)).STATUS$ === 'OPEN', `${i.name} OPEN`);
    expect((await A.query(ep01.port, 'SELECT MODE$, OGUID FROM V$INSTANCE'))[0]).toEqual({
      MODE$: 'PRIMARY',
      OGUID: 7101,
    });
    expect((await A.query(ep22.port, 'SELECT MODE$, OGUID FROM V$INSTANCE'))[0]).toEqual({
      MODE$: 'STANDBY',
      OGUID: 7102,
    });
    expect(A.log().filter((r) => r.tool === 'dmwatcher' && r.event === 'invoke')).toHaveLength(1);
  });

  it('the monitor shows both groups OPEN', async () => {
    const mon = files.find((f) => f.role === 'dmmonitor.ini');
    const text = await until(async () => {
      const plain = path.join(C.dir, 'plain.ini');
      fs.writeFileSync(
        plain,
        fs.readFileSync(mon?.path ?? '', 'utf8').replace('MON_DW_CONFIRM = 1', 'MON_DW_CONFIRM = 0'),
      );
      const r = ok(await C.run('dmmonitor', [plain], { stdin: 'show\nexit\n' }), 'monitor');
      return (r.stdout.match(/\bOK\s+1\s+1\s+OPEN\s+(PRIMARY|STANDBY)\s+REALTIME\s+VALID/g) ?? []).length ===
        4
        ? r.stdout
        : undefined;
    }, 'all four OPEN in show');
    expect(text).toMatch(/GRP1\s+7101\s+FALSE\s+AUTO\s+TRUE/);
    expect(text).toMatch(/GRP2\s+7102/);
  });

  it("switchover (§4.4 item 25, §6.5): login first, a standby only; the roles swap, every primary's dmmpp.ctl names the new one; a second waits for the recovery", async () => {
    const plain = path.join(C.dir, 'plain.ini');
    const monitor = (cmds: string[], login = true) =>
      C.run('dmmonitor', [plain], {
        stdin: `${login ? `login\nSYSDBA\n${PASSWORD}\n` : ''}${cmds.join('\n')}\nexit\n`,
      });
    const ctl = (i: InstPlan) => fs.readFileSync(path.join(path.dirname(i.ini), 'dmmpp.ctl'));
    const before = ctl(ep01);
    const mode = async (i: InstPlan) => (await i.host.instance(i.port)).MODE$;
    // refused: before login; the primary as the target; a name that is no database
    const out = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`;
    expect(out(await monitor(['switchover GRP1.EP11'], false))).toMatch(/请先执行login登录监视器/);
    expect(out(await monitor(['switchover GRP1.EP01']))).toMatch(/库\(EP01\)不是备库/);
    expect(out(await monitor(['switchover GRP1.EP99']))).toMatch(/库\(EP99\)不存在/);
    expect([await mode(ep01), await mode(ep11)]).toEqual(['PRIMARY', 'STANDBY']);
    // the switchover, and at once a second one back: the new primary's archives are INVALID
    // until its watcher has recovered the standby (§6.5 step 8, INST_RECOVER_TIME 3 s)
    const r = await monitor(['switchover GRP1.EP11', 'switchover GRP1.EP01']);
    expect(out(r)).toMatch(/切换成功: 组\(GRP1\)的主库为EP11/);
    expect(out(r)).toMatch(/主库\(EP11\)到备库\(EP01\)的归档不是VALID状态/);
    expect([await mode(ep01), await mode(ep11)]).toEqual(['STANDBY', 'PRIMARY']);
    for (const i of [ep01, ep11]) expect((await i.host.instance(i.port)).STATUS$).toBe('OPEN');
    // step 9: the primaries' dmmpp.ctl (EP11's, EP02's) name EP11; the standbys keep theirs
    expect(ctl(ep11).equals(ctl(ep02))).toBe(true);
    expect(ctl(ep11).equals(before)).toBe(false);
    expect(ctl(ep11).toString('latin1')).toContain('EP11');
    expect(ctl(ep01).equals(before)).toBe(true);
    // once recovered, switched back
    await until(
      async () => /切换成功: 组\(GRP1\)的主库为EP01/.test(out(await monitor(['switchover GRP1.EP01']))),
      'the switchover back',
      20_000,
    );
    expect([await mode(ep01), await mode(ep11)]).toEqual(['PRIMARY', 'STANDBY']);
    expect(ctl(ep01).equals(ctl(ep02))).toBe(true);
    expect(ctl(ep01).equals(before)).toBe(true);
  }, 60_000);
});

describe('DMDSC primary with a single-node standby and an async standby (7.5, 7.5.1)', () => {
  let lab: SimLab;
  let P1: SimHost, P2: SimHost, S: SimHost, A: SimHost, M: SimHost;
  let dsc1: InstPlan, dsc2: InstPlan, stby: InstPlan, asb: InstPlan;
  let dcr1: string, dcr2: string;
  let files: RenderedFile[];
  let shared: string;
  const bak = () => path.join(lab.root, 'dscbak');
  beforeAll(async () => {
    lab = SimLab.create('dmsim-dsc');
    P1 = lab.host('P1');
    P2 = lab.host('P2');
    S = lab.host('S');
    A = lab.host('A');
    M = lab.host('M');
    shared = path.join(lab.root, 'shared');
    fs.mkdirSync(shared, { recursive: true });
    dsc1 = instPlan(lab, 'DSC01', P1);
    dsc2 = instPlan(lab, 'DSC02', P2);
    stby = instPlan(lab, 'GRP1_RT_S1', S);
    asb = instPlan(lab, 'GRP1_AS_01', A);
    dsc1.ini = path.join(P1.dir, 'dsc', 'DSC01', 'dm.ini');
    dsc2.ini = path.join(P2.dir, 'dsc', 'DSC02', 'dm.ini');
    dcr1 = path.join(P1.dir, 'conf', 'dmdcr1.ini');
    dcr2 = path.join(P2.dir, 'conf', 'dmdcr2.ini');
    await dscInit(P1, shared, [dsc1, dsc2], [dcr1, dcr2]);
    const node = (i: InstPlan, dcr: string, arch: string) => {
      const n: Record<string, unknown> = { ...dbSpec(i), iniPath: i.ini, dcrIni: dcr, archiveDir: arch };
      delete n.path;
      return n;
    };
    const spec = {
      kind: 'DscPrimary',
      group: 'GRP1',
      oguid: 7002,
      dmHome: lab.root,
      hosts: {
        P1: hostSpec(P1),
        P2: hostSpec(P2),
        S: hostSpec(S),
        A: hostSpec(A),
        M: { address: M.priv },
      },
      primary: {
        nodes: [node(dsc1, dcr1, '+DMDATA/DSC/DSC01/arch'), node(dsc2, dcr2, '+DMDATA/DSC/DSC02/arch')],
      },
      standbys: [dbSpec(stby)],
      asyncStandbys: [{ ...dbSpec(asb), timer: {} }],
      monitor: { host: 'M', path: path.join(M.dir, 'mon') },
    } as unknown as ClusterSpec;
    files = render(spec);
  }, 30_000);
  afterAll(async () => lab?.cleanup());

  it('refuses to start a DMDSC node without its host dmcss (7.5.3)', async () => {
    const r = await P1.startServer(dsc1.ini, [`DCR_INI=${dcr1}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no dmcss runs on this host.*7\.5\.3/);
    const r2 = await P1.startServer(dsc1.ini);
    expect(r2.stderr).toMatch(/DCR_INI=<dmdcr\.ini>.*7\.5\.11/);
  });

  it('two hosts share the +DMDATA storage: normal start of both nodes; no offline backup while a node runs', async () => {
    for (const [h, d] of [
      [P1, dcr1],
      [P2, dcr2],
    ] as const)
      await startCss(h, d);
    expect(fs.existsSync(path.join(shared, 'DMDATA', 'data', 'DSC', 'dm.ctl'))).toBe(true);
    ok(await P1.startServer(dsc1.ini, [`DCR_INI=${dcr1}`]), 'start DSC01');
    ok(await P2.startServer(dsc2.ini, [`DCR_INI=${dcr2}`]), 'start DSC02');
    // one database: a backup of node 0 while node 1 runs is refused as online-only
    await P1.stopServer(dsc1.ini);
    const busy = await P1.run('dmrman', ['use_ap=2', `dcr_ini=${dcr1}`], {
      stdin: `BACKUP DATABASE '${dsc1.ini}' FULL BACKUPSET '${lab.root}/dscbak0';\n`,
    });
    expect(busy.stderr).toMatch(/DSC02/);
    await P2.stopServer(dsc2.ini);
  });

  it('refuses to start a DMDSC node with ARCH_INI = 1 but no REMOTE archive to every other node (§2.7.3)', async () => {
    fs.writeFileSync(
      path.join(path.dirname(dsc1.ini), 'dmarch.ini'),
      '[ARCHIVE_LOCAL1]\n\tARCH_TYPE = LOCAL\n\tARCH_DEST = +DMDATA/DSC/DSC01/arch\n',
    );
    setDmIniValue(dsc1.ini, 'ARCH_INI', '1');
    const r = await P1.startServer(dsc1.ini, [`DCR_INI=${dcr1}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /DMDSC node DSC01 has ARCH_INI = 1 but no REMOTE archive to node DSC02 in dmarch\.ini.*\(DM8 manual §2\.7\.3, 7\.5\.3\.1\)/,
    );
    expect(fs.readdirSync(path.join(shared, 'DMDATA', 'DSC', 'DSC01', 'arch'))).toEqual([]);
  });

  it('refuses a DMDSC node with an ASYNC archive but TIMER_INI = 0: every node of an async source needs dmtimer.ini (7.5.1)', async () => {
    applyFiles(
      files,
      (f) => (f.instance === 'DSC01' || f.instance === 'DSC02') && f.role !== 'dmwatcher.ini',
    );
    expect(files.filter((f) => f.role === 'dmtimer.ini').map((f) => f.instance)).toEqual(
      expect.arrayContaining(['DSC01', 'DSC02']),
    );
    setDmIniValue(dsc2.ini, 'TIMER_INI', '0');
    const r = await P2.startServer(dsc2.ini, [`DCR_INI=${dcr2}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /\[ARCHIVE_ASYNC1\] is ASYNC but TIMER_INI=0 in dm\.ini: when a DMDSC cluster is the source of an async standby, every node sets TIMER_INI = 1.*\(DM8 manual 7\.5\.1, 7\.6\.3\.1\)/,
    );
    setDmIniValue(dsc2.ini, 'TIMER_INI', '1');
  });

  it('refuses the offline backup until every node has archive logs: start and stop each node with ARCH_INI = 1 first (7.5.3.3)', async () => {
    const backup = () =>
      P1.run('dmrman', ['use_ap=2', `dcr_ini=${dcr1}`], {
        stdin: `BACKUP DATABASE '${dsc1.ini}' FULL BACKUPSET '${bak()}';\n`,
      });
    const none = await backup();
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /offline BACKUP of DMDSC database DSC refused: the archive directory \+DMDATA\/DSC\/DSC01\/arch of node DSC01 holds no archive log of this database.*start every DMDSC node with ARCH_INI = 1.*\(DM8 manual 7\.5\.3\.3\)/,
    );
    // node 0 alone: node 1's archive logs (found through the REMOTE archive's ARCH_INCOMING_PATH) are still missing
    ok(await P1.startServer(dsc1.ini, [`DCR_INI=${dcr1}`]), 'start DSC01 with ARCH_INI = 1');
    await P1.stopServer(dsc1.ini);
    const half = await backup();
    expect(half.code).toBe(1);
    expect(half.stderr).toMatch(
      /archive directory \+DMDATA\/DSC\/DSC02\/arch of node DSC02 holds no archive log/,
    );
    expect(fs.existsSync(bak())).toBe(false);
    ok(await P2.startServer(dsc2.ini, [`DCR_INI=${dcr2}`]), 'start DSC02 with ARCH_INI = 1');
    await P2.stopServer(dsc2.ini);
    // archive logs named as DM names them, on the shared storage, one directory per node
    const magic = (ctlOf(path.join(shared, 'DMDATA', 'data', 'DSC', 'dm.ctl')).dbMagic as number)
      .toString(16)
      .toUpperCase()
      .padStart(8, '0');
    for (const [n, ep] of [
      ['DSC01', 0],
      ['DSC02', 1],
    ] as const) {
      const logs = fs.readdirSync(path.join(shared, 'DMDATA', 'DSC', n, 'arch'));
      expect(logs.length, n).toBeGreaterThanOrEqual(1);
      for (const f of logs)
        expect(f).toMatch(
          new RegExp(`^ARCHIVE_LOCAL1_0x${magic}_EP${ep}_\\d{4}-\\d\\d-\\d\\d_\\d\\d-\\d\\d-\\d\\d\\.log$`),
        );
    }
    const r = ok(await backup(), 'dsc backup');
    expect(r.stdout).toContain('backup successfully');
    expect(P1.log().filter((x) => x.event === 'backup')).toHaveLength(1);
    await prepareStandby(files, dsc1, stby, bak());
    await prepareStandby(files, dsc1, asb, bak());
  });

  it('refuses a mode change while another DMDSC node is not in MOUNT (§2.2.3)', async () => {
    ok(await P1.startServer(dsc1.ini, [`DCR_INI=${dcr1}`, 'mount']), 'mount DSC01');
    const r = await P1.sql(dsc1.port, [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      'ALTER DATABASE PRIMARY',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/DMDSC node DSC02 is not in MOUNT state.*§2\.2\.3/);
  });

  it('OGUID and mode set on one node hold for the whole DMDSC database; the group opens', async () => {
    ok(await P2.startServer(dsc2.ini, [`DCR_INI=${dcr2}`, 'mount']), 'mount DSC02');
    await setRole(dsc1, 7002, 'PRIMARY');
    expect((await P2.query(dsc2.port, 'SELECT MODE$, OGUID, STATUS$ FROM V$INSTANCE'))[0]).toEqual({
      MODE$: 'PRIMARY',
      OGUID: 7002,
      STATUS$: 'MOUNT',
    });
    ok(await S.startServer(stby.ini, ['mount']), 'mount standby');
    await setRole(stby, 7002, 'STANDBY');
    applyFiles(files, (f) => f.role === 'dmwatcher.ini' || f.role === 'dmmonitor.ini');
    for (const i of [dsc1, dsc2, stby]) {
      const w = files.find((f) => f.role === 'dmwatcher.ini' && f.instance === i.name);
      i.host.spawn('dmwatcher', [w?.path ?? '']);
    }
    for (const i of [dsc1, dsc2, stby])
      await until(async () => (await i.host.instance(i.port)).STATUS$ === 'OPEN', `${i.name} OPEN`);
    const mon = files.find((f) => f.role === 'dmmonitor.ini');
    expect(mon?.content).toMatch(/MON_DW_IP = [\d.]+:\d+\/[\d.]+:\d+/);
    const out = await until(async () => {
      const r = ok(await M.run('dmmonitor', [mon?.path ?? ''], { stdin: 'show\nexit\n' }), 'monitor');
      return /GRP1_RT_S1\s+OK\s+1\s+1\s+OPEN\s+STANDBY\s+REALTIME\s+VALID/.test(r.stdout)
        ? r.stdout
        : undefined;
    }, 'show with the standby VALID');
    expect(out).toMatch(/GLOBAL\s+VALID\s+OPEN\s+DSC01\s+OK\s+2\s+2\s+OPEN\s+PRIMARY/);
  });

  it('an async standby of the DMDSC primary: its LOCAL watcher opens it, every node sends it ASYNC (7.5.1, 7.6)', async () => {
    ok(await A.startServer(asb.ini, ['mount']), 'mount async standby');
    await setRole(asb, 7002, 'STANDBY');
    const w = files.find((f) => f.role === 'dmwatcher.ini' && f.instance === asb.name);
    expect(w?.content).toMatch(/DW_TYPE = LOCAL/);
    A.spawn('dmwatcher', [w?.path ?? '']);
    await until(async () => (await A.instance(asb.port)).STATUS$ === 'OPEN', 'async standby OPEN');
    expect(A.log().some((r) => r.event === 'open-instance' && /LOCAL watcher/.test(String(r.note)))).toBe(
      true,
    );
    for (const n of [dsc1, dsc2])
      await until(async () => {
        const rows = await n.host.query(
          n.port,
          `SELECT ARCH_DEST, ARCH_STATUS FROM V$ARCH_STATUS WHERE ARCH_TYPE = 'ASYNC'`,
        );
        return rows[0]?.ARCH_DEST === 'GRP1_AS_01' && rows[0].ARCH_STATUS === 'VALID';
      }, `${n.name}: ASYNC archive VALID`);
  });
});

describe('a DMDSC cluster as the realtime standby of a single-node primary (7.5.1, §2.7.5); dmcss restarts (7.5.10, §4.4)', () => {
  let lab: SimLab;
  let P: SimHost, H1: SimHost, H2: SimHost, M: SimHost;
  let prim: InstPlan, n0: InstPlan, n1: InstPlan;
  let dcr1: string, dcr2: string;
  let shared: string;
  let files: RenderedFile[];
  let monIni: string;
  const css = new Map<string, { css: Bg; asm: Bg }>();
  const dscCtl = () => path.join(shared, 'DMDATA', 'data', 'DSC', 'dm.ctl');
  const running = (h: SimHost, ini: string) =>
    listProcesses(h.runDir).some((p) => p.tool === 'dmserver' && p.key === ini);
  const monitor = (stdin: string) => M.run('dmmonitor', [monIni], { stdin });
  const login = `login\nSYSDBA\n${PASSWORD}\n`;
  beforeAll(async () => {
    lab = SimLab.create('dmsim-dscstby');
    P = lab.host('P');
    H1 = lab.host('H1');
    H2 = lab.host('H2');
    M = lab.host('M');
    shared = path.join(lab.root, 'shared');
    fs.mkdirSync(shared, { recursive: true });
    prim = instPlan(lab, 'GRP1_RT_01', P);
    n0 = instPlan(lab, 'GRP1_RT_DSC01', H1);
    n1 = instPlan(lab, 'GRP1_RT_DSC02', H2);
    n0.ini = path.join(H1.dir, 'dsc', 'DSC01', 'dm.ini');
    n1.ini = path.join(H2.dir, 'dsc', 'DSC02', 'dm.ini');
    dcr1 = path.join(H1.dir, 'conf', 'dmdcr1.ini');
    dcr2 = path.join(H2.dir, 'conf', 'dmdcr2.ini');
    await dscInit(H1, shared, [n0, n1], [dcr1, dcr2]);
    const node = (i: InstPlan, dcr: string, arch: string) => {
      const n: Record<string, unknown> = { ...dbSpec(i), iniPath: i.ini, dcrIni: dcr, archiveDir: arch };
      delete n.path;
      return n;
    };
    const spec = {
      kind: 'RealtimePair',
      group: 'GRP1',
      oguid: 7003,
      dmHome: lab.root,
      hosts: { P: hostSpec(P), H1: hostSpec(H1), H2: hostSpec(H2), M: { address: M.priv } },
      primary: dbSpec(prim),
      standbys: [
        {
          nodes: [node(n0, dcr1, '+DMDATA/DSC/DSC01/arch'), node(n1, dcr2, '+DMDATA/DSC/DSC02/arch')],
        },
      ],
      monitor: { host: 'M', path: path.join(M.dir, 'mon') },
    } as unknown as ClusterSpec;
    files = render(spec);
    monIni = files.find((f) => f.role === 'dmmonitor.ini')?.path ?? '';
  }, 30_000);
  afterAll(async () => lab?.cleanup());

  it("restores a single-node primary's offline backup onto the DMDSC database (dmrman use_ap=2 dcr_ini=), refused while a node runs (7.1.1)", async () => {
    ok(await P.dminit(prim.path), 'dminit primary');
    ok(await P.startServer(prim.ini), 'first start');
    await P.stopServer(prim.ini);
    applyFiles(files, (f) => f.instance === prim.name);
    const set = path.join(P.dir, 'bak', 'full');
    ok(await P.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${prim.ini}' FULL BACKUPSET '${set}'`]), 'backup');
    const copy = path.join(H1.dir, 'bak', 'full');
    fs.cpSync(set, copy, { recursive: true });
    css.set('H1', await startCss(H1, dcr1));
    css.set('H2', await startCss(H2, dcr2));
    const restore = `RESTORE DATABASE '${n0.ini}' FROM BACKUPSET '${copy}';\nRECOVER DATABASE '${n0.ini}' UPDATE DB_MAGIC;\n`;
    // node 1 runs on the other host: the restore through node 0 is refused
    ok(await H2.startServer(n1.ini, [`DCR_INI=${dcr2}`]), 'start DSC02');
    const busy = await H1.run('dmrman', ['use_ap=2', `dcr_ini=${dcr1}`], { stdin: restore });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(
      /RESTORE onto a running database: the database is in use by a running dmserver \(instance GRP1_RT_DSC02, .*\(DM8 manual 7\.1\.1\)/,
    );
    await H2.stopServer(n1.ini);
    const before = ctlOf(dscCtl());
    const r = ok(await H1.run('dmrman', ['use_ap=2', `dcr_ini=${dcr1}`], { stdin: restore }), 'restore');
    expect(r.stdout).toMatch(/restore successfully[\s\S]*recover successfully/);
    // the shared control file takes the backup's permanent magic (and mode/OGUID), keeps its nodes,
    // and gets its own DB_MAGIC
    const after = ctlOf(dscCtl());
    const src = ctlOf(path.join(prim.path, 'DAMENG', 'dm.ctl'));
    expect(after).toMatchObject({
      permanentMagic: src.permanentMagic,
      oguid: src.oguid,
      mode: src.mode,
      pending: null,
      dscNodes: ['GRP1_RT_DSC01', 'GRP1_RT_DSC02'],
    });
    expect(after.permanentMagic).not.toBe(before.permanentMagic);
    expect(after.dbMagic).not.toBe(src.dbMagic);
  });

  it('all nodes in MOUNT with DCR_INI, STANDBY through any node, GLOBAL watchers open it: the REALTIME archive to A/B is VALID and show lists both nodes', async () => {
    applyFiles(files);
    ok(await P.startServer(prim.ini, ['mount']), 'mount primary');
    await setRole(prim, 7003, 'PRIMARY');
    ok(await H1.startServer(n0.ini, [`DCR_INI=${dcr1}`, 'mount']), 'mount DSC01');
    ok(await H2.startServer(n1.ini, [`DCR_INI=${dcr2}`, 'mount']), 'mount DSC02');
    await setRole(n1, 7003, 'STANDBY'); // through node 1: the mode is the database's
    expect(await H1.instance(n0.port)).toEqual({ STATUS$: 'MOUNT', MODE$: 'STANDBY', OGUID: 7003 });
    for (const i of [prim, n0, n1]) {
      const w = files.find((f) => f.role === 'dmwatcher.ini' && f.instance === i.name);
      if (i !== prim) expect(w?.content).toMatch(/DW_TYPE = GLOBAL[\s\S]*DCR_INI = /);
      i.host.spawn('dmwatcher', [w?.path ?? '']);
    }
    for (const i of [prim, n0, n1])
      await until(async () => (await i.host.instance(i.port)).STATUS$ === 'OPEN', `${i.name} OPEN`);
    // §2.7.10: node 1 of a DMDSC standby is opened only after node 0
    const opens = [...H1.log(), ...H2.log()]
      .filter((r) => r.event === 'open' && r.tool === 'dmserver')
      .sort((a, b) => String(a.t).localeCompare(String(b.t)))
      .map((r) => r.instance);
    expect(opens).toEqual(['GRP1_RT_DSC01', 'GRP1_RT_DSC02']);
    await until(async () => {
      const rows = await P.query(
        prim.port,
        `SELECT ARCH_DEST, ARCH_STATUS FROM V$ARCH_STATUS WHERE ARCH_TYPE = 'REALTIME'`,
      );
      return rows[0]?.ARCH_DEST === 'GRP1_RT_DSC01/GRP1_RT_DSC02' && rows[0].ARCH_STATUS === 'VALID';
    }, 'REALTIME archive to the DMDSC standby VALID');
    const out = await until(async () => {
      const r = ok(await monitor('show\nexit\n'), 'monitor');
      return /GRP1_RT_DSC01\s+OK\s+2\s+2\s+OPEN\s+STANDBY\s+REALTIME\s+VALID/.test(r.stdout)
        ? r.stdout
        : undefined;
    }, 'show with the DMDSC standby VALID');
    expect(out).toMatch(/GRP1_RT_01\s+OK\s+1\s+1\s+OPEN\s+PRIMARY\s+REALTIME\s+VALID/);
    expect(out).toMatch(/\s+OK\s+GRP1_RT_DSC01\s+OPEN\s+STANDBY/);
    expect(out).toMatch(/\s+OK\s+GRP1_RT_DSC02\s+OPEN\s+STANDBY/);
  });

  it('set group auto restart on fails while dmcss has no restart parameters (§4.4 item 30)', async () => {
    const r = await monitor('set group GRP1 auto restart on\nexit\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /has no restart parameters \(DMDCR_DB_RESTART_INTERVAL\/DMDCR_DB_STARTUP_CMD.*\(DM8 manual §4\.4 items 30, 31\)/,
    );
  });

  it('dmcss reads its restart settings once (7.5.10): a changed dmdcr.ini counts only after dmasmsvr and dmcss are stopped normally and started again', async () => {
    for (const [h, i, dcr] of [
      [H1, n0, dcr1],
      [H2, n1, dcr2],
    ] as const)
      fs.appendFileSync(
        dcr,
        `DMDCR_DB_RESTART_INTERVAL = 1\nDMDCR_DB_STARTUP_CMD = ${h.tool('dmserver')} path=${i.ini} dcr_ini=${dcr} mount\n`,
      );
    // the running dmcss does not see the change: a node shut down normally stays down
    await H2.stopServer(n1.ini);
    await sleep(2500);
    expect(running(H2, n1.ini)).toBe(false);
    expect(H2.log().filter((r) => r.event === 'restart-instance')).toEqual([]);
    // the manual's order: dmasmsvr, then dmcss, both normally; nothing is forced down
    const from = H2.log().length;
    const old = css.get('H2');
    old?.asm.kill('SIGTERM');
    expect(await old?.asm.exited()).toBe(0);
    old?.css.kill('SIGTERM');
    expect(await old?.css.exited()).toBe(0);
    const stopped = H2.log().slice(from);
    expect(stopped.filter((r) => r.event === 'shutdown-abnormal')).toEqual([]);
    expect(stopped.filter((r) => r.event === 'exit').map((r) => [r.tool, r.normal])).toEqual([
      ['dmasmsvr', true],
      ['dmcss', true],
    ]);
    // the restarted dmcss has the settings: it starts the node in MOUNT, its watcher opens it
    css.set('H2', await startCss(H2, dcr2));
    await until(
      async () => (await H2.instance(n1.port)).STATUS$ === 'OPEN',
      'DSC02 restarted by dmcss and opened',
      15_000,
    );
    const restarts = H2.log().filter((r) => r.event === 'restart-instance' && r.tool === 'dmcss');
    expect(restarts.length).toBeGreaterThanOrEqual(1);
    expect(restarts[0]?.cmd).toEqual([H2.tool('dmserver'), `path=${n1.ini}`, `dcr_ini=${dcr2}`, 'mount']);
  }, 40_000);

  it('a dmcss that exits under a running dmasmsvr and node forces both down (7.5.10: 重启 dmcss 引发 dmasmsvr 被强制关闭)', async () => {
    const from = H1.log().length;
    const old = css.get('H1');
    old?.css.kill('SIGTERM');
    expect(await old?.css.exited()).toBe(0);
    expect(await old?.asm.exited()).toBe(1);
    await until(() => !running(H1, n0.ini), 'DSC01 forced down');
    const log = H1.log().slice(from);
    expect(log.filter((r) => r.event === 'shutdown-abnormal').map((r) => r.tool)).toEqual(
      expect.arrayContaining(['dmasmsvr', 'dmserver']),
    );
    expect(log.find((r) => r.event === 'shutdown-abnormal' && r.tool === 'dmserver')).toMatchObject({
      instance: 'GRP1_RT_DSC01',
      reason: expect.stringMatching(/dmcss for .* exited/),
    });
    expect(log.find((r) => r.event === 'shutdown' && r.tool === 'dmserver')).toMatchObject({ normal: false });
    expect(log.find((r) => r.event === 'exit' && r.tool === 'dmasmsvr')).toMatchObject({ normal: false });
    // dmcss started again (it now has the restart settings) brings node 0 back in MOUNT; its watcher opens it
    css.set('H1', await startCss(H1, dcr1));
    await until(
      async () => (await H1.instance(n0.port)).STATUS$ === 'OPEN',
      'DSC01 restarted and opened',
      15_000,
    );
  }, 40_000);

  it('set group auto restart off (login checked) stops dmcss restarting a DMDSC node; on (no login) resumes it (§4.4 items 30, 31)', async () => {
    const noLogin = await monitor('set group GRP1 auto restart off\nexit\n');
    expect(noLogin.code).toBe(1);
    expect(noLogin.stdout).toMatch(/请先执行login登录监视器/);
    const off = await monitor(`${login}set group GRP1 auto restart off\nexit\n`);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(
      /关闭组\(GRP1\)中 DMDSC 集群节点\(GRP1_RT_DSC01, GRP1_RT_DSC02\)的自动拉起标记成功/,
    );
    await H2.stopServer(n1.ini);
    await sleep(2500);
    expect(running(H2, n1.ini)).toBe(false);
    const on = await monitor('set group GRP1 auto restart on\nexit\n');
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(
      /打开组\(GRP1\)中 DMDSC 集群节点\(GRP1_RT_DSC01, GRP1_RT_DSC02\)的自动拉起标记成功/,
    );
    await until(
      async () => (await H2.instance(n1.port)).STATUS$ === 'OPEN',
      'DSC02 restarted after auto restart on',
      15_000,
    );
    for (const h of [H1, H2])
      expect(
        h
          .log()
          .filter((r) => r.event === 'auto-restart')
          .map((r) => r.on),
      ).toEqual([false, true]);
    for (const h of [P, H1, H2, M]) expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
  }, 40_000);

  it("set group auto restart fails while a watcher of the group is unreachable, or a node's host has no dmcss (§4.4, §2.7.2)", async () => {
    // the primary's watcher is down: the command cannot go through the whole group
    expect(P.kill('dmwatcher', 'SIGTERM')).toBe(1);
    await until(() => !listProcesses(P.runDir).some((p) => p.tool === 'dmwatcher'), 'watcher gone');
    const down = await monitor('set group GRP1 auto restart on\nexit\n');
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/守护进程 [\d.]+:\d+ 不可达, 无法设置组\(GRP1\)的自动拉起标记/);
    P.spawn('dmwatcher', [
      files.find((f) => f.role === 'dmwatcher.ini' && f.instance === prim.name)?.path ?? '',
    ]);
    // H2's dmasmsvr and dmcss stopped (the manual's order; the node goes down with dmcss): no dmcss
    // for the watcher of node 1 to pass the command to
    const h2 = css.get('H2');
    h2?.asm.kill('SIGTERM');
    await h2?.asm.exited();
    h2?.css.kill('SIGTERM');
    await h2?.css.exited();
    const out = await until(async () => {
      const r = await monitor('set group GRP1 auto restart on\nexit\n');
      return r.code === 1 && /no dmcss runs for/.test(r.stdout) ? r.stdout : undefined;
    }, 'the command refused for want of dmcss');
    expect(out).toMatch(
      new RegExp(
        `no dmcss runs for ${dcr2.replace(/[.*+?^\${}()|[\]\\]/g, '\\$&')} on the host of GRP1_RT_DSC02's watcher`,
      ),
    );
  }, 40_000);
});
