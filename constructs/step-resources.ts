/**
 * The plan as Terraform resources, before any construct exists: which resource each step
 * becomes, what it depends on, its triggers and its command. Pure, so the mapping can be read and
 * tested on its own; the cluster construct only instantiates it.
 *
 * Deploy: one resource per step, `depends_on` = the step's `after` edges, `triggers` = the step
 * id and its content digest, a create-time local-exec.
 *
 * Teardown: one resource per teardown step with only a destroy-time local-exec. Terraform
 * destroys a resource before the resources it depends on, so the teardown order is inverted
 * into `depends_on`. Teardown runs phase by phase (TEARDOWN_PHASES), which would be all-to-all
 * edges between phases; instead one barrier resource (no provisioner) stands between each two
 * consecutive phases: the earlier phase's steps depend on the barrier, the barrier depends on
 * the later phase's steps. O(steps) edges, the same order. The last phase's steps depend on the
 * deploy's last steps (cluster/verify), so every teardown resource is created once the cluster
 * is up and destroyed before any deploy resource.
 */
import { shJoin } from '../lib/ssh/quote';
import { resourceName, stepDigest, TEARDOWN_PHASES, type Plan, type Step } from '../lib/plan';

export interface StepResource {
  /** Terraform resource name (`null_resource.<name>`). */
  name: string;
  /** The step id the command runs. */
  step: string;
  /** Names of the resources it depends on. */
  dependsOn: string[];
  /** Deploy resources only: what replaces the resource (and re-runs the step) when it changes. */
  triggers?: { step: string; digest: string };
  /** The local-exec command line (none for a barrier). */
  command?: string;
  /** create: a deploy step, run on apply; destroy: a teardown step, run on destroy; barrier: orders teardown phases. */
  when: 'create' | 'destroy' | 'barrier';
}

export interface StepResourceOptions {
  /**
   * The command line before `step <id> --manifest <plan.json>`, one word per element (quoted for
   * sh as needed): `['node', '<the step bundle asset>']`, or a configured dmdeploy `['/opt/dmdeploy']`.
   * Paths absolute, or relative to the stack directory.
   */
  command: readonly string[];
  /** The plan manifest, relative to the stack directory. */
  manifest: string;
  /** Prepended to every resource name (several clusters in one stack). @default '' */
  prefix?: string;
}

/** The resources in an order in which each one's dependencies come before it. */
export function stepResources(plan: Plan, options: StepResourceOptions): StepResource[] {
  const prefix = options.prefix ?? '';
  const nameOf = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const s of [...plan.steps, ...plan.teardown]) {
    const name = prefix + resourceName(s.id);
    const clash = owner.get(name);
    if (clash !== undefined)
      throw new Error(
        `plan ${plan.cluster}: steps ${clash} and ${s.id} map to the same resource name ${name}`,
      );
    owner.set(name, s.id);
    nameOf.set(s.id, name);
  }
  const name = (id: string): string => {
    const n = nameOf.get(id);
    if (n === undefined) throw new Error(`plan ${plan.cluster}: unknown step ${id}`);
    return n;
  };
  if (!options.command.length) throw new Error(`plan ${plan.cluster}: no command for the step resources`);
  const command = (s: Step) => shJoin([...options.command, 'step', s.id, '--manifest', options.manifest]);

  const deploy: StepResource[] = plan.steps.map((s) => ({
    name: name(s.id),
    step: s.id,
    dependsOn: s.after.map(name),
    triggers: { step: s.id, digest: stepDigest(plan, s) },
    command: command(s),
    when: 'create',
  }));

  const waitedFor = new Set(plan.steps.flatMap((s) => s.after));
  const lastDeploy = plan.steps.filter((s) => !waitedFor.has(s.id)).map((s) => name(s.id));
  if (plan.teardown.some((s) => s.after.length))
    throw new Error(`plan ${plan.cluster}: teardown steps are ordered by their phases, not by edges`);
  const phases = TEARDOWN_PHASES.map((p) => plan.teardown.filter((s) => s.phase === p)).filter(
    (steps) => steps.length > 0,
  );
  const teardown: StepResource[] = [];
  let later = lastDeploy; // what the phase after this one is (the deploy, after the last phase)
  for (let i = phases.length - 1; i >= 0; i--) {
    const steps = phases[i] ?? [];
    const resources = [...steps].reverse().map(
      (a): StepResource => ({
        name: name(a.id),
        step: a.id,
        dependsOn: later,
        command: command(a),
        when: 'destroy',
      }),
    );
    teardown.push(...resources);
    if (i > 0) {
      const barrier = `${prefix}teardown__before__${resourceName(steps[0]?.phase ?? String(i))}`;
      if (owner.has(barrier)) throw new Error(`plan ${plan.cluster}: a step maps to barrier name ${barrier}`);
      teardown.push({ name: barrier, step: '', dependsOn: resources.map((r) => r.name), when: 'barrier' });
      later = [barrier];
    }
  }
  // dependencies first: the last phase's resources, its barrier, the phase before, ...
  return [...deploy, ...teardown];
}
