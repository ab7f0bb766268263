/**
 * The family registry: every spec kind is built by exactly one family, and every example's plan
 * ends with the verify step its family names, for which `status` has a reader.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FAMILIES, familyOf } from '../../lib/families';
import { ClusterSpecSchema } from '../../lib/spec/schema';
import { validateSpec } from '../../lib/validate';
import { planCluster } from '../../lib/plan';
import { STATUS_READERS } from '../../lib/steps/cluster-status';

const EXAMPLES = path.join(__dirname, '../../examples');

describe('the cluster families', () => {
  it('each spec kind belongs to exactly one family', () => {
    const kinds = ClusterSpecSchema.options.map((o) => o.shape.kind.value);
    for (const k of kinds)
      expect(
        FAMILIES.filter((f) => (f.kinds as readonly string[]).includes(k)),
        k,
      ).toHaveLength(1);
    expect(FAMILIES.flatMap((f) => f.kinds).sort()).toEqual([...kinds].sort());
  });

  it("status has a reader for every family's verify step", () => {
    for (const f of FAMILIES) expect(Object.keys(STATUS_READERS)).toContain(f.verifyKind);
  });

  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
  it.each(examples)(
    "%s: its plan verifies with its family's verify step, after everything but DCP proxies",
    (file) => {
      const spec = parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as {
        kind: Parameters<typeof familyOf>[0];
      };
      const v = validateSpec(spec);
      if (!v.model) throw new Error(JSON.stringify(v.findings));
      const plan = planCluster(v.model);
      const kinds = plan.steps.map((s) => s.params.kind);
      expect(kinds.filter((k) => k in STATUS_READERS)).toEqual([familyOf(spec.kind).verifyKind]);
      const rest = plan.steps.slice(kinds.indexOf(familyOf(spec.kind).verifyKind) + 1);
      expect(rest.filter((x) => !x.phase.startsWith('proxy-')).map((x) => x.id)).toEqual([]);
    },
  );
});
