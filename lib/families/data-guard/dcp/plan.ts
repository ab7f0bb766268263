/**
 * The DCP proxies' steps (seed 001 6.2, L1386-1460), once the MPP system is verified: per proxy
 * dminit, its dm.ini keys, its start, then its EP list, login and refresh over DCP_PORT_NUM.
 * Teardown stops the proxies first, over DCP_PORT_NUM (a SHUTDOWN sent to PORT_NUM would go to
 * an EP). Pure.
 */
import path from 'node:path/posix';
import type { RenderedFile } from '../../../render/file';
import { fileOf } from '../../../render/file';
import type { Step } from '../../../plan/step';
import { isGuardMember, type MppClusterModel } from '../model';
import type { DcpProxyModel } from './model';

const server = (p: DcpProxyModel) => ({ instance: p.name, iniPath: p.iniPath, port: p.port });

/**
 * SYSDCPINSTS as the spec wants it: every primary and standby (001:L1412 "需要将备库也添加进去"), by
 * PORT_NUM, each with its MPP node's MPP_SEQ_NO (the EPNO V$DCPINSTS shows for whichever member of
 * the group runs as its primary).
 */
export function dcpInsts(model: MppClusterModel): { name: string; ip: string; port: number; epNo: number }[] {
  const register = model.dcp?.register ?? 'private';
  return model.groups.flatMap((g) =>
    g.databases.filter(isGuardMember).flatMap((d) =>
      d.instances.map((i) => ({
        name: i.name,
        ip: model.hosts[i.host]?.[register] ?? i.host,
        port: i.port,
        epNo: g.mppSeqNo,
      })),
    ),
  );
}

/** V$DCPINSTS after REFRESH: one row per MPP primary, EPNO = its MPP_SEQ_NO (001:L1445-1458, L515-523). */
export function dcpPrimaries(model: MppClusterModel): { name: string; epNo: number }[] {
  return model.groups.flatMap((g) =>
    g.databases
      .filter((d) => d.role === 'primary')
      .flatMap((d) => d.instances.map((i) => ({ name: i.name, epNo: g.mppSeqNo }))),
  );
}

export function planDcp(
  model: MppClusterModel,
  files: readonly RenderedFile[],
  o: { preflight: string; verify: string },
): Step[] {
  const dcp = model.dcp;
  if (!dcp) return [];
  const insts = dcpInsts(model);
  const primaries = dcpPrimaries(model);
  const rolling = model.restarts === 'rolling';
  // restarts: rolling: one proxy at a time, each serving again before the next stops
  let previous: string | undefined;
  return dcp.proxies.flatMap((p): Step[] => {
    if (p.removed) return [retireStep(p, o.preflight)];
    const after = rolling && previous ? [previous] : [];
    previous = `${p.name}/register`;
    const ini = files.filter((f) => f.instance === p.name && f.role === 'dm.ini').map(fileOf);
    return [
      {
        id: `${p.name}/dminit`,
        phase: 'init',
        host: p.host,
        title: `dminit ${p.initPath} INSTANCE_NAME=${p.name} PORT_NUM=${p.port}`,
        manual: '001 6.2 (L533, L545)',
        after: [o.preflight],
        params: { kind: 'dminit', initPath: p.initPath, dbName: p.dbName, ...server(p) },
      },
      {
        id: `${p.name}/config`,
        phase: 'primary-config',
        host: p.host,
        title: `write ${path.basename(p.iniPath)}: ENABLE_DCP_MODE = 1, DCP_PORT_NUM = ${p.dcpPort}${dcp.poolSize !== undefined ? `, DCP_CONN_POOL_SIZE = ${dcp.poolSize}` : ''}`,
        manual: '001 6.1.5',
        after: [`${p.name}/dminit`],
        params: { kind: 'config', instance: p.name, files: ini },
      },
      {
        id: `${p.name}/start`,
        phase: 'proxy-start',
        host: p.host,
        title: `dmserver ${p.iniPath} (DCP mode, DCP_PORT_NUM ${p.dcpPort}), once the MPP system is verified${rolling ? '; restarted if its dm.ini changed under it, one proxy at a time' : ''}`,
        manual: '001 6.1.6, 6.2 (L1386-1390)',
        after: [`${p.name}/config`, o.verify, ...after],
        params: { kind: 'dcp-start', dcpPort: p.dcpPort, ...(rolling ? { rolling } : {}), ...server(p) },
      },
      {
        id: `${p.name}/register`,
        phase: 'proxy-register',
        host: p.host,
        title: `over DCP_PORT_NUM ${p.dcpPort}: SP_DCP_ADD_INST for ${insts.length} EP instances, SP_DCP_SET_LOGIN(${dcp.loginUser}), SP_DCP_REFRESH_CONFIG; V$DCPINSTS lists ${primaries.length} primaries`,
        manual: '001 6.2 (L1392-1460)',
        after: [`${p.name}/start`],
        params: {
          kind: 'dcp-register',
          dcpPort: p.dcpPort,
          loginUser: dcp.loginUser,
          insts,
          primaries,
          ...server(p),
        },
      },
    ];
  });
}

/**
 * A proxy marked removed: stopped over its DCP_PORT_NUM, as teardown stops it; nothing else in
 * the system names it (each proxy keeps its own EP list, 001 6.3), and its database stays.
 */
function retireStep(p: DcpProxyModel, preflight: string): Step {
  return {
    id: `${p.name}/retire`,
    phase: 'proxy-retire',
    host: p.host,
    title: `retire DCP proxy ${p.name}: SHUTDOWN over DCP_PORT_NUM ${p.dcpPort} if it runs; its data stay`,
    manual: '001 6.3: each proxy is independent; dm_svc.conf no longer names it',
    after: [preflight],
    params: { kind: 'dcp-retire', instance: p.name, iniPath: p.iniPath, port: p.dcpPort },
  };
}

/** Stop every proxy first, SHUTDOWN over its DCP_PORT_NUM (PORT_NUM sessions are an EP's). */
export function dcpTeardown(model: MppClusterModel): Step[] {
  return (model.dcp?.proxies ?? []).map((p) => ({
    id: `${p.name}/stop-server`,
    phase: 'stop-proxy',
    host: p.host,
    title: `stop DCP proxy ${p.name} (SHUTDOWN over DCP_PORT_NUM ${p.dcpPort})`,
    manual: '001 (no order given): before the MPP system, a client of it',
    after: [],
    params: { kind: 'stop-server', instance: p.name, iniPath: p.iniPath, port: p.dcpPort },
  }));
}

/** What preflight checks of the proxies: their two ports free, their dminit paths. */
export function dcpPreflight(model: MppClusterModel): {
  ports: { host: string; port: number; owner: string; configPath: string }[];
  paths: { host: string; path: string }[];
} {
  // a retired proxy may still run (its retire step stops it): its ports are its own
  const proxies = (model.dcp?.proxies ?? []).filter((p) => !p.removed);
  return {
    ports: proxies.flatMap((p) =>
      [p.port, p.dcpPort].map((port) => ({
        host: p.host,
        port,
        owner: p.name,
        configPath: path.dirname(p.iniPath),
      })),
    ),
    paths: proxies.map((p) => ({ host: p.host, path: p.initPath })),
  };
}

/** purgeData: each proxy's database directory. */
export function dcpPurgePaths(model: MppClusterModel): { host: string; path: string }[] {
  return (model.dcp?.proxies ?? []).map((p) => ({ host: p.host, path: path.join(p.initPath, p.dbName) }));
}
