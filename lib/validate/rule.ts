/** The shape of a validation rule, and the helper that builds its findings. */
import type { ClusterModel } from '../spec/model';
import type { ClusterSpec } from '../spec/schema';
import type { Finding, Severity } from './finding';

export interface RuleInfo {
  code: string;
  severity: Severity;
  /** Manual section, e.g. "§5.7 item 2" or "7.2.1". */
  manual: string;
  /** One line for docs/validation.md: what the rule requires. */
  rule: string;
}

export interface RuleContext {
  spec: ClusterSpec;
  model: ClusterModel;
}

export interface Rule extends RuleInfo {
  check(ctx: RuleContext, report: Reporter): void;
}

export type Reporter = (path: string, message: string, fix: string) => void;

export function defineRule(rule: Rule): Rule {
  return rule;
}

export function runRule(rule: Rule, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  rule.check(ctx, (path, message, fix) =>
    out.push({ code: rule.code, severity: rule.severity, path, message, fix, manual: rule.manual }),
  );
  return out;
}

export function at(prefix: string, field: string): string {
  return prefix ? `${prefix}.${field}` : field;
}

export function inRange(v: number, lo: number, hi: number): boolean {
  return Number.isInteger(v) && v >= lo && v <= hi;
}
