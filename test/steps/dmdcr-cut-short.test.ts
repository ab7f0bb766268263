// A dmdcr step cut short (7.5.10): it wrote dmdcr.ini, may have stopped dmcss and dmasmsvr, and
// died before its record. Preflight, run again by an apply that lost its state, asks
// dmdcrCutShort before it refuses a missing dmcss: this step starts it again when it runs.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dmdcrCutShort } from '../../lib/steps/kinds/dsc';
import type { StepOf } from '../../lib/steps/kinds/types';
import { Remote } from '../../lib/steps/remote';
import { fakeContext } from '../support/fake-remote';

const DCR = '/dm/dsc/dmdcr.ini';
const RENDERED = 'DMDCR_SEQNO = 0\nDMDCR_MAL_HOST_RESTART = 1\n';
const step = {
  id: 'DSC0/dmdcr',
  host: 'H',
  params: {
    kind: 'dmdcr',
    dcrIni: DCR,
    files: [{ path: DCR, role: 'dmdcr.ini', kind: 'file', content: RENDERED }],
    nodes: [],
  },
} as unknown as StepOf<'dmdcr'>;
const recordOf = (text: string) =>
  `/dm/dmdeploy/steps/DSC0__dmdcr_${createHash('sha256').update(text).digest('hex').slice(0, 16)}.done`;

function cutShort(files: Record<string, string>) {
  const ex = {
    exists: (_h: string, p: string) => Promise.resolve(p in files),
    readFile: (_h: string, p: string) => Promise.resolve(Buffer.from(files[p] ?? '')),
  };
  const ctx = fakeContext(ex);
  return dmdcrCutShort(new Remote(ctx, step), step);
}

describe('a dmdcr step cut short', () => {
  it('is one whose dmdcr.ini is as rendered and has no record of its restart', async () => {
    expect(await cutShort({ [DCR]: RENDERED })).toBe(true);
  });

  it("is not one whose restart was recorded, nor a dmdcr.ini it has not written yet (the user's own)", async () => {
    expect(await cutShort({ [DCR]: RENDERED, [recordOf(RENDERED)]: '' })).toBe(false);
    expect(await cutShort({ [DCR]: 'DMDCR_SEQNO = 0\n' })).toBe(false);
  });
});
