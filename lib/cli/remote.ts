/**
 * The effectful commands of dmdeploy: run one step of a plan manifest (what each Terraform
 * resource's local-exec calls), and read a cluster's live status. Secrets are read by this
 * process from the sources the spec names (secrets.sysdbaPassword / secrets.sshPassphrase:
 * by default the environment variables DM_SYSDBA_PASSWORD and DM_SSH_PASSPHRASE, which
 * local-exec inherits from the process running Terraform), never from Terraform.
 */
import { appendFileSync, readFileSync } from 'node:fs';
// narrow modules, not the lib/plan barrel: `dmdeploy step` runs from a bundle that must not
// carry the planner (and through it the spec schema, zod, the renderers)
import { parseManifest } from '../plan/manifest';
import { ALL_HOSTS, type Plan, type Step } from '../plan/step';
import {
  SshExecutor,
  type ConnectionPool,
  type ExecutorOptions,
  type HostSpec,
  type SshLogger,
} from '../ssh';
import {
  describeSource,
  hostsOf,
  runStep,
  StepError,
  valueOf,
  type ClusterStatus,
  type Secrets,
  type SecretValue,
} from '../steps';
import type { SecretSource } from '../spec/schema';
import { formatChange, formatRefusal } from '../families/data-guard/plan/deployed';
import { assessLive, liveOguidRefusals } from '../steps/deployed';
import { proxyHosts, readStatus, statusStep } from '../steps/cluster-status';

/** The SSH targets of `hosts` (ALL_HOSTS left out), each with its address and port. */
function sshTargets(plan: Plan, hosts: readonly string[]): HostSpec[] {
  const list = hosts.filter((h) => h !== ALL_HOSTS);
  for (const h of list) if (!plan.hosts[h]) throw new Error(`host ${h} is not in the plan's hosts`);
  return list.map((h) => ({
    name: h,
    address: plan.hosts[h]?.address ?? h,
    port: plan.hosts[h]?.sshPort ?? plan.ssh.port,
  }));
}

/**
 * How a step runs besides its plan and secrets: the environment it was started with (HOME,
 * SSH_AUTH_SOCK, DMDEPLOY_LOG; the step broker runs steps for processes with their own), the
 * connection pool to lease from, when its process started (for the overhead line), and a signal
 * that abandons it (its connections are closed, as they would be if its process died).
 */
export interface StepRun {
  env: NodeJS.ProcessEnv;
  pool?: ConnectionPool;
  /** ms from the step's process start to the step's start, as performance.now() measured it there. */
  startedMs?: number;
  signal?: AbortSignal;
}

const expandHome = (p: string, env: NodeJS.ProcessEnv) =>
  p.startsWith('~/') && env.HOME ? `${env.HOME}/${p.slice(2)}` : p;

function executorOptions(
  plan: Plan,
  secrets: Secrets,
  logger?: SshLogger,
  env: NodeJS.ProcessEnv = process.env,
): ExecutorOptions {
  const s = plan.ssh;
  const source = plan.secrets.sshPassphrase;
  // an unset environment variable means no passphrase; a file or command the spec names must work
  if (!secrets.sshPassphrase.ok && !('env' in source))
    throw new Error(
      `no SSH key passphrase: ${secrets.sshPassphrase.problem}; fix: make ${describeSource(source)} ` +
        "give it (the spec's secrets.sshPassphrase), or remove secrets.sshPassphrase for a key without one",
    );
  const passphrase = valueOf(secrets.sshPassphrase);
  return {
    auth: {
      // `~/` against this step's HOME (the step broker serves steps of other environments)
      ...(s.privateKeyPath ? { privateKeyPath: expandHome(s.privateKeyPath, env) } : {}),
      ...(passphrase !== undefined ? { passphrase } : {}),
      // lib/ssh/auth.ts falls back to SSH_AUTH_SOCK only without a key: decided here, from `env`
      ...((s.agent || !s.privateKeyPath) && env.SSH_AUTH_SOCK ? { agent: env.SSH_AUTH_SOCK } : {}),
    },
    knownHostsPath: expandHome(s.knownHostsPath ?? '~/.ssh/known_hosts', env),
    trustOnFirstUse: s.trustOnFirstUse,
    user: s.user,
    ...(logger ? { logger } : {}),
  };
}

export function executorFor(
  plan: Plan,
  hosts: readonly string[],
  secrets: Secrets,
  logger?: SshLogger,
  run?: Pick<StepRun, 'env' | 'pool'>,
): SshExecutor {
  const options = executorOptions(plan, secrets, logger, run?.env);
  return new SshExecutor(sshTargets(plan, hosts), run?.pool ? { ...options, pool: run.pool } : options);
}

export function loadManifest(file: string): Plan {
  return parseManifest(readFileSync(file, 'utf8'), file);
}

export function findStep(plan: Plan, id: string): Step {
  const step = [...plan.steps, ...plan.teardown].find((s) => s.id === id);
  if (!step)
    throw new Error(
      `no step "${id}" in the plan of ${plan.cluster}; fix: one of ${[...plan.steps, ...plan.teardown].map((s) => s.id).join(', ')}`,
    );
  return step;
}

/** `dmdeploy step <id>`: 0 when the step is done (or was already), 1 with host, step, DM's message and a hint. */
export async function stepCommand(
  plan: Plan,
  id: string,
  secrets: Secrets,
  out: (s: string) => void,
  err: (s: string) => void,
  run: StepRun = { env: process.env },
): Promise<number> {
  const step = findStep(plan, id);
  // its process went away before it began (the broker was still reading the secrets): nothing ran
  if (run.signal?.aborted) return 1;
  const tag = `[${step.id} @ ${step.host}]`;
  // once the step has ended (or was abandoned), work it left behind says nothing more, as it
  // could not had the step run in its own process
  let ended = false;
  // progress also goes to a log file beside the plan (no secret ever reaches it), so one file
  // tells what every step did, whoever ran terraform
  const logFile = run.env.DMDEPLOY_LOG ?? 'dmdeploy.log';
  const logged = (to: (s: string) => void) => (s: string) => {
    if (ended || run.signal?.aborted) return;
    to(s);
    try {
      appendFileSync(logFile, `${new Date().toISOString()} ${s}`);
    } catch {
      // progress is best effort; the step's result is its exit code
    }
  };
  const say = logged(out);
  const fail = logged(err);
  say(`${tag} ${step.title}\n`);
  let ex: SshExecutor;
  try {
    ex = executorFor(plan, hostsOf(step, plan), secrets, undefined, run);
  } catch (e) {
    fail(`step ${step.id} on ${step.host} failed: ${(e as Error).message}\n`);
    return 1;
  }
  // abandoned (its caller went away): close its connections, which fails whatever it still awaits
  const abandon = () => void ex.close();
  run.signal?.addEventListener('abort', abandon, { once: true });
  // the step's own overhead: its process's start (node, modules, manifest, secrets) and SSH connects
  const startedMs = run.startedMs ?? performance.now();
  const overhead = () => {
    const connectMs = hostsOf(step, plan).reduce((n, h) => n + ex.stats(h).connectMs, 0);
    return `(process start ${startedMs.toFixed(0)} ms, ssh connect ${connectMs.toFixed(0)} ms)`;
  };
  let ok = false;
  try {
    const r = await runStep(
      {
        plan,
        ex,
        secrets,
        progress: (l) => say(`${tag} ${l}\n`),
      },
      step,
    );
    say(
      `${tag} ${r.result === 'skipped' ? `already done: ${r.reason ?? ''}` : r.result} in ${(r.ms / 1000).toFixed(3)} s ${overhead()}\n`,
    );
    ok = true;
    return 0;
  } catch (e) {
    fail(
      `${e instanceof StepError ? e.message : `step ${step.id} on ${step.host} failed: ${(e as Error).message}`}\n`,
    );
    return 1;
  } finally {
    run.signal?.removeEventListener('abort', abandon);
    ended = true;
    // a failed or timed-out step may still await something on its connections: they are closed
    await ex.close({ reuse: ok && !run.signal?.aborted });
  }
}

/**
 * `dmdeploy step <id> --dry-run`: everything a run does before its first SSH connection (the
 * manifest, the step, the secrets, the executor), then what it would connect to; connects to
 * nothing, writes no log. Never prints a secret, only where each was looked for and whether it was
 * found. 0, or an error (unknown step, a host not in the plan) as a run would throw it.
 */
export async function stepDryRun(
  plan: Plan,
  id: string,
  secrets: Secrets,
  out: (s: string) => void,
): Promise<number> {
  const step = findStep(plan, id);
  const targets = sshTargets(plan, hostsOf(step, plan));
  const options = executorOptions(plan, secrets);
  // built as a run builds it (it connects only when a command needs a host)
  const ex = new SshExecutor(targets, options);
  const tag = `[${step.id} @ ${step.host}]`;
  const secret = (what: string, source: SecretSource, v: SecretValue, unlessAbsent = '') =>
    `${tag} ${what}: ${describeSource(source)}, ${v.ok ? 'found' : `not found (${v.problem})${unlessAbsent}`}\n`;
  try {
    out(`${tag} ${step.title}\n`);
    out(`${tag} dry run: would connect to ${targets.length} host${targets.length === 1 ? '' : 's'}\n`);
    for (const t of targets)
      out(`${tag}   ${t.name}: ssh ${t.user ?? options.user}@${t.address}:${t.port ?? 22}\n`);
    // as the executor resolves it at the first connection (lib/ssh/auth.ts)
    const { privateKeyPath, agent = privateKeyPath ? undefined : process.env.SSH_AUTH_SOCK } = options.auth;
    const auth = [...(privateKeyPath ? [`key ${privateKeyPath}`] : []), ...(agent ? [`agent ${agent}`] : [])];
    out(
      `${tag} ssh auth: ${auth.join(' + ') || 'none: no private key and no ssh-agent (SSH_AUTH_SOCK is not set)'}; ` +
        `known hosts ${options.knownHostsPath}${options.trustOnFirstUse ? ' (trust on first use)' : ''}\n`,
    );
    out(secret('SYSDBA password', plan.secrets.sysdbaPassword, secrets.sysdbaPassword));
    out(
      secret(
        'SSH key passphrase',
        plan.secrets.sshPassphrase,
        secrets.sshPassphrase,
        '; none is needed for an unencrypted key or an agent',
      ),
    );
    return 0;
  } finally {
    await ex.close();
  }
}

export async function statusOf(plan: Plan, secrets: Secrets): Promise<ClusterStatus> {
  const verify = statusStep(plan);
  const ex = executorFor(plan, [...new Set([...hostsOf(verify, plan), ...proxyHosts(plan)])], secrets);
  try {
    return await readStatus({ plan, ex, secrets, progress: () => {} }, verify);
  } finally {
    await ex.close();
  }
}

/**
 * `dmdeploy plan <spec> --live`: the plan held against the cluster the hosts run (their record of
 * the last healthy deploy, and which processes run), as preflight will hold it. The text, and 0
 * unless an apply would be refused.
 */
export async function liveReport(plan: Plan, secrets: Secrets): Promise<{ code: number; text: string }> {
  const preflight = plan.steps.find((s) => s.params.kind === 'preflight');
  if (!preflight) throw new Error('the plan has no preflight step');
  const ex = executorFor(plan, Object.keys(plan.hosts), secrets);
  try {
    const ctx = { plan, ex, secrets, progress: () => {} };
    const live = await assessLive(ctx, preflight);
    const head = `live plan for ${plan.cluster}:`;
    if (!live) {
      // as preflight does without a record: the running databases' OGUID
      const refused = await liveOguidRefusals(ctx, preflight);
      if (refused.length)
        return {
          code: 1,
          text: `${head} no host holds a record of a healthy deploy, but databases run\n  refused: an apply stops at ${preflight.id}, before any host is touched:\n${refused.map((r) => `    ${formatRefusal(r)}\n`).join('')}`,
        };
      return {
        code: 0,
        text: `${head} no host holds a record of a healthy deploy: an apply builds the cluster (dmdeploy plan <spec> lists the steps); only the OGUID of running databases was checked\n`,
      };
    }
    if (!live.changes.length)
      return { code: 0, text: `${head} no changes: the running cluster is as the spec says\n` };
    const lines = [head];
    if (live.allowed.length) {
      lines.push('  an apply would:');
      for (const c of live.allowed) lines.push(`    ${formatChange(c)}`);
    }
    if (live.refused.length) {
      lines.push(`  refused: an apply stops at ${preflight.id}, before any host is touched:`);
      for (const r of live.refused) lines.push(`    ${formatRefusal(r)}`);
    }
    return { code: live.refused.length ? 1 : 0, text: `${lines.join('\n')}\n` };
  } finally {
    await ex.close();
  }
}

export function formatStatus(s: ClusterStatus): string {
  const lines = [`${s.cluster}: ${s.healthy ? 'healthy' : 'NOT healthy'}`];
  for (const g of s.groups) {
    lines.push(`  ${g.oguid ? `group ${g.name} (OGUID ${g.oguid})` : `RAFT group ${g.name}`}`);
    for (const d of g.databases)
      if (!g.oguid)
        lines.push(
          `    ${d.instance.padEnd(16)} ${d.host.padEnd(10)} ${d.role.padEnd(3)} ${(d.mode ?? '-').padEnd(8)} ${d.status ?? 'no answer'}`,
        );
      else
        lines.push(
          `    ${d.instance.padEnd(16)} ${d.host.padEnd(10)} ${(d.mode ?? '-').padEnd(8)} ${(d.status ?? 'no answer').padEnd(9)} ` +
            `watcher ${(d.watcher ?? '-').padEnd(6)} archives ${d.archives.map((a) => `${a.type}:${a.status}`).join(' ') || '-'}` +
            (d.monitor ? `  monitor ${d.monitor.wstatus}/${d.monitor.istatus}` : ''),
        );
  }
  if (s.monitor)
    lines.push(
      `  monitor on ${s.monitor.host}: ${s.monitor.answered ? 'answered' : 'no answer'}` +
        (s.monitor.running === undefined
          ? ''
          : s.monitor.running
            ? ', confirm monitor running'
            : ', confirm monitor NOT running'),
    );
  if (s.mppCtl) {
    const sums = new Set(s.mppCtl.map((f) => f.sha256 ?? 'missing'));
    lines.push(
      `  dmmpp.ctl on ${s.mppCtl.length} instances: ${sums.size === 1 && !sums.has('missing') ? `identical (sha256 ${[...sums][0]?.slice(0, 12)})` : 'NOT identical'}`,
    );
  }
  for (const p of s.proxies ?? [])
    lines.push(
      `  DCP proxy ${p.instance} on ${p.host}: ` +
        (p.error ? 'no answer' : `EPs ${p.insts.join(' ') || '-'}; primaries ${p.live.join(' ') || '-'}`),
    );
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  for (const w of s.warnings ?? []) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
