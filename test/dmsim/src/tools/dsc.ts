/**
 * dmcss dcr_ini=<dmdcr.ini> and dmasmsvr dcr_ini=<dmdcr.ini> (7.5.10): long-running processes
 * that a DMDSC node's dmserver requires on its host. Storage: `+GROUP/rest` paths live under
 * the shared directory DMSIM_ASM_DIR, or else the directory of DMDCR_PATH, which two lab hosts
 * share.
 *
 * dmcss reads its restart settings (DMDCR_DB_RESTART_INTERVAL > 0 and DMDCR_DB_STARTUP_CMD) once,
 * at start: a dmdcr.ini changed later takes effect only when dmcss is restarted (7.5.10). With
 * them it restarts its node's dmserver whenever that is down, unless its in-memory restart flag
 * is off (a monitor's `stop group`, or `set group ... auto restart off`, §4.4 items 22, 31; the
 * flag is a file in DMSIM_RUN_DIR that dmcss clears when it starts). When dmcss exits, for any
 * reason, the host's dmasmsvr of the same dmdcr.ini is forced down, and with it the node's
 * dmserver (7.5.10: "重启 dmcss 引发 dmasmsvr 被强制关闭"); stop dmasmsvr first, then dmcss.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  allowKeys,
  DmError,
  E,
  env,
  listProcesses,
  logAction,
  parseDmArgs,
  registerProcess,
  sleep,
} from '../common';
import { loadDcrIni, loadDmIni, PathMap, type DcrIni } from '../config';
import { isRunning, readRuntime, runtimeFile } from '../state';

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
      logAction('exit', { why: sig, normal: true });
      process.exit(0);
    });
  process.on('SIGHUP', () => undefined);
  setInterval(() => undefined, 1 << 30); // nothing else keeps the event loop alive
  process.stdout.write(`${tool.toUpperCase()} (dmsim) IS READY\n`);
  return new Promise<number>(() => undefined);
}

/**
 * dmcss's in-memory "no restart" flag, as a file in DMSIM_RUN_DIR (per dmdcr.ini): set by the
 * host's watchers (`stop group`, `set group ... auto restart off`), cleared when dmcss starts.
 */
export function noRestartFlag(dcrFile: string): string {
  const h = crypto.createHash('sha1').update(dcrFile).digest('hex').slice(0, 12);
  fs.mkdirSync(env.runDir(), { recursive: true });
  return path.join(env.runDir(), `dmcss.${h}.norestart`);
}

/** The restart settings a running dmcss read at its start (what `set group ... auto restart` needs). */
export interface DmcssInfo {
  restartInterval: number;
  startupCmd: string | null;
}

/** Whether dmcss restarts its node: both settings given (§4.4 item 30, 7.5.10). */
export function restartConfigured(i: DmcssInfo | undefined): boolean {
  return !!i && i.restartInterval > 0 && !!i.startupCmd;
}

export async function dmcss(argv: string[]): Promise<number> {
  const dcr = loadDcrIni(dcrArg('dmcss', argv));
  if (listProcesses().some((p) => p.tool === 'dmcss' && p.key === dcr.file))
    throw new DmError(E.RUNNING, `a dmcss for ${dcr.file} already runs on this host`);
  fs.mkdirSync(dcr.asmRoot, { recursive: true });
  try {
    fs.rmSync(noRestartFlag(dcr.file), { force: true }); // the restart flag lives in memory only
  } catch {
    /* none */
  }
  const info: DmcssInfo = { restartInterval: dcr.dbRestartInterval, startupCmd: dcr.dbStartupCmd ?? null };
  registerProcess(dcr.file, { ...info });
  logAction('start', { dcrIni: dcr.file, seqNo: dcr.seqNo, restart: restartConfigured(info) });
  if (restartConfigured(info)) void restartLoop(dcr);
  return keepAlive('dmcss');
}

/**
 * DMDCR_DB_STARTUP_CMD, e.g. `/dm/bin/dmserver path=<dm.ini> dcr_ini=<dmdcr.ini> mount` (7.5.10),
 * run every DMDCR_DB_RESTART_INTERVAL seconds while the node is down; both as read at start.
 */
async function restartLoop(dcr: DcrIni): Promise<void> {
  const cmd = dcr.dbStartupCmd ?? '';
  const words = cmd.trim().split(/\s+/);
  const iniArg =
    words.find((w) => /^path=/i.test(w))?.slice(5) ??
    words.find((w, i) => i > 0 && w.endsWith('.ini') && !w.includes('='));
  for (;;) {
    await sleep(Math.max(1000, dcr.dbRestartInterval * 1000));
    if (fs.existsSync(noRestartFlag(dcr.file)) || !iniArg) continue;
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
  const cssRunning = () => listProcesses().some((p) => p.tool === 'dmcss' && p.key === dcr.file);
  if (!cssRunning())
    throw new DmError(E.DSC, `dmasmsvr needs the host's dmcss for ${dcr.file} running first`, '7.5.10');
  if (listProcesses().some((p) => p.tool === 'dmasmsvr' && p.key === dcr.file))
    throw new DmError(E.RUNNING, `a dmasmsvr for ${dcr.file} already runs on this host`);
  fs.mkdirSync(dcr.asmRoot, { recursive: true });
  registerProcess(dcr.file);
  logAction('start', { dcrIni: dcr.file });
  // 7.5.10: when its dmcss exits (restarted, stopped or killed), dmasmsvr is forced down
  let forced = false;
  setInterval(
    () => {
      if (forced || cssRunning()) return;
      forced = true;
      const reason = `the host's dmcss for ${dcr.file} exited: dmasmsvr is forced down (7.5.10)`;
      logAction('shutdown-abnormal', { dcrIni: dcr.file, reason });
      logAction('exit', { why: 'dmcss exited', normal: false });
      process.stdout.write(`[${reason}]\n`, () => process.exit(1));
    },
    Math.max(100, env.tickMs()),
  );
  return keepAlive('dmasmsvr');
}
