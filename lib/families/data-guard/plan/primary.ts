/**
 * The primary of a group up to its offline backup: a new single database initialised, started once
 * normally and configured (7.1 note, 7.1.1); or an existing DMDSC cluster whose nodes get their
 * files, run once so that archives exist, and are backed up through dmrman use_ap=2 (7.5.3).
 */
import type { DatabaseModel, InstanceModel } from '../model';
import { BACKUP_NAME, dscNode, node0, server, type PlanBuilder } from './parts';

/** The steps that make a group's database files, shared by its builders. */
export interface DatabaseSteps {
  init(i: InstanceModel): string;
  config(i: InstanceModel, db: DatabaseModel, after: string): string;
}

/** The backup step's id (7.1.1, 7.5.3.3). */
export function planPrimaryBackup(
  b: PlanBuilder,
  primary: DatabaseModel,
  backupDir: string,
  { init, config }: DatabaseSteps,
): string {
  const { add, preflight, mppAfter } = b;
  const p = node0(primary);
  if (primary.layout === 'dsc') {
    // 7.5.3: an existing DMDSC cluster; its nodes get their files, run once so that archives
    // exist, and are backed up offline through dmrman use_ap=2 dcr_ini=
    const configs = primary.instances.map((i) => config(i, primary, preflight));
    const nodes = primary.instances.map(dscNode);
    const restart = add({
      id: `${primary.id}/dsc-restart`,
      phase: 'dsc-restart',
      host: p.host,
      title: `start every DMDSC node with its archives on, then stop them normally (${nodes.map((n) => n.instance).join(', ')})`,
      manual: '7.5.3.3',
      after: configs,
      params: { kind: 'dsc-restart', nodes },
    });
    return add({
      id: `${p.name}/backup`,
      phase: 'backup',
      host: p.host,
      title: `offline full backup with dmrman use_ap=2 dcr_ini=${p.dcrIni ?? ''} to ${backupDir}`,
      manual: '7.5.3.3',
      after: [restart],
      params: {
        kind: 'backup',
        backupDir,
        backupName: BACKUP_NAME,
        dcrIni: nodes[0]?.dcrIni ?? '',
        nodes,
        ...server(p),
      },
    });
  } else {
    const pInit = init(p);
    const firstStart = add({
      id: `${p.name}/first-start`,
      phase: 'first-start',
      host: p.host,
      title: 'first start of the new primary, normally, then a normal shutdown',
      manual: '7.1 (note)',
      after: [pInit],
      params: { kind: 'first-start', ...server(p) },
    });
    mppAfter.push(pInit);
    const pConfig = config(p, primary, firstStart);
    return add({
      id: `${p.name}/backup`,
      phase: 'backup',
      host: p.host,
      title: `offline full backup with dmrman to ${backupDir}`,
      manual: '7.1.1',
      // 7.1: dmrman backs up only a database that archives, so the primary's files come first
      after: [pConfig],
      params: { kind: 'backup', backupDir, backupName: BACKUP_NAME, ...server(p) },
    });
  }
}
