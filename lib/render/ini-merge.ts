/**
 * Merge an ini patch into an ini a DM tool wrote (dminit's dm.ini), key by key, as
 * SP_SET_PARA_VALUE does: a key that exists is replaced in place (its indentation and trailing
 * comment kept), a new one is appended. Keys are matched case-insensitively, as DM reads them.
 * Pure; merging twice gives the same text as merging once.
 */
export function mergeIniPatch(text: string, patch: string): string {
  let lines = text.split('\n');
  for (const pl of patch.split('\n')) {
    const m = /^\s*([A-Za-z_0-9]+)\s*=\s*(.*?)\s*$/.exec(pl);
    if (!m) continue;
    const key = m[1] ?? '';
    const value = m[2] ?? '';
    const re = new RegExp(`^(\\s*)${key}(\\s*=\\s*)([^#]*?)(\\s*(#.*)?)$`, 'i');
    let found = false;
    lines = lines.map((l) => {
      const x = re.exec(l);
      if (!x) return l;
      found = true;
      return `${x[1]}${key}${x[2]}${value}${x[4] ?? ''}`;
    });
    if (!found) {
      if (lines.length && lines[lines.length - 1] === '') lines.pop();
      lines.push(`\t\t${key.padEnd(32)}= ${value}`, '');
    }
  }
  return lines.join('\n');
}
