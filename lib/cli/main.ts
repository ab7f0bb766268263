/** dmdeploy: validate, render, plan, run the steps of and check DM8 data-guard clusters from a spec. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatFinding, hasErrors, type Finding } from '../validate';
import { renderCluster, renderedPath } from '../render';
import { formatPlan, planCluster, planManifest } from '../plan';
import { validateSpecFile } from './spec-file';
import { formatStatus, loadManifest, statusOf, stepCommand } from './remote';
import { readSecrets } from '../steps';

const HELP = `dmdeploy - infrastructure as code for DM8 data-guard clusters

Usage:
  dmdeploy validate <spec.yaml>             check a spec against the manual's rules
  dmdeploy render <spec.yaml> --out <dir>   write every file each host receives, as <dir>/<host>/<absolute path>,
                                            and the plan manifest as <dir>/plan.json
  dmdeploy plan <spec.yaml> [--json]        print the ordered steps by phase and host, and the teardown order
  dmdeploy step <id> --manifest <plan.json> run one step: probe the hosts, act only if needed, verify
                                            (what each Terraform resource runs; see constructs/README.md)
  dmdeploy status <spec.yaml> [--json]      live roles, states, archives, watchers and the monitor's view
  dmdeploy --help                           this text

validate exits 0 when the spec has no errors (warnings are printed), 1 otherwise; each finding is
  CODE path: message; fix: ... (manual §x) [file:line]
render writes whole files at their path and the keys merged into files DM tools own
(dm.ini, dmdcr.ini, the client's dm_svc.conf) as <path>.patch. It refuses an invalid spec.
step and status read SYSDBA's password and the SSH key passphrase where the spec's secrets block says:
by default the environment variables DM_SYSDBA_PASSWORD and DM_SSH_PASSPHRASE; or a file (mode 0600)
or a command (e.g. a vault CLI). Never pass secrets as arguments or Terraform variables. status exits 0 when the
cluster is healthy, 1 otherwise.
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

export function run(argv: readonly string[], io: Io = stdio): number | Promise<number> {
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
      writeAtomically(path.join(out, 'plan.json'), planManifest(planCluster(v.model)));
      io.out(`wrote ${files.length} files and plan.json under ${out}\n`);
      return 0;
    }
    case 'plan': {
      if (!specFile) return usage(io, 'plan needs a spec file');
      const v = validateSpecFile(specFile);
      printFindings(io, v.findings);
      if (!v.model || hasErrors(v.findings)) return 1;
      const plan = planCluster(v.model);
      io.out(rest.includes('--json') ? planManifest(plan) : formatPlan(plan));
      return 0;
    }
    case 'step': {
      const manifest = flag('--manifest');
      if (!specFile || !manifest) return usage(io, 'step needs a step id and --manifest <plan.json>');
      const plan = loadManifest(manifest);
      return readSecrets(plan.secrets).then((secrets) =>
        stepCommand(plan, specFile, secrets, io.out, io.err),
      );
    }
    case 'status': {
      if (!specFile) return usage(io, 'status needs a spec file');
      const v = validateSpecFile(specFile);
      // with --json, stdout carries the JSON alone
      printFindings(rest.includes('--json') ? { out: io.err, err: io.err } : io, v.findings);
      if (!v.model || hasErrors(v.findings)) return 1;
      const plan = planCluster(v.model);
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

function usage(io: Io, why: string): number {
  io.err(`dmdeploy: ${why}\n\n${HELP}`);
  return 2;
}

if (require.main === module)
  Promise.resolve(run(process.argv.slice(2))).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`dmdeploy: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
