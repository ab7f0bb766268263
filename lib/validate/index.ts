/**
 * Validation: every rule the manuals state that can be checked from the spec. All findings are
 * collected (never only the first), each with a stable code, manual section, field path and fix.
 */
import { parseSpec } from '../spec/parse';
import { resolveSpec } from '../spec/resolve';
import type { ClusterModel } from '../spec/model';
import type { ClusterSpec } from '../spec/schema';
import { hasErrors, SpecError, type Finding } from './finding';
import { runRule, type Rule } from './rule';
import { nameRules } from './rules/names';
import { portRules } from './rules/ports';
import { topologyRules } from './rules/topology';
import { guardRules } from './rules/guard';
import { settingRules } from './rules/settings';
import { pathRules } from './rules/paths';
import { terraformRules } from './rules/terraform';

export const RULES: readonly Rule[] = [
  ...nameRules,
  ...portRules,
  ...topologyRules,
  ...guardRules,
  ...settingRules,
  ...pathRules,
  ...terraformRules,
];

export interface Validated {
  findings: Finding[];
  spec?: ClusterSpec;
  model?: ClusterModel;
}

/** Shape check, defaults, then every rule. `model` is set whenever the shape was valid. */
export function validateSpec(input: unknown): Validated {
  const parsed = parseSpec(input);
  if (!parsed.ok) return { findings: parsed.findings };
  const model = resolveSpec(parsed.spec);
  const findings = RULES.flatMap((r) => runRule(r, { spec: parsed.spec, model }));
  return { findings, spec: parsed.spec, model };
}

/** For APIs (constructs, render): the model of a valid spec, or a SpecError listing every error. */
export function modelOrThrow(input: unknown): ClusterModel {
  const v = validateSpec(input);
  if (!v.model || hasErrors(v.findings)) throw new SpecError(v.findings);
  return v.model;
}

export { formatFinding, hasErrors, SpecError, type Finding } from './finding';
