/** status on a DCP proxy's live view after a switchover (001:L1414-1416): pure judgement. */
import { describe, expect, it } from 'vitest';
import {
  DCP_REFRESH_INTERVAL_S,
  judgeProxyView,
  viewMismatch,
  wantedLiveView,
} from '../../lib/steps/dcp-view';
import type { DatabaseStatus } from '../../lib/steps/status';

const db = (group: string, instance: string, mode: string, status = 'OPEN'): DatabaseStatus => ({
  group,
  database: instance,
  instance,
  host: 'H',
  role: mode === 'PRIMARY' ? 'primary' : 'standby',
  reachable: true,
  status,
  mode,
  archives: [],
});
const primaries = [
  { name: 'GRP1_MPP_EP01', epNo: 0 },
  { name: 'GRP2_MPP_EP02', epNo: 1 },
];
const groups = (g1: DatabaseStatus[]) => [
  { name: 'GRP1', oguid: 1, databases: g1 },
  {
    name: 'GRP2',
    oguid: 2,
    databases: [db('GRP2', 'GRP2_MPP_EP02', 'PRIMARY'), db('GRP2', 'GRP2_MPP_EP22', 'STANDBY')],
  },
];

describe('wantedLiveView', () => {
  it("is each group's running primary with its group's MPP_SEQ_NO", () => {
    const spec = groups([db('GRP1', 'GRP1_MPP_EP01', 'PRIMARY'), db('GRP1', 'GRP1_MPP_EP11', 'STANDBY')]);
    expect(wantedLiveView(primaries, spec)).toEqual(['GRP1_MPP_EP01:0', 'GRP2_MPP_EP02:1']);
    // after a switchover in GRP1, EP11 is its primary and keeps GRP1's EPNO
    const switched = groups([db('GRP1', 'GRP1_MPP_EP01', 'STANDBY'), db('GRP1', 'GRP1_MPP_EP11', 'PRIMARY')]);
    expect(wantedLiveView(primaries, switched)).toEqual(['GRP1_MPP_EP11:0', 'GRP2_MPP_EP02:1']);
  });

  it("keeps the spec's primary where no member runs as PRIMARY/OPEN", () => {
    const none = groups([
      db('GRP1', 'GRP1_MPP_EP01', 'PRIMARY', 'MOUNT'),
      db('GRP1', 'GRP1_MPP_EP11', 'STANDBY'),
    ]);
    expect(wantedLiveView(primaries, none)).toEqual(['GRP1_MPP_EP01:0', 'GRP2_MPP_EP02:1']);
  });
});

describe('viewMismatch', () => {
  it('is the lag to time: none when the view agrees, none for an empty view (a problem at once)', () => {
    const want = ['GRP1_MPP_EP11:0', 'GRP2_MPP_EP02:1'];
    expect(viewMismatch(want, want)).toBeUndefined();
    expect(viewMismatch([], want)).toBeUndefined();
    expect(viewMismatch(['GRP1_MPP_EP01:0', 'GRP2_MPP_EP02:1'], want)).toBe(
      'GRP1_MPP_EP01:0,GRP2_MPP_EP02:1>GRP1_MPP_EP11:0,GRP2_MPP_EP02:1',
    );
  });
});

describe('judgeProxyView', () => {
  const live = ['GRP1_MPP_EP01:0', 'GRP2_MPP_EP02:1'];
  const want = ['GRP1_MPP_EP11:0', 'GRP2_MPP_EP02:1'];

  it('says nothing when the proxy sees the running primaries', () => {
    expect(judgeProxyView({ instance: 'DCP1', live, want: live, lagS: 9999 })).toEqual({});
  });

  it('warns, and does not fail, while the lag is younger than the refresh interval', () => {
    for (const lagS of [0, DCP_REFRESH_INTERVAL_S - 1, undefined]) {
      const j = judgeProxyView({ instance: 'DCP1', live, want, ...(lagS !== undefined ? { lagS } : {}) });
      expect(j.problem, String(lagS)).toBeUndefined();
      expect(j.warning).toMatch(
        /DCP proxy DCP1 sees primaries GRP1_MPP_EP01:0, GRP2_MPP_EP02:1; the MPP system runs GRP1_MPP_EP11:0/,
      );
      expect(j.warning).toMatch(/within 256 s \(001:L1414-1416\)/);
    }
  });

  it('an empty view is a problem at once: the proxy serves nothing before a refresh (001:L262)', () => {
    const j = judgeProxyView({ instance: 'DCP1', live: [], want, lagS: 0 });
    expect(j.warning).toBeUndefined();
    expect(j.problem).toMatch(/DCP proxy DCP1 has no view of the MPP system \(V\$DCPINSTS is empty\)/);
  });

  it('is a problem once the lag reaches the refresh interval: the proxy did not follow', () => {
    const j = judgeProxyView({ instance: 'DCP1', live, want, lagS: DCP_REFRESH_INTERVAL_S });
    expect(j.warning).toBeUndefined();
    expect(j.problem).toMatch(/for 256 s, longer than its 256 s refresh[^]*SP_DCP_REFRESH_CONFIG\(\)/);
  });
});
