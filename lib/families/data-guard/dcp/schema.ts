/**
 * The DCP cluster proxy (seed 001): optional on an MppGroup. Each proxy is an ordinary dmserver
 * with ENABLE_DCP_MODE = 1 on its own host, serving one MPP system (001:L101-119, L134). Shape
 * only; the value rules are in ./rules.ts.
 */
import { z } from 'zod';
import { int, text } from '../../../spec/parts';

export const DcpProxySchema = z.strictObject({
  /** INSTANCE_NAME of the proxy's dmserver (001:L447: `instance_name=DCP`). */
  name: text(),
  /** A key of `hosts`; the manual puts each proxy on its own machine (001:L346, L545). */
  host: text(),
  /** dminit's path=; the database lives in <path>/DAMENG. @default <dmHome>/data/<name in lower case> */
  path: text().optional(),
  /** dm.ini PORT_NUM: where applications connect (001:L136). @default allocated per host from 5236 */
  port: int().optional(),
  /** dm.ini DCP_PORT_NUM: the management port (PMC, 001:L136, L171-173). @default allocated per host from 5239 */
  dcpPort: int().optional(),
  /**
   * Retire a deployed proxy: the next apply stops it (SHUTDOWN over DCP_PORT_NUM) and leaves it out
   * of dm_svc.conf and the outputs; its database stays, and its name and ports stay taken, so the
   * other proxies keep theirs. The other proxies are independent of it (001 6.3). @default false
   */
  removed: z.boolean().optional(),
});

export const DcpSchema = z.strictObject({
  /** One or more independent proxies (001:L123, 6.3). */
  proxies: z.array(DcpProxySchema),
  /** The dm_svc.conf service over every proxy's PORT_NUM (001:L1471). @default dcp */
  serviceName: text().optional(),
  /**
   * SP_DCP_SET_LOGIN's user: the MPP login the proxy uses on the EPs (001:L240-248); its password
   * is the cluster's SYSDBA password (secrets.sysdbaPassword), on disql's standard input only.
   * @default SYSDBA
   */
  loginUser: text().optional(),
  /** dm.ini DCP_CONN_POOL_SIZE, 1..10000 (001:L197). @default DM's own */
  poolSize: int().optional(),
  /** Which EP address SP_DCP_ADD_INST registers: the internal one, as 001:L1397-1406, or the external. @default private */
  register: z.enum(['private', 'public']).optional(),
});

export type DcpProxySpec = z.input<typeof DcpProxySchema>;
export type DcpSpec = z.input<typeof DcpSchema>;
