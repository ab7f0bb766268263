/**
 * MPP primary/standby (7.4: one watcher per host guarding two groups, dmmpp.ctl by dmctlcvt) and
 * a DMDSC primary with a single-node standby (7.5: dmcss/dmasmsvr, shared storage, dmrman
 * use_ap=2 dcr_ini=), both from the project's rendered files.
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

async function setRole(i: InstPlan, oguid: number, mode: string): Promise<void> {
  ok(
    await i.host.sql(i.port, [
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
      `SP_SET_OGUID(${oguid})`,
      `ALTER DATABASE ${mode}`,
      `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
    ]),
    `${i.name} role`,
  );
}

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
    await setRole(ep01, 7101, 'PRIMARY');
    await setRole(ep11, 7101, 'STANDBY');
    await setRole(ep02, 7102, 'PRIMARY');
    await setRole(ep22, 7102, 'STANDBY');
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
});

describe('DMDSC primary with a single-node standby (7.5)', () => {
  let lab: SimLab;
  let P1: SimHost, P2: SimHost, S: SimHost, M: SimHost;
  let dsc1: InstPlan, dsc2: InstPlan, stby: InstPlan;
  let dcr1: string, dcr2: string;
  let files: RenderedFile[];
  let shared: string;
  const bgs: Bg[] = [];
  beforeAll(async () => {
    lab = SimLab.create('dmsim-dsc');
    P1 = lab.host('P1');
    P2 = lab.host('P2');
    S = lab.host('S');
    M = lab.host('M');
    shared = path.join(lab.root, 'shared');
    fs.mkdirSync(shared, { recursive: true });
    dsc1 = instPlan(lab, 'DSC01', P1);
    dsc2 = instPlan(lab, 'DSC02', P2);
    stby = instPlan(lab, 'GRP1_RT_S1', S);
    dsc1.ini = path.join(P1.dir, 'dsc', 'DSC01', 'dm.ini');
    dsc2.ini = path.join(P2.dir, 'dsc', 'DSC02', 'dm.ini');
    dcr1 = path.join(P1.dir, 'conf', 'dmdcr1.ini');
    dcr2 = path.join(P2.dir, 'conf', 'dmdcr2.ini');
    for (const [f, seq] of [
      [dcr1, 0],
      [dcr2, 1],
    ] as const) {
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(
        f,
        `DMDCR_PATH = ${shared}/dcr.disk\nDMDCR_MAL_PATH = ${shared}/dmasvrmal.ini\nDMDCR_SEQNO = ${seq}\n`,
      );
    }
    const control = path.join(P1.dir, 'dminit.ini');
    fs.writeFileSync(
      control,
      [
        'DB_NAME = DSC',
        'SYSTEM_PATH = +DMDATA/data',
        'CTL_PATH = +DMDATA/data/DSC/dm.ctl',
        `DCR_PATH = ${shared}/dcr.disk`,
        '[DSC01]',
        `CONFIG_PATH = ${path.dirname(dsc1.ini)}`,
        `PORT_NUM = ${dsc1.port}`,
        '[DSC02]',
        `CONFIG_PATH = ${path.dirname(dsc2.ini)}`,
        `PORT_NUM = ${dsc2.port}`,
        '',
      ].join('\n'),
    );
    ok(await P1.run('dminit', [`control=${control}`], { stdin: PASSWORD + '\n' }), 'dminit control');
    const spec = {
      kind: 'DscPrimary',
      group: 'GRP1',
      oguid: 7002,
      dmHome: lab.root,
      hosts: { P1: hostSpec(P1), P2: hostSpec(P2), S: hostSpec(S), M: { address: M.priv } },
      primary: {
        nodes: [
          {
            ...dbSpec(dsc1),
            path: undefined,
            iniPath: dsc1.ini,
            dcrIni: dcr1,
            archiveDir: '+DMDATA/DSC/DSC01/arch',
          },
          {
            ...dbSpec(dsc2),
            path: undefined,
            iniPath: dsc2.ini,
            dcrIni: dcr2,
            archiveDir: '+DMDATA/DSC/DSC02/arch',
          },
        ],
      },
      standbys: [dbSpec(stby)],
      monitor: { host: 'M', path: path.join(M.dir, 'mon') },
    } as unknown as ClusterSpec;
    for (const n of (spec as unknown as { primary: { nodes: Record<string, unknown>[] } }).primary.nodes)
      delete n.path;
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

  it('two hosts share the +DMDATA storage: normal start of both nodes, offline backup through dmrman use_ap=2 dcr_ini=', async () => {
    for (const [h, d] of [
      [P1, dcr1],
      [P2, dcr2],
    ] as const) {
      const css = h.spawn('dmcss', [`DCR_INI=${d}`]);
      await css.waitFor(/DMCSS \(dmsim\) IS READY/);
      const asm = h.spawn('dmasmsvr', [`DCR_INI=${d}`]);
      await asm.waitFor(/IS READY/);
      bgs.push(css, asm);
    }
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
    applyFiles(
      files,
      (f) => (f.instance === 'DSC01' || f.instance === 'DSC02') && f.role !== 'dmwatcher.ini',
    );
    const bak = path.join(lab.root, 'dscbak');
    ok(
      await P1.run('dmrman', ['use_ap=2', `dcr_ini=${dcr1}`], {
        stdin: `BACKUP DATABASE '${dsc1.ini}' FULL BACKUPSET '${bak}';\n`,
      }),
      'dsc backup',
    );
    expect(fs.existsSync(path.join(shared, 'DMDATA', 'DSC', 'DSC01', 'arch'))).toBe(false); // created on start, not by backup
    await prepareStandby(files, dsc1, stby, bak);
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
      bgs.push(i.host.spawn('dmwatcher', [w?.path ?? '']));
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
});
