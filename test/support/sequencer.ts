/**
 * The order test files start in: longest first, so that the lab's end-to-end files, which run for
 * minutes each, spread over the workers from the start instead of queueing behind the unit files
 * at the end. The lengths are those of a recorded run (durations.json, `npm run test:durations`
 * rewrites it from a run's output); a file not in it counts as long when it is an end-to-end one.
 * Only the order changes: every file still runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const DURATIONS = path.join(__dirname, 'durations.json');

function recorded(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(DURATIONS, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const ms = recorded();
    const root = process.cwd();
    const cost = (f: TestSpecification) => {
      const rel = path.relative(root, f.moduleId).split(path.sep).join('/');
      return ms[rel] ?? (rel.startsWith('test/e2e/') ? Number.MAX_SAFE_INTEGER : 0);
    };
    // a stable sort: equal costs keep the base order
    return base
      .map((f, i) => ({ f, i, c: cost(f) }))
      .sort((a, b) => b.c - a.c || a.i - b.i)
      .map((x) => x.f);
  }
}
