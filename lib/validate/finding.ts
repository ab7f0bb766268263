/** A validation finding: what is wrong, where, why (the manual's section) and how to fix it. */
export type Severity = 'error' | 'warning';

export interface Finding {
  /** Stable code, e.g. PORT_REUSED_ON_HOST. Listed in docs/validation.md. */
  code: string;
  severity: Severity;
  /** Field path in the spec, e.g. standbys[0].malPort. */
  path: string;
  message: string;
  /** What to change. */
  fix: string;
  /** Manual section the rule comes from, e.g. "§5.7" or "7.2.1". */
  manual: string;
  /** file:line when the spec came from a file. */
  location?: string;
}

export function formatFinding(f: Finding): string {
  const where = f.location ? ` [${f.location}]` : '';
  const level = f.severity === 'warning' ? 'warning ' : '';
  const source = /^[§\d]/.test(f.manual) ? `manual ${f.manual}` : `see ${f.manual}`;
  return `${level}${f.code} ${f.path || '(spec)'}: ${f.message}; fix: ${f.fix} (${source})${where}`;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** Thrown by APIs that refuse an invalid spec; carries every finding, not just the first. */
export class SpecError extends Error {
  constructor(readonly findings: readonly Finding[]) {
    super(
      `the cluster spec is invalid:\n` +
        findings
          .filter((f) => f.severity === 'error')
          .map((f) => '  ' + formatFinding(f))
          .join('\n'),
    );
    this.name = 'SpecError';
  }
}
