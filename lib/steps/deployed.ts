/**
 * The DeployedRecord on the hosts (lib/plan/deployed.ts): written by verify once the cluster is
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
} from '../plan/deployed';
import type { StepContext } from './context';
import { Remote } from './remote';
import { shQuote } from '../ssh';

interface RecordFile {
  digest: string;
  writtenAt: string;
  record: DeployedRecord;
}

export const recordPath = (dmHome: string, cluster: string) =>
  path.join(dmHome, 'dmdeploy', 'cluster', `${resourceName(cluster)}.json`);

const hostsOf = (ctx: StepContext) => Object.keys(ctx.plan.hosts).filter((h) => h !== ALL_HOSTS);

/** The newest record any host of the plan holds, or undefined (a cluster never verified healthy). */
export async function readDeployed(ctx: StepContext): Promise<DeployedRecord | undefined> {
  const file = recordPath(ctx.plan.dmHome, ctx.plan.cluster);
  const found: RecordFile[] = [];
  await Promise.all(
    hostsOf(ctx).map(async (h) => {
      if (!(await ctx.ex.exists(h, file))) return;
      try {
        const parsed = JSON.parse((await ctx.ex.readFile(h, file)).toString('utf8')) as RecordFile;
        if (parsed.record && recordDigest(parsed.record) === parsed.digest) found.push(parsed);
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

const DM_PROCESSES = ['dmserver', 'dmwatcher', 'dmmonitor', 'dmcss', 'dmasmsvr'];

/** The plan held against the last healthy deploy: undefined when the hosts hold no record of one. */
export async function assessLive(
  ctx: StepContext,
  step: Step,
): Promise<{ changes: LiveChange[]; refused: LiveRefusal[]; allowed: LiveChange[] } | undefined> {
  const deployed = await readDeployed(ctx);
  if (!deployed) return undefined;
  const changes = liveChanges(deployed, deployedRecord(ctx.plan));
  // a file's owner runs when a DM process on its host runs on a file in that file's directory
  const running = new Set<string>();
  const procs = new Map<string, Promise<{ args: string[] }[]>>();
  for (const c of changes) {
    if (c.kind !== 'file' || running.has(c.owner)) continue;
    if (!procs.has(c.host)) procs.set(c.host, new Remote(ctx, step, c.host).processes());
    const dir = `${path.dirname(c.path)}/`;
    const live = ((await procs.get(c.host)) ?? []).some(
      (x) =>
        x.args.some((a) => DM_PROCESSES.some((t) => a === t || a.endsWith(`/${t}`))) &&
        x.args.some((a) => a.replace(/^[A-Za-z_]+=/, '').startsWith(dir)),
    );
    if (live) running.add(c.owner);
  }
  return { changes, ...judgeLiveChanges(changes, running) };
}
