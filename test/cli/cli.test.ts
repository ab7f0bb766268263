/** The dmdeploy command line: validate and render on files, exit codes, file:line in errors. */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../lib/cli/main';

function capture(argv: string[]) {
  let out = '';
  let err = '';
  const code = run(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

const tmp = () => mkdtempSync(path.join(tmpdir(), 'dmdeploy-cli-'));
const example = (n: string) => path.join(__dirname, '../../examples', n);

const BAD = `kind: RealtimePair
group: GRP1
oguid: 7001
hosts:
  P: { address: 198.18.1.11 }
  S: { address: 198.18.1.12 }
primary:
  name: GRP1_RT_01
  host: P
  port: 70000
standbys:
  - name: GRP1_RT_02
    host: S
    malport: 5
`;

describe('dmdeploy validate', () => {
  it('exits 0 on a valid spec and prints its warnings', () => {
    const r = capture(['validate', example('7.2-realtime-pair.yaml')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/valid \(1 warning\)/);
    expect(r.out).toMatch(
      /^warning OGUID_MANUAL_EXAMPLE oguid: .*\(manual 7\.2 note\) \[.*7\.2-realtime-pair\.yaml:4\]$/m,
    );
  });

  it('prints CODE path: message (manual §x) with file:line for every error and exits 1', () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, BAD);
    const r = capture(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`SPEC_UNKNOWN_FIELD standbys[0].malport: unknown field "malport"`);
    expect(r.err).toMatch(new RegExp(`\\[${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:14\\]`));
    // shape errors stop before value rules; fix the shape and the value rule appears with its line
    writeFileSync(file, BAD.replace('    malport: 5\n', ''));
    const r2 = capture(['validate', file]);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(
      /^PORT_RANGE primary\.port: PORT_NUM 70000 of GRP1_RT_01 is outside 1024-65534; fix: .* \(manual §5\.1, §5\.2\) \[.*bad\.yaml:10\]$/m,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const file = path.join(tmp(), 'syntax.yaml');
    writeFileSync(file, 'kind: RealtimePair\nhosts: [\n');
    const r = capture(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/YAML_SYNTAX .*syntax\.yaml:\d+\]/);
  });

  it('reports a missing file without a stack trace', () => {
    const r = capture(['validate', '/nonexistent/spec.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/SPEC_FILE_UNREADABLE .*ENOENT/);
  });
});

describe('dmdeploy render', () => {
  it('writes <out>/<host>/<absolute path>, patches as .patch, identical bytes on a second run', () => {
    const out = tmp();
    const r = capture(['render', example('7.2-realtime-pair.yaml'), '--out', out]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['DW_M', 'DW_P', 'DW_S1', '_client', 'plan.json']);
    const plan = JSON.parse(readFileSync(path.join(out, 'plan.json'), 'utf8')) as { steps: { id: string }[] };
    expect(plan.steps[0]?.id).toBe('cluster/preflight');
    expect(plan.steps.at(-1)?.id).toBe('cluster/verify');
    expect(readdirSync(path.join(out, 'DW_P/dm/data/DAMENG')).sort()).toEqual([
      'dm.ini.patch',
      'dmarch.ini',
      'dmmal.ini',
      'dmwatcher.ini',
    ]);
    const mal = readFileSync(path.join(out, 'DW_P/dm/data/DAMENG/dmmal.ini'), 'utf8');
    expect(readFileSync(path.join(out, 'DW_S1/dm/data/DAMENG/dmmal.ini'), 'utf8')).toBe(mal);
    const out2 = tmp();
    capture(['render', example('7.2-realtime-pair.yaml'), '--out', out2]);
    expect(readFileSync(path.join(out2, 'DW_P/dm/data/DAMENG/dmmal.ini'), 'utf8')).toBe(mal);
    expect(readFileSync(path.join(out2, 'plan.json'), 'utf8')).toBe(
      readFileSync(path.join(out, 'plan.json'), 'utf8'),
    );
    expect(readFileSync(path.join(out, '_client/etc/dm_svc.conf.patch'), 'utf8')).toContain(
      'GRP1=(192.168.1.131:32141,192.168.1.132:32142)',
    );
  });

  it('refuses an invalid spec and writes nothing', () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, BAD);
    const out = path.join(dir, 'out');
    expect(capture(['render', file, '--out', out]).code).toBe(1);
    expect(() => readdirSync(out)).toThrow();
  });

  it('--help describes the commands; no arguments is a usage error', () => {
    const r = capture(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dmdeploy validate <spec.yaml>/);
    expect(capture([]).code).toBe(2);
    expect(capture(['frobnicate']).code).toBe(2);
  });
});
