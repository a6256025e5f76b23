// Stopping an engine that ignores SIGTERM: SIGKILL after the grace period reaches the whole process group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LocalTransport } from '../../../src/core/remote/local';
import { listeningPorts, startEngine, stopEngine } from '../../../src/core/remote/runs';
import { HostSpec } from '../../../src/core/plan/schema';

const STUBBORN = resolve(__dirname, '../../fixtures/ssh/stubborn-engine.mjs');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('an engine ignoring SIGTERM is killed with its workers after the grace period, and its port closes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-stop-'));
  process.env['SERVING_LAB_HOME'] = join(dir, 'home');
  const host = HostSpec.parse({ name: 'here', transport: { kind: 'local' }, engines: { vllm: { command: STUBBORN } }, workDir: join(dir, 'work') });
  const t = new LocalTransport();
  const warnings: string[] = [];
  try {
    const run = await startEngine(t, host, { engine: 'vllm', model: 'm' }, { readinessTimeoutS: 30, pollIntervalS: 0.2 });
    assert.equal(run.status.state, 'ready');
    const worker = Number(readFileSync(run.logPath, 'utf8').match(/worker pid (\d+)/)![1]);
    assert.ok(alive(worker) && alive(run.pid!));
    const started = Date.now();
    const stopped = await stopEngine(t, host, run.id, { graceS: 1, log: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} } });
    assert.ok(Date.now() - started >= 1000, 'SIGKILL only after the grace period');
    assert.equal(stopped.status.state, 'stopped');
    assert.equal(alive(run.pid!), false);
    assert.equal(alive(worker), false, 'the worker in the same process group is gone too');
    assert.match(warnings.join('\n'), /did not stop within 1 s: sent SIGKILL/);
    assert.match(readFileSync(run.logPath, 'utf8'), /ignoring SIGTERM/);
    assert.equal((await listeningPorts(t)).has(run.port), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
