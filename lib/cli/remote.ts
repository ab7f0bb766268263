/**
 * The effectful commands of dmdeploy: run one step of a plan manifest (what each Terraform
 * resource's local-exec calls), and read a cluster's live status. Secrets are read by this
 * process from the sources the spec names (secrets.sysdbaPassword / secrets.sshPassphrase:
 * by default the environment variables DM_SYSDBA_PASSWORD and DM_SSH_PASSPHRASE, which
 * local-exec inherits from the process running Terraform), never from Terraform.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { SshExecutor, type SshLogger } from '../ssh';
import { ALL_HOSTS, parseManifest, type Plan, type Step } from '../plan';
import {
  collectStatus,
  hostsOf,
  runStep,
  StepError,
  valueOf,
  type ClusterStatus,
  type Secrets,
} from '../steps';

export function executorFor(
  plan: Plan,
  hosts: readonly string[],
  secrets: Secrets,
  logger?: SshLogger,
): SshExecutor {
  const s = plan.ssh;
  const passphrase = valueOf(secrets.sshPassphrase);
  const list = hosts.filter((h) => h !== ALL_HOSTS);
  for (const h of list) if (!plan.hosts[h]) throw new Error(`host ${h} is not in the plan's hosts`);
  return new SshExecutor(
    list.map((h) => ({
      name: h,
      address: plan.hosts[h]?.address ?? h,
      port: plan.hosts[h]?.sshPort ?? s.port,
    })),
    {
      auth: {
        ...(s.privateKeyPath ? { privateKeyPath: s.privateKeyPath } : {}),
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(s.agent && process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
      },
      knownHostsPath: s.knownHostsPath ?? `${process.env.HOME ?? ''}/.ssh/known_hosts`,
      trustOnFirstUse: s.trustOnFirstUse,
      user: s.user,
      ...(logger ? { logger } : {}),
    },
  );
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
): Promise<number> {
  const step = findStep(plan, id);
  const ex = executorFor(plan, hostsOf(step), secrets);
  const tag = `[${step.id} @ ${step.host}]`;
  // Terraform hides a local-exec's output when its environment holds a sensitive value (the
  // password), so progress also goes to a log file beside the plan (no secret ever reaches it)
  const logFile = process.env.DMDEPLOY_LOG ?? 'dmdeploy.log';
  const logged = (to: (s: string) => void) => (s: string) => {
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
      `${tag} ${r.result === 'skipped' ? `already done: ${r.reason ?? ''}` : r.result} in ${(r.ms / 1000).toFixed(1)} s\n`,
    );
    return 0;
  } catch (e) {
    fail(
      `${e instanceof StepError ? e.message : `step ${step.id} on ${step.host} failed: ${(e as Error).message}`}\n`,
    );
    return 1;
  } finally {
    await ex.close();
  }
}

export async function statusOf(plan: Plan, secrets: Secrets): Promise<ClusterStatus> {
  const verify = plan.steps.find((s) => s.params.kind === 'verify');
  if (!verify || verify.params.kind !== 'verify') throw new Error('the plan has no verify step');
  const ex = executorFor(plan, hostsOf(verify), secrets);
  try {
    return await collectStatus(
      {
        plan,
        ex,
        secrets,
        progress: () => {},
      },
      verify as Step & { params: { kind: 'verify' } },
    );
  } finally {
    await ex.close();
  }
}

export function formatStatus(s: ClusterStatus): string {
  const lines = [`${s.cluster}: ${s.healthy ? 'healthy' : 'NOT healthy'}`];
  for (const g of s.groups) {
    lines.push(`  group ${g.name} (OGUID ${g.oguid})`);
    for (const d of g.databases)
      lines.push(
        `    ${d.instance.padEnd(16)} ${d.host.padEnd(10)} ${(d.mode ?? '-').padEnd(8)} ${(d.status ?? 'no answer').padEnd(9)} ` +
          `watcher ${(d.watcher ?? '-').padEnd(6)} archives ${d.archives.map((a) => `${a.type}:${a.status}`).join(' ') || '-'}` +
          (d.monitor ? `  monitor ${d.monitor.wstatus}/${d.monitor.istatus}` : ''),
      );
  }
  if (s.monitor)
    lines.push(`  monitor on ${s.monitor.host}: ${s.monitor.answered ? 'answered' : 'no answer'}`);
  if (s.mppCtl) {
    const sums = new Set(s.mppCtl.map((f) => f.sha256 ?? 'missing'));
    lines.push(
      `  dmmpp.ctl on ${s.mppCtl.length} instances: ${sums.size === 1 && !sums.has('missing') ? `identical (sha256 ${[...sums][0]?.slice(0, 12)})` : 'NOT identical'}`,
    );
  }
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  return `${lines.join('\n')}\n`;
}
