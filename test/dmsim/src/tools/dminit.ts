/**
 * dminit path=<dir> [DB_NAME=..] [INSTANCE_NAME=..] [PORT_NUM=..] [...]   (7.2.2)
 * dminit control=<dminit.ini>                                           (DMDSC, 7.5.3)
 *
 * Deviation from DM: the SYSDBA password is read from the first line of standard input, never
 * from SYSDBA_PWD= on the command line (dmsim refuses that: argv is visible to every user).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseIni } from '../../../../lib/render/ini';
import {
  allowKeys,
  DmError,
  E,
  logAction,
  nowStamp,
  opDelay,
  parseDmArgs,
  readStdin,
  readText,
} from '../common';
import { PathMap } from '../config';
import { newState, writeState } from '../state';

const KEYS = [
  'PATH',
  'DB_NAME',
  'INSTANCE_NAME',
  'PORT_NUM',
  'PAGE_SIZE',
  'EXTENT_SIZE',
  'CASE_SENSITIVE',
  'CHARSET',
  'UNICODE_FLAG',
  'LENGTH_IN_CHAR',
  'LOG_SIZE',
  'LOG_PATH',
  'HUGE_WITH_DELTA',
  'RLOG_GEN_FOR_HUGE',
  'AUTO_OVERWRITE',
  'BLANK_PAD_MODE',
  'TIME_ZONE',
  'BUFFER',
  'PAGE_CHECK',
  'SYSDBA_PWD',
  'SYSAUDITOR_PWD',
  'SYSSSO_PWD',
  'CONTROL',
  'DB_STARTUP_PARAMS',
  'ENCRYPT_NAME',
  // DMDPC (003 7.1.1)
  'DPC_MODE',
  'AP_PORT_NUM',
  // DCP (001:L445-457)
  'DCP_MODE',
  'DCP_PORT_NUM',
];

export async function dminit(argv: string[]): Promise<number> {
  const args = parseDmArgs(argv);
  if (args.words.some((w) => /^-?help$/i.test(w))) {
    process.stdout.write(
      'dminit path=<dir> [DB_NAME=DAMENG] [INSTANCE_NAME=DMSERVER] [PORT_NUM=5236] ...\n(dmsim: the SYSDBA password is read from standard input)\n',
    );
    return 0;
  }
  if (args.words.length) throw new DmError(E.INVALID_ARG, `dminit: invalid parameter ${args.words[0]}`);
  allowKeys(args, 'dminit', KEYS);
  const password = (await readStdin()).split(/\r?\n/)[0] ?? '';
  if (!password)
    throw new DmError(
      E.INVALID_ARG,
      'dminit: give the SYSDBA password on the first line of standard input (dmsim never takes it from argv)',
    );
  if (password.length < 9 || password.length > 48)
    throw new DmError(E.INVALID_ARG, 'dminit: the SYSDBA password must be 9~48 characters');
  const control = args.kv.get('CONTROL');
  await opDelay('dminit');
  if (control) return initDsc(control, password, args.kv);
  const base = args.kv.get('PATH');
  if (!base) throw new DmError(E.INVALID_ARG, 'dminit: PATH is required');
  if (!path.isAbsolute(base)) throw new DmError(E.INVALID_ARG, `dminit: PATH ${base} must be absolute`);
  const dbName = args.kv.get('DB_NAME') ?? 'DAMENG';
  const instanceName = args.kv.get('INSTANCE_NAME') ?? 'DMSERVER';
  const port = Number(args.kv.get('PORT_NUM') ?? 5236);
  if (instanceName.length > 16)
    throw new DmError(E.INVALID_ARG, 'dminit: INSTANCE_NAME is longer than 16 characters', '§5.1');
  if (!Number.isInteger(port) || port < 1024 || port > 65534)
    throw new DmError(E.INVALID_ARG, 'dminit: PORT_NUM must be 1024~65534', '§5.1');
  // DMDPC (003 7.1.1): dpc_mode=MP|BP|SP (any case) and the XMAL port ap_port_num
  const dpcRaw = args.kv.get('DPC_MODE');
  let dpcMode: 'MP' | 'BP' | 'SP' | undefined;
  if (dpcRaw !== undefined) {
    const r = dpcRaw.toUpperCase();
    if (r !== 'MP' && r !== 'BP' && r !== 'SP')
      throw new DmError(E.INVALID_ARG, `dminit: DPC_MODE ${dpcRaw} must be MP, BP or SP`, '003 7.1.1');
    dpcMode = r;
  }
  const apRaw = args.kv.get('AP_PORT_NUM');
  let apPort: number | undefined;
  if (apRaw !== undefined) {
    apPort = Number(apRaw);
    if (!/^\d+$/.test(apRaw) || apPort < 1024 || apPort > 65534)
      throw new DmError(E.INVALID_ARG, 'dminit: AP_PORT_NUM must be 1024~65534', '003 7.1.1');
    if (apPort === port)
      throw new DmError(E.INVALID_ARG, 'dminit: AP_PORT_NUM must differ from PORT_NUM', '003 7.1.1');
  }
  if (dpcMode && apPort === undefined)
    throw new DmError(
      E.INVALID_ARG,
      'dminit: a DMDPC instance needs AP_PORT_NUM (its XMAL port, registered as XMAL_PORT; dmsim gives it no default)',
      '003 7.1.1',
    );
  // DCP (001:L445-457): `dminit ... DCP_MODE=1 DCP_PORT_NUM=5239` writes ENABLE_DCP_MODE and
  // DCP_PORT_NUM into dm.ini ("或者 ... 修改 dm.ini 文件，效果是一样的", L451)
  const dcpRaw = args.kv.get('DCP_MODE');
  if (dcpRaw !== undefined && dcpRaw !== '0' && dcpRaw !== '1')
    throw new DmError(E.INVALID_ARG, `dminit: DCP_MODE ${dcpRaw} must be 0 or 1`, '001:L448');
  const dcpPortRaw = args.kv.get('DCP_PORT_NUM');
  let dcpPort: number | undefined;
  if (dcpPortRaw !== undefined) {
    dcpPort = Number(dcpPortRaw);
    if (!/^\d+$/.test(dcpPortRaw) || dcpPort < 1024 || dcpPort > 65534)
      throw new DmError(E.INVALID_ARG, 'dminit: DCP_PORT_NUM must be 1024~65534', '001:L448; §5.1');
    if (dcpPort === port || dcpPort === apPort)
      throw new DmError(
        E.INVALID_ARG,
        'dminit: DCP_PORT_NUM must differ from PORT_NUM (and AP_PORT_NUM)',
        '001:L136',
      );
  }
  if (dcpRaw === '1' && dcpPort === undefined)
    throw new DmError(
      E.INVALID_ARG,
      'dminit: DCP_MODE=1 needs DCP_PORT_NUM, the proxy management port (dmsim gives it no default)',
      '001:L448',
    );
  if (dcpRaw === '1' && dpcMode)
    throw new DmError(
      E.INVALID_ARG,
      "dminit: DCP_MODE=1 with DPC_MODE: the DCP proxies an MPP system only (dmsim's strictness)",
      '001:L101, L119',
    );
  const dir = path.join(base, dbName);
  const overwrite = args.kv.get('AUTO_OVERWRITE') ?? '0';
  if (fs.existsSync(path.join(dir, 'dm.ctl')) || fs.existsSync(path.join(dir, 'dm.ini'))) {
    if (overwrite === '0')
      throw new DmError(
        E.EXISTS,
        `dminit: a database already exists in ${dir}; dminit never initialises over it (AUTO_OVERWRITE=0). Re-initialising would destroy its permanent magic and data`,
        '7.1',
      );
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const f of [
    'SYSTEM.DBF',
    'ROLL.DBF',
    'TEMP.DBF',
    'MAIN.DBF',
    `${dbName}01.log`,
    `${dbName}02.log`,
    'sqllog.ini',
  ])
    fs.writeFileSync(path.join(dir, f), '');
  fs.mkdirSync(path.join(dir, 'bak'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'ctl_bak'), { recursive: true });
  const params: Record<string, string> = {};
  for (const [k, v] of args.kv) if (!/PWD$/.test(k)) params[k] = v;
  const state = newState(dbName, password, params);
  if (dpcMode) state.dpc = { role: dpcMode };
  writeState(path.join(dir, 'dm.ctl'), state);
  let iniText = dmIniText({ dir, instanceName, port });
  // the role is kept in the database (dm.ctl), as dminit records it; dm.ini gets only the port
  if (apPort !== undefined) {
    const row = (k: string, v: string | number, c: string) =>
      `\t\t${k.padEnd(32)}= ${String(v).padEnd(24)}#${c}`;
    iniText += ['', '#DMDPC', ''].join('\n');
    if (apPort !== undefined) iniText += row('AP_PORT_NUM', apPort, 'XMAL port (DMDPC)') + '\n';
  }
  if (dcpRaw !== undefined || dcpPort !== undefined) {
    const row = (k: string, v: string | number, c: string) =>
      `\t\t${k.padEnd(32)}= ${String(v).padEnd(24)}#${c}`;
    iniText += ['', '#DCP', ''].join('\n');
    if (dcpRaw !== undefined) iniText += row('ENABLE_DCP_MODE', dcpRaw, 'run as a DCP cluster proxy') + '\n';
    if (dcpPort !== undefined) iniText += row('DCP_PORT_NUM', dcpPort, 'DCP management port (PMC)') + '\n';
  }
  fs.writeFileSync(path.join(dir, 'dm.ini'), iniText);
  logAction('dminit', {
    path: base,
    dbName,
    dir,
    ...(dpcMode ? { dpcMode, instance: instanceName, apPort } : {}),
    ...(dcpRaw !== undefined ? { dcpMode: Number(dcpRaw), instance: instanceName, dcpPort } : {}),
  });
  banner([path.join(dir, `${dbName}01.log`), path.join(dir, `${dbName}02.log`)], dir);
  return 0;
}

function banner(logs: string[], dir: string): void {
  const out = [
    'initdb V8',
    'db version: 0x7000c',
    'file dm.key not found, use default license!',
    'Normal of FAST',
    'Normal of DEFAULT',
    'Normal of RECYCLE',
    'Normal of KEEP',
    'Normal of ROLL',
    '',
  ];
  for (const l of logs) out.push(` log file path: ${l}`, '');
  out.push(`write to dir [${dir}].`, `create dm database success. ${nowStamp()}`, '');
  process.stdout.write(out.join('\n'));
}

/** A realistic (small) dm.ini, in dminit's layout: no sections, tab-indented, '#' comments. */
export function dmIniText(o: {
  dir: string;
  instanceName: string;
  port: number;
  systemPath?: string;
  ctlPath?: string;
  configPath?: string;
  malIni?: number;
}): string {
  const row = (k: string, v: string | number, c: string) =>
    `\t\t${k.padEnd(32)}= ${String(v).padEnd(24)}#${c}`;
  return [
    '#DaMeng Database Server Configuration file',
    '#this is comments',
    '',
    '#file location of dm.ctl',
    row('CTL_PATH', o.ctlPath ?? path.join(o.dir, 'dm.ctl'), 'ctl file path'),
    row('CTL_BAK_PATH', path.join(o.dir, 'ctl_bak'), 'dm.ctl backup path'),
    row('CTL_BAK_NUM', 10, 'backup number of dm.ctl'),
    row('SYSTEM_PATH', o.systemPath ?? o.dir, 'system path'),
    row('CONFIG_PATH', o.configPath ?? o.dir, 'config path'),
    row('TEMP_PATH', o.dir, 'temporary file path'),
    row('BAK_PATH', path.join(o.dir, 'bak'), 'backup file path'),
    '',
    '#instance name',
    row('INSTANCE_NAME', o.instanceName, 'Instance name'),
    '',
    '#memory pool and buffer',
    row('MAX_OS_MEMORY', 100, 'Maximum Percent Of OS Memory'),
    row('MEMORY_POOL', 500, 'Memory Pool Size In Megabyte'),
    row('BUFFER', 1000, 'Initial System Buffer Size In Megabytes'),
    '',
    '#port',
    row('PORT_NUM', o.port, 'Port number on which the database server will listen'),
    '',
    '#data guard',
    row('DW_INACTIVE_INTERVAL', 60, 'Time out interval of dmwatcher inactive'),
    row('ALTER_MODE_STATUS', 1, 'Allow alter database mode/status/oguid manually'),
    row('ENABLE_OFFLINE_TS', 1, 'Allow offline tablespace'),
    '',
    '#configuration file',
    row('MAL_INI', o.malIni ?? 0, 'dmmal.ini'),
    row('ARCH_INI', 0, 'dmarch.ini'),
    row('MPP_INI', 0, 'dmmpp.ctl'),
    row('TIMER_INI', 0, 'dmtimer.ini'),
    row('DFS_INI', 0, 'dmdfs.ini'),
    '',
  ].join('\n');
}

/** DMDSC: a database on shared storage (+DMDATA...) with one dm.ini per node (7.5.3). */
function initDsc(control: string, password: string, cli: Map<string, string>): number {
  const p = parseIni(readText(control, 'dminit control file'));
  const g = new Map(p.globals);
  const dcrPath = g.get('DCR_PATH');
  if (!dcrPath) throw new DmError(E.INVALID_ARG, `dminit: ${control} needs DCR_PATH`);
  const paths = new PathMap(process.env.DMSIM_ASM_DIR ?? path.dirname(dcrPath));
  const dbName = g.get('DB_NAME') ?? 'DAMENG';
  const systemPath = g.get('SYSTEM_PATH');
  if (!systemPath) throw new DmError(E.INVALID_ARG, `dminit: ${control} needs SYSTEM_PATH`);
  const ctlPath = g.get('CTL_PATH') ?? `${systemPath}/${dbName}/dm.ctl`;
  const ctlFile = paths.map(ctlPath);
  const overwrite = g.get('AUTO_OVERWRITE') ?? cli.get('AUTO_OVERWRITE') ?? '0';
  if (fs.existsSync(ctlFile) && overwrite === '0')
    throw new DmError(
      E.EXISTS,
      `dminit: a database already exists at ${ctlPath}; dminit never initialises over it (AUTO_OVERWRITE=0)`,
      '7.1',
    );
  if (!p.sections.length) throw new DmError(E.INVALID_ARG, `dminit: ${control} lists no DMDSC node sections`);
  const nodes: string[] = [];
  for (const s of p.sections) {
    const m = new Map(s.entries);
    const cfg = m.get('CONFIG_PATH');
    if (!cfg) throw new DmError(E.INVALID_ARG, `dminit: [${s.name}] needs CONFIG_PATH`);
    fs.mkdirSync(cfg, { recursive: true });
    if (fs.existsSync(path.join(cfg, 'dm.ini')) && overwrite === '0')
      throw new DmError(
        E.EXISTS,
        `dminit: ${cfg}/dm.ini exists; dminit never overwrites it (AUTO_OVERWRITE=0)`,
        '7.1',
      );
    fs.writeFileSync(
      path.join(cfg, 'dm.ini'),
      dmIniText({
        dir: cfg,
        instanceName: s.name,
        port: Number(m.get('PORT_NUM') ?? 5236),
        systemPath,
        ctlPath,
        configPath: cfg,
      }),
    );
    nodes.push(s.name);
  }
  const params: Record<string, string> = {};
  for (const [k, v] of g) params[k] = v;
  const state = newState(dbName, password, params);
  state.dscNodes = nodes;
  fs.mkdirSync(path.dirname(ctlFile), { recursive: true });
  writeState(ctlFile, state);
  logAction('dminit', { control, dbName, dsc: nodes });
  banner([], paths.map(systemPath));
  return 0;
}
