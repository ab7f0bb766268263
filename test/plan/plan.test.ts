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
  PlanUnsupportedError,
  stepDigest,
  TEARDOWN_PHASES,
  type Plan,
  type Step,
} from '../../lib/plan';
import type { ClusterModel } from '../../lib/spec/model';
import { dscPrimary, mppGroup, realtimePair } from '../support/specs';

const example = (n: string): ClusterModel => {
  const v = validateSpecFile(path.join(__dirname, '../../examples', n));
  if (!v.model) throw new Error(`${n} invalid`);
  return v.model;
};

function modelOf(spec: unknown): ClusterModel {
  const v = validateSpec(spec);
  if (!v.model) throw new Error(JSON.stringify(v.findings));
  return v.model;
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
    // each teardown step names the steps it must follow, and they come earlier
    plan.teardown.forEach((s, i) =>
      s.after.forEach((a) => expect(plan.teardown.findIndex((x) => x.id === a)).toBeLessThan(i)),
    );
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
    expect(JSON.parse(a)).toMatchObject({ version: 1, cluster: 'GRP1' });
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
        'GRP1_RT_02/mode',
        'GRP1_RT_02/mount',
        'GRP1_RT_02/restore',
        'GRP1_RT_02/watcher',
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

describe('topologies not deployable yet', () => {
  it.each([
    ['MppGroup', mppGroup],
    ['DscPrimary', dscPrimary],
  ])('%s: a clear error, not a wrong plan', (_k, spec) => {
    expect(() => planCluster(modelOf(spec()))).toThrow(PlanUnsupportedError);
    expect(() => planCluster(modelOf(spec()))).toThrow(/not built yet/);
  });
});
