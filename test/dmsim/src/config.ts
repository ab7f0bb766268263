/**
 * The DM ini files as the tools read them: dm.ini (+ dmmal.ini, dmarch.ini, dmtimer.ini,
 * dmmpp.ctl from CONFIG_PATH), dmwatcher.ini, dmmonitor.ini, dmdcr.ini. Parsing uses the
 * project's own `parseIni`; everything a DM tool would reject is rejected here, citing §5.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { parseIni } from '../../../lib/render/ini';
import { DmError, E, env, readText, writeFileAtomic } from './common';

type Parsed = ReturnType<typeof parseIni>;

function parse(text: string, file: string): Parsed {
  try {
    return parseIni(text);
  } catch (e) {
    throw new DmError(E.CONFIG, `${file}: ${(e as Error).message}`);
  }
}

function unique(entries: [string, string][], file: string, where: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of entries) {
    if (m.has(k))
      throw new DmError(
        E.CONFIG,
        `${file}: ${k} appears twice${where ? ` in ${where}` : ''} (dmsim is strict: which one DM uses is undefined)`,
      );
    m.set(k, v);
  }
  return m;
}

function int(v: string | undefined, key: string, file: string, dflt?: number): number {
  if (v === undefined || v === '') {
    if (dflt !== undefined) return dflt;
    throw new DmError(E.CONFIG, `${file}: ${key} is required`);
  }
  if (!/^-?\d+$/.test(v)) throw new DmError(E.CONFIG, `${file}: ${key} = ${v} is not an integer`);
  return Number(v);
}

function checkKeys(m: Map<string, string>, allowed: readonly string[], file: string, where: string): void {
  for (const k of m.keys())
    if (!allowed.includes(k))
      throw new DmError(E.CONFIG, `${file}: unknown parameter ${k} in ${where}`, '§5');
}

function port(v: string | undefined, key: string, file: string): number {
  const p = int(v, key, file);
  if (p < 1024 || p > 65534)
    throw new DmError(E.CONFIG, `${file}: ${key} = ${p} is outside 1024~65534`, '§5.7');
  return p;
}

// ---------------------------------------------------------------- paths (ASM, DMDSC)

/** Maps `+DISKGROUP/...` paths into the shared storage directory of a DMDSC cluster. */
export class PathMap {
  constructor(readonly asmRoot?: string) {}
  static fromDcrIni(dcrIni?: string): PathMap {
    if (env.asmDir()) return new PathMap(env.asmDir());
    if (!dcrIni) return new PathMap();
    return new PathMap(loadDcrIni(dcrIni).asmRoot);
  }
  map(p: string): string {
    if (!p.startsWith('+')) return p;
    if (!this.asmRoot)
      throw new DmError(
        E.DSC,
        `path ${p} is on ASM: a DMDSC node starts with DCR_INI=<dmdcr.ini>, its host's dmcss and dmasmsvr running`,
        '7.5.11',
      );
    return path.join(this.asmRoot, p.slice(1));
  }
}

// ---------------------------------------------------------------- dm.ini

export interface DmIni {
  file: string;
  text: string;
  values: Map<string, string>;
  instanceName: string;
  portNum: number;
  systemPath: string;
  ctlPath: string;
  configPath: string;
  archIni: boolean;
  malIni: boolean;
  timerIni: boolean;
  mppIni: boolean;
  alterModeStatus: number;
  dwInactiveInterval: number;
  listenIp?: string;
  /** DMDPC (003 7.1.1): the XMAL port (DPC_INSTANCE.XMAL_PORT). */
  apPortNum?: number;
  paths: PathMap;
}

export function loadDmIni(file: string, paths = new PathMap()): DmIni {
  const text = readText(file, 'dm.ini');
  const p = parse(text, file);
  if (p.sections.length) throw new DmError(E.CONFIG, `${file}: dm.ini has no [sections]`);
  const values = unique(p.globals, file, '');
  const get = (k: string) => values.get(k);
  const instanceName = get('INSTANCE_NAME') ?? 'DMSERVER';
  if (instanceName.length > 16)
    throw new DmError(
      E.CONFIG,
      `${file}: INSTANCE_NAME ${instanceName} is longer than 16 characters`,
      '§5.1',
    );
  const dir = path.dirname(path.resolve(file));
  const systemPath = paths.map(get('SYSTEM_PATH') ?? dir);
  const ini: DmIni = {
    file: path.resolve(file),
    text,
    values,
    instanceName,
    portNum: int(get('PORT_NUM'), 'PORT_NUM', file, 5236),
    systemPath,
    ctlPath: paths.map(get('CTL_PATH') ?? path.join(systemPath, 'dm.ctl')),
    configPath: paths.map(get('CONFIG_PATH') ?? dir),
    archIni: int(get('ARCH_INI'), 'ARCH_INI', file, 0) === 1,
    malIni: int(get('MAL_INI'), 'MAL_INI', file, 0) === 1,
    timerIni: int(get('TIMER_INI'), 'TIMER_INI', file, 0) === 1,
    mppIni: int(get('MPP_INI'), 'MPP_INI', file, 0) === 1,
    alterModeStatus: int(get('ALTER_MODE_STATUS'), 'ALTER_MODE_STATUS', file, 1),
    dwInactiveInterval: int(get('DW_INACTIVE_INTERVAL'), 'DW_INACTIVE_INTERVAL', file, 60),
    paths,
  };
  if (ini.portNum < 1024 || ini.portNum > 65534)
    throw new DmError(E.CONFIG, `${file}: PORT_NUM ${ini.portNum} is outside 1024~65534`, '§5.1');
  if (ini.dwInactiveInterval < 0 || ini.dwInactiveInterval > 1800)
    throw new DmError(E.CONFIG, `${file}: DW_INACTIVE_INTERVAL must be 0~1800`, '§5.1');
  if (![0, 1].includes(ini.alterModeStatus))
    throw new DmError(E.CONFIG, `${file}: ALTER_MODE_STATUS must be 0 or 1`, '§5.1');
  const listen = get('LISTEN_IP');
  if (listen) ini.listenIp = listen;
  const ap = get('AP_PORT_NUM');
  if (ap !== undefined) {
    ini.apPortNum = int(ap, 'AP_PORT_NUM', file);
    if (ini.apPortNum < 1024 || ini.apPortNum > 65534)
      throw new DmError(E.CONFIG, `${file}: AP_PORT_NUM ${ini.apPortNum} is outside 1024~65534`, '§5.1');
    if (ini.apPortNum === ini.portNum)
      throw new DmError(E.CONFIG, `${file}: AP_PORT_NUM must differ from PORT_NUM`, '003 7.1.1');
  }
  return ini;
}

/** SP_SET_PARA_VALUE(1|2, ...): rewrite one key of dm.ini in place, keeping its comments. */
export function setDmIniValue(file: string, key: string, value: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const re = new RegExp(`^(\\s*)${key}(\\s*=\\s*)([^#]*?)(\\s*(#.*)?)$`, 'i');
  let found = false;
  const out = lines.map((l) => {
    const m = re.exec(l);
    if (!m) return l;
    found = true;
    return `${m[1]}${key}${m[2]}${value}${m[4] ?? ''}`;
  });
  if (!found) {
    if (out.length && out[out.length - 1] === '') out.pop();
    out.push(`\t\t${key.padEnd(32)}= ${value}`, '');
  }
  writeFileAtomic(file, out.join('\n'));
}

/** `key = value` in `[section]` of an ini, in place (indentation and comment kept), written atomically. */
export function setSectionValue(file: string, section: string, key: string, value: string): void {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const re = new RegExp(`^(\\s*)${key}(\\s*=\\s*)([^#]*?)(\\s*(#.*)?)$`, 'i');
  let cur = '';
  let found = false;
  const out = lines.map((l) => {
    const sec = /^\s*\[([^\]]+)\]/.exec(l);
    if (sec) cur = (sec[1] ?? '').trim().toUpperCase();
    const m = cur === section.toUpperCase() ? re.exec(l) : null;
    if (!m) return l;
    found = true;
    return `${m[1] ?? ''}${key}${m[2] ?? ''}${value}${m[4] ?? ''}`;
  });
  if (!found) throw new DmError(E.CONFIG, `${file}: [${section}] has no ${key}`, '§5.4');
  writeFileAtomic(file, out.join('\n'));
}

// ---------------------------------------------------------------- dmmal.ini

export interface MalInst {
  section: string;
  name: string;
  host: string;
  port: number;
  instHost: string;
  instPort: number;
  dwPort: number;
  instDwPort: number;
  linkMagic: number;
}

export interface MalIni {
  file: string;
  globals: Map<string, string>;
  insts: MalInst[];
  /** Canonical form (comments, spacing and key case do not matter) for "identical" checks. */
  digest: string;
}

const MAL_GLOBAL_KEYS = [
  'MAL_CHECK_INTERVAL',
  'MAL_SEND_THRESHOLD',
  'MAL_CONN_FAIL_INTERVAL',
  'MAL_LOGIN_TIMEOUT',
  'MAL_BUF_SIZE',
  'MAL_SYS_BUF_SIZE',
  'MAL_VPOOL_SIZE',
  'MAL_COMPRESS_LEVEL',
  'MAL_TEMP_PATH',
  'MAL_COMBIN_BUF_SIZE',
  'MAL_MESSAGE_CHECK',
];
const MAL_INST_KEYS = [
  'MAL_INST_NAME',
  'MAL_HOST',
  'MAL_PORT',
  'MAL_INST_HOST',
  'MAL_INST_PORT',
  'MAL_DW_PORT',
  'MAL_INST_DW_PORT',
  'MAL_LINK_MAGIC',
  'MAL_MESSAGE_CHECK',
];

export function parseMalIni(text: string, file: string): MalIni {
  const p = parse(text, file);
  const globals = unique(p.globals, file, 'the global part');
  checkKeys(globals, MAL_GLOBAL_KEYS, file, 'the global part');
  const insts: MalInst[] = [];
  const sectionNames = new Set<string>();
  for (const s of p.sections) {
    const m = unique(s.entries, file, `[${s.name}]`);
    checkKeys(m, MAL_INST_KEYS, file, `[${s.name}]`);
    const sec = s.name.toUpperCase();
    if (sectionNames.has(sec))
      throw new DmError(E.CONFIG, `${file}: section [${s.name}] appears twice`, '§5.2');
    sectionNames.add(sec);
    const name = m.get('MAL_INST_NAME');
    const host = m.get('MAL_HOST');
    if (!name || !host)
      throw new DmError(E.CONFIG, `${file}: [${s.name}] needs MAL_INST_NAME and MAL_HOST`, '§5.2');
    const inst: MalInst = {
      section: sec,
      name,
      host,
      port: port(m.get('MAL_PORT'), 'MAL_PORT', file),
      instHost: m.get('MAL_INST_HOST') ?? host,
      instPort: port(m.get('MAL_INST_PORT'), 'MAL_INST_PORT', file),
      dwPort: port(m.get('MAL_DW_PORT'), 'MAL_DW_PORT', file),
      instDwPort: port(m.get('MAL_INST_DW_PORT'), 'MAL_INST_DW_PORT', file),
      linkMagic: int(m.get('MAL_LINK_MAGIC'), 'MAL_LINK_MAGIC', file, 0),
    };
    if (insts.some((i) => i.name.toUpperCase() === name.toUpperCase()))
      throw new DmError(E.CONFIG, `${file}: MAL_INST_NAME ${name} appears twice`, '§5.2');
    if (inst.port === inst.instPort || inst.port === inst.instDwPort)
      throw new DmError(
        E.CONFIG,
        `${file}: [${s.name}] MAL_PORT must differ from MAL_INST_PORT and MAL_INST_DW_PORT`,
        '§5.7',
      );
    insts.push(inst);
  }
  // DM compares the MAL configuration it holds, not the file's text: section names (SF_MAL_INST_ADD
  // picks its own), order and MAL_LINK_MAGIC's default do not matter (7.10.2.2, §5.2)
  const canon = {
    g: [...globals.entries()].sort(),
    s: insts
      .map((i) => ({ ...i, section: '' }))
      .sort((a, b) => a.name.toUpperCase().localeCompare(b.name.toUpperCase()))
      .map((i) => JSON.stringify(i)),
  };
  return { file, globals, insts, digest: sha(JSON.stringify(canon)) };
}

export function loadMalIni(ini: DmIni): MalIni {
  const file = path.join(ini.configPath, 'dmmal.ini');
  return parseMalIni(readText(file, 'dmmal.ini (MAL_INI=1)', '§5.2'), file);
}

export function malInst(mal: MalIni, name: string): MalInst | undefined {
  return mal.insts.find((i) => i.name.toUpperCase() === name.toUpperCase());
}

// ---------------------------------------------------------------- dmarch.ini

export type ArchType = 'LOCAL' | 'REMOTE' | 'REALTIME' | 'TIMELY' | 'ASYNC' | 'SYNC' | 'RAFT';

export interface Archive {
  section: string;
  type: ArchType;
  dest: string;
  timerName?: string;
  incomingPath?: string;
  fileSize?: number;
  spaceLimit?: number;
  /** RAFT archives (DMDPC, 003 7.2.7.3): the peer's RAFT_SELF_ID. */
  destId?: number;
}

const ARCH_GLOBAL_KEYS = [
  'ARCH_WAIT_APPLY',
  'ARCH_RESERVE_TIME',
  'ARCH_LOCAL_SHARE',
  'ARCH_LOCAL_SHARE_CHECK',
  // DMDPC RAFT replicas (003 7.2.7.3, 7.3.6.4)
  'XMAL_HB_INTERVAL',
  'RAFT_HB_INTERVAL',
  'RAFT_VOTE_INTERVAL',
  'RAFT_SELF_ID',
];
const ARCH_KEYS = [
  'ARCH_TYPE',
  'ARCH_DEST',
  'ARCH_FILE_SIZE',
  'ARCH_SPACE_LIMIT',
  'ARCH_FLUSH_BUF_SIZE',
  'ARCH_TIMER_NAME',
  'ARCH_INCOMING_PATH',
  'ARCH_SEND_DELAY',
  'ARCH_RECOVER_TIME',
  'ARCH_HANG_FLAG',
  'ARCH_WAIT_APPLY',
  'ARCH_DEST_ID',
];

export function parseArchIni(
  text: string,
  file: string,
): { archives: Archive[]; globals: Map<string, string> } {
  const p = parse(text, file);
  const globals = unique(p.globals, file, 'the global part');
  checkKeys(globals, ARCH_GLOBAL_KEYS, file, 'the global part');
  const archives: Archive[] = [];
  for (const s of p.sections) {
    const m = unique(s.entries, file, `[${s.name}]`);
    checkKeys(m, ARCH_KEYS, file, `[${s.name}]`);
    if (s.name.toUpperCase() === 'STANDBY_ARCHIVE')
      throw new DmError(E.CONFIG, `${file}: [STANDBY_ARCHIVE] is a reserved archive name`, '§5.3');
    const type = (m.get('ARCH_TYPE') ?? '').toUpperCase();
    if (!['LOCAL', 'REMOTE', 'REALTIME', 'TIMELY', 'ASYNC', 'SYNC', 'RAFT'].includes(type))
      throw new DmError(E.CONFIG, `${file}: [${s.name}] ARCH_TYPE ${type || '(missing)'} is invalid`, '§5.3');
    const dest = m.get('ARCH_DEST');
    if (!dest) throw new DmError(E.CONFIG, `${file}: [${s.name}] needs ARCH_DEST`, '§5.3');
    const a: Archive = { section: s.name, type: type as ArchType, dest };
    if (type === 'RAFT') {
      if (!m.has('ARCH_DEST_ID'))
        throw new DmError(E.CONFIG, `${file}: [${s.name}] a RAFT archive needs ARCH_DEST_ID`, '003 7.2.7.3');
      a.destId = int(m.get('ARCH_DEST_ID'), 'ARCH_DEST_ID', file);
    } else if (m.has('ARCH_DEST_ID'))
      throw new DmError(
        E.CONFIG,
        `${file}: [${s.name}] ARCH_DEST_ID is for RAFT archives only`,
        '003 7.2.7.3',
      );
    if (type === 'ASYNC') {
      const t = m.get('ARCH_TIMER_NAME');
      if (!t)
        throw new DmError(E.CONFIG, `${file}: [${s.name}] an ASYNC archive needs ARCH_TIMER_NAME`, '§5.3');
      a.timerName = t;
    } else if (m.has('ARCH_TIMER_NAME'))
      throw new DmError(E.CONFIG, `${file}: [${s.name}] ARCH_TIMER_NAME is for ASYNC archives only`, '§5.3');
    if (m.has('ARCH_SEND_DELAY') && type !== 'ASYNC')
      throw new DmError(E.CONFIG, `${file}: [${s.name}] ARCH_SEND_DELAY is for ASYNC archives only`, '§5.3');
    if (m.has('ARCH_RECOVER_TIME') && type !== 'SYNC')
      throw new DmError(
        E.CONFIG,
        `${file}: [${s.name}] ARCH_RECOVER_TIME is for SYNC archives only`,
        '7.7.3.3',
      );
    if (type === 'REMOTE') {
      const inc = m.get('ARCH_INCOMING_PATH');
      if (!inc)
        throw new DmError(E.CONFIG, `${file}: [${s.name}] a REMOTE archive needs ARCH_INCOMING_PATH`, '§5.3');
      a.incomingPath = inc;
    }
    if (type === 'LOCAL' || type === 'REMOTE') {
      a.fileSize = int(m.get('ARCH_FILE_SIZE'), 'ARCH_FILE_SIZE', file, 1024);
      a.spaceLimit = int(m.get('ARCH_SPACE_LIMIT'), 'ARCH_SPACE_LIMIT', file, 0);
      if (a.fileSize < 64 || a.fileSize > 2048)
        throw new DmError(E.CONFIG, `${file}: [${s.name}] ARCH_FILE_SIZE must be 64~2048`, '§5.3');
      if (a.spaceLimit !== 0 && (a.spaceLimit < 1024 || a.spaceLimit > 4294967294))
        throw new DmError(
          E.CONFIG,
          `${file}: [${s.name}] ARCH_SPACE_LIMIT must be 0 or 1024~4294967294`,
          '§5.3',
        );
    } else if (m.has('ARCH_FILE_SIZE') || m.has('ARCH_SPACE_LIMIT'))
      throw new DmError(
        E.CONFIG,
        `${file}: [${s.name}] ARCH_FILE_SIZE/ARCH_SPACE_LIMIT are for LOCAL and REMOTE archives`,
        '§5.3',
      );
    archives.push(a);
  }
  return { archives, globals };
}

export function loadArchIni(ini: DmIni): Archive[] {
  return loadArchIniFull(ini).archives;
}

export function loadArchIniFull(ini: DmIni): { archives: Archive[]; globals: Map<string, string> } {
  const file = path.join(ini.configPath, 'dmarch.ini');
  return parseArchIni(readText(file, 'dmarch.ini (ARCH_INI=1)', '§5.3'), file);
}

// ---------------------------------------------------------------- mp.ini (DMDPC)

export interface MpEntry {
  /** The MP instance name (the multi-MP form's section name, 003 7.3.2); absent in the single form. */
  name?: string;
  host: string;
  port: number;
}

/**
 * mp.ini in CONFIG_PATH (003 7.1.2, 7.3.2): the single form is two keys and no section
 * (`mp_host = <ip>`, `mp_port = <port>`); the MP RAFT form has one section per MP, named by its
 * instance name, each with the same two keys. Anything else is refused.
 */
export function parseMpIni(text: string, file: string): MpEntry[] {
  const p = parse(text, file);
  const entry = (m: Map<string, string>, where: string, name?: string): MpEntry => {
    checkKeys(m, ['MP_HOST', 'MP_PORT'], file, where);
    const host = m.get('MP_HOST');
    if (!host || !m.has('MP_PORT'))
      throw new DmError(E.CONFIG, `${file}: ${where} needs mp_host and mp_port`, '003 7.1.2');
    const e: MpEntry = { host, port: port(m.get('MP_PORT'), 'MP_PORT', file) };
    if (name !== undefined) e.name = name;
    return e;
  };
  if (p.globals.length && p.sections.length)
    throw new DmError(
      E.CONFIG,
      `${file}: mixes the single form (mp_host/mp_port without a section) with [MP] sections`,
      '003 7.1.2, 7.3.2',
    );
  if (p.globals.length) return [entry(unique(p.globals, file, 'the global part'), 'the global part')];
  if (!p.sections.length) throw new DmError(E.CONFIG, `${file}: no mp_host/mp_port`, '003 7.1.2');
  const out: MpEntry[] = [];
  for (const s of p.sections) {
    if (out.some((e) => e.name?.toUpperCase() === s.name.toUpperCase()))
      throw new DmError(E.CONFIG, `${file}: section [${s.name}] appears twice`, '003 7.3.2');
    out.push(entry(unique(s.entries, file, `[${s.name}]`), `[${s.name}]`, s.name));
  }
  const seen = new Set<string>();
  for (const e of out) {
    const k = `${e.host}:${e.port}`;
    if (seen.has(k)) throw new DmError(E.CONFIG, `${file}: two MPs at ${k}`, '003 7.3.2');
    seen.add(k);
  }
  return out;
}

export function loadMpIni(ini: DmIni): { file: string; entries: MpEntry[] } {
  const file = path.join(ini.configPath, 'mp.ini');
  const text = readText(file, 'mp.ini (every DMDPC instance has one in its CONFIG_PATH)', '003 7.1.2');
  return { file, entries: parseMpIni(text, file) };
}

/** The instance names an archive targets (a DMDSC target lists its nodes joined by '/', 7.5.1). */
export function destNames(a: Archive): string[] {
  return a.dest
    .split('/')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** DB_MAGIC as DM writes it in archive file names: 0x + 8 upper-case hex digits. */
export function dbMagicHex(dbMagic: number): string {
  return `0x${(dbMagic >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

// ---------------------------------------------------------------- dmtimer.ini

const TIMER_KEYS = [
  'TYPE',
  'FREQ_MONTH_WEEK_INTERVAL',
  'FREQ_SUB_INTERVAL',
  'FREQ_MINUTE_INTERVAL',
  'REPEAT_INTERVAL',
  'START_TIME',
  'END_TIME',
  'DURING_START_DATE',
  'DURING_END_DATE',
  'NO_END_DATE_FLAG',
  'DESCRIBE',
  'IS_VALID',
];

export function loadTimerIni(ini: DmIni): Map<string, Map<string, string>> {
  const file = path.join(ini.configPath, 'dmtimer.ini');
  const p = parse(readText(file, 'dmtimer.ini (TIMER_INI=1)', '§5.6'), file);
  if (p.globals.length) throw new DmError(E.CONFIG, `${file}: keys outside a [timer] section`, '§5.6');
  const out = new Map<string, Map<string, string>>();
  for (const s of p.sections) {
    const m = unique(s.entries, file, `[${s.name}]`);
    checkKeys(m, TIMER_KEYS, file, `[${s.name}]`);
    const type = int(m.get('TYPE'), 'TYPE', file);
    if (type < 1 || type > 10) throw new DmError(E.CONFIG, `${file}: [${s.name}] TYPE must be 1~10`, '§5.6');
    if (type !== 10 && !m.get('DURING_START_DATE'))
      throw new DmError(E.CONFIG, `${file}: [${s.name}] DURING_START_DATE is required`, '§5.6');
    out.set(s.name.toUpperCase(), m);
  }
  return out;
}

// ---------------------------------------------------------------- dmmpp.ctl

export interface MppEntry {
  section: string;
  seqNo: number;
  instName: string;
}

const MPP_MAGIC = Buffer.from('DMSIMMPP', 'ascii');

export function parseMppIni(text: string, file: string): MppEntry[] {
  const p = parse(text, file);
  if (p.globals.length)
    throw new DmError(E.CONFIG, `${file}: keys outside a [service_name] section`, '7.4.3.4');
  const out: MppEntry[] = [];
  for (const s of p.sections) {
    const m = unique(s.entries, file, `[${s.name}]`);
    checkKeys(m, ['MPP_SEQ_NO', 'MPP_INST_NAME'], file, `[${s.name}]`);
    const name = m.get('MPP_INST_NAME');
    if (!name) throw new DmError(E.CONFIG, `${file}: [${s.name}] needs MPP_INST_NAME`, '7.4.3.4');
    out.push({ section: s.name, seqNo: int(m.get('MPP_SEQ_NO'), 'MPP_SEQ_NO', file), instName: name });
  }
  if (!out.length) throw new DmError(E.CONFIG, `${file}: no MPP instance`, '7.4.3.4');
  const seqs = out.map((e) => e.seqNo).sort((a, b) => a - b);
  seqs.forEach((s, i) => {
    if (s !== i)
      throw new DmError(
        E.CONFIG,
        `${file}: MPP_SEQ_NO must be unique and run 0..${out.length - 1}`,
        '7.4.3.4',
      );
  });
  return out;
}

/** dmmpp.ctl: deterministic bytes (magic, count, entries, CRC). Not DM's real layout. */
export function encodeMppCtl(entries: MppEntry[]): Buffer {
  const parts: Buffer[] = [MPP_MAGIC];
  const head = Buffer.alloc(8);
  head.writeUInt32LE(1, 0);
  head.writeUInt32LE(entries.length, 4);
  parts.push(head);
  for (const e of entries) {
    const sec = Buffer.from(e.section, 'utf8');
    const name = Buffer.from(e.instName, 'utf8');
    const h = Buffer.alloc(8);
    h.writeUInt32LE(e.seqNo, 0);
    h.writeUInt16LE(sec.length, 4);
    h.writeUInt16LE(name.length, 6);
    parts.push(h, sec, name);
  }
  const body = Buffer.concat(parts);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body), 0);
  return Buffer.concat([body, crc]);
}

export function decodeMppCtl(buf: Buffer, file: string): MppEntry[] {
  const bad = () =>
    new DmError(E.CONFIG, `${file} is not a valid dmmpp.ctl (make it with dmctlcvt TYPE=2)`, '7.4.3.4');
  if (buf.length < 20 || !buf.subarray(0, 8).equals(MPP_MAGIC)) throw bad();
  const body = buf.subarray(0, buf.length - 4);
  if (crc32(body) !== buf.readUInt32LE(buf.length - 4)) throw bad();
  const n = buf.readUInt32LE(12);
  let off = 16;
  const out: MppEntry[] = [];
  for (let i = 0; i < n; i++) {
    if (off + 8 > body.length) throw bad();
    const seqNo = buf.readUInt32LE(off);
    const sl = buf.readUInt16LE(off + 4);
    const nl = buf.readUInt16LE(off + 6);
    off += 8;
    const section = buf.toString('utf8', off, off + sl);
    off += sl;
    const instName = buf.toString('utf8', off, off + nl);
    off += nl;
    out.push({ section, seqNo, instName });
  }
  return out;
}

export function loadMppCtl(ini: DmIni): { entries: MppEntry[]; digest: string } {
  const candidates = [path.join(ini.configPath, 'dmmpp.ctl'), path.join(ini.systemPath, 'dmmpp.ctl')];
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file)
    throw new DmError(
      E.CONFIG,
      `MPP_INI=1 but there is no dmmpp.ctl in ${ini.configPath} (convert dmmpp.ini with dmctlcvt TYPE=2)`,
      '7.4.3.4',
    );
  const buf = fs.readFileSync(file);
  return { entries: decodeMppCtl(buf, file), digest: sha(buf) };
}

// ---------------------------------------------------------------- dmwatcher.ini

export interface WatcherGroup {
  group: string;
  type: 'LOCAL' | 'GLOBAL';
  mode: 'AUTO' | 'MANUAL';
  dwErrorTime: number;
  instErrorTime: number;
  instRecoverTime: number;
  oguid: number;
  instIni: string;
  dcrIni?: string;
  autoRestart: boolean;
  startupCmd?: string;
}

const WATCHER_KEYS = [
  'DW_TYPE',
  'DW_MODE',
  'DW_ERROR_TIME',
  'INST_ERROR_TIME',
  'INST_RECOVER_TIME',
  'INST_OGUID',
  'INST_INI',
  'DCR_INI',
  'INST_AUTO_RESTART',
  'INST_STARTUP_CMD',
  'INST_SERVICE_IP_CHECK',
  'RLOG_SEND_THRESHOLD',
  'RLOG_APPLY_THRESHOLD',
  'DW_RECONNECT',
  'DW_FAILOVER_FORCE',
];

export function loadWatcherIni(file: string): WatcherGroup[] {
  const p = parse(readText(file, 'dmwatcher.ini'), file);
  if (p.globals.length) throw new DmError(E.CONFIG, `${file}: keys outside a [group] section`, '§5.4');
  if (!p.sections.length) throw new DmError(E.CONFIG, `${file}: no [group] section`, '§5.4');
  const out: WatcherGroup[] = [];
  for (const s of p.sections) {
    const m = unique(s.entries, file, `[${s.name}]`);
    checkKeys(m, WATCHER_KEYS, file, `[${s.name}]`);
    if (s.name.length > 16)
      throw new DmError(E.CONFIG, `${file}: group name ${s.name} is longer than 16`, '§5.4');
    if (out.some((g) => g.group.toUpperCase() === s.name.toUpperCase()))
      throw new DmError(E.CONFIG, `${file}: group [${s.name}] appears twice`, '§5.4');
    const type = (m.get('DW_TYPE') ?? 'LOCAL').toUpperCase();
    const mode = (m.get('DW_MODE') ?? 'MANUAL').toUpperCase();
    if (type !== 'LOCAL' && type !== 'GLOBAL')
      throw new DmError(E.CONFIG, `${file}: DW_TYPE ${type} is invalid`, '§5.4');
    if (mode !== 'AUTO' && mode !== 'MANUAL')
      throw new DmError(E.CONFIG, `${file}: DW_MODE ${mode} is invalid`, '§5.4');
    const instIni = m.get('INST_INI');
    if (!instIni) throw new DmError(E.CONFIG, `${file}: [${s.name}] needs INST_INI`, '§5.4');
    const oguid = int(m.get('INST_OGUID'), 'INST_OGUID', file);
    if (oguid < 0 || oguid > 2147483647)
      throw new DmError(E.CONFIG, `${file}: INST_OGUID out of range`, '§2.2.13');
    const g: WatcherGroup = {
      group: s.name,
      type: type as WatcherGroup['type'],
      mode: mode as WatcherGroup['mode'],
      dwErrorTime: int(m.get('DW_ERROR_TIME'), 'DW_ERROR_TIME', file, 15),
      instErrorTime: int(m.get('INST_ERROR_TIME'), 'INST_ERROR_TIME', file, 15),
      instRecoverTime: int(m.get('INST_RECOVER_TIME'), 'INST_RECOVER_TIME', file, 60),
      oguid,
      instIni,
      autoRestart: int(m.get('INST_AUTO_RESTART'), 'INST_AUTO_RESTART', file, 0) === 1,
    };
    if (g.dwErrorTime < 1 || g.dwErrorTime > 32767)
      throw new DmError(E.CONFIG, `${file}: DW_ERROR_TIME must be 3~32767`, '§5.4');
    const dcr = m.get('DCR_INI');
    if (dcr) g.dcrIni = dcr;
    const cmd = m.get('INST_STARTUP_CMD');
    if (cmd) g.startupCmd = cmd;
    if (g.autoRestart && !cmd)
      throw new DmError(E.CONFIG, `${file}: INST_AUTO_RESTART=1 needs INST_STARTUP_CMD`, '§5.4');
    out.push(g);
  }
  return out;
}

// ---------------------------------------------------------------- dmmonitor.ini

export interface MonitorGroup {
  group: string;
  oguid: number;
  /** One entry per database; a DMDSC database lists its watchers. */
  dbs: { host: string; port: number }[][];
}

export interface MonitorIni {
  file: string;
  confirm: boolean;
  logPath: string;
  mid?: number;
  id?: number;
  name?: string;
  groups: MonitorGroup[];
  instances: { name: string; host: string; port: number; id: number }[];
}

const MON_GLOBAL_KEYS = [
  'MON_DW_CONFIRM',
  'MON_LOG_PATH',
  'MON_LOG_INTERVAL',
  'MON_LOG_FILE_SIZE',
  'MON_LOG_SPACE_LIMIT',
  'MON_TAKEOVER_SHUTDOWN',
  'MON_MESSAGE_CHECK',
  'MON_INST_NUM',
  'MON_HB_INTERVAL',
  'MON_BRO_INTERVAL',
  'MON_VOTE_INTERVAL',
  'MON_ID',
  'MON_MID',
  'MON_NAME',
];

function parseHostPort(s: string, file: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new DmError(E.CONFIG, `${file}: MON_DW_IP ${s} is not IP:PORT`, '§5.5');
  return { host: m[1] ?? '', port: Number(m[2]) };
}

export function loadMonitorIni(file: string): MonitorIni {
  const p = parse(readText(file, 'dmmonitor.ini'), file);
  const g = unique(p.globals, file, 'the global part');
  checkKeys(g, MON_GLOBAL_KEYS, file, 'the global part');
  const confirm = int(g.get('MON_DW_CONFIRM'), 'MON_DW_CONFIRM', file, 0);
  if (confirm !== 0 && confirm !== 1)
    throw new DmError(E.CONFIG, `${file}: MON_DW_CONFIRM must be 0 or 1`, '§5.5');
  const ini: MonitorIni = {
    file,
    confirm: confirm === 1,
    logPath: g.get('MON_LOG_PATH') ?? path.dirname(path.resolve(file)),
    groups: [],
    instances: [],
  };
  if (g.has('MON_MID')) ini.mid = int(g.get('MON_MID'), 'MON_MID', file);
  if (g.has('MON_ID')) ini.id = int(g.get('MON_ID'), 'MON_ID', file);
  const name = g.get('MON_NAME');
  if (name) ini.name = name;
  for (const s of p.sections) {
    const first = s.entries[0]?.[0];
    if (first === 'MON_HOST' || first === 'MON_PORT' || first === 'MON_INST_ID') {
      const m = unique(s.entries, file, `[${s.name}]`);
      checkKeys(m, ['MON_HOST', 'MON_PORT', 'MON_INST_ID'], file, `[${s.name}]`);
      ini.instances.push({
        name: s.name,
        host: m.get('MON_HOST') ?? '',
        port: port(m.get('MON_PORT'), 'MON_PORT', file),
        id: int(m.get('MON_INST_ID'), 'MON_INST_ID', file),
      });
      continue;
    }
    let oguid: number | undefined;
    const dbs: MonitorGroup['dbs'] = [];
    for (const [k, v] of s.entries) {
      if (k === 'MON_INST_OGUID') {
        if (oguid !== undefined)
          throw new DmError(E.CONFIG, `${file}: [${s.name}] MON_INST_OGUID twice`, '§5.5');
        oguid = int(v, k, file);
      } else if (k === 'MON_DW_IP') dbs.push(v.split('/').map((x) => parseHostPort(x.trim(), file)));
      else throw new DmError(E.CONFIG, `${file}: unknown parameter ${k} in [${s.name}]`, '§5.5');
    }
    if (oguid === undefined) throw new DmError(E.CONFIG, `${file}: [${s.name}] needs MON_INST_OGUID`, '§5.5');
    if (!dbs.length) throw new DmError(E.CONFIG, `${file}: [${s.name}] needs MON_DW_IP`, '§5.5');
    ini.groups.push({ group: s.name, oguid, dbs });
  }
  if (!ini.groups.length) throw new DmError(E.CONFIG, `${file}: no [group] section`, '§5.5');
  if (ini.instances.length && ini.id !== undefined && !ini.instances.some((i) => i.id === ini.id))
    throw new DmError(E.CONFIG, `${file}: MON_ID ${ini.id} matches no MON_INST_ID`, '7.2.5.2');
  return ini;
}

// ---------------------------------------------------------------- dmdcr.ini

export interface DcrIni {
  file: string;
  seqNo: number;
  dcrPath: string;
  asmRoot: string;
  dbRestartInterval: number;
  dbStartupCmd?: string;
  values: Map<string, string>;
}

export function loadDcrIni(file: string): DcrIni {
  const p = parse(readText(file, 'dmdcr.ini', '7.5.10'), file);
  if (p.sections.length) throw new DmError(E.CONFIG, `${file}: dmdcr.ini has no [sections]`);
  const m = unique(p.globals, file, '');
  for (const k of m.keys())
    if (!k.startsWith('DMDCR_')) throw new DmError(E.CONFIG, `${file}: unknown parameter ${k}`, '7.5.10');
  const dcrPath = m.get('DMDCR_PATH');
  if (!dcrPath) throw new DmError(E.CONFIG, `${file}: DMDCR_PATH is required`, '7.5.10');
  const out: DcrIni = {
    file: path.resolve(file),
    seqNo: int(m.get('DMDCR_SEQNO'), 'DMDCR_SEQNO', file),
    dcrPath,
    asmRoot: env.asmDir() ?? path.dirname(dcrPath),
    dbRestartInterval: int(m.get('DMDCR_DB_RESTART_INTERVAL'), 'DMDCR_DB_RESTART_INTERVAL', file, 0),
    values: m,
  };
  const cmd = m.get('DMDCR_DB_STARTUP_CMD');
  if (cmd) out.dbStartupCmd = cmd;
  return out;
}

// ---------------------------------------------------------------- helpers

export function sha(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
