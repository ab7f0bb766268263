/** The shape of a validation rule, and the helper that builds its findings. */
import type { ClusterModel } from '../families/data-guard/model';
import type { DataGuardSpec } from '../families/data-guard/schema';
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
  spec: DataGuardSpec;
  model: ClusterModel;
}

/** A rule of one cluster family: the data-guard kinds' by default (a family's rules take its context). */
export interface Rule<C = RuleContext> extends RuleInfo {
  check(ctx: C, report: Reporter): void;
}

export type Reporter = (path: string, message: string, fix: string) => void;

export function defineRule<C = RuleContext>(rule: Rule<C>): Rule<C> {
  return rule;
}

export function runRule<C>(rule: Rule<C>, ctx: C): Finding[] {
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
