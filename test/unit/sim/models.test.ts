// The model catalog and config.json reader against the figures model cards publish (not values the code holds):
// total and active parameters, KV-cache bytes per token, quantized weight sizes; and how a model the catalog does
// not have reaches the simulator (a path, the Hugging Face cache) or fails with a line saying how to give it.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findModel, kvBytesPerToken, kvBytesPerTokenPerGpu, modelNotFoundHint, MODELS, readModelConfig, weightBytes } from '../../../src/core/sim/models';
import { predictBenchmark } from '../../../src/core/sim/predict';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const model = (id: string) => {
  const m = findModel(id);
  assert.ok(m, `${id} is in the catalog`);
  return m;
};
const within = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual / expected - 1) <= tolerance, `${what}: ${actual.toExponential(3)} vs published ${expected.toExponential(3)}`);

test('parameter counts derived from config.json match the model cards (total / active)', () => {
  // Published: Llama 3.1 8B/70B/405B; Qwen3 32B (32.8B), Qwen3-235B-A22B (235B, 22B active), Qwen3-30B-A3B (30.5B, 3.3B);
  // DeepSeek-V3 (671B, 37B active); Kimi-K2 (1.04T, 32B); gpt-oss-20b (21B, 3.6B) and -120b (117B, 5.1B); GLM-4.5-Air (106B, 12B).
  const cards: Array<[string, number, number | undefined]> = [
    ['meta-llama/Llama-3.1-8B-Instruct', 8.03e9, undefined],
    ['meta-llama/Llama-3.1-70B-Instruct', 70.6e9, undefined],
    ['meta-llama/Llama-3.1-405B-Instruct', 405.9e9, undefined],
    ['Qwen/Qwen3-32B', 32.8e9, undefined],
    ['Qwen/Qwen3-235B-A22B', 235e9, 22e9],
    ['Qwen/Qwen3-30B-A3B', 30.5e9, 3.3e9],
    ['deepseek-ai/DeepSeek-V3', 671e9, 37e9],
    ['moonshotai/Kimi-K2-Instruct', 1.04e12, 32e9],
    ['openai/gpt-oss-20b', 21e9, 3.6e9],
    ['openai/gpt-oss-120b', 117e9, 5.1e9],
    ['zai-org/GLM-4.5-Air', 106e9, 12e9],
  ];
  for (const [id, total, active] of cards) {
    const m = model(id);
    within(m.totalParams, total, 0.03, `${id} total`);
    if (active !== undefined) within(m.activeParams, active, 0.1, `${id} active`);
  }
});

test('KV bytes per token: GQA (K+V per KV head), MLA (one latent per layer), sliding windows, TP split', () => {
  // Llama-3.1-8B: 32 layers × 2 × 8 KV heads × 128 × 2 B = 128 KiB; DeepSeek-V3: 61 layers × (512 + 64) × 2 B.
  assert.equal(kvBytesPerToken(model('meta-llama/Llama-3.1-8B-Instruct'), 2), 131072);
  assert.equal(kvBytesPerToken(model('deepseek-ai/DeepSeek-V3'), 2), 61 * 576 * 2);
  // gpt-oss alternates sliding (128-token) and full layers: a long context costs the 12 full layers only.
  assert.equal(kvBytesPerToken(model('openai/gpt-oss-20b'), 2), 12 * 2 * 8 * 64 * 2);
  const llama70 = model('meta-llama/Llama-3.1-70B-Instruct');
  assert.equal(kvBytesPerTokenPerGpu(llama70, 2, 4, 1), kvBytesPerToken(llama70, 2) / 4);
  assert.equal(kvBytesPerTokenPerGpu(llama70, 2, 16, 1), kvBytesPerToken(llama70, 2) / 8, 'KV heads replicate beyond their count');
  const ds = model('deepseek-ai/DeepSeek-V3');
  assert.equal(kvBytesPerTokenPerGpu(ds, 2, 8, 1), kvBytesPerToken(ds, 2), 'the MLA latent is replicated on every TP rank');
});

test('quantized checkpoints: weight sizes from quantization_config (FP8 block/channel, AWQ int4, MXFP4 experts only)', () => {
  const total = (id: string) => {
    const w = weightBytes(model(id));
    return w.dense + w.experts + w.embedding;
  };
  // Published checkpoint sizes on Hugging Face: Qwen3-14B 29.5 GB, -FP8 16.3 GB, -AWQ 9.9 GB; gpt-oss-20b 13.8 GB, -120b 65.3 GB.
  within(total('Qwen/Qwen3-14B'), 29.5e9, 0.03, 'Qwen3-14B');
  within(total('Qwen/Qwen3-14B-FP8'), 16.3e9, 0.08, 'Qwen3-14B-FP8');
  within(total('Qwen/Qwen3-14B-AWQ'), 9.9e9, 0.12, 'Qwen3-14B-AWQ');
  within(total('openai/gpt-oss-20b'), 13.8e9, 0.05, 'gpt-oss-20b');
  within(total('openai/gpt-oss-120b'), 65.3e9, 0.05, 'gpt-oss-120b');
  assert.equal(model('zai-org/GLM-4.6-FP8').quantization?.method, 'compressed-tensors');
  assert.equal(model('openai/gpt-oss-20b').quantization?.scope, 'experts');
  assert.equal(model('Qwen/Qwen3-235B-A22B-Instruct-2507-FP8').quantization?.blockSize, 128);
});

const TINY_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 2048,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  intermediate_size: 8192,
  vocab_size: 128256,
  max_position_embeddings: 8192,
  tie_word_embeddings: true,
  quantization_config: { quant_method: 'gptq', bits: 4 },
};

test('a config.json by path (file or directory) and from the Hugging Face cache; sim predict runs on it', () => {
  const dir = tempDir('sim-model-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(TINY_CONFIG));
  const fromDir = readModelConfig(dir);
  assert.equal(fromDir.weightDtype, 'int4');
  assert.equal(readModelConfig(join(dir, 'config.json')).totalParams, fromDir.totalParams);
  assert.equal(findModel(dir)?.totalParams, fromDir.totalParams, 'vllm serve /path/to/model reads its config.json');

  const hub = tempDir('sim-hub-');
  const snapshot = join(hub, 'models--acme--tiny-llama', 'snapshots', 'abc123');
  mkdirSync(snapshot, { recursive: true });
  writeFileSync(join(snapshot, 'config.json'), JSON.stringify(TINY_CONFIG));
  assert.equal(findModel('acme/tiny-llama', { env: { HF_HUB_CACHE: hub } })?.id, 'acme/tiny-llama');
  assert.equal(findModel('acme/tiny-llama', { env: { HF_HUB_CACHE: tempDir('sim-empty-hub-') } }), undefined);

  const p = predictBenchmark({ gpu: 'L4', count: 1, argv: ['vllm', 'serve', 'acme/tiny-llama', '--max-model-len', '4096'], workload: 'random:1000:100:20', models: [fromDir] });
  assert.ok(p.metrics && p.metrics.total_token_throughput > 0, p.crash?.rootCause);
});

test('an unknown model fails with the engine error and a line saying how to give its config; a broken one says why', () => {
  const p = predictBenchmark({ gpu: 'H100', count: 1, argv: ['vllm', 'serve', 'acme/never-heard-of'], workload: 'sharegpt:5' });
  assert.match(p.crash!.rootCause, /Invalid repository ID or local directory specified: 'acme\/never-heard-of'/);
  assert.ok(p.crash!.log.some((l) => l.includes('--model-config PATH') && l.includes('models--acme--never-heard-of')));
  const dir = tempDir('sim-broken-');
  writeFileSync(join(dir, 'config.json'), '{"architectures": ["LlamaForCausalLM"], "hidden_size": 4096}');
  assert.match(modelNotFoundHint(dir), /no positive "num_hidden_layers"/);
  writeFileSync(join(dir, 'config.json'), '{ not json');
  assert.match(modelNotFoundHint(dir), /not valid JSON/);
});

test('the catalog holds every family the simulator promises', () => {
  const families = ['Llama-3.1-8B', 'Llama-3.1-70B', 'Llama-3.1-405B', 'Qwen3-0.6B', 'Qwen3-32B', 'Qwen3-30B-A3B', 'Qwen3-235B-A22B', 'Qwen2.5-72B', 'Mistral-7B', 'Mixtral-8x7B', 'DeepSeek-V3', 'DeepSeek-R1', 'gpt-oss-20b', 'gpt-oss-120b', 'GLM-4.5', 'GLM-4.6', 'GLM-4.5-Air', 'Kimi-K2', 'gemma-3-27b'];
  for (const f of families) assert.ok(MODELS.some((m) => m.id.includes(f)), f);
});
