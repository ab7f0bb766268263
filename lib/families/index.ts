/**
 * The cluster families, registered once. A family is one kind of DM8 system with its own spec,
 * resolver, rules, renderer and planner, in its own folder: data guard (RealtimePair,
 * ReadWriteCluster, DscPrimary, MppGroup, with async and sync standbys; ./data-guard) and DMDPC
 * (DpcCluster; ./dpc). Validation, render, plan, the CLI and the constructs look a kind up here;
 * lib/spec, lib/render and lib/plan keep only what every family shares.
 */
import type { Plan } from '../plan/step';
import type { RenderedFile } from '../render';
import type { ClusterKind, ClusterSpec } from '../spec/schema';
import type { Finding } from '../validate/finding';
import type { RuleInfo } from '../validate/rule';
import { dataGuardFamily } from './data-guard';
import { dpcFamily } from './dpc';

export { isDpcModel } from './dpc/model';

export type { AnyModel } from '../spec/model';
import type { AnyModel } from '../spec/model';

export interface ClusterFamily<S extends ClusterSpec = ClusterSpec, M extends AnyModel = AnyModel> {
  /** The spec kinds it builds. */
  kinds: readonly ClusterKind[];
  /** Defaults applied, ports allocated; then every rule, all findings collected. */
  validate(spec: S): { model: M; findings: Finding[] };
  /** Every rule, for docs/validation.md. */
  rules: readonly RuleInfo[];
  render(model: M): RenderedFile[];
  plan(model: M): Plan;
  /** The clients' dm_svc.conf entry. */
  dmSvc(model: M): string;
  /**
   * The kind of the verify step its plans end with; `status` reads the live cluster through the
   * reader lib/steps/cluster-status.ts keeps for that kind (it touches the hosts, so it is not here).
   */
  verifyKind: 'verify' | 'dpc-verify';
}

export const FAMILIES = [dataGuardFamily, dpcFamily] as const;

export function familyOf(kind: ClusterKind): ClusterFamily {
  const f = FAMILIES.find((x) => (x.kinds as readonly string[]).includes(kind));
  if (!f) throw new Error(`no cluster family builds kind ${kind}`);
  return f as unknown as ClusterFamily;
}
