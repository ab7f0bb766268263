// npm run bench -- <name>: runs bench/<name>.ts, whose default export is the benchmark;
// npm run bench: every benchmark, one after the other.

import * as path from 'node:path';

const BENCHMARKS: Record<string, () => Promise<{ default: () => Promise<number> }>> = {
  transfer: () => import('./transfer'),
  'step-start': () => import('./step-start'),
  synth: () => import('./synth'),
  deploy: () => import('./deploy'),
};

async function main(): Promise<number> {
  const name = process.argv[2];
  const names = name ? [name] : Object.keys(BENCHMARKS);
  if (names.some((n) => !BENCHMARKS[n])) {
    console.error(
      `usage: npm run bench [-- <${Object.keys(BENCHMARKS).join('|')}>]   (no name: every benchmark)`,
    );
    return 2;
  }
  let worst = 0;
  for (const n of names) {
    const load = BENCHMARKS[n];
    if (!load) continue;
    console.log(`bench ${n} (${path.relative(process.cwd(), path.join(__dirname, `${n}.ts`))})`);
    // one failing benchmark does not stop the others
    const code = await load()
      .then((m) => m.default())
      .catch((e: unknown) => {
        console.error(`bench ${n}: ${e instanceof Error ? e.message : String(e)}`);
        return 1;
      });
    worst = Math.max(worst, code);
  }
  return worst;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
