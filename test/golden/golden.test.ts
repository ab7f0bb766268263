/**
 * Issue 13, part 1: restructuring the cluster families must not change what the project makes.
 * For every example and every end-to-end topology, the rendered files, the plan manifest and the
 * synthesized cdk.tf.json are held byte for byte to the golden copies taken before the move
 * (test/fixtures/golden, written by `npm run golden`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DIR, goldenOutputs, goldenSpecs } from './outputs';

/** The first line where two texts differ, for a readable failure. */
function firstDifference(want: string, got: string): string {
  const a = want.split('\n');
  const b = got.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) return `line ${i + 1}:\n  golden: ${a[i] ?? '(end)'}\n  now:    ${b[i] ?? '(end)'}`;
  return 'identical';
}

describe('the outputs are byte-identical to the golden copies', () => {
  const specs = goldenSpecs();
  it('has a golden copy for every example and e2e topology, and no other', () => {
    expect(specs.length).toBeGreaterThanOrEqual(17);
    for (const { id } of specs) expect(existsSync(path.join(GOLDEN_DIR, id, 'plan.json')), id).toBe(true);
    expect(readdirSync(GOLDEN_DIR).sort()).toEqual(specs.map((s) => s.id).sort());
  });
  // a bound, not a speed claim: a synth takes seconds, many more beside the lab's end-to-end files
  for (const { id, spec } of specs)
    it(
      id,
      () => {
        const now = goldenOutputs(spec);
        for (const [name, text] of Object.entries(now)) {
          const want = readFileSync(path.join(GOLDEN_DIR, id, name), 'utf8');
          expect(text === want, `${id}/${name} differs at ${firstDifference(want, text)}`).toBe(true);
        }
      },
      180_000,
    );
});
