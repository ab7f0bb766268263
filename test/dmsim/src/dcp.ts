/**
 * DCP, the DM cluster proxy (seed 001, "DM8 集群代理使用手册", cited "001:L<line>").
 *
 * A DCP is an ordinary dmserver whose dm.ini sets ENABLE_DCP_MODE = 1 (001:L134). It has two
 * ports (001:L136): PORT_NUM for applications and DCP_PORT_NUM for the proxy management
 * connection, the PMC, a login with one of the proxy's own local accounts (001:L171-173). Over the
 * PMC a DBA calls the SP_DCP_* procedures (001:L175-189, 4.1-4.5) and reads SYS.SYSDCPINSTS and
 * SYS.SYSDCPLOGIN (001:L144-165, "只有通过代理管理连接才能访问", L148); every PMC user reads
 * V$DCPINSTS (001:L193). SP_DCP_REFRESH_CONFIG logs in to the MPP with the two tables and takes
 * its configuration (001:L256-258); only then does the proxy serve (001:L262). An application's
 * login on PORT_NUM is checked by a randomly chosen EP (or a cached connection of the same user
 * whose password matches, 001:L203) and its statements run on that EP (001:L207: no data is
 * simulated, so every statement goes to the session's EP).
 *
 * One DcpNode lives inside such a dmserver. The EP side of the REFRESH (`mpp-config`, below) is
 * answered by every dmserver.
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import { DmError, E, logAction, nowStamp } from './common';
import { loadMppCtl, malInst, type DmIni, type MalIni } from './config';
import { JsonClient, raise, serveJson, type Msg, type ServerConn } from './net';
import type { Cell, DcpProc, Stmt, View } from './sql';
import { hashPassword, updateState, type DbState, type DcpState, type Mode } from './state';

/** The DCP's own objects (001 3.1, 5.3, 5.4): over its PMC only. */
export const DCP_OBJECTS = ['SYSDCPINSTS', 'SYSDCPLOGIN', 'V$DCPINSTS', 'V$DCP_CONNPOOL'];

/** A statement naming a DCP object or procedure (checked before a PORT_NUM statement is forwarded). */
const DCP_OWN = /\b(SP_DCP_\w+|SYSDCPINSTS|SYSDCPLOGIN|V\$DCPINSTS|V\$DCP_CONNPOOL)\b/i;

/**
 * The proxy's scheduler reads the MPP configuration again this often: 256 s "by default"
 * (001:L1414); DMSIM_DCP_REFRESH_S sets it (tests that must not see it run, or must see it soon).
 */
const scheduleS = (): number => {
  const v = Number(process.env.DMSIM_DCP_REFRESH_S ?? 256);
  return Number.isFinite(v) && v > 0 ? v : 256;
};

/** DCP_CONN_POOL_SIZE when dm.ini does not set it: the seed names no default (001:L197); ours. */
export const DCP_POOL_DEFAULT = 100;

const up = (s: string) => s.toUpperCase();

export interface DcpSettings {
  /** DCP_PORT_NUM: the management port (PMC). */
  port: number;
}

/**
 * dm.ini's DCP keys, checked as the server starts: undefined unless ENABLE_DCP_MODE = 1.
 * DCP_CONN_POOL_SIZE is checked on every server (it is an ordinary dm.ini parameter, 001:L197).
 */
export function dcpSettings(ini: DmIni): DcpSettings | undefined {
  const v = ini.values;
  const pool = v.get('DCP_CONN_POOL_SIZE');
  if (pool !== undefined && !(/^\d+$/.test(pool) && Number(pool) >= 1 && Number(pool) <= 10000))
    throw new DmError(
      E.CONFIG,
      `${ini.file}: DCP_CONN_POOL_SIZE = ${pool} is outside 1~10000 ("有效值在 1 到 10000 之间")`,
      '001:L197',
    );
  const mode = v.get('ENABLE_DCP_MODE');
  if (mode === undefined || mode === '0') return undefined;
  if (mode !== '1')
    throw new DmError(E.CONFIG, `${ini.file}: ENABLE_DCP_MODE = ${mode} must be 0 or 1`, '001:L134');
  const raw = v.get('DCP_PORT_NUM');
  if (raw === undefined)
    throw new DmError(
      E.CONFIG,
      `${ini.file}: ENABLE_DCP_MODE = 1 needs DCP_PORT_NUM, the proxy management port (dmsim gives it no default)`,
      '001:L136, L454-456',
    );
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1024 || port > 65534)
    throw new DmError(E.CONFIG, `${ini.file}: DCP_PORT_NUM = ${raw} is outside 1024~65534`, '§5.1');
  if (port === ini.portNum || port === ini.apPortNum)
    throw new DmError(
      E.CONFIG,
      `${ini.file}: DCP_PORT_NUM ${port} must differ from PORT_NUM${ini.apPortNum === port ? '/AP_PORT_NUM' : ''}: applications connect to PORT_NUM, the proxy management connection to DCP_PORT_NUM`,
      '001:L136',
    );
  if (ini.mppIni)
    throw new DmError(
      E.CONFIG,
      `${ini.file}: ENABLE_DCP_MODE = 1 with MPP_INI = 1: a DCP is a client of the MPP's EPs, not an EP (dmsim's strictness)`,
      '001:L123',
    );
  return { port };
}

// ------------------------------------------------------------------ the EP side of REFRESH

export interface MppEpInfo {
  instance: string;
  status: string;
  mode: Mode;
  mppIni: boolean;
  /** This EP's MPP_SEQ_NO: its entry in its own dmmpp.ctl, null when it has none (a standby). */
  seqNo: number | null;
  /** The MPP's configuration as this EP holds it: dmmpp.ctl, addresses from dmmal.ini. */
  entries: { seqNo: number; instName: string; host: string | null; port: number | null }[];
}

/**
 * An EP's answer to a logged-in `mpp-config` request: what DM's MPP configuration shows (dmmpp.ctl
 * names the primaries with their MPP_SEQ_NO, 002 §2.5.2; the EP's IP and port are not in dmmpp.ctl,
 * 002 §4.4 item 53 `show mpp`: dmsim takes MAL_INST_HOST / MAL_INST_PORT from dmmal.ini).
 */
export function mppConfigReply(x: { ini: DmIni; mal?: MalIni; status: string; refresh(): DbState }): Msg {
  const s = x.refresh();
  const info: MppEpInfo = {
    instance: x.ini.instanceName,
    status: x.status,
    mode: s.mode,
    mppIni: x.ini.mppIni,
    seqNo: null,
    entries: [],
  };
  if (x.ini.mppIni) {
    // read fresh: after a switchover the monitor rewrites the primaries' dmmpp.ctl (002 §2.5.2)
    const ctl = loadMppCtl(x.ini);
    info.entries = ctl.entries.map((e) => {
      const m = x.mal ? malInst(x.mal, e.instName) : undefined;
      return { seqNo: e.seqNo, instName: e.instName, host: m?.instHost ?? null, port: m?.instPort ?? null };
    });
    info.seqNo = ctl.entries.find((e) => up(e.instName) === up(x.ini.instanceName))?.seqNo ?? null;
  }
  return { ok: true, ...info };
}

// ------------------------------------------------------------------ the proxy

/** What the DcpNode needs of its dmserver. */
export interface DcpHost {
  ini: DmIni;
  params: Map<string, string>;
  servers: net.Server[];
  refresh(): DbState;
  listenAddrs(): string[];
  onSql(m: Msg, c: ServerConn, via?: 'pmc'): Promise<Msg>;
  /** A session for V$SESSIONS (DCP_FLAG, 001:L287-289). */
  sessionOpened(c: ServerConn, user: string, dcpFlag: 'Y' | 'N'): void;
}

/** A row of V$DCPINSTS (001:L300-310). */
interface DcpEp {
  name: string;
  epno: number;
  ip: string | null;
  port: number | null;
}

/** A connection of the pool (V$DCP_CONNPOOL, 001:L312-325): one EP session of one user. */
interface PoolConn {
  id: number;
  user: string;
  mppType: string;
  pw: { salt: string; hash: string };
  ep: DcpEp;
  client: JsonClient;
  login: Msg;
  free: boolean;
  /** Made before the last REFRESH: closed, not cached, when its session ends (001:L189). */
  stale: boolean;
  releaseTs: string | null;
  lastUsed: number;
}

type EpVerdict =
  | { kind: 'primary'; info: MppEpInfo }
  | { kind: 'rejected'; reason: string }
  | { kind: 'other'; reason: string };

function refuse(msg: string, section: string, code: number = E.INVALID_ARG): DmError {
  return new DmError(code, msg, section);
}

function verify(h: { salt: string; hash: string }, pw: string): boolean {
  return crypto.timingSafeEqual(
    Buffer.from(hashPassword(pw, h.salt).hash, 'hex'),
    Buffer.from(h.hash, 'hex'),
  );
}

function encrypt(key: string, pw: string): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(key, 'hex'), iv);
  const ct = Buffer.concat([c.update(pw, 'utf8'), c.final()]);
  return '0x' + Buffer.concat([iv, c.getAuthTag(), ct]).toString('hex').toUpperCase();
}

function decrypt(key: string, pwd: string): string {
  const b = Buffer.from(pwd.replace(/^0x/i, ''), 'hex');
  const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(key, 'hex'), b.subarray(0, 12));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
}

export class DcpNode {
  /** V$DCPINSTS: undefined until an SP_DCP_REFRESH_CONFIG succeeds in this run (001:L262). */
  eps?: DcpEp[];
  pool: PoolConn[] = [];
  nextPoolId = 1;

  constructor(
    readonly host: DcpHost,
    readonly settings: DcpSettings,
  ) {}

  get name(): string {
    return this.host.ini.instanceName;
  }

  /** Before the server listens: a DCP serves an MPP only (001:L101, L119), never DMDPC. */
  check(s: DbState): void {
    if (s.dpc)
      throw new DmError(
        E.CONFIG,
        `ENABLE_DCP_MODE = 1 on a DMDPC ${s.dpc.role}: the DCP proxies an MPP system only (dmsim's strictness)`,
        '001:L101, L119',
      );
    logAction('dcp-start', { instance: this.name, port: this.host.ini.portNum, dcpPort: this.settings.port });
  }

  async listen(): Promise<void> {
    for (const a of this.host.listenAddrs())
      this.host.servers.push(await serveJson(a, this.settings.port, (m, c) => this.host.onSql(m, c, 'pmc')));
  }

  /** 001:L262: once a REFRESH has succeeded, a restarted DCP refreshes by itself if the MPP runs. */
  async started(): Promise<void> {
    // 001:L1414: "DCP 调度线程每过 256 秒会重新获取 MPP 配置", once it has a configuration
    setInterval(() => {
      if (this.host.refresh().dcp?.refreshed) void this.refreshBy('scheduler');
    }, scheduleS() * 1000).unref();
    if (this.host.refresh().dcp?.refreshed) await this.refreshBy('startup');
  }

  /** A refresh the proxy makes by itself: a failure is logged, and the last configuration stays. */
  private async refreshBy(by: string): Promise<void> {
    try {
      await this.refreshConfig(by);
    } catch (e) {
      logAction('dcp-refresh', {
        instance: this.name,
        by,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  state(): DcpState {
    return this.host.refresh().dcp ?? { insts: [], key: '' };
  }

  update(fn: (d: DcpState) => void): DcpState {
    const s = updateState(this.host.ini.ctlPath, (x) => {
      x.dcp ??= { insts: [], key: crypto.randomBytes(32).toString('hex') };
      fn(x.dcp);
    });
    return s.dcp as DcpState;
  }

  poolSize(): number {
    const v = Number(this.host.params.get('DCP_CONN_POOL_SIZE') ?? DCP_POOL_DEFAULT);
    return Number.isInteger(v) && v >= 1 ? v : DCP_POOL_DEFAULT;
  }

  // ------------------------------------------------------------ the proxy's own accounts (PMC)

  checkUser(user: string, pw: string): boolean {
    const u = this.state().users?.find((x) => x.name === up(user));
    return !!u && verify(u, pw);
  }

  createUser(user: string, password: string): { kind: string } {
    if (!/^[A-Z_][\w$#]*$/i.test(user) || user.length > 128)
      throw refuse(`CREATE USER: ${user} is not a valid user name`, '001:L173');
    if (user === 'SYSDBA' || this.state().users?.some((u) => u.name === user))
      throw refuse(`CREATE USER: user ${user} already exists`, '001:L173', E.EXISTS);
    if (password.length < 9 || password.length > 48)
      throw refuse('CREATE USER: the password must be 9~48 characters', '§5.1');
    const h = hashPassword(password);
    this.update((d) => {
      d.users = [...(d.users ?? []), { name: user, ...h }];
    });
    logAction('dcp-create-user', { instance: this.name, user });
    return { kind: 'done' };
  }

  /**
   * A PMC statement of a user without the DBA role: only V$ views (V$DCPINSTS is every PMC user's,
   * 001:L193). The SP_DCP_* procedures are the DBA's (001:L177-189); SYS.SYSDCP* and
   * V$DCP_CONNPOOL, and everything else, are refused too (dmsim's strictness).
   */
  guard(st: Stmt, c: ServerConn): void {
    if (c.data.get('dba') === true) return;
    const user = String(c.data.get('user') ?? '');
    if (st.kind === 'dcp_proc')
      throw new DmError(
        E.PRIV,
        `没有执行权限: ${st.name} refused: ${user} has no DBA role; only a DBA calls the DCP procedures`,
        '001:L177-189',
      );
    if (st.kind === 'select') {
      const from = (st.from ?? '').replace(/^SYS\./, '');
      if (!st.from || from === 'DUAL' || from === 'V$DCPINSTS') return;
      if (from.startsWith('V$') && from !== 'V$DCP_CONNPOOL') return;
      throw new DmError(
        E.PRIV,
        `没有权限: ${user} has no DBA role and may not read ${st.from} (dmsim's strictness: SYS.SYSDCP* and V$DCP_CONNPOOL are the DBA's)`,
        '001:L148, L193',
      );
    }
    throw new DmError(
      E.PRIV,
      `没有权限: ${user} has no DBA role (dmsim lets a non-DBA user of the PMC read V$ views only)`,
      '001:L173-193',
    );
  }

  // ------------------------------------------------------------ procedures (001 4)

  async proc(name: DcpProc, a: (string | number | null)[]): Promise<{ kind: string }> {
    const want = (n: number, shape: string) => {
      if (a.length !== n)
        throw refuse(`${name}${shape}: ${n} arguments expected, ${a.length} given`, '001 4');
    };
    const str = (i: number, what: string, max: number): string => {
      const v = a[i];
      if (typeof v !== 'string' || !v.trim())
        throw refuse(`${name}: argument ${i + 1} (${what}) must be a quoted string`, '001 4');
      if (v.length > max) throw refuse(`${name}: ${what} is longer than VARCHAR(${max})`, '001 4');
      return v.trim();
    };
    switch (name) {
      case 'SP_DCP_ADD_INST': {
        // 001:L216-223: NAME VARCHAR(128), IP VARCHAR(64), PORT INT
        want(3, '(NAME, IP, PORT)');
        const inst = str(0, 'NAME', 128);
        const ip = str(1, 'IP', 64);
        const port = a[2];
        if (typeof port !== 'number' || !Number.isInteger(port) || port < 1024 || port > 65534)
          throw refuse(
            `${name}: PORT ${String(port)} must be an EP's PORT_NUM, 1024~65534`,
            '001:L222; §5.1',
          );
        if (this.state().insts.some((r) => r.name === inst))
          throw refuse(`${name}: SYS.SYSDCPINSTS already has a row named ${inst}`, '001 4.1', E.EXISTS);
        this.update((d) => d.insts.push({ name: inst, ip, port }));
        logAction('dcp-add-inst', { instance: this.name, name: inst, ip, port });
        break;
      }
      case 'SP_DCP_CLEAR_INST': {
        // 001:L231-234
        want(1, '(NAME)');
        const inst = str(0, 'NAME', 128);
        if (!this.state().insts.some((r) => r.name === inst))
          throw refuse(`${name}: SYS.SYSDCPINSTS has no row named ${inst}`, '001 4.2');
        this.update((d) => {
          d.insts = d.insts.filter((r) => r.name !== inst);
        });
        logAction('dcp-clear-inst', { instance: this.name, name: inst });
        break;
      }
      case 'SP_DCP_SET_LOGIN': {
        // 001:L240-248: one row, inserted or overwritten; PWD as ciphertext. Messages never echo it.
        if (a.length !== 2) throw refuse(`${name}(USERNAME, PWD): 2 arguments expected`, '001 4.3');
        const user = str(0, 'USERNAME', 128);
        const pw = a[1];
        if (typeof pw !== 'string' || !pw) throw refuse(`${name}: PWD must be a quoted string`, '001 4.3');
        if (pw.length > 100) throw refuse(`${name}: PWD is longer than VARCHAR(100)`, '001:L244');
        this.update((d) => {
          d.login = { username: user, pwd: encrypt(d.key, pw) };
        });
        logAction('dcp-set-login', { instance: this.name, username: user });
        break;
      }
      case 'SP_DCP_REFRESH_CONFIG':
        want(0, '()');
        await this.refreshConfig('SP_DCP_REFRESH_CONFIG');
        break;
      case 'SP_DCP_CLEAR_CONN': {
        // 001:L267-271: release NUM cached connections (the least recently used first)
        want(1, '(NUM)');
        const n = a[0];
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
          throw refuse(`${name}: NUM must be a non-negative integer`, '001 4.5');
        const free = this.pool.filter((p) => p.free).sort((x, y) => x.lastUsed - y.lastUsed);
        for (const p of free.slice(0, n)) this.close(p);
        logAction('dcp-clear-conn', { instance: this.name, asked: n, released: Math.min(n, free.length) });
        break;
      }
    }
    return { kind: 'proc' };
  }

  /**
   * SP_DCP_REFRESH_CONFIG (001:L189, L256-258): log in to every SYSDCPINSTS row with the stored
   * login; the rows whose EP is an OPEN MPP primary (named, with its MPP_SEQ_NO, in its own
   * dmmpp.ctl) are valid; the MPP configuration comes from the first of them (not every EP need be
   * a row, 001:L226). The pool's cached connections are released.
   */
  async refreshConfig(by: string): Promise<DcpEp[]> {
    const d = this.state();
    if (!d.insts.length)
      throw refuse(
        'SP_DCP_REFRESH_CONFIG refused: SYS.SYSDCPINSTS is empty; add the MPP EPs with SP_DCP_ADD_INST first ("至少需要有一行有效值，否则 DCP 无法正常工作")',
        '001:L226',
        E.DCP,
      );
    if (!d.login)
      throw refuse(
        'SP_DCP_REFRESH_CONFIG refused: SYS.SYSDCPLOGIN is empty; set the MPP login with SP_DCP_SET_LOGIN first',
        '001:L256',
        E.DCP,
      );
    const pw = decrypt(d.key, d.login.pwd);
    const verdicts: { row: DcpState['insts'][number]; v: EpVerdict }[] = [];
    for (const row of d.insts) verdicts.push({ row, v: await this.askEp(row, d.login.username, pw) });
    const where = (r: DcpState['insts'][number]) => `${r.name} (${r.ip}:${r.port})`;
    const rejected = verdicts.filter((x) => x.v.kind === 'rejected');
    if (rejected.length)
      throw refuse(
        `SP_DCP_REFRESH_CONFIG refused: ${rejected.map((x) => where(x.row)).join(', ')} rejected the login of ${d.login.username} stored by SP_DCP_SET_LOGIN`,
        '001:L256',
        E.DCP,
      );
    const valid = verdicts.flatMap((x) => (x.v.kind === 'primary' ? [{ row: x.row, info: x.v.info }] : []));
    const first = valid[0];
    if (!first)
      throw refuse(
        `SP_DCP_REFRESH_CONFIG refused: no valid row in SYS.SYSDCPINSTS (${verdicts
          .map((x) => `${where(x.row)}: ${x.v.kind === 'primary' ? 'ok' : x.v.reason}`)
          .join('; ')}); at least one row must name an OPEN MPP primary, or the DCP cannot work`,
        '001:L226',
        E.DCP,
      );
    const eps: DcpEp[] = first.info.entries
      .map((e) => {
        const self = up(e.instName) === up(first.info.instance);
        return {
          name: e.instName,
          epno: e.seqNo,
          ip: e.host ?? (self ? first.row.ip : null),
          port: e.port ?? (self ? first.row.port : null),
        };
      })
      .sort((x, y) => x.epno - y.epno);
    this.eps = eps;
    // 001:L189: "清除连接池中所有缓存连接"; connections in use close when their session ends
    for (const p of [...this.pool]) {
      if (p.free) this.close(p);
      else p.stale = true;
    }
    this.update((x) => {
      x.refreshed = true;
    });
    logAction('dcp-refresh', {
      instance: this.name,
      by,
      ok: true,
      from: first.row.name,
      valid: valid.map((x) => x.row.name),
      eps: eps.map((e) => ({ name: e.name, epno: e.epno })),
    });
    return eps;
  }

  /** Log in to one SYSDCPINSTS row with the stored login and ask its MPP configuration (bounded). */
  async askEp(row: { ip: string; port: number }, user: string, pw: string): Promise<EpVerdict> {
    let c: JsonClient;
    try {
      c = await JsonClient.connect(row.ip, row.port, 1500);
    } catch {
      return { kind: 'other', reason: 'does not answer' };
    }
    try {
      try {
        raise(await c.request({ op: 'login', user, password: pw, mppType: 'GLOBAL', dcp: this.name }, 3000));
      } catch (e) {
        if (e instanceof DmError && e.code === E.LOGIN) return { kind: 'rejected', reason: 'login rejected' };
        return { kind: 'other', reason: e instanceof Error ? e.message : String(e) };
      }
      const info = raise(await c.request({ op: 'mpp-config' }, 3000)) as unknown as MppEpInfo;
      const i = info.instance;
      if (!info.mppIni) return { kind: 'other', reason: `${i} is not an MPP EP (MPP_INI = 0)` };
      if (info.status !== 'OPEN') return { kind: 'other', reason: `${i} is ${info.status}` };
      if (info.mode === 'STANDBY') return { kind: 'other', reason: `${i} is a standby` };
      if (info.seqNo === null) return { kind: 'other', reason: `${i} is not in its dmmpp.ctl` };
      return { kind: 'primary', info };
    } catch (e) {
      return { kind: 'other', reason: e instanceof Error ? e.message : String(e) };
    } finally {
      c.close();
    }
  }

  // ------------------------------------------------------------ tables and views

  table(name: string): View {
    const d = this.state();
    switch (name) {
      case 'SYSDCPINSTS':
        return { columns: ['NAME', 'IP', 'PORT'], rows: d.insts.map((r) => [r.name, r.ip, r.port]) };
      case 'SYSDCPLOGIN':
        return {
          columns: ['USERNAME', 'PWD'],
          rows: d.login ? [[d.login.username, d.login.pwd]] : [],
        };
      case 'V$DCPINSTS':
        return {
          columns: ['NAME', 'EPNO', 'IP', 'PORT'],
          rows: (this.eps ?? []).map((e) => [e.name, e.epno, e.ip, e.port]),
        };
      default:
        return {
          columns: ['ID', 'USERNAME', 'CUR_SCH', 'EPNO', 'EXEC_MODE', 'FREE_FLAG', 'RELEASE_TS'],
          rows: this.pool.map((p): Cell[] => [
            p.id,
            p.user,
            p.user,
            p.ep.epno,
            null,
            p.free ? 'Y' : 'N',
            p.releaseTs,
          ]),
        };
    }
  }

  // ------------------------------------------------------------ application sessions (PORT_NUM)

  async onClient(m: Msg, c: ServerConn): Promise<Msg> {
    if (m.op === 'login') return this.clientLogin(m, c);
    if (m.op !== 'sql') return { ok: false, error: `unknown op ${String(m.op)}` };
    const pc = c.data.get('dcpConn') as PoolConn | undefined;
    if (!pc) throw new DmError(E.LOGIN, 'not logged in');
    const sql = String(m.sql ?? '');
    const own = DCP_OWN.exec(sql);
    if (own) {
      const what = up(own[1] ?? '');
      logAction('dcp-refused', { instance: this.name, via: 'PORT_NUM', object: what });
      throw new DmError(
        E.PRIV,
        `没有权限: ${what} refused on PORT_NUM ${this.host.ini.portNum}: the DCP's procedures and tables are reached only through the proxy management connection (DCP_PORT_NUM ${this.settings.port})`,
        '001:L148, L173',
      );
    }
    if (pc.client.closed)
      throw new DmError(E.CONNECT, `the session's EP ${pc.ep.name} is gone; log in again`, '001:L1414-1416');
    const r = await pc.client.request({ op: 'sql', sql }, 60_000);
    pc.lastUsed = Date.now();
    if (r.ok === false) throw new DmError(Number(r.code ?? -1), String(r.error ?? 'error'));
    return r;
  }

  /**
   * 001:L203: a cached connection of the same user whose password matches, else a login with the
   * client's credentials on a randomly chosen EP of V$DCPINSTS; only when that passes does the
   * DCP create its session. Refused before the first successful REFRESH (001:L262).
   */
  async clientLogin(m: Msg, c: ServerConn): Promise<Msg> {
    const user = String(m.user ?? '');
    const pw = String(m.password ?? '');
    const mppType = String(m.mppType ?? 'GLOBAL').toUpperCase();
    if (!this.eps) {
      logAction('login-refused', { instance: this.name, user, from: c.remote, reason: 'no REFRESH yet' });
      throw new DmError(
        E.DCP,
        `DCP ${this.name} does not serve yet: SP_DCP_REFRESH_CONFIG() has not succeeded since it started ("之后 DCP 才可以对外提供服务")`,
        '001:L262',
      );
    }
    this.release(c);
    let pc = this.pool.find(
      (p) =>
        p.free &&
        !p.stale &&
        !p.client.closed &&
        up(p.user) === up(user) &&
        p.mppType === mppType &&
        verify(p.pw, pw),
    );
    const reused = !!pc;
    if (pc) pc.free = false;
    else {
      const order = this.eps
        .filter((e) => e.ip && e.port)
        .map((e) => ({ e, k: Math.random() }))
        .sort((x, y) => x.k - y.k)
        .map((x) => x.e);
      for (const ep of order) {
        let cl: JsonClient;
        try {
          cl = await JsonClient.connect(ep.ip ?? '', ep.port ?? 0, 1500);
        } catch {
          continue; // that EP is down: another one
        }
        let login: Msg;
        try {
          login = raise(await cl.request({ op: 'login', user, password: pw, mppType, dcp: this.name }, 5000));
        } catch (e) {
          cl.close(); // the EP's verdict on the credentials is final
          throw e;
        }
        const made: PoolConn = {
          id: this.nextPoolId++,
          user: up(user),
          mppType,
          pw: hashPassword(pw),
          ep,
          client: cl,
          login,
          free: false,
          stale: false,
          releaseTs: null,
          lastUsed: Date.now(),
        };
        cl.onClose(() => {
          this.pool = this.pool.filter((p) => p !== made);
        });
        this.pool.push(made);
        pc = made;
        break;
      }
      if (!pc)
        throw new DmError(
          E.CONNECT,
          `no EP of V$DCPINSTS answers (${this.eps.map((e) => `${e.name} ${e.ip}:${e.port}`).join(', ')}); the MPP is down, or its configuration changed: SP_DCP_REFRESH_CONFIG()`,
          '001:L203',
        );
    }
    const conn = pc;
    conn.lastUsed = Date.now();
    c.data.set('dcpConn', conn);
    c.data.set('user', up(user));
    c.onClose(() => this.release(c));
    this.host.sessionOpened(c, up(user), 'N');
    logAction('dcp-session', {
      instance: this.name,
      user: up(user),
      ep: conn.ep.name,
      epno: conn.ep.epno,
      reused,
    });
    return {
      ok: true,
      status: conn.login.status,
      mode: conn.login.mode,
      instance: conn.login.instance,
      mppType: conn.login.mppType,
    };
  }

  /** The client's session ends: its EP connection goes back to the pool (LRU beyond the size). */
  release(c: ServerConn): void {
    const pc = c.data.get('dcpConn') as PoolConn | undefined;
    if (!pc) return;
    c.data.delete('dcpConn');
    if (pc.stale || pc.client.closed) {
      this.close(pc);
      return;
    }
    pc.free = true;
    pc.releaseTs = nowStamp();
    pc.lastUsed = Date.now();
    const size = this.poolSize();
    const free = this.pool.filter((p) => p.free).sort((x, y) => x.lastUsed - y.lastUsed);
    while (this.pool.length > size && free.length) {
      const lru = free.shift();
      if (lru) this.close(lru);
    }
  }

  close(p: PoolConn): void {
    this.pool = this.pool.filter((x) => x !== p);
    p.client.close();
  }
}
