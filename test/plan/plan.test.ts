/**
 * The planner: the manual's order as DAG edges (7.1-7.7), the §6.4 teardown order, a stable
 * manifest and digests that change only for the steps whose input changed.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpecFile } from '../../lib/cli/spec-file';
import { validateSpec } from '../../lib/validate';
import {
  formatPlan,
  planCluster,
  planManifest,
  parseManifest,
  stepDigest,
  TEARDOWN_PHASES,
  type Plan,
  type Step,
} from '../../lib/plan';
import type { ClusterModel } from '../../lib/families/data-guard/model';
import { canonicalJson } from '../../lib/plan/manifest';
import { parseIni } from '../../lib/render/ini';
import { dscPrimary, mppGroup, mppGroups, realtimePair } from '../support/specs';

const example = (n: string): ClusterModel => {
  const v = validateSpecFile(path.join(__dirname, '../../examples', n));
  if (!v.model) throw new Error(`${n} invalid`);
  return v.model as ClusterModel;
};

function modelOf(spec: unknown): ClusterModel {
  const v = validateSpec(spec);
  if (!v.model) throw new Error(JSON.stringify(v.findings));
  return v.model as ClusterModel;
}

/** Is `later` after `earlier` through the DAG's edges? */
function after(plan: Plan, later: string, earlier: string): boolean {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = [...(byId.get(later)?.after ?? [])];
  while (stack.length) {
    const id = stack.pop() ?? '';
    if (id === earlier) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.after ?? []));
  }
  return false;
}

const ids = (plan: Plan, kind: Step['params']['kind']) =>
  plan.steps.filter((s) => s.params.kind === kind).map((s) => s.id);

const realtime1plus3 = () => {
  const s = realtimePair();
  s.hosts.S2 = { address: '198.18.1.14', public: '198.18.1.14', private: '198.18.0.14' };
  s.hosts.S3 = { address: '198.18.1.15', public: '198.18.1.15', private: '198.18.0.15' };
  s.standbys = [
    ...(s.standbys ?? []),
    { name: 'GRP1_RT_03', host: 'S2' },
    { name: 'GRP1_RT_04', host: 'S3' },
  ];
  return modelOf(s);
};

const TOPOLOGIES: [string, () => ClusterModel][] = [
  ['RealtimePair 1+1 (7.2)', () => example('7.2-realtime-pair.yaml')],
  ['RealtimePair 1+3', realtime1plus3],
  ['ReadWriteCluster 1+2 (7.3)', () => example('7.3-read-write-cluster.yaml')],
  ['RealtimePair + async + cascaded async (7.6)', () => example('7.6-async-cascade.yaml')],
  ['RealtimePair + sync standby (7.7)', () => example('7.7-sync-standby.yaml')],
];

describe.each(TOPOLOGIES)('the plan of %s', (_name, model) => {
  const plan = planCluster(model());
  const primary = plan.steps.find((s) => s.params.kind === 'first-start')?.params;
  const p = primary && 'instance' in primary ? primary.instance : '';

  it('is topologically ordered, every edge points back, preflight first and verify last', () => {
    const seen = new Set<string>();
    for (const s of plan.steps) {
      for (const a of s.after) expect(seen.has(a), `${s.id} after ${a}`).toBe(true);
      seen.add(s.id);
    }
    expect(plan.steps[0]?.id).toBe('cluster/preflight');
    expect(plan.steps.at(-1)?.id).toBe('cluster/verify');
    for (const s of plan.steps.slice(1)) expect(after(plan, s.id, 'cluster/preflight')).toBe(true);
    for (const s of plan.steps.slice(0, -1)) expect(after(plan, 'cluster/verify', s.id), s.id).toBe(true);
  });

  it('follows the manual: dminit, first start, primary files, backup, copy, restore, files, MOUNT, mode (primary first), watchers, monitor', () => {
    expect(after(plan, `${p}/first-start`, `${p}/dminit`)).toBe(true);
    expect(after(plan, `${p}/config`, `${p}/first-start`)).toBe(true);
    expect(after(plan, `${p}/backup`, `${p}/config`)).toBe(true);
    expect(after(plan, `${p}/mount`, `${p}/backup`)).toBe(true);
    const standbys = ids(plan, 'restore').map((id) => id.split('/')[0] ?? '');
    expect(standbys.length).toBe(model().groups[0]!.databases.length - 1);
    for (const s of standbys) {
      expect(after(plan, `${s}/restore`, `${p}/backup`)).toBe(true);
      expect(after(plan, `${s}/restore`, `${s}/dminit`)).toBe(true);
      expect(after(plan, `${s}/config`, `${s}/restore`)).toBe(true);
      expect(after(plan, `${s}/mount`, `${s}/config`)).toBe(true);
      expect(after(plan, `${s}/mode`, `${s}/mount`)).toBe(true);
      expect(after(plan, `${s}/mode`, `${p}/mode`)).toBe(true);
    }
    for (const w of ids(plan, 'watcher'))
      for (const m of ids(plan, 'mode')) expect(after(plan, w, m)).toBe(true);
    for (const m of ids(plan, 'monitor'))
      for (const w of ids(plan, 'watcher')) expect(after(plan, m, w)).toBe(true);
    // every standby host receives the backup set once, streamed from the primary's host
    const copies = plan.steps.filter((s) => s.params.kind === 'copy-backup');
    expect(new Set(copies.map((c) => c.host)).size).toBe(copies.length);
  });

  it('stops in the order of §6.4 and keeps the data', () => {
    const order = plan.teardown.map((s) =>
      TEARDOWN_PHASES.indexOf(s.phase as (typeof TEARDOWN_PHASES)[number]),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(plan.teardown[0]?.params.kind).toBe(model().monitor?.confirm ? 'stop-monitor' : 'stop-watcher');
    const primaryStop = plan.teardown.findIndex((s) => s.id === `${p}/stop-server`);
    const servers = plan.teardown.filter((s) => s.params.kind === 'stop-server');
    expect(servers[0]?.id).toBe(`${p}/stop-server`);
    expect(plan.teardown.slice(0, primaryStop).every((s) => s.params.kind !== 'stop-server')).toBe(true);
    expect(plan.teardown.some((s) => s.params.kind === 'purge')).toBe(false);
    // teardown runs phase by phase: no edges, and the list is in phase order
    expect(plan.teardown.flatMap((s) => s.after)).toEqual([]);
    const ranks = plan.teardown.map((s) => TEARDOWN_PHASES.indexOf(s.phase as never));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('carries the monitoring-mode copy of each dmmonitor.ini that commands and show are sent from (§4.4)', () => {
    const monitors = plan.steps.flatMap((s) => (s.params.kind === 'monitor' ? [s.params] : []));
    expect(monitors.length).toBe(model().monitor?.host ? 1 : 0);
    for (const m of monitors) {
      const copy = parseIni(m.monitoringIni);
      const own = parseIni(m.files[0]?.content ?? '');
      expect(copy.globals).toContainEqual(['MON_DW_CONFIRM', '0']);
      // no MON_LOG_PATH: its log goes beside the copy (§4.5, §5.5), never into the confirm monitor's
      expect(copy.globals.map(([k]) => k)).not.toContain('MON_LOG_PATH');
      expect(copy.globals).toEqual(
        own.globals
          .filter(([k]) => k !== 'MON_LOG_PATH')
          .map(([k, v]) => [k, k === 'MON_DW_CONFIRM' ? '0' : v]),
      );
      expect(copy.sections).toEqual(own.sections);
    }
  });

  it('prints by phase and host, with the manual section of each step', () => {
    const text = formatPlan(plan);
    for (const s of plan.steps) expect(text).toContain(s.id);
    expect(text.indexOf('preflight')).toBeLessThan(text.indexOf('dminit'));
    expect(text.indexOf(' backup\n')).toBeLessThan(text.indexOf(' restore\n'));
    expect(text).toMatch(/teardown \(cdktf destroy\):\n\s+1\. stop-/);
  });
});

describe('the manifest and the digests', () => {
  it('are deterministic', () => {
    const a = planManifest(planCluster(example('7.2-realtime-pair.yaml')));
    expect(planManifest(planCluster(example('7.2-realtime-pair.yaml')))).toBe(a);
    expect(JSON.parse(a)).toMatchObject({ version: 2, cluster: 'GRP1' });
  });

  it.each(['7.2-realtime-pair.yaml', '7.4-mpp-group.yaml', '7.5-dsc-primary.yaml', '7.6-async-cascade.yaml'])(
    '%s: read back, the manifest is the plan (each file content written once, by sha256)',
    (file) => {
      const plan = planCluster(example(file));
      const text = planManifest(plan);
      expect(parseManifest(text, 'plan.json')).toEqual(plan);
      const json = JSON.parse(text) as { contents: Record<string, string> };
      const contents = Object.values(json.contents);
      expect(contents.length).toBeGreaterThan(3);
      // every content once, and none inline in a step
      for (const c of contents) expect(text.split(JSON.stringify(c)).length - 1, c.slice(0, 40)).toBe(1);
    },
  );

  it('refuses a manifest another dmdeploy wrote, saying to synthesize again', () => {
    const old = JSON.stringify({
      ...JSON.parse(planManifest(planCluster(example('7.2-realtime-pair.yaml')))),
      version: 1,
    });
    expect(() => parseManifest(old, 'plan.json')).toThrow(
      'plan.json: a version 1 plan manifest, written by another dmdeploy; fix: synthesize again with this one',
    );
  });

  it('writes a large MPP plan in a small fraction of the inline size', () => {
    const v = validateSpec(mppGroups(32, 2));
    if (!v.model) throw new Error('invalid');
    const plan = planCluster(v.model);
    const inline = canonicalJson(plan).length;
    const written = planManifest(plan).length;
    expect(written * 3).toBeLessThan(inline);
    expect(parseManifest(planManifest(plan), 'plan.json')).toEqual(plan);
  });

  it("change only for the steps whose input changed (a standby's SQL port)", () => {
    const base = realtimePair();
    const moved = realtimePair();
    moved.standbys = [{ name: 'GRP1_RT_02', host: 'S', port: 5999 }];
    const a = planCluster(modelOf(base));
    const b = planCluster(modelOf(moved));
    const changed = a.steps
      .filter((s) => stepDigest(a, s) !== stepDigest(b, b.steps.find((x) => x.id === s.id) ?? s))
      .map((s) => s.id)
      .sort();
    // the standby's own steps, the primary's files (dmmal.ini names every instance), preflight and verify
    expect(changed).toEqual(
      [
        'GRP1_RT_01/config',
        'GRP1_RT_02/config',
        'GRP1_RT_02/dminit',
        'GRP1_RT_02/join',
        'GRP1_RT_02/mode',
        'GRP1_RT_02/mount',
        'GRP1_RT_02/restore',
        'GRP1_RT_02/watcher',
        'GRP1/restart', // its members' ports, and the digest of their config steps
        'cluster/preflight',
        'cluster/verify',
      ].sort(),
    );
    expect(changed).not.toContain('GRP1_RT_01/backup');
    expect(changed).not.toContain('GRP1_RT_01/dminit');
  });

  it('purgeData adds a purge step per host, after every server stopped', () => {
    const plan = planCluster(modelOf({ ...realtimePair(), purgeData: true }));
    const purges = plan.teardown.filter((s) => s.params.kind === 'purge');
    expect(purges.map((s) => s.host).sort()).toEqual(['P', 'S']);
    const lastStop = Math.max(...plan.teardown.map((s, i) => (s.params.kind === 'stop-server' ? i : -1)));
    for (const s of purges) expect(plan.teardown.indexOf(s)).toBeGreaterThan(lastStop);
  });
});

/** A spec's plan, and the DAG helpers bound to it. */
const planOf = (spec: unknown) => planCluster(modelOf(spec));

describe('the plan of an MppGroup (7.4): 2 groups in cross placement', () => {
  const plan = planOf(mppGroup());
  const step = (id: string) => plan.steps.find((s) => s.id === id);

  it('dmmpp.ini once on the MPP_SEQ_NO 0 node, converted, and copied to every primary and standby before any MOUNT', () => {
    const ctl = plan.steps.filter((s) => s.params.kind === 'mpp-ctl');
    expect(ctl.map((s) => [s.id, s.host])).toEqual([['EP01/mpp-ctl', 'A']]);
    const p = ctl[0]?.params;
    if (p?.kind !== 'mpp-ctl') throw new Error('no mpp-ctl step');
    expect(p.files.map((f) => [f.role, f.path])).toEqual([['dmmpp.ini', '/dm/data/EP01/DAMENG/dmmpp.ini']]);
    expect(p.files[0]?.content).toMatch(
      /\[SERVICE_NAME1\]\n\s*MPP_SEQ_NO\s*=\s*0\n\s*MPP_INST_NAME\s*=\s*EP01/,
    );
    expect(p.ctlPath).toBe('/dm/data/EP01/DAMENG/dmmpp.ctl');
    expect(p.targets.map((t) => `${t.host}:${t.path}`).sort()).toEqual([
      'A:/dm/data/EP22/DAMENG/dmmpp.ctl',
      'B:/dm/data/EP02/DAMENG/dmmpp.ctl',
      'B:/dm/data/EP11/DAMENG/dmmpp.ctl',
    ]);
    for (const m of ids(plan, 'mount')) expect(after(plan, m, 'EP01/mpp-ctl'), m).toBe(true);
    for (const r of ids(plan, 'restore')) expect(after(plan, 'EP01/mpp-ctl', r), r).toBe(true);
  });

  it('every instance gets MPP_INI = 1, each group is built as 7.1.1 + 7.4.3 prescribes, primaries first', () => {
    for (const id of ids(plan, 'config')) {
      const c = step(id)?.params;
      const dmIni = c?.kind === 'config' ? c.files.find((f) => f.role === 'dm.ini') : undefined;
      expect(dmIni?.content, id).toMatch(/^MPP_INI\s*=\s*1$/m);
    }
    for (const [p, s] of [
      ['EP01', 'EP11'],
      ['EP02', 'EP22'],
    ] as const) {
      expect(after(plan, `${p}/backup`, `${p}/config`)).toBe(true);
      expect(after(plan, `${s}/restore`, `${p}/backup`)).toBe(true);
      expect(after(plan, `${s}/mode`, `${p}/mode`)).toBe(true);
    }
    expect(plan.steps.filter((s) => s.params.kind === 'mode').every((s) => /LOCAL/.test(s.title))).toBe(true);
  });

  it('one watcher per host guarding both groups (7.4.7), started after every mode it guards; one monitor', () => {
    expect(ids(plan, 'watcher').sort()).toEqual(['A/watcher', 'B/watcher']);
    for (const w of ids(plan, 'watcher'))
      for (const m of ids(plan, 'mode')) expect(after(plan, w, m), `${w} after ${m}`).toBe(true);
    const w = step('A/watcher')?.params;
    expect(w?.kind === 'watcher' && w.instances.map((i) => i.instance)).toEqual(['EP01', 'EP22']);
    expect(ids(plan, 'monitor')).toEqual(['C/monitor']);
  });

  it('verify checks every dmmpp.ctl; teardown: monitor, watchers, primaries, standbys', () => {
    const v = step('cluster/verify')?.params;
    expect(v?.kind === 'verify' && v.mppCtl?.length).toBe(4);
    expect(plan.teardown.map((s) => s.phase)).toEqual([
      'stop-monitor',
      'stop-primary-watcher',
      'stop-primary-watcher',
      'stop-primary',
      'stop-primary',
      'stop-standbys',
      'stop-standbys',
    ]);
  });

  it('3 groups × (1 + 2): one dmmpp.ctl for 9 instances, a watcher per host', () => {
    const s = mppGroup();
    s.hosts.D = { address: '198.18.1.34', private: '198.18.0.34' };
    s.groups = ['A', 'B', 'D'].map((h, n) => ({
      group: `GRP${n + 1}`,
      oguid: 7201 + n,
      primary: { name: `EP0${n + 1}`, host: h },
      standbys: [1, 2].map((k) => ({
        name: `EP${n + 1}${k}`,
        host: ['A', 'B', 'D'][(n + k) % 3] ?? 'A',
      })),
    }));
    const p3 = planOf(s);
    const ctl = p3.steps.find((x) => x.params.kind === 'mpp-ctl')?.params;
    expect(ctl?.kind === 'mpp-ctl' && ctl.targets.length).toBe(8);
    expect(
      p3.steps
        .filter((x) => x.params.kind === 'watcher')
        .map((x) => x.id)
        .sort(),
    ).toEqual(['A/watcher', 'B/watcher', 'D/watcher']);
    expect(p3.steps.filter((x) => x.params.kind === 'mode')).toHaveLength(9);
  });
});

describe('the plan of a DscPrimary (7.5): 2 DMDSC nodes + 1 standby', () => {
  const spec = () => {
    const s = dscPrimary();
    s.primary.dmcssAutoRestart = { interval: 60 };
    return s;
  };
  const plan = planOf(spec());
  const step = (id: string) => plan.steps.find((s) => s.id === id);

  it('never runs dminit on the DMDSC database; its nodes are configured, run once, stopped, then backed up through dcr_ini', () => {
    expect(ids(plan, 'dminit')).toEqual(['GRP1_RT_S1/dminit']);
    expect(ids(plan, 'first-start')).toEqual([]);
    expect(after(plan, 'DSC01/dsc-restart', 'DSC01/config')).toBe(true);
    expect(after(plan, 'DSC01/dsc-restart', 'DSC02/config')).toBe(true);
    expect(after(plan, 'DSC01/backup', 'DSC01/dsc-restart')).toBe(true);
    const b = step('DSC01/backup')?.params;
    expect(b?.kind === 'backup' && [b.dcrIni, b.nodes?.map((n) => n.instance)]).toEqual([
      '/dm/dsc/conf/dmdcr1.ini',
      ['DSC01', 'DSC02'],
    ]);
    const pre = step('cluster/preflight')?.params;
    expect(pre?.kind === 'preflight' && pre.dsc?.map((n) => `${n.host}:${n.dcrIni}`)).toEqual([
      'P1:/dm/dsc/conf/dmdcr1.ini',
      'P2:/dm/dsc/conf/dmdcr2.ini',
    ]);
  });

  it('the DMDSC nodes write REMOTE archives to each other and ARCH_INI = 1 (7.5.3.1-7.5.3.2)', () => {
    const c = step('DSC01/config')?.params;
    const files = c?.kind === 'config' ? c.files : [];
    expect(files.find((f) => f.role === 'dmarch.ini')?.content).toMatch(
      /ARCH_TYPE\s*=\s*REMOTE\n\s*ARCH_DEST\s*=\s*DSC02\n\s*ARCH_INCOMING_PATH\s*=\s*\+DMDATA\/DSC\/DSC02\/arch/,
    );
    expect(files.find((f) => f.role === 'dm.ini')?.content).toMatch(/^ARCH_INI\s*=\s*1$/m);
    expect(files.some((f) => f.role === 'dmdcr.ini')).toBe(false);
  });

  it('the standby: restored FOR STANDBY from the DMDSC set (7.5.4); dmdcr.ini and the dmcss restart after the backup, before MOUNT with DCR_INI (7.5.10-7.5.11)', () => {
    const r = step('GRP1_RT_S1/restore')?.params;
    expect(r?.kind === 'restore' && r.forStandby).toBe(true);
    expect(after(plan, 'GRP1_RT_S1/restore', 'S/copy-backup')).toBe(true);
    for (const n of ['DSC01', 'DSC02']) {
      expect(after(plan, `${n}/dmdcr`, 'DSC01/backup')).toBe(true);
      expect(after(plan, `${n}/mount`, `${n}/dmdcr`)).toBe(true);
      const m = step(`${n}/mount`)?.params;
      expect(m?.kind === 'mount' && m.dcrIni).toMatch(/dmdcr[12]\.ini$/);
      const d = step(`${n}/dmdcr`)?.params;
      expect(d?.kind === 'dmdcr' && d.files[0]?.content).toMatch(
        new RegExp(`DMDCR_DB_STARTUP_CMD\\s*=\\s*\\S+/dmserver path=/dm/dsc/${n}/dm.ini dcr_ini=\\S+ mount`),
      );
    }
  });

  it('OGUID and PRIMARY once, through node 0, after every node is in MOUNT (7.5.12-7.5.13); a watcher per node', () => {
    expect(ids(plan, 'mode')).toEqual(['DSC01/mode', 'GRP1_RT_S1/mode']);
    expect(after(plan, 'DSC01/mode', 'DSC02/mount')).toBe(true);
    expect(after(plan, 'GRP1_RT_S1/mode', 'DSC01/mode')).toBe(true);
    expect(ids(plan, 'watcher').sort()).toEqual(['DSC01/watcher', 'DSC02/watcher', 'GRP1_RT_S1/watcher']);
    const v = step('cluster/verify')?.params;
    expect(v?.kind === 'verify' && v.groups[0]?.databases.map((d) => `${d.database}:${d.instance}`)).toEqual([
      'DSC01:DSC01',
      'DSC01:DSC02',
      'GRP1_RT_S1:GRP1_RT_S1',
    ]);
  });

  it("teardown turns dmcss's restart off first (§4.4 item 31), stops every node, and never purges the DMDSC database", () => {
    expect(plan.teardown[0]?.params.kind).toBe('stop-auto-restart');
    const off = plan.teardown[0]?.params;
    expect(off?.kind === 'stop-auto-restart' && off.groups[0]?.monDwIps[0]).toMatch(
      /^198\.18\.0\.21:\d+\/198\.18\.0\.22:\d+$/,
    );
    // sent from its own monitoring-mode dmmonitor.ini, rendered into the plan: the deploy's may be gone
    const ini = parseIni(off?.kind === 'stop-auto-restart' ? off.monitoringIni : '');
    expect(ini.globals).toContainEqual(['MON_DW_CONFIRM', '0']);
    expect(ini.globals.map(([k]) => k)).not.toContain('MON_LOG_PATH');
    expect(ini.sections.map((x) => x.name)).toEqual(
      off?.kind === 'stop-auto-restart' ? off.groups.map((g) => g.name) : [],
    );
    expect(ini.sections[0]?.entries).toContainEqual([
      'MON_DW_IP',
      off?.kind === 'stop-auto-restart' ? off.groups[0]?.monDwIps[0] : '',
    ]);
    expect(plan.teardown.filter((s) => s.phase === 'stop-primary').map((s) => s.id)).toEqual([
      'DSC01/stop-server',
      'DSC02/stop-server',
    ]);
    const purged = planOf({ ...spec(), purgeData: true })
      .teardown.filter((s) => s.params.kind === 'purge')
      .flatMap((s) => (s.params.kind === 'purge' ? s.params.paths : []));
    // only the backup set dmdeploy made (on node 0's host and copied to the standby's)
    expect([...new Set(purged.filter((p) => p.startsWith('/dm/dsc/')))]).toEqual([
      '/dm/dsc/DSC01/bak/db_full_bak_for_DSC',
    ]);
    expect(purged).toContain('/dm/data/DAMENG');
  });

  it('without dmcss auto restart: no dmdcr step, no stop-auto-restart', () => {
    const p = planOf(dscPrimary());
    expect(ids(p, 'dmdcr')).toEqual([]);
    expect(p.teardown.some((s) => s.params.kind === 'stop-auto-restart')).toBe(false);
  });

  it('an async standby fed by the DMDSC database: TIMER_INI on every node (7.5.1)', () => {
    const s = dscPrimary();
    s.hosts.A = { address: '198.18.1.25', private: '198.18.0.25' };
    s.asyncStandbys = [{ name: 'GRP1_AS_01', host: 'A', timer: {} }];
    const p = planOf(s);
    for (const n of ['DSC01', 'DSC02']) {
      const c = p.steps.find((x) => x.id === `${n}/config`)?.params;
      const files = c?.kind === 'config' ? c.files : [];
      expect(files.find((f) => f.role === 'dm.ini')?.content, n).toMatch(/^TIMER_INI\s*=\s*1$/m);
      expect(
        files.some((f) => f.role === 'dmtimer.ini'),
        n,
      ).toBe(true);
    }
    expect(after(p, 'GRP1_AS_01/restore', 'DSC01/backup')).toBe(true);
  });
});

describe('a DMDSC database as a standby target (7.5.1)', () => {
  const s = realtimePair();
  s.hosts.D1 = { address: '198.18.1.41', private: '198.18.0.41' };
  s.hosts.D2 = { address: '198.18.1.42', private: '198.18.0.42' };
  s.standbys = [
    {
      nodes: [
        {
          name: 'SDSC01',
          host: 'D1',
          iniPath: '/dm/dsc/SDSC01/dm.ini',
          dcrIni: '/dm/dsc/conf/dmdcr1.ini',
          archiveDir: '+DMDATA/arch1',
        },
        {
          name: 'SDSC02',
          host: 'D2',
          iniPath: '/dm/dsc/SDSC02/dm.ini',
          dcrIni: '/dm/dsc/conf/dmdcr2.ini',
          archiveDir: '+DMDATA/arch2',
        },
      ],
    },
  ];
  const plan = planOf(s);

  it('the primary sends to NODE0/NODE1; the set is restored through node 0 dcr_ini, no dminit; STANDBY through node 0', () => {
    const c = plan.steps.find((x) => x.id === 'GRP1_RT_01/config')?.params;
    const arch = c?.kind === 'config' ? c.files.find((f) => f.role === 'dmarch.ini')?.content : '';
    expect(arch).toMatch(/ARCH_DEST\s*=\s*SDSC01\/SDSC02/);
    expect(ids(plan, 'dminit')).toEqual(['GRP1_RT_01/dminit']);
    const r = plan.steps.find((x) => x.id === 'SDSC01/restore')?.params;
    expect(r?.kind === 'restore' && [r.dcrIni, r.nodes?.length]).toEqual(['/dm/dsc/conf/dmdcr1.ini', 2]);
    expect(after(plan, 'SDSC01/restore', 'D1/copy-backup')).toBe(true);
    expect(after(plan, 'SDSC01/mode', 'SDSC02/mount')).toBe(true);
    expect(after(plan, 'SDSC02/config', 'SDSC01/restore')).toBe(true);
    expect(ids(plan, 'mode')).toEqual(['GRP1_RT_01/mode', 'SDSC01/mode']);
  });
});
