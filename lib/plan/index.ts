// lib/plan: topology -> DAG of steps in the manual's order, and the teardown order (DESIGN §5).
export * from './step';
export { planCluster, topoSort, backupDirOf, BACKUP_NAME } from './build';
export { stepDigest, planManifest, parseManifest, resourceName } from './manifest';
export { formatPlan } from './format';
