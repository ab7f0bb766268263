/**
 * The DeployedRecord on the hosts (lib/families/data-guard/plan/deployed.ts): written by verify once the cluster is
 * healthy, to every host of the plan, and read back by the next apply's preflight, and by
 * `dmdeploy plan --live`. One JSON file per cluster under <dmHome>/dmdeploy/cluster/, written
 * atomically and only when it changed; it holds the rendered files and the members, no secret.
 */
import path from 'node:path/posix';
import { resourceName } from '../plan/manifest';
import { ALL_HOSTS, type Step } from '../plan/step';
import {
  deployedRecord,
  judgeLiveChanges,
  liveChanges,
  recordDigest,
  type DeployedRecord,
  type LiveChange,
  type LiveRefusal,
} from '../families/data-guard/plan/deployed';
import type { StepContext } from './context';
import { Remote } from './remote';
import { movingMembers, restartJoiners } from './group-session';
import { dcpPortIn, PROXY_SESSION, proxyStart } from './kinds/dcp';
import { shQuote } from '../ssh';
import { bareRows, splitSettings } from '../dm';

interface RecordFile {
  digest: string;
  writtenAt: string;
  record: DeployedRecord;
}

export const recordPath = (dmHome: string, cluster: string) =>
  path.join(dmHome, 'dmdeploy', 'cluster', `${resourceName(cluster)}.json`);

/** The plan's hosts this step's executor reaches (verify and preflight reach them all). */
const hostsOf = (ctx: StepContext) => {
  const reach = new Set(ctx.ex.hostNames());
  return Object.keys(ctx.plan.hosts).filter((h) => h !== ALL_HOSTS && reach.has(h));
};

/**
 * Each step's read of the record: a step (join, leave, restore, copy) asks for it in its probe,
 * its act and its verify, and it changes only when cluster/verify writes it (writeDeployed).
 */
const readOnce = new WeakMap<StepContext, Promise<DeployedRecord | undefined>>();

/** The newest record any host of the plan holds, or undefined (a cluster never verified healthy). */
export function readDeployed(ctx: StepContext): Promise<DeployedRecord | undefined> {
  let read = readOnce.get(ctx);
  if (!read) {
    read = readFromHosts(ctx);
    readOnce.set(ctx, read);
    // a failed read is not kept: the next call tries the hosts again
    read.catch(() => readOnce.delete(ctx));
  }
  return read;
}

async function readFromHosts(ctx: StepContext): Promise<DeployedRecord | undefined> {
  const file = recordPath(ctx.plan.dmHome, ctx.plan.cluster);
  const found: RecordFile[] = [];
  await Promise.all(
    hostsOf(ctx).map(async (h) => {
      if (!(await ctx.ex.exists(h, file))) return;
      try {
        const parsed = JSON.parse((await ctx.ex.readFile(h, file)).toString('utf8')) as RecordFile;
        // a damaged copy, or one of another cluster whose name maps to the same file, is not ours
        if (
          parsed.record &&
          parsed.record.cluster === ctx.plan.cluster &&
          recordDigest(parsed.record) === parsed.digest
        )
          found.push(parsed);
      } catch {
        // unreadable or damaged: another host's copy serves
      }
    }),
  );
  found.sort((a, b) => (a.writtenAt < b.writtenAt ? 1 : -1));
  return found[0]?.record;
}

/** Writes `record` to every host of the plan whose copy differs. */
export async function writeDeployed(ctx: StepContext, step: Step, record: DeployedRecord): Promise<void> {
  readOnce.delete(ctx);
  const file = recordPath(ctx.plan.dmHome, ctx.plan.cluster);
  const digest = recordDigest(record);
  const text = `${JSON.stringify({ digest, writtenAt: new Date().toISOString(), record } satisfies RecordFile)}\n`;
  await Promise.all(
    hostsOf(ctx).map(async (h) => {
      if (await ctx.ex.exists(h, file)) {
        try {
          const had = JSON.parse((await ctx.ex.readFile(h, file)).toString('utf8')) as RecordFile;
          if (had.digest === digest) return;
        } catch {
          // damaged: written again
        }
      }
      const r = new Remote(ctx, step, h);
      await r.must(`mkdir -p ${shQuote(path.dirname(file))}`, 'mkdir', 'check the permissions of dmHome');
      await ctx.ex.writeFile(h, file, text, { mode: 0o644 });
    }),
  );
}

/** The processes that read a file at their start: (tool, the file its command line names). */
function readersOf(file: string): { tool: string; file: string }[] {
  const base = path.basename(file);
  if (base === 'dmwatcher.ini') return [{ tool: 'dmwatcher', file }];
  if (base === 'dmmonitor.ini') return [{ tool: 'dmmonitor', file }];
  if (base === 'dmdcr.ini') return ['dmcss', 'dmasmsvr', 'dmserver'].map((tool) => ({ tool, file }));
  // dm.ini and the files in its CONFIG_PATH (dmmal.ini, dmarch.ini, dmtimer.ini, dmmpp.ini)
  return [{ tool: 'dmserver', file: path.join(path.dirname(file), 'dm.ini') }];
}

/** The key judgeLiveChanges takes for a file whose reader runs. */
export const runningFileKey = (host: string, file: string) => `${host}\0${file}`;

/** How each instance's spec role shows in V$INSTANCE.MODE$. */
const modeOf = (role: string) => (role === 'primary' ? 'PRIMARY' : 'STANDBY');

/**
 * A role is what the running database says (V$INSTANCE), not what was recorded: after a
 * switchover through the monitor the record is stale, and a spec edited to match is right.
 */
async function liveRoleChanges(ctx: StepContext, step: Step, next: DeployedRecord): Promise<LiveChange[]> {
  const out: LiveChange[] = [];
  await Promise.all(
    next.instances.map(async (i) => {
      const st = await new Remote(ctx, step, i.host).instance(i.port).catch(() => undefined);
      if (!st || (st.mode !== 'PRIMARY' && st.mode !== 'STANDBY') || st.mode === modeOf(i.role)) return;
      out.push({
        kind: 'unsafe',
        code: 'LIVE_ROLE_CHANGED',
        field: `${i.instance}: role`,
        what: `${i.instance} on ${i.host} runs as ${st.mode}; the spec makes it ${i.role}. A member's role changes by a switchover or a failover through the monitor (§4.4), not by an apply`,
        fix: `make the spec's roles those that run (after a switchover, the new primary is the spec's primary), or switch over with dmmonitor first`,
      });
    }),
  );
  return out.sort((a, b) =>
    a.kind === 'unsafe' && b.kind === 'unsafe' ? a.field.localeCompare(b.field) : 0,
  );
}

/** The plan held against the last healthy deploy: undefined when the hosts hold no record of one. */
export async function assessLive(
  ctx: StepContext,
  step: Step,
): Promise<{ changes: LiveChange[]; refused: LiveRefusal[]; allowed: LiveChange[] } | undefined> {
  const deployed = await readDeployed(ctx);
  if (!deployed) return undefined;
  const next = deployedRecord(ctx.plan);
  const changes = liveChanges(deployed, next);
  if (changes.length) changes.push(...(await liveRoleChanges(ctx, step, next)));
  // a standby marked removed that runs as PRIMARY now (after a switchover) is not removed
  for (const c of changes) {
    if (c.kind !== 'remove') continue;
    const i = deployed.instances.find((x) => x.instance === c.instance);
    const st = i ? await new Remote(ctx, step, i.host).instance(i.port).catch(() => undefined) : undefined;
    if (st?.mode === 'PRIMARY')
      changes.push({
        kind: 'unsafe',
        code: 'LIVE_REMOVE_PRIMARY',
        field: `${c.instance}: removed`,
        what: `${c.instance} on ${c.host} runs as PRIMARY now; a primary does not leave its group`,
        fix: `switch over to another member with dmmonitor first, make that the spec's primary, then mark ${c.instance} removed`,
      });
  }
  // a file change meets a running process when the one that reads that file at its start runs
  const running = new Set<string>();
  const procs = new Map<string, Promise<{ args: string[] }[]>>();
  const dropped = new Set<string>();
  for (const c of changes) {
    if (c.kind !== 'file') continue;
    // a host the spec dropped, with what was deployed on it: nothing can reach it to stop that
    if (!ctx.plan.hosts[c.host]) {
      if (!dropped.has(c.host))
        changes.push({
          kind: 'unsafe',
          code: 'LIVE_HOST_DROPPED',
          field: `hosts.${c.host}`,
          what: `host ${c.host} holds what the cluster deployed (${c.path} of ${c.owner}), and the spec no longer has it: nothing would reach it to stop what runs there`,
          fix: `put host ${c.host} back in hosts, and mark what it runs removed: true`,
        });
      dropped.add(c.host);
      continue;
    }
    if (!procs.has(c.host)) procs.set(c.host, new Remote(ctx, step, c.host).processes());
    const list = (await procs.get(c.host)) ?? [];
    const live = readersOf(c.path).some(({ tool, file }) =>
      list.some(
        ({ args }) =>
          args.some((a) => a === tool || a.endsWith(`/${tool}`)) &&
          args.some(
            (a) => a === file || (/^(path|dcr_ini)=/i.test(a) && a.slice(a.indexOf('=') + 1) === file),
          ),
      ),
    );
    if (live) running.add(runningFileKey(c.host, c.path));
    // dm.ini under a running server: dynamic parameters change online (V$PARAMETER TYPE); a DCP
    // proxy's own V$PARAMETER is read over its DCP_PORT_NUM (a PORT_NUM session is an EP's, 001 6.1)
    if (live && c.settings?.length) {
      const proxy = proxyStart(ctx.plan, c.owner);
      // the port it listens on now: its dm.ini as the host holds it (the spec may move the port)
      const port = proxy
        ? await ctx.ex
            .readFile(c.host, c.path)
            .then((b) => dcpPortIn(b.toString('utf8')) ?? proxy.params.dcpPort)
            .catch(() => proxy.params.dcpPort)
        : next.instances.find((i) => i.instance === c.owner)?.port;
      const types = port
        ? await new Remote(ctx, step, c.host).paramTypes(port, proxy ? PROXY_SESSION : {})
        : undefined;
      const { needRestart } = types
        ? splitSettings(c.settings, types)
        : { needRestart: [`all: V$PARAMETER of ${c.owner} could not be read`] };
      if (proxy) c.proxy = true;
      if (needRestart.length) c.staticParams = needRestart;
      else c.dynamic = true;
    }
  }
  // the standbys whose join step adds them online (7.9-7.11), or whose leave step removes them
  const joinable = movingMembers(ctx);
  // the members a rolling restart step restarts, and the DCP proxies their start steps restart
  // (restarts: rolling)
  const restartable = new Set(
    ctx.plan.steps.flatMap((s) =>
      s.params.kind === 'restart' && s.params.rolling
        ? s.params.members.map((m) => m.instance)
        : s.params.kind === 'dcp-start' && s.params.rolling
          ? [s.params.instance]
          : [],
    ),
  );
  return {
    changes,
    ...judgeLiveChanges(changes, running, joinable, restartable, restartJoiners(ctx)),
  };
}

/**
 * Without a record (a cluster deployed before records were kept, or records removed), the OGUID
 * the running databases carry still tells a changed spec; `ask` picks the databases to ask (those
 * whose own dmserver holds the port). 0 is a database whose mode step has not run (7.2.3.6).
 */
export async function liveOguidRefusals(
  ctx: StepContext,
  step: Step,
  ask: (host: string, port: number) => boolean = () => true,
): Promise<LiveRefusal[]> {
  const verify = ctx.plan.steps.find((s) => s.params.kind === 'verify');
  if (verify?.params.kind !== 'verify') return [];
  const refused: LiveRefusal[] = [];
  for (const g of verify.params.groups) {
    // a member the running group does not hold yet needs the online join, which needs the record
    let checkedMal = false;
    for (const d of g.databases) {
      if (!ask(d.host, d.port)) continue;
      const r = new Remote(ctx, step, d.host);
      if (!checkedMal) {
        const res = await r
          .disql(d.port, ['SELECT MAL_INST_NAME FROM V$DM_MAL_INI'], 30_000)
          .catch(() => undefined);
        if (res?.exitCode === 0) {
          checkedMal = true;
          const held = new Set(bareRows(res.stdout).map((row) => row.join(' ')));
          for (const x of g.databases.filter((y) => !held.has(y.instance)))
            refused.push({
              code: 'LIVE_ADD_MEMBER',
              field: x.instance,
              what: `${x.instance} is not a member of the running group ${g.name} (its MAL does not name it), and no host holds a record of a healthy deploy, which the online join needs (7.10)`,
              fix: `apply the spec the group was deployed with once (verify then records it), then add ${x.instance}`,
            });
        }
      }
      const st = await r.instance(d.port).catch(() => undefined);
      if (st?.oguid && st.oguid !== g.oguid)
        refused.push({
          code: 'LIVE_OGUID_CHANGED',
          field: `oguid (group ${g.name})`,
          what: `${d.instance} on ${d.host} runs with OGUID ${st.oguid}; the spec says ${g.oguid}. Every database, watcher and monitor of a group shares its OGUID (7.2.3.6), set once when it was built`,
          fix: `put oguid: ${st.oguid} back; a group with another OGUID is a new group, built on new databases`,
        });
    }
  }
  return refused;
}

/**
 * Whether `instance` joins `group` now: the hosts hold a record of a healthy deploy in which the
 * group has members, and `instance` is not one of them (7.9-7.10). The recorded members, or
 * undefined when it is built with its group, or was.
 */
export async function joiningGroup(
  ctx: StepContext,
  group: string,
  instance: string,
): Promise<DeployedRecord['instances'] | undefined> {
  const record = await readDeployed(ctx);
  const members = record?.instances.filter((i) => i.group === group) ?? [];
  return members.length && !members.some((i) => i.instance === instance) ? members : undefined;
}
