/**
 * DMDPC (seed 003 chapter 7, "003 7.x" / "003:L<line>"): dminit DPC_MODE/AP_PORT_NUM, mp.ini,
 * dmserver dpc_mode=, the MP catalogue and its procedures, the SP's view of the cluster, the stop
 * order and the HALT of dependants. Single-replica topology 7.1 on one host, as the manual has it.
 * Every refusal has a test that fails if the rule is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIni } from '../../lib/render/ini';
import { SimLab, ok, type SimHost } from './harness';
import { errOf, gone, init, mpIni, plan, running, shutdown, start, type DpcNodePlan } from './dpc-harness';

let lab: SimLab;
afterAll(async () => lab?.cleanup());
beforeAll(() => {
  lab = SimLab.create('dmsim-dpc');
});

/** The seed's 7.1.4 registration, with this lab's ports and address. */
function register71(
  ip: string,
  mp: DpcNodePlan,
  bp1: DpcNodePlan,
  bp2: DpcNodePlan,
  sp: DpcNodePlan,
): string[] {
  return [
    `SP_CREATE_DPC_INSTANCE(NULL,'${mp.name}','MP',${mp.ap},${mp.port}, '${ip}', '${ip}','NORMAL',1,'MP instance')`,
    `SP_CREATE_DPC_RAFT('BP','RAFT_1')`,
    `SP_CREATE_DPC_INSTANCE('RAFT_1','${bp1.name}','BP',${bp1.ap},${bp1.port}, '${ip}', '${ip}','NORMAL',1,'BP instance')`,
    `CALL SP_CREATE_DPC_RAFT('BP', 'RAFT_2')`,
    `SP_CREATE_DPC_INSTANCE('RAFT_2','${bp2.name}','BP',${bp2.ap},${bp2.port}, '${ip}', '${ip}', 'NORMAL', 1, 'BP instance')`,
    `SP_CREATE_DPC_BP_GROUP('BG_1', 'bp group1')`,
    `SP_BP_GROUP_ADD_RAFT('BG_1', 'RAFT_1')`,
    `SP_BP_GROUP_ADD_RAFT('BG_1', 'RAFT_2')`,
    `SP_CREATE_DPC_RAFT('SP', 'RAFT_SP1')`,
    `SP_CREATE_DPC_INSTANCE('RAFT_SP1','${sp.name}','SP',${sp.ap},${sp.port}, '${ip}', '${ip}','NORMAL', 2, 'SP instance')`,
    `SP_CREATE_FAULT_DOMAIN ('FDOM_1','shanghai')`,
    `SP_FAULT_DOMAIN_MV_INST('FDOM_1','${mp.name}')`,
    `SP_FAULT_DOMAIN_MV_INST('FDOM_1','${bp1.name}')`,
    `SP_FAULT_DOMAIN_MV_INST('FDOM_1','${bp2.name}')`,
  ];
}

/** 7.1 on one host (dminit x4, mp.ini, MP started and registered); SP and BPs not started. */
async function build71(hostName: string) {
  const h = lab.host(hostName);
  const sp = plan(h, 'SP1', 'SP');
  const bp1 = plan(h, 'BP1', 'BP');
  const bp2 = plan(h, 'BP2', 'BP');
  const mp = plan(h, 'MP', 'MP');
  const [mpPort] = lab.ports(1) as [number];
  for (const n of [sp, bp1, bp2, mp]) await init(n);
  mpIni([sp, bp1, bp2, mp], h.priv, mpPort);
  ok(await start(mp), 'start MP');
  ok(await h.sql(mp.port, register71(h.priv, mp, bp1, bp2, sp)), 'register');
  return { h, sp, bp1, bp2, mp, mpPort };
}

describe('7.1 single replica on one host', { timeout: 120_000 }, () => {
  it('dminit DPC_MODE/AP_PORT_NUM, mp.ini, MP first, registration, SP/BP starts, the SP sees every instance, then SP -> BP -> MP without a HALT', async () => {
    const { h, sp, bp1, bp2, mp, mpPort } = await build71('H71');
    // dminit: AP_PORT_NUM in dm.ini, the role in the database's state
    const v = new Map(parseIni(fs.readFileSync(mp.ini, 'utf8')).globals);
    expect(v.get('AP_PORT_NUM')).toBe(String(mp.ap));
    expect(JSON.parse(fs.readFileSync(path.join(mp.dir, 'dm.ctl'), 'utf8')).dpc.role).toBe('MP');
    // the MP listens on PORT_NUM, AP_PORT_NUM and its mp_port
    expect((await h.query(mp.port, 'SELECT STATUS$, MODE$ FROM V$INSTANCE'))[0]).toEqual({
      STATUS$: 'OPEN',
      MODE$: 'NORMAL',
    });
    // the deployer's three verify queries (003 7.1.5)
    expect(
      await h.query(
        mp.port,
        'SELECT RAFT_ID, NAME, DPC_MODE, XMAL_PORT, INST_PORT, IP_INTERNAL FROM DPC_INSTANCE',
      ),
    ).toEqual([
      { RAFT_ID: 0, NAME: 'MP', DPC_MODE: 'MP', XMAL_PORT: mp.ap, INST_PORT: mp.port, IP_INTERNAL: h.priv },
      {
        RAFT_ID: 1,
        NAME: 'BP1',
        DPC_MODE: 'BP',
        XMAL_PORT: bp1.ap,
        INST_PORT: bp1.port,
        IP_INTERNAL: h.priv,
      },
      {
        RAFT_ID: 2,
        NAME: 'BP2',
        DPC_MODE: 'BP',
        XMAL_PORT: bp2.ap,
        INST_PORT: bp2.port,
        IP_INTERNAL: h.priv,
      },
      { RAFT_ID: 3, NAME: 'SP1', DPC_MODE: 'SP', XMAL_PORT: sp.ap, INST_PORT: sp.port, IP_INTERNAL: h.priv },
    ]);
    expect(await h.query(mp.port, 'SELECT RAFT_ID, DPC_MODE, NAME FROM DPC_BP_RAFT')).toEqual([
      { RAFT_ID: 0, DPC_MODE: 'MP', NAME: 'MP_RAFT' },
      { RAFT_ID: 1, DPC_MODE: 'BP', NAME: 'RAFT_1' },
      { RAFT_ID: 2, DPC_MODE: 'BP', NAME: 'RAFT_2' },
      { RAFT_ID: 3, DPC_MODE: 'SP', NAME: 'RAFT_SP1' },
    ]);
    expect(await h.query(mp.port, 'SELECT NAME, RAFT_NUM, RAFT_INFO FROM DPC_BP_GROUP')).toEqual([
      { NAME: 'BG_1', RAFT_NUM: 2, RAFT_INFO: '0x01000200' },
    ]);
    // SELECT * gives the seed's columns (003:L132-161): INST_ID from 4096, SYS_STATUS 6, GROUP_ID -1
    const all = await h.query(mp.port, 'select * from DPC_INSTANCE');
    expect(Object.keys(all[0] ?? {})).toEqual([
      'RAFT_ID',
      'INST_ID',
      'NAME',
      'DPC_MODE',
      'XMAL_PORT',
      'INST_PORT',
      'IP_INTERNAL',
      'SYS_MODE',
      'SYS_STATUS',
      'STATUS',
      'DESCRIPTION',
      'IP_EXTERNAL',
      'INFO1',
      'INFO2',
      'INFO3',
    ]);
    expect(all.map((r) => [r.INST_ID, r.SYS_MODE, r.SYS_STATUS, r.STATUS, r.INFO1])).toEqual([
      [4096, 'NORMAL', 6, 1, 65536],
      [4097, 'NORMAL', 6, 1, 65536],
      [4098, 'NORMAL', 6, 1, 65536],
      [4099, 'NORMAL', 6, 2, null],
    ]);
    expect((await h.query(mp.port, 'select * from DPC_BP_RAFT')).map((r) => r.GROUP_ID)).toEqual([
      -1, -1, -1, -1,
    ]);
    // disql shows it the DM way too
    const shown = ok(await h.sql(mp.port, ['select * from DPC_BP_GROUP'], { json: false }), 'disql table');
    expect(shown.stdout).toMatch(/1\s+1\s+BG_1\s+bp group1\s+2\s+0x01000200\s+0\s+NULL\s+NULL/);
    // SP and BPs, in any order, normally (not MOUNT)
    ok(await start(sp), 'start SP1');
    // no BP yet: the SP answers every query with 无效的系统状态 (003:L189-192), V$ views still work
    const early = await h.sql(sp.port, ['SELECT 1']);
    expect(early.code).not.toBe(0);
    expect(errOf(early)).toMatch(/\[-518\]:无效的系统状态: BP RAFT group RAFT_1 has no usable BP/);
    expect(errOf(early)).toMatch(/DM8 manual 003 7\.1\.6/);
    ok(await start(bp1), 'start BP1');
    ok(await start(bp2), 'start BP2');
    expect(await h.query(sp.port, 'SELECT 1')).toEqual([{ '1': 1 }]);
    const inst = await h.query(sp.port, 'SELECT INSTANCE_NAME, STATUS$, MODE$ FROM V$INSTANCE');
    expect(inst).toEqual([
      { INSTANCE_NAME: 'MP', STATUS$: 'OPEN', MODE$: 'NORMAL' },
      { INSTANCE_NAME: 'BP1', STATUS$: 'OPEN', MODE$: 'NORMAL' },
      { INSTANCE_NAME: 'BP2', STATUS$: 'OPEN', MODE$: 'NORMAL' },
      { INSTANCE_NAME: 'SP1', STATUS$: 'OPEN', MODE$: 'NORMAL' },
    ]);
    // MP and BP: their own row, as before
    for (const n of [mp, bp1])
      expect(await h.query(n.port, 'SELECT INSTANCE_NAME, STATUS$, MODE$ FROM V$INSTANCE')).toEqual([
        { INSTANCE_NAME: n.name, STATUS$: 'OPEN', MODE$: 'NORMAL' },
      ]);
    // 7.1.8: SP, then BP, then MP: nobody HALTs
    const from = h.log().length;
    await shutdown(sp);
    await shutdown(bp1);
    await shutdown(bp2);
    await new Promise((r) => setTimeout(r, 1500)); // longer than the heartbeat grace
    await shutdown(mp);
    const log = h.log();
    expect(log.slice(from).filter((r) => r.event === 'halt')).toEqual([]);
    // the action log tells the order of events
    const ev = log
      .filter(
        (r) =>
          ['dminit', 'dpc-start', 'dpc-register', 'shutdown'].includes(r.event) &&
          (r.dpcMode || r.proc || r.instance),
      )
      .map((r) => `${r.event}:${String(r.instance ?? r.proc ?? '')}`);
    expect(ev.slice(0, 5)).toEqual(['dminit:SP1', 'dminit:BP1', 'dminit:BP2', 'dminit:MP', 'dpc-start:MP']);
    expect(ev.filter((e) => e.startsWith('dpc-register')).length).toBe(14);
    expect(ev.slice(-4)).toEqual(['shutdown:SP1', 'shutdown:BP1', 'shutdown:BP2', 'shutdown:MP']);
    void mpPort;
  });

  it('the catalogue is in the MP database: it survives an MP restart', async () => {
    const { h, mp } = await build71('H71b');
    const before = await h.query(mp.port, 'SELECT * FROM DPC_INSTANCE');
    await shutdown(mp);
    ok(await start(mp), 'restart MP');
    expect(await h.query(mp.port, 'SELECT * FROM DPC_INSTANCE')).toEqual(before);
    expect((await h.query(mp.port, 'SELECT NAME FROM DPC_BP_RAFT')).length).toBe(4);
  });
});

describe('7.1 refusals', { timeout: 120_000 }, () => {
  it('dminit: DPC_MODE must be MP/BP/SP (any case), AP_PORT_NUM 1024~65534 and given', async () => {
    const h = lab.host('R1');
    const base = (n: string) => path.join(h.dir, n);
    const r1 = await h.dminit(base('a'), ['DPC_MODE=XP', 'AP_PORT_NUM=6000']);
    expect(r1.stderr).toMatch(/DPC_MODE XP must be MP, BP or SP.*003 7\.1\.1/);
    const r2 = await h.dminit(base('b'), ['DPC_MODE=bp', 'AP_PORT_NUM=70000']);
    expect(r2.stderr).toMatch(/AP_PORT_NUM must be 1024~65534.*003 7\.1\.1/);
    const r3 = await h.dminit(base('c'), ['DPC_MODE=sp']);
    expect(r3.stderr).toMatch(/needs AP_PORT_NUM.*003 7\.1\.1/);
    for (const b of ['a', 'b', 'c'])
      expect(fs.existsSync(path.join(base(b), 'DAMENG', 'dm.ctl'))).toBe(false);
    ok(await h.dminit(base('d'), ['DPC_MODE=bp', 'AP_PORT_NUM=6001']), 'lower-case role');
    expect(JSON.parse(fs.readFileSync(path.join(base('d'), 'DAMENG', 'dm.ctl'), 'utf8')).dpc.role).toBe('BP');
  });

  it('dmserver: dpc_mode absent on a DPC database, given on a non-DPC one, or not the dminit role is refused', async () => {
    const h = lab.host('R2');
    const mp = plan(h, 'MP', 'MP');
    await init(mp);
    mpIni([mp], h.priv, lab.ports(1)[0] ?? 0);
    const r1 = await h.startServer(mp.ini);
    expect(r1.stderr).toMatch(/is a DMDPC MP .*start it with dpc_mode=MP.*003 7\.1\.3/);
    const r2 = await start(mp, [], 'BP');
    expect(r2.stderr).toMatch(/dpc_mode=BP but MP was initialised as a MP.*003 7\.1\.1/);
    // a plain database
    const plain = path.join(h.dir, 'plain');
    ok(await h.dminit(plain, [`PORT_NUM=${lab.ports(1)[0]}`]), 'dminit plain');
    const r3 = await h.startServer(path.join(plain, 'DAMENG', 'dm.ini'), ['dpc_mode=SP']);
    expect(r3.stderr).toMatch(/not initialised for DMDPC.*003 7\.1\.1/);
    // the right one, in lower case, starts
    ok(await start(mp, [], 'mp'), 'dpc_mode=mp');
    expect(h.log().some((r) => r.event === 'dpc-start' && r.instance === 'MP' && r.dpcMode === 'MP')).toBe(
      true,
    );
    await shutdown(mp);
  });

  it('dmserver: mp.ini missing or malformed is refused', async () => {
    const h = lab.host('R3');
    const mp = plan(h, 'MP', 'MP');
    await init(mp);
    const r1 = await start(mp);
    expect(r1.stderr).toMatch(/cannot read mp\.ini.*003 7\.1\.2/);
    const file = path.join(mp.dir, 'mp.ini');
    fs.writeFileSync(file, `mp_host = ${h.priv}\n`);
    expect((await start(mp)).stderr).toMatch(/needs mp_host and mp_port.*003 7\.1\.2/);
    fs.writeFileSync(file, `mp_host = ${h.priv}\nmp_port = 9000\nmp_user = x\n`);
    expect((await start(mp)).stderr).toMatch(/unknown parameter MP_USER/);
    fs.writeFileSync(
      file,
      `mp_host = ${h.priv}\nmp_port = 9000\n[MP]\nmp_host = ${h.priv}\nmp_port = 9001\n`,
    );
    expect((await start(mp)).stderr).toMatch(/mixes the single form.*003 7\.1\.2/);
    // multi-MP form without this MP's section
    fs.writeFileSync(file, `[MP9]\nmp_host = ${h.priv}\nmp_port = 9001\n`);
    expect((await start(mp)).stderr).toMatch(/mp\.ini has no \[MP\] section.*003 7\.3\.2/);
    // mp_port on the MP's own AP port (003:L46)
    fs.writeFileSync(file, `mp_host = ${h.priv}\nmp_port = ${mp.ap}\n`);
    expect((await start(mp)).stderr).toMatch(/collides with this MP's PORT_NUM\/AP_PORT_NUM.*003:L46/);
    expect(running(mp)).toBe(false);
  });

  it('an SP or BP that is not registered on the MP, or registered with other ports, or without a reachable MP, does not start (003:L121)', async () => {
    const h = lab.host('R4');
    const sp = plan(h, 'SP1', 'SP');
    const bp = plan(h, 'BP1', 'BP');
    const mp = plan(h, 'MP', 'MP');
    const [mpPort] = lab.ports(1) as [number];
    for (const n of [sp, bp, mp]) await init(n);
    mpIni([sp, bp, mp], h.priv, mpPort);
    // no MP yet
    const r0 = await start(sp);
    expect(r0.stderr).toMatch(/no MP answers at .*mp\.ini.*003 7\.1\.3/);
    ok(await start(mp), 'MP');
    ok(
      await h.sql(mp.port, [
        `SP_CREATE_DPC_INSTANCE(NULL,'MP','MP',${mp.ap},${mp.port},'${h.priv}','${h.priv}','NORMAL',1,'MP instance')`,
        `SP_CREATE_DPC_RAFT('BP','RAFT_1')`,
        // BP1 registered with its ports swapped
        `SP_CREATE_DPC_INSTANCE('RAFT_1','BP1','BP',${bp.port},${bp.ap},'${h.priv}','${h.priv}','NORMAL',1,'BP instance')`,
        `SP_CREATE_DPC_RAFT('SP','RAFT_SP1')`,
      ]),
      'register MP and a wrong BP1',
    );
    const r1 = await start(sp);
    expect(r1.stderr).toMatch(/SP1 is not registered on the MP.*003 7\.1\.4 注意 \(003:L121\)/);
    const r2 = await start(bp);
    expect(r2.stderr).toMatch(/registered with INST_PORT .* but its PORT_NUM is.*003:L121/);
    // registered with another address than this host's
    ok(
      await h.sql(mp.port, [
        `SP_CREATE_DPC_INSTANCE('RAFT_SP1','SP1','SP',${sp.ap},${sp.port},'192.0.2.77','','NORMAL',2,'SP instance')`,
      ]),
      'register SP1 elsewhere',
    );
    expect((await start(sp)).stderr).toMatch(
      /IP_INTERNAL 192\.0\.2\.77, which is not an address of this host/,
    );
    expect(running(sp) || running(bp)).toBe(false);
  });

  it('an SP starts normally only: dpc_mode=SP MOUNT is refused', async () => {
    const { sp } = await build71('R5');
    ok(await start(sp), 'first start, normal');
    await shutdown(sp);
    expect((await start(sp, ['mount'])).stderr).toMatch(/an SP starts normally.*003 7\.1\.6/);
  });
});

describe(
  'the MP catalogue refuses what the manual orders otherwise (003:L78, L90-116)',
  { timeout: 120_000 },
  () => {
    let h: SimHost;
    let mp: DpcNodePlan;
    let bp: DpcNodePlan;
    beforeAll(async () => {
      h = lab.host('C1');
      mp = plan(h, 'MP', 'MP');
      bp = plan(h, 'BP1', 'BP');
      for (const n of [mp, bp]) await init(n);
      mpIni([mp, bp], h.priv, lab.ports(1)[0] ?? 0);
      ok(await start(mp), 'MP');
    });
    const sqlErr = async (stmt: string, port = mp.port) => {
      const r = await h.sql(port, [stmt]);
      expect(r.code).not.toBe(0);
      return errOf(r);
    };
    const mpSelf = () =>
      `SP_CREATE_DPC_INSTANCE(NULL,'MP','MP',${mp.ap},${mp.port},'${h.priv}','${h.priv}','NORMAL',1,'MP instance')`;

    it('nothing before the current MP has registered itself, and it registers first', async () => {
      expect(await sqlErr(`SP_CREATE_DPC_RAFT('BP','RAFT_1')`)).toMatch(
        /register the current MP \(MP\) first.*003 7\.1\.4 \(003:L78\)/,
      );
      expect(await sqlErr(`SP_CREATE_FAULT_DOMAIN('FDOM_1','x')`)).toMatch(/003:L78/);
      expect(
        await sqlErr(
          `SP_CREATE_DPC_INSTANCE(NULL,'MP2','MP',6201,5437,'${h.priv}','','STANDBY',0,'MP instance')`,
        ),
      ).toMatch(/the first registration must be the current MP itself \(MP, mode 'MP'\).*003:L78/);
      expect(await sqlErr(mpSelf().replace('NULL', `'RAFT_X'`))).toMatch(/give NULL or 'MP_RAFT'.*003:L85/);
      expect(await sqlErr(`SP_CREATE_DPC_INSTANCE(NULL,'MP','MP',${mp.ap},${mp.port})`)).toMatch(
        /10 arguments expected, 5 given/,
      );
      expect(await h.query(mp.port, 'SELECT * FROM DPC_INSTANCE')).toEqual([]);
      ok(await h.sql(mp.port, [mpSelf()]), 'the MP registers itself');
      expect(await sqlErr(mpSelf())).toMatch(/instance MP is already registered/);
    });

    it('an instance needs its RAFT group, of its own role; SP_CREATE_DPC_RAFT has no MP groups and no duplicates', async () => {
      const bpRow = (raft: string, mode = 'BP') =>
        `SP_CREATE_DPC_INSTANCE('${raft}','BP1','${mode}',${bp.ap},${bp.port},'${h.priv}','${h.priv}','NORMAL',1,'BP instance')`;
      expect(await sqlErr(bpRow('RAFT_1'))).toMatch(/RAFT group RAFT_1 does not exist.*003:L89-92/);
      expect(await sqlErr(`SP_CREATE_DPC_RAFT('MP','MP_RAFT2')`)).toMatch(
        /created with the MP itself.*003:L85/,
      );
      ok(
        await h.sql(mp.port, [`SP_CREATE_DPC_RAFT('SP','RAFT_SP1')`, `SP_CREATE_DPC_RAFT('BP','RAFT_1')`]),
        'rafts',
      );
      expect(await sqlErr(`SP_CREATE_DPC_RAFT('BP','RAFT_1')`)).toMatch(/RAFT group RAFT_1 already exists/);
      expect(await sqlErr(`SP_CREATE_DPC_RAFT('BP','MP_RAFT')`)).toMatch(/MP_RAFT already exists/);
      expect(await sqlErr(bpRow('RAFT_SP1'))).toMatch(
        /BP1 is a BP but RAFT group RAFT_SP1 is a SP group.*003 7\.1\.4/,
      );
      expect(await sqlErr(bpRow('RAFT_1', 'XP'))).toMatch(/mode XP must be 'MP', 'BP' or 'SP'/);
      ok(await h.sql(mp.port, [bpRow('RAFT_1')]), 'BP1 into RAFT_1');
      expect(await sqlErr(bpRow('RAFT_1'))).toMatch(/instance BP1 is already registered/);
      expect(await h.query(mp.port, 'SELECT RAFT_ID, DPC_MODE, NAME FROM DPC_BP_RAFT')).toEqual([
        { RAFT_ID: 0, DPC_MODE: 'MP', NAME: 'MP_RAFT' },
        { RAFT_ID: 1, DPC_MODE: 'SP', NAME: 'RAFT_SP1' },
        { RAFT_ID: 2, DPC_MODE: 'BP', NAME: 'RAFT_1' },
      ]);
    });

    it('ADD_RAFT wants an existing BP group and an existing BP RAFT group; MV_INST an existing domain and instance; no duplicates', async () => {
      expect(await sqlErr(`SP_BP_GROUP_ADD_RAFT('BG_1','RAFT_1')`)).toMatch(
        /BP group BG_1 does not exist.*003:L99-103/,
      );
      ok(await h.sql(mp.port, [`SP_CREATE_DPC_BP_GROUP('BG_1','bp group1')`]), 'BG_1');
      expect(await sqlErr(`SP_CREATE_DPC_BP_GROUP('BG_1','again')`)).toMatch(/BP group BG_1 already exists/);
      expect(await sqlErr(`SP_BP_GROUP_ADD_RAFT('BG_1','RAFT_9')`)).toMatch(
        /RAFT group RAFT_9 does not exist/,
      );
      expect(await sqlErr(`SP_BP_GROUP_ADD_RAFT('BG_1','RAFT_SP1')`)).toMatch(/RAFT_SP1 is a SP RAFT group/);
      ok(await h.sql(mp.port, [`SP_BP_GROUP_ADD_RAFT('BG_1','RAFT_1')`]), 'add');
      expect(await sqlErr(`SP_BP_GROUP_ADD_RAFT('BG_1','RAFT_1')`)).toMatch(/already in BP group BG_1/);
      expect(await h.query(mp.port, 'SELECT NAME, RAFT_NUM, RAFT_INFO FROM DPC_BP_GROUP')).toEqual([
        { NAME: 'BG_1', RAFT_NUM: 1, RAFT_INFO: '0x0200' },
      ]);
      expect(await sqlErr(`SP_FAULT_DOMAIN_MV_INST('FDOM_1','BP1')`)).toMatch(
        /fault domain FDOM_1 does not exist.*003:L111-116/,
      );
      ok(await h.sql(mp.port, [`SP_CREATE_FAULT_DOMAIN('FDOM_1','shanghai')`]), 'FDOM_1');
      expect(await sqlErr(`SP_CREATE_FAULT_DOMAIN('FDOM_1','x')`)).toMatch(
        /fault domain FDOM_1 already exists/,
      );
      expect(await sqlErr(`SP_FAULT_DOMAIN_MV_INST('FDOM_1','BP9')`)).toMatch(
        /instance BP9 is not registered/,
      );
      const info1 = async () =>
        (await h.query(mp.port, 'SELECT NAME, INFO1 FROM DPC_INSTANCE')).find((r) => r.NAME === 'BP1')?.INFO1;
      expect(await info1()).toBeNull();
      ok(await h.sql(mp.port, [`SP_FAULT_DOMAIN_MV_INST('FDOM_1','BP1')`]), 'MV_INST');
      // the domain shows only as INFO1 = id × 65536 (003:L145-161)
      expect(await info1()).toBe(65536);
      ok(await h.sql(mp.port, [`SP_CREATE_FAULT_DOMAIN('FDOM_2','beijing')`]), 'FDOM_2');
      ok(await h.sql(mp.port, [`SP_FAULT_DOMAIN_MV_INST('FDOM_2','BP1')`]), 'moved on');
      expect(await info1()).toBe(131072);
    });

    it("the procedures and the DPC_* tables are the MP's: a BP refuses them (003:L81)", async () => {
      ok(await start(bp), 'BP1 (registered above)');
      expect(await sqlErr(`SP_CREATE_DPC_RAFT('BP','RAFT_2')`, bp.port)).toMatch(
        /BP1 is a BP; DMDPC registration is done logged in to the MP.*003:L81/,
      );
      expect(await sqlErr('SELECT * FROM DPC_INSTANCE', bp.port)).toMatch(
        /the DPC_\* tables are read on the MP/,
      );
      // and a non-DPC database does not know them
      const plain = path.join(h.dir, 'plain');
      const [port] = lab.ports(1) as [number];
      ok(await h.dminit(plain, [`PORT_NUM=${port}`]), 'plain');
      ok(await h.startServer(path.join(plain, 'DAMENG', 'dm.ini')), 'plain start');
      expect(await sqlErr(`SP_CREATE_DPC_RAFT('BP','RAFT_2')`, port)).toMatch(/is not a DMDPC MP/);
    });
  },
);

describe('stop order and HALT (003 7.1.8)', { timeout: 120_000 }, () => {
  it('the MP stopped while SP and BPs run: they HALT; the next start replays REDO and still starts', async () => {
    const { h, sp, bp1, bp2, mp } = await build71('T1');
    for (const n of [sp, bp1, bp2]) ok(await start(n), `start ${n.name}`);
    const from = h.log().length;
    await shutdown(mp);
    for (const n of [sp, bp1, bp2]) await gone(n);
    const halts = h
      .log()
      .slice(from)
      .filter((r) => r.event === 'halt');
    expect(halts.map((r) => r.instance).sort()).toEqual(['BP1', 'BP2', 'SP1']);
    expect(String(halts.find((r) => r.instance === 'BP1')?.reason)).toMatch(
      /the MP .* is gone while this (SP|BP) runs.*003 7\.1\.8/,
    );
    const ctl = JSON.parse(fs.readFileSync(path.join(bp1.dir, 'dm.ctl'), 'utf8'));
    expect(ctl).toMatchObject({ needsRedo: true, lastShutdown: 'ABNORMAL' });
    ok(await start(mp), 'MP again');
    ok(await start(bp1), 'BP1 again');
    expect(h.log().some((r) => r.event === 'redo' && r.instance === 'BP1')).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(bp1.dir, 'dm.ctl'), 'utf8')).needsRedo).toBeUndefined();
  });

  it('a BP stopped while the SP runs: the SP HALTs; an SP whose BP never came up only refuses queries', async () => {
    const { h, sp, bp1, bp2 } = await build71('T2');
    ok(await start(sp), 'SP1');
    ok(await start(bp1), 'BP1');
    // BP2 never started: no HALT, only 无效的系统状态
    await new Promise((r) => setTimeout(r, 1500));
    expect(running(sp)).toBe(true);
    expect(errOf(await h.sql(sp.port, ['SELECT 1']))).toMatch(/无效的系统状态: BP RAFT group RAFT_2/);
    ok(await start(bp2), 'BP2');
    expect(await h.query(sp.port, 'SELECT 1')).toEqual([{ '1': 1 }]);
    const from = h.log().length;
    await shutdown(bp1);
    await gone(sp);
    const halt = h
      .log()
      .slice(from)
      .find((r) => r.event === 'halt');
    expect(halt).toMatchObject({ instance: 'SP1' });
    expect(String(halt?.reason)).toMatch(/BP RAFT group RAFT_1 lost its last valid member/);
    expect(running(bp2)).toBe(true);
  });
});
