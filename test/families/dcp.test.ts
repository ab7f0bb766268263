/** DCP proxies on an MppGroup (seed 001): ports, the proxies' dm.ini keys, the clients' service. Pure. */
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../lib/validate';
import { renderCluster } from '../../lib/render';
import { isMpp, type MppClusterModel } from '../../lib/families/data-guard/model';
import { mppGroup } from '../support/specs';
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
  it('are refused until their steps are built, and nothing else is wrong with the 001 6.3 layout', () => {
    const f = validateSpec(
      withDcp({
        proxies: [
          { name: 'DCP1', host: 'D' },
          { name: 'DCP2', host: 'E' },
        ],
      }),
    ).findings;
    expect(f.map((x) => `${x.severity} ${x.code} ${x.path}`)).toEqual(['error DCP_NOT_BUILT dcp']);
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
