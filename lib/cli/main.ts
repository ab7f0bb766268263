/** dmdeploy: validate, render and (later) deploy DM8 data-guard clusters from a spec. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatFinding, hasErrors, type Finding } from '../validate';
import { renderCluster, renderedPath } from '../render';
import { validateSpecFile } from './spec-file';

const HELP = `dmdeploy - infrastructure as code for DM8 data-guard clusters

Usage:
  dmdeploy validate <spec.yaml>             check a spec against the manual's rules
  dmdeploy render <spec.yaml> --out <dir>   write every file each host receives, as <dir>/<host>/<absolute path>
  dmdeploy --help                           this text

validate exits 0 when the spec has no errors (warnings are printed), 1 otherwise; each finding is
  CODE path: message; fix: ... (manual §x) [file:line]
render writes whole files at their path and the keys merged into files DM tools own
(dm.ini, dmdcr.ini, the client's dm_svc.conf) as <path>.patch. It refuses an invalid spec.
Rules: docs/validation.md. Spec format: README.md.
`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

function printFindings(io: Io, findings: readonly Finding[]) {
  for (const f of findings) (f.severity === 'error' ? io.err : io.out)(formatFinding(f) + '\n');
}

function writeAtomically(file: string, content: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

export function run(argv: readonly string[], io: Io = stdio): number {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.out(HELP);
    return cmd ? 0 : 2;
  }
  const positional = rest.filter((a, i) => !a.startsWith('--') && !(rest[i - 1] ?? '').startsWith('--'));
  const flag = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const specFile = positional[0];
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
      const files = renderCluster(v.model);
      for (const f of files) writeAtomically(path.join(out, renderedPath(f)), f.content);
      io.out(`wrote ${files.length} files under ${out}\n`);
      return 0;
    }
    default:
      return usage(io, `unknown command "${cmd}"`);
  }
}

function usage(io: Io, why: string): number {
  io.err(`dmdeploy: ${why}\n\n${HELP}`);
  return 2;
}

if (require.main === module) process.exitCode = run(process.argv.slice(2));
