// Every catalog model on every catalog GPU where its weights fit answers `sim predict` with finite figures (or an
// engine's own refusal, e.g. a quantization the GPU generation lacks) — never NaN, never a silent zero.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GPUS } from '../../../src/core/sim/gpus';
import { MODELS, weightBytes } from '../../../src/core/sim/models';
import { predictBenchmark } from '../../../src/core/sim/predict';

const REFUSALS = /fp8|FP8|not divisible|Unsupported|not supported|quantiz/;

test('every catalog model × GPU where it fits: a benchmark with finite throughput, TTFT and TPOT', () => {
  let answered = 0;
  const problems: string[] = [];
  for (const model of MODELS) {
    const w = weightBytes(model);
    const bytes = w.dense + w.experts + w.embedding;
    for (const gpu of GPUS) {
      const tp = [1, 2, 4, 8].find((n) => model.heads % n === 0 && bytes / n < 0.75 * gpu.usableGiB * 1024 ** 3);
      if (tp === undefined) continue;
      const p = predictBenchmark({ gpu: gpu.id, count: tp, argv: ['vllm', 'serve', model.id, '-tp', String(tp), '--max-model-len', '4096'], workload: 'random:256:32:8' });
      if (p.crash) {
        if (!REFUSALS.test(p.crash.rootCause)) problems.push(`${model.id} on ${tp}x ${gpu.id}: ${p.crash.rootCause}`);
        continue;
      }
      const m = p.metrics!;
      const figures = [m.total_token_throughput, m['mean_ttft_ms'], m['mean_tpot_ms']];
      if (!figures.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0)) problems.push(`${model.id} on ${tp}x ${gpu.id}: ${figures.join(', ')}`);
      else answered += 1;
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(answered > 500, `${answered} model × GPU pairs answered`);
});
