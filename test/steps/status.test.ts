/** The pure judgement of a cluster's live state (7.2.7, §4.4), for DMDSC and MPP groups. */
import { describe, expect, it } from 'vitest';
import { judge, loginCause, type DatabaseStatus } from '../../lib/steps/status';

const db = (over: Partial<DatabaseStatus>): DatabaseStatus => ({
  group: 'GRP1',
  database: 'X',
  instance: 'X',
  host: 'H',
  role: 'standby',
  reachable: true,
  status: 'OPEN',
  mode: 'STANDBY',
  oguid: 1000,
  archives: [{ type: 'LOCAL', dest: '/arch', status: 'VALID' }],
  watcher: 'OPEN',
  ...over,
});

const dsc = [
  db({ database: 'DSC01', instance: 'DSC01', host: 'P1', role: 'primary', mode: 'PRIMARY' }),
  db({ database: 'DSC01', instance: 'DSC02', host: 'P2', role: 'primary', mode: 'PRIMARY' }),
  db({ database: 'S1', instance: 'S1', host: 'S' }),
];

describe('judge', () => {
  it('counts a DMDSC database once: its two PRIMARY/OPEN nodes are one primary (§2.7)', () => {
    expect(judge({ cluster: 'c', groups: [{ name: 'GRP1', oguid: 1000, databases: dsc }] })).toEqual([]);
  });

  it('two primary databases in a group are a problem, however the nodes are counted', () => {
    const two = [...dsc, db({ database: 'S2', instance: 'S2', mode: 'PRIMARY' })];
    expect(judge({ cluster: 'c', groups: [{ name: 'GRP1', oguid: 1000, databases: two }] })).toContain(
      'GRP1: 2 PRIMARY/OPEN databases, want exactly 1',
    );
  });

  it('MPP: every dmmpp.ctl must be there and identical (7.4.3.4)', () => {
    const groups = [{ name: 'GRP1', oguid: 1000, databases: dsc }];
    const f = (host: string, sha256?: string) => ({
      host,
      path: '/d/dmmpp.ctl',
      ...(sha256 ? { sha256 } : {}),
    });
    expect(judge({ cluster: 'c', groups, mppCtl: [f('A', 'aa'), f('B', 'aa')] })).toEqual([]);
    expect(judge({ cluster: 'c', groups, mppCtl: [f('A', 'aa'), f('B', 'bb')] })).toEqual([
      'dmmpp.ctl differs between primaries: A:/d/dmmpp.ctl aa, B:/d/dmmpp.ctl bb',
    ]);
    expect(judge({ cluster: 'c', groups, mppCtl: [f('A', 'aa'), f('B')] })).toEqual([
      'B: /d/dmmpp.ctl is missing',
    ]);
  });

  it("MPP: a switchover rewrites the primaries' dmmpp.ctl only (§6.5 step 9): a standby's older one is no problem", () => {
    const g = (p1: string) => [
      {
        name: 'GRP1',
        oguid: 1000,
        databases: [
          db({ database: 'EP01', instance: 'EP01', mode: p1 === 'EP01' ? 'PRIMARY' : 'STANDBY' }),
          db({ database: 'EP11', instance: 'EP11', mode: p1 === 'EP11' ? 'PRIMARY' : 'STANDBY' }),
        ],
      },
      {
        name: 'GRP2',
        oguid: 1000,
        databases: [db({ group: 'GRP2', database: 'EP02', instance: 'EP02', mode: 'PRIMARY' })],
      },
    ];
    const f = (instance: string, sha256: string) => ({
      instance,
      host: instance,
      path: '/d/dmmpp.ctl',
      sha256,
    });
    const after = [f('EP01', 'old'), f('EP11', 'new'), f('EP02', 'new')];
    expect(judge({ cluster: 'c', groups: g('EP11'), mppCtl: after })).toEqual([]);
    // the same files with EP01 the primary: two primaries hold different files
    expect(judge({ cluster: 'c', groups: g('EP01'), mppCtl: after })).toEqual([
      'dmmpp.ctl differs between primaries: EP01:/d/dmmpp.ctl old, EP02:/d/dmmpp.ctl new',
    ]);
  });

  it('says why a database did not answer: a refused login is not a host that is down', () => {
    const groups = (d: DatabaseStatus) => [{ name: 'GRP1', oguid: 1000, databases: [...dsc, d] }];
    const down = db({
      instance: 'S2',
      host: 'S2',
      reachable: false,
      unreachable: loginCause('[-2501]:用户名或密码错误'),
    });
    expect(judge({ cluster: 'c', groups: groups(down) })).toContain(
      'GRP1.S2 on S2: login failed (check the SYSDBA password): [-2501]:用户名或密码错误',
    );
    expect(loginCause('[-70028]:创建SOCKET连接失败')).toBe('does not answer: [-70028]:创建SOCKET连接失败');
    const unknown = db({ instance: 'S2', host: 'S2', reachable: false });
    expect(judge({ cluster: 'c', groups: groups(unknown) })).toContain('GRP1.S2 on S2: does not answer');
  });

  it("holds the running archives to the spec's: one missing or one left over is a problem", () => {
    const want = [
      { type: 'LOCAL', dest: '/arch' },
      { type: 'REALTIME', dest: 'S1' },
    ];
    const live = (...dests: string[]) => [
      { type: 'LOCAL', dest: '/arch', status: 'VALID' },
      ...dests.map((d) => ({ type: 'REALTIME', dest: d, status: 'VALID' })),
    ];
    const primary = (archives: DatabaseStatus['archives']) =>
      db({ database: 'P', instance: 'P', role: 'primary', mode: 'PRIMARY', archives, wantArchives: want });
    const groups = (p: DatabaseStatus) => [{ name: 'GRP1', oguid: 1000, databases: [p] }];
    expect(judge({ cluster: 'c', groups: groups(primary(live('S1'))) })).toEqual([]);
    // an added standby the running primary does not send to (ADD ARCHIVELOG never ran)
    expect(judge({ cluster: 'c', groups: groups(primary(live())) })).toEqual([
      'GRP1.P on H: archive REALTIME S1 is in the spec but not on the running server',
    ]);
    // a removed standby the running primary still sends to
    expect(judge({ cluster: 'c', groups: groups(primary(live('S1', 'S2'))) })).toEqual([
      'GRP1.P on H: archive REALTIME S2 runs on the server but is not in the spec',
    ]);
  });

  it('a member running without files written after its start waits for a restart: a problem', () => {
    const p = db({ database: 'P', instance: 'P', role: 'primary', mode: 'PRIMARY' });
    const waits = db({ waitsForRestart: ['/dm/data/DAMENG/dm.ini'] });
    expect(judge({ cluster: 'c', groups: [{ name: 'GRP1', oguid: 1000, databases: [p, waits] }] })).toEqual([
      'GRP1.X on H: runs without /dm/data/DAMENG/dm.ini as written after it started; it waits for a restart',
    ]);
  });

  it('a confirm monitor whose process is not running is a problem, even when a copy answers show', () => {
    const groups = [{ name: 'GRP1', oguid: 1000, databases: dsc }];
    const monitor = { host: 'M', answered: true, groups: [] };
    const seen = judge({ cluster: 'c', groups, monitor: { ...monitor, running: false } });
    expect(seen).toContain('monitor on M: the confirm monitor is not running (start it: apply again)');
    expect(
      judge({ cluster: 'c', groups, monitor: { ...monitor, running: true } }).filter((p) =>
        p.startsWith('monitor'),
      ),
    ).toEqual([]);
  });
});
