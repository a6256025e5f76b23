// Every import shape, from fixtures written from each tool's documented output format; expected values worked by
// hand in the comments (not read back from the code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchmarkParseError, parseBenchmarkOutput } from '../../../src/core/bench/parse';
import { parseImportPath, parseImportText, toImportedBatch } from '../../../src/core/imports';
import { BenchmarkResult } from '../../../src/core/plan/schema';

const DIR = 'test/fixtures/bench/imports';
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');
const close = (a: unknown, b: number, what: string) => assert.ok(typeof a === 'number' && Math.abs(a - b) < 1e-6, `${what}: ${String(a)} ≠ ${b}`);

test('GuideLLM report: one result per benchmark, its strategy as the load, GuideLLM ITL as vLLM TPOT', () => {
  const [sync, constant] = parseImportText(read('guidellm-benchmarks.json'), 'guidellm-benchmarks.json');
  assert.equal(sync!.source.kind, 'guidellm-json');
  assert.equal(sync!.source.tool, 'GuideLLM');
  assert.equal(sync!.source.version, '0.4.0');
  // measure window 1000 → 1020 s; 10 requests of 512 in / 128 out
  close(sync!.metrics.duration, 20, 'duration');
  close(sync!.metrics.request_throughput, 0.5, '10 / 20 s');
  close(sync!.metrics.output_throughput, 64, '1280 / 20 s');
  close(sync!.metrics.total_token_throughput, 320, '(5120 + 1280) / 20 s');
  close(sync!.metrics['mean_tpot_ms'], 14.5, 'GuideLLM inter_token_latency_ms mean → TPOT');
  close(sync!.metrics['p99_ttft_ms'], 250, 'p99 TTFT');
  close(sync!.metrics['mean_e2el_ms'], 1960, 'request_latency 1.96 s → ms');
  close(sync!.metrics['mean_guidellm_tpot_incl_ttft_ms'], 15.3, 'GuideLLM TPOT kept apart');
  assert.equal(sync!.metrics['mean_itl_ms'], undefined, 'GuideLLM has no per-chunk ITL');
  assert.equal(sync!.setup.maxConcurrency, 1, 'synchronous = one request at a time');
  assert.equal(constant!.setup.requestRate, 4);
  close(constant!.metrics.request_throughput, 100 / 30, '100 / 30 s');
  close(constant!.metrics.total_token_throughput, 64000 / 30, '(51200 + 12800) / 30 s');
  assert.equal(constant!.metrics.failed, 2);
  assert.match(constant!.notes.join('\n'), /3 requests were still running/);
  assert.match(constant!.notes.join('\n'), /inter_token_latency_ms → vLLM TPOT/);
  const stored = toImportedBatch([sync!, constant!], 'guidellm-benchmarks.json');
  assert.deepEqual(stored.problems, []);
  assert.equal(stored.results[1]!.metrics['request_rate'], 4, 'the load is stored with the result');
});

test('AIPerf JSON and CSV: the same run gives the same vLLM metrics; AIPerf ITL is vLLM TPOT, inter-chunk is ITL', () => {
  const [json] = parseImportText(read('profile_export_aiperf.json'), 'profile_export_aiperf.json');
  const [csv] = parseImportText(read('profile_export_aiperf.csv'), 'profile_export_aiperf.csv');
  assert.equal(json!.source.kind, 'aiperf-json');
  assert.equal(json!.source.version, '0.3.0');
  assert.equal(csv!.source.kind, 'aiperf-csv');
  for (const r of [json!, csv!]) {
    close(r.metrics.duration, 60, 'duration');
    close(r.metrics.completed, 300, 'requests');
    close(r.metrics.total_input_tokens, 153600, '512 × 300');
    close(r.metrics.total_output_tokens, 60000, '1000 tok/s × 60 s');
    close(r.metrics.total_token_throughput, 3560, '(153600 + 60000) / 60');
    close(r.metrics['mean_ttft_ms'], 85.5, 'TTFT');
    close(r.metrics['mean_tpot_ms'], 12.5, 'AIPerf inter_token_latency → TPOT');
    close(r.metrics['mean_e2el_ms'], 2573, 'request latency, "2,573.00" in the CSV');
  }
  close(json!.metrics['p99_itl_ms'], 30, 'AIPerf inter_chunk_latency → ITL');
  assert.equal(json!.metrics.failed, 0, 'an empty error_summary: none failed');
  assert.equal(csv!.metrics.failed, null, 'the CSV cannot say: unknown, not 0');
  assert.equal(json!.setup.maxConcurrency, 16);
});

test('a vllm bench sweep directory: one result per run=N.json, grouped by serve configuration; summaries, warmups and failures skipped', async () => {
  const parsed = await parseImportPath(join(DIR, 'sweep'), 'sweep');
  assert.equal(parsed.length, 3);
  assert.deepEqual(parsed.map((p) => p.title), [
    'serve max_num_seqs=128 · bench max_concurrency=8 · run 0',
    'serve max_num_seqs=64 · bench max_concurrency=8 · run 0',
    'serve max_num_seqs=64 · bench max_concurrency=8 · run 1',
  ]);
  assert.ok(parsed.every((p) => p.source.kind === 'vllm-sweep' && p.source.tool === 'vllm bench sweep'));
  close(parsed[0]!.metrics.total_token_throughput, 3600, '92160 / 25.6 s');
  assert.equal(parsed[0]!.metrics['max_num_seqs'], undefined, 'serve parameters are not metrics');
  assert.equal(parsed[0]!.metrics['run_number'], undefined);
  assert.equal(parsed[1]!.setup.maxConcurrency, 8);
  const batch = toImportedBatch(parsed, 'sweep');
  assert.equal(batch.results.length, 3);
  assert.ok(batch.results.every((r) => r.notes.some((n) => n.startsWith('vllm bench sweep serve configuration: '))));
});

test('SGLang JSONL across versions: bare Infinity, NaN statistics, medians-only records, total_throughput/e2e_latency names, PD runs', () => {
  const [current, old, pd] = parseBenchmarkOutput(read('sglang-versions.jsonl'), 'sglang-versions.jsonl');
  assert.equal(current!.setup.requestRate, 'inf', 'a bare Infinity is the infinite rate');
  assert.equal(current!.source.version, '0.5.4.post2');
  close(current!.metrics.total_token_throughput, 12800, 'total_throughput');
  close(current!.metrics['p90_e2el_ms'], 6500, 'p90_e2e_latency_ms → p90_e2el_ms');
  assert.equal(current!.metrics['std_tpot_ms'], null, 'NaN: no value, never 0');
  assert.equal(old!.source.kind, 'sglang-jsonl', 'an old record without total_throughput or server_info is still SGLang');
  close(old!.metrics['median_e2el_ms'], 30000, 'median only');
  close(old!.metrics.total_token_throughput, 350000 / 60, 'derived: (200000 + 150000) / 60 s');
  assert.match(old!.notes.join('\n'), /medians only/);
  assert.match(pd!.notes.join('\n'), /prefill\/decode-disaggregated run.*1 prefill and 2 decode servers/);
  assert.equal(pd!.source.version, '0.5.4.post2');
  assert.equal(pd!.setup.requestRate, 8);
});

test('an unknown shape is refused naming the shapes known; identical blocks are stored once; a bad result names its field and the rest go through', () => {
  assert.throws(() => parseImportText('{"hello": 1}', 'x.json'), (err: Error) => err instanceof BenchmarkParseError && /x\.json: .*known shapes: .*GuideLLM.*AIPerf.*vllm bench sweep/.test(err.message));
  assert.throws(() => parseImportText('just some notes\n', 'notes.txt'), /notes\.txt: no result of a known shape; known shapes/);
  const block = read('gpustack-na.md');
  const twice = parseImportText(`${block}\n${block}\n${block}`, 'three.md');
  assert.equal(twice.length, 3);
  const batch = toImportedBatch(twice, 'three.md');
  assert.equal(batch.results.length, 1);
  assert.equal(batch.duplicates, 2);
  const bad = { ...twice[0]!, metrics: { ...twice[0]!.metrics, completed: 1.5 } };
  const mixed = toImportedBatch([bad, ...parseImportText(read('profile_export_aiperf.json'), 'a.json')], 'mixed.json');
  assert.equal(mixed.results.length, 1);
  assert.match(mixed.problems[0]!, /^mixed\.json result 1: metrics\.completed: .*not imported$/);
  assert.ok(BenchmarkResult.safeParse(mixed.results[0]).success);
});

test('Compare Results says which metrics two tools define differently, and nothing for the same tool', async () => {
  const { definitionDifferences } = await import('../../../src/core/imports/definitions');
  assert.deepEqual(definitionDifferences({ kind: 'native' }, { kind: 'vllm-json' }), []);
  const guidellm = definitionDifferences({ kind: 'vllm-text' }, { kind: 'guidellm-json' });
  assert.equal(guidellm.length, 2);
  assert.match(guidellm[0]!, /^TPOT is defined differently — vllm bench serve: .*; GuideLLM: .*weighted by tokens/);
  assert.match(guidellm[1]!, /^ITL is defined differently — .*GuideLLM: not measured/);
  const sglang = definitionDifferences({ kind: 'sglang-jsonl' }, { kind: 'native' });
  assert.match(sglang.join('\n'), /E2EL is defined differently — SGLang bench_serving: request sent → the final \[DONE\] line/);
});
