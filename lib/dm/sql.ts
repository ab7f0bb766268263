/** The SQL the steps send, from the manual, and how their answers are read. Pure. */
import { bareRows } from './disql';

/** 7.2.3.6-7.2.3.7: OGUID and mode change only with ALTER_MODE_STATUS = 1, then back to 0. */
export function setOguidAndMode(oguid: number, mode: 'PRIMARY' | 'STANDBY'): string[] {
  return [
    `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 1)`,
    `SP_SET_OGUID(${oguid})`,
    `ALTER DATABASE ${mode}`,
    `SP_SET_PARA_VALUE(1, 'ALTER_MODE_STATUS', 0)`,
  ];
}

export const INSTANCE_QUERY = 'SELECT STATUS$, MODE$, OGUID FROM V$INSTANCE';
export const ARCH_QUERY = 'SELECT ARCH_TYPE, ARCH_DEST, ARCH_STATUS FROM V$ARCH_STATUS';
export const WATCHER_QUERY = 'SELECT GROUP_NAME, DW_STATUS FROM V$DMWATCHER';

/** The parameters' kinds: SYS and SESSION are dynamic, IN FILE and READ ONLY take a restart. */
export const PARAM_TYPE_QUERY = 'SELECT NAME, TYPE FROM V$PARAMETER';

/** NAME -> TYPE ("IN FILE" and "READ ONLY" are two words in a bare row). */
export function parseParamTypes(output: string): Map<string, string> {
  return new Map(
    bareRows(output)
      .filter((r) => r.length >= 1 && /^[A-Z_][A-Z0-9_]*$/.test(r[0] ?? ''))
      .map((r) => [r[0] ?? '', r.slice(1).join(' ')] as const),
  );
}

/** Dynamic parameters, which SP_SET_PARA_VALUE(1, …) changes in the running server and dm.ini. */
export const isDynamicParam = (type: string | undefined) => type === 'SYS' || type === 'SESSION';

/** SP_SET_PARA_VALUE takes integer values (DOUBLE and STRING parameters have procedures of their own). */
export const setParaValue = (key: string, value: string): string | undefined =>
  /^-?\d+$/.test(value) ? `SP_SET_PARA_VALUE(1, '${key}', ${value})` : undefined;

/**
 * Of dm.ini `settings`, the SP_SET_PARA_VALUE statements that make them take effect in a running
 * server, and those it cannot take without a restart (with why), by their V$PARAMETER TYPE.
 */
export function splitSettings(
  settings: readonly (readonly [string, string])[],
  types: ReadonlyMap<string, string>,
): { online: string[]; needRestart: string[] } {
  const online: string[] = [];
  const needRestart: string[] = [];
  for (const [k, v] of settings) {
    const type = types.get(k);
    const stmt = setParaValue(k, v);
    if (!isDynamicParam(type))
      needRestart.push(
        `${k} (${type ? `TYPE ${type}` : type === undefined ? 'not in V$PARAMETER' : 'no TYPE in V$PARAMETER'})`,
      );
    else if (!stmt) needRestart.push(`${k} (not an integer value)`);
    else online.push(stmt);
  }
  return { online, needRestart };
}

export interface InstanceState {
  status: string;
  mode: string;
  oguid: number;
}

export function parseInstance(output: string): InstanceState | undefined {
  const row = bareRows(output).find((r) => r.length >= 3 && /^[A-Z]/.test(r[0] ?? ''));
  if (!row) return undefined;
  const [status, mode, oguid] = row;
  return { status: status ?? '', mode: mode ?? '', oguid: Number(oguid) };
}

export interface ArchiveState {
  type: string;
  dest: string;
  status: string;
}

export function parseArchives(output: string): ArchiveState[] {
  return bareRows(output)
    .filter((r) => r.length >= 3 && /^(LOCAL|REALTIME|TIMELY|ASYNC|SYNC|REMOTE)$/.test(r[0] ?? ''))
    .map(([type, dest, status]) => ({ type: type ?? '', dest: dest ?? '', status: status ?? '' }));
}

export function parseWatchers(output: string): { group: string; status: string }[] {
  return bareRows(output)
    .filter((r) => r.length >= 2)
    .map(([group, status]) => ({ group: group ?? '', status: status ?? '' }));
}

/** dmrman statements of 7.1.1 (offline: the server is stopped). */
export const rman = {
  backup: (ini: string, name: string, dir: string) =>
    `BACKUP DATABASE '${ini}' FULL TO ${name} BACKUPSET '${dir}'`,
  /** 003 7.5.1 method 1: a set that restores as a shadow replica (003:L1076). */
  backupShadow: (ini: string, name: string, dir: string) =>
    `BACKUP DATABASE '${ini}' FULL SHADOW TO ${name} BACKUPSET '${dir}'`,
  restore: (ini: string, dir: string) => `RESTORE DATABASE '${ini}' FROM BACKUPSET '${dir}'`,
  /** DMDPC shadow replica, 003 7.5.1 method 2. */
  restoreShadow: (ini: string, dir: string) => `RESTORE DATABASE '${ini}' TO SHADOW FROM BACKUPSET '${dir}'`,
  recover: (ini: string, dir: string) => `RECOVER DATABASE '${ini}' FOR STANDBY FROM BACKUPSET '${dir}'`,
  updateDbMagic: (ini: string) => `RECOVER DATABASE '${ini}' UPDATE DB_MAGIC`,
};
