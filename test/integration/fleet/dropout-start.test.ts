// A host that dies while an engine starts on it (its sshd, sessions and engine killed): the start ends within seconds
// saying the host stopped answering — what a pool needs to start the variant on another host — instead of polling
// until the readiness timeout. The host is a simulated GPU server behind a real sshd on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine } from '../../../src/core/remote/runs';
import { killSimSshHost, startSimSshHost, type SimSshHost } from '../support/simSshHost';

let sim: SimSshHost;

before(async () => {
  // Slow start-up (speedup 2: tens of seconds to load the weights), so the host can be killed before it is ready.
  sim = await startSimSshHost({ name: 'gpu1', speedup: 2 });
});

after(async () => {
  await sim.stop().catch(() => {});
});

test('a host killed while an engine starts ends the start within seconds, not at the readiness timeout', { timeout: 120_000 }, async () => {
  const t = await sim.connect();
  const starting = startEngine(t, sim.host, { engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 } }, { readinessTimeoutS: 600, pollIntervalS: 0.5 });
  const outcome = starting.then(
    () => 'ready',
    (err: Error) => err,
  );
  // Once the engine logs (it is launched and being polled for readiness), the machine goes away.
  const runs = join(sim.workDir, 'runs');
  const launched = () => existsSync(runs) && readdirSync(runs).some((id) => existsSync(join(runs, id, 'engine.log')) && readFileSync(join(runs, id, 'engine.log'), 'utf8').includes('\n'));
  for (let i = 0; i < 600 && !launched(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(launched(), 'the engine never started');
  await new Promise((r) => setTimeout(r, 1000));
  const killedAt = Date.now();
  await killSimSshHost(sim);
  const result = await outcome;
  const seconds = (Date.now() - killedAt) / 1000;
  assert.ok(result instanceof Error, `the start ended ${String(result)}`);
  assert.match(result.message, /gpu1 stopped answering while run vllm-\S+ started: the host accepts no new connection/);
  // Usually about 10 s; up to the transport's reconnect series (~31 s) when the connection drops between two polls.
  // Without the probe the start waits for its readiness timeout (600 s here) and the test times out at 120 s.
  assert.ok(seconds < 60, `noticed after ${seconds} s`);
  await t.close();
});
