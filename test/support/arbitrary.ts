/**
 * fast-check generators of valid cluster specs of every kind: random standby counts, DMDSC
 * standbys, async standbys with cascades, sync standbys, MPP cross placement, instances sharing
 * hosts, explicit and allocated ports.
 */
import fc from 'fast-check';
import type { ClusterSpec } from '../../lib/spec/schema';

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HOSTS = 6;
const hostNames = Array.from({ length: HOSTS }, (_, i) => `H${i}`);
const hosts = () => {
  const h: Spec = {};
  hostNames.forEach(
    (n, i) =>
      (h[n] = { address: `198.18.1.${i + 10}`, public: `198.18.1.${i + 10}`, private: `198.18.0.${i + 10}` }),
  );
  h.MON = { address: '198.18.0.99' };
  return h;
};

const host = fc.constantFrom(...hostNames);
/** Sometimes an explicit port block far from the allocator's bases; usually allocated. */
const ports = fc.option(
  fc.integer({ min: 0, max: 500 }).map((k) => ({
    port: 20000 + k * 4,
    malPort: 20001 + k * 4,
    malDwPort: 20002 + k * 4,
    instDwPort: 20003 + k * 4,
  })),
  { nil: undefined, freq: 3 },
);

const single = (name: string) =>
  fc.record({ host, ports }).map(({ host, ports }) => ({ name, host, ...(ports ?? {}) }));
const dsc = (prefix: string) =>
  fc.tuple(fc.integer({ min: 2, max: 3 }), fc.array(host, { minLength: 3, maxLength: 3 })).map(([n, hs]) => ({
    nodes: Array.from({ length: n }, (_, i) => ({
      name: `${prefix}N${i}`,
      host: hs[i]!,
      iniPath: `/dm/dsc/${prefix}/N${i}/dm.ini`,
      dcrIni: `/dm/dsc/${prefix}/conf/dmdcr${i}.ini`,
      archiveDir: `+DMDATA/${prefix}/N${i}/arch`,
    })),
  }));

const timer = fc.record({
  name: fc.constantFrom('RT_TIMER', 'T2'),
  freqMinuteInterval: fc.integer({ min: 0, max: 1439 }),
});

/** Async standbys of a group: each source is the group (a member) or an earlier async standby. */
function asyncs(g: string, members: string[]) {
  return fc.integer({ min: 0, max: 4 }).chain((n) =>
    fc
      .tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc.tuple(single(`${g}_A${i}`), fc.integer({ min: 0, max: members.length + i - 1 }), timer),
        ),
      )
      .map((list) =>
        list.map(([db, src, t], i) => {
          const sources = [...members, ...list.slice(0, i).map(([d]) => d.name)];
          // one timer definition per (source, name) would otherwise be needed; keep names unique per standby
          return { ...db, source: sources[src], timer: { ...t, name: `${t.name}_${i}` } };
        }),
      ),
  );
}
const syncs = (g: string) =>
  fc
    .integer({ min: 0, max: 3 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => single(`${g}_Y${i}`))));

const watcher = fc.constantFrom<'AUTO' | 'MANUAL'>('AUTO', 'MANUAL');
const monitorFor = (mode: 'AUTO' | 'MANUAL') => ({ host: 'MON', confirm: mode === 'AUTO' });

function dataGuardGroup(g: string, dscStandbys: boolean) {
  const standby = (i: number) =>
    dscStandbys
      ? fc.oneof({ weight: 4, arbitrary: single(`${g}_S${i}`) }, { weight: 1, arbitrary: dsc(`${g}D${i}`) })
      : single(`${g}_S${i}`);
  return fc
    .integer({ min: 1, max: 8 })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => standby(i))));
}

const realtimeOrRw: fc.Arbitrary<ClusterSpec> = fc
  .record({
    kind: fc.constantFrom('RealtimePair', 'ReadWriteCluster'),
    archiveType: fc.constantFrom('TIMELY', 'REALTIME'),
    mode: watcher,
    primary: single('G_P'),
    standbys: dataGuardGroup('G', true),
    syncStandbys: syncs('G'),
  })
  .chain((r) => {
    const members = ['G_P', ...r.standbys.map((s: Spec) => ('nodes' in s ? s.nodes[0].name : s.name))];
    return asyncs('G', members).map((asyncStandbys) => {
      const s: Spec = {
        kind: r.kind,
        group: 'GRP1',
        oguid: 9001,
        hosts: hosts(),
        primary: r.primary,
        standbys: r.standbys,
        asyncStandbys,
        syncStandbys: r.syncStandbys,
        watcher: { mode: r.mode },
        monitor: monitorFor(r.mode),
      };
      if (r.kind === 'ReadWriteCluster') s.archiveType = r.archiveType;
      return s as ClusterSpec;
    });
  });

const dscPrimary: fc.Arbitrary<ClusterSpec> = fc
  .record({ primary: dsc('P'), standbys: dataGuardGroup('G', false), mode: watcher })
  .chain((r) =>
    asyncs('G', [r.primary.nodes[0]!.name, ...r.standbys.map((s: Spec) => s.name)]).map(
      (asyncStandbys) =>
        ({
          kind: 'DscPrimary',
          group: 'GRP1',
          oguid: 9002,
          hosts: hosts(),
          primary: r.primary,
          standbys: r.standbys,
          asyncStandbys,
          watcher: { mode: r.mode },
          monitor: monitorFor(r.mode),
        }) as ClusterSpec,
    ),
  );

const mpp: fc.Arbitrary<ClusterSpec> = fc
  .record({ n: fc.integer({ min: 2, max: 4 }), mode: watcher })
  .chain(({ n, mode }) =>
    fc
      .tuple(
        ...Array.from({ length: n }, (_, g) =>
          fc.record({
            primary: single(`M${g}_P`),
            standbys: fc
              .integer({ min: 1, max: 3 })
              .chain((k) => fc.tuple(...Array.from({ length: k }, (_, i) => single(`M${g}_S${i}`)))),
          }),
        ),
      )
      .map(
        (groups) =>
          ({
            kind: 'MppGroup',
            hosts: hosts(),
            groups: groups.map((g, i) => ({
              group: `GRP${i + 1}`,
              oguid: 9100 + i,
              primary: g.primary,
              standbys: g.standbys,
            })),
            watcher: { mode },
            monitor: monitorFor(mode),
          }) as ClusterSpec,
      ),
  );

export const anySpec: fc.Arbitrary<ClusterSpec> = fc.oneof(realtimeOrRw, dscPrimary, mpp);
