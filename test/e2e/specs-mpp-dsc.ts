/**
 * The MPP and DMDSC topologies the deploy is proven on (7.4, 7.5), from the manual's own examples
 * (examples/7.4-mpp-group.yaml, examples/7.5-dsc-primary.yaml) with their hosts moved onto lab
 * hosts. The DMDSC primary's two nodes go on two lab hosts sharing one storage directory (the
 * example has both on DW_P), each host with its own dmdcr.ini.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ClusterSpec, DscDatabaseSpec } from '../../lib/families/data-guard/schema';
import type { Lab } from '../lab/lab';
import { labPaths } from '../lab/names';
import type { DscClusterSetup } from './dsc-cluster';
import type { Topology } from './specs';

type Spec = Record<string, unknown> & { hosts: Record<string, unknown> };

function example(name: string): Spec {
  return parse(readFileSync(path.join(__dirname, '../../examples', name), 'utf8')) as Spec;
}

export interface MppDscTopology extends Topology {
  kind: 'MppGroup' | 'DscPrimary';
}

/**
 * dmcss's restart interval in the DMDSC topologies: the example's 60 s made small, so that "no
 * node is restarted after destroy" is proven by waiting a few intervals.
 */
export const DSC_RESTART_INTERVAL = 3;

/**
 * 3 MPP nodes (groups), each with a primary and two standbys, crosswise on hosts A, B, C: host
 * (g + k) mod 3 holds group g's k-th instance (k = 0 the primary), so each host holds one
 * instance of every group, and one dmwatcher per host guards all three (7.4.7). Ports by group,
 * so no two instances on a host share one.
 */
function mpp33(): Spec {
  const hosts = ['A', 'B', 'C'];
  const inst = (g: number, k: number, name: string) => ({
    name,
    host: hosts[(g + k) % 3] ?? 'A',
    path: `/dm/data/${name.slice(-4)}`,
    port: 5236 + g,
    malPort: 5337 + g,
    malDwPort: 5253 + g,
    instDwPort: 5243 + g,
  });
  return {
    kind: 'MppGroup',
    name: 'MPP_EP3',
    // addresses as in the example's networks; labSpec puts every host on the lab
    hosts: Object.fromEntries([...hosts, 'M'].map((h, i) => [h, { address: `192.168.0.${151 + i}` }])),
    groups: [0, 1, 2].map((g) => ({
      group: `GRP${g + 1}`,
      oguid: 45340 + g,
      seqNo: g,
      primary: inst(g, 0, `GRP${g + 1}_MPP_EP0${g + 1}`),
      standbys: [1, 2].map((k) => inst(g, k, `GRP${g + 1}_MPP_EP${g + 1}${k}`)),
    })),
    watcher: { mode: 'AUTO' },
    monitor: { host: 'M', confirm: true },
  };
}

/** The 7.5 example with DSC01 on DW_P1 and DSC02 on DW_P2 (same paths and ports), a 3 s restart. */
function dscPrimary(): Spec {
  const s = example('7.5-dsc-primary.yaml');
  const p = s.hosts.DW_P;
  const { DW_P: _dropped, ...rest } = s.hosts;
  void _dropped;
  s.hosts = { DW_P1: p, DW_P2: p, ...rest };
  const primary = s.primary as DscDatabaseSpec;
  primary.nodes = primary.nodes.map((n, i) => ({ ...n, host: `DW_P${i + 1}` }));
  primary.dmcssAutoRestart = { interval: DSC_RESTART_INTERVAL };
  return s;
}

export const MPP_DSC_TOPOLOGIES: MppDscTopology[] = [
  {
    id: 'mpp22',
    title: 'MppGroup 2 groups x (1+1), cross placement (7.4)',
    kind: 'MppGroup',
    hosts: ['A', 'B', 'C'],
    spec: () => example('7.4-mpp-group.yaml'),
  },
  {
    id: 'mpp33',
    lostState: true,
    title: 'MppGroup 3 groups x (1+2), cross placement',
    kind: 'MppGroup',
    hosts: ['A', 'B', 'C', 'M'],
    spec: mpp33,
  },
  {
    id: 'dsc21',
    title: 'DscPrimary 2 DSC nodes + 1 standby (7.5)',
    kind: 'DscPrimary',
    hosts: ['DW_P1', 'DW_P2', 'DW_S', 'DW_M'],
    spec: dscPrimary,
  },
  {
    id: 'dscas',
    lostState: true,
    title: 'DscPrimary 2 DSC nodes + 1 standby + async standby fed by the DSC primary (7.5.1, 7.6)',
    kind: 'DscPrimary',
    hosts: ['DW_P1', 'DW_P2', 'DW_S', 'DW_S2', 'DW_M'],
    spec: () => {
      const s = dscPrimary();
      s.hosts.DW_S2 = s.hosts.DW_S;
      s.asyncStandbys = [
        {
          name: 'GRP1_ASYNC_01',
          host: 'DW_S2',
          path: '/dm/data/EP02',
          port: 9345,
          malPort: 8739,
          malDwPort: 3570,
          instDwPort: 4570,
          // the source named by one of the DSC primary's nodes: the DSC database (7.5.1)
          source: 'GRP1_RT_DSC01',
          timer: { name: 'RT_TIMER', type: 2, startTime: '00:00:00', endTime: '23:59:59' },
        },
      ];
      return s;
    },
  },
];

/** The storage directory the DSC hosts share, under the lab's own data directory. */
export function dscSharedDir(lab: Lab): string {
  return path.join(labPaths(lab.name).dataDir, 'dsc_shared');
}

/** The existing DMDSC cluster a DscPrimary spec names (its primary's nodes), for dsc-cluster.ts. */
export function dscSetupOf(spec: ClusterSpec, lab: Lab): DscClusterSetup {
  if (spec.kind !== 'DscPrimary') throw new Error(`${spec.kind} has no DMDSC primary`);
  return {
    shared: dscSharedDir(lab),
    nodes: spec.primary.nodes.map((n) => {
      if (!n.dcrIni || n.port === undefined) throw new Error(`${n.name}: dcrIni and port are needed`);
      return { name: n.name, host: n.host, iniPath: n.iniPath, dcrIni: n.dcrIni, port: n.port };
    }),
  };
}
