/** The resolved DCP proxies of an MppGroup (seed 001): defaults applied, ports allocated. */
import type { SecretSource } from '../../../spec/parts';

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
}

export interface DcpModel {
  proxies: DcpProxyModel[];
  serviceName: string;
  loginUser: string;
  /** Where the steps read the login's password (never the value). */
  loginPassword: SecretSource;
  /** Whether loginPassword was left to its default (the SYSDBA password, for SYSDBA only). */
  loginPasswordDefaulted: boolean;
  poolSize?: number;
  register: 'private' | 'public';
}
