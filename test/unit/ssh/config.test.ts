import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { listSshAliases, parseJumpHop, resolveSshHost } from '../../../src/core/ssh/config';

function fakeHome(files: Record<string, string>): string {
  const home = mkdtempSync(join(tmpdir(), 'serving-lab-home-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(home, path, '..'), { recursive: true });
    writeFileSync(join(home, path), text);
  }
  return home;
}

test('the parser follows Include (relative to ~/.ssh, with globs), Host patterns, negation and first-value-wins', async () => {
  const home = fakeHome({
    '.ssh/config': 'Include config.d/*\nHost gpu-*\n  User ml\n  IdentityFile ~/.ssh/lab_key\n\nHost *\n  Port 2200\n  IdentityFile ~/.ssh/id_%r_%h\n',
    '.ssh/config.d/10-lab': 'Host gpu-a100 !gpu-excluded\n  HostName 10.0.0.5\n  ProxyJump bastion,jump2:2222\n  ServerAliveInterval 30\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile ~/.ssh/lab_known_hosts\n',
    '.ssh/config.d/20-other': 'Host gpu-excluded\n  HostName 10.0.0.9\n',
  });
  try {
    const r = await resolveSshHost('gpu-a100', { home, useOpenSsh: false, configFile: join(home, '.ssh/config') });
    assert.equal(r.hostName, '10.0.0.5');
    assert.equal(r.user, 'ml');
    assert.equal(r.port, 2200);
    assert.deepEqual(r.proxyJump, ['bastion', 'jump2:2222']);
    assert.deepEqual(r.identityFiles, [join(home, '.ssh/lab_key'), join(home, '.ssh/id_ml_10.0.0.5')], 'IdentityFile accumulates, with tokens expanded');
    assert.equal(r.serverAliveInterval, 30);
    assert.equal(r.strictHostKeyChecking, 'accept-new');
    assert.deepEqual(r.userKnownHostsFiles, [join(home, '.ssh/lab_known_hosts')]);

    const excluded = await resolveSshHost('gpu-excluded', { home, useOpenSsh: false, configFile: join(home, '.ssh/config') });
    assert.equal(excluded.hostName, '10.0.0.9', 'the negated pattern keeps the first block away');
    assert.equal(excluded.user, 'ml');

    const plain = await resolveSshHost('other.example', { home, useOpenSsh: false, configFile: join(home, '.ssh/config'), user: 'bob', port: 22 });
    assert.equal(plain.user, 'bob', 'an explicit user beats the config');
    assert.equal(plain.port, 22);
    assert.equal(plain.hostName, 'other.example');
    assert.equal(plain.strictHostKeyChecking, 'ask');

    assert.deepEqual(listSshAliases({ home, configFile: join(home, '.ssh/config') }).map((a) => a.alias), ['gpu-a100', 'gpu-excluded']);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('ssh -G and the parser agree on the same config', async () => {
  const home = fakeHome({ 'cfg': 'Host box\n  HostName 192.0.2.7\n  Port 2022\n  User alice\n  IdentityFile /keys/a\n  IdentityFile /keys/b\n  IdentitiesOnly yes\n  ConnectTimeout 7\n  StrictHostKeyChecking yes\n' });
  try {
    const viaSsh = await resolveSshHost('box', { configFile: join(home, 'cfg') });
    const viaParser = await resolveSshHost('box', { configFile: join(home, 'cfg'), useOpenSsh: false });
    for (const key of ['hostName', 'port', 'user', 'identityFiles', 'identitiesOnly', 'connectTimeout', 'strictHostKeyChecking', 'proxyJump'] as const) {
      assert.deepEqual(viaParser[key], viaSsh[key], key);
    }
    assert.equal(viaSsh.strictHostKeyChecking, 'yes');
    assert.equal(viaSsh.connectTimeout, 7);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('defaults match OpenSSH: local user, port 22, the standard identity files, known_hosts files', async () => {
  const home = fakeHome({ 'empty': '' });
  try {
    const r = await resolveSshHost('h.example', { home, useOpenSsh: false, configFile: join(home, 'empty') });
    assert.equal(r.user, userInfo().username);
    assert.equal(r.port, 22);
    assert.ok(r.identityFiles.includes(join(home, '.ssh/id_ed25519')));
    assert.deepEqual(r.userKnownHostsFiles, [join(home, '.ssh/known_hosts'), join(home, '.ssh/known_hosts2')]);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('names that could be ssh options are refused; a missing -F file is named', async () => {
  await assert.rejects(resolveSshHost('-oProxyCommand=touch /tmp/x'), /is not a valid host name or ssh alias: it starts with "-"/);
  await assert.rejects(resolveSshHost('box', { configFile: '/nonexistent/cfg' }), /ssh config file \/nonexistent\/cfg does not exist/);
});

test('ProxyJump hops parse user, host and port', () => {
  assert.deepEqual(parseJumpHop('alice@bastion:2222'), { host: 'bastion', user: 'alice', port: 2222 });
  assert.deepEqual(parseJumpHop('bastion'), { host: 'bastion', user: undefined, port: undefined });
  assert.deepEqual(parseJumpHop('ssh://bob@[2001:db8::1]:22'), { host: '2001:db8::1', user: 'bob', port: 22 });
});
