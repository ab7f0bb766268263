/**
 * DMDPC RAFT groups (seed 003 7.2 BP multi-replica, 7.3 MP multi-replica, 7.5 shadow replicas),
 * on one host as the manual has it: the bootstrap member, offline backup and restore, the RAFT
 * dm.ini/dmarch.ini, MOUNT starts, the election, the MP's catalogue following it, coordinated
 * exit, and the refusals. Each refusal has a test that fails if the rule is removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimLab, ok, until, type SimHost } from './harness';
import {
  backupRestore,
  ctl,
  errOf,
  gone,
  init,
  inst,
  localOnly,
  mpIni,
  mpIniMulti,
  pidOf,
  plan,
  raftConfig,
  running,
  shutdown,
  start,
  type DpcNodePlan,
} from './dpc-harness';
import { setDmIniValue } from './src/config';
import { graceMs } from './src/dpc';

let lab: SimLab;
afterAll(async () => lab?.cleanup());
beforeAll(() => {
  lab = SimLab.create('dmsim-raft');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 7.2 with one BP RAFT group of three (RAFT_1: BP11/BP12/BP13) and optionally a single-replica
 * RAFT_2 (BPX): dminit, mp.ini, MP started and registered (members STANDBY/0, 003:L303), BP11
 * bootstrapped (LOCAL-only dmarch.ini, normal start, SHUTDOWN). Nothing else started.
 */
async function build72(hostName: string, o: { extraBp?: boolean } = {}) {
  const h = lab.host(hostName);
  const sp = plan(h, 'SP1', 'SP');
  const mp = plan(h, 'MP', 'MP');
  const bps = ['BP11', 'BP12', 'BP13'].map((n) => plan(h, n, 'BP'));
  const bpx = o.extraBp ? plan(h, 'BPX', 'BP') : undefined;
  const all = [sp, mp, ...bps, ...(bpx ? [bpx] : [])];
  const [mpPort] = lab.ports(1) as [number];
  for (const n of all) await init(n);
  mpIni(all, h.priv, mpPort);
  ok(await start(mp), 'start MP');
  const row = (raft: string, n: DpcNodePlan, mode: string, st: number) =>
    `SP_CREATE_DPC_INSTANCE('${raft}', '${n.name}', '${n.role}', ${n.ap}, ${n.port}, '${h.priv}', '${h.priv}','${mode}', ${st}, '${n.role} instance')`;
  ok(
    await h.sql(mp.port, [
      `SP_CREATE_DPC_INSTANCE(NULL,'MP','MP',${mp.ap},${mp.port}, '${h.priv}', '${h.priv}','NORMAL',1,'MP instance')`,
      `SP_CREATE_DPC_RAFT('BP', 'RAFT_1')`,
      ...bps.map((b) => row('RAFT_1', b, 'STANDBY', 0)),
      ...(bpx ? [`SP_CREATE_DPC_RAFT('BP', 'RAFT_2')`, row('RAFT_2', bpx, 'NORMAL', 1)] : []),
      `SP_CREATE_DPC_BP_GROUP('BG_1', 'bp group1')`,
      `SP_BP_GROUP_ADD_RAFT('BG_1', 'RAFT_1')`,
      ...(bpx ? [`SP_BP_GROUP_ADD_RAFT('BG_1', 'RAFT_2')`] : []),
      `SP_CREATE_DPC_RAFT('SP', 'RAFT_SP1')`,
      row('RAFT_SP1', sp, 'NORMAL', 2),
    ]),
    'register',
  );
  const [b11] = bps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
  localOnly(b11);
  ok(await start(b11, [], 'bp'), 'bootstrap BP11 (dpc_mode=bp, 003:L409)');
  expect(await inst(b11)).toEqual({ STATUS$: 'OPEN', MODE$: 'NORMAL' });
  await shutdown(b11);
  return { h, sp, mp, bps, bpx, mpPort };
}

async function waitRoles(nodes: DpcNodePlan[], want: string[], ms = 8000): Promise<void> {
  await until(
    async () => {
      const got = await Promise.all(nodes.map((n) => inst(n).catch(() => undefined)));
      return got.every((g, i) => g && `${g.MODE$}/${g.STATUS$}` === want[i]);
    },
    `${nodes.map((n) => n.name).join(',')} to be ${want.join(',')}`,
    ms,
  );
}

describe('7.2 BP multi-replica', { timeout: 120_000 }, () => {
  it('bootstrap, offline backup, restore + UPDATE DB_MAGIC, RAFT config, MOUNT starts: the lowest vote interval leads, the MP follows, the SP works; SIGUSR1 to the leader stops the group; no HALT', async () => {
    const { h, sp, mp, bps } = await build72('B1');
    const [b11, b12, b13] = bps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
    await backupRestore(b11, [b12, b13]);
    for (let i = 0; i < 3; i++) raftConfig(bps, i);
    // SP first (order does not matter, 003:L558): it answers 无效的系统状态 until a leader exists
    ok(await start(sp), 'SP1');
    expect(errOf(await h.sql(sp.port, ['SELECT 1']))).toMatch(
      /无效的系统状态: BP RAFT group RAFT_1 .*no PRIMARY\/OPEN leader/,
    );
    // any order inside the group: the last to start, BP11, has the lowest RAFT_VOTE_INTERVAL
    ok(await start(b13, ['MOUNT']), 'BP13 MOUNT');
    await sleep(400);
    expect(await inst(b13)).toEqual({ STATUS$: 'MOUNT', MODE$: 'NORMAL' }); // alone: no majority
    ok(await start(b12, ['MOUNT']), 'BP12 MOUNT');
    await waitRoles([b12, b13], ['PRIMARY/OPEN', 'STANDBY/OPEN']); // a majority of 3 elects
    ok(await start(b11, ['MOUNT']), 'BP11 MOUNT');
    await waitRoles([b11, b12, b13], ['STANDBY/OPEN', 'PRIMARY/OPEN', 'STANDBY/OPEN']); // BP11 follows the leader
    expect(await h.query(sp.port, 'SELECT 1')).toEqual([{ '1': 1 }]);
    // the MP's DPC_INSTANCE follows the election (003:L303)
    await until(async () => {
      const rows = await h.query(
        mp.port,
        "SELECT NAME, SYS_MODE, STATUS FROM DPC_INSTANCE WHERE DPC_MODE = 'BP'",
      );
      return (
        JSON.stringify(rows) ===
        JSON.stringify([
          { NAME: 'BP11', SYS_MODE: 'STANDBY', STATUS: 1 },
          { NAME: 'BP12', SYS_MODE: 'PRIMARY', STATUS: 1 },
          { NAME: 'BP13', SYS_MODE: 'STANDBY', STATUS: 1 },
        ])
      );
    }, 'the MP catalogue to follow the election');
    // the SP sees every instance with its live mode
    const seen = await h.query(sp.port, 'SELECT INSTANCE_NAME, STATUS$, MODE$ FROM V$INSTANCE');
    expect(seen.map((r) => `${r.INSTANCE_NAME}:${r.MODE$}/${r.STATUS$}`)).toEqual([
      'MP:NORMAL/OPEN',
      'BP11:STANDBY/OPEN',
      'BP12:PRIMARY/OPEN',
      'BP13:STANDBY/OPEN',
      'SP1:NORMAL/OPEN',
    ]);
    // the leader's RAFT archives are VALID
    const arch = await h.query(
      b12.port,
      "SELECT ARCH_DEST, ARCH_STATUS FROM V$ARCH_STATUS WHERE ARCH_TYPE = 'RAFT'",
    );
    expect(arch).toEqual([
      { ARCH_DEST: 'BP11', ARCH_STATUS: 'VALID' },
      { ARCH_DEST: 'BP13', ARCH_STATUS: 'VALID' },
    ]);
    // ALTER DATABASE PRIMARY/STANDBY on a member is refused (003:L458)
    const alter = await h.sql(b11.port, ['ALTER DATABASE PRIMARY']);
    expect(errOf(alter)).toMatch(/replica of RAFT group RAFT_1.*003 7\.2\.7\.2 \(003:L458\)/);
    // 7.2.10: SP, then SIGUSR1 to the leader (the whole group exits normally), then MP
    const from = h.log().length;
    await shutdown(sp);
    process.kill(pidOf(b12), 'SIGUSR1');
    for (const b of bps) await gone(b);
    await sleep(1200);
    await shutdown(mp);
    const log = h.log().slice(from);
    expect(log.filter((r) => r.event === 'halt')).toEqual([]);
    const downs = log.filter((r) => r.event === 'shutdown');
    expect(downs.every((r) => r.normal === true)).toBe(true);
    expect(downs.map((r) => r.instance)[0]).toBe('SP1');
    expect(downs.map((r) => r.instance)[4]).toBe('MP');
    expect(
      downs
        .map((r) => String(r.instance))
        .slice(1, 4)
        .sort(),
    ).toEqual(['BP11', 'BP12', 'BP13']);
    expect(log.some((r) => r.event === 'exit-all' && r.instance === 'BP12' && r.from === 'SIGUSR1')).toBe(
      true,
    );
  });

  it('refuses a MOUNT start without ARCH_INI = 1 or ALTER_MODE_STATUS = 0, with a RAFT section to a non-member or colliding ids, and RAFT sections without MOUNT', async () => {
    const { bps, bpx } = await build72('B2', { extraBp: true });
    const [b11, b12, b13] = bps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
    await backupRestore(b11, [b12, b13]);
    raftConfig(bps, 0);
    setDmIniValue(b11.ini, 'ALTER_MODE_STATUS', '1');
    expect((await start(b11, ['MOUNT'])).stderr).toMatch(/needs ALTER_MODE_STATUS = 0.*003 7\.2\.7\.2/);
    raftConfig(bps, 0);
    setDmIniValue(b11.ini, 'ARCH_INI', '0');
    expect((await start(b11, ['MOUNT'])).stderr).toMatch(/needs ARCH_INI = 1.*003 7\.2\.7\.2/);
    // ARCH_DEST naming an instance outside RAFT_1 (BPX is RAFT_2's)
    raftConfig(bps, 0, {
      dests: [
        { name: 'BP12', id: 2 },
        { name: 'BPX', id: 3 },
      ],
    });
    expect((await start(b11, ['MOUNT'])).stderr).toMatch(
      /ARCH_DEST = BPX is not another member of RAFT group RAFT_1 \(BP11, BP12, BP13\).*003 7\.2\.7\.3/,
    );
    // a peer left out
    raftConfig(bps, 0, { dests: [{ name: 'BP12', id: 2 }] });
    expect((await start(b11, ['MOUNT'])).stderr).toMatch(/no RAFT archive to BP13/);
    // ARCH_DEST_ID equal to RAFT_SELF_ID
    raftConfig(bps, 0, {
      dests: [
        { name: 'BP12', id: 1 },
        { name: 'BP13', id: 3 },
      ],
    });
    expect((await start(b11, ['MOUNT'])).stderr).toMatch(
      /equals this replica's RAFT_SELF_ID: self ids collide/,
    );
    // a running peer whose RAFT_SELF_ID is not the ARCH_DEST_ID given for it
    raftConfig(bps, 1);
    ok(await start(b12, ['MOUNT']), 'BP12 MOUNT');
    raftConfig(bps, 0, {
      dests: [
        { name: 'BP12', id: 3 },
        { name: 'BP13', id: 2 },
      ],
    });
    expect((await start(b11, ['MOUNT'])).stderr).toMatch(
      /gives BP12 ARCH_DEST_ID 3, but BP12 runs with RAFT_SELF_ID 2/,
    );
    // the same RAFT_SELF_ID as a running peer
    raftConfig(bps, 0, {
      selfId: 2,
      dests: [
        { name: 'BP12', id: 1 },
        { name: 'BP13', id: 3 },
      ],
    });
    expect((await start(b11, ['MOUNT'])).stderr).toMatch(/runs with RAFT_SELF_ID 2/);
    // RAFT sections but a normal start (the bootstrap start is LOCAL-only)
    raftConfig(bps, 0);
    expect((await start(b11)).stderr).toMatch(/RAFT replica starts with dpc_mode=BP MOUNT.*003 7\.2\.6/);
    expect(running(b11)).toBe(false);
    // a RAFT archive on a single-replica group
    if (bpx) {
      ok(await start(bpx), 'BPX first start');
      await shutdown(bpx);
      raftConfig([bpx, b11], 0);
      expect((await start(bpx, ['MOUNT'])).stderr).toMatch(/has no other registered member/);
    }
    // the right configuration starts
    ok(await start(b11, ['MOUNT']), 'BP11 MOUNT');
    await waitRoles([b11, b12], ['PRIMARY/OPEN', 'STANDBY/OPEN']);
  });

  it('never elects with a replica of another permanent magic (003:L414), of the same DB magic (003:L435), or one that diverged (003:L778); such a node exits alone, with a HALT', async () => {
    const { h, bps } = await build72('B3');
    const [b11, b12, b13] = bps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
    await backupRestore(b11, [b12]);
    // BP13 is never restored: its own permanent magic, as a set of another group would give it
    ok(await start(b13), 'BP13 normal start');
    await shutdown(b13);
    for (let i = 0; i < 3; i++) raftConfig(bps, i);
    ok(await start(b13, ['MOUNT']), 'BP13 MOUNT');
    ok(await start(b11, ['MOUNT']), 'BP11 MOUNT');
    // BP11 has asked BP13 for its vote and refused it
    await until(
      () =>
        h
          .log()
          .some(
            (r) =>
              r.event === 'raft-refused' &&
              r.instance === 'BP11' &&
              /PERMANENT_MAGIC of BP13 differs.*003:L414/.test(String(r.reason)),
          ),
      'BP11 to refuse BP13',
    );
    await sleep(800);
    expect(await inst(b11)).toMatchObject({ STATUS$: 'MOUNT' }); // 2 up, but not compatible: no majority
    expect(await inst(b13)).toMatchObject({ STATUS$: 'MOUNT' });
    ok(await start(b12, ['MOUNT']), 'BP12 MOUNT');
    await waitRoles([b11, b12, b13], ['PRIMARY/OPEN', 'STANDBY/OPEN', 'NORMAL/MOUNT']);
    // SIGUSR1 on the invalid node: it exits alone, with a HALT (003:L602)
    process.kill(pidOf(b13), 'SIGUSR1');
    await gone(b13);
    expect(h.log().find((r) => r.event === 'halt' && r.instance === 'BP13')?.reason).toMatch(
      /invalid RAFT node.*003:L602/,
    );
    expect(running(b11) && running(b12)).toBe(true);
    // SHUTDOWN of one member is that member alone; the leader's leaving makes the rest re-elect
    await shutdown(b11);
    await sleep(600);
    expect(running(b12)).toBe(true);
    expect(await inst(b12)).toMatchObject({ STATUS$: 'OPEN' });
    await shutdown(b12);

    // the same DB magic (UPDATE DB_MAGIC forgotten: a copied control file)
    const c12 = ctl(b12);
    const c13 = ctl(b13);
    fs.writeFileSync(
      path.join(b13.dir, 'dm.ctl'),
      JSON.stringify({
        ...c13,
        permanentMagic: c12.permanentMagic,
        dbMagic: c12.dbMagic,
        lastShutdown: 'NORMAL',
      }),
    );
    const from = h.log().length;
    ok(await start(b12, ['MOUNT']), 'BP12 MOUNT');
    ok(await start(b13, ['MOUNT']), 'BP13 MOUNT');
    await until(
      () =>
        h
          .log()
          .slice(from)
          .some(
            (r) =>
              r.event === 'raft-refused' && /UPDATE DB_MAGIC was forgotten.*003:L435/.test(String(r.reason)),
          ),
      'the replicas to refuse each other',
    );
    await sleep(800);
    expect((await inst(b12)).STATUS$).toBe('MOUNT');
    expect((await inst(b13)).STATUS$).toBe('MOUNT');
  });

  it('a restored replica started without MOUNT before its RAFT start diverges, and its group will not take it (003:L778)', async () => {
    const { h, bps } = await build72('B4');
    const [b11, b12, b13] = bps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
    await backupRestore(b11, [b12, b13]);
    localOnly(b13);
    ok(await start(b13), 'BP13 started normally after its restore');
    expect(h.log().some((r) => r.event === 'dpc-diverged' && r.instance === 'BP13')).toBe(true);
    await shutdown(b13);
    expect(ctl(b13).dpc).toMatchObject({ diverged: true });
    for (let i = 0; i < 3; i++) raftConfig(bps, i);
    ok(await start(b11, ['MOUNT']), 'BP11');
    ok(await start(b13, ['MOUNT']), 'BP13');
    await sleep(800);
    expect((await inst(b11)).STATUS$).toBe('MOUNT');
    expect(h.log().some((r) => r.event === 'raft-refused' && /diverge/.test(String(r.reason)))).toBe(true);
    ok(await start(b12, ['MOUNT']), 'BP12');
    await waitRoles([b11, b12, b13], ['PRIMARY/OPEN', 'STANDBY/OPEN', 'NORMAL/MOUNT']);
  });
});

describe('7.3 MP multi-replica', { timeout: 120_000 }, () => {
  it('MP1 bootstraps and registers all, MP2/MP3 restored, three MOUNT starts elect; SP/BP find the leader through the sectioned mp.ini; the leader leaving is survived', async () => {
    const h: SimHost = lab.host('M1');
    const sp = plan(h, 'SP1', 'SP');
    const bp = plan(h, 'BP1', 'BP');
    const mps = ['MP1', 'MP2', 'MP3'].map((n) => plan(h, n, 'MP'));
    const [m1, m2, m3] = mps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
    const all = [sp, bp, ...mps];
    for (const n of all) await init(n);
    const mpPorts = lab.ports(3);
    mpIniMulti(
      all,
      mps.map((m, i) => ({ name: m.name, host: h.priv, port: mpPorts[i] ?? 0 })),
    );
    localOnly(m1);
    ok(await start(m1), 'MP1 normal start (003 7.3.3.3)');
    ok(
      await h.sql(m1.port, [
        ...mps.map(
          (m) =>
            `SP_CREATE_DPC_INSTANCE(NULL, '${m.name}', 'MP', ${m.ap}, ${m.port}, '${h.priv}','', 'STANDBY', 0, 'MP instance')`,
        ),
        `SP_CREATE_DPC_RAFT('BP', 'BPRAFT_1')`,
        `SP_CREATE_DPC_INSTANCE('BPRAFT_1', 'BP1', 'BP', ${bp.ap}, ${bp.port}, '${h.priv}', '','NORMAL', 1, 'BP instance')`,
        `SP_CREATE_DPC_BP_GROUP('BG_1', 'bp group1')`,
        `SP_BP_GROUP_ADD_RAFT('BG_1', 'BPRAFT_1')`,
        `SP_CREATE_DPC_RAFT('SP', 'SPRAFT_1')`,
        `SP_CREATE_DPC_INSTANCE('SPRAFT_1', 'SP1', 'SP', ${sp.ap}, ${sp.port}, '${h.priv}', '','NORMAL', 1, 'SP instance')`,
        // 003:L720-729
        `SP_CREATE_FAULT_DOMAIN ('FDOM_1', 'shanghai_1')`,
        `SP_CREATE_FAULT_DOMAIN ('FDOM_2', 'shanghai_2')`,
        `SP_CREATE_FAULT_DOMAIN ('FDOM_3', 'shanghai_3')`,
        `SP_FAULT_DOMAIN_MV_INST('FDOM_1', 'MP1')`,
        `SP_FAULT_DOMAIN_MV_INST('FDOM_1', 'BP1')`,
        `SP_FAULT_DOMAIN_MV_INST('FDOM_2', 'MP2')`,
        `SP_FAULT_DOMAIN_MV_INST('FDOM_3', 'MP3')`,
      ]),
      'register on MP1',
    );
    expect(
      await h.query(m1.port, "SELECT NAME, IP_EXTERNAL, INFO1 FROM DPC_INSTANCE WHERE DPC_MODE = 'MP'"),
    ).toEqual([
      { NAME: 'MP1', IP_EXTERNAL: h.priv, INFO1: 65536 },
      { NAME: 'MP2', IP_EXTERNAL: h.priv, INFO1: 131072 },
      { NAME: 'MP3', IP_EXTERNAL: h.priv, INFO1: 196608 },
    ]);
    await shutdown(m1);
    await backupRestore(m1, [m2, m3]);
    // the restored MPs carry MP1's catalogue
    expect((ctl(m2).dpc as { catalog: { insts: unknown[] } }).catalog.insts.length).toBe(5);
    for (let i = 0; i < 3; i++) raftConfig(mps, i);
    for (const m of mps) ok(await start(m, ['MOUNT']), `${m.name} MOUNT`);
    await waitRoles(mps, ['PRIMARY/OPEN', 'STANDBY/OPEN', 'STANDBY/OPEN']);
    // registration is the leader's alone
    expect(errOf(await h.sql(m2.port, [`SP_CREATE_DPC_RAFT('BP','BPRAFT_2')`]))).toMatch(
      /MP2 is not the OPEN MP leader of its MP RAFT group/,
    );
    ok(await start(sp), 'SP1');
    ok(await start(bp), 'BP1');
    expect(await h.query(sp.port, 'SELECT 1')).toEqual([{ '1': 1 }]);
    await until(async () => {
      const r = await h.query(
        m1.port,
        "SELECT NAME, SYS_MODE, STATUS FROM DPC_INSTANCE WHERE DPC_MODE = 'MP'",
      );
      return (
        r.map((x) => `${x.NAME}:${x.SYS_MODE}/${x.STATUS}`).join(',') ===
        'MP1:PRIMARY/1,MP2:STANDBY/1,MP3:STANDBY/1'
      );
    }, 'the MP catalogue to show the MP election');
    // the leader leaves: MP2 and MP3 re-elect, the SP and BP find the new leader and do not HALT
    const from = h.log().length;
    await shutdown(m1);
    await waitRoles([m2, m3], ['PRIMARY/OPEN', 'STANDBY/OPEN']);
    // longer than a dependant waits for its MP before it HALTs
    await sleep(graceMs() + 500);
    expect(running(sp) && running(bp)).toBe(true);
    expect(
      h
        .log()
        .slice(from)
        .filter((r) => r.event === 'halt'),
    ).toEqual([]);
    // 7.3.10: SP, BP, then the MP group
    await shutdown(sp);
    await shutdown(bp);
    process.kill(pidOf(m2), 'SIGUSR1');
    await gone(m2);
    await gone(m3);
    expect(
      h
        .log()
        .slice(from)
        .filter((r) => r.event === 'halt'),
    ).toEqual([]);
  });

  it('MP2 restored and started without MOUNT diverges and is never taken by the group (003:L778)', async () => {
    const h: SimHost = lab.host('M2');
    const mps = ['MP1', 'MP2', 'MP3'].map((n) => plan(h, n, 'MP'));
    const [m1, m2, m3] = mps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
    for (const n of mps) await init(n);
    const mpPorts = lab.ports(3);
    mpIniMulti(
      mps,
      mps.map((m, i) => ({ name: m.name, host: h.priv, port: mpPorts[i] ?? 0 })),
    );
    localOnly(m1);
    ok(await start(m1), 'MP1');
    ok(
      await h.sql(
        m1.port,
        mps.map(
          (m) =>
            `SP_CREATE_DPC_INSTANCE(NULL, '${m.name}', 'MP', ${m.ap}, ${m.port}, '${h.priv}','', 'STANDBY', 0, 'MP instance')`,
        ),
      ),
      'register',
    );
    await shutdown(m1);
    await backupRestore(m1, [m2, m3]);
    localOnly(m2);
    ok(await start(m2), 'MP2 without MOUNT');
    await shutdown(m2);
    expect(ctl(m2).dpc).toMatchObject({ diverged: true });
    for (let i = 0; i < 3; i++) raftConfig(mps, i);
    ok(await start(m2, ['MOUNT']), 'MP2');
    ok(await start(m3, ['MOUNT']), 'MP3');
    await sleep(800);
    expect((await inst(m3)).STATUS$).toBe('MOUNT');
    ok(await start(m1, ['MOUNT']), 'MP1');
    await waitRoles(mps, ['PRIMARY/OPEN', 'NORMAL/MOUNT', 'STANDBY/OPEN']);
  });
});

describe('7.5 shadow replicas', { timeout: 120_000 }, () => {
  it('BACKUP ... FULL SHADOW and RESTORE ... TO SHADOW make shadows; a shadow never leads, even with the lowest vote interval', async () => {
    const { h, bps } = await build72('S1');
    const [b11, b12, b13] = bps as [DpcNodePlan, DpcNodePlan, DpcNodePlan];
    // method 2 (003:L1084-1097) for BP12, method 1 (003:L1068-1081) for BP13
    await backupRestore(b11, [b12], { toShadow: ['BP12'] });
    await backupRestore(b11, [b13], { set: 'BACKUP_02', shadowBackup: true });
    expect(ctl(b12).dpc).toMatchObject({ shadow: true });
    expect(ctl(b13).dpc).toMatchObject({ shadow: true });
    expect(ctl(b11).dpc?.shadow).toBeUndefined();
    raftConfig(bps, 0, { vote: 2500 });
    raftConfig(bps, 1, { vote: 1000 });
    raftConfig(bps, 2, { vote: 1200 });
    for (const b of bps) ok(await start(b, ['MOUNT']), b.name);
    await waitRoles(bps, ['PRIMARY/OPEN', 'STANDBY/OPEN', 'STANDBY/OPEN']);
    // shadows only: no leader
    await shutdown(b11);
    await sleep(800);
    expect((await inst(b12)).MODE$).toBe('STANDBY');
    expect((await inst(b13)).MODE$).toBe('STANDBY');
    void h;
  });

  it('refuses SHADOW backups and TO SHADOW restores of a database that is not a DMDPC BP/MP (003 7.5.1)', async () => {
    const h = lab.host('S2');
    const base = path.join(h.dir, 'plain');
    const [port] = lab.ports(1) as [number];
    ok(await h.dminit(base, [`PORT_NUM=${port}`]), 'dminit');
    const ini = path.join(base, 'DAMENG', 'dm.ini');
    ok(await h.startServer(ini), 'start');
    await h.stopServer(ini);
    fs.writeFileSync(
      path.join(base, 'DAMENG', 'dmarch.ini'),
      `[ARCHIVE_LOCAL1]\nARCH_TYPE = LOCAL\nARCH_DEST = ${base}/arch\nARCH_FILE_SIZE = 128\nARCH_SPACE_LIMIT = 0\n`,
    );
    setDmIniValue(ini, 'ARCH_INI', '1');
    const r1 = await h.run('dmrman', [
      `CTLSTMT=BACKUP DATABASE '${ini}' FULL SHADOW TO B2 BACKUPSET '${base}/b2'`,
    ]);
    expect(r1.stderr).toMatch(/BACKUP \.\.\. SHADOW is for the RAFT primary.*003 7\.5\.1/);
    ok(
      await h.run('dmrman', [`CTLSTMT=BACKUP DATABASE '${ini}' FULL TO B1 BACKUPSET '${base}/b1'`]),
      'backup',
    );
    const other = path.join(h.dir, 'other');
    ok(await h.dminit(other, [`PORT_NUM=${lab.ports(1)[0]}`]), 'dminit other');
    const r2 = await h.run('dmrman', [
      `CTLSTMT=RESTORE DATABASE '${other}/DAMENG/dm.ini' TO SHADOW FROM BACKUPSET '${base}/b1'`,
    ]);
    expect(r2.stderr).toMatch(/TO SHADOW: backup set .* is not of a DMDPC BP or MP.*003 7\.5\.1/);
  });
});
