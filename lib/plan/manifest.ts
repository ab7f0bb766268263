/**
 * The plan manifest (the CDKTF asset `dmdeploy step` reads) and the content digest each step's
 * Terraform resource carries as its trigger. Canonical JSON: sorted keys, so the same plan gives
 * the same bytes and the same digests. Neither holds a secret.
 */
import { createHash } from 'node:crypto';
import type { Plan, Step } from './step';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 1);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/**
 * What a step does, digested: its id, host, parameters (files with their content) and where its
 * host is. Not its edges: a new neighbour must not make a finished step run again.
 */
export function stepDigest(plan: Plan, step: Step): string {
  const host = plan.hosts[step.host];
  const input = { id: step.id, host: step.host, params: step.params, at: host ?? null, dmHome: plan.dmHome };
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

export function planManifest(plan: Plan): string {
  return `${canonicalJson(plan)}\n`;
}

export function parseManifest(text: string, where: string): Plan {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${where}: not a plan manifest (${(e as Error).message}); fix: point --manifest at the plan.json that synth or render wrote`,
    );
  }
  const p = v as Partial<Plan>;
  if (
    !p ||
    p.version !== 1 ||
    !Array.isArray(p.steps) ||
    !Array.isArray(p.teardown) ||
    !p.hosts ||
    !p.secrets
  )
    throw new Error(`${where}: not a version 1 plan manifest; fix: synthesize again with this dmdeploy`);
  return p as Plan;
}

/** The Terraform resource name of a step: `GRP1_RT_02/restore` -> `GRP1_RT_02__restore`. */
export function resourceName(id: string): string {
  return id.replace(/\//g, '__').replace(/[^A-Za-z0-9_-]/g, '_');
}
