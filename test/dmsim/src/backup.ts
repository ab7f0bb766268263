/**
 * Backup sets (7.1): a directory holding <name>.meta (what the restore carries: permanent magic,
 * mode, OGUID, SYSDBA hash, ...) and <name>.bak (filler bytes with a checksum, so a broken copy
 * between hosts is detected on RESTORE).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { DmError, E } from './common';
import type { DbState, DpcCatalog, DpcRole } from './state';

export interface BackupMeta {
  format: 'dmsim-bak/1';
  name: string;
  online: boolean;
  time: string;
  source: {
    instance: string;
    dbName: string;
    dbId: string;
    permanentMagic: number;
    dbMagic: number;
    oguid: number;
    mode: DbState['mode'];
    lsn: number;
    sysdba: DbState['sysdba'];
    dscNodes?: string[];
    firstNormalStartDone: boolean;
    /** DMDPC: the role and, of an MP, its catalogue (003 7.3.6: MP2/MP3 get MP1's registrations). */
    dpc?: { role: DpcRole; catalog?: DpcCatalog };
  };
  /** 003 7.5.1 method 1: BACKUP ... FULL SHADOW: what is restored from it is a shadow replica. */
  shadow?: boolean;
  files: { name: string; size: number; sha256: string }[];
}

export function defaultBackupName(dbName: string, d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `DB_${dbName}_FULL_${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}_${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}_${p(d.getMilliseconds(), 6)}`;
}

export function writeBackupSet(
  dir: string,
  name: string,
  online: boolean,
  instance: string,
  s: DbState,
  shadow = false,
): BackupMeta {
  if (!path.isAbsolute(dir)) throw new DmError(E.BACKUP, `backup set path ${dir} must be absolute`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
    throw new DmError(E.BACKUP, `backup set directory ${dir} already exists and is not empty`);
  fs.mkdirSync(dir, { recursive: true });
  const size = Number(process.env.DMSIM_BACKUP_BYTES ?? 256 * 1024);
  const data = crypto.randomBytes(Math.max(0, size));
  const bak = `${name}.bak`;
  fs.writeFileSync(path.join(dir, bak), data);
  const meta: BackupMeta = {
    format: 'dmsim-bak/1',
    name,
    online,
    time: new Date().toISOString(),
    source: {
      instance,
      dbName: s.dbName,
      dbId: s.dbId,
      permanentMagic: s.permanentMagic,
      dbMagic: s.dbMagic,
      oguid: s.oguid,
      mode: s.mode,
      lsn: s.lsn,
      sysdba: s.sysdba,
      firstNormalStartDone: s.firstNormalStartDone,
    },
    files: [{ name: bak, size: data.length, sha256: crypto.createHash('sha256').update(data).digest('hex') }],
  };
  if (s.dscNodes) meta.source.dscNodes = s.dscNodes;
  if (s.dpc) {
    meta.source.dpc = { role: s.dpc.role };
    if (s.dpc.catalog) meta.source.dpc.catalog = s.dpc.catalog;
  }
  if (shadow) meta.shadow = true;
  fs.writeFileSync(path.join(dir, `${name}.meta`), JSON.stringify(meta, null, 1) + '\n');
  return meta;
}

/** Read and verify a backup set (every file present with its recorded size and checksum). */
export function readBackupSet(dir: string): BackupMeta {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    throw new DmError(E.BACKUP, `backup set ${dir} not found`);
  }
  const metas = names.filter((n) => n.endsWith('.meta'));
  if (metas.length !== 1) throw new DmError(E.BACKUP, `${dir} is not a backup set (no single .meta file)`);
  let meta: BackupMeta;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(dir, metas[0] ?? ''), 'utf8')) as BackupMeta;
    if (meta.format !== 'dmsim-bak/1') throw new Error('format');
  } catch {
    throw new DmError(E.BACKUP, `backup set ${dir}: damaged .meta file`);
  }
  for (const f of meta.files) {
    let data: Buffer;
    try {
      data = fs.readFileSync(path.join(dir, f.name));
    } catch {
      throw new DmError(E.BACKUP, `backup set ${dir}: piece ${f.name} is missing`);
    }
    if (data.length !== f.size || crypto.createHash('sha256').update(data).digest('hex') !== f.sha256)
      throw new DmError(E.BACKUP, `backup set ${dir}: piece ${f.name} is damaged (size or checksum differs)`);
  }
  return meta;
}
