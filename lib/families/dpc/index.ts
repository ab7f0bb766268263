/** The DMDPC family (manual 003 chapter 7): DpcCluster. */
import { runRule } from '../../validate/rule';
import type { ClusterFamily } from '../index';
import type { DpcModel } from './model';
import { planDpc } from './plan';
import { renderDpc, renderDpcDmSvc } from './render';
import { resolveDpc } from './resolve';
import { dpcRules } from './rules';
import type { DpcClusterSpec } from './schema';

export const dpcFamily: ClusterFamily<DpcClusterSpec & { kind: 'DpcCluster' }, DpcModel> = {
  kinds: ['DpcCluster'],
  validate(spec) {
    const model = resolveDpc(spec);
    return { model, findings: dpcRules.flatMap((r) => runRule(r, { spec, model })) };
  },
  rules: dpcRules,
  render: renderDpc,
  plan: planDpc,
  verifyKind: 'dpc-verify',
  dmSvc: renderDpcDmSvc,
};
