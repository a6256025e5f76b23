// known_hosts checking as OpenSSH does it: plain and hashed (|1|salt|hash) host fields, patterns with * ? and !,
// [host]:port for non-22 ports, @revoked; @cert-authority lines are skipped (ssh2 offers no certificate checks).
// Accepted keys go to Serving Lab's own trust file; the user's known_hosts is only read, never written.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: 'revoked' | 'cert-authority';
  hosts: string;
  keyType: string;
  key: Buffer;
}

export function knownHostId(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key blob. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [hosts, keyType, blob] = fields;
    if (!hosts || !keyType || !blob) return;
    const key = Buffer.from(blob, 'base64');
    if (key.length === 0) return;
    entries.push({ file, line: i + 1, marker, hosts, keyType, key });
  });
  return entries;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether a known_hosts host field (patterns or one hashed name) names `hostId`. */
export function hostFieldMatches(field: string, hostId: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(hostId).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globToRegExp(pattern.slice(1)).test(hostId)) return false;
    } else if (globToRegExp(pattern).test(hostId)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  | { status: 'changed'; entry: KnownHostEntry }
  | { status: 'unknown'; knownTypes: string[] };

export function readKnownHostsFiles(files: readonly string[]): KnownHostEntry[] {
  return files.flatMap((file) => {
    if (!existsSync(file)) return [];
    try {
      return parseKnownHosts(readFileSync(file, 'utf8'), file);
    } catch {
      return []; // unreadable (permissions): as OpenSSH, treat as absent
    }
  });
}

// OpenSSH records RSA keys as ssh-rsa whatever signature algorithm (rsa-sha2-256/512) the server negotiated.
const sameKeyFamily = (a: string, b: string) => a === b || (a.startsWith('rsa-sha2-') ? 'ssh-rsa' : a) === (b.startsWith('rsa-sha2-') ? 'ssh-rsa' : b);

/** Checks a server key against known_hosts entries (revoked first, then a match, then a same-type mismatch). */
export function verifyHostKey(entries: readonly KnownHostEntry[], hostId: string, key: Buffer): HostKeyVerdict {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, hostId));
  const match = forHost.find((e) => e.key.equals(key));
  if (match) return { status: 'known', entry: match };
  const type = keyTypeOf(key);
  const changed = forHost.find((e) => sameKeyFamily(e.keyType, type));
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', knownTypes: [...new Set(forHost.map((e) => e.keyType))] };
}

/** Appends a trusted key to Serving Lab's trust file (created with mode 600). */
export function addTrustedKey(trustFile: string, hostId: string, key: Buffer): void {
  mkdirSync(dirname(trustFile), { recursive: true, mode: 0o700 });
  appendFileSync(trustFile, `${hostId} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}

/** ssh2 host key algorithm names for a known_hosts key type, so the server is asked for the key we already know. */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [keyType];
}
