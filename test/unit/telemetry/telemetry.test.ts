import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readEngineMetrics } from '../../../src/core/telemetry/prometheus';
import { requestSample, startTelemetry, ThroughputDeriver } from '../../../src/core/telemetry/live';
import type { LiveSample } from '../../../src/core/telemetry/samples';

const vllmText = (prompt: number, gen: number, running = 187, waiting = 613, kv = 0.1734) => `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="glm-4.5-air"} ${running}
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="glm-4.5-air"} ${waiting}
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="glm-4.5-air"} ${kv}
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="glm-4.5-air"} ${prompt}
vllm:prompt_tokens_created{engine="0",model_name="glm-4.5-air"} 1.730012345e+09
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="glm-4.5-air"} ${gen}
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="length",model_name="glm-4.5-air"} 212.0
vllm:request_success_total{engine="0",finished_reason="stop",model_name="glm-4.5-air"} 3.0
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="10.0",model_name="glm-4.5-air"} 120.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="glm-4.5-air"} 215.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="glm-4.5-air"} 215.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="glm-4.5-air"} 2871.4
`;

const sglangText = `# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{engine_type="unified",model_name="glm-4.5-air",pp_rank="0",tp_rank="0"} 412.0
# TYPE sglang:num_queue_reqs gauge
sglang:num_queue_reqs{engine_type="unified",model_name="glm-4.5-air",pp_rank="0",tp_rank="0"} 0.0
# TYPE sglang:token_usage gauge
sglang:token_usage{engine_type="unified",model_name="glm-4.5-air",pp_rank="0",tp_rank="0"} 0.41
# TYPE sglang:prompt_tokens_total counter
sglang:prompt_tokens_total{model_name="glm-4.5-air"} 2.07e+05
# TYPE sglang:generation_tokens_total counter
sglang:generation_tokens_total{model_name="glm-4.5-air"} 9.1e+04
`;

test('vLLM metrics: counters, running/waiting and KV usage by their 0.11 names; _created series ignored', () => {
  const { latency, ...scalars } = readEngineMetrics(vllmText(1.523e6, 48211), 'vllm');
  assert.deepEqual(latency?.ttft, { buckets: [{ le: 10, count: 120 }, { le: Infinity, count: 215 }], count: 215, sum: 2871.4 });
  assert.deepEqual(scalars, {
    promptTokens: 1.523e6,
    generationTokens: 48211,
    running: 187,
    waiting: 613,
    kvUsage: 0.1734,
  });
});

test('SGLang metrics by their names; vLLM names are not read for SGLang', () => {
  assert.deepEqual(readEngineMetrics(sglangText, 'sglang'), { promptTokens: 207000, generationTokens: 91000, running: 412, waiting: 0, kvUsage: 0.41 });
  assert.deepEqual(readEngineMetrics(sglangText, 'vllm'), {});
});

test('data-parallel ranks: counts summed, KV usage averaged; the pre-0.11 KV name is a fallback', () => {
  const text = `# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0"} 10
vllm:num_requests_running{engine="1"} 5
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{engine="0"} 0.2
vllm:gpu_cache_usage_perc{engine="1"} 0.4
`;
  const m = readEngineMetrics(text, 'vllm');
  assert.equal(m.running, 15);
  assert.ok(Math.abs(m.kvUsage! - 0.3) < 1e-12);
});

test('throughput comes from counter deltas over the scrape interval; a counter reset gives no rate', () => {
  const d = new ThroughputDeriver();
  const first = d.next(1000, readEngineMetrics(vllmText(1000, 100), 'vllm'));
  assert.equal(first.totalTokS, undefined, 'no rate from a single reading');
  assert.equal(first.running, 187);
  const second = d.next(3000, readEngineMetrics(vllmText(9000, 2100), 'vllm'));
  assert.equal(second.outputTokS, 1000);
  assert.equal(second.totalTokS, 5000);
  const reset = d.next(4000, readEngineMetrics(vllmText(10, 1), 'vllm'));
  assert.equal(reset.totalTokS, undefined);
});

test('startTelemetry scrapes on its cadence, reports a failing endpoint once, and stops cleanly', async () => {
  let calls = 0;
  const samples: LiveSample[] = [];
  const problems: string[] = [];
  const telemetry = startTelemetry({
    engine: 'vllm',
    intervalMs: 20,
    async fetchMetrics() {
      calls++;
      if (calls === 2 || calls === 3) throw new Error('connection refused');
      return vllmText(calls * 1000, calls * 100);
    },
    onSample: (s) => samples.push(s),
    onProblem: (m) => problems.push(m),
  });
  await new Promise((r) => setTimeout(r, 200));
  await telemetry.stop();
  const after = calls;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(calls, after, 'no scrape after stop');
  assert.ok(samples.length >= 4, `got ${samples.length} samples`);
  assert.equal(telemetry.scrapes, samples.length);
  assert.ok(samples.some((s) => s.totalTokS !== undefined && s.totalTokS > 0));
  assert.equal(problems.length, 2, problems.join(' | '));
  assert.match(problems[0]!, /cannot read the engine's \/metrics \(connection refused\)/);
  assert.match(problems[1]!, /answers again/);
});

test('a request event becomes a per-request sample in ms with vLLM TPOT', () => {
  const s = requestSample({ success: true, promptLen: 10, outputLen: 5, ttft: 0.5, itl: [0.1, 0.1, 0.1, 0.1], latency: 0.9, startTime: 2 }, 1_000_000);
  assert.equal(s.t, 1_000_000 + 2900);
  assert.equal(s.ttftMs, 500);
  assert.ok(Math.abs(s.tpotMs! - 100) < 1e-9);
  assert.ok(Math.abs(s.itlMs! - 100) < 1e-9);
});

test('a benchmark shorter than one scrape interval still gets a throughput from the final reading', async () => {
  let calls = 0;
  const samples: LiveSample[] = [];
  const telemetry = startTelemetry({
    engine: 'vllm',
    intervalMs: 60_000,
    async fetchMetrics() {
      calls++;
      return vllmText(calls * 1000, calls * 100);
    },
    onSample: (s) => samples.push(s),
  });
  await new Promise((r) => setTimeout(r, 30));
  await telemetry.stop();
  assert.equal(calls, 2, 'one reading at the start, one when stopped');
  assert.ok(samples[1]!.totalTokS !== undefined && samples[1]!.totalTokS > 0, JSON.stringify(samples));
});
