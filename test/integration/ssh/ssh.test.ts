// SSH against a real OpenSSH server: keys, passphrases, agent, ProxyJump, ssh config Include, host keys, quoting (files: files.test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from '../../../src/core/remote/connect';
import { resolveSshHost } from '../../../src/core/ssh/config';
import type { CredentialRequest, NewHostKey } from '../../../src/core/ssh/types';
import { HostSpec } from '../../../src/core/plan/schema';
import { startEngine } from '../../../src/core/remote/runs';
import { startAgent, startSshd, type SshAgent, type SshdServer } from '../support/sshd';

const ARGV_ECHO = resolve(__dirname, '../../fixtures/ssh/argv-echo.mjs');
const CLI = resolve(__dirname, '../../../dist/cli.js');

let target: SshdServer;
let jump: SshdServer;
let agent: SshAgent;
let dir: string;
let knownHosts: string;

const host = (alias: string, extra: Partial<HostSpec> = {}) => HostSpec.parse({ name: alias, transport: { kind: 'ssh', alias }, workDir: join(dir, 'work'), ...extra });
const trust = () => join(dir, 'trusted');
const opts = (over: Record<string, unknown> = {}) => ({ sshConfig: join(dir, 'config'), trustFile: trust(), agent: '', ...over });

function fingerprint(line: string): string {
  const f = join(dir, 'key.pub');
  writeFileSync(f, `${line}\n`);
  return spawnSync('ssh-keygen', ['-lf', f], { encoding: 'utf8' }).stdout.split(' ')[1]!;
}

before(async () => {
  [target, jump] = await Promise.all([startSshd(), startSshd()]);
  agent = await startAgent([target.keys.encrypted]);
  dir = mkdtempSync(join(tmpdir(), 'serving-lab-sshtest-'));
  process.env['SERVING_LAB_HOME'] = join(dir, 'home'); // the run index and trust file stay in the temp dir
  knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${target.knownHostsLine}\n${jump.knownHostsLine}\n`);
  mkdirSync(join(dir, 'conf.d'));
  const common = [`  User ${target.user}`, `  UserKnownHostsFile ${knownHosts}`, '  IdentitiesOnly yes'];
  // The aliases live in an included file: resolution must follow Include the way ssh does.
  writeFileSync(join(dir, 'config'), `Include ${join(dir, 'conf.d')}/*.conf\n\nHost *\n  ServerAliveInterval 5\n`);
  writeFileSync(
    join(dir, 'conf.d', 'lab.conf'),
    [
      'Host plain',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${target.keys.plain.path}`,
      ...common,
      'Host locked',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${target.keys.encrypted.path}`,
      ...common,
      'Host viaagent',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${join(dir, 'no-such-key')}`,
      `  User ${target.user}`,
      `  UserKnownHostsFile ${knownHosts}`,
      'Host bastion',
      '  HostName 127.0.0.1',
      `  Port ${jump.port}`,
      `  IdentityFile ${jump.keys.plain.path}`,
      ...common,
      'Host behind',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${target.keys.plain.path}`,
      '  ProxyJump bastion',
      ...common,
      'Host proxied',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${target.keys.plain.path}`,
      `  ProxyCommand ssh -F ${join(dir, 'config')} -o BatchMode=yes -W %h:%p bastion`,
      ...common,
      'Host lockedstranger',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${target.keys.encrypted.path}`,
      '  IdentitiesOnly yes',
      `  User ${target.user}`,
      `  UserKnownHostsFile ${join(dir, 'empty_known_hosts')}`,
      'Host stranger',
      '  HostName 127.0.0.1',
      `  Port ${target.port}`,
      `  IdentityFile ${target.keys.plain.path}`,
      `  User ${target.user}`,
      `  UserKnownHostsFile ${join(dir, 'empty_known_hosts')}`,
      '',
    ].join('\n'),
  );
});

after(async () => {
  agent?.stop();
  await Promise.all([target?.stop(), jump?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('resolving hosts like OpenSSH', () => {
  test('an alias from an Included file resolves the same with ssh -G and with the built-in parser', async () => {
    const viaSsh = await resolveSshHost('behind', { configFile: join(dir, 'config') });
    const viaParser = await resolveSshHost('behind', { configFile: join(dir, 'config'), useOpenSsh: false });
    assert.equal(viaSsh.source, 'ssh -G');
    assert.equal(viaParser.source, 'ssh_config parser');
    for (const r of [viaSsh, viaParser]) {
      assert.equal(r.hostName, '127.0.0.1');
      assert.equal(r.port, target.port);
      assert.deepEqual(r.proxyJump, ['bastion']);
      assert.deepEqual(r.identityFiles, [target.keys.plain.path]);
      assert.deepEqual(r.userKnownHostsFiles, [knownHosts]);
      assert.equal(r.serverAliveInterval, 5, 'Host * after the Include still applies');
      assert.equal(r.identitiesOnly, true);
    }
  });
});

describe('authentication', () => {
  test('a plain key from the config logs in and runs a command', async () => {
    const t = await connect(host('plain'), opts());
    const r = await t.exec(['id', '-un']);
    assert.equal(r.stdout.trim(), target.user);
    await t.close();
  });

  test('an encrypted key asks the CredentialProvider for its passphrase (again after a wrong one) and reports the outcome', async () => {
    const asked: CredentialRequest[] = [];
    const reports: boolean[] = [];
    const credentials = {
      async get(req: CredentialRequest) {
        asked.push(req);
        return req.attempt === 1 ? 'wrong passphrase' : target.keys.encrypted.passphrase;
      },
      report(_req: CredentialRequest, ok: boolean) {
        reports.push(ok);
      },
    };
    const t = await connect(host('locked'), opts({ credentials }));
    assert.equal((await t.exec(['true'])).exitCode, 0);
    await t.close();
    assert.deepEqual(asked.map((a) => [a.kind, a.keyFile, a.attempt]), [
      ['passphrase', target.keys.encrypted.path, 1],
      ['passphrase', target.keys.encrypted.path, 2],
    ]);
    assert.deepEqual(reports, [false, true]);
  });

  test('without a way to ask, the failure lists what was tried and what to do', async () => {
    await assert.rejects(connect(host('locked'), opts()), (err: Error) => {
      assert.match(err.message, /authentication failed for .*@127\.0\.0\.1:\d+/);
      assert.match(err.message, new RegExp(`key ${target.keys.encrypted.path}: encrypted, and no way to ask for its passphrase`));
      assert.match(err.message, /ssh-add/);
      return true;
    });
  });

  test('ssh-agent: a key held by a real agent logs in with no key file and no prompt', async () => {
    const t = await connect(host('viaagent'), opts({ agent: agent.sock }));
    assert.equal((await t.exec(['echo', 'agent-ok'])).stdout.trim(), 'agent-ok');
    await t.close();
  });

  test('ssh-agent with IdentitiesOnly: the agent signs for the configured key, so its passphrase is never asked', async () => {
    let asked = 0;
    const t = await connect(host('locked'), opts({ agent: agent.sock, credentials: { get: async () => (asked++, undefined) } }));
    assert.equal((await t.exec(['true'])).exitCode, 0);
    await t.close();
    assert.equal(asked, 0);
  });

  test('ProxyJump: the target is reached through the jump host (which authenticates us)', async () => {
    const before = (jump.log().match(/Accepted publickey/g) ?? []).length;
    const t = await connect(host('behind'), opts());
    assert.match(t.description, /via bastion/);
    assert.equal((await t.exec(['echo', 'behind-ok'])).stdout.trim(), 'behind-ok');
    await t.close();
    assert.equal((jump.log().match(/Accepted publickey/g) ?? []).length, before + 1);
  });
});

test('ProxyCommand: the SSH stream runs through the command (here OpenSSH\'s own ssh -W via the jump host)', async () => {
  const before = (jump.log().match(/Accepted publickey/g) ?? []).length;
  const t = await connect(host('proxied'), opts());
  assert.equal((await t.exec(['echo', 'proxied-ok'])).stdout.trim(), 'proxied-ok');
  await t.close();
  assert.equal((jump.log().match(/Accepted publickey/g) ?? []).length, before + 1);
});

describe('host keys', () => {
  test('an unknown key is shown to the prompter with its SHA256 fingerprint; once accepted it is stored and not asked again', async () => {
    const asked: NewHostKey[] = [];
    const hostKeys = { confirmNewHostKey: async (k: NewHostKey) => (asked.push(k), true) };
    const trustFile = join(dir, 'trust-new');
    const t1 = await connect(host('stranger'), opts({ hostKeys, trustFile }));
    await t1.close();
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.fingerprint, fingerprint(target.hostKeyLine));
    assert.equal(asked[0]!.hostId, `[127.0.0.1]:${target.port}`);
    assert.match(readFileSync(trustFile, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${target.port} ssh-ed25519 `));
    assert.equal(existsSync(join(dir, 'empty_known_hosts')), false, "the user's known_hosts is never written");
    const t2 = await connect(host('stranger'), opts({ hostKeys, trustFile }));
    await t2.close();
    assert.equal(asked.length, 1);
  });

  test('a declined key is not stored and the connection is refused', async () => {
    const trustFile = join(dir, 'trust-declined');
    await assert.rejects(connect(host('stranger'), opts({ trustFile, hostKeys: { confirmNewHostKey: async () => false } })), /was not accepted/);
    assert.equal(existsSync(trustFile), false);
  });

  test('the CLI without a TTY refuses an unknown key unless --accept-new-host-key', () => {
    const env = { ...process.env, SERVING_LAB_HOME: join(dir, 'cli-home') };
    const base = [CLI, 'hosts', 'check', 'stranger', '--ssh-config', join(dir, 'config'), '--json'];
    const refused = spawnSync(process.execPath, base, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /host key of \[127\.0\.0\.1\]:\d+ is unknown \(ssh-ed25519 SHA256:.*--accept-new-host-key/);
    const accepted = spawnSync(process.execPath, [...base, '--accept-new-host-key'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
    // The plain sshd has no GPU tools: the check reports that (exit 1) but the connection itself worked.
    const report = JSON.parse(accepted.stdout) as { transport: string; problems: string[] };
    assert.match(report.transport, /^ssh stranger/);
    assert.match(readFileSync(join(dir, 'cli-home', 'known_hosts'), 'utf8'), /ssh-ed25519/);
  });

  test('the CLI on a TTY asks to trust a new key (showing its fingerprint) and for the passphrase, without echoing it', async () => {
    const command = [process.execPath, CLI, 'hosts', 'check', 'lockedstranger', '--ssh-config', join(dir, 'config'), '--json'].map((w) => `'${w}'`).join(' ');
    // util-linux `script` gives the CLI a real terminal; we answer its prompts as a user would.
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, SERVING_LAB_HOME: join(dir, 'tty-home'), SSH_AUTH_SOCK: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    const answered = new Set<string>();
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      // Prompts end with terminal escape codes (cursor moves), so look for their text.
      if (!answered.has('key') && screen.includes('Trust this key and continue connecting (yes/no)? ')) {
        answered.add('key');
        child.stdin.write('yes\r');
      }
      if (!answered.has('pass') && /Passphrase for \S*id_encrypted: /.test(screen)) {
        answered.add('pass');
        child.stdin.write(`${target.keys.encrypted.passphrase}\r`);
      }
    });
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000); // a prompt that never comes must not hang the suite
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    clearTimeout(watchdog);
    child.stdin.end();
    assert.ok(answered.has('key') && answered.has('pass'), screen);
    assert.ok(screen.includes(`key fingerprint is ${fingerprint(target.hostKeyLine)}`), screen);
    assert.ok(!screen.includes(target.keys.encrypted.passphrase!), 'the passphrase is not echoed');
    assert.match(screen, /"transport": "ssh lockedstranger/);
    assert.equal(code, 1, 'connected; the check itself reports the missing GPU tools');
    assert.match(readFileSync(join(dir, 'tty-home', 'known_hosts'), 'utf8'), /ssh-ed25519/);
  });

  test('a changed key is refused without a prompt, naming the known_hosts file and line', async () => {
    const other = readFileSync(`${jump.dir}/ssh_host_ed25519_key.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const changed = join(dir, 'changed_known_hosts');
    writeFileSync(changed, `# comment\nsomewhere.example ${target.hostKeyLine}\n[127.0.0.1]:${target.port} ${other}\n`);
    let prompted = false;
    const spec = host('plain', { transport: { kind: 'ssh', alias: 'plain' } });
    const config = join(dir, 'changed_config');
    writeFileSync(config, `Host plain\n  HostName 127.0.0.1\n  Port ${target.port}\n  User ${target.user}\n  IdentityFile ${target.keys.plain.path}\n  UserKnownHostsFile ${changed}\n`);
    await assert.rejects(connect(spec, opts({ sshConfig: config, hostKeys: { confirmNewHostKey: async () => (prompted = true) } })), (err: Error) => {
      assert.match(err.message, /HOST KEY CHANGED for \[127\.0\.0\.1\]:\d+/);
      assert.ok(err.message.includes(`${changed}:3`), err.message);
      return true;
    });
    assert.equal(prompted, false);
  });

  test('hashed known_hosts entries are recognised, and @revoked keys are refused with their file:line', async () => {
    const hashed = join(dir, 'hashed_known_hosts');
    writeFileSync(hashed, `${target.knownHostsLine}\n`);
    assert.equal(spawnSync('ssh-keygen', ['-H', '-f', hashed]).status, 0);
    assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/);
    const config = join(dir, 'hashed_config');
    writeFileSync(config, `Host plain\n  HostName 127.0.0.1\n  Port ${target.port}\n  User ${target.user}\n  IdentityFile ${target.keys.plain.path}\n  UserKnownHostsFile ${hashed}\n  StrictHostKeyChecking yes\n`);
    const t = await connect(host('plain'), opts({ sshConfig: config }));
    await t.close();
    writeFileSync(hashed, `${readFileSync(hashed, 'utf8')}@revoked * ${target.hostKeyLine}\n`);
    await assert.rejects(connect(host('plain'), opts({ sshConfig: config })), new RegExp(`marked @revoked in ${hashed}:2`));
  });
});

describe('quoting', () => {
  const hostile = ["it's", 'a "quoted" word', '; touch PWNED1', '$(touch PWNED2)', '`touch PWNED3`', 'two\nlines', '  spaces  ', '', '*', '$HOME', '\\', '-n'];

  test('hostile strings in argv, env values and cwd reach the remote program exactly, and nothing else runs', async () => {
    const t = await connect(host('plain'), opts());
    const cwd = join(dir, "odd dir $(x) 'q'");
    mkdirSync(cwd);
    const r = await t.exec([ARGV_ECHO, ...hostile], { cwd, env: { ARGV_ECHO_A: hostile.join('|'), ARGV_ECHO_B: "'; touch PWNED4 #" } });
    assert.equal(r.exitCode, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { argv: string[]; env: Record<string, string> };
    assert.deepEqual(got.argv, hostile);
    assert.deepEqual(got.env, { ARGV_ECHO_A: hostile.join('|'), ARGV_ECHO_B: "'; touch PWNED4 #" });
    const pwd = await t.exec(['pwd'], { cwd });
    assert.equal(pwd.stdout.trim(), cwd);
    for (const d of [cwd, target.home]) for (const n of [1, 2, 3, 4]) assert.equal(existsSync(join(d, `PWNED${n}`)), false);
    await t.close();
  });

  test('an engine launched with a hostile model name, extra args and env gets exactly that argv', async () => {
    const t = await connect(host('plain'), opts());
    const spec = host('plain', { engines: { vllm: { command: ARGV_ECHO, env: {} } } });
    const run = await startEngine(t, spec, { engine: 'vllm', model: "org/model'; touch PWNED5 #", extraArgs: hostile.filter((h) => h !== '-n'), env: { ARGV_ECHO_X: '$(touch PWNED6)' } }, { port: 23456, readinessTimeoutS: 20 });
    // argv-echo exits at once, so the run ends "crashed" (exited before ready): its log holds what it received.
    assert.equal(run.status.state, 'crashed');
    const logged = JSON.parse(readFileSync(run.logPath, 'utf8').trim().split('\n')[0]!) as { argv: string[]; env: Record<string, string> };
    assert.deepEqual(logged.argv, ['serve', "org/model'; touch PWNED5 #", ...hostile.filter((h) => h !== '-n'), '--host', '127.0.0.1', '--port', '23456']);
    assert.deepEqual(logged.env, { ARGV_ECHO_X: '$(touch PWNED6)' });
    for (const n of [5, 6]) assert.equal(existsSync(join(run.runDir, `PWNED${n}`)) || existsSync(join(target.home, `PWNED${n}`)), false);
    await t.close();
  });
});
