/** The part of a spec every cluster family shares, resolved: hosts, SSH, secrets, archives, Terraform. */
import type { HostModel, SecretsModel, SshModel } from './model';
import type { ArchiveSchema, DmIniSchema, HostSchema, SecretsSchema, SshSchema } from './parts';
import type { z } from 'zod';
import { DEFAULTS } from './defaults';

export interface SharedSpec {
  dmHome?: string;
  ssh?: z.input<typeof SshSchema>;
  hosts: Record<string, z.input<typeof HostSchema>>;
  archive?: z.input<typeof ArchiveSchema>;
  dmIni?: z.input<typeof DmIniSchema>;
  purgeData?: boolean;
  secrets?: z.input<typeof SecretsSchema>;
  stepResource?: 'null_resource' | 'terraform_data';
  moveStepsFrom?: 'null_resource';
}

export interface SharedModel {
  dmHome: string;
  ssh: SshModel;
  hosts: Record<string, HostModel>;
  archive: { fileSize: number; spaceLimit: number };
  /** Extra dm.ini settings from the spec, applied on every instance. */
  dmIni: Record<string, string | number>;
  purgeData: boolean;
  secrets: SecretsModel;
  stepResource: 'null_resource' | 'terraform_data';
  moveStepsFrom?: 'null_resource';
}

export function resolveShared(spec: SharedSpec): SharedModel {
  const sshPort = spec.ssh?.port ?? DEFAULTS.sshPort;
  const hosts: Record<string, HostModel> = {};
  for (const [name, h] of Object.entries(spec.hosts)) {
    hosts[name] = {
      name,
      address: h.address,
      public: h.public ?? h.address,
      private: h.private ?? h.address,
      sshPort: h.sshPort ?? sshPort,
    };
  }
  return {
    dmHome: spec.dmHome ?? DEFAULTS.dmHome,
    ssh: {
      user: spec.ssh?.user ?? DEFAULTS.sshUser,
      port: sshPort,
      privateKeyPath: spec.ssh?.privateKeyPath,
      knownHostsPath: spec.ssh?.knownHostsPath,
      agent: spec.ssh?.agent ?? false,
      trustOnFirstUse: spec.ssh?.trustOnFirstUse ?? false,
    },
    hosts,
    archive: {
      fileSize: spec.archive?.fileSize ?? DEFAULTS.archFileSize,
      spaceLimit: spec.archive?.spaceLimit ?? DEFAULTS.archSpaceLimit,
    },
    dmIni: { ...(spec.dmIni ?? {}) },
    purgeData: spec.purgeData ?? false,
    secrets: {
      sysdbaPassword: spec.secrets?.sysdbaPassword ?? { env: DEFAULTS.sysdbaPasswordEnv },
      sshPassphrase: spec.secrets?.sshPassphrase ?? { env: DEFAULTS.sshPassphraseEnv },
    },
    stepResource: spec.stepResource ?? DEFAULTS.stepResource,
    ...(spec.moveStepsFrom ? { moveStepsFrom: spec.moveStepsFrom } : {}),
  };
}
