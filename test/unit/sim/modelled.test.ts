// The flags tuning is about change the prediction the way they change a real engine, each against a different
// configuration (never a configuration against itself); a flag accepted without modelling is named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planLaunch } from '../../../src/core/sim/engines/index';
import { SglangScheduler } from '../../../src/core/sim/engines/sglang/scheduler';
import { VllmScheduler } from '../../../src/core/sim/engines/vllm/scheduler';
import { perfConfig } from '../../../src/core/sim/config';
import { resolveGpu } from '../../../src/core/sim/gpus';
import { predictBenchmark, type PredictOptions } from '../../../src/core/sim/predict';
import { newRequest } from '../../../src/core/sim/scheduler';

const VLLM = ['vllm', 'serve', 'Qwen/Qwen3-30B-A3B', '-tp', '4'];
const SGLANG = ['python3', '-m', 'sglang.launch_server', '--model-path', 'Qwen/Qwen3-30B-A3B', '--tp', '4'];
const predict = (argv: string[], workload: string, extra: Partial<PredictOptions> = {}) => {
  const p = predictBenchmark({ gpu: 'H100-SXM-80GB', count: 4, argv, workload, ...extra });
  assert.ok(p.metrics, p.crash?.rootCause ?? 'no metrics');
  return { ...p, metrics: p.metrics! };
};
/** A latency metric that must be there (the prediction had successful requests). */
const ms = (value: number | null | undefined): number => {
  assert.equal(typeof value, 'number');
  return value!;
};
const perf = perfConfig(planLaunch('vllm', ['Qwen/Qwen3-30B-A3B', '-tp', '4'], { gpu: resolveGpu('h100'), count: 4, speedup: 1 }).config!);

test('SGLang --chunked-prefill-size -1 (chunking off) serves every request instead of never scheduling', () => {
  const p = predict([...SGLANG, '--chunked-prefill-size', '-1'], 'random:3000:20:50');
  assert.equal(p.metrics.completed, 50);
  assert.equal(p.stalled, undefined);
  // Whole prompts: no prefill batch holds part of a prompt.
  const s = new SglangScheduler(perf, 1_000_000, 100, -1, { maxPrefillTokens: 16384 });
  for (let i = 0; i < 8; i++) s.add(newRequest(i, 3000, 2));
  assert.deepEqual(s.plan()!.chunks.map((c) => c.q), [3000, 3000, 3000, 3000, 3000], 'whole prompts up to max_prefill_tokens (the fifth starts past it, as SGLang lets it)');
});

test('vLLM without chunked prefill admits only whole prompts; with it, the last prompt of a step is split', () => {
  const run = (chunkedPrefill: boolean) => {
    const s = new VllmScheduler(perf, 1_000_000, 16, 2048, { chunkedPrefill });
    for (let i = 0; i < 3; i++) s.add(newRequest(i, 1500, 2));
    return s.plan()!.chunks.map((c) => c.q);
  };
  assert.deepEqual(run(true), [1500, 548]);
  assert.deepEqual(run(false), [1500]);
  const off = planLaunch('vllm', ['Qwen/Qwen3-30B-A3B', '--no-enable-chunked-prefill', '--max-model-len', '8192'], { gpu: resolveGpu('h100'), count: 1, speedup: 1 }).config!;
  assert.deepEqual([off.chunkedPrefill, off.tokenBudget], [false, 8192]);
  assert.match(planLaunch('vllm', ['Qwen/Qwen3-30B-A3B', '--no-enable-chunked-prefill', '--max-num-batched-tokens', '2048'], { gpu: resolveGpu('h100'), count: 1, speedup: 1 }).crash!.rootCause, /max_num_batched_tokens \(2048\) is smaller than max_model_len \(40960\)/);
});

test('prefix caching: a shared prompt prefix is served from the cache (lower TTFT); off, or without a shared prefix, nothing is', () => {
  const shared = 'random:4000:20:300:3600';
  const on = predict(VLLM, shared);
  const off = predict([...VLLM, '--no-enable-prefix-caching'], shared);
  const unique = predict(VLLM, 'random:4000:20:300');
  assert.ok(on.engine!.cachedTokens > 250 * 3000, `cached ${on.engine!.cachedTokens}`);
  assert.equal(off.engine!.cachedTokens, 0);
  assert.equal(unique.engine!.cachedTokens, 0);
  assert.ok(ms(on.metrics.mean_ttft_ms) < ms(off.metrics.mean_ttft_ms) * 0.6, `TTFT ${ms(on.metrics.mean_ttft_ms).toFixed(0)} vs ${ms(off.metrics.mean_ttft_ms).toFixed(0)} ms`);
  assert.ok(on.metrics.total_token_throughput > off.metrics.total_token_throughput);
  // SGLang's radix cache likewise, and --disable-radix-cache turns it off.
  assert.ok(predict(SGLANG, shared).engine!.cachedTokens > 0);
  assert.equal(predict([...SGLANG, '--disable-radix-cache'], shared).engine!.cachedTokens, 0);
});

test('speculative decoding: accepted drafts cut TPOT; drafts that are always rejected cost time', () => {
  const spec = [...VLLM, '--speculative-config', '{"method":"eagle","model":"x/eagle-head","num_speculative_tokens":3}'];
  const solo = { maxConcurrency: 4 };
  const base = predict(VLLM, 'random:1000:200:16', solo);
  const good = predict(spec, 'random:1000:200:16', { ...solo, env: { SERVING_LAB_SIM_SPEC_ACCEPTANCE: '0.8' } });
  const bad = predict(spec, 'random:1000:200:16', { ...solo, env: { SERVING_LAB_SIM_SPEC_ACCEPTANCE: '0' } });
  assert.ok(ms(good.metrics.mean_tpot_ms) < ms(base.metrics.mean_tpot_ms) * 0.6, `TPOT ${ms(good.metrics.mean_tpot_ms)} vs ${ms(base.metrics.mean_tpot_ms)}`);
  assert.ok(ms(bad.metrics.mean_tpot_ms) > ms(base.metrics.mean_tpot_ms), `TPOT ${ms(bad.metrics.mean_tpot_ms)} vs ${ms(base.metrics.mean_tpot_ms)}`);
  assert.equal(good.metrics.total_output_tokens, base.metrics.total_output_tokens);
  // SGLang's MTP (NEXTN) drafts with the model's own layers: GLM-4.5-Air has one. Qwen3-30B-A3B has none, so SGLang
  // loads the target again as its draft (sgl-project/sglang#36528), which is slower than not speculating at all.
  const nextn = ['--speculative-algorithm', 'NEXTN', '--speculative-num-steps', '3', '--speculative-eagle-topk', '1', '--speculative-num-draft-tokens', '4'];
  const glm = ['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4'];
  const mtp = predict([...glm, ...nextn], 'random:1000:200:16', solo);
  assert.ok(ms(mtp.metrics.mean_tpot_ms) < ms(predict(glm, 'random:1000:200:16', solo).metrics.mean_tpot_ms) * 0.8);
  const itself = predict([...SGLANG, ...nextn], 'random:1000:200:16', solo);
  assert.ok(ms(itself.metrics.mean_tpot_ms) > ms(predict(SGLANG, 'random:1000:200:16', solo).metrics.mean_tpot_ms));
});

test('KV-cache dtype, memory fraction and CUDA graphs change capacity and step time', () => {
  const host = { gpu: resolveGpu('h100'), count: 4, speedup: 1 };
  const kv = (args: string[]) => planLaunch('vllm', ['Qwen/Qwen3-30B-A3B', '-tp', '4', ...args], host).memory!.kvCapacityTokens;
  const ratio = kv(['--kv-cache-dtype', 'fp8']) / kv([]);
  assert.ok(ratio > 1.9 && ratio < 2.1, String(ratio));
  assert.ok(kv(['--gpu-memory-utilization', '0.5']) < kv([]) * 0.6);
  const eager = predict([...VLLM, '--enforce-eager'], 'random:500:200:64');
  const graphs = predict(VLLM, 'random:500:200:64');
  assert.ok(ms(eager.metrics.mean_tpot_ms) > ms(graphs.metrics.mean_tpot_ms) * 1.1, `${ms(eager.metrics.mean_tpot_ms)} vs ${ms(graphs.metrics.mean_tpot_ms)}`);
});

test('SGLang schedule policy: lof admits the longest outputs first, fcfs in arrival order', () => {
  const order = (policy: 'fcfs' | 'lof') => {
    const s = new SglangScheduler(perf, 1_000_000, 2, 8192, { policy });
    [10, 500, 50, 900].forEach((out, i) => s.add(newRequest(i, 100, out)));
    return s.plan()!.chunks.map((c) => c.request.maxTokens);
  };
  assert.deepEqual(order('fcfs'), [10, 500]);
  assert.deepEqual(order('lof'), [900, 500]);
});

test('past saturation the queue grows, so TTFT grows with the run length; below it, it does not', () => {
  const ttft = (rate: number, count: number) => ms(predict(VLLM, `random:2000:100:${count}`, { requestRate: rate }).metrics.mean_ttft_ms);
  const capacity = predict(VLLM, 'random:2000:100:400').metrics.request_throughput;
  assert.ok(ttft(capacity * 2, 800) > ttft(capacity * 2, 200) * 2.5, 'overloaded: TTFT keeps growing');
  assert.ok(ttft(capacity * 0.3, 800) < ttft(capacity * 0.3, 200) * 1.5, 'underloaded: TTFT stays put');
});

test('flags accepted without modelling are named; modelled and inert ones are not', () => {
  const p = predict([...VLLM, '--enable-dbo', '--max-num-seqs', '64', '--port', '9000', '--enable-eplb'], 'random:100:10:4');
  assert.deepEqual(p.notModelled, ['--enable-dbo', '--enable-eplb']);
  const s = predict([...SGLANG, '--enable-dp-attention', '--dp', '2', '--enable-metrics'], 'random:100:10:4');
  assert.deepEqual(s.notModelled, ['--enable-dp-attention']);
});

test('a request that never got a token says why: a context-length refusal, or an engine that stopped scheduling', () => {
  const long = predict(VLLM, 'random:41000:10:2');
  assert.match(long.outputs![0]!.error!, /maximum context length is 40960 tokens/);
  // TensorRT-LLM does not check at startup that a max-length request fits its KV cache: such a request waits forever.
  const trt = predict(['trtllm-serve', 'Qwen/Qwen3-30B-A3B', '--tp_size', '4', '--kv_cache_free_gpu_memory_fraction', '0.001', '--enable_chunked_prefill'], 'random:30000:10:2');
  assert.match(trt.stalled!, /stopped scheduling with 2 requests waiting .* need more KV cache than the \d+ tokens it holds/);
  assert.doesNotMatch(trt.outputs![0]!.error!, /maximum context length/);
  assert.equal(trt.metrics.completed, 0);
});
