/**
 * Entry point of every dmsim tool: `node dmsim.cjs <tool> [args...]`. The installed wrappers in
 * <binDir>/<tool> call this. Errors print as DM prints them (`[-code]:message`) and exit non-zero.
 */
import { DmError, logAction, logInvocation, refuseSecretArgs, setTool } from './common';
import { dminit } from './tools/dminit';
import { dmserver } from './tools/dmserver';
import { disql } from './tools/disql';
import { dmrman } from './tools/dmrman';
import { dmwatcher } from './tools/dmwatcher';
import { dmmonitor } from './tools/dmmonitor';
import { dmctlcvt } from './tools/dmctlcvt';
import { dmasmsvr, dmcss } from './tools/dsc';

export const TOOLS: Record<string, (argv: string[]) => Promise<number>> = {
  dminit,
  dmserver,
  disql,
  dmrman,
  dmwatcher,
  dmmonitor,
  dmctlcvt,
  dmcss,
  dmasmsvr,
};

async function main(): Promise<void> {
  const [tool, ...argv] = process.argv.slice(2);
  const fn = tool ? TOOLS[tool] : undefined;
  if (!tool || !fn) {
    process.stderr.write(
      `dmsim: unknown tool ${tool ?? '(none)'}; one of ${Object.keys(TOOLS).join(', ')}\n`,
    );
    process.exit(2);
  }
  setTool(tool, argv);
  try {
    logInvocation();
    refuseSecretArgs(tool, argv);
    const code = await fn(argv);
    // a finished tool exits even if a socket or timer lingers (long-running tools never get here)
    process.exitCode = code;
    process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
  } catch (e) {
    const msg = e instanceof DmError ? e.line : `[-1]:${e instanceof Error ? e.message : String(e)}`;
    logAction('error', { error: msg });
    if (process.send) {
      try {
        process.send({ error: msg + '\n' });
      } catch {
        /* parent gone */
      }
    }
    process.exitCode = 1;
    process.stderr.write(msg + '\n', () => process.exit(1));
  }
}

void main();
