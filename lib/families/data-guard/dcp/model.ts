/** The resolved DCP proxies of an MppGroup (seed 001): defaults applied, ports allocated. */
export interface DcpProxyModel {
  name: string;
  host: string;
  specPath: string;
  /** dminit path=. */
  initPath: string;
  dbName: string;
  /** <initPath>/<dbName>/dm.ini */
  iniPath: string;
  /** PORT_NUM: the applications' port. */
  port: number;
  /** DCP_PORT_NUM: the management port (PMC). */
  dcpPort: number;
  explicitPorts: { port: boolean; dcpPort: boolean };
  /** Retired: stopped by the apply, out of dm_svc.conf and the outputs; its data and ports stay. */
  removed: boolean;
}

export interface DcpModel {
  proxies: DcpProxyModel[];
  serviceName: string;
  /** Its password is the SYSDBA password. */
  loginUser: string;
  poolSize?: number;
  register: 'private' | 'public';
}
