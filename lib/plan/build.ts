/**
 * From a validated model, the deploy plan in the manual's order (7.1-7.7) and the teardown plan
 * of §6.4. Pure: the same model gives the same plan.
 */
import type { AnyModel } from '../spec/model';
import { familyOf } from '../families';
import type { Plan } from './step';

export { topoSort } from './topo';
export { BACKUP_NAME, backupDirOf, joinsOnline } from '../families/data-guard/plan/parts';

/** The plan of any cluster family's model. */
export function planCluster(model: AnyModel): Plan {
  return familyOf(model.kind).plan(model);
}
