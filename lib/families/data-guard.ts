/**
 * The data-guard family (build manual chapter 7, data-guard manual V4.0): RealtimePair,
 * ReadWriteCluster, DscPrimary, MppGroup. Its pieces still live in lib/spec, lib/validate/rules,
 * lib/render and lib/plan; this is its entry in the registry.
 */
import { planDataGuard } from '../plan/build';
import { renderDataGuard } from '../render';
import { renderDmSvc } from '../render/dmsvc';
import type { ClusterModel } from '../spec/model';
import { resolveSpec } from '../spec/resolve';
import type { DataGuardSpec } from '../spec/schema';
import { runRule } from '../validate/rule';
import { RULES } from '../validate/rules';
import type { ClusterFamily } from './index';

export const dataGuardFamily: ClusterFamily<DataGuardSpec, ClusterModel> = {
  kinds: ['RealtimePair', 'ReadWriteCluster', 'DscPrimary', 'MppGroup'],
  validate(spec) {
    const model = resolveSpec(spec);
    return { model, findings: RULES.flatMap((r) => runRule(r, { spec, model })) };
  },
  rules: RULES,
  render: renderDataGuard,
  plan: planDataGuard,
  dmSvc: renderDmSvc,
};
