// REMOVED_MEMBER: where `removed: true` may be used (a realtime or timely standby of a group of
// single-instance databases, or of an MppGroup from a host of its own), and that a retired standby's name and ports
// stay taken (its MAL entry stays in every dmmal.ini).
import { describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../lib/spec/schema';
import { validateSpec } from '../../lib/validate';
import { mppGroup, realtimePair } from '../support/specs';

const codes = (spec: unknown) =>
  validateSpec(spec as ClusterSpec)
    .findings.filter((f) => f.severity === 'error')
    .map((f) => `${f.code} ${f.path}`);

describe('a standby marked removed', () => {
  it('is accepted on a realtime standby, refused on an async standby and on an MPP group member', () => {
    const ok = realtimePair();
    ok.hosts.S2 = { address: '198.18.1.14', public: '198.18.1.14', private: '198.18.0.14' };
    ok.standbys.push({ name: 'GRP1_RT_03', host: 'S2', removed: true });
    expect(codes(ok)).toEqual([]);
    const asy = realtimePair() as ClusterSpec & { asyncStandbys?: unknown[] };
    asy.hosts.S2 = { address: '198.18.1.14', public: '198.18.1.14', private: '198.18.0.14' };
    asy.asyncStandbys = [{ name: 'GRP1_AS_01', host: 'S2', source: 'GRP1_RT_01', removed: true }];
    expect(codes(asy)).toContain('REMOVED_MEMBER asyncStandbys[0].removed');
    const mpp = mppGroup();
    (mpp.groups[0]?.standbys[0] as { removed?: boolean }).removed = true;
    expect(codes(mpp)).toContain('REMOVED_MEMBER groups[0].standbys[0].removed');
    expect(validateSpec(mpp).findings.find((f) => f.code === 'REMOVED_MEMBER')?.message).toMatch(
      /EP11 shares host B with another instance of the MPP system, whose dmwatcher also guards it/,
    );
  });

  it('is accepted on an MppGroup standby with a host of its own (its watcher guards only it, 7.4.7)', () => {
    const mpp = mppGroup();
    mpp.hosts.D = { address: '198.18.1.34', private: '198.18.0.34' };
    mpp.groups[0]?.standbys.push({ name: 'EP12', host: 'D', removed: true } as never);
    expect(codes(mpp)).toEqual([]);
    (mpp.groups[0] as { primary: { removed?: boolean } }).primary.removed = true;
    expect(codes(mpp)).toContain('REMOVED_MEMBER groups[0].primary.removed');
  });

  it("keeps its name taken: a new member cannot reuse a retired standby's INSTANCE_NAME", () => {
    const s = realtimePair();
    s.standbys.push({ name: 'GRP1_RT_03', host: 'M', removed: true });
    s.standbys.push({ name: 'GRP1_RT_03', host: 'P' });
    expect(codes(s).some((c) => c.startsWith('INSTANCE_NAME_DUPLICATE'))).toBe(true);
  });
});
