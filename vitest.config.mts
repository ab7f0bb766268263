import { defineConfig } from 'vitest/config';

// The end-to-end files each bring up their own lab and spend much of their time waiting on the
// simulated servers, so more files run at once than there are cores (DM_TEST_WORKERS overrides).
const workers = Number(process.env.DM_TEST_WORKERS) || 3;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    globalSetup: ['test/lab/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    maxWorkers: workers,
  },
});
