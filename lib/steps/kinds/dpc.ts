/**
 * DMDPC steps (003 7.1): start a node with its dpc_mode, register the system on the MP, verify.
 * Each probes the real state first: a running node, the catalogue's rows, V$INSTANCE.
 */
import type { StepContext, StepKindImpl } from '../context';
import { Remote } from '../remote';
import { dmMessage, bareRows } from '../../dm/disql';
import {
  catalogueDiff,
  DPC_BP_GROUP_QUERY,
  DPC_INSTANCE_QUERY,
  DPC_RAFT_QUERY,
  INVALID_SYSTEM_STATE,
  parseCatalogue,
  SP_DATA_QUERY,
  SP_INSTANCES_QUERY,
  type CatalogueDiff,
} from '../../families/dpc/catalogue';
import type { DpcRecord, Step } from '../../plan';
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import { everyHost } from '../context';
import { writeFiles } from './files';
import { shutdownServer, startServer } from './server';
import type { StepOf } from './types';

/** `dmserver <dm.ini> dpc_mode=<role> [mount] -noconsole`, detached; resolves at SYSTEM IS READY or fails with its refusal. */
export const dpcStart: StepKindImpl<StepOf<'dpc-start'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  // MP1 of a formed MP RAFT group starts its whole group (startGroup)
  hosts: (step) => (step.params.group ?? []).map((m) => m.host),
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    if ((await r.pidsOf('dmserver', step.params.iniPath)).length) return `${step.params.instance} is running`;
    // 7.3.5: MP1 was stopped for the backup that seeds the other MPs; an apply that lost its state
    // finds the group half formed: its own steps (restore, RAFT configuration, MOUNT starts) go on
    if ((await formation(r, step)) === 'backed-up')
      return `${step.params.instance} was bootstrapped and backed up for its group; its MOUNT start brings it back (003 7.3.7)`;
    return undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    // MP1's bootstrap start happens once; once its group formed, starting the MP is starting the
    // group in MOUNT (7.3.7) and waiting for its leader (a deploy after a destroy that kept data)
    if ((await formation(r, step)) === 'formed')
      return startGroup(ctx, step, p.group ?? [p].map((m) => ({ ...m, host: step.host })));
    if (p.bootstrap) await writeFiles(r, p.bootstrap);
    await startServer(r, p, { mount: p.mount ?? false, dpcMode: p.mode });
    if (p.bootstrap) await r.writeRecord();
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    // a MOUNT start opens once its group elects a leader: the group's leader step checks that
    if (step.params.mount || (await formation(r, step)) === 'formed') {
      if (!(await r.pidsOf('dmserver', step.params.iniPath)).length)
        r.fail(
          `${step.params.instance} is not running after its start`,
          '',
          'read its dmserver output on the host',
        );
      return;
    }
    const st = await nodeState(r, step.params);
    if (st.status !== 'OPEN')
      r.fail(
        `${step.params.instance} is not OPEN after its start`,
        st.error ?? `${st.status} ${st.mode}`,
        'read the dmserver output named above; every MP, SP and BP must be OPEN (003 7.1.6)',
      );
  },
};

/**
 * How far MP1's bootstrap (7.3.3-7.3.7) got, from the records on its host: not yet started; started
 * (it runs OPEN alone, or was stopped before its backup: started again); backed up (stopped for the
 * backup that seeds the other MPs, not yet formed); formed (its group elected a leader once).
 */
async function formation(
  r: Remote,
  step: StepOf<'dpc-start'>,
): Promise<'none' | 'started' | 'backed-up' | 'formed'> {
  const p = step.params;
  if (!p.bootstrap) return 'none';
  // the later records first: a start cut short before its own record (a probe since found MP1
  // running, and skipped) was still a bootstrap, and its backup proves it
  if (p.formation && (await r.hasRecord(p.formation.leader))) return 'formed';
  if (p.formation && (await r.hasRecord(p.formation.backup))) return 'backed-up';
  if (!(await r.hasRecord())) return 'none';
  return p.formation || !p.group ? 'started' : 'formed';
}

/**
 * STATUS$ and MODE$ of `instance` on `port` of r's host, or DM's message. An SP's V$INSTANCE lists
 * every running instance of the system (003 7.1.7): its own row is the one with its name.
 */
async function nodeState(
  r: Remote,
  m: { instance: string; port: number },
): Promise<{ status?: string; mode?: string; error?: string }> {
  const res = await r.disql(m.port, [SP_INSTANCES_QUERY], 30_000);
  const row = bareRows(res.stdout).find(
    (x) => x.length >= 3 && x[0]?.toUpperCase() === m.instance.toUpperCase(),
  );
  if (res.exitCode !== 0 || !row) return { error: dmMessage(`${res.stdout}\n${res.stderr}`) || 'no answer' };
  return { status: row[1], mode: row[2] };
}

type Member = { instance: string; host: string; port: number; iniPath: string };

/** Every member of a formed group not running is started in MOUNT; then its election is awaited. */
async function startGroup(
  ctx: StepContext,
  step: StepOf<'dpc-start'>,
  members: readonly Member[],
): Promise<void> {
  for (const m of members) {
    const at = new Remote(ctx, step, m.host);
    if ((await at.pidsOf('dmserver', m.iniPath)).length) continue;
    ctx.progress(`${m.instance}: its group was formed; started in MOUNT (003 7.3.7)`);
    await startServer(at, m, { mount: true, dpcMode: step.params.mode });
  }
  await awaitLeader(ctx, step, 'MP_RAFT', members);
}

/** Bounded wait for one PRIMARY/OPEN member and the others STANDBY/OPEN. */
async function awaitLeader(
  ctx: StepContext,
  step: Step,
  raft: string,
  members: readonly Member[],
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const problem = leaderProblem(raft, await groupStates(ctx, step, members));
    if (!problem) return ctx.progress(`${raft} elected its leader`);
    if (Date.now() > deadline)
      new Remote(ctx, step).fail(
        `${raft} elected no leader within 120 s`,
        problem,
        'check each member started in MOUNT with ARCH_INI = 1, ALTER_MODE_STATUS = 0 and its RAFT dmarch.ini, restored from its own group\'s backup with UPDATE DB_MAGIC (003 7.2.7, "无法选主")',
      );
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** The MP that takes registrations: one MP, or the MP RAFT member that runs OPEN and is not a STANDBY. */
async function activeMp(r: Remote, mps: readonly Member[]): Promise<Remote & { mp: Member }> {
  const found = await findActiveMp(r, mps);
  if ('mp' in found) return found;
  return r.fail(
    'no MP is OPEN to take the registrations',
    found.tried,
    'the MP must stay up the whole time DMDPC runs (003 7.1.3); start it, then apply again',
  );
}

async function findActiveMp(
  r: Remote,
  mps: readonly Member[],
): Promise<(Remote & { mp: Member }) | { tried: string }> {
  const tried: string[] = [];
  for (const m of mps) {
    const at = new Remote(r.ctx, r.step, m.host);
    const st = await nodeState(at, m);
    if (st.status === 'OPEN' && st.mode !== 'STANDBY') return Object.assign(at, { mp: m });
    tried.push(`${m.instance}: ${st.error ?? `${st.status} ${st.mode}`}`);
  }
  return { tried: tried.join('; ') };
}

/** 003 7.2.8, 7.3.7: the members of a group, each with its state. */
async function groupStates(ctx: StepContext, step: Step, members: readonly Member[]) {
  return Promise.all(
    members.map(async (m) => ({
      m,
      ...(await nodeState(new Remote(ctx, step, m.host), m).catch(
        (e: Error) => ({ error: e.message }) as { status?: string; mode?: string; error?: string },
      )),
    })),
  );
}

const leaderProblem = (
  raft: string,
  states: { m: Member; status?: string; mode?: string; error?: string }[],
) => {
  const leaders = states.filter((x) => x.mode === 'PRIMARY' && x.status === 'OPEN');
  const show = states
    .map((x) => `${x.m.instance} ${x.error ? `(${x.error})` : `${x.mode}/${x.status}`}`)
    .join(', ');
  if (leaders.length !== 1) return `${raft} has ${leaders.length} PRIMARY/OPEN members (${show})`;
  const off = states.filter((x) => x !== leaders[0] && !(x.mode === 'STANDBY' && x.status === 'OPEN'));
  return off.length
    ? `${raft}: ${off.map((x) => x.m.instance).join(', ')} not STANDBY/OPEN (${show})`
    : undefined;
};

/** 7.2.8 / 7.3.7: wait (bounded) for the group's election: one PRIMARY/OPEN, the others STANDBY/OPEN. */
export const raftLeader: StepKindImpl<StepOf<'raft-leader'>> = {
  timeoutMs: 5 * 60_000,
  mutates: false,
  hosts: (step) => step.params.members.map((m) => m.host),
  probe: () => Promise.resolve(undefined),
  act: () => Promise.resolve(),
  async verify(ctx, step) {
    await awaitLeader(ctx, step, step.params.raft, step.params.members);
    // the group formed: MP1's start starts it whole from now on (formation)
    await new Remote(ctx, step).writeRecord();
  },
};

/**
 * 7.2.9, 7.3.8: SIGUSR1 ("kill -10") to the group's PRIMARY exits its valid members together;
 * then any member left running (an invalid one) is stopped alone, by SHUTDOWN.
 */
export const stopRaftGroup: StepKindImpl<StepOf<'stop-raft-group'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  hosts: (step) => step.params.members.map((m) => m.host),
  async probe(ctx, step) {
    for (const m of step.params.members)
      if ((await new Remote(ctx, step, m.host).pidsOf('dmserver', m.iniPath)).length) return undefined;
    return `no member of ${step.params.raft} is running`;
  },
  async act(ctx, step) {
    const states = await groupStates(ctx, step, step.params.members);
    const leader = states.find((x) => x.mode === 'PRIMARY' && x.status === 'OPEN')?.m;
    if (leader) {
      const r = new Remote(ctx, step, leader.host);
      const pids = await r.pidsOf('dmserver', leader.iniPath);
      ctx.progress(`kill -USR1 ${pids.join(' ')}: ${leader.instance} is ${step.params.raft}'s PRIMARY`);
      await r.must(
        `kill -USR1 ${pids.join(' ')}`,
        `cannot signal ${leader.instance}`,
        'stop the group by hand (exit all)',
      );
      // the valid members follow the leader out; an invalid one stays, and is stopped alone below
      const deadline = Date.now() + 60_000;
      const running = async () =>
        (
          await Promise.all(
            step.params.members.map(
              async (m) => (await new Remote(ctx, step, m.host).pidsOf('dmserver', m.iniPath)).length > 0,
            ),
          )
        ).filter(Boolean).length;
      let last = await running();
      for (let stable = 0; last > 0 && stable < 5 && Date.now() < deadline; ) {
        await new Promise((res) => setTimeout(res, 1000));
        const now = await running();
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
    }
    for (const m of step.params.members) await shutdownServer(new Remote(ctx, step, m.host), m);
  },
  async verify(ctx, step) {
    if (!(await this.probe(ctx, step)))
      new Remote(ctx, step).fail(`${step.params.raft} still runs a member`, '', 'stop it by hand (exit)');
  },
};

/** Hosts whose record of the registered system is missing or not this plan's. */
async function recordsMissing(ctx: StepContext, step: StepOf<'dpc-register'>): Promise<string[]> {
  const out: string[] = [];
  for (const h of Object.keys(ctx.plan.hosts)) {
    const have = (await ctx.ex.exists(h, step.params.record.path))
      ? (await ctx.ex.readFile(h, step.params.record.path)).toString('utf8')
      : undefined;
    if (have !== step.params.record.content) out.push(h);
  }
  return out;
}

async function writeAtomic(r: Remote, file: string, content: string): Promise<void> {
  await r.must(`mkdir -p ${shQuote(path.dirname(file))}`, 'mkdir', 'check the permissions of dmHome');
  await r.ctx.ex.writeFile(r.host, file, content, { mode: 0o644 });
}

/**
 * Preflight (DMDPC): the hosts' record of the registered system against this plan's. dmdeploy
 * builds a DMDPC system but does not change one yet; a member reordered, added or moved, another
 * port or a shadow flipped would have steps stop, bootstrap or restore members of a formed group.
 */
export async function dpcRecordRefusals(ctx: StepContext, record: DpcRecord): Promise<string[]> {
  const out: string[] = [];
  for (const h of Object.keys(ctx.plan.hosts)) {
    if (!(await ctx.ex.exists(h, record.path))) continue;
    const have = (await ctx.ex.readFile(h, record.path)).toString('utf8');
    if (have === record.content) continue;
    out.push(`${h}: ${recordDiff(have, record.content)} (the registered system, ${record.path})`);
  }
  return out;
}

/** What differs between two records, group by group (one line). */
function recordDiff(have: string, want: string): string {
  type Rec = {
    rafts: { name: string; members: Record<string, unknown>[] }[];
    bpGroups: unknown[];
    faultDomains?: unknown[];
  };
  let a: Rec;
  let b: Rec;
  try {
    a = JSON.parse(have) as Rec;
    b = JSON.parse(want) as Rec;
  } catch {
    return 'the record is not readable';
  }
  const diffs: string[] = [];
  const names = [...new Set([...a.rafts, ...b.rafts].map((r) => r.name))];
  for (const n of names) {
    const x = a.rafts.find((r) => r.name === n);
    const y = b.rafts.find((r) => r.name === n);
    if (!x) diffs.push(`${n} is not registered`);
    else if (!y) diffs.push(`${n} is registered but not in the spec`);
    else if (JSON.stringify(x) !== JSON.stringify(y))
      diffs.push(
        `${n} registered as ${x.members.map((m) => JSON.stringify(m)).join(', ')}; the spec says ${y.members.map((m) => JSON.stringify(m)).join(', ')}`,
      );
  }
  if (JSON.stringify(a.bpGroups) !== JSON.stringify(b.bpGroups))
    diffs.push(`BP groups registered as ${JSON.stringify(a.bpGroups)}`);
  if (JSON.stringify(a.faultDomains ?? []) !== JSON.stringify(b.faultDomains ?? []))
    diffs.push(`fault domains registered as ${JSON.stringify(a.faultDomains ?? [])}`);
  return diffs.join('; ') || 'the record differs';
}

async function readCatalogue(r: Remote, port: number): Promise<ReturnType<typeof parseCatalogue>> {
  const ask = async (sql: string) => {
    const res = await r.disql(port, [sql], 60_000);
    if (res.exitCode !== 0)
      r.fail(
        `${sql} on the MP failed`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        'the MP must be running and answer on its PORT_NUM; check it, then apply again',
      );
    return res.stdout;
  };
  return parseCatalogue(
    await ask(DPC_RAFT_QUERY),
    await ask(DPC_INSTANCE_QUERY),
    await ask(DPC_BP_GROUP_QUERY),
  );
}

async function diffOnMp(r: Remote & { mp: Member }, step: StepOf<'dpc-register'>): Promise<CatalogueDiff> {
  const diff = catalogueDiff(step.params.catalogue, await readCatalogue(r, r.mp.port));
  if (diff.conflicts.length)
    r.fail(
      `the MP's catalogue contradicts the spec: ${diff.conflicts.join('; ')}`,
      '',
      'dmdeploy never drops or re-registers a DMDPC instance (a registered node reads its ports from the MP) nor moves one between fault domains; put the registered values back in the spec, or change the registration yourself (with every node stopped for an instance; SP_FAULT_DOMAIN_MV_INST for a fault domain)',
    );
  return diff;
}

/** 003 7.1.4: on the MP, what is missing, in the seed's order; 7.1.5's check is the verify. */
export const dpcRegister: StepKindImpl<StepOf<'dpc-register'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  // the MP that leads now, and every host, which keeps the record of what was registered
  hosts: (step, plan) => [...step.params.mps.map((m) => m.host), ...everyHost(plan)],
  async probe(ctx, step) {
    const found = await findActiveMp(new Remote(ctx, step), step.params.mps);
    // 7.3.5: MP1 registered everything before the backup that seeds the other MPs; while MP RAFT
    // forms (an apply that lost its state, resumed there) no MP is OPEN: the record on every host,
    // written once registered, says so, and cluster/verify reads the catalogue once one leads
    if (!('mp' in found) && step.params.mps.length > 1 && !(await recordsMissing(ctx, step)).length)
      return `registered before its group formed (the record on every host); no MP leads yet (${found.tried})`;
    const r = 'mp' in found ? found : await activeMp(new Remote(ctx, step), step.params.mps);
    const diff = await diffOnMp(r, step);
    if (diff.extra.length)
      ctx.progress(`registered but not in the spec (left as they are): ${diff.extra.join(', ')}`);
    if (diff.statements.length) return undefined;
    return (await recordsMissing(ctx, step)).length
      ? undefined
      : 'every instance, RAFT group and BP group is registered';
  },
  async act(ctx, step) {
    const r = await activeMp(new Remote(ctx, step), step.params.mps);
    const { statements } = await diffOnMp(r, step);
    // one statement per session: a refusal names its statement, and what ran before it is said
    const done: string[] = [];
    for (const stmt of statements) {
      const res = await r.disql(r.mp.port, [stmt], 60_000);
      if (res.exitCode !== 0)
        r.fail(
          `${stmt} on ${r.mp.instance} failed${done.length ? ` (${done.length} registered before it)` : ''}`,
          dmMessage(`${res.stdout}\n${res.stderr}`),
          stmt.startsWith('SP_CREATE_FAULT_DOMAIN')
            ? // a domain shows only through its members' INFO1: one created by an interrupted apply is unseen
              "read the MP's message; if an interrupted apply created the domain, it holds no instance yet: move one of its instances in yourself with SP_FAULT_DOMAIN_MV_INST, then apply again"
            : "read the MP's message; fix the spec or the MP, then apply again (what is registered stays)",
        );
      done.push(stmt);
    }
    ctx.progress(`${done.length} registrations on ${r.mp.instance}`);
    // what is registered now binds later specs (preflight): on every host, once registered
    for (const h of await recordsMissing(ctx, step))
      await writeAtomic(new Remote(ctx, step, h), step.params.record.path, step.params.record.content);
  },
  async verify(ctx, step) {
    const r = await activeMp(new Remote(ctx, step), step.params.mps);
    const left = (await diffOnMp(r, step)).statements;
    if (left.length)
      r.fail(
        `the MP's catalogue still lacks ${left.length} registrations after registering`,
        left.join('; '),
        'query DPC_INSTANCE, DPC_BP_RAFT and DPC_BP_GROUP on the MP (003 7.1.5)',
      );
  },
};

export interface DpcNodeStatus {
  instance: string;
  host: string;
  role: string;
  status?: string;
  mode?: string;
  unreachable?: string;
}

export interface DpcStatus {
  nodes: DpcNodeStatus[];
  /** Per SP: the instances its V$INSTANCE lists, or why it did not answer. */
  sps: { instance: string; lists: string[]; error?: string }[];
  problems: string[];
}

/** The live DMDPC system against the plan: every node OPEN, each SP answering and listing all, the catalogue complete. */
export async function collectDpcStatus(ctx: StepContext, step: StepOf<'dpc-verify'>): Promise<DpcStatus> {
  const p = step.params;
  const problems: string[] = [];
  const nodes = await Promise.all(
    p.nodes.map(async (n): Promise<DpcNodeStatus> => {
      const base = { instance: n.instance, host: n.host, role: n.role };
      try {
        const st = await nodeState(new Remote(ctx, step as Step, n.host), n);
        if (st.error) return { ...base, unreachable: st.error };
        return { ...base, status: st.status, mode: st.mode };
      } catch (e) {
        return { ...base, unreachable: (e as Error).message };
      }
    }),
  );
  for (const n of nodes)
    if (n.unreachable) problems.push(`${n.role} ${n.instance} on ${n.host}: no answer (${n.unreachable})`);
    else if (n.status !== 'OPEN')
      problems.push(`${n.role} ${n.instance} on ${n.host} is ${n.status}, not OPEN`);

  const want = p.catalogue.instances.map((i) => i.name.toUpperCase());
  const sps = await Promise.all(
    p.nodes
      .filter((n) => n.role === 'SP')
      .map(async (n) => {
        const r = new Remote(ctx, step as Step, n.host);
        // a V$ view answers even with no usable BP; a query of data does not (003 7.1.6)
        const res = await r.disql(n.port, [SP_INSTANCES_QUERY, SP_DATA_QUERY], 30_000).catch((e: Error) => ({
          exitCode: 1,
          stdout: '',
          stderr: e.message,
        }));
        const text = `${res.stdout}\n${res.stderr}`;
        if (res.exitCode !== 0 || text.includes(INVALID_SYSTEM_STATE))
          return { instance: n.instance, lists: [], error: dmMessage(text) || 'no answer' };
        const lists = bareRows(res.stdout)
          .filter((x) => x.length >= 2 && /^[A-Za-z]/.test(x[0] ?? ''))
          .map((x) => x[0] ?? '');
        return { instance: n.instance, lists };
      }),
  );
  for (const s of sps) {
    if (s.error) {
      problems.push(`SP ${s.instance} refuses queries: ${s.error} (003 7.1.6: no usable BP)`);
      continue;
    }
    const have = new Set(s.lists.map((x) => x.toUpperCase()));
    const missing = want.filter((w) => !have.has(w));
    if (missing.length)
      problems.push(`SP ${s.instance}'s V$INSTANCE lacks ${missing.join(', ')} (003 7.1.7)`);
  }

  for (const g of p.rafts) {
    const members = p.nodes.filter((n) => g.members.includes(n.instance));
    const problem = leaderProblem(g.name, await groupStates(ctx, step as Step, members));
    if (problem) problems.push(`${problem} (003 7.2.8: one leader PRIMARY/OPEN)`);
  }
  try {
    const r = await activeMp(new Remote(ctx, step as Step), p.mps);
    const diff = catalogueDiff(p.catalogue, await readCatalogue(r, r.mp.port));
    if (diff.statements.length) problems.push(`the MP lacks registrations: ${diff.statements.join('; ')}`);
    for (const c of diff.conflicts) problems.push(`the MP's catalogue contradicts the spec: ${c}`);
  } catch (e) {
    problems.push(`the MP's catalogue could not be read: ${(e as Error).message}`);
  }
  return { nodes, sps, problems };
}

export const dpcVerify: StepKindImpl<StepOf<'dpc-verify'>> = {
  timeoutMs: 5 * 60_000,
  mutates: false,
  hosts: (step) => step.params.nodes.map((n) => n.host),
  probe: () => Promise.resolve(undefined),
  act: () => Promise.resolve(),
  async verify(ctx, step) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const s = await collectDpcStatus(ctx, step);
      if (!s.problems.length) {
        ctx.progress(`healthy: ${s.nodes.length} nodes OPEN, ${s.sps.length} SPs list every instance`);
        return;
      }
      if (Date.now() > deadline)
        new Remote(ctx, step).fail(
          'the DMDPC system did not become healthy within 120 s',
          s.problems.join('; '),
          "run `dmdeploy status <spec>`; read the nodes' dmserver output on the hosts named",
        );
      await new Promise((res) => setTimeout(res, 1000));
    }
  },
};
