/**
 * The topologies the deploy is proven on, taken from the manual's own examples (examples/*.yaml)
 * with their hosts moved onto lab hosts of the same names and the lab's SSH settings.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { ClusterSpec } from '../../lib/spec/schema';
import type { Lab } from '../lab/lab';

type Spec = Record<string, unknown> & { hosts: Record<string, unknown> };

function example(name: string): Spec {
  return parse(readFileSync(path.join(__dirname, '../../examples', name), 'utf8')) as Spec;
}

export interface Topology {
  /** Short name, also the lab's name (lower-case letters and digits). */
  id: string;
  title: string;
  /** Lab hosts it needs (the example's host names). */
  hosts: string[];
  spec: () => Spec;
  /**
   * Also apply with the state lost (every step's probes run, nothing may change): a whole run of
   * the plan, proven on the richest topology of each kind only, to keep the suite within its time.
   */
  lostState?: boolean;
}

const standby = (name: string, host: string, n: number) => ({
  name,
  host,
  port: 32140 + n,
  malPort: 61140 + n,
  malDwPort: 52140 + n,
  instDwPort: 33140 + n,
});

export const TOPOLOGIES: Topology[] = [
  {
    id: 'rt11',
    lostState: true,
    title: 'RealtimePair 1+1 (7.2)',
    hosts: ['DW_P', 'DW_S1', 'DW_M'],
    spec: () => example('7.2-realtime-pair.yaml'),
  },
  {
    id: 'rt13',
    title: 'RealtimePair 1+3',
    hosts: ['DW_P', 'DW_S1', 'DW_S2', 'DW_S3', 'DW_M'],
    spec: () => {
      const s = example('7.2-realtime-pair.yaml');
      s.standbys = [
        ...(s.standbys as unknown[]),
        standby('GRP1_RT_03', 'DW_S2', 3),
        standby('GRP1_RT_04', 'DW_S3', 4),
      ];
      s.hosts.DW_S2 = {};
      s.hosts.DW_S3 = {};
      return s;
    },
  },
  {
    id: 'rwtimely',
    title: 'ReadWriteCluster 1+2 TIMELY (7.3)',
    hosts: ['DW_P', 'DW_S1', 'DW_S2', 'DW_M'],
    spec: () => example('7.3-read-write-cluster.yaml'),
  },
  {
    id: 'rwrealtime',
    title: 'ReadWriteCluster 1+2 REALTIME (7.3)',
    hosts: ['DW_P', 'DW_S1', 'DW_S2', 'DW_M'],
    spec: () => ({ ...example('7.3-read-write-cluster.yaml'), archiveType: 'REALTIME' }),
  },
  {
    id: 'async',
    lostState: true,
    title: 'RealtimePair + async standby + cascaded async standby (7.6)',
    hosts: ['DW_P', 'DW_S1', 'DW_S2', 'DW_S3', 'DW_M'],
    spec: () => example('7.6-async-cascade.yaml'),
  },
  {
    id: 'sync',
    lostState: true,
    title: 'RealtimePair + sync standby (7.7), steps as terraform_data with no provider installed',
    hosts: ['DW_P', 'DW_S1', 'DW_S2', 'DW_M'],
    spec: () => ({ ...example('7.7-sync-standby.yaml'), stepResource: 'terraform_data' }),
  },
];

/** The topology's spec with every host on the lab (public and private networks) and the lab's SSH key. */
export function labSpec(t: Topology, lab: Lab, extra: Partial<ClusterSpec> = {}): ClusterSpec {
  const s = t.spec();
  for (const name of Object.keys(s.hosts)) {
    const h = lab.host(name);
    s.hosts[name] = { address: h.public, public: h.public, private: h.private };
  }
  return {
    ...s,
    ssh: {
      user: lab.descriptor.user,
      privateKeyPath: lab.descriptor.privateKeyPath,
      knownHostsPath: lab.descriptor.knownHostsPath,
    },
    ...extra,
  } as ClusterSpec;
}
