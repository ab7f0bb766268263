/**
 * Writes the golden outputs (test/fixtures/golden/<spec>/{files.json,plan.json,cdk.tf.json}) from
 * the current build: `npm run golden`. Run it only for a change that is meant to change what the
 * project makes, and say in the commit which outputs changed and why.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GOLDEN_DIR, goldenOutputs, goldenSpecs } from './outputs';

rmSync(GOLDEN_DIR, { recursive: true, force: true });
for (const { id, spec } of goldenSpecs()) {
  const dir = path.join(GOLDEN_DIR, id);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(goldenOutputs(spec))) writeFileSync(path.join(dir, name), text);
}
console.log(`golden outputs written to ${GOLDEN_DIR}`);
