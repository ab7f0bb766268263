/**
 * YAML spec loading. Keeps the YAML document so every finding can carry file:line, including
 * findings about fields the user omitted (they point at the nearest enclosing field).
 */
import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node } from 'yaml';
import type { Finding } from '../validate/finding';

export interface LoadedYaml {
  file: string;
  data: unknown;
  /** file:line of a spec path such as standbys[0].port (or of its nearest existing parent). */
  locate(path: string): string | undefined;
  /** YAML syntax errors, as findings. */
  findings: Finding[];
}

export function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

export function loadYaml(text: string, file: string): LoadedYaml {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const lineOf = (offset: number) => `${file}:${lines.linePos(offset).line}`;
  const findings: Finding[] = [...doc.errors, ...doc.warnings].map((e) => ({
    code: 'YAML_SYNTAX',
    severity: 'error',
    path: '',
    message: e.message.split('\n')[0] ?? e.message,
    fix: 'correct the YAML syntax at that line',
    manual: 'YAML 1.2',
    location: e.pos ? lineOf(e.pos[0]) : file,
  }));

  const locate = (path: string): string | undefined => {
    let node: unknown = doc.contents;
    let found: Node | undefined = isNodeLike(node) ? node : undefined;
    for (const key of splitPath(path)) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => (isNodeLike(p.key) ? (p.key as { value?: unknown }).value : p.key) === key,
        );
        if (!pair) break;
        // point at the key of the field: that is the line the user reads
        found = (isNodeLike(pair.key) ? pair.key : found) as Node | undefined;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        if (!isNodeLike(node)) break;
        found = node as Node;
      } else break;
    }
    const range = found?.range;
    return range ? lineOf(range[0]) : file;
  };

  return { file, data: doc.errors.length ? undefined : doc.toJS(), locate, findings };
}

function isNodeLike(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && 'range' in x;
}
