// What the vitest global setup hands to test workers about labs (plain JSON).

import type { LabDescriptor } from './state';

interface RunInfo {
  /**
   * Identifies this test run (the vitest main process id). Lab names end with it, so two runs on
   * one machine (several people, or CI jobs, running `npm test`) never take each other's labs down.
   */
  runId: string;
}

export type LabProvision =
  | (RunInfo & { available: true; shared: LabDescriptor })
  | (RunInfo & { available: false; reason: string });

declare module 'vitest' {
  export interface ProvidedContext {
    dmlab: LabProvision;
  }
}

/** The shared lab the global setup brings up for every test file (named shared<runId>). */
export const SHARED_LAB = { name: 'shared', hosts: ['h1', 'h2', 'h3'] } as const;

/** A lab name scoped to a test run: <base><runId>, within the 16 characters a lab name may have. */
export function runScopedName(base: string, runId: string): string {
  return `${base.slice(0, 16 - runId.length)}${runId}`;
}
