// Used by lab.test.ts to simulate a crashed test run: brings a lab up, reports, then waits to be
// SIGKILLed (so no afterAll ever runs). Bounded: exits by itself after 60 s.

import { Lab } from './lab';

const name = process.argv[2] ?? 'tcrash';
Lab.up({ name, hosts: ['a'] }).then(
  () => {
    process.stdout.write('up\n');
    setTimeout(() => process.exit(0), 60_000);
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
