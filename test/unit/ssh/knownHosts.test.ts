import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { fingerprintOf, hostFieldMatches, keyTypeOf, knownHostId, parseKnownHosts, verifyHostKey } from '../../../src/core/ssh/knownHosts';

function blob(type: string, seed: string): Buffer {
  const t = Buffer.from(type);
  const body = Buffer.from(seed.padEnd(32, '.'));
  const out = Buffer.alloc(8 + t.length + body.length);
  out.writeUInt32BE(t.length, 0);
  t.copy(out, 4);
  out.writeUInt32BE(body.length, 4 + t.length);
  body.copy(out, 8 + t.length);
  return out;
}
const A = blob('ssh-ed25519', 'a');
const B = blob('ssh-ed25519', 'b');
const R = blob('ssh-rsa', 'r');
const line = (hosts: string, key: Buffer, marker = '') => `${marker}${marker ? ' ' : ''}${hosts} ${keyTypeOf(key)} ${key.toString('base64')}`;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

test('host ids and fingerprints look like OpenSSH', () => {
  assert.equal(knownHostId('gpubox', 22), 'gpubox');
  assert.equal(knownHostId('10.0.0.5', 2222), '[10.0.0.5]:2222');
  assert.match(fingerprintOf(A), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(keyTypeOf(R), 'ssh-rsa');
});

test('patterns: wildcards, negation, [host]:port, hashed names', () => {
  assert.ok(hostFieldMatches('gpu-*,!gpu-bad', 'gpu-1'));
  assert.ok(!hostFieldMatches('gpu-*,!gpu-bad', 'gpu-bad'));
  assert.ok(hostFieldMatches('[10.0.0.5]:2222', '[10.0.0.5]:2222'));
  assert.ok(!hostFieldMatches('10.0.0.5', '[10.0.0.5]:2222'), 'a port-22 entry does not vouch for another port');
  assert.ok(hostFieldMatches(hashed('[10.0.0.5]:2222'), '[10.0.0.5]:2222'));
  assert.ok(!hostFieldMatches(hashed('other'), '[10.0.0.5]:2222'));
});

test('verdicts: known, changed (with file:line), revoked before known, unknown for a new key type', () => {
  const text = ['# comment', line('gpubox,10.0.0.5', A), line(hashed('[h]:2200'), B), '@cert-authority *.example ' + `ssh-ed25519 ${B.toString('base64')}`, line('*', R, '@revoked'), ''].join('\n');
  const entries = parseKnownHosts(text, '/k');
  assert.equal(verifyHostKey(entries, 'gpubox', A).status, 'known');
  const changed = verifyHostKey(entries, 'gpubox', B);
  assert.equal(changed.status, 'changed');
  if (changed.status === 'changed') assert.deepEqual([changed.entry.file, changed.entry.line], ['/k', 2]);
  assert.equal(verifyHostKey(entries, '[h]:2200', B).status, 'known');
  const revoked = verifyHostKey(entries, 'gpubox', R);
  assert.equal(revoked.status, 'revoked');
  if (revoked.status === 'revoked') assert.equal(revoked.entry.line, 5);
  const unknown = verifyHostKey(entries, 'new.example', A);
  assert.deepEqual(unknown, { status: 'unknown', knownTypes: [] });
  const otherType = verifyHostKey(parseKnownHosts(line('gpubox', A), '/k'), 'gpubox', blob('ecdsa-sha2-nistp256', 'e'));
  assert.equal(otherType.status, 'unknown', 'a key of another type is new, not changed (as OpenSSH)');
  assert.equal(verifyHostKey(entries, 'x.example', B).status, 'unknown', '@cert-authority lines do not vouch for plain keys');
});
