/** Small valid specs for tests, on lab-style addresses (198.18.0.0/15). */
import type { ClusterSpec } from '../../lib/spec/schema';

export function realtimePair(): Extract<ClusterSpec, { kind: 'RealtimePair' }> {
  return {
    kind: 'RealtimePair',
    group: 'GRP1',
    oguid: 7001,
    hosts: {
      P: { address: '198.18.1.11', public: '198.18.1.11', private: '198.18.0.11' },
      S: { address: '198.18.1.12', public: '198.18.1.12', private: '198.18.0.12' },
      M: { address: '198.18.0.13' },
    },
    primary: { name: 'GRP1_RT_01', host: 'P' },
    standbys: [{ name: 'GRP1_RT_02', host: 'S' }],
    watcher: { mode: 'AUTO' },
    monitor: { host: 'M', confirm: true },
  };
}

export function dscPrimary(): Extract<ClusterSpec, { kind: 'DscPrimary' }> {
  return {
    kind: 'DscPrimary',
    group: 'GRP1',
    oguid: 7002,
    hosts: {
      P1: { address: '198.18.1.21', private: '198.18.0.21' },
      P2: { address: '198.18.1.22', private: '198.18.0.22' },
      S: { address: '198.18.1.23', private: '198.18.0.23' },
      M: { address: '198.18.0.24' },
    },
    primary: {
      nodes: [
        {
          name: 'DSC01',
          host: 'P1',
          iniPath: '/dm/dsc/DSC01/dm.ini',
          dcrIni: '/dm/dsc/conf/dmdcr1.ini',
          archiveDir: '+DMDATA/DSC/DSC01/arch',
        },
        {
          name: 'DSC02',
          host: 'P2',
          iniPath: '/dm/dsc/DSC02/dm.ini',
          dcrIni: '/dm/dsc/conf/dmdcr2.ini',
          archiveDir: '+DMDATA/DSC/DSC02/arch',
        },
      ],
    },
    standbys: [{ name: 'GRP1_RT_S1', host: 'S' }],
    monitor: { host: 'M' },
  };
}

export function mppGroup(): Extract<ClusterSpec, { kind: 'MppGroup' }> {
  return {
    kind: 'MppGroup',
    hosts: {
      A: { address: '198.18.1.31', private: '198.18.0.31' },
      B: { address: '198.18.1.32', private: '198.18.0.32' },
      C: { address: '198.18.0.33' },
    },
    groups: [
      {
        group: 'GRP1',
        oguid: 7101,
        primary: { name: 'EP01', host: 'A' },
        standbys: [{ name: 'EP11', host: 'B' }],
      },
      {
        group: 'GRP2',
        oguid: 7102,
        primary: { name: 'EP02', host: 'B' },
        standbys: [{ name: 'EP22', host: 'A' }],
      },
    ],
    watcher: { mode: 'AUTO' },
    monitor: { host: 'C', confirm: true },
  };
}

/**
 * An MppGroup of `groups` MPP nodes, each a data-guard group of one primary and `standbys`
 * standbys, every instance on a host of its own (lab-style addresses), one confirm monitor.
 * For plans and synth at scale (bench/synth.ts, test/plan/order.test.ts).
 */
export function mppGroups(groups: number, standbys: number): Extract<ClusterSpec, { kind: 'MppGroup' }> {
  const hosts: Record<string, { address: string; public: string; private: string }> = {};
  const host = (g: number, i: number) => {
    const name = `H${g}_${i}`;
    const n = g * (standbys + 1) + i;
    const addr = (net: number) => `198.18.${net + 2 * Math.floor(n / 250)}.${(n % 250) + 1}`;
    hosts[name] = { address: addr(1), public: addr(1), private: addr(0) };
    return name;
  };
  const inst = (g: number, i: number) => ({
    name: `G${g}_EP${i}`,
    host: host(g, i),
    path: '/dm/data',
  });
  const spec: Extract<ClusterSpec, { kind: 'MppGroup' }> = {
    kind: 'MppGroup',
    name: 'MPP',
    hosts,
    groups: Array.from({ length: groups }, (_, g) => ({
      group: `G${g}`,
      oguid: 80000 + g,
      seqNo: g,
      primary: inst(g, 0),
      standbys: Array.from({ length: standbys }, (_x, s) => inst(g, s + 1)),
    })),
    watcher: { mode: 'AUTO' },
    monitor: { host: 'MON', confirm: true },
  };
  spec.hosts.MON = { address: '198.18.250.1', public: '198.18.250.1', private: '198.18.250.1' };
  return spec;
}
