import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Two files at once, each end-to-end file in a lab of its own. The suite is bound by CPU on a
// two-core machine: a third worker made the run longer, not shorter, as every simulator's and
// step's polling ran later. DM_TEST_WORKERS overrides.
const workers = Number(process.env.DM_TEST_WORKERS) || 2;

/**
 * Longest first, so that the lab's end-to-end files, minutes each, spread over the workers from
 * the start instead of queueing behind the unit files. The lengths are a recorded run's
 * (test/support/durations.json, rewritten by `npm run test:durations`); a file not in it counts
 * as long when it is an end-to-end one. Only the order changes: every file still runs.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = process.cwd();
    let ms: Record<string, number> = {};
    try {
      ms = JSON.parse(readFileSync(path.join(root, 'test/support/durations.json'), 'utf8')) as Record<
        string,
        number
      >;
    } catch {
      // no record: the base order
    }
    const cost = (f: TestSpecification) => {
      const rel = path.relative(root, f.moduleId).split(path.sep).join('/');
      return ms[rel] ?? (rel.startsWith('test/e2e/') ? Number.MAX_SAFE_INTEGER : 0);
    };
    return base
      .map((f, i) => ({ f, i, c: cost(f) }))
      .sort((a, b) => b.c - a.c || a.i - b.i)
      .map((x) => x.f);
  }
}

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
