// The engines' command lines: real defaults by GPU, real rejections of unknown flags, and the crash signatures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryPlan } from '../../../src/core/sim/config';
import { planLaunch, splitServeCommand, type LaunchPlan } from '../../../src/core/sim/engines/index';
import { sglangMemFractionStatic } from '../../../src/core/sim/engines/sglang/defaults';
import { resolveGpu } from '../../../src/core/sim/gpus';

const A100 = { gpu: resolveGpu('A100-SXM4-80GB'), count: 4, speedup: 1 };
const H100 = { gpu: resolveGpu('h100'), count: 4, speedup: 1 };
const logText = (p: LaunchPlan) => p.events.flatMap((e) => (e.kind === 'log' ? [e.text] : [])).join('\n');
const exitCode = (p: LaunchPlan) => p.events.flatMap((e) => (e.kind === 'exit' ? [e.code] : []))[0];

test('vLLM defaults branch on the GPU name: A100 2048 tokens / 256 seqs, H100 8192 / 1024', () => {
  const a = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4'], A100).config!;
  assert.deepEqual([a.tokenBudget, a.maxRunning, a.port, a.host, a.maxModelLen], [2048, 256, 8000, '0.0.0.0', 131072]);
  const h = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4'], H100).config!;
  assert.deepEqual([h.tokenBudget, h.maxRunning], [8192, 1024]);
  const flags = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '--tensor_parallel_size=4', '--max-num-seqs', '512', '--max-model-len', '32k', '--enable-expert-parallel'], A100).config!;
  assert.deepEqual([flags.tp, flags.maxRunning, flags.maxModelLen, flags.expertParallel], [4, 512, 32768, true]);
  assert.match(logText(planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4'], A100)), /non-default args: \{'model_tag': 'zai-org\/GLM-4\.5-Air', 'tensor_parallel_size': 4/);
});

test('SGLang defaults: port 30000 on 127.0.0.1, chunked prefill 8192 and cuda-graph-max-bs 512 at tp4 on 80 GB, mem_fraction ≈ 0.825', () => {
  const c = planLaunch('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4'], A100).config!;
  assert.deepEqual([c.port, c.host, c.tokenBudget, c.cudaGraphMaxBatch, c.enableMetrics], [30000, '127.0.0.1', 8192, 512, false]);
  assert.ok(Math.abs(c.memoryFraction - 0.825) < 0.005, String(c.memoryFraction));
  assert.equal(sglangMemFractionStatic(resolveGpu('A100-SXM4-80GB'), 4, 1, 8192, 512), c.memoryFraction);
  const kv = memoryPlan(c).kvCapacityTokens;
  assert.ok(kv > 330_000 && kv < 380_000, `SGLang KV ≈355k tokens (got ${kv})`);
  const v = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4'], A100);
  assert.ok(v.memory!.kvCapacityTokens > 400_000 && v.memory!.kvCapacityTokens < 470_000, `vLLM KV ≈430–460k: 0.9 util less weights and the profiled activations (got ${v.memory!.kvCapacityTokens})`);
});

test('unknown and malformed flags are rejected as each engine’s parser rejects them (exit 2)', () => {
  const v = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '--attention-backend', 'FLASHINFER'], A100);
  assert.equal(exitCode(v), 2);
  assert.match(logText(v), /vllm serve: error: unrecognized arguments: --attention-backend FLASHINFER/);
  const bad = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', 'four'], A100);
  assert.match(logText(bad), /argument --tensor-parallel-size\/-tp: invalid int value: 'four'/);
  const s = planLaunch('sglang', ['--model-path', 'm', '--attention-backend', 'cuda'], A100);
  assert.equal(exitCode(s), 2);
  assert.match(logText(s), /launch_server\.py: error: argument --attention-backend: invalid choice: 'cuda' \(choose from 'triton'/);
  assert.match(logText(planLaunch('sglang', ['--tp', '4'], A100)), /the following arguments are required: --model-path/);
  const t = planLaunch('trtllm', ['zai-org/GLM-4.5-Air', '--tp-size', '4'], A100);
  assert.equal(exitCode(t), 2);
  assert.match(logText(t), /Error: No such option: --tp-size/);
});

test('crash signatures: unknown model, bad attention backends, PP on SGLang, too many GPUs, FP8, OOM', () => {
  const cases: Array<[LaunchPlan, RegExp]> = [
    [planLaunch('vllm', ['zai-org/GLM-9'], A100), /Invalid repository ID or local directory specified: 'zai-org\/GLM-9'/],
    [planLaunch('sglang', ['--model-path', 'nope/nope'], A100), /nope\/nope is not a local folder and is not a valid model identifier/],
    [planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4'], A100, { env: { VLLM_ATTENTION_BACKEND: 'FAST' } }), /Invalid attention backend: 'FAST'/],
    [planLaunch('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--attention-backend', 'fa4'], A100), /FA4 backend is only supported for prefill/],
    [planLaunch('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--attention-backend', 'flashmla'], A100), /requires an MLA model/],
    [planLaunch('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--pp-size', '4'], A100), /AssertionError: Pipeline Parallel is not compatible with this model\./],
    [planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '8'], A100), /World size \(8\) is larger than the number of available GPUs \(4\)/],
    [planLaunch('vllm', ['zai-org/GLM-4.5-Air-FP8', '-tp', '4'], A100), /size_n = 5472 is not divisible by tile_n_size = 64/],
    [planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '2'], A100), /torch\.OutOfMemoryError: CUDA out of memory/],
  ];
  for (const [plan, pattern] of cases) {
    assert.equal(exitCode(plan), 1, `${pattern} should exit 1`);
    assert.match(plan.crash!.rootCause, pattern);
  }
  // vLLM implements PP for GLM-4.5 (SupportsPP), and FP8 runs on Hopper.
  assert.equal(planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '2', '-pp', '2'], A100).crash, undefined);
  assert.equal(planLaunch('sglang', ['--model-path', 'zai-org/GLM-4.5-Air-FP8', '--tp', '4'], H100).crash, undefined);
});

test('readiness: vLLM binds first and is ready with “Application startup complete.”; SGLang binds after loading and is ready with “fired up”', () => {
  const v = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4'], A100);
  const kinds = v.events.filter((e) => e.kind !== 'log').map((e) => e.kind);
  assert.deepEqual(kinds, ['bind', 'serve', 'ready']);
  const bindAt = v.events.find((e) => e.kind === 'bind')!.at;
  const loadedAt = v.events.find((e) => e.kind === 'log' && e.text.includes('Loading weights took'))!.at;
  assert.ok(bindAt < loadedAt);
  const s = planLaunch('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4'], A100);
  const sBind = s.events.find((e) => e.kind === 'bind')!.at;
  const sLoaded = s.events.find((e) => e.kind === 'log' && e.text.includes('Load weight end'))!.at;
  assert.ok(sBind > sLoaded);
  const readyIndex = s.events.findIndex((e) => e.kind === 'ready');
  const next = s.events[readyIndex + 1];
  assert.ok(next?.kind === 'log' && next.text.includes('The server is fired up and ready to roll!'));
  // Startup time scales with the weights per GPU.
  const readyAt = (p: LaunchPlan) => p.events.find((e) => e.kind === 'ready')!.at;
  assert.ok(readyAt(planLaunch('vllm', ['Qwen/Qwen3-30B-A3B', '-tp', '4'], A100)) < readyAt(v));
});

test('splitServeCommand recognises the three serve command lines and rejects others', () => {
  assert.deepEqual(splitServeCommand(['vllm', 'serve', 'm', '-tp', '4']), { engine: 'vllm', args: ['m', '-tp', '4'] });
  assert.deepEqual(splitServeCommand(['/usr/bin/python3', '-m', 'sglang.launch_server', '--model-path', 'm']), { engine: 'sglang', args: ['--model-path', 'm'] });
  assert.deepEqual(splitServeCommand(['trtllm-serve', 'm']), { engine: 'trtllm', args: ['m'] });
  assert.throws(() => splitServeCommand(['python3', 'server.py']), /not an engine serve command/);
});

test('--help prints the engine usage and its options, exit 0', () => {
  const help = planLaunch('sglang', ['--help'], A100);
  assert.equal(exitCode(help), 0);
  assert.match(logText(help), /^usage: launch_server\.py/);
  assert.match(logText(help), /--attention-backend \{triton,/);
  assert.match(logText(planLaunch('vllm', ['-h'], A100)), /--max-num-batched-tokens MAX_NUM_BATCHED_TOKENS/);
});
