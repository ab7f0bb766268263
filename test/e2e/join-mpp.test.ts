/**
 * A standby added to one group of a running MppGroup (the 7.4 example, 2 groups x (1+1) crosswise
 * on A and B), through the synthesized stack and real Terraform applying the edited spec into the
 * same state. GRP1_MPP_EP12 on a new host D joins by 7.10 within GRP1: a fresh online backup of
 * GRP1's primary EP; SF_MAL_INST_ADD on every instance of the MPP system (they share one dmmal.ini,
 * 7.4.3.2); ADD ARCHIVELOG only on GRP1's members, GRP1's primary MOUNTed first and OPENed last;
 * GRP2 is not put in MOUNT; dmmpp.ctl copied to the new standby; nothing that ran restarts. A DCP
 * proxy on host E in front of the system (seed 001 6.2) takes the new EP into its list once the
 * standby runs: its register step's probe diffs SYSDCPINSTS and adds that one row, then refreshes.
 * Then EP12, marked removed, leaves GRP1 online (detached and stopped through the monitor, DELETE
 * ARCHIVELOG on GRP1's members only) and the proxy clears its row.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../lib/spec/schema';
import { installOnHosts, killOurProcesses } from '../dmsim/lab-harness';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { terraformForTests } from '../tf/availability';
import type { TfRunner } from '../tf';
import { readLogs, teardownSequence, type HostRecord } from './dmsim-log';
import { labSpec } from './specs';
import { MPP_DSC_TOPOLOGIES } from './specs-mpp-dsc';
import { dmdeployStatus, expectConverged, synthStack, resynth } from './stack';

const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const topo = MPP_DSC_TOPOLOGIES.find((t) => t.id === 'mpp22');
if (!topo) throw new Error('no mpp22 topology');
const HOSTS = [...topo.hosts, 'D', 'E'];

type Group = { group: string; primary: Record<string, unknown>; standbys: Record<string, unknown>[] };

/** Which instance ran each record: a dmserver's records carry its pid, its start record its dm.ini. */
function byInstance(log: readonly HostRecord[]): (r: HostRecord) => string {
  const ini = new Map<string, string>();
  for (const r of log)
    if (r.tool === 'dmserver' && r.event === 'start') ini.set(`${r.host}:${String(r.pid)}`, String(r.ini));
  return (r) => path.basename(path.dirname(path.dirname(ini.get(`${r.host}:${String(r.pid)}`) ?? '')));
}

// skipped only where no lab or no terraform can run, with the printed reason (SKIPPING ...); CI sets DMLAB_REQUIRED=1, which fails the run instead
describe.skipIf(!avail.ok || !terraform.ok)('a standby joins one group of a running MppGroup', () => {
  const lab = useLab({ name: 'e2ejoinmpp', hosts: HOSTS }, 90_000);
  let dir = '';
  let specFile = '';
  let tf: TfRunner;
  let first: ClusterSpec & { groups: Group[]; hosts: Record<string, unknown> };
  let all: HostRecord[] = [];
  let grown: typeof first;

  /**
   * The edited spec applied into the same state: the records it wrote, and where in them an
   * instance ran a statement successfully (-1: it did not).
   */
  const applyEdited = async (spec: unknown) => {
    resynth(dir, specFile, spec);
    const t0 = Date.now();
    await tf.apply();
    all = readLogs(lab(), HOSTS);
    const who = byInstance(all);
    const log = all.filter((r) => Date.parse(String(r.t)) >= t0);
    const ran = (inst: string, stmt: RegExp) =>
      log.findIndex(
        (r) => r.event === 'exec' && r.ok === true && who(r) === inst && stmt.test(String(r.stmt)),
      );
    return { log, ran };
  };

  beforeAll(async () => {
    const l = lab();
    installOnHosts(l, HOSTS);
    const base = labSpec(topo, l) as typeof first;
    const e = l.host('E');
    first = {
      ...base,
      hosts: { ...base.hosts, E: { address: e.public, public: e.public, private: e.private } },
      dcp: { proxies: [{ name: 'DCP1', host: 'E' }] },
    } as typeof first;
    ({ dir, specFile, tf } = synthStack('joinmpp', first, 'MPP_EP'));
    await tf.apply();
  }, 600_000);

  afterAll(async () => {
    await killOurProcesses(lab(), HOSTS).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('joins GRP1 online: every instance takes the MAL entry, only GRP1 the archive; nothing restarts', async () => {
    const d = lab().host('D');
    const [g1, g2] = first.groups;
    if (!g1 || !g2) throw new Error('two groups');
    grown = {
      ...first,
      hosts: { ...first.hosts, D: { address: d.public, public: d.public, private: d.private } },
      groups: [
        {
          ...g1,
          standbys: [
            ...g1.standbys,
            {
              ...g1.standbys[0],
              name: 'GRP1_MPP_EP12',
              host: 'D',
              path: '/dm/data/EP12',
            },
          ],
        },
        g2,
      ],
    } as typeof first;
    const { log, ran } = await applyEdited(grown);
    /** The index of a statement that must have run: an order between two is only checked once both ran. */
    const seen = (a: string, re: RegExp): number => {
      const n = ran(a, re);
      expect(n, `${a} ran ${String(re)}`).toBeGreaterThanOrEqual(0);
      return n;
    };
    // 7.4.3.2: every instance of the MPP system holds the same MAL
    for (const inst of ['EP01', 'EP11', 'EP02', 'EP22'])
      expect(ran(inst, /^SF_MAL_INST_ADD\('MAL_INST\d+','GRP1_MPP_EP12'/), inst).toBeGreaterThanOrEqual(0);
    // 7.10.4 within GRP1 only: its primary EP MOUNTs first and OPENs last
    const add = /^ALTER DATABASE ADD ARCHIVELOG 'DEST=GRP1_MPP_EP12, TYPE=REALTIME'$/;
    expect(seen('EP01', add)).toBeGreaterThan(seen('EP01', /^ALTER DATABASE MOUNT$/));
    expect(seen('EP11', add)).toBeGreaterThan(seen('EP11', /^ALTER DATABASE MOUNT$/));
    expect(seen('EP01', /^ALTER DATABASE MOUNT$/)).toBeLessThan(seen('EP11', /^ALTER DATABASE MOUNT$/));
    expect(seen('EP01', /^ALTER DATABASE OPEN FORCE$/)).toBeGreaterThan(
      seen('EP11', /^ALTER DATABASE OPEN FORCE$/),
    );
    for (const inst of ['EP02', 'EP22'])
      expect(ran(inst, /^ALTER DATABASE (MOUNT|ADD ARCHIVELOG)/), inst).toBe(-1);
    expect(log.filter((r) => r.event === 'hazard').map((r) => r.reason)).toEqual([]);
    // nothing that ran was initialised, restored or restarted
    expect(
      log
        .filter((r) => r.host !== 'D')
        .filter(
          (r) =>
            r.event === 'dminit' || r.event === 'restore' || (r.tool === 'dmserver' && r.event === 'start'),
        ),
    ).toEqual([]);
    expect(log.filter((r) => r.event === 'backup').map((r) => `${r.host} ${String(r.online)}`)).toEqual([
      'A true',
    ]);
    // the new standby reads the MPP system's dmmpp.ctl (7.4.5.4): the same bytes as the primary's
    const sum = async (h: string, p: string) => (await lab().sh(h, `sha256sum ${p}`)).stdout.split(/\s+/)[0];
    expect(await sum('D', '/dm/data/EP12/DAMENG/dmmpp.ctl')).toBe(
      await sum('A', '/dm/data/EP01/DAMENG/dmmpp.ctl'),
    );
    // the proxy on E: one SP_DCP_ADD_INST, for the new EP only, after the standby joined; nothing cleared
    const onE = log.filter((r) => r.host === 'E' && r.event === 'exec' && r.ok === true);
    const dcpCalls = onE.map((r) => String(r.stmt)).filter((x) => /^SP_DCP_(ADD|CLEAR)_INST/.test(x));
    expect(dcpCalls).toHaveLength(1);
    // at the address the proxy registers (private by default) and the standby's PORT_NUM
    expect(dcpCalls[0]).toBe(
      `SP_DCP_ADD_INST('GRP1_MPP_EP12', '${d.private}', ${String(g1.standbys[0]?.port)})`,
    );
    const refreshed = log.findIndex(
      (r) => r.host === 'E' && r.event === 'exec' && /^SP_DCP_REFRESH_CONFIG/.test(String(r.stmt)),
    );
    expect(refreshed).toBeGreaterThan(seen('EP01', /^ALTER DATABASE OPEN FORCE$/));
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.proxies?.map((p) => [p.instance, p.insts.map((x) => x.split('=')[0]).sort(), p.live])).toEqual([
      [
        'DCP1',
        ['GRP1_MPP_EP01', 'GRP1_MPP_EP11', 'GRP1_MPP_EP12', 'GRP2_MPP_EP02', 'GRP2_MPP_EP22'],
        ['GRP1_MPP_EP01:0', 'GRP2_MPP_EP02:1'],
      ],
    ]);
    await expectConverged(lab(), grown as ClusterSpec, specFile, tf, [
      'GRP1 GRP1_MPP_EP01 PRIMARY OPEN',
      'GRP1 GRP1_MPP_EP11 STANDBY OPEN',
      'GRP1 GRP1_MPP_EP12 STANDBY OPEN',
      'GRP2 GRP2_MPP_EP02 PRIMARY OPEN',
      'GRP2 GRP2_MPP_EP22 STANDBY OPEN',
    ]);
  }, 900_000);

  it('GRP1_MPP_EP12 marked removed leaves GRP1 online; the proxy clears its row; GRP2 is not touched', async () => {
    const [g1, g2] = grown.groups;
    if (!g1 || !g2) throw new Error('two groups');
    const shrunk = {
      ...grown,
      groups: [
        {
          ...g1,
          standbys: g1.standbys.map((x) => (x.name === 'GRP1_MPP_EP12' ? { ...x, removed: true } : x)),
        },
        g2,
      ],
    };
    const { log, ran } = await applyEdited(shrunk);
    // detached and stopped through the monitor (§6.18), then DELETE ARCHIVELOG in GRP1 only
    const del = /^ALTER DATABASE DELETE ARCHIVELOG 'DEST=GRP1_MPP_EP12'$/;
    expect(ran('EP01', del)).toBeGreaterThan(ran('EP01', /^ALTER DATABASE MOUNT$/));
    expect(ran('EP11', del)).toBeGreaterThan(ran('EP11', /^ALTER DATABASE MOUNT$/));
    for (const inst of ['EP02', 'EP22'])
      expect(ran(inst, /^ALTER DATABASE (MOUNT|DELETE ARCHIVELOG)/), inst).toBe(-1);
    expect(log.filter((r) => r.event === 'hazard').map((r) => r.reason)).toEqual([]);
    expect(
      log
        .filter((r) => r.host === 'D' && r.tool === 'dmserver' && r.event === 'shutdown')
        .map((r) => r.normal),
    ).toEqual([true]);
    expect(lab().findProcesses('D', /dmsim\.cjs (dmserver|dmwatcher)/)).toEqual([]);
    // the proxy: one SP_DCP_CLEAR_INST, for the standby that left, then a refresh
    const onE = log
      .filter((r) => r.host === 'E' && r.event === 'exec' && r.ok === true)
      .map((r) => String(r.stmt));
    expect(onE.filter((x) => /^SP_DCP_(ADD|CLEAR)_INST/.test(x))).toEqual([
      "SP_DCP_CLEAR_INST('GRP1_MPP_EP12')",
    ]);
    expect(onE.some((x) => /^SP_DCP_REFRESH_CONFIG/.test(x))).toBe(true);
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.proxies?.map((p) => p.insts.map((x) => x.split('=')[0]).sort())).toEqual([
      ['GRP1_MPP_EP01', 'GRP1_MPP_EP11', 'GRP2_MPP_EP02', 'GRP2_MPP_EP22'],
    ]);
    await expectConverged(lab(), shrunk as ClusterSpec, specFile, tf, [
      'GRP1 GRP1_MPP_EP01 PRIMARY OPEN',
      'GRP1 GRP1_MPP_EP11 STANDBY OPEN',
      'GRP2 GRP2_MPP_EP02 PRIMARY OPEN',
      'GRP2 GRP2_MPP_EP22 STANDBY OPEN',
    ]);
  }, 900_000);

  it('destroy stops the proxy, then every instance in §6.4 order', async () => {
    const from = Date.now();
    await tf.destroy();
    const stopped = readLogs(lab(), HOSTS).filter((r) => Date.parse(String(r.t)) >= from);
    // the proxy goes first: a client of the MPP system (seed 001 gives no order; it only serves it)
    const shutdowns = stopped.filter((r) => r.tool === 'dmserver' && r.event === 'shutdown');
    expect(shutdowns[0]?.host).toBe('E');
    expect(shutdowns.filter((r) => r.host === 'E')).toHaveLength(1);
    const log = stopped.filter((r) => r.host !== 'E');
    const who = byInstance(all);
    const primaries = new Set(['EP01', 'EP02']);
    // the primaries' hosts hold standbys too: name each shutdown by its instance
    const t = teardownSequence(
      log.map((r) =>
        r.tool === 'dmserver' ? { ...r, host: primaries.has(who(r)) ? 'PRIMARY' : r.host } : r,
      ),
      from,
      ['PRIMARY'],
    );
    // GRP1_MPP_EP12 left before: two standbys to stop
    expect(t.seq.filter((x) => x === 'standby server')).toHaveLength(2);
    expect(t.seq.filter((x) => x === 'primary server')).toHaveLength(2);
    expect(t.seq.indexOf('primary server')).toBeGreaterThan(t.seq.lastIndexOf('monitor'));
    expect(t.seq.lastIndexOf('primary server')).toBeLessThan(t.seq.indexOf('standby server'));
    expect(t.allNormal).toBe(true);
    for (const h of HOSTS)
      expect(lab().findProcesses(h, /dmsim\.cjs (dmserver|dmwatcher|dmmonitor)/), h).toEqual([]);
  }, 300_000);
});
