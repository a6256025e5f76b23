// Live telemetry during a simulated benchmark: the engine's /metrics is scraped through the host's transport about
// once a second, for vLLM and SGLang launches alike, and the samples carry throughput, running/waiting requests and
// KV-cache usage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineVariant } from '../../../src/core/plan/schema';
import { resolveWorkload } from '../../../src/core/plan/presets';
import { openHostBackend, type ConnectedHostBackend } from '../../../src/core/tune/hostBackend';
import type { LiveSample, RequestSample } from '../../../src/core/telemetry/samples';
import { killEngines, liveEngineGroups } from './support';

const home = mkdtempSync(join(tmpdir(), 'serving-lab-telemetry-home-'));
const simWorkDir = join(home, 'sim', 'A100-SXM4-80GB-4');
let backend: ConnectedHostBackend;

before(async () => {
  process.env['SERVING_LAB_HOME'] = home;
  backend = await openHostBackend({ hostName: 'sim', cwd: home, speedup: 5 }, new AbortController().signal);
  await backend.facts(new AbortController().signal);
});

after(async () => {
  await backend?.close();
  killEngines(simWorkDir);
  rmSync(home, { recursive: true, force: true });
});

async function samplesDuringBenchmark(engine: 'vllm' | 'sglang'): Promise<{ samples: LiveSample[]; seconds: number }> {
  const variant = EngineVariant.parse({ engine, model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 } });
  const signal = new AbortController().signal;
  const launched = await backend.launch(variant, { signal, onLog: () => {} });
  assert.ok(launched.ok, launched.ok ? '' : launched.crash.rootCause);
  const samples: LiveSample[] = [];
  const started = Date.now();
  try {
    const outcome = await backend.benchmark({
      session: launched.session,
      workload: resolveWorkload({ preset: 'long-prompt', numPrompts: 80 }),
      position: { experimentId: 'x-telemetry', stage: 'Telemetry', stageIndex: 0, stageCount: 1, option: engine, command: launched.session.command, workload: 'Long Prompt', repeat: 1, repeats: 1 },
      signal,
      onSample: (s) => samples.push(s),
      onRequest: () => {},
      onLog: () => {},
    });
    assert.equal(outcome.interrupted, false);
    assert.ok(outcome.metrics.completed > 0);
  } finally {
    await backend.stop(launched.session);
  }
  return { samples, seconds: (Date.now() - started) / 1000 };
}

for (const engine of ['vllm', 'sglang'] as const) {
  test(`${engine}: samples about once a second with throughput, running/waiting and KV usage from /metrics`, async () => {
    const { samples, seconds } = await samplesDuringBenchmark(engine);
    assert.ok(seconds >= 3, `the benchmark ran ${seconds.toFixed(1)} s; too short to judge the cadence`);
    assert.ok(samples.length >= Math.floor(seconds * 0.6), `${samples.length} samples in ${seconds.toFixed(1)} s`);
    const gaps = samples.slice(1).map((s, i) => s.t - samples[i]!.t).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)]!;
    assert.ok(median > 700 && median < 1600, `median gap ${median} ms`);
    assert.ok(samples.some((s) => (s.totalTokS ?? 0) > 0), 'token throughput from counter deltas');
    assert.ok(samples.some((s) => (s.outputTokS ?? 0) > 0));
    assert.ok(samples.some((s) => (s.running ?? 0) > 0), 'running requests');
    assert.ok(samples.every((s) => s.waiting !== undefined), 'waiting requests in every sample');
    assert.ok(samples.some((s) => (s.kvUsage ?? 0) > 0 && s.kvUsage! <= 1), 'KV-cache usage as a fraction');
    assert.deepEqual(liveEngineGroups(simWorkDir), []);
  });
}

test('native runner: the CLI bundle is uploaded and run on the host, and streams one sample per finished request', async () => {
  const native = await openHostBackend({ hostName: 'sim', cwd: home, speedup: 5, runner: 'native' }, new AbortController().signal);
  try {
    await native.facts(new AbortController().signal);
    const variant = EngineVariant.parse({ engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 } });
    const signal = new AbortController().signal;
    const launched = await native.launch(variant, { signal, onLog: () => {} });
    assert.ok(launched.ok);
    const requests: RequestSample[] = [];
    try {
      const outcome = await native.benchmark({
        session: launched.session,
        workload: resolveWorkload({ preset: 'short-prompt', numPrompts: 40 }),
        position: { experimentId: 'x-native', stage: 'Native', stageIndex: 0, stageCount: 1, option: 'vllm', command: launched.session.command, workload: 'Short Prompt', repeat: 1, repeats: 1 },
        signal,
        onSample: () => {},
        onRequest: (r) => requests.push(r),
        onLog: () => {},
      });
      assert.equal(outcome.sourceKind, 'native');
      assert.match(outcome.benchCommand, /^node \S+\/serving-lab-cli\.js bench .*--events -$/);
      assert.equal(outcome.metrics.completed, 40);
      assert.equal(requests.length, 40);
      assert.ok(requests.every((r) => r.success && r.ttftMs > 0 && r.e2elMs >= r.ttftMs && r.outputTokens === 4));
    } finally {
      await native.stop(launched.session);
    }
  } finally {
    await native.close();
  }
});
