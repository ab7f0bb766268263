/** What every step runs with: the plan, the executor, the secrets (read from the spec's sources), progress. */
import type { SshExecutor } from '../ssh';
import type { Plan, Step } from '../plan';
import type { Secrets } from './secrets';

export interface StepContext {
  plan: Plan;
  ex: SshExecutor;
  /** The secrets as read from the spec's sources (secrets.ts); never logged, never on a command line. */
  secrets: Secrets;
  /** One line of progress (already prefixed by the runner). */
  progress: (line: string) => void;
}

/** A step kind: probe the real state, act only if needed, verify the postcondition. */
export interface StepKindImpl<S extends Step = Step> {
  /** undefined when the step still has to act; otherwise why it is already done. */
  probe(ctx: StepContext, step: S): Promise<string | undefined>;
  act(ctx: StepContext, step: S): Promise<void>;
  /** Throws a StepError when the postcondition does not hold. */
  verify(ctx: StepContext, step: S): Promise<void>;
  /** Upper bound on the whole step. */
  timeoutMs: number;
  /** false for steps that only read (preflight, verify). */
  mutates: boolean;
  /**
   * The hosts besides `step.host` it talks to (the executor connects to each when a command
   * first needs it); `plan` is there for a step that may read the deployed record from every host.
   */
  hosts?(step: S, plan: Plan | undefined): string[];
}

/** Every host of the plan: a step that may find its group running reads the deployed record from each. */
export const everyHost = (plan: Plan | undefined): string[] => (plan ? Object.keys(plan.hosts) : []);

/** A step that only checks (preflight, verify): nothing to probe or do, its check is the verify. */
export function checkOnly<S extends Step>(
  timeoutMs: number,
  check: (ctx: StepContext, step: S) => Promise<void>,
  hosts?: (step: S) => string[],
): StepKindImpl<S> {
  return {
    timeoutMs,
    mutates: false,
    ...(hosts ? { hosts } : {}),
    probe: () => Promise.resolve(undefined),
    act: () => Promise.resolve(),
    verify: check,
  };
}
