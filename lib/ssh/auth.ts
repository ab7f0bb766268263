// Client authentication: a private key (optionally with a passphrase) and/or an ssh-agent.
// The key is read and decrypted once, up front, so a wrong passphrase fails before any host is
// contacted, with a message that names the key file and never the passphrase.

import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { utils } from 'ssh2';
import { SshError, describeCause } from './errors';

export interface SshAuth {
  /** Private key file (OpenSSH or PEM). A leading ~/ is the user's home directory. */
  privateKeyPath?: string;
  /** The private key itself, instead of a path. */
  privateKey?: string | Buffer;
  /** The key's passphrase. Never logged, never put on a command line. */
  passphrase?: string;
  /** ssh-agent socket. @default process.env.SSH_AUTH_SOCK when no key is given */
  agent?: string;
}

/** What ssh2 needs; deliberately has no toString/describe that could print the passphrase. */
export interface ResolvedAuth {
  privateKey?: Buffer;
  passphrase?: string;
  agent?: string;
  /** For logs: "key /path/id_ed25519 (encrypted)", "agent /tmp/ssh-x/agent.1". */
  summary: string;
}

function expandHome(p: string): string {
  return p.startsWith('~/') ? `${os.homedir()}/${p.slice(2)}` : p;
}

export async function resolveAuth(auth: SshAuth): Promise<ResolvedAuth> {
  const who = 'ssh client';
  const parts: string[] = [];
  const out: ResolvedAuth = { summary: '' };
  let key: Buffer | undefined;
  let keyName = 'the private key';
  if (auth.privateKeyPath) {
    keyName = expandHome(auth.privateKeyPath);
    try {
      key = await fs.readFile(keyName);
    } catch (e) {
      throw new SshError(
        who,
        'KEY',
        `cannot read private key ${keyName}: ${describeCause(e)}`,
        'check ssh.privateKeyPath in the cluster spec and that the file is readable by this user',
      );
    }
  } else if (auth.privateKey !== undefined) {
    key = Buffer.isBuffer(auth.privateKey) ? auth.privateKey : Buffer.from(auth.privateKey);
  }
  if (key) {
    const parsed = utils.parseKey(key, auth.passphrase);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase|decrypt|integrity|bad/i.test(parsed.message);
      throw new SshError(
        who,
        'KEY',
        `cannot use private key ${keyName}: ${parsed.message}`,
        encrypted
          ? auth.passphrase
            ? "the passphrase is wrong: check the one the spec's secrets.sshPassphrase names (by default DM_SSH_PASSPHRASE; it is never logged)"
            : "the key is encrypted: give its passphrase where the spec's secrets.sshPassphrase says (by default DM_SSH_PASSPHRASE), or load it into ssh-agent and use the agent"
          : 'use an OpenSSH or PEM private key (ssh-keygen -t ed25519)',
      );
    }
    out.privateKey = key;
    if (auth.passphrase !== undefined) out.passphrase = auth.passphrase;
    parts.push(`key ${keyName}${auth.passphrase !== undefined ? ' (encrypted)' : ''}`);
  }
  const agent = auth.agent ?? (key ? undefined : process.env.SSH_AUTH_SOCK);
  if (agent) {
    out.agent = agent;
    parts.push(`agent ${agent}`);
  }
  if (!key && !agent) {
    throw new SshError(
      who,
      'KEY',
      'no way to authenticate: no private key and no ssh-agent (SSH_AUTH_SOCK is not set)',
      'set ssh.privateKeyPath in the cluster spec, or start ssh-agent and ssh-add your key',
    );
  }
  out.summary = parts.join(' + ');
  return out;
}
