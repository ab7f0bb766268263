// npm run bench -- <name>: runs bench/<name>.ts, whose default export is the benchmark.

import * as path from 'node:path';

const BENCHMARKS: Record<string, () => Promise<{ default: () => Promise<number> }>> = {
  transfer: () => import('./transfer'),
};

async function main(): Promise<number> {
  const name = process.argv[2];
  const load = name ? BENCHMARKS[name] : undefined;
  if (!load) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHMARKS).join('|')}>`);
    return 2;
  }
  console.log(`bench ${name} (${path.relative(process.cwd(), __filename)})`);
  return (await load()).default();
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
