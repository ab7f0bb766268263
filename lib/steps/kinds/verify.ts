/** The last deploy step: wait (bounded) until the cluster is as the manual pictures it healthy. */
import type { StepKindImpl } from '../context';
import { StepError } from '../error';
import { collectStatus, type ClusterStatus } from '../status';
import type { StepOf } from './types';

export const verify: StepKindImpl<StepOf<'verify'>> = {
  timeoutMs: 5 * 60_000,
  mutates: false,
  async probe() {
    return undefined;
  },
  async act() {},
  async verify(ctx, step) {
    const deadline = Date.now() + 120_000;
    let last: ClusterStatus | undefined;
    for (;;) {
      last = await collectStatus(ctx, step);
      if (last.healthy) {
        ctx.progress(
          `healthy: ${last.groups.map((g) => `${g.name} ${g.databases.length} databases`).join(', ')}`,
        );
        return;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new StepError(
      step.host,
      step.id,
      'the cluster did not become healthy within 120 s',
      last.problems.join('; '),
      "run `dmdeploy status <spec>`; read the watchers' and instances' logs on the hosts named",
    );
  },
};
