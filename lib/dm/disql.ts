/**
 * Talking to disql the safe way: the login goes on standard input (`disql /nolog`, then
 * `CONN SYSDBA/<password>@host:port`), never on the command line where `ps` shows it to every
 * user. Pure: builds the input text and reads the output; lib/steps runs it.
 */

/** The password as CONN wants it: bare when plain, else double-quoted (DIsql's quoting). */
export function connPassword(password: string): string {
  if (/^[A-Za-z0-9_#$]+$/.test(password)) return password;
  if (password.includes('"')) throw new Error('the SYSDBA password must not contain a double quote');
  return `"${password}"`;
}

export interface DisqlLogin {
  user?: string;
  password: string;
  address: string;
  port: number;
  /** Log in with MPP_TYPE=LOCAL (7.4.3.6): one MPP node alone, not the whole MPP system. */
  mppLocal?: boolean;
}

/** The standard input of one disql session: login, stop at the first error, bare output, statements. */
export function disqlInput(login: DisqlLogin, statements: readonly string[]): string {
  const addr = login.address.includes(':') ? `[${login.address}]` : login.address;
  return [
    `CONN ${login.user ?? 'SYSDBA'}/${connPassword(login.password)}@${addr}:${login.port}${login.mppLocal ? '#{MPP_TYPE=LOCAL}' : ''}`,
    'WHENEVER SQLERROR EXIT 1',
    'SET HEADING OFF LINESHOW OFF TIMING OFF FEEDBACK OFF',
    ...statements.map((s) => (/;\s*$/.test(s) ? s : `${s};`)),
    'EXIT',
    '',
  ].join('\n');
}

/** DM's error lines (`[-6001]:...`), or the last non-empty line when there is none. */
export function dmMessage(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => /^\[-\d+\]/.test(l) || /^\[-\d+\]:/.test(l) || /\[-\d+\]:/.test(l));
  return (errors.length ? errors : lines.slice(-1)).join(' | ');
}

/** The rows of a bare (`SET HEADING OFF LINESHOW OFF ...`) SELECT: whitespace-separated values per line. */
export function bareRows(output: string): string[][] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) => l && !/^(服务器|SQL>|连接|已用时间|DMSQL|操作已执行|disql|Server|connected|login)/i.test(l),
    )
    .filter((l) => !/^\[-\d+\]/.test(l))
    .map((l) => l.split(/\s+/));
}
