/**
 * Monitor commands that need a login (§4.4), and `show`, sent from a monitoring-mode dmmonitor.ini
 * the plan carries (rendered by render/dmmonitor.ts monitoringMode: MON_DW_CONFIRM = 0, its log
 * beside it), written as it is to a temporary directory on the step's host and removed
 * afterwards: the confirm monitor is left alone. SYSDBA's password goes on dmmonitor's stdin.
 */
import path from 'node:path/posix';
import { shQuote } from '../ssh';
import type { Step } from '../plan';
import type { Remote } from './remote';

type MonitorStep = Step & { params: { kind: 'monitor' } };

/** The plan's monitor steps, the first one first. */
function monitorSteps(r: Remote): MonitorStep[] {
  return r.ctx.plan.steps.filter((s): s is MonitorStep => s.params.kind === 'monitor');
}

/**
 * The monitoring-mode copy the plan renders for its dmmonitor.ini at `iniPath` on `host`, else
 * for its first one; undefined when the cluster has no monitor.
 */
export function planMonitoringIni(r: Remote, at?: { host: string; iniPath: string }): string | undefined {
  const steps = monitorSteps(r);
  const mine = at && steps.find((s) => s.host === at.host && s.params.iniPath === at.iniPath);
  return (mine ?? steps[0])?.params.monitoringIni;
}

/** `run` with `ini`, a monitoring-mode dmmonitor.ini, in a temporary directory on the step's host, removed afterwards. */
export async function withMonitoringIni<T>(
  r: Remote,
  ini: string,
  run: (file: string) => Promise<T>,
): Promise<T> {
  const dir = (await r.must('mktemp -d', 'mktemp', `check /tmp on ${r.host}`)).stdout.trim();
  const file = path.join(dir, 'dmmonitor.ini');
  try {
    await r.ctx.ex.writeFile(r.host, file, ini, { mode: 0o600 });
    return await run(file);
  } finally {
    await r.exec(`rm -rf ${shQuote(dir)}`);
  }
}

/** Logged in as SYSDBA (the password on stdin), `commands` from the monitoring-mode `ini`. */
export async function runMonitorCommands(
  r: Remote,
  commands: readonly string[],
  hint: string,
  ini: string | undefined = planMonitoringIni(r),
): Promise<void> {
  if (!ini) r.fail('the cluster has no monitor to send the commands from', '', hint);
  await withMonitoringIni(r, ini, (file) =>
    r.must(`${shQuote(r.bin('dmmonitor'))} ${shQuote(file)}`, `dmmonitor: ${commands.join('; ')}`, hint, {
      stdin: ['login', 'SYSDBA', r.password(), ...commands, 'exit', ''].join('\n'),
      timeoutMs: 60_000,
    }),
  );
}
