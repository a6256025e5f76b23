// The simulated engines take speculative decoding the way Serving Lab renders it (and the way each release reads
// it), refuse what the release refuses, and predict faster decoding at low concurrency when drafts are accepted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderVariant } from '../../../src/core/engines/index';
import type { EngineVariantInput } from '../../../src/core/plan/schema';
import { planLaunch } from '../../../src/core/sim/engines/index';
import { VERSION_ENV } from '../../../src/core/sim/engines/versions';
import { resolveGpu } from '../../../src/core/sim/gpus';
import { predictBenchmark } from '../../../src/core/sim/predict';

const A100 = { gpu: resolveGpu('a100'), count: 4, speedup: 1 };
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';
const GLM = 'zai-org/GLM-4.5-Air';
const specConfig = (json: object) => ['--speculative-config', JSON.stringify(json)];

test('vLLM refuses what its release refuses: MTP on a model without MTP layers, a draft model, an unknown method, a head without its repository', () => {
  const crash = (args: string[], env = {}) => planLaunch('vllm', args, A100, { env }).crash?.rootCause ?? 'started';
  assert.match(crash([LLAMA, ...specConfig({ method: 'mtp', num_speculative_tokens: 3 })]), /^NotImplementedError: Speculative decoding with draft model is not supported yet\. .* or mtp\.$/);
  assert.match(crash([LLAMA, ...specConfig({ method: 'draft_model', model: 'meta-llama/Llama-3.2-3B-Instruct', num_speculative_tokens: 3 })]), /^NotImplementedError: Speculative decoding with draft model/);
  assert.match(crash([LLAMA, ...specConfig({ method: 'eagle3', num_speculative_tokens: 3 })]), /ValueError: num_speculative_tokens was provided but without speculative model\./);
  assert.match(crash([GLM, '-tp', '4', ...specConfig({ method: 'mtp', num_speculative_tokens: 1 })], { [VERSION_ENV.vllm]: '0.10.2' }), /ValidationError: 1 validation error for SpeculativeConfig/);
  assert.equal(crash([GLM, '-tp', '4', ...specConfig({ method: 'deepseek_mtp', num_speculative_tokens: 1 })], { [VERSION_ENV.vllm]: '0.10.2' }), 'started');
  const mtp = planLaunch('vllm', [GLM, '-tp', '4', ...specConfig({ method: 'glm4_moe_mtp', num_speculative_tokens: 2 })], A100, { env: { [VERSION_ENV.vllm]: '0.12.0' } });
  assert.deepEqual([mtp.config?.speculative?.method, mtp.config?.speculative?.draftTokens], ['mtp', 2], 'a per-model MTP name is read as mtp');
  assert.ok(mtp.events.some((e) => 'text' in e && /method `glm4_moe_mtp` is deprecated and replaced with mtp/.test(String(e.text))));
});

test('SGLang: NEXTN drafts with the model’s own layers, caps running requests at 48 and turns mixed chunks off; a tree verifies its size', () => {
  const sglang = (args: string[]) => planLaunch('sglang', ['--model-path', GLM, '--tp', '4', '--enable-mixed-chunk', ...args], A100);
  const plain = sglang([]);
  const mtp = sglang(['--speculative-algorithm', 'NEXTN', '--speculative-num-steps', '3', '--speculative-eagle-topk', '1', '--speculative-num-draft-tokens', '4']);
  assert.ok(plain.config!.maxRunning > 48);
  assert.deepEqual([mtp.config!.maxRunning, mtp.config!.mixedChunk, plain.config!.mixedChunk], [48, false, true]);
  assert.deepEqual([mtp.config!.speculative?.draftTokens, mtp.config!.speculative?.verifyTokens, mtp.config!.speculative?.draftModel], [3, 4, undefined]);
  // Without steps SGLang auto-chooses 5 steps of top-4 with 8 draft tokens for a non-DeepSeek architecture.
  const auto = planLaunch('sglang', ['--model-path', LLAMA, '--speculative-algorithm', 'EAGLE3', '--speculative-draft-model-path', 'lmsys/SGLang-EAGLE3-Llama-3.1-8B-Instruct-SpecForge'], A100);
  assert.deepEqual([auto.config!.speculative?.draftTokens, auto.config!.speculative?.verifyTokens], [5, 8]);
  const ngram = planLaunch('sglang', ['--model-path', LLAMA, '--speculative-algorithm', 'NGRAM', '--speculative-num-draft-tokens', '8', '--speculative-ngram-max-match-window-size', '12'], A100);
  assert.deepEqual([ngram.config!.speculative?.draftTokens, ngram.config!.speculative?.verifyTokens], [7, 8]);
});

test('a separate draft model’s weights take GPU memory: less room for the KV cache', () => {
  const kv = (extra: string[]) => planLaunch('sglang', ['--model-path', 'Qwen/Qwen3-32B', '--tp', '2', ...extra], A100).memory!.kvCapacityTokens;
  const standalone = kv(['--speculative-algorithm', 'STANDALONE', '--speculative-draft-model-path', 'Qwen/Qwen3-8B', '--speculative-num-steps', '3']);
  // mem_fraction_static also drops by the 2 GB SGLang reserves for a draft; the 8B draft's 16 GB come on top.
  assert.ok(standalone < kv(['--speculative-algorithm', 'NGRAM', '--speculative-num-draft-tokens', '4']) * 0.8, String(standalone));
});

test('rendered by Serving Lab and run by each simulated engine: accepted drafts cut TPOT at low concurrency', () => {
  const cases: Array<{ variant: EngineVariantInput; gpus: number }> = [
    { variant: { engine: 'vllm', model: GLM, parallel: { tp: 4 }, speculative: { method: 'mtp', numSpeculativeTokens: 3 } }, gpus: 4 },
    { variant: { engine: 'sglang', model: GLM, parallel: { tp: 4 }, speculative: { method: 'mtp', numSpeculativeTokens: 3 } }, gpus: 4 },
    { variant: { engine: 'vllm', model: LLAMA, speculative: { method: 'eagle3', numSpeculativeTokens: 3 } }, gpus: 1 },
    { variant: { engine: 'trtllm', model: LLAMA, speculative: { method: 'eagle3', numSpeculativeTokens: 3 } }, gpus: 1 },
  ];
  for (const { variant, gpus } of cases) {
    const tpot = (v: EngineVariantInput) => {
      const r = renderVariant(v, { port: 8000, configDir: '/run' });
      const files = Object.fromEntries(r.files.map((f) => [f.path, f.content]));
      const p = predictBenchmark({ gpu: 'A100-SXM4-80GB', count: gpus, argv: r.argv, workload: 'random:1000:200:8', maxConcurrency: 1, files, env: { SERVING_LAB_SIM_SPEC_ACCEPTANCE: '0.7' } });
      assert.ok(p.metrics?.mean_tpot_ms, `${r.commandLine}: ${p.crash?.rootCause ?? 'no metrics'}`);
      return p.metrics.mean_tpot_ms;
    };
    const { speculative: _, ...plain } = variant;
    const [off, on] = [tpot(plain), tpot(variant)];
    // At acceptance 0.7 three drafts yield 1 + 0.7 + 0.49 + 0.34 ≈ 2.5 tokens per verify step; a MoE model's verify
    // pass reads the experts of four tokens per request, so its gain is smaller than a dense model's.
    assert.ok(on < off * 0.85, `${variant.engine}: TPOT ${on.toFixed(1)} ms with speculation, ${off.toFixed(1)} ms without`);
  }
});
