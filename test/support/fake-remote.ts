/** A Remote on one fake host 'H' (dmHome /dm), for unit tests of what steps send to a host. */
import type { Plan, Step } from '../../lib/plan';
import type { StepContext } from '../../lib/steps/context';
import { Remote } from '../../lib/steps/remote';

export function fakeRemote(
  ex: object,
  step: { id: string; kind: string },
  progress: (line: string) => void = () => undefined,
): Remote {
  const ctx = {
    plan: { dmHome: '/dm', hosts: { H: { address: 'h' } } } as unknown as Plan,
    ex,
    secrets: {},
    progress,
  } as unknown as StepContext;
  return new Remote(ctx, { id: step.id, host: 'H', params: { kind: step.kind } } as unknown as Step);
}
