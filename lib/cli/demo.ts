/**
 * npm run demo: the main job on the built-in example, as far as the project goes today:
 * validate the manual's 7.2 realtime pair, render every file each host receives, and show them.
 * Deploying to lab hosts joins this demo with the step engine.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './main';

const example = path.join(__dirname, '../../examples/7.2-realtime-pair.yaml');
const out = mkdtempSync(path.join(tmpdir(), 'dm-cdktf-demo-'));
const started = process.hrtime.bigint();
process.stdout.write(`$ dmdeploy validate ${path.relative(process.cwd(), example)}\n`);
let code = run(['validate', example]) as number;
if (code === 0) {
  process.stdout.write(`\n$ dmdeploy render ${path.relative(process.cwd(), example)} --out ${out}\n`);
  code = run(['render', example, '--out', out]) as number;
  const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
  for (const f of files.map((d) => path.relative(out, path.join(d.parentPath, d.name))).sort())
    process.stdout.write(`  ${f}\n`);
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(
  `\nvalidate + render took ${ms.toFixed(0)} ms. Files are under ${out}.\n` +
    'Not yet in the demo: bringing up lab hosts and deploying through the synthesized Terraform stack (the step engine is the next piece of work).\n',
);
process.exitCode = code;
