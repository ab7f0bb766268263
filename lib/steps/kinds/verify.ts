/** The last deploy step: wait (bounded) until the cluster is as the manual pictures it healthy. */
import { checkOnly } from '../context';
import { StepError } from '../error';
import { deployedRecord } from '../../families/data-guard/plan/deployed';
import { writeDeployed } from '../deployed';
import { collectStatus, type ClusterStatus } from '../status';
import type { StepOf } from './types';

export const verify = checkOnly<StepOf<'verify'>>(
  5 * 60_000,
  async (ctx, step) => {
    const deadline = Date.now() + 120_000;
    let last: ClusterStatus | undefined;
    for (;;) {
      last = await collectStatus(ctx, step);
      if (last.healthy) {
        ctx.progress(
          `healthy: ${last.groups.map((g) => `${g.name} ${g.databases.length} databases`).join(', ')}`,
        );
        // what now runs, for the next apply's preflight to hold a changed spec against
        await writeDeployed(ctx, step, deployedRecord(ctx.plan));
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
  (step) => [
    ...step.params.groups.flatMap((g) => g.databases.map((d) => d.host)),
    ...(step.params.monitor ? [step.params.monitor.host] : []),
  ],
);
