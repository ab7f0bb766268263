/**
 * The SQL the simulator understands, parsed into statements; plus SELECT evaluation over the
 * rows of a view, and disql-style result formatting. Anything else is a syntax error.
 */
import { DmError, E, redactSql } from './common';

export type Stmt =
  | { kind: 'set_para'; scope: number; name: string; value: string }
  | { kind: 'set_oguid'; oguid: number }
  | { kind: 'alter_mode'; mode: 'PRIMARY' | 'STANDBY' | 'NORMAL' }
  | { kind: 'mount' }
  | { kind: 'open'; force: boolean }
  | { kind: 'suspend' }
  | { kind: 'add_archivelog'; spec: string }
  | { kind: 'delete_archivelog'; spec: string }
  | { kind: 'backup'; name?: string; dir: string; options: string }
  | { kind: 'mal_config'; on: number; flag: number }
  | { kind: 'mal_inst_add'; args: (string | number)[] }
  | { kind: 'mal_config_apply' }
  | { kind: 'select'; cols: { expr: string; alias: string }[]; from?: string; where: [string, string][] }
  | { kind: 'shutdown'; how: string }
  | { kind: 'dpc_proc'; name: DpcProc; args: (string | number | null)[] }
  | { kind: 'dcp_proc'; name: DcpProc; args: (string | number | null)[] }
  | { kind: 'create_user'; user: string; password: string };

/** The MP's registration procedures (003 7.1.4). */
export const DPC_PROCS = [
  'SP_CREATE_DPC_INSTANCE',
  'SP_CREATE_DPC_RAFT',
  'SP_CREATE_DPC_BP_GROUP',
  'SP_BP_GROUP_ADD_RAFT',
  'SP_CREATE_FAULT_DOMAIN',
  'SP_FAULT_DOMAIN_MV_INST',
] as const;
export type DpcProc = (typeof DPC_PROCS)[number];

/** The DCP's management procedures (001 4.1-4.5), over its DCP_PORT_NUM only. */
export const DCP_PROCS = [
  'SP_DCP_ADD_INST',
  'SP_DCP_CLEAR_INST',
  'SP_DCP_SET_LOGIN',
  'SP_DCP_REFRESH_CONFIG',
  'SP_DCP_CLEAR_CONN',
] as const;
export type DcpProc = (typeof DCP_PROCS)[number];

/** Parse the arguments of a procedure call: quoted strings and numbers. */
export function parseArgs(s: string): (string | number)[] {
  const out = parseArgsNull(s, false);
  return out as (string | number)[];
}

/** Procedure arguments where NULL is allowed (the DMDPC procedures). */
export function parseArgsNull(s: string, allowNull = true): (string | number | null)[] {
  const out: (string | number | null)[] = [];
  let i = 0;
  const skip = () => {
    while (i < s.length && /\s/.test(s[i] ?? '')) i++;
  };
  skip();
  if (i >= s.length) return out;
  for (;;) {
    skip();
    if (s[i] === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= s.length) throw new DmError(E.SYNTAX, '语法分析出错: unterminated string');
        if (s[i] === "'") {
          if (s[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i++];
      }
      out.push(v);
    } else if (allowNull && /^NULL\b/i.test(s.slice(i))) {
      out.push(null);
      i += 4;
    } else {
      const m = /^-?\d+(\.\d+)?/.exec(s.slice(i));
      if (!m) throw new DmError(E.SYNTAX, `语法分析出错 near ${s.slice(i, i + 20)}`);
      out.push(Number(m[0]));
      i += m[0].length;
    }
    skip();
    if (i >= s.length) return out;
    if (s[i] !== ',') throw new DmError(E.SYNTAX, `语法分析出错 near ${s.slice(i, i + 20)}`);
    i++;
  }
}

function call(sql: string, name: string): string | undefined {
  const m = new RegExp(`^(?:CALL\\s+)?${name}\\s*\\((.*)\\)$`, 'is').exec(sql);
  return m ? (m[1] ?? '') : undefined;
}

export function parseStmt(raw: string): Stmt {
  const sql = raw.trim().replace(/;\s*$/, '').trim();
  let a: string | undefined;
  if ((a = call(sql, 'SP_SET_PARA_VALUE')) !== undefined) {
    const args = parseArgs(a);
    if (args.length !== 3 || typeof args[0] !== 'number' || typeof args[1] !== 'string')
      throw new DmError(E.SYNTAX, 'SP_SET_PARA_VALUE(scope, name, value): wrong arguments');
    return { kind: 'set_para', scope: args[0], name: args[1].toUpperCase(), value: String(args[2]) };
  }
  if ((a = call(sql, 'SP_SET_OGUID')) !== undefined) {
    const args = parseArgs(a);
    if (args.length !== 1 || typeof args[0] !== 'number' || !Number.isInteger(args[0]))
      throw new DmError(E.SYNTAX, 'SP_SET_OGUID(oguid): wrong arguments');
    return { kind: 'set_oguid', oguid: args[0] };
  }
  if ((a = call(sql, 'SF_MAL_CONFIG')) !== undefined) {
    const args = parseArgs(a);
    if (args.length !== 2 || args.some((x) => typeof x !== 'number'))
      throw new DmError(E.SYNTAX, 'SF_MAL_CONFIG(config_flag, mode): wrong arguments');
    return { kind: 'mal_config', on: Number(args[0]), flag: Number(args[1]) };
  }
  if ((a = call(sql, 'SF_MAL_INST_ADD')) !== undefined) return { kind: 'mal_inst_add', args: parseArgs(a) };
  if ((a = call(sql, 'SF_MAL_CONFIG_APPLY')) !== undefined) {
    if (a.trim()) throw new DmError(E.SYNTAX, 'SF_MAL_CONFIG_APPLY() takes no arguments');
    return { kind: 'mal_config_apply' };
  }
  for (const name of DPC_PROCS)
    if ((a = call(sql, name)) !== undefined) return { kind: 'dpc_proc', name, args: parseArgsNull(a) };
  for (const name of DCP_PROCS)
    if ((a = call(sql, name)) !== undefined) {
      if (name !== 'SP_DCP_SET_LOGIN') return { kind: 'dcp_proc', name, args: parseArgsNull(a) };
      // its PWD is a secret: a syntax error must not quote the arguments back
      try {
        return { kind: 'dcp_proc', name, args: parseArgsNull(a) };
      } catch {
        throw new DmError(E.SYNTAX, '语法分析出错: SP_DCP_SET_LOGIN(USERNAME, PWD) takes two quoted strings');
      }
    }
  // CREATE USER (a DCP's local, non-DBA account; 001:L173); the password is never quoted back
  let cu: RegExpExecArray | null;
  if ((cu = /^CREATE\s+USER\s+("?)([A-Za-z_][\w$#]*)\1\s+IDENTIFIED\s+BY\s+("([^"]*)"|(\S+))$/is.exec(sql)))
    return { kind: 'create_user', user: (cu[2] ?? '').toUpperCase(), password: cu[4] ?? cu[5] ?? '' };
  let m: RegExpExecArray | null;
  if ((m = /^ALTER\s+DATABASE\s+(PRIMARY|STANDBY|NORMAL)$/i.exec(sql)))
    return { kind: 'alter_mode', mode: (m[1] ?? '').toUpperCase() as 'PRIMARY' };
  if (/^ALTER\s+DATABASE\s+MOUNT$/i.test(sql)) return { kind: 'mount' };
  if ((m = /^ALTER\s+DATABASE\s+OPEN(\s+FORCE)?$/i.exec(sql))) return { kind: 'open', force: !!m[1] };
  if (/^ALTER\s+DATABASE\s+SUSPEND$/i.test(sql)) return { kind: 'suspend' };
  if ((m = /^ALTER\s+DATABASE\s+ADD\s+ARCHIVELOG\s+'([^']*)'$/i.exec(sql)))
    return { kind: 'add_archivelog', spec: m[1] ?? '' };
  if ((m = /^ALTER\s+DATABASE\s+DELETE\s+ARCHIVELOG\s+'([^']*)'$/i.exec(sql)))
    return { kind: 'delete_archivelog', spec: m[1] ?? '' };
  if (
    (m =
      /^BACKUP\s+DATABASE(?:\s+FULL)?(?:\s+TO\s+([A-Za-z_][\w$#]*))?\s+BACKUPSET\s+'([^']+)'((?:\s+.*)?)$/is.exec(
        sql,
      ))
  ) {
    const options = (m[3] ?? '').trim();
    if (
      options &&
      !/^((WITHOUT\s+LOG|COMPRESSED(\s+LEVEL\s+\d)?|PARALLEL\s+\d+|BACKUPINFO\s+'[^']*'|MAXPIECESIZE\s+\d+)\s*)+$/i.test(
        options,
      )
    )
      throw new DmError(E.SYNTAX, `语法分析出错: BACKUP option ${options} is not modelled`);
    const st: Stmt = { kind: 'backup', dir: m[2] ?? '', options };
    if (m[1]) st.name = m[1];
    return st;
  }
  if ((m = /^SHUTDOWN(?:\s+(IMMEDIATE|NORMAL|ABORT|TRANSACTIONAL))?$/i.exec(sql)))
    return { kind: 'shutdown', how: (m[1] ?? 'NORMAL').toUpperCase() };
  if ((m = /^SELECT\s+(.+?)(?:\s+FROM\s+([A-Za-z_$][\w$.]*))?(?:\s+WHERE\s+(.+))?$/is.exec(sql))) {
    const cols = splitTop(m[1] ?? '').map((c) => {
      const am = /^(.+?)(?:\s+AS)?\s+("?)([A-Za-z_][\w$]*)\2$/i.exec(c.trim());
      if (am && !/^\*$/.test(c.trim()) && !/^'.*'$/.test(c.trim()))
        return { expr: (am[1] ?? '').trim(), alias: (am[3] ?? '').toUpperCase() };
      return { expr: c.trim(), alias: c.trim().toUpperCase() };
    });
    const where: [string, string][] = [];
    if (m[3])
      for (const cond of m[3].split(/\s+AND\s+/i)) {
        const cm = /^\s*([A-Za-z_][\w$]*)\s*=\s*('([^']*)'|(-?\d+))\s*$/.exec(cond);
        if (!cm)
          throw new DmError(
            E.SYNTAX,
            `语法分析出错: WHERE ${cond} is not modelled (only col = value [AND ...])`,
          );
        where.push([(cm[1] ?? '').toUpperCase(), cm[3] ?? cm[4] ?? '']);
      }
    const st: Stmt = { kind: 'select', cols, where };
    if (m[2]) st.from = m[2].toUpperCase();
    return st;
  }
  throw new DmError(
    E.SYNTAX,
    `语法分析出错: dmsim does not model ${JSON.stringify(redactSql(sql).slice(0, 60))}`,
  );
}

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let q = false;
  for (const ch of s) {
    if (ch === "'") q = !q;
    if (!q && ch === '(') depth++;
    if (!q && ch === ')') depth--;
    if (!q && depth === 0 && ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export type Cell = string | number | null;
export interface View {
  columns: string[];
  rows: Cell[][];
}

/** Project and filter a view's rows for a parsed SELECT. */
export function selectFrom(view: View, st: Extract<Stmt, { kind: 'select' }>, name: string): View {
  const idx = (c: string) => {
    const i = view.columns.indexOf(c.toUpperCase());
    if (i < 0) throw new DmError(-2111, `无效的列名[${c}] in ${name}`);
    return i;
  };
  let rows = view.rows;
  for (const [col, val] of st.where) {
    const i = idx(col);
    rows = rows.filter((r) => String(r[i] ?? '') === val);
  }
  if (st.cols.length === 1 && st.cols[0]?.expr === '*') return { columns: view.columns, rows };
  // a column is a view's column, a literal ('tag' or a number: the same in every row), or COUNT(*)
  const picks = st.cols.map((c): { alias: string; i: number; lit?: Cell } => {
    if (/^COUNT\(\*\)$/i.test(c.expr)) return { alias: c.alias, i: -1 };
    if (/^'(?:[^']|'')*'$/.test(c.expr))
      return { alias: c.alias, i: -2, lit: c.expr.slice(1, -1).replace(/''/g, "'") };
    if (/^-?\d+$/.test(c.expr)) return { alias: c.alias, i: -2, lit: Number(c.expr) };
    return { alias: c.alias, i: idx(c.expr) };
  });
  if (picks.some((p) => p.i === -1)) {
    if (picks.length !== 1) throw new DmError(E.SYNTAX, 'COUNT(*) must be the only column');
    return { columns: [picks[0]?.alias ?? 'COUNT(*)'], rows: [[rows.length]] };
  }
  return {
    columns: picks.map((p) => p.alias),
    rows: rows.map((r) => picks.map((p) => (p.i === -2 ? (p.lit ?? null) : (r[p.i] ?? null)))),
  };
}

/** disql's table layout: a row-number column, dashes, padded cells. */
export function formatRows(v: View, o: { heading: boolean; lineshow: boolean }): string {
  const cols = o.lineshow ? ['行号', ...v.columns] : v.columns;
  const rows = v.rows.map((r, i) => (o.lineshow ? [String(i + 1), ...r.map(cell)] : r.map(cell)));
  const widths = cols.map((c, i) =>
    Math.max(i === 0 && o.lineshow ? 10 : displayWidth(c), ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const pad = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - displayWidth(s)));
  const lines: string[] = [];
  if (o.heading) {
    lines.push(
      cols
        .map((c, i) => pad(c, widths[i] ?? 0))
        .join(' ')
        .trimEnd(),
    );
    lines.push(widths.map((w) => '-'.repeat(w)).join(' '));
  }
  for (const r of rows)
    lines.push(
      r
        .map((c, i) => pad(c, widths[i] ?? 0))
        .join(' ')
        .trimEnd(),
    );
  return lines.join('\n');
}

function cell(c: Cell): string {
  return c === null ? 'NULL' : String(c);
}

function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1;
  return w;
}

/** Split disql input into statements: ';' ends one (outside quotes); '--' comments; blank lines. */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine;
    if (!q && !cur.trim()) {
      const t = line.trim();
      if (!t || t.startsWith('--')) continue;
    }
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (ch === "'") q = !q;
      if (!q && ch === '-' && line[i + 1] === '-') {
        line = line.slice(0, i);
        break;
      }
      if (!q && ch === ';') {
        cur += line.slice(0, i);
        if (cur.trim()) out.push(cur.trim());
        cur = '';
        line = line.slice(i + 1);
        i = -1;
      }
    }
    cur += line + '\n';
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
