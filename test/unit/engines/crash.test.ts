import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyCrash, hasFatalLine } from '../../../src/core/engines/crash';
import { planLaunch, type LaunchPlan } from '../../../src/core/sim/engines/index';
import { resolveGpu } from '../../../src/core/sim/gpus';

const log = (name: string) => readFileSync(join(__dirname, 'logs', name), 'utf8').split('\n');

test('FP8 on A100 in vLLM: the Marlin shape error is the root cause, not the "Engine core initialization failed" wrapper', () => {
  const crash = classifyCrash(log('vllm-fp8-a100.log'), { exitCode: 1 });
  assert.equal(crash.reason, 'fp8-unsupported');
  assert.match(crash.rootCause, /size_n = 5472 is not divisible by tile_n_size = 64/);
  assert.match(crash.rootCause, /Worker_TP0/, 'the first matching line, not a later rank repeating it');
  assert.equal(crash.exitCode, 1);
  assert.match(crash.logExcerpt.at(-1)!, /Engine core initialization failed/, 'the excerpt keeps the last lines');
});

test('FP8 on A100 in SGLang: the Triton fp8e4nv assertion wins over the NCCL errors of other ranks that follow it', () => {
  const crash = classifyCrash(log('sglang-fp8-a100.log'));
  assert.equal(crash.reason, 'fp8-unsupported');
  assert.equal(crash.rootCause, 'AssertionError: fp8e4nv data type is not supported on CUDA arch < 89');
});

test('each signature family is classified from a realistic log', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['vllm-oom.log', 'oom', /CUDA out of memory/],
    ['vllm-pp.log', 'pp-unsupported', /Pipeline parallelism is not supported/],
    ['sglang-pp.log', 'pp-unsupported', /^AssertionError: Pipeline Parallel is not compatible/],
    ['vllm-kv.log', 'kv-cache-too-small', /max seq len \(131072\)/],
    ['sglang-port.log', 'port-in-use', /address already in use/],
    ['sglang-backend.log', 'backend-unsupported', /FlashAttention v3/],
    ['vllm-model.log', 'model-not-found', /GLM-4.5-Airr/],
  ];
  for (const [file, reason, line] of cases) {
    const crash = classifyCrash(log(file));
    assert.equal(crash.reason, reason, file);
    assert.match(crash.rootCause, line, file);
  }
});

test('a weak NCCL warning does not hide a later strong root cause, and alone is not called fatal', () => {
  assert.equal(classifyCrash(log('vllm-oom.log')).reason, 'oom');
  assert.equal(hasFatalLine(['NCCL WARN Call to ibv_reg_mr failed']), false);
  assert.equal(hasFatalLine(log('vllm-oom.log')), true);
});

test('an unknown crash reports its last error line; an empty log says the engine printed nothing', () => {
  const crash = classifyCrash(log('unknown.log'), { exitCode: 139 });
  assert.equal(crash.reason, 'unknown');
  assert.equal(crash.rootCause, "KeyError: 'glm4_moe_mtp'");
  const empty = classifyCrash([], { exitCode: 3 });
  assert.match(empty.rootCause, /exited with code 3 without printing anything/);
});

test('warnings that look alarming but are not fatal are not called crashes', () => {
  const lines = [
    'WARNING Your GPU does not have native support for FP8 computation but FP8 quantization is being used. Weight-only FP8 compression will be used leveraging the Marlin kernel.',
    '[2025-10-20 TP0] KV cache pool is full. Retract requests. #retracted_reqs: 3',
  ];
  assert.equal(hasFatalLine(lines), false);
});

test('ANSI colour codes do not break matching', () => {
  const crash = classifyCrash(['\x1b[31mtorch.OutOfMemoryError: CUDA out of memory.\x1b[0m']);
  assert.equal(crash.reason, 'oom');
  assert.equal(crash.rootCause, 'torch.OutOfMemoryError: CUDA out of memory.');
});

test('more GPUs than the host has: the simulated engines\' whole start-up logs classify as a parallel layout, not unknown', () => {
  const host = { gpu: resolveGpu('A100-SXM4-80GB'), count: 4, speedup: 1 };
  const logOf = (plan: LaunchPlan) => plan.events.flatMap((e) => (e.kind === 'log' ? e.text.split('\n') : []));
  // The reference's SGLang PP run (--pp-size 8 on four GPUs) and the same oversubscription in vLLM.
  const sglang = classifyCrash(logOf(planLaunch('sglang', ['--model', 'zai-org/GLM-4.5-Air', '--pp-size', '8'], host)));
  assert.equal(sglang.reason, 'parallel-layout');
  assert.match(sglang.rootCause, /invalid device ordinal/);
  const vllm = classifyCrash(logOf(planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '8'], host)));
  assert.equal(vllm.reason, 'parallel-layout');
  assert.match(vllm.rootCause, /World size \(8\) is larger than the number of available GPUs \(4\)/);
});
