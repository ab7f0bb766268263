/**
 * dmcss dcr_ini=<dmdcr.ini> and dmasmsvr dcr_ini=<dmdcr.ini> (7.5.10): long-running processes
 * that a DMDSC node's dmserver requires on its host. Storage: `+GROUP/rest` paths live under
 * the shared directory DMSIM_ASM_DIR, or else the directory of DMDCR_PATH, which two lab hosts
 * share. dmcss restarts its node's dmserver when DMDCR_DB_RESTART_INTERVAL > 0 and
 * DMDCR_DB_STARTUP_CMD are set (until a monitor `stop group` tells it not to).
 */
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import {
  allowKeys,
  DmError,
  E,
  listProcesses,
  logAction,
  parseDmArgs,
  registerProcess,
  sleep,
} from '../common';
import { loadDcrIni, loadDmIni, PathMap } from '../config';
import { isRunning, readRuntime, runtimeFile } from '../state';
import { noRestartFlag } from './dmwatcher';

function dcrArg(tool: string, argv: string[]): string {
  const args = parseDmArgs(argv);
  allowKeys(args, tool, ['DCR_INI']);
  for (const w of args.words)
    if (!/^-noconsole$/i.test(w)) throw new DmError(E.INVALID_ARG, `${tool}: invalid parameter ${w}`);
  const f = args.kv.get('DCR_INI');
  if (!f) throw new DmError(E.INVALID_ARG, `${tool}: DCR_INI is required`);
  return f;
}

function keepAlive(tool: string): Promise<number> {
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.on(sig, () => {
      logAction('exit', { why: sig });
      process.exit(0);
    });
  process.on('SIGHUP', () => undefined);
  setInterval(() => undefined, 1 << 30); // nothing else keeps the event loop alive
  process.stdout.write(`${tool.toUpperCase()} (dmsim) IS READY\n`);
  return new Promise<number>(() => undefined);
}

export async function dmcss(argv: string[]): Promise<number> {
  const dcr = loadDcrIni(dcrArg('dmcss', argv));
  if (listProcesses().some((p) => p.tool === 'dmcss' && p.key === dcr.file))
    throw new DmError(E.RUNNING, `a dmcss for ${dcr.file} already runs on this host`);
  fs.mkdirSync(dcr.asmRoot, { recursive: true });
  try {
    fs.rmSync(noRestartFlag(dcr.file), { force: true });
  } catch {
    /* none */
  }
  registerProcess(dcr.file);
  logAction('start', { dcrIni: dcr.file, seqNo: dcr.seqNo });
  if (dcr.dbRestartInterval > 0 && dcr.dbStartupCmd) void restartLoop(dcr.file);
  return keepAlive('dmcss');
}

/** DMDCR_DB_STARTUP_CMD, e.g. `/dm/bin/dmserver path=<dm.ini> dcr_ini=<dmdcr.ini> mount` (7.5.10). */
async function restartLoop(file: string): Promise<void> {
  for (;;) {
    const dcr = loadDcrIni(file);
    await sleep(Math.max(1000, dcr.dbRestartInterval * 1000));
    if (fs.existsSync(noRestartFlag(file)) || !dcr.dbStartupCmd) continue;
    const words = dcr.dbStartupCmd.trim().split(/\s+/);
    const iniArg =
      words.find((w) => /^path=/i.test(w))?.slice(5) ??
      words.find((w, i) => i > 0 && w.endsWith('.ini') && !w.includes('='));
    if (!iniArg) continue;
    try {
      const ini = loadDmIni(iniArg, new PathMap(dcr.asmRoot));
      if (isRunning(readRuntime(runtimeFile(ini)))) continue;
    } catch {
      continue;
    }
    logAction('restart-instance', { cmd: words });
    const child = spawn(words[0] ?? '', [...words.slice(1), '-noconsole'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, DMSIM_DAEMON: '0' },
    });
    child.on('error', () => undefined);
    child.unref();
  }
}

export async function dmasmsvr(argv: string[]): Promise<number> {
  const dcr = loadDcrIni(dcrArg('dmasmsvr', argv));
  if (!listProcesses().some((p) => p.tool === 'dmcss' && p.key === dcr.file))
    throw new DmError(E.DSC, `dmasmsvr needs the host's dmcss for ${dcr.file} running first`, '7.5.10');
  if (listProcesses().some((p) => p.tool === 'dmasmsvr' && p.key === dcr.file))
    throw new DmError(E.RUNNING, `a dmasmsvr for ${dcr.file} already runs on this host`);
  fs.mkdirSync(dcr.asmRoot, { recursive: true });
  registerProcess(dcr.file);
  logAction('start', { dcrIni: dcr.file });
  return keepAlive('dmasmsvr');
}
