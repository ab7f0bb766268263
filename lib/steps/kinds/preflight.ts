/**
 * Chapter 7's introduction: every host runs the same DM tools, OS word size, byte order and time
 * zone, with clocks in step; the ports are free and the paths writable. All findings at once.
 */
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import { checkOnly } from '../context';
import { StepError } from '../error';
import { Remote } from '../remote';
import { assessLive, liveOguidRefusals } from '../deployed';
import { formatChange, formatRefusal, type LiveRefusal } from '../../families/data-guard/plan/deployed';
import type { StepContext } from '../context';
import type { Step } from '../../plan';
import type { StepOf } from './types';
import { dpcRecordRefusals } from './dpc';
import { dmdcrCutShort } from './dsc';

const TOOLS = ['dminit', 'dmserver', 'disql', 'dmrman', 'dmwatcher', 'dmmonitor'];
const MAX_CLOCK_SKEW_S = 5;

interface Facts {
  arch: string;
  endian: string;
  tz: string;
  epoch: number;
  missing: string[];
  listening: Set<number>;
}

async function facts(r: Remote): Promise<Facts> {
  const script = [
    'uname -m',
    // byte order of this host: od prints the 2-byte word of "\001\000" as 1 on little endian
    `printf '\\001\\000' | od -An -tu2 | tr -d ' '`,
    'date +%z',
    'date +%s',
    `for t in ${TOOLS.join(' ')}; do [ -x ${shQuote(path.join(r.dmHome, 'bin'))}/$t ] || echo "missing:$t"; done`,
    // listening TCP ports, from /proc (no ss or netstat needed)
    `cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" { split($2, a, ":"); print "port:" a[2] }'`,
  ].join('\n');
  const out = (
    await r.must(script, 'cannot read the host facts', 'check that the host runs Linux with a POSIX shell')
  ).stdout.split('\n');
  return {
    arch: out[0] ?? '',
    endian: out[1] === '1' ? 'little' : 'big',
    tz: out[2] ?? '',
    epoch: Number(out[3]),
    missing: out.filter((l) => l.startsWith('missing:')).map((l) => l.slice(8)),
    listening: new Set(out.filter((l) => l.startsWith('port:')).map((l) => parseInt(l.slice(5), 16))),
  };
}

/**
 * A spec changed since the last healthy deploy (lib/families/data-guard/plan/deployed.ts): each change the running
 * cluster cannot take is refused here, before any step acts; what it can is said.
 */
async function checkLiveChanges(ctx: StepContext, step: Step): Promise<boolean> {
  const live = await assessLive(ctx, step);
  if (!live) return false;
  refuse(step, live.refused);
  for (const c of live.allowed) ctx.progress(formatChange(c));
  return true;
}

function refuse(step: Step, refused: readonly LiveRefusal[]): void {
  if (refused.length)
    throw new StepError(
      step.host,
      step.id,
      `${refused.length} change${refused.length === 1 ? '' : 's'} to the running cluster refused; nothing was touched`,
      refused.map(formatRefusal).join('\n'),
      'fix each change named, then apply again (`dmdeploy plan <spec> --live` shows them)',
    );
}

/**
 * Without a record (a cluster deployed before records were kept, or records removed), the OGUID
 * the running databases carry still tells a changed spec: asked of every database whose dmserver
 * holds its port. 0 is a database whose mode step has not run yet (7.2.3.6 sets it).
 */
async function checkLiveOguids(ctx: StepContext, step: Step, ours: (host: string, port: number) => boolean) {
  refuse(step, await liveOguidRefusals(ctx, step, ours));
}

export const preflight = checkOnly<StepOf<'preflight'>>(
  5 * 60_000,
  async (ctx, step) => {
    const p = step.params;
    // DMDPC: once registered, a spec of another shape is refused before anything is touched
    const dpcChanged = p.dpc ? await dpcRecordRefusals(ctx, p.dpc) : [];
    if (dpcChanged.length)
      throw new StepError(
        step.host,
        step.id,
        'the spec differs from the DMDPC system registered on the MP; nothing was touched',
        dpcChanged.join('\n'),
        'dmdeploy does not change a deployed DMDPC system yet: put the spec back as registered (the record named), or destroy with purgeData and deploy anew',
      );
    const recorded = await checkLiveChanges(ctx, step);
    const found: string[] = [];
    const byHost = new Map<string, Facts>();
    await Promise.all(
      p.hosts.map(async (h) => {
        try {
          byHost.set(h, await facts(new Remote(ctx, step, h)));
        } catch (e) {
          found.push(`${h}: ${(e as Error).message.split('\n')[0] ?? ''}`);
        }
      }),
    );
    const first = [...byHost.values()][0];
    for (const [h, f] of byHost) {
      if (f.missing.length) found.push(`${h}: ${f.missing.join(', ')} missing in ${ctx.plan.dmHome}/bin`);
      if (first && f.arch !== first.arch)
        found.push(`${h}: ${f.arch}, others ${first.arch} (same OS word size needed)`);
      if (first && f.endian !== first.endian) found.push(`${h}: ${f.endian} endian, others ${first.endian}`);
      if (first && f.tz !== first.tz) found.push(`${h}: time zone ${f.tz}, others ${first.tz}`);
      if (first && Math.abs(f.epoch - first.epoch) > MAX_CLOCK_SKEW_S)
        found.push(`${h}: clock ${f.epoch - first.epoch} s off (keep clocks in step, e.g. with NTP)`);
    }
    // a port in use is ours when the instance's own dmserver or dmwatcher holds it (a re-run):
    // a process running on a file in the instance's CONFIG_PATH (given as a path or as key=path);
    // the process list is read once per host
    const procsOf = new Map<string, Promise<{ args: string[] }[]>>();
    const held = new Set<string>();
    for (const port of p.ports) {
      const f = byHost.get(port.host);
      if (!f?.listening.has(port.port)) continue;
      if (!procsOf.has(port.host)) procsOf.set(port.host, new Remote(ctx, step, port.host).processes());
      const procs = (await procsOf.get(port.host)) ?? [];
      // dmcss starts a DMDSC node as `dmserver path=<dm.ini> dcr_ini=... mount` (7.5.10): a key= prefix
      const ours = procs.some((x) =>
        x.args.some((a) => a.replace(/^[A-Za-z_]+=/, '').startsWith(`${port.configPath}/`)),
      );
      if (!ours)
        found.push(`${port.host}: port ${port.port} (for ${port.owner}) is in use by another program`);
      else held.add(`${port.host}:${port.port}`);
    }
    if (!recorded) await checkLiveOguids(ctx, step, (h, port) => held.has(`${h}:${port}`));
    for (const x of p.paths) {
      const r = new Remote(ctx, step, x.host);
      const res = await r.exec(
        `d=${shQuote(x.path)}; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; [ -d "$d" ] && [ -w "$d" ]`,
      );
      if (res.exitCode !== 0) found.push(`${x.host}: ${x.path} is not writable`);
    }
    // 7.5.3: an existing DMDSC database, its dmcss and dmasmsvr running on each node's host
    for (const n of p.dsc ?? []) {
      const r = new Remote(ctx, step, n.host);
      for (const f of [n.iniPath, n.dcrIni])
        if (!(await ctx.ex.exists(n.host, f)))
          found.push(
            `${n.host}: ${f} of DMDSC node ${n.instance} is missing (build the DMDSC cluster first, 7.5.3)`,
          );
      // an earlier run's dmdcr step, cut short while it restarted them (an apply that lost its
      // state runs this check again): that step starts them when it runs
      const restart = ctx.plan.steps.find(
        (s): s is StepOf<'dmdcr'> =>
          s.params.kind === 'dmdcr' && s.host === n.host && s.params.dcrIni === n.dcrIni,
      );
      if (restart && (await dmdcrCutShort(new Remote(ctx, restart), restart))) continue;
      for (const tool of ['dmcss', 'dmasmsvr'])
        if (!(await r.pidsOf(tool, n.dcrIni)).length)
          found.push(
            `${n.host}: no ${tool} runs with dcr_ini=${n.dcrIni} for ${n.instance} (start dmcss, then dmasmsvr, 7.5.3)`,
          );
    }
    if (found.length)
      throw new StepError(
        step.host,
        step.id,
        `${found.length} host checks failed`,
        found.join('; '),
        'fix each host named, then apply again',
      );
  },
  (step) => step.params.hosts,
);
