/**
 * The DCP proxies' files (seed 001): each proxy's dm.ini keys (there is no dmdcp.ini, 001:L138),
 * and the clients' dm_svc.conf service over every proxy's PORT_NUM (001 6.3, L1471). Pure.
 */
import type { HostModel } from '../../../spec/model';
import { writeIni, type IniEntry } from '../../../render/ini';
import { hostPort, type RenderedFile } from '../../../render/file';
import type { DcpModel, DcpProxyModel } from './model';

/** The keys dmdeploy sets in the dm.ini dminit wrote: 001 6.1.5 (L449-456), DCP_CONN_POOL_SIZE L197. */
export function renderDcpDmIni(dcp: DcpModel, p: DcpProxyModel): IniEntry[] {
  return [
    ['INSTANCE_NAME', p.name],
    ['PORT_NUM', p.port],
    ['ENABLE_DCP_MODE', 1],
    ['DCP_PORT_NUM', p.dcpPort],
    ...(dcp.poolSize !== undefined ? [['DCP_CONN_POOL_SIZE', dcp.poolSize] as IniEntry] : []),
  ];
}

/** The proxies that serve: every one not marked removed. */
export const servingProxies = (dcp: DcpModel): DcpProxyModel[] => dcp.proxies.filter((p) => !p.removed);

export function renderDcpFiles(dcp: DcpModel): RenderedFile[] {
  return servingProxies(dcp).map((p) => ({
    host: p.host,
    instance: p.name,
    path: p.iniPath,
    role: 'dm.ini',
    kind: 'ini-patch',
    content: writeIni({ globals: renderDcpDmIni(dcp, p), sections: [] }),
  }));
}

/** Each proxy's PORT_NUM at its host's public address: where clients connect (001 6.3). */
export function dcpAddresses(
  dcp: DcpModel,
  hosts: Readonly<Record<string, HostModel>>,
): { name: string; address: string }[] {
  return servingProxies(dcp).map((p) => ({
    name: p.name,
    address: hostPort(hosts[p.host]?.public ?? p.host, p.port),
  }));
}

/** `<service>=(ip:port,...)` over every proxy's PORT_NUM (001:L1471). */
export function renderDcpDmSvc(dcp: DcpModel, hosts: Readonly<Record<string, HostModel>>): string[] {
  if (!servingProxies(dcp).length) return [];
  return [
    '# DCP proxies (001 6.3): clients connect through them, not to the EPs',
    `${dcp.serviceName}=(${dcpAddresses(dcp, hosts)
      .map((a) => a.address)
      .join(',')})`,
  ];
}
