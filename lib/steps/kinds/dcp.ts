/**
 * DCP proxies in front of an MPP system (seed 001 6.2): start a proxy, then over its management
 * port (DCP_PORT_NUM, the PMC) make its EP list the spec's, set its login and refresh it. Each
 * probes the real state first: a running proxy, SYS.SYSDCPINSTS, SYS.SYSDCPLOGIN, V$DCPINSTS.
 */
import path from 'node:path/posix';
import { bareRows, dmMessage } from '../../dm/disql';
import { parseIni } from '../../render/ini';
import { shQuote } from '../../ssh';
import type { Plan } from '../../plan/step';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { shutdownServer, startServer } from './server';
import { clearPending, markStopping, pendingRestart } from '../pending';
import type { StepOf } from './types';

type Proxy = { instance: string; port: number; dcpPort: number };

/** A proxy's own sessions are plain ones: it is a client of the MPP system, no MPP instance. */
export const PROXY_SESSION = { mppLocal: false } as const;

/** A PMC session: SYSDBA over DCP_PORT_NUM, never an MPP-local one (001:L148, L171-173). */
const pmc = (r: Remote, p: Proxy, statements: readonly string[]) =>
  r.disql(p.dcpPort, statements, 60_000, PROXY_SESSION);

/** 001:L525, L1460: a client login through the proxy's PORT_NUM, which reaches an EP. */
const clientLogin = (r: Remote, p: Proxy, timeoutMs = 60_000) =>
  r.disql(p.port, ['SELECT 1'], timeoutMs, PROXY_SESSION);

/**
 * A DCP proxy's DCP_PORT_NUM in its dm.ini text (ENABLE_DCP_MODE = 1, 001:L454-456); undefined
 * for any other server. Pure.
 */
export function dcpPortIn(iniText: string): number | undefined {
  const g = new Map(parseIni(iniText).globals);
  const port = Number(g.get('DCP_PORT_NUM'));
  return g.get('ENABLE_DCP_MODE') === '1' && Number.isInteger(port) && port > 0 ? port : undefined;
}

/** The start step of the DCP proxy named `instance`, if the plan has one. */
export function proxyStart(plan: Plan, instance: string): StepOf<'dcp-start'> | undefined {
  return plan.steps.find(
    (x): x is StepOf<'dcp-start'> => x.params.kind === 'dcp-start' && x.params.instance === instance,
  );
}

const sqlText = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const dcpStart: StepKindImpl<StepOf<'dcp-start'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    if (!(await r.pidsOf('dmserver', p.iniPath)).length) return undefined;
    const waits = await pendingRestart(r, p.instance, p.iniPath);
    return waits ? undefined : `${p.instance} is running`;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const waits = await pendingRestart(r, p.instance, p.iniPath);
    // restarts: rolling: the running proxy reads its rewritten dm.ini only at its start; its
    // clients reach the other proxies of the dm_svc.conf service meanwhile (001:L1464-1474)
    if (waits?.state === 'waits') {
      if (!p.rolling)
        r.fail(
          `${p.instance} waits for a restart to read ${waits.files.join(', ')}`,
          '',
          'set restarts: rolling to have dmdeploy restart the proxies one at a time, or restart it yourself',
        );
      await markStopping(r, p.instance, p.iniPath);
      // SHUTDOWN over the DCP_PORT_NUM it started with (a PORT_NUM session is an EP's, 001 6.1)
      await shutdownServer(
        r,
        { instance: p.instance, iniPath: p.iniPath, port: waits.via ?? p.dcpPort },
        PROXY_SESSION,
      );
      ctx.progress(`${p.instance} shut down normally to read ${waits.files.join(', ')} (restarts: rolling)`);
    }
    if (!(await r.pidsOf('dmserver', p.iniPath)).length)
      // 001:L1389: `dmserver <dm.ini>`, no other argument; ENABLE_DCP_MODE is in its dm.ini;
      // 001:L262: a proxy that was refreshed before refreshes by itself as it starts
      await startServer(r, p, { mount: false });
    if (!waits) return;
    // restarted: it serves clients again before the next proxy may stop (bounded)
    const until = Date.now() + 120_000;
    for (;;) {
      const client = await clientLogin(r, p, 30_000);
      if (client.exitCode === 0) break;
      if (Date.now() > until)
        r.fail(
          `${p.instance} restarted, but a login through its PORT_NUM ${p.port} does not reach an EP within 120 s`,
          dmMessage(`${client.stdout}\n${client.stderr}`),
          'check its dmserver output and that every EP is OPEN; SP_DCP_REFRESH_CONFIG() on its DCP_PORT_NUM, then apply again',
        );
      await new Promise((res) => setTimeout(res, 1000));
    }
    await clearPending(r, p.instance);
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    const res = await pmc(r, step.params, ['SELECT COUNT(*) FROM SYS.SYSDCPINSTS']);
    if (res.exitCode !== 0)
      r.fail(
        `${step.params.instance} does not answer on its DCP_PORT_NUM ${step.params.dcpPort}`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        'check ENABLE_DCP_MODE and DCP_PORT_NUM in its dm.ini and its dmserver output, then apply again',
      );
  },
};

export interface DcpView {
  /** SYS.SYSDCPINSTS: NAME -> IP:PORT. */
  insts: Map<string, string>;
  /** SYS.SYSDCPLOGIN's user, if set. */
  login?: string;
  /** V$DCPINSTS: NAME -> EPNO. */
  live: Map<string, number>;
}

/** The proxy's three tables over its PMC, or DM's message. */
export async function readDcp(r: Remote, p: Proxy): Promise<DcpView | { error: string }> {
  const res = await pmc(r, p, [
    "SELECT 'I', NAME, IP, PORT FROM SYS.SYSDCPINSTS",
    "SELECT 'L', USERNAME FROM SYS.SYSDCPLOGIN",
    "SELECT 'V', NAME, EPNO FROM V$DCPINSTS",
  ]);
  if (res.exitCode !== 0) return { error: dmMessage(`${res.stdout}\n${res.stderr}`) };
  const view: DcpView = { insts: new Map(), live: new Map() };
  for (const row of bareRows(res.stdout)) {
    const [tag, a = '', b = '', c = ''] = row;
    if (tag === 'I' && row.length >= 4) view.insts.set(a.toUpperCase(), `${b}:${c}`);
    else if (tag === 'L' && row.length >= 2) view.login = a;
    else if (tag === 'V' && row.length >= 3) view.live.set(a.toUpperCase(), Number(b));
  }
  return view;
}

/**
 * What differs between the proxy's view and the spec: rows to add, rows to clear, a missing login,
 * and a live view that is not one row per MPP node (001:L1445-1458): each a member of that node's
 * group with its MPP_SEQ_NO as EPNO. Which member runs as the primary is the MPP system's to say:
 * after a switchover it is a standby of the spec (status holds the view against the running
 * primaries, lib/steps/dcp-view.ts).
 */
export function dcpDiff(p: StepOf<'dcp-register'>['params'], v: DcpView) {
  const want = new Map(p.insts.map((i) => [i.name.toUpperCase(), i]));
  const add = p.insts.filter((i) => v.insts.get(i.name.toUpperCase()) !== `${i.ip}:${i.port}`);
  const clear = [...v.insts.keys()].filter((n) => {
    const w = want.get(n);
    return !w || v.insts.get(n) !== `${w.ip}:${w.port}`;
  });
  const live = [...v.live].map(([n, e]) => `${n}:${e}`).sort();
  const nodes = [...new Set(p.insts.map((i) => i.epNo))].sort((a, b) => a - b);
  const seen = [...v.live.values()].sort((a, b) => a - b);
  return {
    add,
    clear,
    login: (v.login ?? '').toUpperCase() !== p.loginUser.toUpperCase(),
    stale: seen.join(',') !== nodes.join(',') || [...v.live].some(([n, e]) => want.get(n)?.epNo !== e),
    live,
    nodes,
  };
}

/** Where the plan runs each MPP instance (its verify step's groups): host and PORT_NUM. */
function mppInstances(plan: Plan | undefined): Map<string, { host: string; port: number }> {
  const verify = plan?.steps.find((s) => s.params.kind === 'verify');
  if (verify?.params.kind !== 'verify') return new Map();
  return new Map(
    verify.params.groups.flatMap((g) =>
      g.databases.map((d) => [d.instance.toUpperCase(), { host: d.host, port: d.port }] as const),
    ),
  );
}

export const dcpRegister: StepKindImpl<StepOf<'dcp-register'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  // verify asks the EPs that V$DCPINSTS names whether they run as PRIMARY
  hosts: (_step, plan) => [...new Set([...mppInstances(plan).values()].map((i) => i.host))],
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    const v = await readDcp(r, step.params);
    if ('error' in v) return undefined;
    const d = dcpDiff(step.params, v);
    if (d.add.length || d.clear.length || d.login || d.stale) return undefined;
    return `SYSDCPINSTS lists the ${step.params.insts.length} EP instances and V$DCPINSTS every MPP node`;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const v = await readDcp(r, p);
    if ('error' in v)
      return r.fail(
        `cannot read ${p.instance}'s tables over DCP_PORT_NUM ${p.dcpPort}`,
        v.error,
        'start the proxy, then apply again',
      );
    const d = dcpDiff(p, v);
    // a row that changed address is cleared, then added again (SP_DCP_ADD_INST takes a new name only)
    const statements = [
      ...d.clear.map((n) => `SP_DCP_CLEAR_INST(${sqlText(n)})`),
      ...d.add.map((i) => `SP_DCP_ADD_INST(${sqlText(i.name)}, ${sqlText(i.ip)}, ${i.port})`),
    ];
    for (const stmt of statements) {
      const res = await pmc(r, p, [stmt]);
      if (res.exitCode !== 0)
        r.fail(
          `${stmt} on ${p.instance} failed`,
          dmMessage(`${res.stdout}\n${res.stderr}`),
          "read the proxy's message, then apply again",
        );
    }
    // 001:L240-248: the login the proxy uses on the EPs; the password goes on disql's standard
    // input only, and never into a message (DM's own is redacted)
    const password = r.password();
    const redact = (t: string) => t.split(password).join('***');
    const login = await pmc(r, p, [`SP_DCP_SET_LOGIN(${sqlText(p.loginUser)}, ${sqlText(password)})`]);
    if (login.exitCode !== 0)
      r.fail(
        `SP_DCP_SET_LOGIN(${p.loginUser}, ***) on ${p.instance} failed`,
        redact(dmMessage(`${login.stdout}\n${login.stderr}`)),
        "read the proxy's message, then apply again",
      );
    // 001:L253-262: the proxy serves only after a refresh, which logs in to the EPs
    const refresh = await pmc(r, p, ['SP_DCP_REFRESH_CONFIG()']);
    if (refresh.exitCode !== 0)
      r.fail(
        `SP_DCP_REFRESH_CONFIG on ${p.instance} failed`,
        redact(dmMessage(`${refresh.stdout}\n${refresh.stderr}`)),
        `every EP listed must run and accept ${p.loginUser} with the cluster's SYSDBA password; check them, then apply again`,
      );
    ctx.progress(`${p.instance}: ${d.add.length} added, ${d.clear.length} cleared, login set, refreshed`);
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const v = await readDcp(r, p);
    if ('error' in v)
      return r.fail(`cannot read ${p.instance}'s tables`, v.error, 'check the proxy, then apply again');
    const d = dcpDiff(p, v);
    if (d.add.length || d.clear.length)
      r.fail(
        `${p.instance}'s SYSDCPINSTS differs from the spec`,
        [...v.insts].map(([n, a]) => `${n}=${a}`).join(', '),
        'apply again',
      );
    if (d.login)
      r.fail(`${p.instance}'s SYSDCPLOGIN does not name ${p.loginUser}`, v.login ?? 'no row', 'apply again');
    if (d.stale)
      r.fail(
        `${p.instance}'s V$DCPINSTS is not one row per MPP node, a member of its group with EPNO = its MPP_SEQ_NO (001:L1445-1458)`,
        `has ${d.live.join(', ') || 'no row'}; want one row for each EPNO ${d.nodes.join(', ')}`,
        'run SP_DCP_REFRESH_CONFIG() on its DCP_PORT_NUM once every EP is OPEN, then apply again',
      );
    // 001:L1445-1458: right after its refresh, each row is the MPP node's running primary
    const where = mppInstances(ctx.plan);
    for (const [name, epNo] of v.live) {
      const at = where.get(name);
      const st = at ? await new Remote(ctx, step, at.host).instance(at.port) : undefined;
      if (st?.mode !== 'PRIMARY')
        r.fail(
          `${p.instance}'s V$DCPINSTS names ${name} for EPNO ${epNo}, which does not run as PRIMARY`,
          st ? `${name}: ${st.mode} ${st.status}` : `${name} did not answer`,
          'run SP_DCP_REFRESH_CONFIG() on its DCP_PORT_NUM once every EP is OPEN, then apply again',
        );
    }
    // 001:L525, L1460: a client login through PORT_NUM reaches an EP
    const client = await clientLogin(r, p);
    if (client.exitCode !== 0)
      r.fail(
        `a login through ${p.instance}'s PORT_NUM ${p.port} does not reach an EP`,
        dmMessage(`${client.stdout}\n${client.stderr}`),
        'check the EPs and the proxy (001 6.2), then apply again',
      );
  },
};

/**
 * How long (s, by the proxy host's clock) status has seen this proxy's view differ from the
 * running primaries in this same way, with no two looks further apart than `windowS`: a note on
 * the proxy's host (first seen, the mismatch, last seen) under dmHome/dmdeploy/dcp, written
 * atomically, dropped once they agree (`mismatch` undefined). A look after a longer gap starts the
 * clock again: the proxy may have followed and the same switchover come back in between.
 */
export async function viewLagS(r: Remote, instance: string, mismatch: string | undefined, windowS: number) {
  const f = shQuote(noteOf(r, instance));
  if (mismatch === undefined) {
    await r.exec(`rm -f ${f}`);
    return undefined;
  }
  const res = await r.exec(
    [
      `f=${f}; v=${shQuote(mismatch)}; now=$(date +%s); first=$now`,
      'mkdir -p "$(dirname "$f")" || exit 1',
      'if [ -f "$f" ] && [ "$(sed -n 2p "$f")" = "$v" ]; then',
      `  last=$(sed -n 3p "$f"); if [ -n "$last" ] && [ $((now - last)) -lt ${windowS} ]; then first=$(sed -n 1p "$f"); fi`,
      'fi',
      `printf '%s\\n%s\\n%s\\n' "$first" "$v" "$now" > "$f.tmp" && mv "$f.tmp" "$f" && echo $((now - first))`,
    ].join('\n'),
  );
  const n = Number(res.stdout.trim());
  return res.exitCode === 0 && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Where status keeps a proxy's lag note. */
const noteOf = (r: Remote, instance: string) => path.join(r.dmHome, 'dmdeploy', 'dcp', `${instance}.lag`);
