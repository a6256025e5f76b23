// The simulator against the reference study's decisions (GLM-4.5-Air on 4×A100-SXM4-80GB): each stage's winner as
// the study found it. Per-cell accuracy, on held-out pages too, is accuracy.test.ts's (and bench/sim-accuracy.mts's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { predictBenchmark, type Prediction } from '../../../src/core/sim/predict';

const GPU = 'A100-SXM4-80GB';
const VLLM = ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4'];
const SGLANG_TP4 = ['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp-size', '4'];
const SGLANG_TP4_EP4 = [...SGLANG_TP4, '--ep-size', '4'];

const predict = (argv: string[], workload = 'sharegpt:1000'): Prediction => predictBenchmark({ gpu: GPU, count: 4, argv, workload });
const throughput = (p: Prediction): number => {
  assert.ok(p.metrics, `expected a benchmark, got a crash: ${p.crash?.rootCause}`);
  return p.metrics.total_token_throughput;
};

test('stage 1: SGLang beats vLLM on ShareGPT (the reference: +57.8%)', () => {
  const vllm = throughput(predict(VLLM));
  const sglang = throughput(predict(SGLANG_TP4));
  assert.ok(sglang > vllm * 1.3, `SGLang ${sglang.toFixed(0)} should clearly beat vLLM ${vllm.toFixed(0)}`);
});

test('stage 2: FP8 crashes on A100 with the engine’s own error', () => {
  const p = predictBenchmark({ gpu: GPU, count: 4, argv: ['python3', '-m', 'sglang.launch_server', '--model', 'zai-org/GLM-4.5-Air-FP8', '--tp-size', '4'], workload: 'sharegpt:10' });
  assert.equal(p.metrics, undefined);
  assert.match(p.crash!.rootCause, /fp8e4nv data type is not supported on CUDA arch < 89/);
  assert.ok(p.crash!.log.some((l) => l.includes("type fp8e4nv not supported in this architecture")));
  const vllm = predictBenchmark({ gpu: GPU, count: 4, argv: [...VLLM, '--quantization', 'fp8'], workload: 'sharegpt:10' });
  assert.match(vllm.crash!.rootCause, /size_n = 5472 is not divisible by tile_n_size = 64/);
  // On a GPU with FP8 tensor cores the same command runs.
  assert.ok(predictBenchmark({ gpu: 'H100-SXM-80GB', count: 4, argv: [...VLLM, '--quantization', 'fp8'], workload: 'sharegpt:10' }).metrics);
});

test('stage 3: the reference PP run (--pp-size 8 on a 4-GPU host) crashes; tp4+ep4 ≥ tp4', () => {
  const pp = predictBenchmark({ gpu: GPU, count: 4, argv: ['python3', '-m', 'sglang.launch_server', '--model', 'zai-org/GLM-4.5-Air', '--pp-size', '8'], workload: 'sharegpt:10' });
  assert.match(pp.crash!.rootCause, /CUDA error: invalid device ordinal/);
  assert.ok(throughput(predict(SGLANG_TP4_EP4)) >= throughput(predict(SGLANG_TP4)));
});

test('stage 4: triton below flashinfer; fa3 within noise of flashinfer', () => {
  const flashinfer = throughput(predict(SGLANG_TP4_EP4));
  const triton = throughput(predict([...SGLANG_TP4_EP4, '--attention-backend', 'triton']));
  const fa3 = throughput(predict([...SGLANG_TP4_EP4, '--attention-backend', 'fa3']));
  assert.ok(triton < flashinfer * 0.985, `triton ${triton.toFixed(0)} should be below flashinfer ${flashinfer.toFixed(0)}`);
  assert.ok(Math.abs(fa3 / flashinfer - 1) < 0.03, `fa3 ${fa3.toFixed(0)} should be within 3% of flashinfer ${flashinfer.toFixed(0)}`);
});

test('stage 5: --cuda-graph-max-bs 512 within noise of the default', () => {
  const base = throughput(predict(SGLANG_TP4_EP4));
  const graphs = throughput(predict([...SGLANG_TP4_EP4, '--cuda-graph-max-bs', '512']));
  assert.ok(Math.abs(graphs / base - 1) < 0.03);
  // Turning CUDA graphs off is not noise: every decode step pays the eager launches.
  assert.ok(throughput(predict([...SGLANG_TP4_EP4, '--disable-cuda-graph'])) < base * 0.97);
});

test('vLLM defaults follow the GPU: A100 2048/256, H100 8192/1024; the larger budget closes most of the gap', () => {
  const a100 = predict(VLLM, 'random:128:4:50');
  assert.equal(a100.engine!.tokenBudget, 2048);
  assert.equal(a100.engine!.maxRunning, 256);
  const h100 = predictBenchmark({ gpu: 'H100-SXM-80GB', count: 4, argv: VLLM, workload: 'random:128:4:50' });
  assert.equal(h100.engine!.tokenBudget, 8192);
  assert.equal(h100.engine!.maxRunning, 1024);
  const tuned = throughput(predict([...VLLM, '--max-num-batched-tokens', '8192', '--max-num-seqs', '512']));
  assert.ok(tuned > throughput(predict(VLLM)) * 1.15);
});

test('data parallel: two vLLM replicas of tp2 on 4×H200 roughly double one replica’s throughput', () => {
  const h200 = (argv: string[]) => throughput(predictBenchmark({ gpu: 'H200', count: 4, argv, workload: 'random:1000:200:600' }));
  const one = h200(['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '2']);
  const two = h200(['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '2', '-dp', '2']);
  assert.ok(two > one * 1.5 && two < one * 2.2, `dp2 ${two.toFixed(0)} vs dp1 ${one.toFixed(0)}`);
});
