/**
 * Shape check of a spec object (from YAML or construct props) with the schema. Every zod
 * issue becomes a coded finding with the field path, so shape errors read like rule errors.
 */
import type { z } from 'zod';
import { ClusterSpecSchema, type ClusterSpec } from './schema';
import type { Finding } from '../validate/finding';

export type ParseResult = { ok: true; spec: ClusterSpec } | { ok: false; findings: Finding[] };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

type Issue = z.core.$ZodIssue;

/** For a union (single node | DMDSC), report the branch that came closest, not both. */
function flatten(issue: Issue, base: readonly PropertyKey[]): { issue: Issue; path: PropertyKey[] }[] {
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
    return best.flatMap((i) => flatten(i, path));
  }
  return [{ issue, path }];
}

function toFinding(issue: Issue, path: PropertyKey[]): Finding[] {
  const at = formatPath(path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({
        code: 'SPEC_UNKNOWN_FIELD',
        severity: 'error' as const,
        path: at ? `${at}.${k}` : k,
        message: `unknown field "${k}"`,
        fix: 'remove it or correct its spelling (field names are case-sensitive)',
        manual: 'README.md "Writing a spec"',
      }));
    case 'invalid_type':
      if (issue.input === undefined) {
        return [
          {
            code: 'SPEC_REQUIRED',
            severity: 'error',
            path: at,
            message: `required field is missing (expected ${issue.expected})`,
            fix: `add ${at || 'the field'}`,
            manual: 'README.md "Writing a spec"',
          },
        ];
      }
      return [
        {
          code: 'SPEC_TYPE',
          severity: 'error',
          path: at,
          message: `expected ${issue.expected}, got ${JSON.stringify(issue.input)}`,
          fix: `write ${at} as ${issue.expected === 'int' ? 'a whole number' : `a ${issue.expected}`}`,
          manual: 'README.md "Writing a spec"',
        },
      ];
    case 'invalid_value':
      return [
        {
          code: 'SPEC_VALUE',
          severity: 'error',
          path: at,
          message: `value ${JSON.stringify(issue.input)} is not one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
          fix: `use one of ${issue.values.map(String).join(', ')}`,
          manual: 'README.md "Writing a spec"',
        },
      ];
    case 'invalid_union':
      // discriminated union on `kind`
      return [
        {
          code: path.length === 0 || at === 'kind' ? 'SPEC_KIND' : 'SPEC_VALUE',
          severity: 'error',
          path: at || 'kind',
          message: issue.message,
          fix: 'set kind to one of RealtimePair, ReadWriteCluster, MppGroup, DscPrimary, DpcCluster',
          manual: 'README.md "Writing a spec"',
        },
      ];
    default:
      return [
        {
          code: 'SPEC_VALUE',
          severity: 'error',
          path: at,
          message: issue.message,
          fix: `correct ${at}`,
          manual: 'README.md "Writing a spec"',
        },
      ];
  }
}

export function parseSpec(input: unknown): ParseResult {
  const r = ClusterSpecSchema.safeParse(input, { reportInput: true });
  if (r.success) return { ok: true, spec: r.data };
  const findings = r.error.issues
    .flatMap((i) => flatten(i, []))
    .flatMap(({ issue, path }) => toFinding(issue, path));
  return { ok: false, findings };
}
