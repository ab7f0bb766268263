/**
 * The plan manifest (the CDKTF asset `dmdeploy step` reads) and the content digest each step's
 * Terraform resource carries as its trigger. Canonical JSON: sorted keys, so the same plan gives
 * the same bytes and the same digests. Neither holds a secret.
 *
 * In the manifest each file's content is written once, in `contents` under its sha256, and the
 * steps' files name it by `sha256`: an MPP plan hands the same dmmpp.ini, dmmonitor.ini and
 * dmmal.ini to many steps. parseManifest puts the content back, so a Plan is the same in memory.
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

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A step file in params: `{ path, content, ... }`. */
const isFile = (v: unknown): v is { path: string; content: string } =>
  !!v &&
  typeof v === 'object' &&
  typeof (v as { path?: unknown }).path === 'string' &&
  typeof (v as { content?: unknown }).content === 'string';

/** `value` with every file's content moved into `contents` (by sha256), or put back from it. */
function mapFiles(value: unknown, file: (f: Record<string, unknown>) => Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => mapFiles(v, file));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (isFile(o) || (typeof o.path === 'string' && typeof o.sha256 === 'string')) return file(o);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, mapFiles(v, file)]));
  }
  return value;
}

export function planManifest(plan: Plan): string {
  const contents: Record<string, string> = {};
  const pack = (s: Step): Step => ({
    ...s,
    params: mapFiles(s.params, ({ content, ...rest }) => {
      const digest = sha256(String(content));
      contents[digest] = String(content);
      return { ...rest, sha256: digest };
    }) as Step['params'],
  });
  return `${canonicalJson({ ...plan, steps: plan.steps.map(pack), teardown: plan.teardown.map(pack), contents })}\n`;
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
  const p = v as Partial<Plan> & { contents?: Record<string, string> };
  // version 2: secrets' sources, file contents by sha256; an older manifest is not read
  if (p && typeof p === 'object' && typeof p.version === 'number' && p.version !== 2)
    throw new Error(
      `${where}: a version ${p.version} plan manifest, written by another dmdeploy; fix: synthesize again with this one`,
    );
  if (!p || !Array.isArray(p.steps) || !Array.isArray(p.teardown) || !p.hosts || !p.secrets)
    throw new Error(`${where}: not a version 2 plan manifest; fix: synthesize again with this dmdeploy`);
  const { contents = {}, ...plan } = p;
  const unpack = (s: Step): Step => ({
    ...s,
    params: mapFiles(s.params, ({ sha256: digest, ...rest }) => {
      const content = contents[String(digest)];
      if (content === undefined)
        throw new Error(
          `${where}: step ${s.id} names file content ${String(digest)} that is not in the manifest`,
        );
      return { ...rest, content };
    }) as Step['params'],
  });
  return { ...(plan as Plan), steps: p.steps.map(unpack), teardown: p.teardown.map(unpack) };
}

/** The Terraform resource name of a step: `GRP1_RT_02/restore` -> `GRP1_RT_02__restore`. */
export function resourceName(id: string): string {
  return id.replace(/\//g, '__').replace(/[^A-Za-z0-9_-]/g, '_');
}
