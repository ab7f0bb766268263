/**
 * What clients connect with (7.3.9, §5.8): the dm_svc.conf service name resolves to the group's
 * Primary/Standby instances, so a connection string names the service, not a host. Read-write
 * separation is set in dm_svc.conf (RW_SEPARATE, RW_PERCENT) and, as 7.3.9.1 shows, repeated on
 * the JDBC URL. No user password is ever part of these strings.
 *
 * MPP (7.4): every MPP node is an entry point (EP) a client may log in to; each EP is the primary
 * of its node's data-guard group. The dm_svc.conf service of an MppGroup (renderDmSvc) lists the
 * Primary/Standby instances of every group, so with LOGIN_MODE 1 it reaches whichever primaries
 * are up: the MPP-wide service. `mppEndpoints` gives the direct address of each EP.
 */
import { dmSvcAddresses } from '../lib/families/data-guard/render/dmsvc';
import type { DcpModel } from '../lib/families/data-guard/dcp/model';
import { dcpAddresses } from '../lib/families/data-guard/dcp/render';
import type { HostModel } from '../lib/spec/model';
import { isMpp, type ClientModel, type ClusterModel } from '../lib/families/data-guard/model';

/** The JDBC URL of 7.3.9.1 with the service name in place of host:port. */
export function jdbcUrl(client: Pick<ClientModel, 'serviceName'> & Partial<ClientModel>): string {
  const props = client.rwSeparate ? `?rwSeparate=1&rwPercent=${client.rwPercent}` : '';
  return `jdbc:dm://${client.serviceName}${props}`;
}

/**
 * The disql command line (`disql user@service`; disql asks for the password). disql takes the
 * read-write separation settings at its `login` prompt (7.3.9.4) or from dm_svc.conf.
 */
export function disqlCommand(client: Pick<ClientModel, 'serviceName'>, user = 'SYSDBA'): string {
  return `disql ${user}@${client.serviceName}`;
}

/** One MPP node's entry point: the primary of its group as deployed. */
export interface MppEndpoint {
  /** MPP_SEQ_NO (dmmpp.ini). */
  seqNo: number;
  /** The node's data-guard group. */
  group: string;
  /** MPP_INST_NAME: the group primary's INSTANCE_NAME. */
  instance: string;
  /** MAL_INST_HOST:PORT_NUM (the host's public address), as dm_svc.conf writes it. */
  address: string;
}

/**
 * The EPs of an MPP model in MPP_SEQ_NO order (as dmmpp.ini lists them), each the primary of its
 * group, addressed exactly as renderDmSvc lists it among the guard members. Pure; empty for a
 * model that is not MPP.
 */
export function mppEndpoints(model: ClusterModel): MppEndpoint[] {
  if (!isMpp(model)) return [];
  return model.groups
    .map((g) => ({ g, seqNo: g.mppSeqNo }))
    .sort((a, b) => a.seqNo - b.seqNo)
    .map(({ g, seqNo }) => {
      const primary = g.databases.find((d) => d.role === 'primary');
      const instance = primary?.instances[0];
      if (!primary || !instance || primary.instances.length !== 1)
        throw new Error(`MPP group ${g.name}: its primary must be one single-node instance`);
      const [address] = dmSvcAddresses({ ...model, groups: [{ ...g, databases: [primary] }] });
      return { seqNo, group: g.name, instance: instance.name, address: address ?? '' };
    });
}

/** Each DCP proxy that serves: its INSTANCE_NAME -> host:PORT_NUM, where clients connect (001 6.3). */
export function dcpConnections(
  dcp: DcpModel,
  hosts: Readonly<Record<string, HostModel>>,
): Record<string, string> {
  return Object.fromEntries(dcpAddresses(dcp, hosts).map((a) => [a.name, a.address]));
}

/** The direct connection to each EP: MPP_INST_NAME -> host:port, in MPP_SEQ_NO order. */
export function epConnections(model: ClusterModel): Record<string, string> {
  return Object.fromEntries(mppEndpoints(model).map((e) => [e.instance, e.address]));
}
