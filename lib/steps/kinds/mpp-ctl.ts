/**
 * 7.4.3.4: dmmpp.ini written once, converted with `dmctlcvt TYPE=2` into dmmpp.ctl, and that one
 * file copied to every MPP instance (7.4.4.4, 7.4.5.4), so that all hold identical bytes (§6.16).
 */
import { createHash } from 'node:crypto';
import path from 'node:path/posix';
import { shQuote } from '../../ssh';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import { pendingFiles, writeFiles } from './files';
import type { StepOf } from './types';

/** The record of a conversion names the dmmpp.ini it was made from. */
const recordOf = (step: StepOf<'mpp-ctl'>) =>
  `${step.id}@${createHash('sha256')
    .update(step.params.files.map((f) => f.content).join('\n'))
    .digest('hex')
    .slice(0, 16)}`;

type Target = StepOf<'mpp-ctl'>['params']['targets'][number];

/** The targets whose dmmpp.ctl is not the source's; undefined when there is no source yet. */
async function differing(r: Remote, step: StepOf<'mpp-ctl'>): Promise<Target[] | undefined> {
  const src = await r.sha256(step.params.ctlPath);
  if (!src) return undefined;
  const out: Target[] = [];
  for (const t of step.params.targets)
    if ((await new Remote(r.ctx, r.step, t.host).sha256(t.path)) !== src) out.push(t);
  return out;
}

export const mppCtl: StepKindImpl<StepOf<'mpp-ctl'>> = {
  hosts: (step) => step.params.targets.map((t) => t.host),
  timeoutMs: 10 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const r = new Remote(ctx, step);
    if ((await pendingFiles(r, step.params.files)).length || !(await r.hasRecord(recordOf(step))))
      return undefined;
    const diff = await differing(r, step);
    return diff && !diff.length
      ? `dmmpp.ctl identical on ${step.params.targets.length + 1} instances`
      : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const ini = p.files[0]?.path ?? '';
    if ((await pendingFiles(r, p.files)).length || !(await r.hasRecord(recordOf(step)))) {
      await writeFiles(r, p.files);
      await r.must(
        `${shQuote(r.bin('dmctlcvt'))} TYPE=2 ${shQuote(`SRC=${ini}`)} ${shQuote(`DEST=${p.ctlPath}`)}`,
        'dmctlcvt TYPE=2 failed',
        `check ${ini}: MPP_SEQ_NO unique, from 0 (7.4.3.4)`,
      );
      await r.writeRecord(recordOf(step));
    }
    for (const t of (await differing(r, step)) ?? []) {
      await new Remote(ctx, step, t.host).must(
        `mkdir -p ${shQuote(path.dirname(t.path))}`,
        `cannot create ${path.dirname(t.path)}`,
        'check the path',
      );
      await ctx.ex.copyFile({ host: step.host, path: p.ctlPath }, { host: t.host, path: t.path });
      ctx.progress(`copied dmmpp.ctl to ${t.host}:${t.path}`);
    }
  },
  async verify(ctx, step) {
    const diff = await differing(new Remote(ctx, step), step);
    if (!diff || diff.length)
      new Remote(ctx, step).fail(
        `dmmpp.ctl differs from ${step.host}:${step.params.ctlPath}`,
        diff?.map((t) => `${t.host}:${t.path}`).join(', ') ?? 'no dmmpp.ctl made',
        'apply again to copy it anew',
      );
  },
};
