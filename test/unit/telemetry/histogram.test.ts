import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramDelta, histogramQuantile, latencyBand, readHistograms } from '../../../src/core/telemetry/histogram';
import { readEngineMetrics } from '../../../src/core/telemetry/prometheus';
import { ThroughputDeriver, latencyUnavailableNote } from '../../../src/core/telemetry/live';
import { Exposition, Histogram, SGLANG_BUCKETS, VLLM_BUCKETS } from '../../../src/core/sim/prometheus';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

test('histogram_quantile as Prometheus computes it, values worked by hand', () => {
  // 10 observations: 2 ≤ 0.1, 5 in (0.1, 0.5], 2 in (0.5, 1], 1 above 1.
  const buckets = [
    { le: 0.1, count: 2 },
    { le: 0.5, count: 7 },
    { le: 1, count: 9 },
    { le: Infinity, count: 10 },
  ];
  // p50: rank 5 falls in (0.1, 0.5] with 3 of its 5 → 0.1 + 0.4·3/5 = 0.34
  close(histogramQuantile(0.5, buckets), 0.34, 'p50');
  // p10: rank 1 in the first bucket, lower bound 0 → 0.1·1/2 = 0.05
  close(histogramQuantile(0.1, buckets), 0.05, 'p10');
  // p99: rank 9.9 lands in +Inf → the highest finite bound, 1
  close(histogramQuantile(0.99, buckets), 1, 'p99');
  assert.ok(Number.isNaN(histogramQuantile(0.5, [{ le: 0.1, count: 0 }, { le: Infinity, count: 0 }])), 'no observations');
  assert.ok(Number.isNaN(histogramQuantile(0.5, [{ le: 0.1, count: 1 }, { le: 1, count: 2 }])), 'no +Inf bucket');
});

test('histograms are summed over label sets (DP ranks) and differenced between scrapes; a reset gives nothing', () => {
  const text = (a: number, b: number) => `# TYPE x histogram
x_bucket{engine="0",le="0.5"} ${a}
x_bucket{engine="0",le="+Inf"} ${a + 1}
x_count{engine="0"} ${a + 1}
x_sum{engine="0"} ${a * 0.2 + 3}
x_bucket{engine="1",le="0.5"} ${b}
x_bucket{engine="1",le="+Inf"} ${b}
x_count{engine="1"} ${b}
x_sum{engine="1"} ${b * 0.3}
`;
  const first = readHistograms(text(1, 2), (n) => n === 'x').get('x')!;
  assert.deepEqual(first, { buckets: [{ le: 0.5, count: 3 }, { le: Infinity, count: 4 }], count: 4, sum: 0.2 + 3 + 0.6 });
  const second = readHistograms(text(5, 6), (n) => n === 'x').get('x')!;
  const d = histogramDelta(first, second)!;
  assert.deepEqual(d.buckets, [{ le: 0.5, count: 8 }, { le: Infinity, count: 8 }]);
  // 8 new observations, all ≤ 0.5, sum 4·0.2 + 4·0.3 = 2.0 → mean 250 ms; p50: rank 4 of 8 in (0, 0.5] → 250 ms.
  const band = latencyBand(d)!;
  close(band.meanMs, 250, 'mean');
  close(band.p50Ms, 250, 'p50');
  close(band.p99Ms, 0.5 * 0.99 * 1000, 'p99');
  assert.equal(histogramDelta(second, first), undefined);
});

test('the simulated engines expose histograms that telemetry reads back into bands (vLLM 0.11 names, SGLang names)', () => {
  const ttft = new Histogram(VLLM_BUCKETS.ttft);
  const itl = new Histogram(VLLM_BUCKETS.itl);
  const render = () =>
    new Exposition()
      .histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', { engine: '0', model_name: 'm' }, ttft)
      .histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', { engine: '0', model_name: 'm' }, itl)
      .text();
  const deriver = new ThroughputDeriver();
  deriver.next(0, readEngineMetrics(render(), 'vllm'));
  for (const v of [0.3, 0.3, 0.3, 0.6]) ttft.observe(v); // buckets (0.25, 0.5] ×3, (0.5, 0.75] ×1
  for (let i = 0; i < 100; i++) itl.observe(0.03); // (0.025, 0.05]
  const sample = deriver.next(1000, readEngineMetrics(render(), 'vllm'));
  // TTFT p50: rank 2 of 4, 3 in (0.25, 0.5] → 0.25 + 0.25·2/3; mean 1.5/4 = 0.375 s.
  close(sample.latency!.ttft!.p50Ms, (0.25 + 0.25 * (2 / 3)) * 1000, 'ttft p50');
  close(sample.latency!.ttft!.meanMs, 375, 'ttft mean');
  close(sample.latency!.itl!.meanMs, 30, 'itl mean');
  assert.equal(sample.latency!.tpot, undefined, 'vLLM 0.11 has no per-request TPOT histogram');

  const sglangTtft = new Histogram(SGLANG_BUCKETS.ttft);
  sglangTtft.observe(1.5);
  const sglang = new Exposition().histogram('sglang:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', { model_name: 'm' }, sglangTtft).text();
  assert.equal(readEngineMetrics(sglang, 'sglang').latency!.ttft!.count, 1);
  assert.equal(readEngineMetrics(sglang, 'vllm').latency, undefined);
});

test('queue view: vLLM preemptions and prefix-cache hits from counter deltas; SGLang from its gauges', () => {
  const vllm = (pre: number, q: number, h: number) => `# TYPE vllm:num_preemptions_total counter
vllm:num_preemptions_total{engine="0"} ${pre}
# TYPE vllm:prefix_cache_queries_total counter
vllm:prefix_cache_queries_total{engine="0"} ${q}
# TYPE vllm:prefix_cache_hits_total counter
vllm:prefix_cache_hits_total{engine="0"} ${h}
`;
  const d = new ThroughputDeriver();
  d.next(0, readEngineMetrics(vllm(2, 1000, 100), 'vllm'));
  const s = d.next(1000, readEngineMetrics(vllm(5, 3000, 600), 'vllm'));
  assert.equal(s.preempted, 3);
  close(s.prefixHitRate!, 0.25, 'hit rate of the interval');
  const sglang = `# TYPE sglang:num_retracted_reqs gauge
sglang:num_retracted_reqs{tp_rank="0"} 4
# TYPE sglang:cache_hit_rate gauge
sglang:cache_hit_rate{tp_rank="0"} 0.5
`;
  const g = new ThroughputDeriver().next(0, readEngineMetrics(sglang, 'sglang'));
  assert.equal(g.preempted, 4);
  assert.equal(g.prefixHitRate, 0.5);
});

test('TRT-LLM: its per-request TPOT histogram is read by suffix; without histograms the chart note says why', () => {
  const h = new Histogram([0.01, 0.1]);
  h.observe(0.05);
  const text = new Exposition().histogram('trtllm_time_per_output_token_seconds', 'Histogram of time per output token in seconds.', { model_name: 'm' }, h).text();
  assert.equal(readEngineMetrics(text, 'trtllm').latency!.tpot!.count, 1);
  assert.match(latencyUnavailableNote('trtllm'), /TensorRT-LLM.*return_perf_metrics: true/);
  assert.match(latencyUnavailableNote('sglang'), /--enable-metrics/);
});
