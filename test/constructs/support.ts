/** Helpers for the construct tests: the manual's examples as props, synthesis, the Terraform graph. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Testing, TerraformStack, type App } from 'cdktf';
import { loadYaml } from '../../lib/spec/load';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { DmCluster } from '../../constructs';

export const EXAMPLES = path.join(__dirname, '../../examples');
/** Tests point the provisioners at a fixed absolute path so the JSON does not depend on the outdir. */
export const DMDEPLOY = '/opt/dm-cdktf/bin/dmdeploy';

export function example<K extends ClusterSpec['kind'] = 'RealtimePair'>(
  file: string,
): Extract<ClusterSpec, { kind: K }> {
  const text = readFileSync(path.join(EXAMPLES, file), 'utf8');
  return loadYaml(text, file).data as Extract<ClusterSpec, { kind: K }>;
}

export function withoutKind<T extends ClusterSpec>(spec: T): Omit<T, 'kind'> {
  const { kind, ...rest } = spec;
  void kind;
  return rest;
}

export interface LocalExec {
  command: string;
  environment?: Record<string, string>;
  when?: string;
}

export interface NullResourceJson {
  depends_on?: string[];
  triggers?: Record<string, string>;
  /** Absent on a barrier between teardown phases. */
  provisioner: { 'local-exec': LocalExec }[];
}

/** Resources a plan becomes: a step each, and a barrier between each two teardown phases. */
export const resourceCount = (plan: { steps: unknown[]; teardown: { phase: string }[] }): number =>
  plan.steps.length + plan.teardown.length + Math.max(0, new Set(plan.teardown.map((s) => s.phase)).size - 1);

/** A barrier between teardown phases: no trigger, no provisioner. */
export const isBarrier = (r: NullResourceJson | undefined): boolean =>
  r !== undefined && !r.triggers && !(r.provisioner as unknown);

export interface StackJson {
  resource: {
    null_resource: Record<string, NullResourceJson>;
    terraform_data?: Record<string, NullResourceJson & { triggers_replace?: Record<string, string> }>;
  };
  variable?: Record<string, Record<string, unknown>>;
  output: Record<string, { value: unknown; sensitive?: boolean; description?: string }>;
  provider: Record<string, unknown[]>;
}

/** A fresh app and stack, a cluster built in it, and the stack's synthesized JSON. */
export function synthCluster(
  build: (stack: TerraformStack) => DmCluster,
  app: App = Testing.app(),
  stackId = 'GRP1',
): { app: App; stack: TerraformStack; cluster: DmCluster; json: StackJson } {
  const stack = new TerraformStack(app, stackId);
  const cluster = build(stack);
  const json = JSON.parse(Testing.synth(stack)) as StackJson;
  return { app, stack, cluster, json };
}

export const ref = (name: string): string => `null_resource.${name}`;
export const unref = (address: string): string => address.replace(/^null_resource\./, '');

/**
 * The order `terraform destroy` runs destroy provisioners in, from the depends_on graph alone:
 * a resource is destroyed once every resource that depends on it is gone. Among the resources
 * that are ready at once (Terraform would run them in parallel), `tieBreak` picks.
 */
export function destroyOrder(
  resources: Record<string, NullResourceJson>,
  tieBreak: (name: string) => number,
): string[] {
  const dependents = new Map<string, Set<string>>(Object.keys(resources).map((n) => [n, new Set()]));
  for (const [name, r] of Object.entries(resources))
    for (const d of r.depends_on ?? []) dependents.get(unref(d))?.add(name);
  const gone = new Set<string>();
  const order: string[] = [];
  while (order.length < dependents.size) {
    const ready = [...dependents]
      .filter(([n, ds]) => !gone.has(n) && [...ds].every((d) => gone.has(d)))
      .map(([n]) => n);
    if (!ready.length) throw new Error('depends_on has a cycle');
    const next = ready.sort((a, b) => tieBreak(a) - tieBreak(b) || (a < b ? -1 : 1))[0] as string;
    gone.add(next);
    order.push(next);
  }
  return order;
}

/** Every resource `name` depends on, directly or not. */
export function dependsOnClosure(resources: Record<string, NullResourceJson>, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const d of resources[n]?.depends_on ?? []) {
      const m = unref(d);
      if (!seen.has(m)) {
        seen.add(m);
        visit(m);
      }
    }
  };
  visit(name);
  return seen;
}

/** Every (path, string) leaf of a JSON value. */
export function leaves(value: unknown, at = ''): [string, string][] {
  if (typeof value === 'string') return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, `${at}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => leaves(v, at ? `${at}.${k}` : k));
  return [];
}
