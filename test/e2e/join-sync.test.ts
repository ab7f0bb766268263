/**
 * 7.7 on lab hosts, through the synthesized stack and real Terraform (steps as terraform_data):
 * a 7.2 pair deployed, then the sync standby GRP1_SYNC_01 added with restarts: rolling and applied
 * into the same state. It is restored from a fresh online backup, its MAL entry added online on
 * every running member, and the SYNC archive destination taken by a rolling restart, the standby
 * first and the primary last (the manual adds it to a group it shut down, 7.7.2).
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ClusterSpec } from '../../lib/spec/schema';
import { installOnHosts, killOurProcesses } from '../dmsim/lab-harness';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { terraformForTests } from '../tf/availability';
import type { TfRunner } from '../tf';
import { readLogs } from './dmsim-log';
import { labSpec, TOPOLOGIES } from './specs';
import { expectConverged, expectDestroyedInOrder, synthStack, resynth, expectRollingJoin } from './stack';

const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const topo = TOPOLOGIES.find((t) => t.id === 'sync');
if (!topo) throw new Error('no sync topology');
const HOSTS = topo.hosts;

// skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok || !terraform.ok)('7.7: a sync standby joins a running RealtimePair', () => {
  const lab = useLab({ name: 'e2ejoin77', hosts: HOSTS }, 90_000);
  let dir = '';
  let specFile = '';
  let tf: TfRunner;
  let full: ClusterSpec;

  beforeAll(async () => {
    const l = lab();
    installOnHosts(l, HOSTS);
    full = labSpec(topo, l);
    // deployed first as the pair alone
    const pair = { ...full, syncStandbys: [] } as ClusterSpec;
    ({ dir, specFile, tf } = synthStack('join77', pair, 'GRP1'));
    await tf.apply();
  }, 600_000);

  afterAll(async () => {
    await killOurProcesses(lab(), HOSTS).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** The spec file edited to `spec` and synthesized again into the same stack (same state). */
  const edit = (spec: ClusterSpec): void => resynth(dir, specFile, spec);

  it('with restarts: rolling it joins: MAL online, its SYNC archive by a rolling restart, the primary last', async () => {
    const rolling = { ...full, restarts: 'rolling' } as ClusterSpec;
    edit(rolling);
    const t0 = Date.now();
    await tf.apply();
    const log = readLogs(lab(), HOSTS).filter((r) => Date.parse(String(r.t)) >= t0);
    expectRollingJoin(log, ['GRP1_SYNC_01'], 'DW_S1', 'DW_P');
    // status judges the archives the spec asks for: the SYNC one on the primary
    await expectConverged(lab(), rolling as ClusterSpec, specFile, tf, [
      'GRP1 GRP1_RT_01 PRIMARY OPEN',
      'GRP1 GRP1_RT_02 STANDBY OPEN',
      'GRP1 GRP1_SYNC_01 STANDBY OPEN',
    ]);
  }, 900_000);

  it('destroy stops every member in §6.4 order, the joined sync standby with the standbys', async () => {
    await expectDestroyedInOrder(lab(), HOSTS, tf, ['DW_P'], 2);
  }, 300_000);
});
