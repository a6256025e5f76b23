// Engine runs on a simulated GPU host reached over a real sshd: hosts check, start → ready → stop for vLLM and
// SGLang with nothing left running, the FP8-on-A100 crash, and a connection killed mid-run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineStatus, followLogs, listEngineRuns, startEngine, stopEngine } from '../../../src/core/remote/runs';
import { get } from 'node:http';
import { httpRequest, tunnelAgent } from '../../../src/core/remote/http';
import type { EngineRun } from '../../../src/core/plan/schema';
import type { HostCheck } from '../../../src/core/remote/check';
import { CLI_PATH, startSimSshHost, type SimSshHost } from '../support/simSshHost';

let sim: SimSshHost;
let home: string;
const GLM = 'zai-org/GLM-4.5-Air';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'serving-lab-home-'));
  process.env['SERVING_LAB_HOME'] = home;
  sim = await startSimSshHost({ speedup: 50 });
});

after(async () => {
  await sim?.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Processes of a run still alive on the machine: its process group, or anything naming its run dir. */
function leftovers(run: EngineRun): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,pgid=,args='], { encoding: 'utf8' }).stdout.split('\n');
  return ps.filter((line) => {
    const [, pgid] = line.trim().split(/\s+/);
    return Number(pgid) === run.pgid || line.includes(run.runDir);
  });
}

function cli(args: string[]) {
  // Host flags go before a `--` (everything after it is the engine's command line).
  return spawnSync(process.execPath, [CLI_PATH, ...args.slice(0, 2), '--hosts-file', sim.hostsFile, '--ssh-config', sim.sshConfig, ...args.slice(2)], {
    encoding: 'utf8',
    env: { ...process.env, SERVING_LAB_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

test('hosts check over SSH reports the GPUs, driver/CUDA, usable engines with versions and the work dir', () => {
  const r = cli(['hosts', 'check', sim.name, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout) as HostCheck;
  assert.equal(c.gpus.length, 4);
  assert.ok(c.gpus.every((g) => /A100-SXM4-80GB/.test(g.name) && g.memoryTotalMiB === 81920));
  assert.match(c.driverVersion ?? '', /^\d+\.\d+/);
  assert.match(c.cudaVersion ?? '', /^\d+\.\d+/);
  assert.equal(c.engineVersions['vllm'], '0.11.0');
  assert.equal(c.engineVersions['sglang'], '0.5.4.post2');
  assert.deepEqual(c.engines.map((e) => [e.engine, e.usable]), [['vllm', true], ['sglang', true], ['trtllm', true]]);
  assert.equal(c.workDir, sim.workDir);
  assert.match(c.transport, /^ssh gpubox \(.*@127\.0\.0\.1:\d+\)/);
});

for (const engine of ['vllm', 'sglang'] as const) {
  test(`${engine}: start → ready (answers /health through the tunnel) → stop leaves no process and closes the port`, async () => {
    const t = await sim.connect();
    const run = await startEngine(t, sim.host, { engine, model: GLM, parallel: { tp: 4, ep: engine === 'sglang' ? 4 : 1 } }, { readinessTimeoutS: 60, pollIntervalS: 0.3 });
    assert.equal(run.status.state, 'ready', JSON.stringify(run.status));
    assert.ok(run.pgid && run.pid);
    assert.ok(leftovers(run).length > 0, 'the engine runs before stop');
    const health = await httpRequest(t, { port: run.port, path: '/health' });
    assert.equal(health.status, 200);
    // The keep-alive agent the native benchmark uses: two requests through the SSH tunnel.
    const agent = tunnelAgent(t);
    for (let i = 0; i < 2; i++) {
      const models = await new Promise<string>((resolve, reject) =>
        get({ agent, host: '127.0.0.1', port: run.port, path: '/v1/models' }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve(body));
        }).on('error', reject),
      );
      assert.match(models, /GLM-4\.5-Air/);
    }
    agent.destroy();
    const stopped = await stopEngine(t, sim.host, run.id, { graceS: 10 });
    assert.equal(stopped.status.state, 'stopped');
    assert.deepEqual(leftovers(run), []);
    await assert.rejects(httpRequest(t, { port: run.port, path: '/health', timeoutMs: 2000 }));
    await t.close();
  });
}

test('FP8 on A100 crashes and is classified with its root-cause line; nothing is left running', async () => {
  const t = await sim.connect();
  const run = await startEngine(t, sim.host, { engine: 'vllm', model: GLM, parallel: { tp: 4 }, quantization: 'fp8' }, { readinessTimeoutS: 60, pollIntervalS: 0.3 });
  assert.equal(run.status.state, 'crashed');
  if (run.status.state !== 'crashed') return;
  assert.equal(run.status.crash.reason, 'fp8-unsupported');
  assert.match(run.status.crash.rootCause, /size_n = \d+ is not divisible by tile_n_size = 64/);
  assert.doesNotMatch(run.status.crash.rootCause, /Engine core initialization failed/);
  assert.ok(run.status.crash.logExcerpt.length > 0);
  assert.deepEqual(leftovers(run), []);
  const again = await engineStatus(t, sim.host, run.id);
  assert.equal(again.status.state, 'crashed', 'the crash is kept in run.json');
  await t.close();
});

test('a connection killed mid-run loses nothing: the engine keeps running, status and a resumed follow work after reconnect', async () => {
  const t = await sim.connect();
  const run = await startEngine(t, sim.host, { engine: 'vllm', model: GLM, parallel: { tp: 4 } }, { readinessTimeoutS: 60, pollIntervalS: 0.3 });
  assert.equal(run.status.state, 'ready');
  assert.ok(sim.sshd.killSessions() > 0, 'the sshd child serving our connection was ended');
  process.kill(run.pid!, 0); // still alive (throws otherwise)
  const status = await engineStatus(t, sim.host, run.id);
  assert.equal(status.status.state, 'ready');

  let text = '';
  const following = followLogs(t, sim.host, run.id, { follow: true, pollIntervalS: 0.2, onText: (s) => (text += s) });
  await new Promise((r) => setTimeout(r, 800));
  sim.sshd.killSessions(); // drop it again while following
  await new Promise((r) => setTimeout(r, 800));
  const stopper = await sim.connect();
  await stopEngine(stopper, sim.host, run.id, { graceS: 10 });
  await following;
  assert.equal(text, readFileSync(run.logPath, 'utf8'), 'every byte once, in order, across the drop');
  assert.deepEqual(leftovers(run), []);
  const listed = await listEngineRuns(t, sim.host);
  assert.equal(listed.find((r) => r.id === run.id)?.status.state, 'stopped');
  await t.close();
});

test('CLI: engine start with a pasted command line, status, list and stop over SSH', () => {
  const start = cli(['engine', 'start', '--host', sim.name, '--timeout', '60', '--quiet', '--', 'python3', '-m', 'sglang.launch_server', '--model-path', GLM, '--tp', '4']);
  assert.equal(start.status, 0, start.stderr);
  const id = start.stdout.trim();
  assert.match(id, /^sglang-\d{8}-\d{6}-[0-9a-f]{4}$/);
  // The host's install path replaced the bare `python3` (the sessions' PATH may hold another python3 first).
  assert.match(start.stderr, new RegExp(`${sim.shimDir}/python3 -m sglang.launch_server`));
  const status = cli(['engine', 'status', id, '--json']);
  assert.equal(status.status, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as EngineRun).status.state, 'ready');
  const list = cli(['engine', 'list', '--json']);
  assert.ok((JSON.parse(list.stdout) as EngineRun[]).some((r) => r.id === id && r.status.state === 'ready'));
  const stop = cli(['engine', 'stop', id, '--json']);
  assert.equal(stop.status, 0, stop.stderr);
  const stopped = JSON.parse(stop.stdout) as EngineRun;
  assert.equal(stopped.status.state, 'stopped');
  assert.deepEqual(leftovers(stopped), []);
  const logs = cli(['engine', 'logs', id]);
  assert.match(logs.stdout, /The server is fired up and ready to roll!/);
});
