/**
 * Bad input gets findings, never a crash: random values dropped into random places of valid
 * specs must come back as findings (or as a valid spec that then renders).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasErrors, validateSpec } from '../../lib/validate';
import { renderCluster } from '../../lib/render';
import { anySpec } from '../support/arbitrary';

type Json = unknown;

/** Every path to a value inside a JSON-like object. */
function paths(x: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(x)) return [prefix, ...x.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (x && typeof x === 'object')
    return [prefix, ...Object.entries(x).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

function replaceAt(x: Json, path: (string | number)[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy = (Array.isArray(x) ? [...x] : { ...(x as object) }) as Record<string | number, Json>;
  copy[head!] = replaceAt(copy[head!], rest, value);
  return copy;
}

const junk = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.integer(),
  fc.constantFrom('', ' ', 'GRP1', '+DMDATA/x', '/dm/data', -1, 0, 65535, 70000, null, [], {}),
);

describe('robustness', () => {
  it('any value anywhere in a valid spec yields findings or a renderable model, never an exception', () => {
    fc.assert(
      fc.property(anySpec, fc.nat(), junk, (spec, pick, value) => {
        const all = paths(spec);
        const broken = replaceAt(spec, all[pick % all.length]!, value);
        const v = validateSpec(broken);
        for (const f of v.findings) {
          expect(f.code).toMatch(/^[A-Z_]+$/);
          expect(typeof f.path).toBe('string');
        }
        if (v.model && !hasErrors(v.findings)) expect(renderCluster(v.model).length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('arbitrary JSON is refused with findings', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const v = validateSpec(x);
        expect(hasErrors(v.findings)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
