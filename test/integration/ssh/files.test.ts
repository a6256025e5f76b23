// Files on a host over a real sshd, with the sftp subsystem and without it (hardened hosts, some containers): the same
// writes, reads, uploads and downloads, byte for byte and with their modes; then an engine started on a host without
// SFTP, from the CLI, end to end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../../src/core/remote/connect';
import { readHostModelConfig } from '../../../src/core/remote/modelConfig';
import type { Logger } from '../../../src/core/logger';
import { HostSpec, type EngineRun } from '../../../src/core/plan/schema';
import { startSshd, type SshdServer } from '../support/sshd';
import { CLI_PATH, startSimSshHost, type SimSshHost } from '../support/simSshHost';

let dir: string;
const servers: SshdServer[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'serving-lab-files-'));
  process.env['SERVING_LAB_HOME'] = join(dir, 'home');
});

after(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function recordingLogger(lines: string[]): Logger {
  const push = (m: string) => void lines.push(m);
  return { debug: push, info: push, warn: push, error: push };
}

for (const sftp of [true, false]) {
  describe(sftp ? 'with the sftp subsystem' : 'without the sftp subsystem (files over exec)', () => {
    test('write into a new nested dir with a mode, read back, upload and download exact bytes with a mode; a missing file is ENOENT', async () => {
      const server = await startSshd({ sftp });
      servers.push(server);
      const name = sftp ? 'withsftp' : 'nosftp';
      const config = join(dir, `${name}.config`);
      writeFileSync(join(dir, `${name}.known`), `${server.knownHostsLine}\n`);
      writeFileSync(config, `Host ${name}\n  HostName 127.0.0.1\n  Port ${server.port}\n  User ${server.user}\n  IdentityFile ${server.keys.plain.path}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${join(dir, `${name}.known`)}\n`);
      const log: string[] = [];
      const host = HostSpec.parse({ name, transport: { kind: 'ssh', alias: name } });
      const t = await connect(host, { sshConfig: config, trustFile: join(dir, 'trust'), agent: '', log: recordingLogger(log) });
      const base = join(dir, name);
      await t.writeFile(join(base, 'a', 'b', 'x.txt'), 'héllo\n', { mode: 0o600 });
      assert.equal(await t.readFile(join(base, 'a', 'b', 'x.txt')), 'héllo\n');
      assert.equal(statSync(join(base, 'a', 'b', 'x.txt')).mode & 0o777, 0o600);
      // A model's config.json where the host's engine would load it: its HF_HOME cache, or a model directory.
      await t.writeFile(join(base, 'hf', 'hub', 'models--acme--Tiny-7B', 'snapshots', 'f00d', 'config.json'), '{"model_type": "llama"}');
      const cached = await readHostModelConfig(t, name, 'acme/Tiny-7B', { env: { HF_HOME: join(base, 'hf') } });
      assert.deepEqual(cached, { text: '{"model_type": "llama"}', source: `${name}:${join(base, 'hf', 'hub', 'models--acme--Tiny-7B', 'snapshots', 'f00d', 'config.json')}` });
      assert.equal((await readHostModelConfig(t, name, join(base, 'hf', 'hub', 'models--acme--Tiny-7B', 'snapshots', 'f00d')))?.text, '{"model_type": "llama"}');
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256));
      writeFileSync(join(dir, `${name}.bin`), bytes);
      await t.upload(join(dir, `${name}.bin`), join(base, 'up', 'tool.bin'), { mode: 0o755 });
      assert.deepEqual(readFileSync(join(base, 'up', 'tool.bin')), bytes);
      assert.equal(statSync(join(base, 'up', 'tool.bin')).mode & 0o777, 0o755);
      await t.download(join(base, 'up', 'tool.bin'), join(dir, `${name}.back`));
      assert.deepEqual(readFileSync(join(dir, `${name}.back`)), bytes);
      // A path under ~ means the login user's home, both ways.
      const rel = `serving-lab-files-test-${process.pid}-${name}.txt`;
      await t.writeFile(`~/${rel}`, 'home\n');
      assert.equal(readFileSync(join(server.home, rel), 'utf8'), 'home\n');
      rmSync(join(server.home, rel));
      await assert.rejects(t.readFile(join(base, 'missing')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && /cannot read/.test(err.message));
      await assert.rejects(t.download(join(base, 'missing'), join(dir, 'never')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
      // The fallback is taken only when the subsystem is missing, and said once.
      assert.equal(log.filter((l) => /no sftp subsystem/.test(l)).length, sftp ? 0 : 1, log.join('\n'));
      await t.close();
    });
  });
}

describe('an engine on a host without SFTP', () => {
  let sim: SimSshHost;
  before(async () => {
    sim = await startSimSshHost({ speedup: 50, sftp: false });
  });
  after(async () => {
    await sim?.stop();
  });

  test('CLI: engine start writes its run files over exec, reaches ready, and stops', () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, [CLI_PATH, ...args.slice(0, 2), '--hosts-file', sim.hostsFile, '--ssh-config', sim.sshConfig, ...args.slice(2)], {
        encoding: 'utf8',
        env: { ...process.env, SERVING_LAB_HOME: join(dir, 'home') },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
    const start = cli(['engine', 'start', '--host', sim.name, '--timeout', '60', '--quiet', '--', 'vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4']);
    assert.equal(start.status, 0, start.stderr);
    assert.doesNotMatch(start.stderr, /SFTP unavailable/);
    const id = start.stdout.trim();
    const status = cli(['engine', 'status', id, '--json']);
    assert.equal(status.status, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as EngineRun).status.state, 'ready');
    const runJson = JSON.parse(readFileSync(join(sim.workDir, 'runs', id, 'run.json'), 'utf8')) as EngineRun;
    assert.equal(runJson.id, id);
    const stop = cli(['engine', 'stop', id, '--json']);
    assert.equal(stop.status, 0, stop.stderr);
    assert.equal((JSON.parse(stop.stdout) as EngineRun).status.state, 'stopped');
  });
});
