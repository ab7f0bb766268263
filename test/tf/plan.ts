/**
 * Planning, a pure function of configuration, variable values and state, with Terraform's rules:
 * a resource not in the state is created; a tainted one, or one whose triggers differ from the
 * state's (including a trigger that refers to a resource about to be created or replaced, whose
 * id is only known after apply), is replaced; every other one is left alone; resources in the
 * state but no longer in the configuration are destroyed.
 */
import type { Config, Field, Vars } from './config';
import { type Ref, type Value, evaluate } from './expr';
import { topoOrder } from './graph';
import type { State } from './state';

/** What an expression can see: `undefined` marks a value only known after apply. */
export interface Scope {
  vars: Vars;
  self?: { id: string; triggers: Record<string, string> };
  resource(
    address: string,
  ): { id: string | undefined; triggers: Record<string, string | undefined> } | undefined;
}

/** Evaluate a field whose references `loadConfig` has already checked. */
export function evalField(f: Field, scope: Scope): Value {
  return evaluate(f.parts, (ref: Ref): Value => {
    if (ref.kind === 'var') return scope.vars.get(ref.name)!;
    const name = ref.kind === 'self' ? 'self' : `null_resource.${ref.name}`;
    const target = ref.kind === 'self' ? scope.self : scope.resource(name);
    if (!target) return { value: undefined, sensitive: false };
    if (ref.attr === 'id') return { value: target.id, sensitive: false };
    if (!(ref.key in target.triggers)) throw new Error(`${f.where}: ${name} has no trigger "${ref.key}"`);
    return { value: target.triggers[ref.key], sensitive: false };
  });
}

export type Action = 'create' | 'replace' | 'noop';

export interface Plan {
  /** Every configured resource, in dependency order. */
  resources: { address: string; action: Action }[];
  /** In the state, not in the configuration. */
  orphans: string[];
}

function sameTriggers(a: Record<string, string | undefined>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export function planApply(cfg: Config, vars: Vars, state: State): Plan {
  const order = topoOrder(new Map([...cfg.resources].map(([a, r]) => [a, r.deps])));
  const planned = new Map<string, { action: Action; triggers: Record<string, string | undefined> }>();
  const scope: Scope = {
    vars,
    resource: (address) => {
      const p = planned.get(address)!;
      return { id: p.action === 'noop' ? state.resources[address]!.id : undefined, triggers: p.triggers };
    },
  };
  for (const address of order) {
    const triggers = Object.fromEntries(
      cfg.resources.get(address)!.triggers.map(([k, f]) => [k, evalField(f, scope).value]),
    );
    const prior = state.resources[address];
    const action: Action = !prior
      ? 'create'
      : prior.tainted || !sameTriggers(triggers, prior.triggers)
        ? 'replace'
        : 'noop';
    planned.set(address, { action, triggers });
  }
  return {
    resources: order.map((address) => ({ address, action: planned.get(address)!.action })),
    orphans: Object.keys(state.resources)
      .filter((a) => !cfg.resources.has(a))
      .sort(),
  };
}
