// A host that dies while an engine starts on it (its sshd, sessions and engine killed): the start ends within seconds
// saying the host stopped answering — what a pool needs to start the variant on another host — instead of polling
// until the readiness timeout. The host is a simulated GPU server behind a real sshd on loopback.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine } from '../../../src/core/remote/runs';
import type { Transport } from '../../../src/core/remote/transport';
import { killSimSshHost, startSimSshHost, type SimSshHost } from '../support/simSshHost';

let sim: SimSshHost;

before(async () => {
  // Slow start-up (speedup 2: tens of seconds to load the weights), so the host can be killed before it is ready.
  sim = await startSimSshHost({ name: 'gpu1', speedup: 2 });
});

after(async () => {
  await sim.stop().catch(() => {});
});

test('a host killed while an engine starts ends the start within seconds, not at the readiness timeout', { timeout: 120_000 }, async (ctx) => {
  const t = await sim.connect();
  // The readiness polls go through exec: the test notes when the last one came back, to kill the host between two.
  let polledAt = 0;
  const watched: Transport = {
    kind: t.kind,
    description: t.description,
    exec: async (argv, options) => {
      const r = await t.exec(argv, options);
      polledAt = Date.now();
      return r;
    },
    upload: (...a) => t.upload(...a),
    download: (...a) => t.download(...a),
    readFile: (...a) => t.readFile(...a),
    writeFile: (...a) => t.writeFile(...a),
    probe: (...a) => t.probe!(...a),
    openTcp: (...a) => t.openTcp(...a),
    close: () => t.close(),
  };
  const starting = startEngine(watched, sim.host, { engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 } }, { readinessTimeoutS: 600, pollIntervalS: 1 });
  const outcome = starting.then(
    () => 'ready',
    (err: Error) => err,
  );
  // Once the engine logs (it is launched and being polled for readiness), the machine goes away.
  const runs = join(sim.workDir, 'runs');
  const launched = () => existsSync(runs) && readdirSync(runs).some((id) => existsSync(join(runs, id, 'engine.log')) && readFileSync(join(runs, id, 'engine.log'), 'utf8').includes('\n'));
  for (let i = 0; i < 600 && !launched(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(launched(), 'the engine never started');
  // Between two polls (one a second): the connection drops while nothing runs on it, the case that used to wait out
  // the transport's reconnect backoff.
  const before = polledAt;
  while (polledAt === before) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  const killedAt = Date.now();
  await killSimSshHost(sim);
  const result = await outcome;
  const seconds = (Date.now() - killedAt) / 1000;
  ctx.diagnostic(`the start ended ${seconds.toFixed(1)} s after the host was killed`);
  assert.ok(result instanceof Error, `the start ended ${String(result)}`);
  assert.match(result.message, /gpu1 stopped answering while run vllm-\S+ started: the host accepts no new connection/);
  // The next poll waits for a new connection. The transport probes once when the connection closes and marks the
  // host down, so that poll fails at once: about a poll interval. Without that probe the poll sits out the reconnect
  // backoff (1+2+4+8+16 = 31 s); without the readiness loop's probe the start waits for its readiness timeout (600 s
  // here) and the test times out at 120 s.
  assert.ok(seconds < 5, `noticed after ${seconds} s`);
  await t.close();
});
