/**
 * DCP, the DM cluster proxy (seed 001, cited "001:L<line>"), in front of the 7.4 MPP
 * primary/standby system (two EPs, each with a standby; the project's own rendered files), as
 * 001 6.2 builds it: dminit the proxy, ENABLE_DCP_MODE / DCP_PORT_NUM in dm.ini, start, then over
 * the management port (PMC) SP_DCP_ADD_INST for every primary and standby, SP_DCP_SET_LOGIN,
 * SP_DCP_REFRESH_CONFIG. Every refusal has a test that fails if the rule is removed.
 *
 * The proxy's own SYSDBA password (DCP_PW) differs from the EPs' (PASSWORD): the PMC takes the
 * proxy's local accounts (001:L173), PORT_NUM logins are checked by an EP (001:L203).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIni } from '../../lib/render/ini';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { RenderedFile } from '../../lib/render';
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
  type InstPlan,
  type RunResult,
  type SimHost,
} from './harness';
import { setDmIniValue } from './src/config';
import { JsonClient, raise } from './src/net';

/** The proxy's own SYSDBA password: not the EPs'. */
const DCP_PW = 'Dcp_Local_Pw_2024';

let lab: SimLab;
let A: SimHost, B: SimHost, D: SimHost;
let ep01: InstPlan, ep02: InstPlan, ep11: InstPlan, ep22: InstPlan;
let files: RenderedFile[];

interface DcpPlan {
  name: string;
  h: SimHost;
  path: string;
  ini: string;
  dir: string;
  port: number;
  dcpPort: number;
}

function dcpPlan(name: string, h: SimHost = D): DcpPlan {
  const [port, dcpPort] = lab.ports(2) as [number, number];
  const p = path.join(h.dir, 'dcp', name.toLowerCase());
  const dir = path.join(p, 'DAMENG');
  return { name, h, path: p, ini: path.join(dir, 'dm.ini'), dir, port, dcpPort };
}

/** dminit with the proxy's own password on stdin. */
function dminit(p: DcpPlan, extra: string[] = []): Promise<RunResult> {
  return p.h.run('dminit', [`path=${p.path}`, `INSTANCE_NAME=${p.name}`, `PORT_NUM=${p.port}`, ...extra], {
    stdin: DCP_PW + '\n',
  });
}

/** 001:L451-456: the DCP keys written into dm.ini after dminit ("效果是一样的"). */
function dcpKeys(p: DcpPlan, o: { poolSize?: string } = {}): void {
  setDmIniValue(p.ini, 'ENABLE_DCP_MODE', '1');
  setDmIniValue(p.ini, 'DCP_PORT_NUM', String(p.dcpPort));
  if (o.poolSize !== undefined) setDmIniValue(p.ini, 'DCP_CONN_POOL_SIZE', o.poolSize);
}

/** disql (JSON lines) as `user` to host:port; the password on stdin only. */
function disql(h: SimHost, port: number, stmts: string[], user = 'SYSDBA', pw = DCP_PW): Promise<RunResult> {
  const input = [
    `CONN ${user}/"${pw}"@${h.priv}:${port}`,
    ...stmts.map((s) => (/;\s*$/.test(s) ? s : s + ';')),
    'EXIT',
  ].join('\n');
  return h.run('disql', ['-S', '/nolog'], { stdin: input + '\n', env: { DMSIM_DISQL_JSON: '1' } });
}

const pmc = (p: DcpPlan, stmts: string[], user = 'SYSDBA', pw = DCP_PW) =>
  disql(p.h, p.dcpPort, stmts, user, pw);

/** One SELECT over the simulator's protocol (no disql process), rows as objects. */
async function query(
  host: string,
  port: number,
  sql: string,
  user = 'SYSDBA',
  pw = DCP_PW,
): Promise<Record<string, string | number | null>[]> {
  const c = await JsonClient.connect(host, port, 2000);
  try {
    raise(await c.request({ op: 'login', user, password: pw, mppType: 'GLOBAL' }, 5000));
    const j = raise(await c.request({ op: 'sql', sql }, 5000)) as {
      columns?: string[];
      rows?: (string | number | null)[][];
    };
    const cols = j.columns ?? [];
    return (j.rows ?? []).map((row) => Object.fromEntries(cols.map((c2, i) => [c2, row[i] ?? null])));
  } finally {
    c.close();
  }
}

const pmcQuery = (p: DcpPlan, sql: string, user = 'SYSDBA', pw = DCP_PW) =>
  query(p.h.priv, p.dcpPort, sql, user, pw);

/** The one failing statement of a disql run: exit 1, its error line matching `re`. */
function refused(r: RunResult, re: RegExp): void {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  const errors = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { ok: boolean; error?: string })
    .filter((x) => !x.ok);
  expect(errors.map((x) => x.error).join('\n')).toMatch(re);
}

/** 001:L1397-1408: every primary and every standby, with its PORT_NUM, then the MPP login. */
function registration(pw = PASSWORD): string[] {
  return [
    ...[ep01, ep02, ep11, ep22].map((e) => `SP_DCP_ADD_INST('MPP_${e.name}', '${e.host.priv}', ${e.port})`),
    `SP_DCP_SET_LOGIN('SYSDBA', '${pw}')`,
  ];
}

/** A started proxy (dminit, dm.ini keys, start), registered and refreshed unless told otherwise. */
async function readyDcp(name: string, o: { refresh?: boolean } = {}): Promise<DcpPlan> {
  const p = dcpPlan(name);
  ok(await dminit(p), `dminit ${name}`);
  dcpKeys(p);
  ok(await p.h.startServer(p.ini), `start ${name}`);
  if (o.refresh !== false)
    ok(await pmc(p, [...registration(), 'SP_DCP_REFRESH_CONFIG()']), `register ${name}`);
  return p;
}

const epByName = (n: string | number | null) => [ep01, ep02, ep11, ep22].find((e) => e.name === n);

beforeAll(async () => {
  lab = SimLab.create('dmsim-dcp');
  A = lab.host('A');
  B = lab.host('B');
  const C = lab.host('C');
  D = lab.host('D');
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
  // 000 7.4 (001 6.2.2-6.2.10 in its DM8 form): the MPP primary/standby system comes first
  for (const p of [ep01, ep02]) {
    ok(await p.host.dminit(p.path), 'dminit');
    ok(await p.host.startServer(p.ini), 'first start');
    await p.host.stopServer(p.ini);
    applyFiles(files, (f) => f.instance === p.name && f.role !== 'dmwatcher.ini');
  }
  for (const [prim, stby] of [
    [ep01, ep11],
    [ep02, ep22],
  ] as const) {
    const bak = path.join(lab.root, `bak_${prim.name}`);
    ok(
      await prim.host.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${prim.ini}' FULL BACKUPSET '${bak}'`]),
      'backup',
    );
    ok(await stby.host.dminit(stby.path), `dminit ${stby.name}`);
    ok(
      await stby.host.run('dmrman', [`CTLSTMT=RESTORE DATABASE '${stby.ini}' FROM BACKUPSET '${bak}'`]),
      'restore',
    );
    ok(await stby.host.run('dmrman', [`CTLSTMT=RECOVER DATABASE '${stby.ini}' UPDATE DB_MAGIC`]), 'db_magic');
    applyFiles(files, (f) => f.instance === stby.name && f.role !== 'dmwatcher.ini');
  }
  applyFiles(files, (f) => f.role === 'dmwatcher.ini');
  const mppIni = files.find((f) => f.role === 'dmmpp.ini');
  const ctl = path.join(path.dirname(ep01.ini), 'dmmpp.ctl');
  ok(await A.run('dmctlcvt', ['TYPE=2', `SRC=${mppIni?.path}`, `DEST=${ctl}`]), 'dmctlcvt');
  for (const i of [ep02, ep11, ep22]) fs.copyFileSync(ctl, path.join(path.dirname(i.ini), 'dmmpp.ctl'));
  for (const i of [ep01, ep02, ep11, ep22]) ok(await i.host.startServer(i.ini, ['mount']), `mount ${i.name}`);
  for (const [i, oguid, mode] of [
    [ep01, 7101, 'PRIMARY'],
    [ep11, 7101, 'STANDBY'],
    [ep02, 7102, 'PRIMARY'],
    [ep22, 7102, 'STANDBY'],
  ] as const)
    ok(
      await i.host.sql(
        i.port,
        [
          `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
          `SP_SET_OGUID(${oguid})`,
          `ALTER DATABASE ${mode}`,
          `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
        ],
        { mpp: 'LOCAL' },
      ),
      `${i.name} role`,
    );
  for (const h of [A, B]) {
    const w = files.find((f) => f.role === 'dmwatcher.ini' && f.host === h.name);
    h.spawn('dmwatcher', [w?.path ?? '']);
  }
  for (const i of [ep01, ep02, ep11, ep22])
    await until(async () => (await i.host.instance(i.port)).STATUS$ === 'OPEN', `${i.name} OPEN`, 20_000);
}, 180_000);
afterAll(async () => lab?.cleanup());

describe('DCP in front of the 7.4 MPP primary/standby (001 6.2)', { timeout: 120_000 }, () => {
  it('001 6.2 order: dminit, dm.ini keys, start, ADD every primary and standby, SET_LOGIN, REFRESH; the tables, V$DCPINSTS (primaries, EPNO = MPP_SEQ_NO), a client through PORT_NUM on an EP; the pool; a restart refreshes by itself', async () => {
    const dcp = dcpPlan('DCP');
    ok(await dminit(dcp), 'dminit DCP');
    dcpKeys(dcp);
    // 001:L1389: started with no extra argument
    ok(await D.startServer(dcp.ini), 'start DCP');
    // both ports: the PMC takes the proxy's own account; it is the proxy's instance
    expect((await pmcQuery(dcp, 'SELECT INSTANCE_NAME, STATUS$ FROM V$INSTANCE'))[0]).toEqual({
      INSTANCE_NAME: 'DCP',
      STATUS$: 'OPEN',
    });
    // 001 6.2.12, through disql on the management port
    const reg = ok(await pmc(dcp, registration()), 'ADD_INST x4, SET_LOGIN');
    expect(reg.stdout).not.toContain(PASSWORD);
    expect(await pmcQuery(dcp, 'SELECT * FROM SYS.SYSDCPINSTS')).toEqual([
      { NAME: 'MPP_EP01', IP: A.priv, PORT: ep01.port },
      { NAME: 'MPP_EP02', IP: B.priv, PORT: ep02.port },
      { NAME: 'MPP_EP11', IP: B.priv, PORT: ep11.port },
      { NAME: 'MPP_EP22', IP: A.priv, PORT: ep22.port },
    ]);
    // one row; PWD is ciphertext, never the password (001:L157-159, L248)
    const login = await pmcQuery(dcp, 'SELECT USERNAME, PWD FROM SYS.SYSDCPLOGIN');
    expect(login).toHaveLength(1);
    expect(login[0]?.USERNAME).toBe('SYSDBA');
    expect(String(login[0]?.PWD)).toMatch(/^0x[0-9A-F]{40,}$/);
    expect(String(login[0]?.PWD)).not.toContain(PASSWORD);
    // the view is empty until the REFRESH (001:L302)
    expect(await pmcQuery(dcp, 'SELECT * FROM V$DCPINSTS')).toEqual([]);
    // 001 6.2.13
    ok(await pmc(dcp, ['SP_DCP_REFRESH_CONFIG()']), 'REFRESH');
    // primaries only, EPNO = MPP_SEQ_NO of dmmpp.ctl; the instance names, not the labels (F.11);
    // the IP is not asserted (F.14)
    const mppIni = parseIni(files.find((f) => f.role === 'dmmpp.ini')?.content ?? '');
    expect(mppIni.sections.map((s) => Object.fromEntries(s.entries))).toEqual([
      { MPP_SEQ_NO: '0', MPP_INST_NAME: 'EP01' },
      { MPP_SEQ_NO: '1', MPP_INST_NAME: 'EP02' },
    ]);
    expect(await pmcQuery(dcp, 'SELECT NAME, EPNO, PORT FROM V$DCPINSTS')).toEqual([
      { NAME: 'EP01', EPNO: 0, PORT: ep01.port },
      { NAME: 'EP02', EPNO: 1, PORT: ep02.port },
    ]);
    // the shapes a deployer's probe reads them in: a tag column, COUNT(*)
    expect(await pmcQuery(dcp, "SELECT 'V', NAME, EPNO FROM V$DCPINSTS WHERE EPNO = 1")).toEqual([
      { "'V'": 'V', NAME: 'EP02', EPNO: 1 },
    ]);
    expect(await pmcQuery(dcp, 'SELECT COUNT(*) FROM SYS.SYSDCPINSTS')).toEqual([{ 'COUNT(*)': 4 }]);
    // a client through the DCP's PORT_NUM, with the EPs' password (checked by an EP, 001:L203)
    const cl = await JsonClient.connect(D.priv, dcp.port, 2000);
    let epName: string | number | null = null;
    try {
      const r = raise(await cl.request({ op: 'login', user: 'SYSDBA', password: PASSWORD }, 5000));
      expect(r.mode).toBe('PRIMARY');
      const v = raise(
        await cl.request({ op: 'sql', sql: 'SELECT INSTANCE_NAME, MODE$ FROM V$INSTANCE' }, 5000),
      );
      const row = (v.rows as (string | number | null)[][])[0] ?? [];
      epName = row[0] ?? null;
      expect(['EP01', 'EP02']).toContain(epName);
      expect(row[1]).toBe('PRIMARY');
      // on that EP the session came through a DCP (001:L289)
      const ep = epByName(epName);
      // (the REFRESH's own sessions are closed by then; `until` lets their sockets finish closing)
      await until(
        async () => {
          const viaDcp = await ep?.host.query(
            ep.port,
            "SELECT USER_NAME, DCP_FLAG FROM V$SESSIONS WHERE DCP_FLAG = 'Y'",
          );
          return JSON.stringify(viaDcp) === JSON.stringify([{ USER_NAME: 'SYSDBA', DCP_FLAG: 'Y' }]);
        },
        `one DCP session on ${String(epName)}`,
      );
      // on the DCP, DCP_FLAG marks the PMC sessions, not the application's (001:L287)
      const onDcp = await pmcQuery(dcp, 'SELECT USER_NAME, DCP_FLAG FROM V$SESSIONS');
      expect(onDcp.filter((s) => s.DCP_FLAG === 'N')).toEqual([{ USER_NAME: 'SYSDBA', DCP_FLAG: 'N' }]);
      expect(onDcp.some((s) => s.DCP_FLAG === 'Y')).toBe(true);
      expect((await pmcQuery(dcp, 'SELECT FREE_FLAG FROM V$DCP_CONNPOOL'))[0]).toEqual({ FREE_FLAG: 'N' });
    } finally {
      cl.close();
    }
    // the client's EP connection stays in the pool, free; the next login of that user reuses it
    await until(
      async () => (await pmcQuery(dcp, 'SELECT FREE_FLAG FROM V$DCP_CONNPOOL'))[0]?.FREE_FLAG === 'Y',
      'pooled',
    );
    const again = ok(
      await disql(D, dcp.port, ['SELECT INSTANCE_NAME FROM V$INSTANCE'], 'SYSDBA', PASSWORD),
      'client',
    );
    expect(again.stdout).toContain(String(epName));
    const mine = () => D.log().filter((x) => x.instance === 'DCP');
    expect(
      mine()
        .filter((x) => x.event === 'dcp-session')
        .map((x) => x.reused),
    ).toEqual([false, true]);
    // the proxy's own password is not the EPs': an EP refuses it on PORT_NUM
    const wrong = await disql(D, dcp.port, ['SELECT 1'], 'SYSDBA', DCP_PW);
    refused(wrong, /\[-2501\]/);
    // SP_DCP_CLEAR_CONN releases cached connections: the EP's DCP session goes
    ok(await pmc(dcp, ['SP_DCP_CLEAR_CONN(10)']), 'CLEAR_CONN');
    expect(await pmcQuery(dcp, 'SELECT * FROM V$DCP_CONNPOOL')).toEqual([]);
    const ep = epByName(epName);
    await until(
      async () =>
        (await ep?.host.query(ep.port, "SELECT SESS_ID FROM V$SESSIONS WHERE DCP_FLAG = 'Y'"))?.length === 0,
      'EP session released',
    );
    // 001:L262: a restarted DCP refreshes by itself while the MPP runs; its tables persist
    await D.stopServer(dcp.ini);
    ok(await D.startServer(dcp.ini), 'restart DCP');
    expect(await pmcQuery(dcp, 'SELECT NAME, EPNO FROM V$DCPINSTS')).toEqual([
      { NAME: 'EP01', EPNO: 0 },
      { NAME: 'EP02', EPNO: 1 },
    ]);
    expect(await pmcQuery(dcp, 'SELECT NAME FROM SYS.SYSDCPINSTS')).toHaveLength(4);
    ok(await disql(D, dcp.port, ['SELECT 1'], 'SYSDBA', PASSWORD), 'client after restart');
    expect(
      mine()
        .filter((x) => x.event === 'dcp-refresh')
        .map((x) => [x.by, x.ok]),
    ).toEqual([
      ['SP_DCP_REFRESH_CONFIG', true],
      ['startup', true],
    ]);
    // SP_DCP_CLEAR_INST removes one row (001:L231-234)
    ok(await pmc(dcp, [`SP_DCP_CLEAR_INST('MPP_EP22')`]), 'CLEAR_INST');
    expect((await pmcQuery(dcp, 'SELECT NAME FROM SYS.SYSDCPINSTS')).map((r) => r.NAME)).toEqual([
      'MPP_EP01',
      'MPP_EP02',
      'MPP_EP11',
    ]);
    // no password in any log or in the proxy's control file; DCP_CONN_POOL_SIZE is dynamic
    for (const h of [A, B, D]) expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
    expect(fs.readFileSync(D.logFile, 'utf8')).not.toContain(DCP_PW);
    expect(fs.readFileSync(path.join(dcp.dir, 'dm.ctl'), 'utf8')).not.toContain(PASSWORD);
    const set = D.log().find((x) => x.event === 'sql' && /SP_DCP_SET_LOGIN/.test(String(x.stmt)));
    expect(set?.stmt).toBe(`SP_DCP_SET_LOGIN('SYSDBA', '******')`);
    expect(
      await pmcQuery(dcp, "SELECT NAME, TYPE FROM V$PARAMETER WHERE NAME = 'DCP_CONN_POOL_SIZE'"),
    ).toEqual([{ NAME: 'DCP_CONN_POOL_SIZE', TYPE: 'SYS' }]);
    await D.stopServer(dcp.ini);
  });

  it('dminit DCP_MODE=1 DCP_PORT_NUM=<n> writes ENABLE_DCP_MODE and DCP_PORT_NUM (001:L445-457); refuses DCP_MODE other than 0/1, DCP_MODE=1 without DCP_PORT_NUM, DCP_PORT_NUM out of range or equal to PORT_NUM, DCP_MODE=1 with DPC_MODE', async () => {
    const p = dcpPlan('DCPINIT');
    const bad = async (extra: string[], re: RegExp) => {
      const r = await dminit(p, extra);
      expect(r.code, extra.join(' ')).not.toBe(0);
      expect(r.stderr, extra.join(' ')).toMatch(re);
      expect(fs.existsSync(p.ini)).toBe(false);
    };
    await bad(['DCP_MODE=2', `DCP_PORT_NUM=${p.dcpPort}`], /DCP_MODE 2 must be 0 or 1/);
    await bad(['DCP_MODE=1'], /DCP_MODE=1 needs DCP_PORT_NUM/);
    await bad(['DCP_MODE=1', 'DCP_PORT_NUM=80'], /DCP_PORT_NUM must be 1024~65534/);
    await bad(['DCP_MODE=1', `DCP_PORT_NUM=${p.port}`], /DCP_PORT_NUM must differ from PORT_NUM/);
    await bad(
      ['DCP_MODE=1', `DCP_PORT_NUM=${p.dcpPort}`, 'DPC_MODE=MP', `AP_PORT_NUM=${p.dcpPort + 1000}`],
      /DCP_MODE=1 with DPC_MODE/,
    );
    ok(await dminit(p, ['DCP_MODE=1', `DCP_PORT_NUM=${p.dcpPort}`]), 'dminit DCP_MODE=1');
    const v = new Map(parseIni(fs.readFileSync(p.ini, 'utf8')).globals);
    expect(v.get('ENABLE_DCP_MODE')).toBe('1');
    expect(v.get('DCP_PORT_NUM')).toBe(String(p.dcpPort));
    // it starts as a proxy: the PMC answers on DCP_PORT_NUM
    ok(await D.startServer(p.ini), 'start');
    expect((await pmcQuery(p, 'SELECT INSTANCE_NAME FROM V$INSTANCE'))[0]?.INSTANCE_NAME).toBe('DCPINIT');
    await D.stopServer(p.ini);
  });

  it('dmserver refuses ENABLE_DCP_MODE = 1 without DCP_PORT_NUM, ENABLE_DCP_MODE other than 0/1, and DCP_PORT_NUM equal to PORT_NUM (001:L134-136)', async () => {
    const p = dcpPlan('DCPPORT');
    ok(await dminit(p), 'dminit');
    setDmIniValue(p.ini, 'ENABLE_DCP_MODE', '1');
    const noPort = await D.startServer(p.ini);
    expect(noPort.code).not.toBe(0);
    expect(noPort.stderr).toMatch(/ENABLE_DCP_MODE = 1 needs DCP_PORT_NUM/);
    setDmIniValue(p.ini, 'DCP_PORT_NUM', String(p.port));
    const same = await D.startServer(p.ini);
    expect(same.code).not.toBe(0);
    expect(same.stderr).toMatch(/DCP_PORT_NUM \d+ must differ from PORT_NUM.*001:L136/);
    setDmIniValue(p.ini, 'DCP_PORT_NUM', String(p.dcpPort));
    setDmIniValue(p.ini, 'ENABLE_DCP_MODE', '2');
    const two = await D.startServer(p.ini);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toMatch(/ENABLE_DCP_MODE = 2 must be 0 or 1/);
    setDmIniValue(p.ini, 'ENABLE_DCP_MODE', '1');
    ok(await D.startServer(p.ini), 'start');
    await D.stopServer(p.ini);
  });

  it('DCP_CONN_POOL_SIZE outside 1..10000 is refused at start and by SP_SET_PARA_VALUE (001:L197)', async () => {
    const p = dcpPlan('DCPPOOL');
    ok(await dminit(p), 'dminit');
    for (const v of ['0', '10001', 'ten']) {
      dcpKeys(p, { poolSize: v });
      const r = await D.startServer(p.ini);
      expect(r.code, v).not.toBe(0);
      expect(r.stderr, v).toMatch(/DCP_CONN_POOL_SIZE = \S+ is outside 1~10000.*001:L197/);
    }
    dcpKeys(p, { poolSize: '1' });
    ok(await D.startServer(p.ini), 'start with 1');
    refused(await pmc(p, [`SP_SET_PARA_VALUE(1, 'DCP_CONN_POOL_SIZE', 10001)`]), /out of range 1~10000/);
    refused(await pmc(p, [`SP_SET_PARA_VALUE(1, 'DCP_CONN_POOL_SIZE', 0)`]), /out of range 1~10000/);
    ok(await pmc(p, [`SP_SET_PARA_VALUE(1, 'DCP_CONN_POOL_SIZE', 10000)`]), 'in range');
    expect(
      (await pmcQuery(p, "SELECT VALUE FROM V$PARAMETER WHERE NAME = 'DCP_CONN_POOL_SIZE'"))[0]?.VALUE,
    ).toBe('10000');
    await D.stopServer(p.ini);
  });

  it('refuses ENABLE_DCP_MODE = 1 on an MPP EP (MPP_INI = 1) or a DMDPC node: a DCP is a client of an MPP (001:L101, L123)', async () => {
    const p = dcpPlan('DCPMPP');
    ok(await dminit(p), 'dminit');
    dcpKeys(p);
    setDmIniValue(p.ini, 'MPP_INI', '1');
    fs.copyFileSync(path.join(path.dirname(ep01.ini), 'dmmpp.ctl'), path.join(p.dir, 'dmmpp.ctl'));
    const r = await D.startServer(p.ini);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ENABLE_DCP_MODE = 1 with MPP_INI = 1.*001:L123/);
    setDmIniValue(p.ini, 'MPP_INI', '0');
    ok(await D.startServer(p.ini), 'start');
    await D.stopServer(p.ini);
    // a DMDPC MP made by dminit, then given the DCP keys in dm.ini
    const mp = dcpPlan('DCPDPC');
    ok(await dminit(mp, ['DPC_MODE=MP', `AP_PORT_NUM=${lab.ports(1)[0]}`]), 'dminit MP');
    dcpKeys(mp);
    const dpc = await D.startServer(mp.ini, ['dpc_mode=MP']);
    expect(dpc.code).not.toBe(0);
    expect(dpc.stderr).toMatch(/ENABLE_DCP_MODE = 1 on a DMDPC MP.*001:L101, L119/);
  });

  it('once it has a configuration, the proxy refreshes by itself every 256 s by default (001:L1414; DMSIM_DCP_REFRESH_S here 1)', async () => {
    const p = dcpPlan('DCPSCHED');
    ok(await dminit(p), 'dminit');
    dcpKeys(p);
    const bg = D.spawn('dmserver', [p.ini, '-noconsole'], { stdin: '', env: { DMSIM_DCP_REFRESH_S: '1' } });
    await bg.waitFor(/SYSTEM IS READY/, 15_000);
    const scheduled = () =>
      D.log().filter((r) => r.event === 'dcp-refresh' && r.instance === 'DCPSCHED' && r.by === 'scheduler');
    // nothing to refresh before the first SP_DCP_REFRESH_CONFIG
    await new Promise((r) => setTimeout(r, 2500));
    expect(scheduled()).toEqual([]);
    ok(await pmc(p, [...registration(), 'SP_DCP_REFRESH_CONFIG()']), 'register');
    await until(() => scheduled().some((r) => r.ok === true), 'a refresh by the scheduler', 10_000);
    await D.stopServer(p.ini);
  });

  it('a client login on PORT_NUM is refused before the first successful SP_DCP_REFRESH_CONFIG (001:L262)', async () => {
    const p = await readyDcp('DCPEARLY', { refresh: false });
    ok(await pmc(p, registration()), 'ADD, SET_LOGIN');
    refused(
      await disql(D, p.port, ['SELECT 1'], 'SYSDBA', PASSWORD),
      /\[-8208\]:DCP DCPEARLY does not serve yet.*001:L262/,
    );
    ok(await pmc(p, ['SP_DCP_REFRESH_CONFIG()']), 'REFRESH');
    ok(await disql(D, p.port, ['SELECT 1'], 'SYSDBA', PASSWORD), 'client after REFRESH');
    await D.stopServer(p.ini);
  });

  it('SP_DCP_REFRESH_CONFIG is refused with SYSDCPINSTS empty, without SYSDCPLOGIN, or with no valid row: no EP answering, not an MPP EP, not in its dmmpp.ctl, standbys only (001:L226, L256)', async () => {
    const p = await readyDcp('DCPROWS', { refresh: false });
    refused(await pmc(p, ['SP_DCP_REFRESH_CONFIG()']), /\[-8208\]:.*SYS\.SYSDCPINSTS is empty.*001:L226/);
    ok(await pmc(p, [`SP_DCP_ADD_INST('NOBODY', '${D.priv}', ${lab.ports(1)[0]})`]), 'ADD nobody');
    refused(await pmc(p, ['SP_DCP_REFRESH_CONFIG()']), /SYS\.SYSDCPLOGIN is empty.*001:L256/);
    ok(await pmc(p, [`SP_DCP_SET_LOGIN('SYSDBA', '${PASSWORD}')`]), 'SET_LOGIN');
    refused(
      await pmc(p, ['SP_DCP_REFRESH_CONFIG()']),
      /no valid row in SYS\.SYSDCPINSTS \(NOBODY .*does not answer\).*001:L226/,
    );
    // an instance that is no MPP EP, then an MPP_INI = 1 instance its dmmpp.ctl does not name
    const plain = dcpPlan('PLAIN');
    ok(
      await D.run('dminit', [`path=${plain.path}`, 'INSTANCE_NAME=PLAIN', `PORT_NUM=${plain.port}`], {
        stdin: PASSWORD + '\n',
      }),
      'dminit PLAIN',
    );
    ok(await D.startServer(plain.ini), 'start PLAIN');
    ok(
      await pmc(p, [`SP_DCP_CLEAR_INST('NOBODY')`, `SP_DCP_ADD_INST('PLAIN', '${D.priv}', ${plain.port})`]),
      'PLAIN',
    );
    refused(
      await pmc(p, ['SP_DCP_REFRESH_CONFIG()']),
      /PLAIN .*: PLAIN is not an MPP EP \(MPP_INI = 0\).*001:L226/,
    );
    await D.stopServer(plain.ini);
    setDmIniValue(plain.ini, 'MPP_INI', '1');
    fs.copyFileSync(path.join(path.dirname(ep01.ini), 'dmmpp.ctl'), path.join(plain.dir, 'dmmpp.ctl'));
    ok(await D.startServer(plain.ini), 'start PLAIN as MPP_INI = 1');
    refused(await pmc(p, ['SP_DCP_REFRESH_CONFIG()']), /PLAIN is not in its dmmpp\.ctl.*001:L226/);
    await D.stopServer(plain.ini);
    // the standbys answer and accept the login, but are no MPP primaries
    ok(
      await pmc(p, [
        `SP_DCP_CLEAR_INST('PLAIN')`,
        `SP_DCP_ADD_INST('MPP_EP11', '${B.priv}', ${ep11.port})`,
        `SP_DCP_ADD_INST('MPP_EP22', '${A.priv}', ${ep22.port})`,
      ]),
      'standbys only',
    );
    refused(await pmc(p, ['SP_DCP_REFRESH_CONFIG()']), /EP11 is a standby.*EP22 is a standby.*001:L226/);
    expect(await pmcQuery(p, 'SELECT * FROM V$DCPINSTS')).toEqual([]);
    // one primary is enough: the MPP's configuration names both (001:L226 "不要求完整添加")
    ok(
      await pmc(p, [`SP_DCP_ADD_INST('MPP_EP02', '${B.priv}', ${ep02.port})`, 'SP_DCP_REFRESH_CONFIG()']),
      'one',
    );
    expect(await pmcQuery(p, 'SELECT NAME, EPNO FROM V$DCPINSTS')).toEqual([
      { NAME: 'EP01', EPNO: 0 },
      { NAME: 'EP02', EPNO: 1 },
    ]);
    await D.stopServer(p.ini);
  });

  it('SP_DCP_REFRESH_CONFIG is refused when the EPs reject the stored login; the last SP_DCP_SET_LOGIN wins (001:L248, L256)', async () => {
    const p = await readyDcp('DCPLOGIN', { refresh: false });
    ok(await pmc(p, registration('Wrong_Password_1')), 'register with a wrong password');
    refused(
      await pmc(p, ['SP_DCP_REFRESH_CONFIG()']),
      /MPP_EP01 .*rejected the login of SYSDBA stored by SP_DCP_SET_LOGIN.*001:L256/,
    );
    expect(await pmcQuery(p, 'SELECT * FROM V$DCPINSTS')).toEqual([]);
    ok(await pmc(p, [`SP_DCP_SET_LOGIN('SYSDBA', '${PASSWORD}')`, 'SP_DCP_REFRESH_CONFIG()']), 'right login');
    expect(await pmcQuery(p, 'SELECT USERNAME FROM SYS.SYSDCPLOGIN')).toEqual([{ USERNAME: 'SYSDBA' }]);
    expect(await pmcQuery(p, 'SELECT NAME FROM V$DCPINSTS')).toHaveLength(2);
    for (const h of [A, B, D]) {
      expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain('Wrong_Password_1');
      expect(fs.readFileSync(h.logFile, 'utf8')).not.toContain(PASSWORD);
    }
    await D.stopServer(p.ini);
  });

  it("the procedures' arguments: SP_DCP_ADD_INST(NAME, IP, PORT) with an EP port and a new name, SP_DCP_CLEAR_INST of an existing row, SP_DCP_SET_LOGIN(USERNAME, PWD <= 100), SP_DCP_CLEAR_CONN(NUM >= 0) (001 4)", async () => {
    const p = await readyDcp('DCPARGS', { refresh: false });
    refused(await pmc(p, [`SP_DCP_ADD_INST('EP01', '${A.priv}')`]), /3 arguments expected, 2 given/);
    refused(await pmc(p, [`SP_DCP_ADD_INST('EP01', '${A.priv}', 80)`]), /PORT 80 must be an EP's PORT_NUM/);
    refused(await pmc(p, [`SP_DCP_ADD_INST('EP01', ${ep01.port}, ${ep01.port})`]), /argument 2 \(IP\)/);
    ok(await pmc(p, [`SP_DCP_ADD_INST('EP01', '${A.priv}', ${ep01.port})`]), 'ADD');
    refused(
      await pmc(p, [`SP_DCP_ADD_INST('EP01', '${B.priv}', ${ep02.port})`]),
      /already has a row named EP01/,
    );
    refused(await pmc(p, [`SP_DCP_CLEAR_INST('EP02')`]), /has no row named EP02/);
    refused(await pmc(p, [`SP_DCP_SET_LOGIN('SYSDBA')`]), /SP_DCP_SET_LOGIN\(USERNAME, PWD\): 2 arguments/);
    const long = 'x'.repeat(101);
    const r = await pmc(p, [`SP_DCP_SET_LOGIN('SYSDBA', '${long}')`]);
    refused(r, /PWD is longer than VARCHAR\(100\)/);
    expect(fs.readFileSync(D.logFile, 'utf8')).not.toContain(long);
    expect(r.stdout).not.toContain(long);
    refused(await pmc(p, ['SP_DCP_CLEAR_CONN(-1)']), /NUM must be a non-negative integer/);
    refused(await pmc(p, ['SP_DCP_REFRESH_CONFIG(1)']), /0 arguments expected/);
    expect(await pmcQuery(p, 'SELECT NAME FROM SYS.SYSDCPINSTS')).toEqual([{ NAME: 'EP01' }]);
    await D.stopServer(p.ini);
  });

  it('the SP_DCP_* procedures are refused on an instance that is not a DCP, which has no SYSDCP* tables (001:L134, L173)', async () => {
    refused(
      await ep01.host.sql(ep01.port, [`SP_DCP_ADD_INST('EP01', '${A.priv}', ${ep01.port})`]),
      /SP_DCP_ADD_INST refused: EP01 is not a DCP.*001:L134/,
    );
    refused(await ep01.host.sql(ep01.port, ['SP_DCP_REFRESH_CONFIG()']), /EP01 is not a DCP/);
    refused(await ep01.host.sql(ep01.port, ['SELECT * FROM SYS.SYSDCPINSTS']), /\[-2106\]:无效的表或视图名/);
    refused(await ep01.host.sql(ep01.port, ['SELECT * FROM V$DCPINSTS']), /\[-2106\]/);
    refused(
      await ep01.host.sql(ep01.port, ['CREATE USER U1 IDENTIFIED BY "Some_Pass_123"']),
      /CREATE USER is modelled by dmsim only on a DCP/,
    );
  });

  it("over PORT_NUM every DCP procedure and table is refused, even to SYSDBA: they are the PMC's (001:L148, L173)", async () => {
    const p = await readyDcp('DCPPORTS');
    const before = new Map([ep01, ep02].map((e) => [e, e.host.log().length]));
    for (const stmt of [
      `SP_DCP_ADD_INST('X', '${A.priv}', ${ep01.port})`,
      `SP_DCP_CLEAR_INST('MPP_EP01')`,
      `SP_DCP_SET_LOGIN('SYSDBA', '${PASSWORD}')`,
      'SP_DCP_REFRESH_CONFIG()',
      'SP_DCP_CLEAR_CONN(1)',
      'SELECT * FROM SYS.SYSDCPINSTS',
      'SELECT * FROM SYS.SYSDCPLOGIN',
      'SELECT * FROM V$DCPINSTS',
      'SELECT * FROM V$DCP_CONNPOOL',
    ]) {
      const r = await disql(D, p.port, [stmt], 'SYSDBA', PASSWORD);
      refused(r, /\[-5504\]:没有权限: \S+ refused on PORT_NUM .*001:L148, L173/);
      expect(r.stdout, stmt).not.toContain(PASSWORD);
    }
    // nothing reached an EP, nothing changed on the proxy
    for (const e of [ep01, ep02])
      expect(
        e.host
          .log()
          .slice(before.get(e))
          .filter((x) => /SP_DCP|SYSDCP|DCPINSTS|DCP_CONNPOOL/.test(String(x.stmt ?? ''))),
      ).toEqual([]);
    expect(await pmcQuery(p, 'SELECT NAME FROM SYS.SYSDCPINSTS')).toHaveLength(4);
    expect(fs.readFileSync(D.logFile, 'utf8')).not.toContain(PASSWORD);
    await D.stopServer(p.ini);
  });

  it("a PMC user without the DBA role: the procedures, SYS.SYSDCP* and V$DCP_CONNPOOL are refused; V$DCPINSTS is every PMC user's (001:L177-193)", async () => {
    const p = await readyDcp('DCPUSER');
    ok(await pmc(p, ['CREATE USER APPUSER IDENTIFIED BY "App_User_Pw_1"']), 'CREATE USER');
    refused(
      await pmc(p, ['CREATE USER APPUSER IDENTIFIED BY "App_User_Pw_2"']),
      /user APPUSER already exists/,
    );
    refused(await pmc(p, ['CREATE USER SYSDBA IDENTIFIED BY "App_User_Pw_2"']), /user SYSDBA already exists/);
    refused(await pmc(p, ['CREATE USER SHORTPW IDENTIFIED BY "short"']), /password must be 9~48 characters/);
    refused(await pmc(p, ['SELECT 1'], 'APPUSER', 'App_User_Pw_2'), /\[-2501\]/);
    const as = (stmts: string[]) => pmc(p, stmts, 'APPUSER', 'App_User_Pw_1');
    for (const proc of [
      `SP_DCP_ADD_INST('X', '${A.priv}', ${ep01.port})`,
      `SP_DCP_CLEAR_INST('MPP_EP01')`,
      `SP_DCP_SET_LOGIN('SYSDBA', 'Another_Pw_12')`,
      'SP_DCP_REFRESH_CONFIG()',
      'SP_DCP_CLEAR_CONN(1)',
    ])
      refused(
        await as([proc]),
        /\[-5504\]:没有执行权限: SP_DCP_\w+ refused: APPUSER has no DBA role.*001:L177-189/,
      );
    for (const t of ['SYS.SYSDCPINSTS', 'SYS.SYSDCPLOGIN', 'V$DCP_CONNPOOL'])
      refused(
        await as([`SELECT * FROM ${t}`]),
        /\[-5504\]:没有权限: APPUSER has no DBA role and may not read/,
      );
    refused(await as(['SHUTDOWN']), /\[-5504\]:没有权限: APPUSER has no DBA role/);
    // 001:L193: "所有使用管理连接的用户，都可以查询到系统动态视图 V$DCPINST"
    expect(await pmcQuery(p, 'SELECT NAME, EPNO FROM V$DCPINSTS', 'APPUSER', 'App_User_Pw_1')).toEqual([
      { NAME: 'EP01', EPNO: 0 },
      { NAME: 'EP02', EPNO: 1 },
    ]);
    // the tables are unchanged; the local account is not an MPP login (PORT_NUM asks an EP)
    expect(await pmcQuery(p, 'SELECT NAME FROM SYS.SYSDCPINSTS')).toHaveLength(4);
    refused(await disql(D, p.port, ['SELECT 1'], 'APPUSER', 'App_User_Pw_1'), /\[-2501\]/);
    expect(fs.readFileSync(D.logFile, 'utf8')).not.toContain('App_User_Pw_1');
    await D.stopServer(p.ini);
  });
});
