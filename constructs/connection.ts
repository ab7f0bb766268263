/**
 * What clients connect with (7.3.9, §5.8): the dm_svc.conf service name resolves to the group's
 * Primary/Standby instances, so a connection string names the service, not a host. Read-write
 * separation is set in dm_svc.conf (RW_SEPARATE, RW_PERCENT) and, as 7.3.9.1 shows, repeated on
 * the JDBC URL. No user password is ever part of these strings.
 */
import type { ClientModel } from '../lib/spec/model';

/** The JDBC URL of 7.3.9.1 with the service name in place of host:port. */
export function jdbcUrl(client: ClientModel): string {
  const props = client.rwSeparate ? `?rwSeparate=1&rwPercent=${client.rwPercent}` : '';
  return `jdbc:dm://${client.serviceName}${props}`;
}

/**
 * The disql command line (`disql user@service`; disql asks for the password). disql takes the
 * read-write separation settings at its `login` prompt (7.3.9.4) or from dm_svc.conf.
 */
export function disqlCommand(client: ClientModel, user = 'SYSDBA'): string {
  return `disql ${user}@${client.serviceName}`;
}
