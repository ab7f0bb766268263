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

export async function runMonitorCommands(
  r: Remote,
  commands: readonly string[],
  hint: string,
): Promise<void> {
  const ini = planMonitorIni(r);
  if (!ini) r.fail('the cluster has no monitor to send the commands from', '', hint);
  const dir = (await r.must('mktemp -d', 'mktemp', 'check /tmp on the host')).stdout.trim();
  const file = path.join(dir, 'dmmonitor.ini');
  try {
    const text = ini
      .replace(/^(\s*MON_DW_CONFIRM\s*=\s*)\S+/m, '$10')
      .replace(/^(\s*MON_LOG_PATH\s*=\s*)\S+/m, `$1${dir}`);
    await r.ctx.ex.writeFile(r.host, file, text, { mode: 0o600 });
    await r.must(
      `${shQuote(r.bin('dmmonitor'))} ${shQuote(file)}`,
      `dmmonitor: ${commands.join('; ')}`,
      hint,
      {
        stdin: ['login', 'SYSDBA', r.password(), ...commands, 'exit', ''].join('\n'),
        timeoutMs: 60_000,
      },
    );
  } finally {
    await r.exec(`rm -rf ${shQuote(dir)}`);
  }
}
