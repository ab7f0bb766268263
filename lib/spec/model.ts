/**
 * The resolved model of any cluster family (lib/families), and the parts every family resolves
 * the same way: hosts, SSH, where the secrets are read.
 */
import type { ClusterModel } from '../families/data-guard/model';
import type { DpcModel } from '../families/dpc/model';
import type { SecretSource } from './parts';

/** The resolved model of any cluster family. */
export type AnyModel = ClusterModel | DpcModel;

export interface HostModel {
  name: string;
  address: string;
  /** MAL_INST_HOST: external service address. */
  public: string;
  /** MAL_HOST: internal address. */
  private: string;
  sshPort: number;
}

export interface SshModel {
  user: string;
  port: number;
  privateKeyPath?: string;
  knownHostsPath?: string;
  agent: boolean;
  trustOnFirstUse: boolean;
}

/** Where the steps read each secret (the sources, never the values). */
export interface SecretsModel {
  sysdbaPassword: SecretSource;
  sshPassphrase: SecretSource;
}
