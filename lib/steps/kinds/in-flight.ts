/**
 * A dminit or dmrman that an earlier run started and then lost (its SSH connection cut, its
 * Terraform killed) still runs on the host: the process outlives the session. Starting a second
 * one on the same database (a second RESTORE over a RESTORE, a backup directory removed under a
 * running BACKUP) corrupts it, so a step that runs these tools first waits for any still running
 * on its database, within its own time limit, and only then probes the real state.
 */
import type { Remote } from '../remote';

/** How a tool's command line names the database it works on. */
export type DatabaseMarker =
  /** dminit path=<initPath> DB_NAME=<dbName> (7.2.2) */
  | { tool: 'dminit'; initPath: string; dbName: string }
  /** dmrman CTLSTMT="… '<dm.ini>' …" (7.1.1), or dmrman use_ap=2 dcr_ini=<dcr_ini> for DMDSC (7.5.3.3) */
  | { tool: 'dmrman'; iniPath: string; dcrIni?: string };

const POLL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Does the command line `args` run the marker's tool on its database? */
export function runsOn(args: readonly string[], m: DatabaseMarker): boolean {
  if (!args.some((a) => a === m.tool || a.endsWith(`/${m.tool}`))) return false;
  if (m.tool === 'dminit') return args.includes(`path=${m.initPath}`) && args.includes(`DB_NAME=${m.dbName}`);
  if (m.dcrIni && args.includes(`dcr_ini=${m.dcrIni}`)) return true;
  // the statement quotes the dm.ini path (lib/dm/sql.ts rman)
  return args.join(' ').includes(`'${m.iniPath}'`);
}

/** Waits until no process runs the marker's tool on its database; fails after `timeoutMs`. */
export async function awaitInFlight(r: Remote, m: DatabaseMarker, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    const pids = (await r.processes()).filter((p) => runsOn(p.args, m)).map((p) => p.pid);
    if (!pids.length) return;
    const which = `${m.tool} (pid ${pids.join(', ')})`;
    if (!said) {
      r.ctx.progress(`waiting for ${which}, started earlier on this database, to finish before probing`);
      said = true;
    }
    if (Date.now() > deadline)
      r.fail(
        `${which} still runs on this database after ${Math.round(timeoutMs / 1000)} s`,
        '',
        `an earlier apply started it and lost it; let it finish (or stop it yourself), then apply again`,
      );
    await sleep(POLL_MS);
  }
}
