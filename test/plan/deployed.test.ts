// The record of a deployed cluster and how an edited spec's plan differs from it, in the manual's
// terms (lib/families/data-guard/plan/deployed.ts): what preflight refuses before any host is touched.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  deployedRecord,
  formatChange,
  iniDiff,
  judgeLiveChanges,
  liveChanges,
  recordDigest,
  type LiveChange,
} from '../../lib/families/data-guard/plan/deployed';
import { planCluster } from '../../lib/plan';
import { parseIni } from '../../lib/render/ini';
import type { ClusterSpec } from '../../lib/spec/schema';
import { validateSpec } from '../../lib/validate';
import { realtimePair } from '../support/specs';

type Pair = ReturnType<typeof realtimePair>;
type Member = { name: string; host: string; path?: string; port?: number };
const standby = (s: Pair) => s.standbys[0] as Member;

function example(file: string, edit: (s: Pair) => void = () => undefined): ClusterSpec {
  const spec = parse(readFileSync(path.join(__dirname, '../../examples', file), 'utf8')) as Pair;
  edit(spec);
  return spec as ClusterSpec;
}
function planOf(spec: ClusterSpec) {
  const v = validateSpec(spec);
  if (!v.model) throw new Error(JSON.stringify(v.findings));
  return planCluster(v.model);
}
const recordOf = (spec: ClusterSpec) => deployedRecord(planOf(spec));

function record(edit: (s: Pair) => void = () => undefined) {
  const spec = realtimePair();
  edit(spec);
  const v = validateSpec(spec as ClusterSpec);
  if (!v.model) throw new Error(JSON.stringify(v.findings));
  return deployedRecord(planCluster(v.model));
}

/** A third standby on M, with its own ports. */
const third = (s: Pair, extra: Record<string, unknown> = {}) => ({
  ...s.standbys[0]!,
  name: 'GRP1_RT_03',
  host: 'M',
  port: 32143,
  malPort: 61143,
  malDwPort: 52143,
  instDwPort: 33143,
  ...extra,
});

const kinds = (cs: readonly LiveChange[]) => cs.map((c) => (c.kind === 'unsafe' ? c.code : c.kind));

describe('the deployed record', () => {
  it('names every member with its host, port and dm.ini, and every file the steps write; no secret', () => {
    const r = record();
    expect(r.instances.map((i) => [i.instance, i.role, i.host])).toEqual([
      ['GRP1_RT_01', 'primary', 'P'],
      ['GRP1_RT_02', 'standby', 'S'],
    ]);
    expect(r.instances.every((i) => i.iniPath.endsWith('/dm.ini'))).toBe(true);
    expect(r.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['/dm/data/DAMENG/dmwatcher.ini', '/dm/data/DAMENG/dmmal.ini']),
    );
    // members, files and addresses only: a plan holds no secret, and the record takes nothing else
    expect(Object.keys(r).sort()).toEqual(['cluster', 'files', 'hosts', 'instances']);
    expect(recordDigest(record())).toBe(recordDigest(r));
  });

  it('an unchanged spec, or one changed only in what the cluster is not (secrets, ssh), has no change', () => {
    expect(liveChanges(record(), record())).toEqual([]);
    expect(
      liveChanges(
        record(),
        record((s) => (s.ssh = { ...s.ssh, user: 'dmdba' })),
      ),
    ).toEqual([]);
  });
});

describe('changes against a deployed cluster', () => {
  const before = record();

  it('refuses an OGUID change, and says nothing of the files it rewrites', () => {
    const changes = liveChanges(
      before,
      record((s) => (s.oguid = s.oguid + 1)),
    );
    expect(kinds(changes)).toContain('LIVE_OGUID_CHANGED');
    const { refused, allowed } = judgeLiveChanges(changes, new Set(['GRP1_RT_01', 'GRP1_RT_02']));
    expect(refused.map((r) => r.code)).toEqual(['LIVE_OGUID_CHANGED']);
    expect(allowed).toEqual([]);
  });

  it('refuses a database moved to another path or host, a new port, a role swapped', () => {
    expect(
      kinds(
        liveChanges(
          before,
          record((s) => (standby(s).path = '/dm/data2')),
        ),
      ),
    ).toContain('LIVE_DATABASE_MOVED');
    expect(
      kinds(
        liveChanges(
          before,
          record((s) => (standby(s).host = 'M')),
        ),
      ),
    ).toContain('LIVE_DATABASE_MOVED');
    expect(
      kinds(
        liveChanges(
          before,
          record((s) => (standby(s).port = 5999)),
        ),
      ),
    ).toContain('LIVE_PORT_CHANGED');
    // roles are held against the running databases (V$INSTANCE), not the record: a switchover
    // makes the record's stale (lib/steps/deployed.ts liveRoleChanges)
    const swapped = record((s) => {
      const p = s.primary;
      s.primary = standby(s);
      s.standbys = [p];
    });
    expect(kinds(liveChanges(before, swapped))).not.toContain('LIVE_ROLE_CHANGED');
    // a host reached at another address may be another machine
    const moved = record((s) => (s.hosts.S = { ...s.hosts.S!, address: '198.18.1.99' }));
    expect(kinds(liveChanges(before, moved))).toContain('LIVE_HOST_MOVED');
  });

  it('a monitor moved or removed is refused: a second confirm monitor exits with an error, a removed one would run on', () => {
    const moved = judgeLiveChanges(
      liveChanges(
        before,
        record((s) => (s.monitor = { ...s.monitor, path: '/dm/mon2' })),
      ),
      new Set(),
    );
    expect(moved.refused.map((r) => `${r.code} ${r.field}`)).toEqual([
      'LIVE_FILE_SET_CHANGED monitor@M: /dm/mon2/dmmonitor.ini',
      'LIVE_FILE_SET_CHANGED monitor@M: /dm/data/dmmonitor.ini',
    ]);
    const gone = judgeLiveChanges(
      liveChanges(
        before,
        record((s) => delete (s as { monitor?: unknown }).monitor),
      ),
      new Set(),
    );
    expect(gone.refused.map((r) => r.code)).toContain('LIVE_FILE_SET_CHANGED');
  });

  it("a realtime standby added joins online (7.10): the others' MAL and archive lists change with it", () => {
    const grown = record((s) => s.standbys.push(third(s)));
    const changes = liveChanges(before, grown);
    const joined = changes.flatMap((c) => (c.kind === 'file' && c.joinedBy ? [`${c.owner} ${c.path}`] : []));
    expect(joined.sort()).toEqual([
      'GRP1_RT_01 /dm/data/DAMENG/dmarch.ini',
      'GRP1_RT_01 /dm/data/DAMENG/dmmal.ini',
      'GRP1_RT_02 /dm/data/DAMENG/dmarch.ini',
      'GRP1_RT_02 /dm/data/DAMENG/dmmal.ini',
    ]);
    const running = new Set(['GRP1_RT_01', 'GRP1_RT_02', 'monitor@M']);
    const online = judgeLiveChanges(changes, running, new Set(['GRP1_RT_03']));
    expect(online.refused).toEqual([]);
    expect(online.allowed.map(formatChange)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^standby GRP1_RT_03 on M joins group GRP1 online \(7\.9-7\.10\)/),
        expect.stringMatching(
          /dmmal\.ini on P \(GRP1_RT_01\): .*MAL_INST_NAME = GRP1_RT_03.*SF_MAL_INST_ADD/,
        ),
      ]),
    );
    // a dm.ini setting changed with it is judged on its own: refused while the server runs
    const more = liveChanges(
      before,
      record((s) => {
        s.standbys.push({ ...s.standbys[0]!, name: 'GRP1_RT_03', host: 'M', port: 32143 });
        (s as { dmIni?: Record<string, number> }).dmIni = { RLOG_SEND_APPLY_MON: 128 };
      }),
    );
    const mixed = judgeLiveChanges(more, running, new Set(['GRP1_RT_03']));
    expect(mixed.refused.map((r) => r.code)).toContain('LIVE_RESTART_NEEDED');
  });

  it('a standby marked removed leaves through its leave step; the others lose its destination, keep its MAL entry', () => {
    const three = (removed: boolean) =>
      planOf(
        (() => {
          const s = realtimePair();
          s.standbys.push(third(s, removed ? { removed: true } : {}));
          return s as ClusterSpec;
        })(),
      );
    const after = three(true);
    const leave = after.steps.find((x) => x.id === 'GRP1_RT_03/leave');
    expect(leave?.params).toMatchObject({ kind: 'leave', group: 'GRP1', instance: 'GRP1_RT_03' });
    // detached and stopped (§6.18) from a monitoring-mode dmmonitor.ini the plan renders, which
    // still names its watcher at MAL_HOST:MAL_DW_PORT; the monitor's own no longer does
    const ini = leave?.params.kind === 'leave' ? (leave.params.monitoringIni ?? '') : '';
    expect(parseIni(ini).globals).toContainEqual(['MON_DW_CONFIRM', '0']);
    expect(parseIni(ini).sections.find((x) => x.name === 'GRP1')?.entries).toEqual([
      ['MON_INST_OGUID', '7001'],
      ['MON_DW_IP', '198.18.0.11:5253'],
      ['MON_DW_IP', '198.18.0.12:5253'],
      ['MON_DW_IP', '198.18.0.13:52143'],
    ]);
    const monitor = after.steps.find((x) => x.params.kind === 'monitor')?.params;
    expect(monitor?.kind === 'monitor' && monitor.files[0]?.content).not.toMatch(/198\.18\.0\.13/);
    // none of its own steps stay: only the leave carries it
    expect(after.steps.filter((x) => x.id.startsWith('GRP1_RT_03/')).map((x) => x.id)).toEqual([
      'GRP1_RT_03/leave',
    ]);
    const changes = liveChanges(deployedRecord(three(false)), deployedRecord(after));
    expect(
      changes.filter((c) => c.kind === 'remove').map((c) => (c.kind === 'remove' ? c.instance : '')),
    ).toEqual(['GRP1_RT_03']);
    const files = changes.flatMap((c) =>
      c.kind === 'file' ? [`${c.owner} ${c.path} ${String(!!c.joinedBy)}`] : [],
    );
    // dmarch.ini loses the destination (changed online by the leave); dmmal.ini does not change
    expect(files.filter((f) => /dmarch|dmmal/.test(f)).sort()).toEqual([
      'GRP1_RT_01 /dm/data/DAMENG/dmarch.ini true',
      'GRP1_RT_02 /dm/data/DAMENG/dmarch.ini true',
    ]);
    const running = new Set(['GRP1_RT_01', 'GRP1_RT_02', 'GRP1_RT_03', 'monitor@M']);
    const judged = judgeLiveChanges(changes, running, new Set(['GRP1_RT_03']));
    expect(judged.refused).toEqual([]);
    expect(judged.allowed.map(formatChange)[0]).toMatch(/GRP1_RT_03 on M leaves group GRP1, marked removed/);
    // deleted from the spec instead: nothing would carry it
    const gone = judgeLiveChanges(liveChanges(deployedRecord(three(false)), before), running);
    expect(gone.refused.map((r) => `${r.code} ${r.fix}`)).toEqual([
      expect.stringMatching(/^LIVE_REMOVE_MEMBER put GRP1_RT_03 back in the spec with removed: true/),
    ]);
  });

  it('a standby added or removed is one change, refused, without its consequences in other files', () => {
    const grown = record((s) => s.standbys.push(third(s)));
    const add = judgeLiveChanges(liveChanges(before, grown), new Set(['GRP1_RT_01', 'GRP1_RT_02']));
    expect(add.refused.map((r) => r.code)).toEqual(['LIVE_ADD_MEMBER']);
    expect(add.refused[0]?.what).toMatch(
      /^standby GRP1_RT_03 on M joins group GRP1: dmdeploy adds online a single-instance realtime or timely standby/,
    );
    // a second instance on S moves GRP1_RT_02's default path to <dmHome>/data/<name>: refused as a move
    const crowded = record((s) => s.standbys.push({ ...standby(s), name: 'GRP1_RT_03', port: 32143 }));
    expect(
      liveChanges(before, crowded)
        .filter((c) => c.kind === 'unsafe')
        .map((c) => `${c.code} ${c.field}`),
    ).toEqual(['LIVE_DATABASE_MOVED GRP1_RT_02: host or path']);
    const remove = judgeLiveChanges(liveChanges(grown, before), new Set());
    expect(remove.refused.map((r) => r.code)).toEqual(['LIVE_REMOVE_MEMBER']);
  });

  it('an async standby joins only with restarts: rolling (7.6.2): MAL online, its archive destinations and timer by the restart', () => {
    const pair = recordOf(
      example('7.6-async-cascade.yaml', (s) => ((s as { asyncStandbys: unknown[] }).asyncStandbys = [])),
    );
    const withAsync = (restarts?: string) =>
      planOf(
        example('7.6-async-cascade.yaml', (s) => {
          (s as { asyncStandbys: unknown[] }).asyncStandbys.splice(1);
          if (restarts) (s as { restarts?: string }).restarts = restarts;
        }),
      );
    // restarts: refuse: no join step, so preflight refuses it, and says how it can be done
    const refusing = withAsync();
    expect(refusing.steps.some((x) => x.id === 'GRP1_LOCAL_01/join')).toBe(false);
    const running = new Set(['GRP1_RT_01', 'GRP1_RT_02', 'monitor@DW_M']);
    const no = judgeLiveChanges(liveChanges(pair, deployedRecord(refusing)), running);
    expect(no.refused.map((r) => r.code)).toEqual(['LIVE_ADD_MEMBER']);
    expect(no.refused[0]?.fix).toMatch(/set restarts: rolling/);
    // restarts: rolling: a join that adds no archive destination online, before the restart step
    const plan = withAsync('rolling');
    const join = plan.steps.find((x) => x.id === 'GRP1_LOCAL_01/join');
    expect(join?.params).toMatchObject({ kind: 'join', join: { group: 'GRP1', restart: true } });
    expect(plan.steps.find((x) => x.id === 'GRP1/restart')?.after).toContain('GRP1_LOCAL_01/join');
    const changes = liveChanges(pair, deployedRecord(plan)).map((c) =>
      c.kind === 'file' && c.settings ? { ...c, staticParams: ['TIMER_INI (TYPE IN FILE)'] } : c,
    );
    const members = new Set(['GRP1_RT_01', 'GRP1_RT_02', 'GRP1_LOCAL_01']);
    const yes = judgeLiveChanges(
      changes,
      running,
      new Set(['GRP1_LOCAL_01']),
      members,
      new Set(['GRP1_LOCAL_01']),
    );
    expect(yes.refused).toEqual([]);
    const said = yes.allowed.map(formatChange);
    expect(said).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^async GRP1_LOCAL_01 on DW_S2 joins group GRP1 \(7\.6-7\.7, restarts: rolling\)/,
        ),
        expect.stringMatching(/dmmal\.ini on DW_P \(GRP1_RT_01\): .*SF_MAL_INST_ADD/),
        expect.stringMatching(
          /dmarch\.ini on DW_P \(GRP1_RT_01\): .*ARCH_TYPE = ASYNC.*then GRP1_RT_01 is restarted/,
        ),
        expect.stringMatching(/dmarch\.ini on DW_S1 \(GRP1_RT_02\): .*then GRP1_RT_02 is restarted/),
        expect.stringMatching(
          /dmtimer\.ini on DW_P \(GRP1_RT_01\): a new file; then GRP1_RT_01 is restarted/,
        ),
        expect.stringMatching(
          /dm\.ini on DW_P \(GRP1_RT_01\): TIMER_INI = 1 \(new\); then GRP1_RT_01 is restarted/,
        ),
      ]),
    );
    // a sync standby (7.7.2) the same way: no archive destination added online
    const sync = planOf(
      example('7.7-sync-standby.yaml', (s) => ((s as { restarts?: string }).restarts = 'rolling')),
    );
    expect(sync.steps.find((x) => x.id === 'GRP1_SYNC_01/join')?.params).toMatchObject({
      join: { restart: true },
    });
    // a member the restart step does not restart: its archive destination is refused
    const notRolled = judgeLiveChanges(
      changes,
      running,
      new Set(['GRP1_LOCAL_01']),
      new Set(),
      new Set(['GRP1_LOCAL_01']),
    );
    expect(notRolled.refused.map((r) => r.code)).toContain('LIVE_RESTART_NEEDED');
  });

  it('a standby added to a DscPrimary joins through every node; the group has no rolling restart', () => {
    const grown = planOf(
      example('7.5-dsc-primary.yaml', (s) =>
        s.standbys.push({ ...standby(s), name: 'GRP1_RT_02', path: '/dm/data/EP02', port: 9345 } as never),
      ),
    );
    const join = grown.steps.find((x) => x.id === 'GRP1_RT_02/join');
    expect(join?.params).toMatchObject({ kind: 'join', join: { group: 'GRP1', instances: ['GRP1_RT_02'] } });
    expect(join?.params.kind === 'join' && join.params.join.restart).toBeFalsy();
    // no rolling restart or leave for a group with a DMDSC database
    expect(grown.steps.some((x) => x.params.kind === 'restart')).toBe(false);
  });

  it('a DMDSC standby joins a group without another DMDSC database (7.11): every node in its MAL entries', () => {
    const grown = planOf(
      example('7.2-realtime-pair.yaml', (s) =>
        s.standbys.push({
          nodes: [1, 2].map((n) => ({
            name: `GRP1_RT_DSC0${n}`,
            host: 'DW_S1',
            iniPath: `/dm/data/DSC/DSC0${n}/dm.ini`,
            dcrIni: `/dm/data/DSC/conf/dmdcr${n}.ini`,
            archiveDir: `+DMDATA/DSC/DSC0${n}/arch`,
            port: 31430 + n,
            malPort: 8337 + n,
            malDwPort: 3566 + n,
            instDwPort: 4566 + n,
          })),
          // its dmdcr.ini (dmcss's file) comes with it (7.11.2.5)
          dmcssAutoRestart: { interval: 5 },
        } as never),
      ),
    );
    expect(grown.steps.find((x) => x.id === 'GRP1_RT_DSC01/join')?.params).toMatchObject({
      kind: 'join',
      join: { group: 'GRP1', instances: ['GRP1_RT_DSC01', 'GRP1_RT_DSC02'] },
    });
    const restore = grown.steps.find((x) => x.id === 'GRP1_RT_DSC01/restore');
    expect(restore?.params).toMatchObject({
      dcrIni: '/dm/data/DSC/conf/dmdcr1.ini',
      join: { group: 'GRP1' },
    });
    // the running members' judge: both nodes join with the step
    const before = recordOf(example('7.2-realtime-pair.yaml'));
    // 7.11.1 item 2: the DMDSC cluster's dmcss runs before it joins
    const running = new Set(['GRP1_RT_01', 'GRP1_RT_02', 'monitor@DW_M', 'dmdcr@DW_S1']);
    const judged = judgeLiveChanges(
      liveChanges(before, deployedRecord(grown)),
      running,
      new Set(['GRP1_RT_DSC01', 'GRP1_RT_DSC02']),
    );
    expect(judged.refused).toEqual([]);
  });

  it('a standby added to one group of an MppGroup joins it; every group takes its MAL entry (7.4.3.2)', () => {
    const spec = example('7.4-mpp-group.yaml') as unknown as {
      groups: { standbys: Record<string, unknown>[] }[];
      hosts: Record<string, unknown>;
    };
    const g1 = spec.groups[0];
    if (!g1) throw new Error('no group');
    spec.hosts.D = { address: '192.168.0.145' };
    g1.standbys.push({ ...g1.standbys[0], name: 'GRP1_MPP_EP12', host: 'D', path: '/dm/data/EP12' });
    const plan = planOf(spec as unknown as ClusterSpec);
    expect(plan.steps.find((x) => x.id === 'GRP1_MPP_EP12/join')?.params).toMatchObject({
      kind: 'join',
      join: { group: 'GRP1', instances: ['GRP1_MPP_EP12'] },
      malGroups: ['GRP1', 'GRP2'],
    });
    // the new standby reads the one dmmpp.ctl, copied to it after it is restored
    const ctl = plan.steps.find((x) => x.params.kind === 'mpp-ctl');
    expect(ctl?.params.kind === 'mpp-ctl' && ctl.params.targets.map((t) => t.host)).toContain('D');
    expect(plan.steps.find((x) => x.id === 'GRP1_MPP_EP12/mount')?.after).toContain(ctl?.id);
    // two joins in two groups share the hosts' watchers and the one MAL: one after the other
    const g2 = spec.groups[1];
    if (!g2) throw new Error('no group 2');
    g2.standbys.push({ ...g2.standbys[0], name: 'GRP2_MPP_EP23', host: 'D', path: '/dm/data/EP23' });
    const two = planOf(spec as unknown as ClusterSpec);
    const after = (id: string) => two.steps.find((x) => x.id === id)?.after ?? [];
    expect(after('GRP2_MPP_EP22/join')).toContain('GRP1_MPP_EP12/join');
    expect(after('GRP2_MPP_EP23/join')).toContain('GRP2_MPP_EP22/join');
  });

  it('a watcher setting `set group` changes is online (§4.4 item 34); another file is refused while its owner runs', () => {
    const dw = liveChanges(
      before,
      record((s) => (s.watcher = { ...s.watcher, dwErrorTime: 20 })),
    );
    expect(dw.map((c) => (c.kind === 'file' ? `${c.owner} ${c.path}: ${c.what}` : c.kind))).toEqual([
      'GRP1_RT_01 /dm/data/DAMENG/dmwatcher.ini: [GRP1] DW_ERROR_TIME 10 -> 20',
      'GRP1_RT_02 /dm/data/DAMENG/dmwatcher.ini: [GRP1] DW_ERROR_TIME 10 -> 20',
    ]);
    const online = judgeLiveChanges(dw, new Set(['GRP1_RT_01', 'GRP1_RT_02']));
    expect(online.refused).toEqual([]);
    expect(online.allowed.map(formatChange)).toEqual([
      expect.stringMatching(/^set group GRP1 DW_ERROR_TIME 20 through the monitor \(§4\.4 item 34\)/),
      expect.stringMatching(/^set group GRP1 DW_ERROR_TIME 20 through the monitor/),
    ]);
    // DW_MODE is not among what set group changes: the file would change under a running watcher
    const mode = liveChanges(
      before,
      record((s) => (s.watcher = { ...s.watcher, mode: 'MANUAL' })),
    );
    const live = judgeLiveChanges(
      mode.filter((c) => c.kind === 'file' && c.path.endsWith('dmwatcher.ini')),
      new Set(['GRP1_RT_01']),
    );
    expect(live.refused.map((r) => `${r.code} ${r.field}`)).toEqual([
      'LIVE_RESTART_NEEDED GRP1_RT_01: /dm/data/DAMENG/dmwatcher.ini',
    ]);
    expect(live.allowed.map((c) => (c.kind === 'file' ? c.owner : ''))).toEqual(['GRP1_RT_02']);
  });

  it('a dm.ini setting is online when the live servers call it dynamic (V$PARAMETER TYPE), else refused', () => {
    const changes = liveChanges(
      before,
      record((s) => ((s as { dmIni?: Record<string, number> }).dmIni = { SESS_FREE_IN_SUSPEND: 120 })),
    );
    const files = changes.filter((c) => c.kind === 'file');
    expect(files.map((c) => (c.kind === 'file' ? [c.owner, c.settings] : []))).toEqual([
      ['GRP1_RT_01', [['SESS_FREE_IN_SUSPEND', '120']]],
      ['GRP1_RT_02', [['SESS_FREE_IN_SUSPEND', '120']]],
    ]);
    const running = new Set(['GRP1_RT_01', 'GRP1_RT_02']);
    // as preflight classifies them against the running servers
    const dynamic = files.map((c) => ({ ...c, dynamic: true }));
    const online = judgeLiveChanges(dynamic, running);
    expect(online.refused).toEqual([]);
    expect(online.allowed.map(formatChange)[0]).toMatch(
      /^SP_SET_PARA_VALUE\(1, 'SESS_FREE_IN_SUSPEND', 120\) on GRP1_RT_01 \(P\): dynamic, it takes effect now/,
    );
    const stat = files.map((c) => ({ ...c, staticParams: ['SESS_FREE_IN_SUSPEND (TYPE IN FILE)'] }));
    const refused = judgeLiveChanges(stat, running);
    expect(refused.refused.map((r) => r.code)).toEqual(['LIVE_RESTART_NEEDED', 'LIVE_RESTART_NEEDED']);
    expect(refused.refused[0]?.what).toContain('not dynamic: SESS_FREE_IN_SUSPEND (TYPE IN FILE)');
  });

  it('restarts: rolling takes a static dm.ini setting of a group that has a restart step; not dmmal.ini', () => {
    const spec = (edit: (s: Pair) => void) => {
      const s = realtimePair();
      edit(s);
      return planOf(s as ClusterSpec);
    };
    const plan = spec((s) => {
      (s as { restarts?: string }).restarts = 'rolling';
      (s as { dmIni?: Record<string, number> }).dmIni = { RLOG_SEND_APPLY_MON: 128 };
    });
    const restart = plan.steps.find((x) => x.id === 'GRP1/restart');
    expect(restart?.params).toMatchObject({ kind: 'restart', group: 'GRP1', rolling: true });
    // after every config step of the group, before any watcher
    expect(restart?.after).toEqual(expect.arrayContaining(['GRP1_RT_01/config', 'GRP1_RT_02/config']));
    const watcher = plan.steps.find((x) => x.params.kind === 'watcher');
    expect(watcher?.after).toContain('GRP1/restart');
    const changes = liveChanges(before, deployedRecord(plan)).map((c) =>
      c.kind === 'file' ? { ...c, staticParams: ['RLOG_SEND_APPLY_MON (TYPE IN FILE)'] } : c,
    );
    const running = new Set(['GRP1_RT_01', 'GRP1_RT_02']);
    const rolling = judgeLiveChanges(changes, running, new Set(), new Set(['GRP1_RT_01', 'GRP1_RT_02']));
    expect(rolling.refused).toEqual([]);
    expect(rolling.allowed.map(formatChange)[0]).toMatch(
      /RLOG_SEND_APPLY_MON 64 -> 128; then GRP1_RT_01 is restarted to read it, the standbys first and the primary last/,
    );
    expect(judgeLiveChanges(changes, running).refused[0]?.fix).toMatch(/set restarts: rolling/);
    // every member's dmmal.ini changes alike: restarting one at a time would leave them unlike
    const mal = liveChanges(
      before,
      record((s) => (s.mal = { ...s.mal, checkInterval: 7 })),
    );
    const malJudged = judgeLiveChanges(mal, running, new Set(), new Set(['GRP1_RT_01', 'GRP1_RT_02']));
    expect(malJudged.refused.map((r) => r.code)).toContain('LIVE_RESTART_NEEDED');
  });

  it('a dm.ini setting dropped from the spec changes nothing: dm.ini keeps it, and nothing is refused or restarted', () => {
    const withIt = record(
      (s) => ((s as { dmIni?: Record<string, number> }).dmIni = { SESS_FREE_IN_SUSPEND: 120 }),
    );
    const changes = liveChanges(withIt, before);
    expect(changes.map((c) => (c.kind === 'file' ? [c.owner, c.keeps, c.settings] : c.kind))).toEqual([
      ['GRP1_RT_01', true, undefined],
      ['GRP1_RT_02', true, undefined],
    ]);
    const judged = judgeLiveChanges(changes, new Set(['GRP1_RT_01', 'GRP1_RT_02']));
    expect(judged.refused).toEqual([]);
    expect(judged.allowed.map(formatChange)[0]).toMatch(/SESS_FREE_IN_SUSPEND \(removed\); nothing changes/);
  });

  it('iniDiff names keys changed, added and removed', () => {
    expect(iniDiff('[G]\nA = 1\nB = 2\n', '[G]\nA = 3\nC = 4\n')).toBe(
      '[G] A 1 -> 3, [G] C = 4 (new), [G] B (removed)',
    );
    expect(iniDiff('A=1\n', 'A = 1\n')).toBe('formatting only');
  });

  it('a monitor setting is an online change: the monitor step restarts the confirm monitor (7.10.5-7.10.6)', () => {
    const changes = liveChanges(
      before,
      record((s) => (s.monitor = { ...s.monitor, logInterval: 30 })),
    );
    const { refused, allowed } = judgeLiveChanges(changes, new Set(['monitor@M']));
    expect(refused).toEqual([]);
    expect(allowed.map(formatChange)).toEqual([
      expect.stringMatching(
        /^rewrite \S+dmmonitor\.ini on M: MON_LOG_INTERVAL 60 -> 30; the monitor step restarts/,
      ),
    ]);
  });

  it('a multi-instance monitor is not restarted for a new setting (7.2.7): refused while it runs', () => {
    const multi = (logInterval: number) =>
      recordOf(example('7.2-multi-monitor.yaml', (s) => (s.monitor = { ...s.monitor, logInterval })));
    const changes = liveChanges(multi(60), multi(30));
    expect(changes.length).toBe(3);
    const { refused, allowed } = judgeLiveChanges(
      changes,
      new Set(['monitor@MON1', 'monitor@MON2', 'monitor@MON3']),
    );
    expect(allowed).toEqual([]);
    expect(refused.map((r) => `${r.code} ${r.field.split(':')[0] ?? ''}`)).toEqual([
      'LIVE_RESTART_NEEDED monitor@MON1',
      'LIVE_RESTART_NEEDED monitor@MON2',
      'LIVE_RESTART_NEEDED monitor@MON3',
    ]);
    // and the plan says its online log files are not initialised first (docs/manual-deviations.md S1)
    const plan = planOf(example('7.2-multi-monitor.yaml'));
    expect(plan.steps.filter((x) => x.params.kind === 'monitor').map((x) => x.title)).toEqual(
      Array(3).fill(expect.stringContaining('its online log files are not initialised first (4.2.2.2.2')),
    );
  });

  it('set group changes every watcher of a group: not online when a watcher of the group would not change alike', () => {
    type W = { watcher: Record<string, unknown> };
    const base = example('7.6-async-cascade.yaml');
    const edited = (over: Record<string, unknown>) => {
      const x = structuredClone(base) as ClusterSpec & W;
      x.watcher = { ...x.watcher, ...over };
      return x as ClusterSpec;
    };
    // DW_ERROR_TIME is in every watcher's file, LOCAL ones included: alike everywhere, online
    const dw = liveChanges(recordOf(base), recordOf(edited({ dwErrorTime: 20 })));
    expect(dw.length).toBeGreaterThan(0);
    expect(dw.every((c) => c.kind === 'file' && c.setGroup?.length)).toBe(true);
    // INST_RECOVER_TIME only in the GLOBAL watchers' files: set group would reach the LOCAL ones too
    const rec = liveChanges(recordOf(base), recordOf(edited({ instRecoverTime: 90 })));
    expect(rec.length).toBeGreaterThan(0);
    expect(rec.filter((c) => c.kind === 'file' && c.setGroup)).toEqual([]);
  });
});
