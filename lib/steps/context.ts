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
}

/** A step that only checks (preflight, verify): nothing to probe or do, its check is the verify. */
export function checkOnly<S extends Step>(
  timeoutMs: number,
  check: (ctx: StepContext, step: S) => Promise<void>,
): StepKindImpl<S> {
  return {
    timeoutMs,
    mutates: false,
    probe: () => Promise.resolve(undefined),
    act: () => Promise.resolve(),
    verify: check,
  };
}
