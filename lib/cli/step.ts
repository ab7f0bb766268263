/**
 * `dmdeploy step`, and only that: what each Terraform resource's local-exec runs, once per step
 * (1,700 times for a 64-group MPP apply), so it imports only what a step needs: the manifest
 * reader, the secrets, the step runner, the SSH executor and the DM helpers; not the spec schema
 * (zod), the YAML parser, the validator, the renderers, the planner or cdktf. main.ts's `step` is
 * stepMain; step-main.ts runs stepEntry as the step bundle (constructs/step-bundle.ts).
 */
import { readFileSync } from 'node:fs';
import { readSecrets } from '../steps/secrets';
import { readBuildInfo } from './build-info';
import { brokerMain } from './step-broker';
import { BROKER_COMMAND } from './step-client';
import { loadManifest, stepCommand, stepDryRun } from './remote';
import { flagValue, HELP, positionals, stdio, usage, type Io } from './usage';

/** The flags of `step` that take no value. */
const STEP_BOOLEANS = ['--dry-run'];

/** `dmdeploy step <id> --manifest <plan.json> [--dry-run]`, given the arguments after `step`. */
export function stepMain(rest: readonly string[], io: Io = stdio): number | Promise<number> {
  const id = positionals(rest, STEP_BOOLEANS)[0];
  const manifest = flagValue(rest, '--manifest');
  if (!id || !manifest) return usage(io, 'step needs a step id and --manifest <plan.json>');
  return (async () => {
    const plan = loadManifest(manifest);
    const secrets = await readSecrets(plan.secrets);
    return rest.includes('--dry-run')
      ? stepDryRun(plan, id, secrets, io.out)
      : stepCommand(plan, id, secrets, io.out, io.err);
  })();
}

/** The commands of the full command line, which the step-only one does not carry. */
const ELSEWHERE = ['validate', 'render', 'plan', 'status'];

/**
 * The step-only command line: `step`, `--help`, and `--build-info` (what the bundle `self` was
 * built from). Anything else is a usage error, as in the full command line.
 */
export function stepEntry(argv: readonly string[], self: string, io: Io = stdio): number | Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--build-info') {
    const info = readBuildInfo(readFileSync(self, 'utf8'));
    if (!info) {
      io.err(`dmdeploy: ${self} is not a step bundle (constructs/step-bundle.ts builds one)\n`);
      return 1;
    }
    io.out(`${JSON.stringify(info, null, 1)}\n`);
    return 0;
  }
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === 'step') return stepMain(rest, io);
  // started by a step process (step-client.ts), never by hand: not in --help
  if (cmd === BROKER_COMMAND && rest[0]) return brokerMain(rest[0]);
  if (ELSEWHERE.includes(cmd))
    return usage(io, `${cmd} is not in the step-only command line; run bin/dmdeploy ${cmd}`);
  return usage(io, `unknown command "${cmd}"`);
}
