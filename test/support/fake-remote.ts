/** A Remote on one fake host 'H' (dmHome /dm), for unit tests of what steps send to a host. */
import type { Plan, Step } from '../../lib/plan';
import type { StepContext } from '../../lib/steps/context';
import { Remote } from '../../lib/steps/remote';

/** A step context whose hosts are `hosts` (dmHome /dm) and whose executor is `ex`. */
export function fakeContext(
  ex: object,
  progress: (line: string) => void = () => undefined,
  hosts: readonly string[] = ['H'],
): StepContext {
  return {
    plan: {
      dmHome: '/dm',
      hosts: Object.fromEntries(hosts.map((h) => [h, { address: h.toLowerCase() }])),
      steps: [],
    } as unknown as Plan,
    ex,
    secrets: { sysdbaPassword: { ok: true, value: 'not-a-real-password' } },
    progress,
  } as unknown as StepContext;
}

export function fakeRemote(
  ex: object,
  step: { id: string; kind: string },
  progress: (line: string) => void = () => undefined,
): Remote {
  return new Remote(fakeContext(ex, progress), {
    id: step.id,
    host: 'H',
    params: { kind: step.kind },
  } as unknown as Step);
}
