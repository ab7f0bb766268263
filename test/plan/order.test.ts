/**
 * The deploy and teardown orders of a large MPP plan are exactly what they were before synth was
 * made linear. The golden file (test/fixtures/order/mpp-12x3.json) was written by the previous
 * implementation, whose teardown had all-to-all edges between phases: the plan's step order, the
 * teardown order, and every resource's depends_on in cdk.tf.json, for an MppGroup of 12 groups x
 * (1 primary + 2 standbys). Now the teardown phases meet at barrier resources; which step waits
 * for which, directly or not, must not have changed in either direction.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { afterAll, describe, expect, it } from 'vitest';
import { MppGroup } from '../../constructs';
import { planCluster } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { mppGroups } from '../support/specs';

interface Golden {
  groups: number;
  standbys: number;
  steps: string[];
  teardown: string[];
  dependsOn: Record<string, string[]>;
}

const golden = JSON.parse(
  readFileSync(path.join(__dirname, '../fixtures/order/mpp-12x3.json'), 'utf8'),
) as Golden;

/** For each of `nodes`, the nodes among them it waits for, directly or through others. */
function reach(graph: Record<string, string[]>, nodes: readonly string[]): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const all = (n: string): Set<string> => {
    const known = memo.get(n);
    if (known) return known;
    const out = new Set<string>();
    memo.set(n, out);
    for (const d of graph[n] ?? []) {
      out.add(d);
      for (const x of all(d)) out.add(x);
    }
    return out;
  };
  const keep = new Set(nodes);
  return new Map(nodes.map((n) => [n, new Set([...all(n)].filter((x) => keep.has(x)))]));
}

describe('the order of a 12 x (1+2) MppGroup, before and after linear synth', () => {
  const spec = mppGroups(golden.groups, golden.standbys);
  const v = validateSpec(spec);
  if (!v.model) throw new Error('the MPP spec is invalid');
  const plan = planCluster(v.model);
  const outdir = mkdtempSync(path.join(tmpdir(), 'dm-order-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));
  const app = new App({ outdir });
  const { kind, ...props } = spec;
  void kind;
  new MppGroup(new TerraformStack(app, 'MPP'), 'MPP', { ...props, dmdeploy: '/opt/dmdeploy' });
  app.synth();
  const json = JSON.parse(readFileSync(path.join(outdir, 'stacks', 'MPP', 'cdk.tf.json'), 'utf8')) as {
    resource: { null_resource: Record<string, { depends_on?: string[] }> };
  };
  const dependsOn = Object.fromEntries(
    Object.entries(json.resource.null_resource).map(([k, r]) => [
      k,
      (r.depends_on ?? []).map((d) => d.replace(/^null_resource\./, '')),
    ]),
  );
  const steps = Object.keys(golden.dependsOn);
  // each MPP standby later got a join step (a standby added to a running group, day 2), and the
  // joins of an MPP system run one at a time across its groups (they share the hosts' watchers and
  // one MAL): those are additions, with nothing to do on a first deploy. Without them, what waits
  // for what among the golden's steps must still be exactly as it was
  const joins = new Set(plan.steps.filter((s) => s.params.kind === 'join').map((s) => s.id));
  const isJoinResource = (n: string) => n.endsWith('__join');
  const withoutJoins = (g: Record<string, string[]>) =>
    Object.fromEntries(
      Object.entries(g)
        .filter(([k]) => !isJoinResource(k))
        .map(([k, d]) => [k, d.filter((x) => !isJoinResource(x))]),
    );

  it('plans the same steps in the same deploy and teardown order', () => {
    expect(joins.size).toBe(golden.groups * golden.standbys);
    expect(plan.steps.map((s) => s.id).filter((id) => !joins.has(id))).toEqual(golden.steps);
    expect(plan.teardown.map((s) => s.id)).toEqual(golden.teardown);
  });

  it('makes every step resource wait for exactly the step resources it waited for', () => {
    expect(steps.length).toBe(golden.steps.length + golden.teardown.length);
    expect(
      Object.keys(dependsOn)
        .filter((n) => !n.startsWith('teardown__before__') && !isJoinResource(n))
        .sort(),
    ).toEqual([...steps].sort());
    const before = reach(golden.dependsOn, steps);
    const after = reach(withoutJoins(dependsOn), steps);
    for (const n of steps)
      expect([...(after.get(n) ?? [])].sort(), n).toEqual([...(before.get(n) ?? [])].sort());
  });

  it('with far fewer edges: linear in the steps, where they were quadratic', () => {
    const edges = (g: Record<string, string[]>) => Object.values(g).reduce((n, d) => n + d.length, 0);
    expect(edges(golden.dependsOn)).toBeGreaterThan(2000);
    expect(edges(dependsOn)).toBeLessThan(3 * Object.keys(dependsOn).length);
  });
});
