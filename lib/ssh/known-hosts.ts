// The OpenSSH known_hosts format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): pure parsing and matching.
// Supported: comma-separated patterns with * and ? wildcards and ! negation, [host]:port for ports
// other than 22, hashed names (|1|salt|hmac-sha1), and the @revoked marker. @cert-authority lines
// are recognised and ignored (we do not accept host certificates).

import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  /** 1-based line number, for messages. */
  lineNo: number;
  marker: 'revoked' | 'cert-authority' | null;
  /** The raw host field (comma-separated patterns, or one hashed name). */
  hosts: string;
  keyType: string;
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // unknown marker: ignore the line, as OpenSSH does
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return;
    out.push({ lineNo: i + 1, marker, hosts, keyType, key: Buffer.from(b64, 'base64') });
  });
  return out;
}

/** How known_hosts names a host: "addr" on port 22, "[addr]:port" otherwise. */
export function hostField(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

/** Does an entry's host field name this host? (host is the output of hostField) */
export function matchesHost(entry: KnownHostEntry, host: string): boolean {
  const field = entry.hosts;
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pat of field.split(',')) {
    if (pat.startsWith('!')) {
      if (globToRegExp(pat.slice(1)).test(host)) return false; // a negated match excludes the host
    } else if (globToRegExp(pat).test(host)) {
      matched = true;
    }
  }
  return matched;
}

/** The key type named inside an SSH public-key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return len > 0 && len < 64 && blob.length >= 4 + len
    ? blob.subarray(4, 4 + len).toString('latin1')
    : 'unknown';
}

/** OpenSSH's default fingerprint, as `ssh-keygen -lf` prints it: SHA256:<base64, unpadded>. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The exact line to add to known_hosts for this host and key. */
export function knownHostsLine(address: string, port: number, blob: Buffer): string {
  return `${hostField(address, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}

export type HostKeyCheck =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'changed'; known: KnownHostEntry[] }
  | { status: 'revoked'; entry: KnownHostEntry };

/**
 * Check a presented host key. "changed" means the file knows this host but not this key: as with
 * OpenSSH, that is refused (the client asks for known key types first, see preferredHostKeyAlgorithms,
 * so a host with a known key of another type does not look changed merely by negotiation).
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  address: string,
  port: number,
  blob: Buffer,
): HostKeyCheck {
  const host = hostField(address, port);
  const mine = entries.filter((e) => matchesHost(e, host));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(blob));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = mine.filter((e) => e.marker === null);
  const same = plain.find((e) => e.key.equals(blob));
  if (same) return { status: 'known', entry: same };
  return plain.length > 0 ? { status: 'changed', known: plain } : { status: 'unknown' };
}

const ALGORITHMS_BY_KEY_TYPE: Record<string, readonly string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * Host-key algorithms to ask for first, as OpenSSH does: those of the keys known_hosts holds for
 * the host, so the server proves the key we know rather than another one we would have to refuse.
 */
export function hostKeyAlgorithmsFor(knownTypes: readonly string[]): string[] {
  return [...new Set(knownTypes.flatMap((t) => ALGORITHMS_BY_KEY_TYPE[t] ?? []))];
}
