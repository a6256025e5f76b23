import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeMetrics, parseGoodput, parsePercentileMetrics, parsePercentiles, type RequestOutput } from '../../../src/core/bench/metrics';
import { centered, formatResultBlock, pyFixed2 } from '../../../src/core/bench/format';

const req = (success: boolean, promptLen: number, outputLen: number, ttft: number, itl: number[], startTime: number): RequestOutput => ({
  success,
  promptLen,
  outputLen,
  ttft,
  itl,
  latency: ttft + itl.reduce((a, b) => a + b, 0),
  startTime,
  ...(success ? {} : { error: 'Bad Request' }),
});

const outputs = [
  req(true, 10, 5, 0.1, [0.02, 0.03, 0.0, 0.05], 0.0),
  req(true, 20, 1, 0.3, [], 0.5),
  req(false, 7, 0, 0, [], 0.2),
  req(true, 15, 4, 0.25, [0.2, 0.9, 0.4], 1.2),
  req(true, 12, 0, 0.05, [0.01], 2.5),
];

const close = (actual: unknown, expected: number, what: string) => {
  assert.equal(typeof actual, 'number', what);
  assert.ok(Math.abs((actual as number) - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);
};

test('computeMetrics matches numpy (mean, median, population std, linear percentiles) over successful requests only', () => {
  const m = computeMetrics(outputs, {
    durationS: 4,
    percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'],
    percentiles: [99, 37.5],
    goodput: { ttftMs: 260, tpotMs: 200 },
  });
  assert.equal(m.completed, 4);
  assert.equal(m.failed, 1);
  assert.equal(m.total_input_tokens, 57, 'the failed request adds no input');
  assert.equal(m.total_output_tokens, 11, 'a request without usage counts as 1 output token');
  close(m.request_throughput, 1, 'request_throughput');
  close(m.output_throughput, 11 / 4, 'output_throughput');
  close(m.total_token_throughput, 68 / 4, 'total_token_throughput');
  close(m.request_goodput, 2 / 4, 'goodput: all SLOs hold for 2 requests; TPOT of a 1-token request counts as 0');
  assert.equal(m.max_concurrent_requests, 2, 'sweep over [start, start+latency)');
  assert.equal(m.max_output_tokens_per_s, 6, 'six choices-messages arrive in the first second');
  // Expected values from numpy 2.4 over the same inputs.
  const numpy: Record<string, number> = {
    mean_ttft_ms: 175.00000000000003, median_ttft_ms: 175.0, std_ttft_ms: 103.0776406404415, p99_ttft_ms: 298.5, 'p37.5_ttft_ms': 118.75000000000001,
    mean_tpot_ms: 262.5, median_tpot_ms: 262.5, std_tpot_ms: 237.50000000000003, p99_tpot_ms: 495.24999999999994, 'p37.5_tpot_ms': 203.12499999999997,
    mean_itl_ms: 201.25000000000003, median_itl_ms: 40.0, std_itl_ms: 293.6595605458811, p99_itl_ms: 864.9999999999999, 'p37.5_itl_ms': 26.25,
    mean_e2el_ms: 577.5, median_e2el_ms: 250.0, std_e2el_ms: 682.2893447797642, p99_e2el_ms: 1706.4999999999998, 'p37.5_e2el_ms': 212.50000000000003,
  };
  for (const [key, value] of Object.entries(numpy)) close(m[key], value, key);
});

test('without --goodput request_goodput is null; unselected metrics get no keys; nothing successful gives zeros', () => {
  const m = computeMetrics(outputs, { durationS: 4, percentileMetrics: ['ttft'], percentiles: [99] });
  assert.equal(m.request_goodput, null);
  assert.equal('mean_itl_ms' in m, false);
  const none = computeMetrics([outputs[2]!], { durationS: 1, percentileMetrics: ['ttft', 'itl'], percentiles: [99] });
  assert.equal(none.completed, 0);
  assert.equal(none.failed, 1);
  assert.equal(none.mean_ttft_ms, 0);
  assert.equal(none.p99_itl_ms, 0);
  assert.equal(none.max_concurrent_requests, 0);
});

test('peak concurrency: a departure and an arrival at the same instant do not overlap', () => {
  const chain = [req(true, 1, 2, 0.5, [0.5], 0), req(true, 1, 2, 0.5, [0.5], 1), req(true, 1, 2, 0.5, [0.5], 2)];
  assert.equal(computeMetrics(chain, { durationS: 3, percentileMetrics: [], percentiles: [] }).max_concurrent_requests, 1);
});

test('flag parsers accept what vLLM accepts and name the problem otherwise', () => {
  assert.deepEqual(parsePercentiles('50,90,99.9'), [50, 90, 99.9]);
  assert.throws(() => parsePercentiles('99,abc'), /expected comma-separated percentiles/);
  assert.deepEqual(parsePercentileMetrics('ttft,tpot,itl,e2el'), ['ttft', 'tpot', 'itl', 'e2el']);
  assert.throws(() => parsePercentileMetrics('ttft,foo'), /unknown percentile metric "foo"/);
  assert.deepEqual(parseGoodput(['ttft:2000', 'tpot:50']), { ttftMs: 2000, tpotMs: 50 });
  assert.throws(() => parseGoodput(['latency:5']), /expected ttft, tpot or e2el/);
  assert.throws(() => parseGoodput(['ttft:-1']), /must not be negative/);
  assert.throws(() => parseGoodput(['ttft']), /NAME:MILLISECONDS/);
});

test("python's .2f: half-to-even on exact binary ties, plain rounding otherwise", () => {
  // Values checked against Python: format(x, '.2f')
  const python: Array<[number, string]> = [[0.125, '0.12'], [0.375, '0.38'], [2.675, '2.67'], [1.005, '1.00'], [3903.44, '3903.44'], [1000, '1000.00'], [0.625, '0.62'], [12.875, '12.88'], [0, '0.00']];
  for (const [x, s] of python) assert.equal(pyFixed2(x), s, String(x));
  assert.equal(centered(' Serving Benchmark Result ', '='), '============ Serving Benchmark Result ============');
  assert.equal(centered('Time to First Token', '-'), '---------------Time to First Token----------------');
});

test('the printed block: padded lines, conditional lines in vLLM order', () => {
  const m = computeMetrics(outputs, { durationS: 4, percentileMetrics: ['itl', 'ttft'], percentiles: [99], goodput: { ttftMs: 260 } });
  const block = formatResultBlock(m, { percentileMetrics: ['itl', 'ttft'], percentiles: [99], goodput: true, maxConcurrency: 8, requestRate: 2.5 });
  const lines = block.split('\n');
  assert.equal(lines[1], 'Successful requests:                     4         ');
  assert.equal(lines[2], 'Failed requests:                         1         ');
  assert.equal(lines[3], 'Maximum request concurrency:             8         ');
  assert.equal(lines[4], 'Request rate configured (RPS):           2.50      ');
  assert.ok(lines.includes('Request goodput (req/s):                 0.75      '));
  assert.ok(block.indexOf('Time to First Token') < block.indexOf('Inter-token Latency'), 'sections in vLLM order');
  assert.equal(lines.at(-2), '='.repeat(50));
  const plain = formatResultBlock(m, { percentileMetrics: ['ttft'], percentiles: [99], requestRate: 'inf', style: 'v0.11' });
  assert.doesNotMatch(plain, /Failed requests|Maximum request|Request rate configured|goodput/);
  assert.match(plain, /Total Token throughput \(tok\/s\):/);
});
