/**
 * The live state of a cluster, read from the hosts (V$INSTANCE, V$ARCH_STATUS, V$DMWATCHER and
 * the monitor's `show`), and the pure judgement of it against what the plan expects.
 */
import { SshError } from '../ssh';
import {
  ARCH_QUERY,
  dmMessage,
  INSTANCE_QUERY,
  parseArchives,
  parseInstance,
  parseMonitorShow,
  parseWatchers,
  WATCHER_QUERY,
  type ArchiveState,
  type MonitorView,
} from '../dm';
import type { Step, VerifyGroup } from '../plan';
import type { StepContext } from './context';
import { Remote } from './remote';
import { pendingRestart } from './pending';
import { deployedRecord } from '../families/data-guard/plan/deployed';
import { planMonitoringIni, withMonitoringIni } from './monitor-session';

export interface DatabaseStatus {
  group: string;
  /** The database: the instance, or a DMDSC database's node 0. */
  database: string;
  instance: string;
  host: string;
  role: string;
  reachable: boolean;
  /** Why it did not answer, when it did not: a login refused, SSH refused (a changed host key), or DM's message. */
  unreachable?: string;
  status?: string;
  mode?: string;
  oguid?: number;
  archives: ArchiveState[];
  /** The destinations the spec gives it (its rendered dmarch.ini): each must be listed, and nothing else. */
  wantArchives?: { type: string; dest: string }[];
  watcher?: string;
  /** Files written after its dmserver started, which it reads only at its next start (lib/steps/pending.ts). */
  waitsForRestart?: string[];
  /** As the monitor shows it. */
  monitor?: { wstatus: string; istatus: string; imode: string; rstat: string; nEp?: number; nOk?: number };
}

export interface ClusterStatus {
  cluster: string;
  healthy: boolean;
  problems: string[];
  groups: { name: string; oguid: number; databases: DatabaseStatus[] }[];
  monitor?: {
    host: string;
    answered: boolean;
    groups: MonitorView[];
    /** A confirm monitor: whether its dmmonitor runs on the host (a monitoring-mode one need not). */
    running?: boolean;
  };
  /** MPP: the sha256 of every dmmpp.ctl (undefined where it is missing). */
  mppCtl?: { instance?: string; host: string; path: string; sha256?: string }[];
  /** DCP proxies (seed 001): the EP list each holds, and the primaries its last refresh found. */
  proxies?: ProxyStatus[];
  /** What is worth saying but does not make the cluster unhealthy. */
  warnings?: string[];
}

export interface ProxyStatus {
  instance: string;
  host: string;
  /** SYS.SYSDCPINSTS: NAME=IP:PORT. */
  insts: string[];
  /** V$DCPINSTS: NAME:EPNO. */
  live: string[];
  error?: string;
}

async function databaseStatus(
  ctx: StepContext,
  step: Step,
  g: VerifyGroup,
  d: VerifyGroup['databases'][number],
  iniPaths: ReadonlyMap<string, string>,
) {
  const r = new Remote(ctx, step, d.host);
  const out: DatabaseStatus = {
    group: g.name,
    database: d.database,
    instance: d.instance,
    host: d.host,
    role: d.role,
    reachable: false,
    archives: [],
    wantArchives: d.archives,
  };
  const res = await r
    .disql(d.port, [INSTANCE_QUERY, ARCH_QUERY, WATCHER_QUERY], 30_000)
    .catch((e: unknown) => {
      out.unreachable = unreachableCause(e);
      return undefined;
    });
  if (!res) return out;
  if (res.exitCode !== 0) {
    out.unreachable = loginCause(`${res.stdout}\n${res.stderr}`);
    return out;
  }
  // the three answers come one after another; each parser picks the rows of its own shape
  const i = parseInstance(res.stdout);
  out.reachable = !!i;
  if (i) Object.assign(out, { status: i.status, mode: i.mode, oguid: i.oguid });
  out.archives = parseArchives(res.stdout);
  const w = parseWatchers(res.stdout).find((x) => x.group === g.name);
  if (w) out.watcher = w.status;
  const iniPath = iniPaths.get(d.instance);
  const waits = iniPath ? await pendingRestart(r, d.instance, iniPath).catch(() => undefined) : undefined;
  if (waits?.state === 'waits') out.waitsForRestart = waits.files;
  return out;
}

/** DM's -2501 is a refused login (wrong user or password); anything else, the server did not answer. */
export function loginCause(output: string): string {
  const message = dmMessage(output);
  return /\[-2501\]/.test(output)
    ? `login failed (check the SYSDBA password): ${message}`
    : `does not answer: ${message}`;
}

/** Why SSH to the host failed: a changed host key is told apart from a host that is down. */
function unreachableCause(e: unknown): string {
  if (e instanceof SshError)
    return e.code === 'HOST_KEY_CHANGED'
      ? `host key changed (${e.what}); fix: ${e.hint}`
      : `SSH failed (${e.code}): ${e.what}`;
  return `does not answer: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`;
}

/**
 * `show` from the plan's monitoring-mode copy of the dmmonitor.ini at `iniPath` (MON_DW_CONFIRM =
 * 0, §4.4), so the confirm monitor is untouched.
 */
async function monitorShow(ctx: StepContext, step: Step, host: string, iniPath: string) {
  const r = new Remote(ctx, step, host);
  const ini = planMonitoringIni(r, { host, iniPath });
  if (!ini) return { answered: false, groups: [] };
  const res = await withMonitoringIni(r, ini, (file) =>
    r.tool('dmmonitor', [file], { stdin: 'show\nexit\n', timeoutMs: 60_000 }),
  );
  return { answered: res.exitCode === 0, groups: parseMonitorShow(res.stdout) };
}

export async function collectStatus(
  ctx: StepContext,
  step: Step & { params: { kind: 'verify' } },
): Promise<ClusterStatus> {
  const p = step.params;
  const iniPaths = new Map(deployedRecord(ctx.plan).instances.map((i) => [i.instance, i.iniPath]));
  const groups = await Promise.all(
    p.groups.map(async (g) => ({
      name: g.name,
      oguid: g.oguid,
      databases: await Promise.all(g.databases.map((d) => databaseStatus(ctx, step, g, d, iniPaths))),
    })),
  );
  const m = p.monitor;
  const monitor = m
    ? {
        host: m.host,
        ...(await monitorShow(ctx, step, m.host, m.iniPath).catch(() => ({
          answered: false,
          groups: [],
        }))),
        // 7.2.7: the confirm monitor is a process that must keep running; `show` above is a copy's
        ...(m.confirm
          ? {
              running: await new Remote(ctx, step, m.host)
                .pidsOf('dmmonitor', m.iniPath)
                .then((pids) => pids.length > 0)
                .catch(() => false),
            }
          : {}),
      }
    : undefined;
  const mppCtl = p.mppCtl
    ? await Promise.all(
        p.mppCtl.map(async (f) => {
          const sum = await new Remote(ctx, step, f.host).sha256(f.path).catch(() => undefined);
          return { ...f, ...(sum ? { sha256: sum } : {}) };
        }),
      )
    : undefined;
  for (const g of groups)
    for (const d of g.databases) {
      // the monitor shows a database once, named by one of its nodes (a DMDSC database has several)
      const nodes = new Set(g.databases.filter((x) => x.database === d.database).map((x) => x.instance));
      const m = monitor?.groups.find((x) => x.group === g.name)?.databases.find((x) => nodes.has(x.instance));
      if (m)
        d.monitor = {
          wstatus: m.wstatus,
          istatus: m.istatus,
          imode: m.imode,
          rstat: m.rstat,
          nEp: m.nEp,
          nOk: m.nOk,
        };
    }
  const status = {
    cluster: ctx.plan.cluster,
    healthy: false,
    problems: [] as string[],
    groups,
    ...(monitor ? { monitor } : {}),
    ...(mppCtl ? { mppCtl } : {}),
  };
  status.problems = judge(status);
  status.healthy = status.problems.length === 0;
  return status;
}

/** What is wrong, per the manual's picture of a healthy group (7.2.7, §4.4); empty when healthy. Pure. */
export function judge(s: Omit<ClusterStatus, 'healthy' | 'problems'>): string[] {
  const problems: string[] = [];
  for (const g of s.groups) {
    // a DMDSC database is one primary however many nodes it has (§2.7)
    const primaries = new Set(
      g.databases.filter((d) => d.mode === 'PRIMARY' && d.status === 'OPEN').map((d) => d.database),
    );
    if (primaries.size !== 1)
      problems.push(`${g.name}: ${primaries.size} PRIMARY/OPEN databases, want exactly 1`);
    for (const d of g.databases) {
      const at = `${g.name}.${d.instance} on ${d.host}`;
      if (!d.reachable) {
        problems.push(`${at}: ${d.unreachable ?? 'does not answer'}`);
        continue;
      }
      if (d.oguid !== g.oguid) problems.push(`${at}: OGUID ${d.oguid}, want ${g.oguid}`);
      if (d.status !== 'OPEN') problems.push(`${at}: ${d.status}, want OPEN`);
      if (d.mode !== 'PRIMARY' && d.mode !== 'STANDBY') problems.push(`${at}: mode ${d.mode}`);
      // a standby sends nothing realtime (§2.2.3): its REALTIME/TIMELY/SYNC rows are judged on the primary
      const judged =
        d.mode === 'PRIMARY'
          ? d.archives
          : d.archives.filter((a) => a.type === 'LOCAL' || a.type === 'ASYNC');
      for (const a of judged.filter((x) => x.status !== 'VALID'))
        problems.push(`${at}: archive ${a.type} ${a.dest} is ${a.status}`);
      // what the spec asks for, on the running server: a destination added to the spec but never
      // added to the server sends nothing; one removed from the spec still sends (7.10, §6.18)
      if (d.wantArchives) {
        const key = (a: { type: string; dest: string }) => `${a.type} ${a.dest}`;
        const live = new Set(d.archives.map(key));
        const want = new Set(d.wantArchives.map(key));
        for (const a of d.wantArchives.filter((x) => !live.has(key(x))))
          problems.push(`${at}: archive ${key(a)} is in the spec but not on the running server`);
        for (const a of d.archives.filter((x) => !want.has(key(x))))
          problems.push(`${at}: archive ${key(a)} runs on the server but is not in the spec`);
      }
      if (d.watcher !== 'OPEN') problems.push(`${at}: watcher ${d.watcher ?? 'not connected'}, want OPEN`);
      if (d.waitsForRestart)
        problems.push(
          `${at}: runs without ${d.waitsForRestart.join(', ')} as written after it started; it waits for a restart`,
        );
      if (s.monitor) {
        if (!d.monitor) problems.push(`${at}: not in the monitor's show`);
        else if (d.monitor.wstatus !== 'OPEN' || d.monitor.istatus !== 'OPEN')
          problems.push(
            `${at}: the monitor shows watcher ${d.monitor.wstatus}, instance ${d.monitor.istatus}`,
          );
        else if (d.monitor.nEp !== undefined && d.monitor.nOk !== d.monitor.nEp)
          problems.push(`${at}: the monitor sees ${d.monitor.nOk} of the database's ${d.monitor.nEp} nodes`);
      }
    }
  }
  if (s.monitor && !s.monitor.answered) problems.push(`monitor on ${s.monitor.host}: no answer to show`);
  if (s.monitor?.running === false)
    problems.push(`monitor on ${s.monitor.host}: the confirm monitor is not running (start it: apply again)`);
  // 7.4.3.4: dmmpp.ctl on every MPP instance; §6.16: byte for byte alike on the running primaries.
  // A switchover or takeover rewrites the primaries' files only (§6.5 step 9), so a standby's may be
  // older (an entry that names no instance, from an older plan, always counts)
  for (const f of s.mppCtl ?? []) if (!f.sha256) problems.push(`${f.host}: ${f.path} is missing`);
  const primaries = new Set(
    s.groups.flatMap((g) => g.databases.filter((d) => d.mode === 'PRIMARY').map((d) => d.instance)),
  );
  const held = (s.mppCtl ?? []).filter((f) => f.instance === undefined || primaries.has(f.instance));
  const sums = new Set(held.map((f) => f.sha256));
  if (sums.size > 1 && !sums.has(undefined))
    problems.push(
      `dmmpp.ctl differs between primaries: ${held.map((f) => `${f.instance ?? f.host}:${f.path} ${f.sha256?.slice(0, 12) ?? '-'}`).join(', ')}`,
    );
  return problems;
}
