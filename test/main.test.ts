/** main.ts: one stack per spec, synthesized without a terraform binary; invalid specs stop synth. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { buildApp, specFiles } from '../main';

describe('main.ts', () => {
  it('falls back to the built-in example and synthesizes its stack', () => {
    const files = specFiles(mkdtempSync(path.join(tmpdir(), 'dm-main-')));
    expect(files.map((f) => path.basename(f))).toEqual(['7.2-realtime-pair.yaml']);
    const app = buildApp(Testing.app(), [path.join(__dirname, '../examples/7.2-realtime-pair.yaml')]);
    const stack = app.node.findChild('GRP1');
    const json = JSON.parse(Testing.synth(stack as never));
    expect(json.output.client_service_name.value).toBe('GRP1');
    expect(json.output.dm_svc_conf.value).toContain('GRP1=(192.168.1.131:32141,192.168.1.132:32142)');
  });

  it('refuses to synthesize an invalid spec, naming every error', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dm-main-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'kind: RealtimePair\ngroup: GRP1\noguid: -1\nhosts: { P: { address: 198.18.1.1 } }\nprimary: { name: A1, host: P }\nstandbys: []\n',
    );
    expect(() => buildApp(new App({ outdir: dir }), [file])).toThrow(
      /OGUID_RANGE oguid.*\n.*STANDBY_COUNT standbys/s,
    );
  });
});
