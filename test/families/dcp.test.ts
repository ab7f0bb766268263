/** DCP proxies on an MppGroup (seed 001): ports, the proxies' dm.ini keys, the clients' service. Pure. */
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../lib/validate';
import { renderCluster } from '../../lib/render';
import { isMpp, type MppClusterModel } from '../../lib/families/data-guard/model';
import { mppGroup } from '../support/specs';
import { planCluster, teardownBefore } from '../../lib/plan';
import { dcpDiff, dcpPortIn } from '../../lib/steps/kinds/dcp';
import {
  deployedRecord,
  formatChange,
  judgeLiveChanges,
  liveChanges,
} from '../../lib/families/data-guard/plan/deployed';
import type { DcpSpec } from '../../lib/families/data-guard/dcp/schema';

type Spec = ReturnType<typeof mppGroup>;
function withDcp(dcp: DcpSpec, hosts: Record<string, { address: string }> = {}): Spec {
  const s: Spec = mppGroup();
  Object.assign(s.hosts, { D: { address: '198.18.1.34' }, E: { address: '198.18.1.35' } }, hosts);
  s.dcp = dcp;
  return s;
}
function model(s: Spec): MppClusterModel {
  const v = validateSpec(s);
  if (!v.model || v.model.kind !== 'MppGroup' || !isMpp(v.model)) throw new Error('not an MppGroup');
  return v.model;
}

describe('DCP proxies', () => {
  it('the 001 6.3 layout (two proxies, each on a host of its own) has no finding', () => {
    const f = validateSpec(
      withDcp({
        proxies: [
          { name: 'DCP1', host: 'D' },
          { name: 'DCP2', host: 'E' },
        ],
      }),
    ).findings;
    expect(f.map((x) => `${x.severity} ${x.code} ${x.path}`)).toEqual([]);
  });

  it('omitted ports: PORT_NUM from 5236 and DCP_PORT_NUM from 5239 on their host, around what the EPs use', () => {
    const m = model(
      withDcp({
        proxies: [
          { name: 'DCP1', host: 'D' },
          { name: 'DCP2', host: 'A' },
          { name: 'DCP3', host: 'D', port: 5237 },
        ],
      }),
    );
    const ep = m.groups.flatMap((g) => g.databases.flatMap((d) => d.instances)).filter((i) => i.host === 'A');
    const taken = new Set(ep.flatMap((i) => [i.port, i.malPort, i.malDwPort, i.instDwPort]));
    expect(m.dcp?.proxies.map((p) => [p.name, p.port, p.dcpPort])).toEqual([
      ['DCP1', 5236, 5239],
      ['DCP2', expect.any(Number), expect.any(Number)],
      ['DCP3', 5237, 5240],
    ]);
    const dcp2 = m.dcp?.proxies[1];
    expect(taken.has(dcp2?.port ?? 0) || taken.has(dcp2?.dcpPort ?? 0)).toBe(false);
    expect(m.dcp).toMatchObject({ serviceName: 'dcp', loginUser: 'SYSDBA', register: 'private' });
  });

  it("each proxy's dm.ini gets ENABLE_DCP_MODE, DCP_PORT_NUM and the pool size (001 6.1.5, L197); EPs get none", () => {
    const files = renderCluster(
      model(withDcp({ poolSize: 200, proxies: [{ name: 'DCP1', host: 'D', port: 5238, dcpPort: 5239 }] })),
    );
    const ini = files.find((f) => f.instance === 'DCP1' && f.role === 'dm.ini');
    expect(ini).toMatchObject({ host: 'D', path: '/dm/data/dcp1/DAMENG/dm.ini', kind: 'ini-patch' });
    expect(ini?.content).toMatch(/^INSTANCE_NAME\s*=\s*DCP1$/m);
    expect(ini?.content).toMatch(/^PORT_NUM\s*=\s*5238$/m);
    expect(ini?.content).toMatch(/^ENABLE_DCP_MODE\s*=\s*1$/m);
    expect(ini?.content).toMatch(/^DCP_PORT_NUM\s*=\s*5239$/m);
    expect(ini?.content).toMatch(/^DCP_CONN_POOL_SIZE\s*=\s*200$/m);
    for (const f of files.filter((x) => x.role === 'dm.ini' && x.instance !== 'DCP1'))
      expect(f.content, f.instance).not.toMatch(/DCP/);
  });

  it("the clients get a service over every proxy's PORT_NUM (001 6.3: dcp=(ip:port,ip:port))", () => {
    const svc = renderCluster(
      model(
        withDcp({
          proxies: [
            { name: 'DCP1', host: 'D', port: 5236 },
            { name: 'DCP2', host: 'E', port: 5236 },
          ],
        }),
      ),
    ).find((f) => f.role === 'dm_svc.conf');
    expect(svc?.content).toContain('dcp=(198.18.1.34:5236,198.18.1.35:5236)\n');
    // without proxies the entry is what it was
    const plain = renderCluster(model(mppGroup())).find((f) => f.role === 'dm_svc.conf');
    expect(plain?.content).not.toContain('dcp=');
  });
});

describe('the DCP plan (001 6.2)', () => {
  const m = model(
    withDcp({
      poolSize: 50,
      proxies: [
        { name: 'DCP1', host: 'D', port: 5238, dcpPort: 5239 },
        { name: 'DCP2', host: 'E' },
      ],
    }),
  );
  const plan = planCluster(m);
  const step = (id: string) => {
    const s = plan.steps.find((x) => x.id === id);
    if (!s) throw new Error(`no step ${id}`);
    return s;
  };

  it('per proxy: dminit, its dm.ini, its start once the MPP system is verified, then its registration', () => {
    for (const p of ['DCP1', 'DCP2']) {
      expect(step(`${p}/dminit`).after).toEqual(['cluster/preflight']);
      expect(step(`${p}/config`).after).toEqual([`${p}/dminit`]);
      expect(step(`${p}/start`).after).toEqual([`${p}/config`, 'cluster/verify']);
      expect(step(`${p}/register`).after).toEqual([`${p}/start`]);
    }
    const ids = plan.steps.map((s) => s.id);
    expect(ids.indexOf('DCP1/register')).toBeGreaterThan(ids.indexOf('cluster/verify'));
    expect(plan.steps).toHaveLength(planCluster(model(mppGroup())).steps.length + 8);
  });

  it('registers every primary and standby at its internal address and PORT_NUM; V$DCPINSTS wants the primaries by MPP_SEQ_NO', () => {
    const p = step('DCP1/register').params;
    if (p.kind !== 'dcp-register') throw new Error(p.kind);
    expect(p).toMatchObject({ dcpPort: 5239, port: 5238, loginUser: 'SYSDBA' });
    const ep = (name: string) =>
      m.groups.flatMap((g) => g.databases.flatMap((d) => d.instances)).find((i) => i.name === name);
    expect(p.insts.map((i) => i.name)).toEqual(['EP01', 'EP11', 'EP02', 'EP22']);
    expect(p.insts[0]).toEqual({ name: 'EP01', ip: '198.18.0.31', port: ep('EP01')?.port, epNo: 0 });
    // a standby carries its MPP node's MPP_SEQ_NO: the EPNO it shows once it runs as the primary
    expect(p.insts.map((i) => i.epNo)).toEqual([0, 0, 1, 1]);
    expect(p.primaries).toEqual([
      { name: 'EP01', epNo: 0 },
      { name: 'EP02', epNo: 1 },
    ]);
    // the password is read by the step at run time: it is in no step's parameters
    expect(JSON.stringify(plan)).not.toMatch(/password"\s*:\s*"(?!\{)/i);
  });

  it('preflight checks both ports and the path of each proxy', () => {
    const p = step('cluster/preflight').params;
    if (p.kind !== 'preflight') throw new Error(p.kind);
    expect(p.ports.filter((x) => x.owner === 'DCP1').map((x) => x.port)).toEqual([5238, 5239]);
    expect(p.paths).toContainEqual({ host: 'E', path: '/dm/data/dcp2' });
  });

  it("teardown stops the proxies first, SHUTDOWN over DCP_PORT_NUM (PORT_NUM sessions are an EP's)", () => {
    const first = plan.teardown.filter((s) => s.phase === 'stop-proxy');
    expect(first.map((s) => [s.id, s.params.kind === 'stop-server' ? s.params.port : 0])).toEqual([
      ['DCP1/stop-server', 5239],
      ['DCP2/stop-server', 5239],
    ]);
    for (const s of plan.teardown.filter((x) => x.phase !== 'stop-proxy'))
      for (const f of first) expect(teardownBefore(f, s), `${f.id} before ${s.id}`).toBe(true);
  });
});

describe('a proxy marked removed (001 6.3: each proxy is independent)', () => {
  const both = withDcp({
    proxies: [
      { name: 'DCP1', host: 'D' },
      { name: 'DCP2', host: 'E' },
    ],
  });
  const retiring = withDcp({
    proxies: [
      { name: 'DCP1', host: 'D' },
      { name: 'DCP2', host: 'E', removed: true },
    ],
  });
  const m = model(retiring);
  const plan = planCluster(m);

  it('keeps its name and ports, so the other proxies keep theirs', () => {
    expect(validateSpec(retiring).findings).toEqual([]);
    const ports = (x: MppClusterModel) => x.dcp?.proxies.map((p) => [p.name, p.port, p.dcpPort]);
    expect(ports(m)).toEqual(ports(model(both)));
    const dup = withDcp({
      proxies: [
        { name: 'DCP1', host: 'D', removed: true },
        { name: 'DCP1', host: 'E' },
      ],
    });
    expect(validateSpec(dup).findings.map((f) => f.code)).toContain('DCP_NAME');
  });

  it('gets one step: SHUTDOWN over its DCP_PORT_NUM after preflight; no dminit, dm.ini, start or registration', () => {
    const ids = plan.steps.filter((s) => s.id.startsWith('DCP2/')).map((s) => s.id);
    expect(ids).toEqual(['DCP2/retire']);
    const retire = plan.steps.find((s) => s.id === 'DCP2/retire');
    expect(retire).toMatchObject({
      host: 'E',
      phase: 'proxy-retire',
      after: ['cluster/preflight'],
      params: { kind: 'dcp-retire', instance: 'DCP2', port: m.dcp?.proxies[1]?.dcpPort },
    });
    // DCP1 is planned as before
    const dcp1 = (p: typeof plan) => p.steps.filter((s) => s.id.startsWith('DCP1/'));
    expect(dcp1(plan)).toEqual(dcp1(planCluster(model(both))));
    // its ports are its own while it runs: preflight does not check them; teardown still stops it
    const pre = plan.steps.find((s) => s.id === 'cluster/preflight')?.params;
    if (pre?.kind !== 'preflight') throw new Error('no preflight');
    expect(pre.ports.filter((x) => x.owner === 'DCP2')).toEqual([]);
    expect(plan.teardown.map((s) => s.id)).toContain('DCP2/stop-server');
  });

  it('leaves dm_svc.conf and its dm.ini leaves the rendered files; with every proxy removed there is no dcp service', () => {
    const files = renderCluster(m);
    expect(files.filter((f) => f.instance === 'DCP2')).toEqual([]);
    const svc = files.find((f) => f.role === 'dm_svc.conf')?.content ?? '';
    expect(svc).toMatch(/^dcp=\(198\.18\.1\.34:\d+\)$/m);
    const none = renderCluster(
      model(withDcp({ proxies: [{ name: 'DCP1', host: 'D', removed: true }] })),
    ).find((f) => f.role === 'dm_svc.conf');
    expect(none?.content).not.toContain('dcp=');
  });

  it('on a running cluster: its dm.ini going is allowed with the retire step, refused without one', () => {
    const before = deployedRecord(planCluster(model(both)));
    const after = deployedRecord(plan);
    const changes = liveChanges(before, after);
    expect(changes).toEqual([expect.objectContaining({ kind: 'file', owner: 'DCP2', removed: true })]);
    const ok = judgeLiveChanges(changes, new Set(['DCP2']), new Set(['DCP2']));
    expect(ok.refused).toEqual([]);
    expect(ok.allowed.map(formatChange)).toEqual([
      expect.stringMatching(/^DCP proxy DCP2 on E, marked removed: stopped/),
    ]);
    // deleted from the spec instead: nothing would stop it
    const gone = judgeLiveChanges(changes, new Set(['DCP2']));
    expect(gone.refused.map((r) => [r.code, r.fix])).toEqual([
      ['LIVE_FILE_SET_CHANGED', expect.stringContaining('removed: true')],
    ]);
  });
});

describe("the proxy's view against the spec", () => {
  const params = {
    kind: 'dcp-register' as const,
    instance: 'DCP1',
    iniPath: '/dm/data/dcp1/DAMENG/dm.ini',
    port: 5238,
    dcpPort: 5239,
    loginUser: 'SYSDBA',
    insts: [
      { name: 'EP01', ip: '10.0.0.1', port: 5236, epNo: 0 },
      { name: 'EP11', ip: '10.0.0.2', port: 5236, epNo: 0 },
    ],
    primaries: [{ name: 'EP01', epNo: 0 }],
  };
  it('adds what is missing, clears what the spec lacks or lists elsewhere; a stale refresh and a missing login are seen', () => {
    const d = dcpDiff(params, {
      insts: new Map([
        ['EP01', '10.0.0.9:5236'],
        ['EP99', '10.0.0.5:5236'],
      ]),
      live: new Map([['EP11', 1]]),
    });
    expect(d.add.map((i) => i.name)).toEqual(['EP01', 'EP11']);
    expect(d.clear).toEqual(['EP01', 'EP99']);
    expect(d).toMatchObject({ login: true, stale: true, live: ['EP11:1'], nodes: [0] });
  });
  it('nothing to do when the tables are the spec', () => {
    const d = dcpDiff(params, {
      insts: new Map([
        ['EP01', '10.0.0.1:5236'],
        ['EP11', '10.0.0.2:5236'],
      ]),
      login: 'SYSDBA',
      live: new Map([['EP01', 0]]),
    });
    expect(d).toMatchObject({ add: [], clear: [], login: false, stale: false });
  });
  it("after a switchover the group's standby in its node's row is no stale view; a wrong EPNO, a missing node or a stranger is", () => {
    const view = (live: [string, number][]) =>
      dcpDiff(params, {
        insts: new Map([
          ['EP01', '10.0.0.1:5236'],
          ['EP11', '10.0.0.2:5236'],
        ]),
        login: 'SYSDBA',
        live: new Map(live),
      }).stale;
    expect(view([['EP11', 0]])).toBe(false);
    expect(view([['EP11', 1]])).toBe(true);
    expect(view([])).toBe(true);
    expect(view([['EP99', 0]])).toBe(true);
    expect(
      view([
        ['EP01', 0],
        ['EP11', 0],
      ]),
    ).toBe(true);
  });
});

describe('dcpPortIn', () => {
  it("is a proxy's DCP_PORT_NUM, and nothing for a server that is no proxy", () => {
    expect(dcpPortIn('PORT_NUM = 5238\nENABLE_DCP_MODE = 1\nDCP_PORT_NUM = 5239\n')).toBe(5239);
    expect(dcpPortIn('PORT_NUM = 5236\nDCP_PORT_NUM = 5239\n')).toBeUndefined();
    expect(dcpPortIn('ENABLE_DCP_MODE = 0\nDCP_PORT_NUM = 5239\n')).toBeUndefined();
    expect(dcpPortIn('ENABLE_DCP_MODE = 1\n')).toBeUndefined();
  });
});

describe("a running proxy's changed dm.ini", () => {
  const change = (o: { dynamic?: boolean; staticParams?: string[] }) => ({
    kind: 'file' as const,
    owner: 'DCP1',
    host: 'D',
    path: '/dm/data/dcp1/DAMENG/dm.ini',
    what: 'DCP_PORT_NUM 5239 -> 5439',
    settings: [['DCP_PORT_NUM', '5439']] as [string, string][],
    proxy: true,
    ...o,
  });
  const running = new Set(['DCP1']);

  it('a dynamic setting (DCP_CONN_POOL_SIZE, 001:L197) is taken online', () => {
    const j = judgeLiveChanges([change({ dynamic: true })], running);
    expect(j.refused).toEqual([]);
    expect(j.allowed).toHaveLength(1);
  });

  it('a port is refused without restarts: rolling, whose fix names the proxies restart, not a group of single-instance databases', () => {
    const j = judgeLiveChanges([change({ staticParams: ['DCP_PORT_NUM (TYPE IN FILE)'] })], running);
    expect(j.refused.map((r) => r.code)).toEqual(['LIVE_RESTART_NEEDED']);
    expect(j.refused[0]?.what).toMatch(/not dynamic: DCP_PORT_NUM \(TYPE IN FILE\)/);
    expect(j.refused[0]?.fix).toMatch(
      /set restarts: rolling: a DCP proxy reads its ports and mode at its start, and dmdeploy then restarts the proxies one at a time/,
    );
    expect(j.refused[0]?.fix).not.toMatch(/single-instance/);
  });

  it('with restarts: rolling a port is written, and the proxy restarted to read it, one proxy at a time', () => {
    const c = change({ staticParams: ['DCP_PORT_NUM (TYPE IN FILE)'] });
    const j = judgeLiveChanges([c], running, new Set(), new Set(['DCP1']));
    expect(j.refused).toEqual([]);
    expect(j.allowed).toEqual([{ ...c, restart: true }]);
    expect(formatChange({ ...c, restart: true })).toMatch(
      /then DCP proxy DCP1 is shut down and started again to read it, one proxy at a time \(restarts: rolling\)/,
    );
  });

  it('restarts: rolling chains the proxies: each starts after the one before it serves again', () => {
    const spec = withDcp({
      proxies: [
        { name: 'DCP1', host: 'D' },
        { name: 'DCP2', host: 'E' },
      ],
    });
    spec.restarts = 'rolling';
    const v = validateSpec(spec);
    if (!v.model) throw new Error(JSON.stringify(v.findings));
    const steps = planCluster(v.model).steps;
    const start = (n: string) => steps.find((x) => x.id === `${n}/start`);
    expect(start('DCP1')?.after).not.toContain('DCP1/register');
    expect(start('DCP2')?.after).toContain('DCP1/register');
    expect(start('DCP2')?.params).toMatchObject({ kind: 'dcp-start', rolling: true });
  });
});
