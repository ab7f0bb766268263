/**
 * How each cluster family reads its live status (`dmdeploy status`): from its plan's verify step,
 * whose kind the family names (ClusterFamily.verifyKind). Here, not in lib/families, because it
 * touches the hosts, and the step bundle must not carry the families' schemas and renderers.
 */
import type { Plan, Step } from '../plan/step';
import type { StepContext } from './context';
import { collectDpcStatus, type DpcStatus } from './kinds/dpc';
import type { StepOf } from './kinds/types';
import { collectStatus, type ClusterStatus } from './status';

type StatusReader<K extends StatusKind> = (ctx: StepContext, step: StepOf<K>) => Promise<ClusterStatus>;

/** One reader per family, keyed by the kind of the verify step its plans end with. */
export const STATUS_READERS: { [K in StatusKind]: StatusReader<K> } = {
  // data guard: groups, watchers, archives, the monitor's view
  verify: (ctx, step) => collectStatus(ctx, step),
  // DMDPC: every node, each RAFT group's leader, each SP's view, the MP's catalogue
  'dpc-verify': async (ctx, step) =>
    dpcClusterStatus(ctx.plan.cluster, step, await collectDpcStatus(ctx, step)),
};
export type StatusKind = 'verify' | 'dpc-verify';

const isStatusKind = (k: string): k is StatusKind => Object.hasOwn(STATUS_READERS, k);

/** The step status reads from: the plan's verify step. */
export function statusStep(plan: Plan): Step {
  const verify = plan.steps.find((s) => isStatusKind(s.params.kind));
  if (!verify) throw new Error('the plan has no verify step');
  return verify;
}

export function readStatus(ctx: StepContext, step: Step): Promise<ClusterStatus> {
  const kind = step.params.kind;
  if (!isStatusKind(kind)) throw new Error(`${step.id} is not a verify step`);
  return (STATUS_READERS[kind] as StatusReader<typeof kind>)(ctx, step as StepOf<typeof kind>);
}

/** A DMDPC system's status in the shape `status` prints: one "group" per RAFT group, no OGUID. */
function dpcClusterStatus(cluster: string, step: StepOf<'dpc-verify'>, s: DpcStatus): ClusterStatus {
  const raftOf = new Map(step.params.catalogue.instances.map((i) => [i.name, i.raft ?? 'MP_RAFT']));
  const groups = new Map<string, ClusterStatus['groups'][number]>();
  for (const n of s.nodes) {
    const name = raftOf.get(n.instance) ?? '-';
    const g = groups.get(name) ?? { name, oguid: 0, databases: [] };
    groups.set(name, g);
    g.databases.push({
      group: name,
      database: n.instance,
      instance: n.instance,
      host: n.host,
      role: n.role,
      reachable: !n.unreachable,
      ...(n.unreachable ? { unreachable: n.unreachable } : {}),
      ...(n.status ? { status: n.status } : {}),
      ...(n.mode ? { mode: n.mode } : {}),
      archives: [],
    });
  }
  return {
    cluster,
    healthy: !s.problems.length,
    problems: s.problems,
    groups: [...groups.values()],
  };
}
