/**
 * The data-guard family (build manual chapter 7, data-guard manual V4.0): RealtimePair,
 * ReadWriteCluster, DscPrimary, MppGroup, with async and sync standbys. Its resolver, rules,
 * renderers and planner live in this folder; this is its entry in the registry.
 */
import { planDataGuard } from './plan';
import { renderDataGuard } from './render';
import { renderDmSvc } from './render/dmsvc';
import type { ClusterModel } from './model';
import { resolveSpec } from './resolve';
import type { DataGuardSpec } from './schema';
import { runRule } from '../../validate/rule';
import { RULES } from './rules';
import type { ClusterFamily } from '../index';

export const dataGuardFamily: ClusterFamily<DataGuardSpec, ClusterModel> = {
  kinds: ['RealtimePair', 'ReadWriteCluster', 'DscPrimary', 'MppGroup'],
  validate(spec) {
    const model = resolveSpec(spec);
    return { model, findings: RULES.flatMap((r) => runRule(r, { spec, model })) };
  },
  rules: RULES,
  render: renderDataGuard,
  plan: planDataGuard,
  verifyKind: 'verify',
  dmSvc: renderDmSvc,
};
