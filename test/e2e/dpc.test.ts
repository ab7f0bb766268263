/**
 * 003 7.1 on lab hosts, through the synthesized stack and real Terraform: the single-replica
 * DMDPC system of examples/7.1-dpc-single-replica.yaml (MP, two BPs, SP1; the manual's names and
 * ports), its four instances spread over two hosts, two per host. An apply killed after step k
 * resumes; a second apply does nothing; status shows every node OPEN; destroy stops the SP, then
 * the BPs, then the MP, every one normally; the password is nowhere.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterSpec } from '../../lib/spec/schema';
import { planCluster, type Plan } from '../../lib/plan';
import { validateSpec } from '../../lib/validate';
import { installOnHosts, killOurProcesses, PASSWORD } from '../dmsim/lab-harness';
import { labAvailabilityForTests, useLab } from '../lab/vitest';
import { terraformForTests } from '../tf/availability';
import { TfCrash, type TfRunner } from '../tf';
import { mutatingCommands, perInstance, readLogs } from './dmsim-log';
import { dmdeployStatus, filesNotAsRendered, filesUnder, synthStack } from './stack';
import type { Lab } from '../lab/lab';

const avail = labAvailabilityForTests();
const terraform = terraformForTests();
const HOSTS = ['DPC_A', 'DPC_B'];
/** The manual puts all four on one machine; here two per host: MP and SP1 on DPC_A, the BPs on DPC_B. */
const PLACE: Record<string, string> = { MP: 'DPC_A', SP1: 'DPC_A', BP1: 'DPC_B', BP2: 'DPC_B' };

function dpcSpec(lab: Lab): ClusterSpec {
  const s = parse(
    readFileSync(path.join(__dirname, '../../examples/7.1-dpc-single-replica.yaml'), 'utf8'),
  ) as Record<string, unknown> & {
    mp: { replicas: { name: string; host: string }[] };
    bp: { replicas: { name: string; host: string }[] }[];
    sp: { name: string; host: string }[];
  };
  const hosts: Record<string, unknown> = {};
  for (const h of HOSTS) {
    const x = lab.host(h);
    hosts[h] = { address: x.public, public: x.public, private: x.private };
  }
  for (const n of [...s.mp.replicas, ...s.bp.flatMap((g) => g.replicas), ...s.sp])
    n.host = PLACE[n.name] ?? n.host;
  return {
    ...s,
    hosts,
    ssh: {
      user: lab.descriptor.user,
      privateKeyPath: lab.descriptor.privateKeyPath,
      knownHostsPath: lab.descriptor.knownHostsPath,
    },
  } as unknown as ClusterSpec;
}

describe.skipIf(!avail.ok || !terraform.ok)('003 7.1: a single-replica DpcCluster', () => {
  const lab = useLab({ name: 'e2edpc71', hosts: HOSTS }, 90_000);
  let dir = '';
  let specFile = '';
  let tf: TfRunner;
  let output: string[] = [];
  let plan: Plan;
  let spec: ClusterSpec;
  const log = () => readLogs(lab(), HOSTS);

  beforeAll(() => {
    const l = lab();
    installOnHosts(l, HOSTS);
    spec = dpcSpec(l);
    const v = validateSpec(spec);
    if (!v.model) throw new Error(`spec invalid: ${JSON.stringify(v.findings)}`);
    plan = planCluster(v.model);
    ({ dir, specFile, tf, output } = synthStack('dpc71', spec, 'DPC1'));
  }, 60_000);

  afterAll(async () => {
    await killOurProcesses(lab(), HOSTS).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('an apply killed after step k resumes and finishes; each node is initialised once', async () => {
    expect(plan.steps).toHaveLength(15);
    // after a dminit, after the MP's start, after the registration
    const at = (id: string) => plan.steps.findIndex((s) => s.id === id) + 1;
    const ks = [2, at('MP/start'), at('cluster/register')];
    let done = 0;
    for (const k of ks) {
      const err = await tf.apply({ crashAfter: k - done, parallelism: 1 }).catch((e: unknown) => e);
      expect(err, `crash after ${k}`).toBeInstanceOf(TfCrash);
      done = k;
    }
    await tf.apply().catch((e: unknown) => {
      throw new Error(`${String(e)}\n${output.slice(-40).join('\n')}`);
    });
    const inits = perInstance(log(), 'dminit');
    expect(inits.size).toBe(4);
    expect([...inits.values()]).toEqual([1, 1, 1, 1]);
  }, 600_000);

  it('registered in the seed order: the MP first, each RAFT group before its instance, BG_1 before ADD_RAFT', () => {
    const calls = log()
      .filter((r) => r.event === 'exec' && r.ok === true && /^SP_/.test(String(r.stmt)))
      .map(
        (r) => String(r.stmt).replace(/\(.*$/, '') + ' ' + (/'([^']*)'/.exec(String(r.stmt))?.[1] ?? 'NULL'),
      );
    expect(calls[0]).toMatch(/^SP_CREATE_DPC_INSTANCE /);
    expect(calls).toHaveLength(10);
    const i = (c: string) => calls.indexOf(c);
    expect(i('SP_CREATE_DPC_RAFT BP')).toBeLessThan(i('SP_CREATE_DPC_INSTANCE RAFT_1'));
    expect(i('SP_CREATE_DPC_BP_GROUP BG_1')).toBeLessThan(i('SP_BP_GROUP_ADD_RAFT BG_1'));
    // every SP and BP starts after the registration (003 7.1.4's note)
    const lastReg = Math.max(
      ...log().map((r, n) => (r.event === 'exec' && /^SP_/.test(String(r.stmt)) ? n : -1)),
    );
    const starts = log()
      .map((r, n) => [r, n] as const)
      .filter(([r]) => r.tool === 'dmserver' && r.event === 'start');
    expect(starts).toHaveLength(4);
    for (const [r, n] of starts)
      if (r.host === 'DPC_B' || /SP1/.test(String(r.ini))) expect(n).toBeGreaterThan(lastReg);
  });

  it('status: every node OPEN, the SP lists every instance; every file as rendered', async () => {
    const s = await dmdeployStatus(specFile);
    expect(s.problems).toEqual([]);
    expect(s.healthy).toBe(true);
    expect(
      s.groups
        .flatMap((g) => g.databases.map((d) => `${g.name} ${d.instance} ${d.role} ${String(d.status)}`))
        .sort(),
    ).toEqual(['MP_RAFT MP MP OPEN', 'RAFT_1 BP1 BP OPEN', 'RAFT_2 BP2 BP OPEN', 'RAFT_SP1 SP1 SP OPEN']);
    expect(await filesNotAsRendered(lab(), spec)).toEqual([]);
  }, 120_000);

  it('a second apply changes nothing on the hosts', async () => {
    const p = await tf.plan();
    expect([p.create, p.replace, p.destroy]).toEqual([[], [], []]);
    const before = mutatingCommands(log()).length;
    await tf.apply();
    expect(
      mutatingCommands(log())
        .slice(before)
        .map((r) => `${r.host} ${String(r.tool)} ${String(r.event)}`),
    ).toEqual([]);
  }, 300_000);

  it('destroy stops SP1, then the BPs, then the MP, each normally; the password is nowhere', async () => {
    const from = Date.now();
    await tf.destroy();
    const since = log().filter((r) => Date.parse(String(r.t)) >= from && r.tool === 'dmserver');
    expect(since.filter((r) => r.event === 'halt')).toEqual([]);
    const stops = since.filter((r) => r.event === 'shutdown');
    const order = stops.map((r) => String(r.instance));
    expect(order.slice(0, 1)).toEqual(['SP1']);
    expect([...order.slice(1, 3)].sort()).toEqual(['BP1', 'BP2']);
    expect(order.slice(3)).toEqual(['MP']);
    expect(stops.every((r) => r.normal === true)).toBe(true);
    for (const h of HOSTS) expect(lab().findProcesses(h, /dmsim\.cjs dmserver/), h).toEqual([]);
    const places: [string, string][] = [
      ...filesUnder(path.join(dir, 'cdktf.out')).map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
      ...filesUnder(dir)
        .filter((f) => /tfstate|dmdeploy\.log/.test(f))
        .map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
      ['provisioner output', output.join('\n')],
      ...HOSTS.map((h): [string, string] => [h, readFileSync(lab().dmPath(h, '/dm/dmsim.log'), 'utf8')]),
    ];
    expect(places.filter(([, t]) => t.includes(PASSWORD)).map(([w]) => w)).toEqual([]);
  }, 300_000);
});
