/**
 * How each cluster family reads its live status (`dmdeploy status`): from its plan's verify step,
 * whose kind the family names (ClusterFamily.verifyKind). Here, not in lib/families, because it
 * touches the hosts, and the step bundle must not carry the families' schemas and renderers.
 */
import type { Plan, Step } from '../plan/step';
import type { StepContext } from './context';
import { collectDpcStatus, type DpcStatus } from './kinds/dpc';
import type { StepOf } from './kinds/types';
import { collectStatus, type ClusterStatus, type ProxyStatus } from './status';
import { Remote } from './remote';
import { pendingRestart } from './pending';
import { dcpDiff, proxyStart, readDcp, viewLagS } from './kinds/dcp';
import { DCP_REFRESH_INTERVAL_S, judgeProxyView, viewMismatch, wantedLiveView } from './dcp-view';

type StatusReader<K extends StatusKind> = (ctx: StepContext, step: StepOf<K>) => Promise<ClusterStatus>;

/** One reader per family, keyed by the kind of the verify step its plans end with. */
export const STATUS_READERS: { [K in StatusKind]: StatusReader<K> } = {
  // data guard: groups, watchers, archives, the monitor's view; an MPP system's DCP proxies
  verify: async (ctx, step) => withProxies(ctx, await collectStatus(ctx, step)),
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

/** The hosts of the DCP proxies (retired ones too), which status reads besides the verify step's. */
export function proxyHosts(plan: Plan): string[] {
  return plan.steps
    .filter((s) => s.params.kind === 'dcp-register' || s.params.kind === 'dcp-retire')
    .map((s) => s.host);
}

/** A dm.ini written under the running proxy: it runs with what it read at its start. */
async function restartState(
  ctx: StepContext,
  step: StepOf<'dcp-register'>,
): Promise<{ problem?: string; warning?: string }> {
  const p = step.params;
  const start = proxyStart(ctx.plan, p.instance);
  const waits = start
    ? await pendingRestart(new Remote(ctx, step), p.instance, start.params.iniPath).catch(() => undefined)
    : undefined;
  const at = `DCP proxy ${p.instance} on ${step.host}`;
  if (waits?.state === 'waits')
    return {
      problem: `${at} runs with the dm.ini it started with: it waits for a restart to read ${waits.files.join(', ')} (with restarts: rolling, apply restarts it)`,
    };
  if (waits?.state === 'down')
    return { problem: `${at} was stopped for a restart that did not finish: apply starts it again` };
  if (waits)
    return { warning: `${at} runs with its new dm.ini; its restart's marker is left (apply clears it)` };
  return {};
}

/**
 * Each DCP proxy's EP list and live view (001 6.2's checks). A list that differs from the spec is
 * a problem; a live view that is not the running primaries is a warning while it is younger than
 * the proxy's refresh interval, a problem after (lib/steps/dcp-view.ts).
 */
async function withProxies(ctx: StepContext, s: ClusterStatus): Promise<ClusterStatus> {
  const steps = ctx.plan.steps.filter((x): x is StepOf<'dcp-register'> => x.params.kind === 'dcp-register');
  const retired = ctx.plan.steps.filter((x): x is StepOf<'dcp-retire'> => x.params.kind === 'dcp-retire');
  if (!steps.length && !retired.length) return s;
  const proxies: ProxyStatus[] = [];
  const problems = [...s.problems];
  const warnings = [...(s.warnings ?? [])];
  // a proxy marked removed that still runs serves clients the spec no longer sends there
  for (const step of retired) {
    const pids = await new Remote(ctx, step)
      .pidsOf('dmserver', step.params.iniPath)
      .catch((e: unknown) => String(e));
    if (typeof pids === 'string')
      problems.push(`DCP proxy ${step.params.instance} (marked removed) on ${step.host}: ${pids}`);
    else if (pids.length)
      problems.push(
        `DCP proxy ${step.params.instance} on ${step.host} is marked removed but runs: apply to stop it`,
      );
  }
  for (const step of steps) {
    const p = step.params;
    const restart = await restartState(ctx, step);
    if (restart.problem) problems.push(restart.problem);
    if (restart.warning) warnings.push(restart.warning);
    const v = await readDcp(new Remote(ctx, step), p).catch((e: unknown) => ({ error: String(e) }));
    if ('error' in v) {
      proxies.push({ instance: p.instance, host: step.host, insts: [], live: [], error: v.error });
      problems.push(`DCP proxy ${p.instance} does not answer on DCP_PORT_NUM ${p.dcpPort}: ${v.error}`);
      continue;
    }
    const d = dcpDiff(p, v);
    proxies.push({
      instance: p.instance,
      host: step.host,
      insts: [...v.insts].map(([n, a]) => `${n}=${a}`),
      live: d.live,
    });
    if (d.add.length || d.clear.length)
      problems.push(
        `DCP proxy ${p.instance} lists ${[...v.insts.keys()].join(', ') || 'no EP'}; the spec wants ${p.insts.map((i) => i.name).join(', ')}`,
      );
    if (d.login) problems.push(`DCP proxy ${p.instance} has no login for ${p.loginUser} (SYSDCPLOGIN)`);
    // held against the primaries that run now: a switchover moves them off the spec's
    const want = wantedLiveView(p.primaries, s.groups);
    const mismatch = viewMismatch(d.live, want);
    const lagS = await viewLagS(new Remote(ctx, step), p.instance, mismatch, DCP_REFRESH_INTERVAL_S).catch(
      () => undefined,
    );
    const j = judgeProxyView({
      instance: p.instance,
      live: d.live,
      want,
      ...(lagS !== undefined ? { lagS } : {}),
    });
    if (j.problem) problems.push(j.problem);
    if (j.warning) warnings.push(j.warning);
  }
  return { ...s, proxies, problems, warnings, healthy: s.healthy && problems.length === s.problems.length };
}
