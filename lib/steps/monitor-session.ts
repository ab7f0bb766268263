/**
 * Monitor commands that need a login (§4.4), sent from a monitoring-mode copy of the plan's
 * dmmonitor.ini (MON_DW_CONFIRM = 0, its log in a temporary directory) run on the step's host,
 * so the confirm monitor is left alone. SYSDBA's password goes on dmmonitor's standard input.
 */
import path from 'node:path/posix';
import { shQuote } from '../ssh';
import type { Remote } from './remote';

/** The plan's (first) dmmonitor.ini, or undefined when the cluster has no monitor. */
export function planMonitorIni(r: Remote): string | undefined {
  for (const s of r.ctx.plan.steps)
    if (s.params.kind === 'monitor') return s.params.files.find((f) => f.role === 'dmmonitor.ini')?.content;
  return undefined;
}

/**
 * `run` with a monitoring-mode copy of `ini` (MON_DW_CONFIRM = 0, its log in the copy's temporary
 * directory) on the step's host, removed afterwards: the confirm monitor is left alone.
 */
export async function withMonitoringCopy<T>(
  r: Remote,
  ini: string,
  run: (file: string) => Promise<T>,
): Promise<T> {
  const dir = (await r.must('mktemp -d', 'mktemp', `check /tmp on ${r.host}`)).stdout.trim();
  const file = path.join(dir, 'dmmonitor.ini');
  try {
    const text = ini
      .replace(/^(\s*MON_DW_CONFIRM\s*=\s*)\S+/m, '$10')
      .replace(/^(\s*MON_LOG_PATH\s*=\s*)\S+/m, `$1${dir}`);
    await r.ctx.ex.writeFile(r.host, file, text, { mode: 0o600 });
    return await run(file);
  } finally {
    await r.exec(`rm -rf ${shQuote(dir)}`);
  }
}

/** Logged in as SYSDBA (the password on stdin), `commands` from a monitoring-mode copy of `ini`. */
export async function runMonitorCommands(
  r: Remote,
  commands: readonly string[],
  hint: string,
  ini: string | undefined = planMonitorIni(r),
): Promise<void> {
  if (!ini) r.fail('the cluster has no monitor to send the commands from', '', hint);
  await withMonitoringCopy(r, ini, (file) =>
    r.must(`${shQuote(r.bin('dmmonitor'))} ${shQuote(file)}`, `dmmonitor: ${commands.join('; ')}`, hint, {
      stdin: ['login', 'SYSDBA', r.password(), ...commands, 'exit', ''].join('\n'),
      timeoutMs: 60_000,
    }),
  );
}
