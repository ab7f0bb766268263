/**
 * disql: statements on standard input, never a password in argv.
 *
 *   disql [-S] [-L] /nolog         then on stdin: CONN SYSDBA/<password>@<host>:<port>   (DM's form)
 *   disql [-S] [-L] SYSDBA@host:port   then the first stdin line is the password
 *   disql [-S] [-L]                then the first stdin line is SYSDBA/<password>@<host>:<port>
 *
 * A password with special characters may be double-quoted: SYSDBA/"pa@ss"@host:port.
 * Every logon form takes DM's extended options after the server (DIsql manual 2.1.2.2, 2.2.2):
 * `SYSDBA/<pw>@host:port#{MPP_TYPE=LOCAL}` (MPP_TYPE = GLOBAL (default) | LOCAL; key and value
 * case-insensitive); on the command line also DM's escaped form `#"{...}"`. A GLOBAL session to
 * an MPP_INI=1 instance that is not OPEN is refused by the server (7.4.3.6); LOCAL always works.
 * Statements end with ';'. DIsql commands (CONN, SET, WHENEVER, EXIT, QUIT) need no ';'.
 * On the first SQL error disql stops and exits 1 (dmsim's default, as if `WHENEVER SQLERROR
 * EXIT 1`); `WHENEVER SQLERROR CONTINUE` runs on and still exits 1 at the end.
 * DMSIM_DISQL_JSON=1 prints one JSON object per statement instead of disql's layout (its `stmt`
 * redacted as in the action log: IDENTIFIED BY, SP_DCP_SET_LOGIN's PWD).
 */
import { DmError, E, logAction, opDelay, readStdin, redactSql } from '../common';
import { JsonClient, raise } from '../net';
import { formatRows, type Cell } from '../sql';

export type MppType = 'GLOBAL' | 'LOCAL';

interface Target {
  user: string;
  password: string;
  host: string;
  port: number;
  mppType: MppType;
}

/**
 * DM's `<logon_option>`: `#{<extend_option>=<value>{,<extend_option>=<value>}}` at the end of a
 * logon (DIsql manual 2.1.2.2; `#"{...}"` is the escaped form for a command line). Only MPP_TYPE
 * is modelled; DM's other options (INET_TYPE, SSL_PATH, ...) are refused as not modelled, and an
 * unknown option or value as DM would.
 */
export function splitLogonOption(s: string, escapedForm: boolean): { logon: string; mppType: MppType } {
  const str = s.trim();
  const m = (escapedForm ? /^(.*?)#(?:\{([^{}]*)\}|"\{([^{}]*)\}")$/s : /^(.*?)#\{([^{}]*)\}$/s).exec(str);
  if (!m) {
    if (/#["{]/.test(str.replace(/^[^/]*\/"[^"]*"/, '')))
      throw new DmError(
        E.INVALID_ARG,
        `bad logon option in ${redactLogon(str)}: write #{<extend_option>=<value>{,<extend_option>=<value>}} (DIsql manual 2.2.2)`,
      );
    return { logon: str, mppType: 'GLOBAL' };
  }
  let mppType: MppType = 'GLOBAL';
  const body = m[2] ?? m[3] ?? '';
  const seen = new Set<string>();
  for (const part of body.split(',')) {
    const kv = /^\s*([A-Za-z_]+)\s*=\s*(\S+?)\s*$/.exec(part);
    if (!kv)
      throw new DmError(
        E.INVALID_ARG,
        `bad logon option ${JSON.stringify(part.trim())}: expected <extend_option>=<value>`,
      );
    const key = (kv[1] ?? '').toUpperCase();
    const value = (kv[2] ?? '').toUpperCase();
    if (seen.has(key)) throw new DmError(E.INVALID_ARG, `logon option ${key} given twice`);
    seen.add(key);
    if (key === 'MPP_TYPE') {
      if (value !== 'GLOBAL' && value !== 'LOCAL')
        throw new DmError(
          E.INVALID_ARG,
          `MPP_TYPE=${kv[2]}: the value must be GLOBAL or LOCAL (DIsql manual 2.1.2.2)`,
        );
      mppType = value;
    } else if (
      ['INET_TYPE', 'SSL_PATH', 'SSL_PWD', 'PROXY_CLIENT', 'GWDSN', 'UKEY_NAME', 'UKEY_PIN'].includes(key)
    )
      throw new DmError(E.NOT_SUPPORTED, `logon option ${key} is not modelled by dmsim (only MPP_TYPE is)`);
    else throw new DmError(E.INVALID_ARG, `unknown logon option ${key} (DIsql manual 2.1.2.2)`);
  }
  return { logon: m[1] ?? '', mppType };
}

/** A logon string for messages: never the password. */
function redactLogon(s: string): string {
  const slash = s.indexOf('/');
  if (slash < 0) return s;
  const at = s.lastIndexOf('@');
  return `${s.slice(0, slash)}/******${at > slash ? s.slice(at) : ''}`;
}

export function parseLogin(s: string): Target {
  const opt = splitLogonOption(s, false);
  const str = opt.logon;
  const slash = str.indexOf('/');
  if (slash <= 0) throw new DmError(E.INVALID_ARG, 'login must be USER/PASSWORD@HOST:PORT');
  const user = str.slice(0, slash);
  let rest = str.slice(slash + 1);
  let password: string;
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    if (end < 0) throw new DmError(E.INVALID_ARG, 'unterminated quoted password');
    password = rest.slice(1, end);
    rest = rest.slice(end + 1);
  } else {
    const at = rest.lastIndexOf('@');
    password = at >= 0 ? rest.slice(0, at) : rest;
    rest = at >= 0 ? rest.slice(at) : '';
  }
  const server = rest.startsWith('@') ? rest.slice(1) : rest ? rest : '';
  return { user, password, ...parseServer(server), mppType: opt.mppType };
}

function parseServer(server: string): { host: string; port: number } {
  if (!server) return { host: '127.0.0.1', port: 5236 };
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(server) ?? /^([^:]+)(?::(\d+))?$/.exec(server);
  if (!m) throw new DmError(E.INVALID_ARG, `bad server ${server}`);
  const host = (m[1] ?? '').toUpperCase() === 'LOCALHOST' ? '127.0.0.1' : (m[1] ?? '');
  return { host, port: m[2] ? Number(m[2]) : 5236 };
}

const SET_OPTS = [
  'HEADING',
  'FEEDBACK',
  'TIMING',
  'LINESHOW',
  'ECHO',
  'PAGESIZE',
  'LINESIZE',
  'NEWPAGE',
  'CHAR_CODE',
  'AUTOCOMMIT',
  'SERVEROUTPUT',
  'LONG',
  'TRIMSPOOL',
  'WRAP',
  'VERIFY',
  'DEFINE',
  'TERMOUT',
  'CURSOR',
  'COLSEP',
  'NULL',
  'KEEPDATA',
];

export async function disql(argv: string[]): Promise<number> {
  let silent = false;
  let nolog = false;
  let argLogin: string | undefined;
  for (const a of argv) {
    if (/^-S$/i.test(a)) silent = true;
    else if (/^-L$/i.test(a)) continue;
    else if (/^\/nolog$/i.test(a)) nolog = true;
    else if (!a.startsWith('-') && !argLogin) argLogin = a;
    else throw new DmError(E.INVALID_ARG, `disql: invalid parameter ${a}`);
  }
  if (argLogin?.includes('/'))
    throw new DmError(
      E.INVALID_ARG,
      'disql: a password on the command line is refused by dmsim (visible in the process list); give it on standard input',
    );
  const json = process.env.DMSIM_DISQL_JSON === '1';
  const opts = { heading: true, feedback: true, timing: true, lineshow: true, echo: false };
  const lines = (await readStdin()).split(/\r?\n/);
  let li = 0;
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  let client: JsonClient | undefined;
  let server = '';
  let failed = false;
  let stopOnError = true;
  let exitCode = 1;

  const connect = async (t: Target): Promise<void> => {
    client?.close();
    client = undefined;
    server = `${t.host}:${t.port}`;
    logAction('connect', { user: t.user, server, mppType: t.mppType });
    const started = process.hrtime.bigint();
    const c = await JsonClient.connect(t.host, t.port, 3000).catch(() => {
      throw new DmError(E.CONNECT, '创建SOCKET连接失败');
    });
    let r;
    try {
      r = raise(
        await c.request({ op: 'login', user: t.user, password: t.password, mppType: t.mppType }, 5000),
      );
    } catch (e) {
      c.close();
      throw e;
    }
    client = c;
    if (!silent && !json) {
      const st = String(r.status);
      const mode = String(r.mode);
      const word = mode === 'PRIMARY' ? '主库' : mode === 'STANDBY' ? '备库' : '普通';
      out(`服务器[${server}]:处于${word}${st === 'OPEN' ? '打开' : '配置'}状态`);
      out(`登录使用时间 : ${elapsed(started)}(ms)`);
    }
  };

  const reportError = (stmt: string, e: unknown) => {
    const line = e instanceof DmError ? e.line : `[-1]:${(e as Error).message}`;
    if (json) out(JSON.stringify({ stmt: redactSql(stmt), ok: false, error: line }));
    else out(line);
    failed = true;
  };

  if (!silent && !json) out('disql V8');
  try {
    if (!nolog) {
      if (argLogin) {
        const pw = lines[li++] ?? '';
        const { logon, mppType } = splitLogonOption(argLogin, true);
        const at = logon.indexOf('@');
        await connect({
          user: at >= 0 ? logon.slice(0, at) : logon,
          password: pw,
          ...parseServer(at >= 0 ? logon.slice(at + 1) : ''),
          mppType,
        });
      } else {
        while (li < lines.length && !(lines[li] ?? '').trim()) li++;
        await connect(parseLogin(lines[li++] ?? ''));
      }
    }
  } catch (e) {
    reportError('login', e);
    return 1;
  }

  let buf = '';
  for (; li < lines.length; li++) {
    const raw = lines[li] ?? '';
    const t = raw.trim();
    if (!buf) {
      if (!t || t.startsWith('--')) continue;
      const cmd = /^(CONN|CONNECT|SET|WHENEVER|EXIT|QUIT|LOGIN|DISCONN|DISCONNECT)\b\s*(.*?);?\s*$/i.exec(t);
      if (cmd) {
        const word = (cmd[1] ?? '').toUpperCase();
        const rest = cmd[2] ?? '';
        try {
          if (word === 'CONN' || word === 'CONNECT' || word === 'LOGIN') await connect(parseLogin(rest));
          else if (word === 'DISCONN' || word === 'DISCONNECT') {
            client?.close();
            client = undefined;
          } else if (word === 'EXIT' || word === 'QUIT') {
            client?.close();
            const n = rest.trim() ? Number(rest.trim()) : failed ? 1 : 0;
            return Number.isFinite(n) ? n : 1;
          } else if (word === 'WHENEVER') {
            const m = /^SQLERROR\s+(EXIT(?:\s+(\d+))?|CONTINUE)$/i.exec(rest.trim());
            if (!m)
              throw new DmError(E.SYNTAX, `WHENEVER ${rest}: only WHENEVER SQLERROR EXIT [n] | CONTINUE`);
            stopOnError = /^EXIT/i.test(m[1] ?? '');
            exitCode = m[2] ? Number(m[2]) : 1;
          } else {
            const parts = rest.trim().split(/\s+/);
            for (let i = 0; i < parts.length; i += 2) {
              const k = (parts[i] ?? '').toUpperCase();
              const v = (parts[i + 1] ?? '').toUpperCase();
              if (!SET_OPTS.includes(k)) throw new DmError(E.SYNTAX, `SET ${k}: unknown option`);
              if (k === 'HEADING') opts.heading = v !== 'OFF';
              if (k === 'FEEDBACK') opts.feedback = v !== 'OFF';
              if (k === 'TIMING') opts.timing = v !== 'OFF';
              if (k === 'LINESHOW') opts.lineshow = v !== 'OFF';
              if (k === 'ECHO') opts.echo = v === 'ON';
            }
          }
        } catch (e) {
          reportError(t, e);
          if (stopOnError) {
            client?.close();
            return exitCode;
          }
        }
        continue;
      }
    }
    // accumulate SQL until ';' outside quotes
    buf += (buf ? '\n' : '') + raw;
    if (!endsStatement(buf)) continue;
    const stmt = buf.trim().replace(/;\s*$/, '').trim();
    buf = '';
    if (!stmt) continue;
    logAction('sql', { server, stmt: redactSql(stmt) });
    if (!silent && !json) process.stdout.write('SQL> ');
    if (opts.echo && !json) out(stmt + ';');
    const started = process.hrtime.bigint();
    try {
      if (!client) throw new DmError(-2501, '未连接');
      await opDelay('sql');
      const r = raise(await client.request({ op: 'sql', sql: stmt }, 60_000));
      if (json) {
        out(
          JSON.stringify({ stmt: redactSql(stmt), ok: true, columns: r.columns, rows: r.rows, kind: r.kind }),
        );
        continue;
      }
      if (r.kind === 'rows') {
        const rows = (r.rows as Cell[][]) ?? [];
        if (!rows.length) out('未选定行');
        else {
          out('');
          out(formatRows({ columns: (r.columns as string[]) ?? [], rows }, opts));
          if (opts.timing)
            out(`\n已用时间: ${elapsed(started)}(毫秒). 执行号:${Math.floor(Math.random() * 900 + 100)}.`);
        }
      } else {
        out(r.kind === 'proc' ? 'DMSQL 过程已成功完成' : '操作已执行');
        if (opts.timing) out(`已用时间: ${elapsed(started)}(毫秒). 执行号:0.`);
      }
    } catch (e) {
      reportError(stmt, e);
      if (stopOnError) {
        client?.close();
        return exitCode;
      }
    }
  }
  if (buf.trim()) {
    reportError(buf.trim(), new DmError(E.SYNTAX, 'statement not terminated by ;'));
  }
  client?.close();
  return failed ? exitCode : 0;
}

function endsStatement(s: string): boolean {
  let q = false;
  let last = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (ch === "'") q = !q;
    if (!q && ch === '-' && s[i + 1] === '-') {
      const nl = s.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
      continue;
    }
    if (!/\s/.test(ch)) last = q ? '' : ch;
  }
  return !q && last === ';';
}

function elapsed(started: bigint): string {
  return (Number(process.hrtime.bigint() - started) / 1e6).toFixed(3);
}
