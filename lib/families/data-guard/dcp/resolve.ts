/** An MppGroup's `dcp` block -> the DCP model: paths, ports allocated per host. Pure. */
import path from 'node:path/posix';
import { DEFAULTS } from '../../../spec/defaults';
import type { DcpModel, DcpProxyModel } from './model';
import type { DcpSpec } from './schema';

/** 001's tables and 6.1.5: PORT_NUM from 5236, DCP_PORT_NUM 5239 (001:L346, L454). */
export const DCP_PORT_BASE = { port: 5236, dcpPort: 5239 } as const;

/**
 * `taken`: the ports already in use per host (every instance's and monitor's). Omitted ports get
 * the lowest free port at or above their base on the proxy's host.
 */
export function resolveDcp(
  spec: DcpSpec,
  dmHome: string,
  taken: ReadonlyMap<string, ReadonlySet<number>>,
): DcpModel {
  const used = new Map<string, Set<number>>([...taken].map(([h, s]) => [h, new Set(s)]));
  const usedOn = (h: string) => used.get(h) ?? used.set(h, new Set()).get(h) ?? new Set<number>();
  for (const p of spec.proxies)
    for (const v of [p.port, p.dcpPort]) if (v !== undefined) usedOn(p.host).add(v);
  const next = (host: string, base: number) => {
    const s = usedOn(host);
    let c = base;
    while (s.has(c)) c++;
    s.add(c);
    return c;
  };
  const proxies = spec.proxies.map((p, i): DcpProxyModel => {
    const initPath = p.path ?? path.join(dmHome, 'data', p.name.toLowerCase());
    return {
      name: p.name,
      host: p.host,
      specPath: `dcp.proxies[${i}]`,
      initPath,
      dbName: DEFAULTS.dbName,
      iniPath: path.join(initPath, DEFAULTS.dbName, 'dm.ini'),
      port: p.port ?? next(p.host, DCP_PORT_BASE.port),
      dcpPort: p.dcpPort ?? next(p.host, DCP_PORT_BASE.dcpPort),
      explicitPorts: { port: p.port !== undefined, dcpPort: p.dcpPort !== undefined },
      removed: p.removed ?? false,
    };
  });
  const loginUser = spec.loginUser ?? 'SYSDBA';
  return {
    proxies,
    serviceName: spec.serviceName ?? 'dcp',
    loginUser,
    ...(spec.poolSize !== undefined ? { poolSize: spec.poolSize } : {}),
    register: spec.register ?? 'private',
  };
}
