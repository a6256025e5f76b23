// What reaches a ProxyCommand's `sh -c`: names with shell metacharacters are refused whichever resolver ran (ssh -G or
// the built-in parser) and however the host was named; a failing command is reported with its host, command, stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { silentLogger } from '../../../src/core/logger';
import type { HostSpec } from '../../../src/core/plan/schema';
import { connect } from '../../../src/core/remote/connect';
import { resolveSshHost } from '../../../src/core/ssh/config';
import { openSshConnection } from '../../../src/core/ssh/connection';
import { SshSetupError } from '../../../src/core/ssh/types';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

function setup(configBody: (dir: string) => string) {
  const dir = tempDir('serving-lab-proxycmd-');
  const config = join(dir, 'ssh_config');
  writeFileSync(config, configBody(dir));
  return { dir, config, seen: join(dir, 'seen.txt'), pwned: join(dir, 'pwned') };
}

test('the issue\'s reproduction: a hosts entry with alias and a hostile host never reaches the ProxyCommand', async () => {
  const { dir, config, seen, pwned } = setup((d) => `Host *\n  ProxyCommand echo %h >> ${d}/seen.txt; exit 1\n`);
  // Built as code would (the hosts file loader refuses it earlier, with its position): connect() checks on its own.
  const host = { name: 'gpubox', transport: { kind: 'ssh', alias: 'gpubox', host: `y\`touch ${pwned}\`` }, engines: {}, workDir: '~/.serving-lab' } as HostSpec;
  await assert.rejects(connect(host, { sshConfig: config, trustFile: join(dir, 'trust') }), (err: Error) => err instanceof SshSetupError && /is not a valid host name: it contains "`"/.test(err.message));
  assert.equal(existsSync(pwned), false);
  assert.equal(existsSync(seen), false);
});

test('the CLI refuses the hosts file entry at its line:col and runs nothing', () => {
  const { dir, config, seen, pwned } = setup((d) => `Host *\n  ProxyCommand echo %h >> ${d}/seen.txt; exit 1\n`);
  writeFileSync(join(dir, 'hosts.yaml'), `hosts:\n  - name: gpubox\n    transport: { kind: ssh, alias: gpubox, host: 'y\`touch ${pwned}\`' }\n`);
  const r = spawnSync(process.execPath, ['dist/cli.js', 'hosts', 'check', 'gpubox', '--hosts-file', join(dir, 'hosts.yaml'), '--ssh-config', config], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /hosts\.yaml:3:\d+: hosts\[0\]\.transport\.host: "y`touch .*`" is not a valid host name/);
  assert.equal(existsSync(pwned), false);
  assert.equal(existsSync(seen), false);
});

for (const useOpenSsh of [true, false]) {
  const resolver = useOpenSsh ? 'ssh -G' : 'the built-in parser';
  test(`${resolver}: a HostName, alias or user with metacharacters is refused before the ProxyCommand runs`, async () => {
    const { dir, config, seen, pwned } = setup(
      (d) =>
        `Host evil\n  HostName y\`touch\${IFS}${d}/pwned\`\nHost *\n  ProxyCommand echo %h %r >> ${d}/seen.txt; exit 1\n`,
    );
    const options = { configFile: config, useOpenSsh };
    const connectOptions = { log: silentLogger, trustFile: join(dir, 'trust') };
    // The HostName comes from the ssh config: resolving succeeds, the ProxyCommand expansion refuses it.
    const evil = await resolveSshHost('evil', options);
    assert.equal(evil.source, useOpenSsh ? 'ssh -G' : 'ssh_config parser');
    await assert.rejects(openSshConnection(evil, connectOptions), /refusing to run the ProxyCommand .*%h would be "y`touch\$\{IFS\}.*`" is not a valid host name/i);
    // Names given to Serving Lab are refused at resolution.
    await assert.rejects(resolveSshHost(`a$(touch ${pwned})`, options), /is not a valid host name or ssh alias: it contains "\$"/);
    await assert.rejects(resolveSshHost('ok', { ...options, user: `u;touch ${pwned}` }), /is not a valid user name: it contains ";"/);
    await assert.rejects(resolveSshHost('ok', { ...options, hostName: `h|touch ${pwned}` }), /is not a valid host name: it contains "\|"/);
    assert.equal(existsSync(pwned), false);
    assert.equal(existsSync(seen), false);
  });

  test(`${resolver}: a hosts entry's host replaces the alias's HostName at resolution`, async () => {
    const { config } = setup(() => 'Host gpubox\n  HostName 10.0.0.5\n  Port 2222\n');
    const r = await resolveSshHost('gpubox', { configFile: config, useOpenSsh, hostName: '10.9.9.9' });
    assert.deepEqual([r.hostName, r.port], ['10.9.9.9', 2222]);
  });
}

test('a ProxyCommand that fails before the handshake is reported with the host, the command and its stderr', async () => {
  const { dir, config } = setup(() => 'Host gpubox\n  User alice\n  ProxyCommand echo "bastion.example: Name or service not known" >&2; exit 255\n');
  const host = { name: 'gpubox', transport: { kind: 'ssh', alias: 'gpubox' }, engines: {}, workDir: '~/.serving-lab' } as HostSpec;
  await assert.rejects(connect(host, { sshConfig: config, trustFile: join(dir, 'trust') }), (err: Error) => {
    assert.match(err.message, /^ssh gpubox \(alice@gpubox:22\): the ProxyCommand exited with 255 before the SSH handshake: echo "bastion\.example/);
    assert.match(err.message, /its stderr:\nbastion\.example: Name or service not known/);
    return true;
  });
});
