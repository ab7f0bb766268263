// Preflight's 7.5.3 check of an existing DMDSC database (dmcss and dmasmsvr running on each node's
// host), as wired to the plan's dmdcr step: a dmcss stopped by that step, cut short before its
// record, is left to the step; a dmcss simply not running is refused by name.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { preflight } from '../../lib/steps/kinds/preflight';
import type { StepOf } from '../../lib/steps/kinds/types';
import { fakeContext } from '../support/fake-remote';

const DCR = '/dm/dsc/dmdcr.ini';
const INI = '/dm/dsc/DSC0/dm.ini';
const RENDERED = 'DMDCR_SEQNO = 0\nDMDCR_MAL_HOST_RESTART = 1\n';
const RECORD = `/dm/dmdeploy/steps/DSC0__dmdcr_${createHash('sha256').update(RENDERED).digest('hex').slice(0, 16)}.done`;
const node = { instance: 'DSC0', host: 'H', iniPath: INI, port: 5236, dcrIni: DCR };
const check = {
  id: 'cluster/preflight',
  host: '*',
  params: { kind: 'preflight', hosts: ['H'], ports: [], paths: [], dsc: [node] },
} as unknown as StepOf<'preflight'>;
const dmdcr = {
  id: 'DSC0/dmdcr',
  host: 'H',
  params: {
    kind: 'dmdcr',
    dcrIni: DCR,
    files: [{ path: DCR, role: 'dmdcr.ini', kind: 'file', content: RENDERED }],
    nodes: [node],
  },
};

/** Host H: the files named, Linux facts with every DM tool present, and these processes. */
function host(files: Record<string, string>, procs: string[]) {
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

async function run(files: Record<string, string>, procs: string[], withDmdcr = true) {
  const ctx = fakeContext(host(files, procs));
  Object.assign(ctx.plan, { cluster: 'C', steps: withDmdcr ? [check, dmdcr] : [check] });
  return preflight.verify(ctx, check);
}

const both = [`/dm/bin/dmcss dcr_ini=${DCR}`, `/dm/bin/dmasmsvr dcr_ini=${DCR}`];

describe("preflight's DMDSC check (7.5.3)", () => {
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
