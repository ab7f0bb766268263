/**
 * DMDPC steps (003 7.1): start a node with its dpc_mode, register the system on the MP, verify.
 * Each probes the real state first: a running node, the catalogue's rows, V$INSTANCE.
 */
import type { StepContext, StepKindImpl } from '../context';
import { Remote } from '../remote';
import { dmMessage, bareRows } from '../../dm/disql';
import { shJoin } from '../../ssh';
import {
  catalogueDiff,
  DPC_BP_GROUP_QUERY,
  DPC_INSTANCE_QUERY,
  DPC_NODE_QUERY,
  DPC_RAFT_QUERY,
  INVALID_SYSTEM_STATE,
  parseCatalogue,
  SP_INSTANCES_QUERY,
  type CatalogueDiff,
} from '../../families/dpc/catalogue';
import type { Step } from '../../plan';
import type { StepOf } from './types';

/** `dmserver <dm.ini> dpc_mode=<role> -noconsole`, detached; resolves at SYSTEM IS READY or fails with its refusal. */
export const dpcStart: StepKindImpl<StepOf<'dpc-start'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    return (await r.pidsOf('dmserver', step.params.iniPath)).length
      ? `${step.params.instance} is running`
      : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const argv = [r.bin('dmserver'), p.iniPath, `dpc_mode=${p.mode}`, '-noconsole'];
    ctx.progress(shJoin(argv));
    await r.startDetached(`dmserver_${p.instance}`, argv, 'SYSTEM IS READY', 5 * 60_000);
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
    const res = await r.disql(step.params.port, [DPC_NODE_QUERY], 30_000);
    const row = bareRows(res.stdout).find((x) => x.length >= 2 && /^[A-Z]/.test(x[0] ?? ''));
    if (res.exitCode !== 0 || row?.[0] !== 'OPEN')
      r.fail(
        `${step.params.instance} is not OPEN after its start`,
        dmMessage(`${res.stdout}\n${res.stderr}`),
        'read the dmserver output named above; every MP, SP and BP must be OPEN (003 7.1.6)',
      );
  },
};

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

async function diffOnMp(r: Remote, step: StepOf<'dpc-register'>): Promise<CatalogueDiff> {
  const diff = catalogueDiff(step.params.catalogue, await readCatalogue(r, step.params.mp.port));
  if (diff.conflicts.length)
    r.fail(
      `the MP's catalogue contradicts the spec: ${diff.conflicts.join('; ')}`,
      '',
      'dmdeploy never drops or re-registers a DMDPC instance (a registered node reads its ports from the MP); put the registered values back in the spec, or drop and register it yourself with every node stopped',
    );
  return diff;
}

/** 003 7.1.4: on the MP, what is missing, in the seed's order; 7.1.5's check is the verify. */
export const dpcRegister: StepKindImpl<StepOf<'dpc-register'>> = {
  timeoutMs: 10 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    const diff = await diffOnMp(r, step);
    if (diff.extra.length)
      ctx.progress(`registered but not in the spec (left as they are): ${diff.extra.join(', ')}`);
    return diff.statements.length ? undefined : 'every instance, RAFT group and BP group is registered';
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const { statements } = await diffOnMp(r, step);
    // one statement per session: a refusal names its statement, and what ran before it is said
    const done: string[] = [];
    for (const stmt of statements) {
      const res = await r.disql(step.params.mp.port, [stmt], 60_000);
      if (res.exitCode !== 0)
        r.fail(
          `${stmt} on ${step.params.mp.instance} failed${done.length ? ` (${done.length} registered before it)` : ''}`,
          dmMessage(`${res.stdout}\n${res.stderr}`),
          "read the MP's message; fix the spec or the MP, then apply again (what is registered stays)",
        );
      done.push(stmt);
    }
    ctx.progress(`${done.length} registrations on ${step.params.mp.instance}`);
  },
  async verify(ctx, step) {
    const r = new Remote(ctx, step);
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
        const r = new Remote(ctx, step as Step, n.host);
        const res = await r.disql(n.port, [DPC_NODE_QUERY], 30_000);
        const row = bareRows(res.stdout).find((x) => x.length >= 2 && /^[A-Z]/.test(x[0] ?? ''));
        if (res.exitCode !== 0 || !row)
          return { ...base, unreachable: dmMessage(`${res.stdout}\n${res.stderr}`) || 'no answer' };
        return { ...base, status: row[0], mode: row[1] };
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
        const res = await r.disql(n.port, [SP_INSTANCES_QUERY], 30_000).catch((e: Error) => ({
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

  try {
    const r = new Remote(ctx, step as Step, p.mp.host);
    const diff = catalogueDiff(p.catalogue, await readCatalogue(r, p.mp.port));
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
