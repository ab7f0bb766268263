/**
 * The manual's worked examples (chapter 7) rendered from examples/*.yaml must carry exactly the
 * manual's keys and values (comments aside). Fixtures hold the manual's own blocks verbatim;
 * test/fixtures/manual/README.md lists where each came from and the few typos corrected.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSpecFile } from '../lib/cli/spec-file';
import { hasErrors } from '../lib/validate';
import { CLIENT_HOST, renderCluster, renderedPath, type RenderedFile } from '../lib/render';
import { canonicalIni } from './support/ini-compare';

const FIXTURES = path.join(__dirname, 'fixtures/manual');
const EXAMPLES = path.join(__dirname, '../examples');

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return filesUnder(p, base);
    return n.endsWith('.md') ? [] : [path.relative(base, p)];
  });
}

function render(example: string): Map<string, RenderedFile> {
  const v = validateSpecFile(path.join(EXAMPLES, example));
  expect(v.findings.filter((f) => f.severity === 'error')).toEqual([]);
  if (!v.model || hasErrors(v.findings)) throw new Error('invalid example');
  return new Map(renderCluster(v.model).map((f) => [renderedPath(f), f]));
}

const cases: [section: string, example: string][] = [
  ['7.2', '7.2-realtime-pair.yaml'],
  ['7.3', '7.3-read-write-cluster.yaml'],
  ['7.4', '7.4-mpp-group.yaml'],
  ['7.5', '7.5-dsc-primary.yaml'],
  ['7.6', '7.6-async-cascade.yaml'],
  ['7.7', '7.7-sync-standby.yaml'],
];

describe.each(cases)('manual %s', (section, example) => {
  const rendered = render(example);
  const fixtures = filesUnder(path.join(FIXTURES, section));

  it('renders exactly the files the manual configures on each host', () => {
    const hostFiles = [...rendered.keys()].filter((p) => !p.startsWith(CLIENT_HOST + '/')).sort();
    expect(hostFiles).toEqual([...fixtures].sort());
  });

  it.each(fixtures)('%s carries the manual keys and values', (rel) => {
    const file = rendered.get(rel);
    expect(file, `${rel} was not rendered`).toBeDefined();
    const manual = readFileSync(path.join(FIXTURES, section, rel), 'utf8');
    expect(canonicalIni(file!.content, rel)).toEqual(canonicalIni(manual, rel));
  });
});

describe('manual 7.2.5.2 multi-instance monitor', () => {
  const rendered = render('7.2-multi-monitor.yaml');
  const monitors = [...rendered.entries()].filter(([p]) => p.endsWith('dmmonitor.ini'));

  it('MON1 carries the manual keys and values', () => {
    const rel = 'MON1/dm/data/dmmonitor.ini';
    const manual = readFileSync(path.join(FIXTURES, '7.2-multimon', rel), 'utf8');
    expect(canonicalIni(rendered.get(rel)!.content, rel)).toEqual(canonicalIni(manual, rel));
  });

  it('every monitor instance gets a file identical except MON_ID and MON_NAME', () => {
    expect(monitors.map(([p]) => p).sort()).toEqual([
      'MON1/dm/data/dmmonitor.ini',
      'MON2/dm/data/dmmonitor.ini',
      'MON3/dm/data/dmmonitor.ini',
    ]);
    const strip = (t: string) =>
      t
        .split('\n')
        .filter((l) => !/^(MON_ID|MON_NAME) =/.test(l))
        .join('\n');
    const [first, ...others] = monitors.map(([, f]) => strip(f.content));
    for (const o of others) expect(o).toEqual(first);
    expect(new Set(monitors.map(([, f]) => /^MON_ID = (\d+)$/m.exec(f.content)?.[1])).size).toBe(3);
  });
});
