import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BenchmarkMetrics } from '../../../src/core/plan/schema';
import { metricsToSimulatedClock, sampleToSimulatedClock } from '../../../src/core/tune/simulatedClock';

test('a run at speedup K converts to the simulated clock: times ×K, rates ÷K, counts unchanged', () => {
  const wall: BenchmarkMetrics = {
    duration: 10,
    completed: 1000,
    failed: 0,
    total_input_tokens: 214465,
    total_output_tokens: 199904,
    request_throughput: 100,
    output_throughput: 19990.4,
    total_token_throughput: 41436.9,
    max_output_tokens_per_s: 50000,
    max_concurrent_requests: 1000,
    mean_ttft_ms: 1000,
    p99_tpot_ms: 20,
  };
  const sim = metricsToSimulatedClock(wall, 10);
  assert.equal(sim.duration, 100);
  assert.equal(sim.completed, 1000);
  assert.equal(sim.total_input_tokens, 214465);
  assert.equal(sim.max_concurrent_requests, 1000);
  assert.equal(sim.request_throughput, 10);
  assert.ok(Math.abs(sim.total_token_throughput - 4143.69) < 1e-9);
  assert.equal(sim.max_output_tokens_per_s, 5000);
  assert.equal(sim['mean_ttft_ms'], 10000);
  assert.equal(sim['p99_tpot_ms'], 200);
  assert.equal(metricsToSimulatedClock(wall, 1), wall);
  assert.deepEqual(sampleToSimulatedClock({ t: 5, totalTokS: 1000, running: 7 }, 4), { t: 5, totalTokS: 250, running: 7 });
});
