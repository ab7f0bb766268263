/**
 * dmrman CTLSTMT="<statement>" [DCR_INI=..] [USE_AP=1|2]           (7.1.1)
 * dmrman USE_AP=2 [DCR_INI=..]   then statements on stdin, ';'-terminated (RMAN> console, 7.5.3.3)
 *
 *   BACKUP DATABASE '<dm.ini>' [FULL] [TO <name>] BACKUPSET '<dir>'
 *   RESTORE DATABASE '<dm.ini>' FROM BACKUPSET '<dir>'
 *   RECOVER DATABASE '<dm.ini>' [FOR STANDBY] FROM BACKUPSET '<dir>'
 *   RECOVER DATABASE '<dm.ini>' UPDATE DB_MAGIC
 *
 * All are offline: the database's server must be stopped. USE_AP=1 (DM8's default, through the
 * dmap service) is accepted and behaves like USE_AP=2; dmap is not modelled.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  allowKeys,
  DmError,
  E,
  logAction,
  opDelay,
  parseDmArgs,
  randomU32,
  readStdin,
  readText,
} from '../common';
import { dbMagicHex, destNames, loadDcrIni, loadDmIni, parseArchIni, PathMap, type DmIni } from '../config';
import { assertNotRunning, readState, updateState, type DbState } from '../state';
import { defaultBackupName, readBackupSet, writeBackupSet } from '../backup';

export async function dmrman(argv: string[]): Promise<number> {
  const args = parseDmArgs(argv);
  allowKeys(args, 'dmrman', ['CTLSTMT', 'CTLFILE', 'USE_AP', 'DCR_INI', 'AP_PORT_NUM', 'SHOW_PARAMS']);
  if (args.words.length) throw new DmError(E.INVALID_ARG, `dmrman: invalid parameter ${args.words[0]}`);
  const useAp = args.kv.get('USE_AP');
  if (useAp !== undefined && useAp !== '1' && useAp !== '2')
    throw new DmError(E.INVALID_ARG, 'dmrman: USE_AP must be 1 or 2');
  const dcrIni = args.kv.get('DCR_INI');
  const paths = dcrIni ? new PathMap(loadDcrIni(dcrIni).asmRoot) : PathMap.fromDcrIni();
  let stmts: string[];
  const ctl = args.kv.get('CTLSTMT');
  const ctlFile = args.kv.get('CTLFILE');
  const interactive = !ctl && !ctlFile;
  if (ctl) stmts = [ctl];
  else if (ctlFile) stmts = splitRman(fs.readFileSync(ctlFile, 'utf8'));
  else stmts = splitRman(await readStdin());
  process.stdout.write('dmrman V8\n');
  for (const raw of stmts) {
    const stmt = raw.trim().replace(/;\s*$/, '').trim();
    if (!stmt) continue;
    if (/^(EXIT|QUIT)$/i.test(stmt)) break;
    process.stdout.write(`RMAN> ${stmt}${interactive ? ';' : ''}\n`);
    logAction('rman', { stmt });
    try {
      const msg = await run(stmt, paths);
      logAction('rman-done', { stmt, ok: true });
      process.stdout.write(`${msg}\ntime used: ${(Math.random() * 10 + 1).toFixed(3)}(ms)\n`);
    } catch (e) {
      logAction('rman-done', { stmt, ok: false, error: (e as Error).message });
      throw e;
    }
  }
  return 0;
}

function splitRman(text: string): string[] {
  return text
    .split(/;\s*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*(--.*\n)*/g, '').trim())
    .filter(Boolean);
}

async function run(stmt: string, paths: PathMap): Promise<string> {
  let m: RegExpExecArray | null;
  if (
    (m =
      /^BACKUP\s+DATABASE\s+'([^']+)'(?:\s+FULL)?(\s+SHADOW)?(?:\s+TO\s+([A-Za-z_][\w$#]*))?\s+BACKUPSET\s+'([^']+)'(?:\s+(.*))?$/is.exec(
        stmt,
      ))
  ) {
    const ini = loadDmIni(m[1] ?? '', paths);
    if (
      m[5] &&
      !/^((COMPRESSED(\s+LEVEL\s+\d)?|PARALLEL\s+\d+|BACKUPINFO\s+'[^']*'|MAXPIECESIZE\s+\d+)\s*)+$/i.test(
        m[5],
      )
    )
      throw new DmError(E.SYNTAX, `语法分析出错: BACKUP option ${m[5]} is not modelled`);
    return backup(ini, m[4] ?? '', m[3], !!m[2]);
  }
  if ((m = /^RESTORE\s+DATABASE\s+'([^']+)'(\s+TO\s+SHADOW)?\s+FROM\s+BACKUPSET\s+'([^']+)'$/is.exec(stmt)))
    return restore(loadDmIni(m[1] ?? '', paths), m[3] ?? '', !!m[2]);
  if ((m = /^RECOVER\s+DATABASE\s+'([^']+)'(\s+FOR\s+STANDBY)?\s+FROM\s+BACKUPSET\s+'([^']+)'$/is.exec(stmt)))
    return recoverFrom(loadDmIni(m[1] ?? '', paths), m[3] ?? '', !!m[2]);
  if ((m = /^RECOVER\s+DATABASE\s+'([^']+)'\s+UPDATE\s+DB_MAGIC$/is.exec(stmt)))
    return updateDbMagic(loadDmIni(m[1] ?? '', paths));
  throw new DmError(
    E.SYNTAX,
    `语法分析出错: dmsim's dmrman does not model ${JSON.stringify(stmt.slice(0, 60))}`,
  );
}

async function backup(ini: DmIni, dir: string, name?: string, shadow = false): Promise<string> {
  assertNotRunning(ini, 'offline BACKUP', '7.1.1');
  const s = readState(ini.ctlPath);
  if (shadow && (!s.dpc || s.dpc.role === 'SP'))
    throw new DmError(
      E.BACKUP,
      'BACKUP ... SHADOW is for the RAFT primary of a DMDPC BP or MP group; this database is not one',
      '003 7.5.1',
    );
  if (!s.firstNormalStartDone)
    throw new DmError(
      E.STATE,
      'a newly initialised database must be started normally and shut down normally before it is backed up',
      '7.1 注意',
    );
  if (s.lastShutdown !== 'NORMAL')
    throw new DmError(
      E.STATE,
      `the database was not shut down normally (last shutdown: ${s.lastShutdown}); start it and shut it down normally first`,
      '7.1.1',
    );
  if (s.pending) throw new DmError(E.STATE, `the database still needs ${s.pending} after a restore`, '7.1');
  if (!ini.archIni || !hasLocalArchive(ini))
    throw new DmError(
      E.BACKUP,
      'backup needs a LOCAL archive: ARCH_INI = 1 and an ARCH_TYPE = LOCAL section in dmarch.ini',
      '7.1',
    );
  if (s.dscNodes) checkDscArchiveLogs(ini, s);
  await opDelay('backup');
  const meta = writeBackupSet(dir, name ?? defaultBackupName(s.dbName), false, ini.instanceName, s, shadow);
  logAction('backup', { online: false, ini: ini.file, dir, name: meta.name, ...(shadow ? { shadow } : {}) });
  return 'backup successfully!';
}

/**
 * 7.5.3.3: a DMDSC database is backed up offline only once every node has generated archive logs
 * ("在 DMDSC 集群生成有归档日志的情况下进行脱机备份"), which the standby later needs to check log
 * continuity. dmrman reads this node's LOCAL archive and, through its REMOTE archives (§2.7.3:
 * ARCH_INCOMING_PATH = the other node's LOCAL archive directory), every other node's, and wants
 * at least one archive log of the current database (its DB_MAGIC) in each. Deliberately stricter
 * than DM, which takes the backup and lets the standby's log-continuity check fail later.
 */
function checkDscArchiveLogs(ini: DmIni, s: DbState): void {
  const file = path.join(ini.configPath, 'dmarch.ini');
  const archives = parseArchIni(readText(file, 'dmarch.ini (ARCH_INI=1)', '§5.3'), file).archives;
  const local = archives.find((a) => a.type === 'LOCAL');
  if (!local) return; // refused below as "no LOCAL archive"
  const dirs: { node: string; dest: string }[] = [{ node: ini.instanceName, dest: local.dest }];
  for (const n of s.dscNodes ?? []) {
    if (n.toUpperCase() === ini.instanceName.toUpperCase()) continue;
    const remote = archives.find(
      (a) => a.type === 'REMOTE' && destNames(a).some((d) => d.toUpperCase() === n.toUpperCase()),
    );
    if (!remote?.incomingPath)
      throw new DmError(
        E.BACKUP,
        `offline BACKUP of DMDSC database ${s.dbName}: ${file} has no REMOTE archive to node ${n}, so the archive logs of ${n} cannot be found; every DMDSC node archives to every other node`,
        '§2.7.3, 7.5.3.1',
      );
    dirs.push({ node: n, dest: remote.incomingPath });
  }
  const prefix = dbMagicHex(s.dbMagic);
  for (const d of dirs) {
    const dir = ini.paths.map(d.dest);
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      /* no directory: no archive log */
    }
    const mine = new RegExp(`_${prefix}_EP\\d+_[\\d_-]+\\.log$`);
    if (!names.some((f) => mine.test(f)))
      throw new DmError(
        E.BACKUP,
        `offline BACKUP of DMDSC database ${s.dbName} refused: the archive directory ${d.dest} of node ${d.node} holds no archive log of this database (DB_MAGIC ${prefix}); start every DMDSC node with ARCH_INI = 1, then shut it down normally, before the offline backup`,
        '7.5.3.3',
      );
  }
}

function hasLocalArchive(ini: DmIni): boolean {
  try {
    const text = fs.readFileSync(path.join(ini.configPath, 'dmarch.ini'), 'utf8');
    return /^\s*ARCH_TYPE\s*=\s*LOCAL\b/im.test(text);
  } catch {
    return false;
  }
}

async function restore(ini: DmIni, dir: string, toShadow = false): Promise<string> {
  assertNotRunning(ini, 'RESTORE onto a running database', '7.1.1');
  const target = readState(ini.ctlPath);
  const meta = readBackupSet(dir);
  const shadow = toShadow || meta.shadow === true;
  if (shadow && (!meta.source.dpc || meta.source.dpc.role === 'SP'))
    throw new DmError(
      E.BACKUP,
      `RESTORE ... TO SHADOW: backup set ${dir} is not of a DMDPC BP or MP; a shadow replica is a RAFT replica`,
      '003 7.5.1',
    );
  await opDelay('restore');
  updateState(ini.ctlPath, (s) => {
    s.dbId = crypto.randomUUID();
    s.permanentMagic = meta.source.permanentMagic;
    s.dbMagic = meta.source.dbMagic;
    s.oguid = meta.source.oguid; // 7.1.2 note: the backup carries the source's mode and OGUID
    s.mode = meta.source.mode;
    s.sysdba = meta.source.sysdba;
    s.lsn = meta.source.lsn;
    s.dbName = meta.source.dbName;
    s.firstNormalStartDone = meta.source.firstNormalStartDone;
    s.lastShutdown = 'NORMAL';
    s.pending = meta.online ? 'RECOVER' : 'UPDATE_DB_MAGIC';
    s.restoredFrom = { backupSet: path.resolve(dir), online: meta.online };
    if (target.dscNodes) s.dscNodes = target.dscNodes;
    else delete s.dscNodes;
    // DMDPC: the backup carries the role and an MP's catalogue (003 7.3.6); the replica is new
    if (meta.source.dpc) {
      s.dpc = { role: meta.source.dpc.role, restored: true };
      if (meta.source.dpc.catalog) s.dpc.catalog = meta.source.dpc.catalog;
      if (shadow) s.dpc.shadow = true;
    } else delete s.dpc;
    delete s.needsRedo;
  });
  logAction('restore', {
    ini: ini.file,
    dir,
    from: meta.source.instance,
    online: meta.online,
    ...(meta.source.dpc ? { dpcMode: meta.source.dpc.role } : {}),
    ...(shadow ? { shadow } : {}),
  });
  return 'restore successfully.';
}

async function recoverFrom(ini: DmIni, dir: string, forStandby: boolean): Promise<string> {
  assertNotRunning(ini, 'RECOVER', '7.1.2');
  const s = readState(ini.ctlPath);
  const meta = readBackupSet(dir);
  if (meta.source.permanentMagic !== s.permanentMagic)
    throw new DmError(E.MAGIC, `backup set ${dir} is of another database (PERMANENT_MAGIC differs)`, '7.1');
  await opDelay('recover');
  updateState(ini.ctlPath, (x) => {
    if (x.pending === 'RECOVER') x.pending = 'UPDATE_DB_MAGIC';
  });
  logAction('recover', { ini: ini.file, dir, forStandby });
  return 'recover successfully!';
}

async function updateDbMagic(ini: DmIni): Promise<string> {
  assertNotRunning(ini, 'RECOVER ... UPDATE DB_MAGIC', '7.1.1');
  const s = readState(ini.ctlPath);
  if (s.pending === 'RECOVER')
    throw new DmError(
      E.STATE,
      'the restored online backup must be recovered first: RECOVER DATABASE ... [FOR STANDBY] FROM BACKUPSET',
      '7.1.2',
    );
  await opDelay('recover');
  updateState(ini.ctlPath, (x) => {
    let m = randomU32();
    while (m === x.dbMagic) m = randomU32();
    x.dbMagic = m;
    x.pending = null;
  });
  logAction('update-db-magic', { ini: ini.file });
  return 'recover successfully!';
}
