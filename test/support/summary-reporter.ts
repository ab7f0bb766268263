/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own
 * summary, so tools that read a run's last line get the counts without parsing vitest's output.
 * With DM_TEST_DURATIONS=1 (`npm run test:durations`) it also records each file's duration in
 * durations.json, the order the sequencer starts files in.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

function recordDurations(modules: readonly TestModule[]): void {
  const root = process.cwd();
  const entries = modules
    .map(
      (m) =>
        [
          path.relative(root, m.moduleId).split(path.sep).join('/'),
          Math.round(m.diagnostic().duration),
        ] as const,
    )
    .sort(([a], [b]) => (a < b ? -1 : 1));
  writeFileSync(
    path.join(__dirname, 'durations.json'),
    `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`,
  );
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules)
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    if (process.env.DM_TEST_DURATIONS === '1') recordDurations(modules);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
