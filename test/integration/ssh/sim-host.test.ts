// The built-in simulated host (local transport + the simulator's shims on PATH), driven through the CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineRun } from '../../../src/core/plan/schema';
import type { HostCheck } from '../../../src/core/remote/check';
import { CLI_PATH, runGroups } from '../support/simSshHost';

let dir: string;
const cli = (args: string[]) =>
  spawnSync(process.execPath, [CLI_PATH, ...args.slice(0, 2), '--hosts-file', join(dir, 'hosts.yaml'), ...args.slice(2)], {
    encoding: 'utf8',
    cwd: dir,
    env: { ...process.env, SERVING_LAB_HOME: join(dir, 'home') },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'serving-lab-simhost-'));
  writeFileSync(join(dir, 'hosts.yaml'), `hosts:\n  - name: fastsim\n    transport: { kind: sim, gpu: H100-SXM-80GB, count: 8, speedup: 50 }\n    workDir: ${join(dir, 'work')}\n`);
});

after(() => {
  for (const pgid of runGroups(join(dir, 'work'))) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('hosts list names sim first; hosts check sim:GPU:COUNT reports simulated GPUs through the shims', () => {
  const list = cli(['hosts', 'list', '--json']);
  assert.equal(list.status, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as Array<{ name: string }>).slice(0, 2).map((h) => h.name), ['sim', 'fastsim']);
  const check = cli(['hosts', 'check', 'fastsim', '--json']);
  assert.equal(check.status, 0, check.stderr);
  const c = JSON.parse(check.stdout) as HostCheck;
  assert.equal(c.simulated, true);
  assert.equal(c.gpus.length, 8);
  assert.match(c.gpus[0]!.name, /H100/);
  assert.equal(c.engineVersions['vllm'], '0.11.0');
});

test('engine start → status → stop on the simulated host; the shims are written once and reused', () => {
  const start = cli(['engine', 'start', '--host', 'fastsim', '--quiet', '--timeout', '60', '--', 'vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '8']);
  assert.equal(start.status, 0, start.stderr);
  const id = start.stdout.trim();
  const shim = join(dir, 'work', 'bin', 'vllm');
  const written = statSync(shim).mtimeMs;
  const status = cli(['engine', 'status', id, '--json']);
  assert.equal((JSON.parse(status.stdout) as EngineRun).status.state, 'ready');
  assert.equal(statSync(shim).mtimeMs, written, 'a second connection does not rewrite the shims');
  const stop = cli(['engine', 'stop', id, '--json']);
  assert.equal(stop.status, 0, stop.stderr);
  const run = JSON.parse(stop.stdout) as EngineRun;
  assert.equal(run.status.state, 'stopped');
  const ps = spawnSync('ps', ['-eo', 'pgid='], { encoding: 'utf8' }).stdout.split('\n').map(Number);
  assert.ok(!ps.includes(run.pgid!), 'no process of the run is left');
  assert.match(readFileSync(run.logPath, 'utf8'), /vLLM API server version 0\.11\.0/);
});

test('engine start --variant FILE renders the variant (SGLang flags) and the run records it', () => {
  writeFileSync(join(dir, 'variant.yaml'), 'engine: sglang\nmodel: zai-org/GLM-4.5-Air\nparallel: { tp: 8, ep: 8 }\nbatching: { chunkedPrefillSize: 8192 }\n');
  const start = cli(['engine', 'start', '--host', 'fastsim', '--quiet', '--json', '--timeout', '60', '--variant', join(dir, 'variant.yaml')]);
  assert.equal(start.status, 0, start.stderr);
  const run = JSON.parse(start.stdout) as EngineRun;
  assert.equal(run.status.state, 'ready');
  assert.deepEqual(run.argv.slice(0, 3), ['python3', '-m', 'sglang.launch_server']);
  assert.ok(run.argv.join(' ').includes('--tp-size 8 --ep-size 8 --chunked-prefill-size 8192 --enable-metrics'));
  assert.equal(run.variant?.parallel.ep, 8);
  const stop = cli(['engine', 'stop', run.id]);
  assert.equal(stop.status, 0, stop.stderr);
});
