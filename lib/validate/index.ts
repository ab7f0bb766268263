/**
 * Validation: every rule the manuals state that can be checked from the spec. All findings are
 * collected (never only the first), each with a stable code, manual section, field path and fix.
 */
import { parseSpec } from '../spec/parse';
import type { ClusterSpec } from '../spec/schema';
import { familyOf, isDpcModel, type AnyModel } from '../families';
import type { ClusterModel } from '../families/data-guard/model';
import { hasErrors, SpecError, type Finding } from './finding';

export { RULES } from '../families/data-guard/rules';

export interface Validated {
  findings: Finding[];
  spec?: ClusterSpec;
  model?: AnyModel;
}

/** Shape check, defaults, then every rule. `model` is set whenever the shape was valid. */
export function validateSpec(input: unknown): Validated {
  const parsed = parseSpec(input);
  if (!parsed.ok) return { findings: parsed.findings };
  const { model, findings } = familyOf(parsed.spec.kind).validate(parsed.spec);
  return { findings, spec: parsed.spec, model };
}

/** For APIs (constructs, render): the model of a valid spec, or a SpecError listing every error. */
export function anyModelOrThrow(input: unknown): AnyModel {
  const v = validateSpec(input);
  if (!v.model || hasErrors(v.findings)) throw new SpecError(v.findings);
  return v.model;
}

/** The model of a valid data-guard spec (RealtimePair, ReadWriteCluster, DscPrimary, MppGroup). */
export function modelOrThrow(input: unknown): ClusterModel {
  const m = anyModelOrThrow(input);
  if (isDpcModel(m)) throw new Error('modelOrThrow: a DpcCluster spec; use anyModelOrThrow');
  return m;
}

export { formatFinding, hasErrors, SpecError, type Finding } from './finding';
