/**
 * Semantic comparison of DM ini files, as DM reads them: comments and whitespace aside, keys
 * case-insensitive. Section names of dmarch.ini, dmmal.ini and dmmpp.ini are mere labels (any
 * unique name, §5.2/§5.3), so those files compare as multisets of section bodies.
 */
import { parseIni } from '../../lib/render/ini';

type Entries = [string, string][];

/** Stable sort by key: distinct keys compare unordered, a repeated key (MON_DW_IP) keeps its order. */
const norm = (e: Entries) =>
  [...e].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => `${k}=${v}`);

const LABEL_SECTIONS = /(^|\/)(dmarch|dmmal|dmmpp)\.ini$/;

export function canonicalIni(text: string, file: string): string[] {
  const doc = parseIni(text);
  const out = norm(doc.globals);
  const labels = LABEL_SECTIONS.test(file);
  const sections = doc.sections.map(
    (s) => `[${labels ? '*' : s.name.toUpperCase()}] ${norm(s.entries).join(' ')}`,
  );
  return [...out, ...(labels ? sections.sort() : sections.sort())];
}
