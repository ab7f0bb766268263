/**
 * Spec pieces every cluster family shares: hosts, SSH, archives, clients, secrets, extra dm.ini
 * settings. Each family's schema builds on these (lib/spec/schema.ts re-exports them).
 */
import { z } from 'zod';

export const int = () => z.number().int();
export const text = () => z.string().min(1);

/** A machine: where SSH goes, and the two networks of the manual (7.2.1). */
export const HostSchema = z.strictObject({
  /** Where SSH connects (IP or DNS name). */
  address: text(),
  /** External service IP, written as MAL_INST_HOST and used by clients. @default address */
  public: text().optional(),
  /** Internal network IP, written as MAL_HOST and used by watchers and monitors. @default address */
  private: text().optional(),
  /** SSH port of this host. @default ssh.port */
  sshPort: int().optional(),
});

export const SshSchema = z.strictObject({
  /** OS user that runs dmserver, dmwatcher and dmmonitor (chapter 7 intro: one user for all). @default dmdba */
  user: text().optional(),
  /** @default 22 */
  port: int().optional(),
  privateKeyPath: text().optional(),
  knownHostsPath: text().optional(),
  /** Use the ssh-agent at SSH_AUTH_SOCK instead of a key file. */
  agent: z.boolean().optional(),
  /** Trust unknown host keys on first use (labs only). @default false */
  trustOnFirstUse: z.boolean().optional(),
});

export const ArchiveSchema = z.strictObject({
  /** ARCH_FILE_SIZE of local archives (MB). @default 128 */
  fileSize: int().optional(),
  /** ARCH_SPACE_LIMIT of local archives (MB, 0 = none). @default 0 */
  spaceLimit: int().optional(),
});

export const ClientSchema = z.strictObject({
  /** dm_svc.conf service name. @default the group name (MPP: the `name` of the spec) */
  serviceName: text().optional(),
  /** LOGIN_MODE (§5.8). @default 1 (primary only) */
  loginMode: int().optional(),
  /** SWITCH_TIME. @default 3 */
  switchTime: int().optional(),
  /** SWITCH_INTERVAL (ms). @default 1000 */
  switchInterval: int().optional(),
  /** RW_SEPARATE: read-write separation (7.3.9). @default true for ReadWriteCluster */
  rwSeparate: z.boolean().optional(),
  /** RW_PERCENT. @default 25 */
  rwPercent: int().optional(),
});

/**
 * Where a step finds a secret at run time. Secrets never pass through Terraform: not a variable,
 * not a trigger, not a provisioner's environment; the step process reads them itself.
 */
export const SecretSourceSchema = z.union([
  /** An environment variable of the process that runs Terraform (local-exec inherits it). */
  z.strictObject({ env: text() }),
  /** A file holding the secret (its first line), readable by its owner only (mode 0600 or 0400). */
  z.strictObject({ file: text() }),
  /** A command printing the secret on stdout (e.g. a vault CLI), run without a shell; its output is never logged. */
  z.strictObject({ command: z.array(text()).min(1) }),
]);

export const SecretsSchema = z.strictObject({
  /** SYSDBA's password (dminit, disql, dmrman). @default { env: DM_SYSDBA_PASSWORD } */
  sysdbaPassword: SecretSourceSchema.optional(),
  /** The SSH private key's passphrase. @default { env: DM_SSH_PASSPHRASE }, none when unset */
  sshPassphrase: SecretSourceSchema.optional(),
});

/** Extra dm.ini settings applied to every instance, e.g. { DW_INACTIVE_INTERVAL: 60 }. */
export const DmIniSchema = z.record(z.string(), z.union([z.number(), z.string()]));

export type HostSpec = z.input<typeof HostSchema>;
export type SshSpec = z.input<typeof SshSchema>;
export type SecretSource = z.input<typeof SecretSourceSchema>;
export type SecretsSpec = z.input<typeof SecretsSchema>;
/** The Terraform resource each step becomes (every family's `stepResource`). */
export type StepResourceType = 'null_resource' | 'terraform_data';
