/**
 * Terraform string templates, as far as the test executor models them: literal text, `$${` and
 * `%%{` escapes, and `${...}` interpolations whose expression is one of a handful of references
 * (`var.<name>`, `self.id`, `self.triggers.<key>`, `null_resource.<name>.id`,
 * `null_resource.<name>.triggers.<key>`). Template directives (`%{...}`) and every other
 * expression are refused by name, so a stack never silently means something else here than it
 * would in Terraform.
 */

export type Ref =
  | { kind: 'var'; name: string }
  | { kind: 'self'; attr: 'id' }
  | { kind: 'self'; attr: 'triggers'; key: string }
  | { kind: 'resource'; name: string; attr: 'id' }
  | { kind: 'resource'; name: string; attr: 'triggers'; key: string };

export type Part = { text: string } | { expr: string; ref: Ref | undefined };

const IDENT = '[A-Za-z_][A-Za-z0-9_-]*';
const REFS: [RegExp, (m: RegExpMatchArray) => Ref][] = [
  [new RegExp(`^var\\.(${IDENT})$`), (m) => ({ kind: 'var', name: m[1]! })],
  [/^self\.id$/, () => ({ kind: 'self', attr: 'id' })],
  [new RegExp(`^self\\.triggers\\.(${IDENT})$`), (m) => ({ kind: 'self', attr: 'triggers', key: m[1]! })],
  [new RegExp(`^null_resource\\.(${IDENT})\\.id$`), (m) => ({ kind: 'resource', name: m[1]!, attr: 'id' })],
  [
    new RegExp(`^null_resource\\.(${IDENT})\\.triggers\\.(${IDENT})$`),
    (m) => ({ kind: 'resource', name: m[1]!, attr: 'triggers', key: m[2]! }),
  ],
];

export const SUPPORTED_REFS =
  'var.<name>, self.id, self.triggers.<key>, null_resource.<name>.id and null_resource.<name>.triggers.<key>';

function classify(expr: string): Ref | undefined {
  for (const [re, make] of REFS) {
    const m = expr.match(re);
    if (m) return make(m);
  }
  return undefined;
}

/** Index of the `}` closing an interpolation whose body starts at `from`, skipping nested braces and strings. */
function closingBrace(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Split a template into literal text and interpolations; throws on directives and unterminated `${`. */
export function parseTemplate(s: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('$${', i) || s.startsWith('%%{', i)) {
      text += s.slice(i + 1, i + 3);
      i += 3;
    } else if (s.startsWith('%{', i)) {
      throw new Error(`template directive "${s.slice(i, i + 20)}..." is not modelled`);
    } else if (s.startsWith('${', i)) {
      const end = closingBrace(s, i + 2);
      if (end < 0) throw new Error(`unterminated interpolation in "${s}"`);
      if (text) parts.push({ text });
      text = '';
      const expr = s.slice(i + 2, end).trim();
      parts.push({ expr, ref: classify(expr) });
      i = end + 1;
    } else {
      text += s[i];
      i++;
    }
  }
  if (text) parts.push({ text });
  return parts;
}

/** A value during evaluation: `undefined` is "known after apply"; `sensitive` taints anything built from it. */
export interface Value {
  value: string | undefined;
  sensitive: boolean;
}

/** Evaluate parsed parts; `lookup` resolves each reference (the caller has already checked they are allowed). */
export function evaluate(parts: Part[], lookup: (ref: Ref) => Value): Value {
  let out = '';
  let known = true;
  let sensitive = false;
  for (const p of parts) {
    if ('text' in p) {
      out += p.text;
      continue;
    }
    const v = lookup(p.ref!);
    sensitive ||= v.sensitive;
    if (v.value === undefined) known = false;
    else out += v.value;
  }
  return { value: known ? out : undefined, sensitive };
}
