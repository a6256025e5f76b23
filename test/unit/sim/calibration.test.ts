// The simulator against the reference study (GLM-4.5-Air on 4×A100-SXM4-80GB): every cell's total token throughput
// within ±15%, and the study's stage decisions reproduced. Runs in virtual time (about a second).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { predictBenchmark, type Prediction } from '../../../src/core/sim/predict';

const GPU = 'A100-SXM4-80GB';
const VLLM = ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4'];
const SGLANG_TP4 = ['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp-size', '4'];
const SGLANG_TP4_EP4 = [...SGLANG_TP4, '--ep-size', '4'];

interface Cell {
  engine: string;
  argv: string[];
  workload: string;
  /** Reference: total token throughput (tok/s), mean TTFT (ms), mean TPOT (ms). */
  ref: [number, number, number];
}

// Numbers from /work/shared/reference (the study's "Serving Benchmark Result" blocks).
const CELLS: Cell[] = [
  { engine: 'vLLM tp4', argv: VLLM, workload: 'sharegpt:1000', ref: [3903.44, 38971.22, 104.59] },
  { engine: 'SGLang tp4+ep4', argv: SGLANG_TP4_EP4, workload: 'sharegpt:1000', ref: [6245.77, 8445.43, 309.31] },
  { engine: 'vLLM tp4', argv: VLLM, workload: 'random:32000:100:100', ref: [6435.97, 248013.29, 305.47] },
  { engine: 'SGLang tp4+ep4', argv: SGLANG_TP4_EP4, workload: 'random:32000:100:100', ref: [7945.66, 200446.56, 276.41] },
  { engine: 'vLLM tp4', argv: VLLM, workload: 'random:4000:200:500', ref: [6975.1, 142573.31, 267.38] },
  { engine: 'SGLang tp4+ep4', argv: SGLANG_TP4_EP4, workload: 'random:4000:200:500', ref: [9100.71, 109316.41, 124.68] },
  { engine: 'vLLM tp4', argv: VLLM, workload: 'random:2000:100:500', ref: [8643.75, 60300.0, 204.31] },
  { engine: 'SGLang tp4+ep4', argv: SGLANG_TP4_EP4, workload: 'random:2000:100:500', ref: [10956.49, 45224.78, 165.34] },
  { engine: 'vLLM tp4', argv: VLLM, workload: 'random:128:4:1000', ref: [6271.24, 16583.77, 153.0] },
  { engine: 'SGLang tp4+ep4', argv: SGLANG_TP4_EP4, workload: 'random:128:4:1000', ref: [13012.2, 5882.75, 1246.57] },
];

const predict = (argv: string[], workload = 'sharegpt:1000'): Prediction => predictBenchmark({ gpu: GPU, count: 4, argv, workload });
const throughput = (p: Prediction): number => {
  assert.ok(p.metrics, `expected a benchmark, got a crash: ${p.crash?.rootCause}`);
  return p.metrics.total_token_throughput;
};

test('every reference cell: predicted total token throughput within ±15% (table printed)', () => {
  const rows: string[] = [];
  const failures: string[] = [];
  rows.push(`${'engine'.padEnd(16)}${'workload'.padEnd(22)}${'tok/s sim'.padStart(10)}${'ref'.padStart(9)}${'Δ'.padStart(8)}${'TTFT sim'.padStart(11)}${'ref'.padStart(10)}${'TPOT sim'.padStart(10)}${'ref'.padStart(9)}`);
  for (const cell of CELLS) {
    const p = predict(cell.argv, cell.workload);
    const tput = throughput(p);
    const m = p.metrics!;
    const delta = tput / cell.ref[0] - 1;
    rows.push(
      `${cell.engine.padEnd(16)}${cell.workload.padEnd(22)}${tput.toFixed(0).padStart(10)}${cell.ref[0].toFixed(0).padStart(9)}${`${(delta * 100).toFixed(1)}%`.padStart(8)}` +
        `${Number(m['mean_ttft_ms']).toFixed(0).padStart(11)}${cell.ref[1].toFixed(0).padStart(10)}${Number(m['mean_tpot_ms']).toFixed(1).padStart(10)}${cell.ref[2].toFixed(1).padStart(9)}`,
    );
    if (Math.abs(delta) > 0.15) failures.push(`${cell.engine} ${cell.workload}: ${tput.toFixed(0)} tok/s vs ${cell.ref[0]} (${(delta * 100).toFixed(1)}%)`);
  }
  console.log(`\nPredicted vs reference (4×A100-SXM4-80GB, GLM-4.5-Air; TTFT/TPOT means in ms)\n${rows.join('\n')}\n`);
  assert.deepEqual(failures, []);
});

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
