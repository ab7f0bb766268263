/**
 * The Terraform runner for end-to-end tests. With TERRAFORM_BINARY_NAME (read from `o.env`, else
 * the process environment) naming an executable on PATH (`terraform`, `tofu`, or a path), the
 * real binary runs the stack; unset, the built-in executor does. Set to a name that is not on
 * PATH, it is an error rather than a quiet fallback: a run configured for real Terraform must not
 * pass on the model alone.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { type TfOptions, type TfPlan, type TfResult, apply, destroy, plan } from './executor';
import { terraformApply, terraformDestroy, terraformPlan } from './terraform';

export * from './executor';
export { defaultStatePath } from './terraform';
export { TfConfigError } from './config';

export interface TfRunner {
  readonly kind: 'builtin' | 'terraform';
  /** The terraform/tofu executable, for kind `terraform`. */
  readonly binary?: string;
  /** `extra` overrides the runner's options for this call (crashAfter, onEvent, vars...). */
  apply(extra?: Partial<TfOptions>): Promise<TfResult>;
  destroy(extra?: Partial<TfOptions>): Promise<TfResult>;
  plan(extra?: Partial<TfOptions>): Promise<TfPlan>;
}

/** The executable `name` resolves to on `PATH` (a name with a slash is taken as a path), if any. */
export function findExecutable(name: string, pathVar: string | undefined): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (pathVar ?? '').split(':').map((d) => path.join(d || '.', name));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}

/** The real binary's runner (see availability.ts for which binary); throws where there is none. */
export function terraformRunner(o: TfOptions, binary: string): TfRunner {
  return {
    kind: 'terraform',
    binary,
    apply: (x) => terraformApply(binary, { ...o, ...x }),
    destroy: (x) => terraformDestroy(binary, { ...o, ...x }),
    plan: (x) => terraformPlan(binary, { ...o, ...x }),
  };
}

export function runner(o: TfOptions): TfRunner {
  const env = o.env ?? process.env;
  const name = env.TERRAFORM_BINARY_NAME;
  if (!name)
    return {
      kind: 'builtin',
      apply: (x) => apply({ ...o, ...x }),
      destroy: (x) => destroy({ ...o, ...x }),
      plan: (x) => plan({ ...o, ...x }),
    };
  const bin = findExecutable(name, env.PATH);
  if (!bin)
    throw new Error(
      `TERRAFORM_BINARY_NAME=${name}, but no executable of that name is on PATH; install it, or unset ` +
        'TERRAFORM_BINARY_NAME to use the built-in executor',
    );
  return terraformRunner(o, bin);
}
