import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer';

// Two files at once, each end-to-end file in a lab of its own, the longest first
// (test/support/sequencer.ts). The suite is bound by CPU on a two-core machine: a third worker
// made the run longer, not shorter, as every simulator's and step's polling ran later.
// DM_TEST_WORKERS overrides.
const workers = Number(process.env.DM_TEST_WORKERS) || 2;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    globalSetup: ['test/lab/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    maxWorkers: workers,
    sequence: { sequencer: LongestFirst },
  },
});
