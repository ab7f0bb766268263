// A dmdcr step cut short (7.5.10): it wrote dmdcr.ini, may have stopped dmcss and dmasmsvr, and
// died before its record. Preflight, run again by an apply that lost its state, asks
// dmdcrCutShort before it refuses a missing dmcss (7.5.3): this step starts it again when it runs.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dmdcrCutShort } from '../../lib/steps/kinds/dsc';
import { preflight } from '../../lib/steps/kinds/preflight';
import type { StepOf } from '../../lib/steps/kinds/types';
import { Remote } from '../../lib/steps/remote';
import { fakeContext } from '../support/fake-remote';

const DCR = '/dm/dsc/dmdcr.ini';
const INI = '/dm/dsc/DSC0/dm.ini';
const RENDERED = 'DMDCR_SEQNO = 0\nDMDCR_MAL_HOST_RESTART = 1\n';
const node = { instance: 'DSC0', host: 'H', iniPath: INI, port: 5236, dcrIni: DCR };
const step = {
  id: 'DSC0/dmdcr',
  host: 'H',
  params: {
    kind: 'dmdcr',
    dcrIni: DCR,
    files: [{ path: DCR, role: 'dmdcr.ini', kind: 'file', content: RENDERED }],
    nodes: [node],
  },
} as unknown as StepOf<'dmdcr'>;
const recordOf = (text: string) =>
  `/dm/dmdeploy/steps/DSC0__dmdcr_${createHash('sha256').update(text).digest('hex').slice(0, 16)}.done`;
const RECORD = recordOf(RENDERED);

/** Host H: the files named, Linux facts with every DM tool present, and these processes. */
function host(files: Record<string, string>, procs: string[] = []) {
  const ok = (stdout: string) => Promise.resolve({ exitCode: 0, stdout, stderr: '' });
  return {
    hostNames: () => ['H'],
    exists: (_h: string, p: string) => Promise.resolve(p in files),
    readFile: (_h: string, p: string) => Promise.resolve(Buffer.from(files[p] ?? '')),
    exec: (_h: string, cmd: string) => {
      if (cmd.startsWith('uname -m')) return ok(`x86_64\n1\n+0000\n${Math.floor(Date.now() / 1000)}\n`);
      if (cmd.startsWith('readlink /proc/self/ns/net'))
        return ok(['net:[4026531840]', ...procs.map((a, i) => `${100 + i} 4026531840 Sl ${a}`)].join('\n'));
      return ok('');
    },
  };
}

function cutShort(files: Record<string, string>) {
  const ctx = fakeContext(host(files));
  return dmdcrCutShort(new Remote(ctx, step), step);
}

describe('a dmdcr step cut short', () => {
  it('is one whose dmdcr.ini is as rendered and has no record of its restart', async () => {
    expect(await cutShort({ [DCR]: RENDERED })).toBe(true);
  });

  it("is not one whose restart was recorded, nor a dmdcr.ini it has not written yet (the user's own)", async () => {
    expect(await cutShort({ [DCR]: RENDERED, [RECORD]: '' })).toBe(false);
    expect(await cutShort({ [DCR]: 'DMDCR_SEQNO = 0\n' })).toBe(false);
  });
});

const check = {
  id: 'cluster/preflight',
  host: '*',
  params: { kind: 'preflight', hosts: ['H'], ports: [], paths: [], dsc: [node] },
} as unknown as StepOf<'preflight'>;

async function run(files: Record<string, string>, procs: string[], withDmdcr = true) {
  const ctx = fakeContext(host(files, procs));
  Object.assign(ctx.plan, { cluster: 'C', steps: withDmdcr ? [check, step] : [check] });
  return preflight.verify(ctx, check);
}

const both = [`/dm/bin/dmcss dcr_ini=${DCR}`, `/dm/bin/dmasmsvr dcr_ini=${DCR}`];

describe("preflight's DMDSC check (7.5.3), as wired to the plan's dmdcr step", () => {
  it('passes while dmcss and dmasmsvr run on the dmdcr.ini', async () => {
    await expect(run({ [INI]: '', [DCR]: RENDERED, [RECORD]: '' }, both)).resolves.toBeUndefined();
  });

  it('refuses a node whose dmcss and dmasmsvr do not run, naming the host and what to start', async () => {
    const err = run({ [INI]: '', [DCR]: RENDERED, [RECORD]: '' }, []);
    await expect(err).rejects.toThrow(`H: no dmcss runs with dcr_ini=${DCR} for DSC0`);
    await expect(err).rejects.toThrow(`H: no dmasmsvr runs with dcr_ini=${DCR} for DSC0`);
  });

  it("refuses it too when the user's own dmdcr.ini is there, not yet the rendered one", async () => {
    await expect(run({ [INI]: '', [DCR]: 'DMDCR_SEQNO = 0\n' }, [])).rejects.toThrow('no dmcss runs');
  });

  it('refuses it when the plan has no dmdcr step for that dmdcr.ini', async () => {
    await expect(run({ [INI]: '', [DCR]: RENDERED }, [], false)).rejects.toThrow('no dmcss runs');
  });

  it('leaves a dmcss stopped by a dmdcr step cut short before its record to that step', async () => {
    await expect(run({ [INI]: '', [DCR]: RENDERED }, [])).resolves.toBeUndefined();
  });

  it('still refuses a missing dm.ini of the node', async () => {
    await expect(run({ [DCR]: RENDERED }, [])).rejects.toThrow(`H: ${INI} of DMDSC node DSC0 is missing`);
  });
});
