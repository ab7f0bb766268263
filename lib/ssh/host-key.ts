// Host-key policy: a key must be in the known_hosts file. Unknown and changed keys are refused with
// the fingerprint and the exact line to add (or remove); trust-on-first-use only when asked (labs),
// and then the key is appended to the file.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { HostKeyError } from './errors';
import {
  checkHostKey,
  fingerprint,
  hostField,
  keyTypeOf,
  knownHostsLine,
  matchesHost,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts';
import type { SshLogger } from './log';

export interface HostKeyPolicy {
  knownHostsPath: string;
  /** Accept and record a host's first key. Labs only: it trusts whoever answers first. @default false */
  trustOnFirstUse?: boolean;
}

async function readEntries(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await fs.readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Key types known_hosts holds for this host (to ask the server for those first). */
export async function knownKeyTypes(policy: HostKeyPolicy, address: string, port: number): Promise<string[]> {
  const host = hostField(address, port);
  return (await readEntries(policy.knownHostsPath))
    .filter((e) => e.marker === null && matchesHost(e, host))
    .map((e) => e.keyType);
}

async function appendLine(file: string, line: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = await fs.readFile(file, 'utf8');
    if (cur.length > 0 && !cur.endsWith('\n')) prefix = '\n';
  } catch {
    // new file
  }
  // O_APPEND: concurrent first connections to several hosts each add their own line intact.
  await fs.appendFile(file, `${prefix}${line}\n`, { mode: 0o600 });
}

/** Returns undefined when the key is accepted, or the error to fail the connection with. */
export async function verifyHostKey(
  policy: HostKeyPolicy,
  hostName: string,
  address: string,
  port: number,
  blob: Buffer,
  log: SshLogger,
): Promise<HostKeyError | undefined> {
  const file = policy.knownHostsPath;
  const who = `${hostName} (${hostField(address, port)})`;
  const fp = fingerprint(blob);
  const type = keyTypeOf(blob);
  const line = knownHostsLine(address, port, blob);
  const result = checkHostKey(await readEntries(file), address, port, blob);
  switch (result.status) {
    case 'known':
      log.log('debug', `${who}: host key ${type} ${fp} matches ${file}:${result.entry.lineNo}`);
      return undefined;
    case 'revoked':
      return new HostKeyError(
        who,
        'HOST_KEY_REVOKED',
        `host key ${type} ${fp} is marked @revoked in ${file}:${result.entry.lineNo}; connection refused`,
        'the host presents a key you revoked: do not connect; investigate the host and give it a new key',
        fp,
        line,
      );
    case 'changed': {
      const old = result.known
        .map((e) => `${e.keyType} ${fingerprint(e.key)} (${file}:${e.lineNo})`)
        .join(', ');
      return new HostKeyError(
        who,
        'HOST_KEY_CHANGED',
        `host key has CHANGED: the server presented ${type} ${fp}, but known_hosts has ${old}. ` +
          'This may be a man-in-the-middle attack, or the host was reinstalled; connection refused',
        `confirm the new fingerprint on the host itself (ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-/, '')}_key.pub), ` +
          `then remove the old entry with: ssh-keygen -R ${shellWord(hostField(address, port))} -f ${file}`,
        fp,
        line,
      );
    }
    case 'unknown': {
      if (policy.trustOnFirstUse) {
        await appendLine(file, line);
        log.log('warn', `${who}: trusting host key ${type} ${fp} on first use; added to ${file}`);
        return undefined;
      }
      return new HostKeyError(
        who,
        'HOST_KEY_UNKNOWN',
        `host key ${type} ${fp} is not in ${file}; connection refused`,
        `check that fingerprint on the host itself (ssh-keygen -lf <its host key .pub>), then add this line to ${file}:\n    ${line}`,
        fp,
        line,
      );
    }
  }
}

function shellWord(s: string): string {
  return /^[\w.:-]+$/.test(s) ? s : `'${s}'`;
}
