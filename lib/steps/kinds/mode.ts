/** 7.2.3.6-7.2.3.7 (7.2.4.6-7.2.4.7): OGUID and PRIMARY/STANDBY mode, inside ALTER_MODE_STATUS 1/0. */
import { setOguidAndMode } from '../../dm';
import type { StepKindImpl } from '../context';
import { Remote } from '../remote';
import type { StepOf } from './types';

export const mode: StepKindImpl<StepOf<'mode'>> = {
  timeoutMs: 5 * 60_000,
  mutates: true,
  async probe(ctx, step) {
    const i = await new Remote(ctx, step).instance(step.params.port);
    return i && i.oguid === step.params.oguid && i.mode === step.params.mode
      ? `OGUID ${i.oguid}, ${i.mode} (${i.status})`
      : undefined;
  },
  async act(ctx, step) {
    const r = new Remote(ctx, step);
    const p = step.params;
    const res = await r.disql(p.port, setOguidAndMode(p.oguid, p.mode));
    if (res.exitCode !== 0)
      r.fail(
        `setting OGUID ${p.oguid} and ${p.mode} mode on ${p.instance} failed`,
        `${res.stdout}\n${res.stderr}`
          .trim()
          .split('\n')
          .filter((l) => /\[-\d+\]/.test(l))
          .join(' | ') || res.stderr.trim(),
        'the instance must be in MOUNT with no active watcher (7.2.3.6); check V$INSTANCE and apply again',
      );
  },
  async verify(ctx, step) {
    if (!(await this.probe(ctx, step)))
      new Remote(ctx, step).fail(
        `V$INSTANCE does not show OGUID ${step.params.oguid} and ${step.params.mode}`,
        '',
        'check the instance with disql',
      );
  },
};
