/**
 * The help text and usage errors of dmdeploy, shared by the whole command line (main.ts) and
 * the step-only entry point (step-main.ts), so a bad call gets the same answer from both.
 */

export const HELP = `dmdeploy - infrastructure as code for DM8 clusters (data guard and DMDPC)

Usage:
  dmdeploy validate <spec.yaml>             check a spec against the manual's rules
  dmdeploy render <spec.yaml> --out <dir>   write every file each host receives, as <dir>/<host>/<absolute path>,
                                            and the plan manifest as <dir>/plan.json
  dmdeploy plan <spec.yaml> [--json]        print the ordered steps by phase and host, and the teardown order
                [--live]                    with --live: hold the spec against the running cluster (the hosts'
                                            record of the last healthy deploy): what an apply would change,
                                            and what it would refuse before touching any host (exit 1)
  dmdeploy step <id> --manifest <plan.json> run one step: probe the hosts, act only if needed, verify
                                            (what each Terraform resource runs; see constructs/README.md)
                [--dry-run]                 with --dry-run: read the manifest, the step and the secrets, print
                                            the hosts it would connect to (ssh user@address:port), exit 0
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

export const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** A bad call: why, then the help text, on stderr; exit status 2. */
export function usage(io: Io, why: string): number {
  io.err(`dmdeploy: ${why}\n\n${HELP}`);
  return 2;
}

/**
 * The positional arguments of a command: those that are not a flag, nor the value of the flag
 * before them. `booleans` take no value.
 */
export function positionals(rest: readonly string[], booleans: readonly string[] = []): string[] {
  return rest.filter((a, i) => {
    if (a.startsWith('--')) return false;
    const before = rest[i - 1] ?? '';
    return !before.startsWith('--') || booleans.includes(before);
  });
}

/** The value after `--name`, if any. */
export function flagValue(rest: readonly string[], name: string): string | undefined {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
}

/** The top level of a command line: exit with the status, or print an error as `dmdeploy: <message>` and exit 1. */
export function exitWith(result: number | Promise<number>): void {
  Promise.resolve(result).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`dmdeploy: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
