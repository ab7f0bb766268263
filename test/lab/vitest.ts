// Helpers for test files that need lab hosts.
//
//   const avail = labAvailabilityForTests();          // warns once with the reason when labs cannot run
//   describe.skipIf(!avail.ok)('my lab test', () => {
//     const lab = useLab({ name: 'mytest', hosts: ['a', 'b'] });   // own lab (named mytest<runId>), up in beforeAll, down in afterAll
//     it('...', async () => { const lab = sharedLab(); ... });      // or the run's shared lab (h1, h2, h3)
//   });

import { afterAll, beforeAll, inject } from 'vitest';
import { labAvailability, type Availability } from './availability';
import { Lab, type LabOptions } from './lab';
import { runScopedName } from './provision';

let warned = false;

/** Whether lab tests can run here; prints the reason (once per file) when they cannot. */
export function labAvailabilityForTests(): Availability {
  const avail = labAvailability();
  if (!avail.ok && !warned) {
    warned = true;
    console.warn(`SKIPPING lab tests: ${avail.reason}`);
  }
  return avail;
}

/**
 * The name for a lab of this test run: `base` plus the run id, so concurrent runs on one machine
 * cannot collide (Lab.up removes a lab of the same name first). A crashed run's labs are swept by
 * the next run's global setup, since their owner process is gone.
 */
export function labName(base: string): string {
  return runScopedName(base, inject('dmlab')?.runId ?? String(process.pid));
}

/** A lab of this test file's own (named labName(opts.name)): up before its tests, down after them. */
export function useLab(opts: LabOptions, timeoutMs = 60_000): () => Lab {
  let lab: Lab | undefined;
  const name = labName(opts.name);
  beforeAll(async () => {
    lab = await Lab.up({ ...opts, name });
  }, timeoutMs);
  afterAll(async () => {
    await lab?.down();
  }, timeoutMs);
  return () => {
    if (!lab) throw new Error(`lab ${name} is not up (did its beforeAll fail?)`);
    return lab;
  };
}

/** The shared lab of this run (hosts h1, h2, h3), brought up by test/lab/global-setup.ts. */
export function sharedLab(): Lab {
  const p = inject('dmlab');
  if (!p) throw new Error('no shared lab: add test/lab/global-setup.ts to globalSetup in vitest.config.ts');
  if (!p.available) throw new Error(`no shared lab: ${p.reason}`);
  return Lab.attach(p.shared);
}
