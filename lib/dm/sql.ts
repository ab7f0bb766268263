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
  restore: (ini: string, dir: string) => `RESTORE DATABASE '${ini}' FROM BACKUPSET '${dir}'`,
  recover: (ini: string, dir: string) => `RECOVER DATABASE '${ini}' FOR STANDBY FROM BACKUPSET '${dir}'`,
  updateDbMagic: (ini: string) => `RECOVER DATABASE '${ini}' UPDATE DB_MAGIC`,
};
