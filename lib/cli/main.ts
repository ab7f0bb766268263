/** dmdeploy: validate, render, plan, run the steps of and check DM8 clusters (data guard and DMDPC) from a spec. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatFinding, hasErrors, type Finding } from '../validate';
import { renderedPath } from '../render';
import { formatPlan, planManifest } from '../plan';
import { familyOf } from '../families';
import { validateSpecFile } from './spec-file';
import { formatStatus, liveReport, statusOf } from './remote';
import { readSecrets } from '../steps';
import { stepMain } from './step';
import { exitWith, flagValue, HELP, positionals, stdio, usage, type Io } from './usage';

export type { Io };

function printFindings(io: Io, findings: readonly Finding[]) {
  for (const f of findings) (f.severity === 'error' ? io.err : io.out)(formatFinding(f) + '\n');
}

function writeAtomically(file: string, content: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

export function run(argv: readonly string[], io: Io = stdio): number | Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(HELP);
    return cmd ? 0 : 2;
  }
  const specFile = positionals(rest, ['--json', '--live'])[0];
  const flag = (name: string) => flagValue(rest, name);
  switch (cmd) {
    case 'validate': {
      if (!specFile) return usage(io, 'validate needs a spec file');
      const v = validateSpecFile(specFile);
      printFindings(io, v.findings);
      if (hasErrors(v.findings)) return 1;
      io.out(`${specFile}: valid (${v.findings.length} warning${v.findings.length === 1 ? '' : 's'})\n`);
      return 0;
    }
    case 'render': {
      const out = flag('--out');
      if (!specFile || !out) return usage(io, 'render needs a spec file and --out <dir>');
      const v = validateSpecFile(specFile);
      printFindings(io, v.findings);
      if (!v.model || hasErrors(v.findings)) return 1;
      const family = familyOf(v.model.kind);
      const files = family.render(v.model);
      for (const f of files) writeAtomically(path.join(out, renderedPath(f)), f.content);
      writeAtomically(path.join(out, 'plan.json'), planManifest(family.plan(v.model)));
      io.out(`wrote ${files.length} files and plan.json under ${out}\n`);
      return 0;
    }
    case 'plan': {
      if (!specFile) return usage(io, 'plan needs a spec file');
      const v = validateSpecFile(specFile);
      printFindings(io, v.findings);
      if (!v.model || hasErrors(v.findings)) return 1;
      const plan = familyOf(v.model.kind).plan(v.model);
      if (rest.includes('--live'))
        return readSecrets(plan.secrets)
          .then((secrets) => liveReport(plan, secrets))
          .then((r) => (io.out(r.text), r.code));
      io.out(rest.includes('--json') ? planManifest(plan) : formatPlan(plan));
      return 0;
    }
    case 'step':
      // the same code as the step-only entry point (and its bundle) runs
      return stepMain(rest, io);
    case 'status': {
      if (!specFile) return usage(io, 'status needs a spec file');
      const v = validateSpecFile(specFile);
      // with --json, stdout carries the JSON alone
      printFindings(rest.includes('--json') ? { out: io.err, err: io.err } : io, v.findings);
      if (!v.model || hasErrors(v.findings)) return 1;
      const plan = familyOf(v.model.kind).plan(v.model);
      return readSecrets(plan.secrets)
        .then((secrets) => statusOf(plan, secrets))
        .then((st) => {
          io.out(rest.includes('--json') ? `${JSON.stringify(st, null, 1)}\n` : formatStatus(st));
          return st.healthy ? 0 : 1;
        });
    }
    default:
      return usage(io, `unknown command "${cmd}"`);
  }
}

if (require.main === module) exitWith(run(process.argv.slice(2)));
