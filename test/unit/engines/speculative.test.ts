// Speculative decoding rendered in each engine's own spelling, parsed back, and refused — naming what to change —
// where the engine or the model cannot do it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { EngineVariant, type EngineVariantInput } from '../../../src/core/plan/schema';
import { parseServeCommand, renderVariant, VariantError } from '../../../src/core/engines/index';

const GLM = 'zai-org/GLM-4.5-Air';
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';
const MTP3 = { method: 'mtp', numSpeculativeTokens: 3 } as const;
const EAGLE3 = { method: 'eagle3', numSpeculativeTokens: 3 } as const;

/** The value after `flag` in an argv. */
const after = (argv: readonly string[], flag: string) => argv[argv.indexOf(flag) + 1];
const refusal = (v: EngineVariantInput, engineVersion?: string) => {
  try {
    renderVariant(v, { port: 1, ...(engineVersion ? { engineVersion } : {}) });
  } catch (err) {
    assert.ok(err instanceof VariantError, String(err));
    return err.message;
  }
  assert.fail(`rendered ${JSON.stringify(v)}`);
};

test('vLLM: --speculative-config is one JSON word in vLLM’s keys; MTP is "deepseek_mtp" before 0.11; the catalog’s EAGLE-3 head is the default draft', () => {
  assert.equal(after(renderVariant({ engine: 'vllm', model: GLM, speculative: MTP3 }, { port: 8000 }).argv, '--speculative-config'), '{"method":"mtp","num_speculative_tokens":3}');
  assert.equal(after(renderVariant({ engine: 'vllm', model: GLM, speculative: MTP3 }, { port: 8000, engineVersion: '0.10.2' }).argv, '--speculative-config'), '{"method":"deepseek_mtp","num_speculative_tokens":3}');
  assert.equal(
    after(renderVariant({ engine: 'vllm', model: LLAMA, speculative: EAGLE3 }, { port: 8000 }).argv, '--speculative-config'),
    '{"method":"eagle3","model":"yuhuili/EAGLE3-LLaMA3.1-Instruct-8B","num_speculative_tokens":3}',
  );
  const ngram = renderVariant({ engine: 'vllm', model: LLAMA, speculative: { method: 'ngram', numSpeculativeTokens: 4, promptLookupMax: 4, promptLookupMin: 2 } }, { port: 8000 });
  assert.equal(after(ngram.argv, '--speculative-config'), '{"method":"ngram","num_speculative_tokens":4,"prompt_lookup_max":4,"prompt_lookup_min":2}');
  assert.match(ngram.commandLine, / --speculative-config '\{"method":"ngram",[^']*\}' /, 'one quoted shell word');
});

test('SGLang: --speculative-* flags; MTP is NEXTN, a draft model STANDALONE; one chain verifies steps + 1 tokens', () => {
  const mtp = renderVariant({ engine: 'sglang', model: GLM, parallel: { tp: 4 }, speculative: MTP3 }, { port: 30000 }).argv;
  const at = mtp.indexOf('--speculative-algorithm');
  assert.deepEqual(mtp.slice(at, at + 8), ['--speculative-algorithm', 'NEXTN', '--speculative-num-steps', '3', '--speculative-eagle-topk', '1', '--speculative-num-draft-tokens', '4']);
  const tree = renderVariant({ engine: 'sglang', model: LLAMA, speculative: { method: 'eagle3', numSpeculativeTokens: 5, topk: 4, numDraftTokens: 8 } }, { port: 30000 }).argv;
  assert.equal(after(tree, '--speculative-algorithm'), 'EAGLE3');
  assert.equal(after(tree, '--speculative-draft-model-path'), 'lmsys/SGLang-EAGLE3-Llama-3.1-8B-Instruct-SpecForge', "SGLang's own format of the head");
  assert.deepEqual([after(tree, '--speculative-eagle-topk'), after(tree, '--speculative-num-draft-tokens')], ['4', '8']);
  const standalone = renderVariant({ engine: 'sglang', model: 'Qwen/Qwen3-32B', speculative: { method: 'draft_model', draftModel: 'Qwen/Qwen3-0.6B', numSpeculativeTokens: 4 } }, { port: 30000 }).argv;
  assert.deepEqual([after(standalone, '--speculative-algorithm'), after(standalone, '--speculative-draft-model-path')], ['STANDALONE', 'Qwen/Qwen3-0.6B']);
  const ngram = renderVariant({ engine: 'sglang', model: LLAMA, speculative: { method: 'ngram', numSpeculativeTokens: 7, promptLookupMax: 12 } }, { port: 30000 }).argv;
  assert.deepEqual([after(ngram, '--speculative-num-draft-tokens'), after(ngram, '--speculative-ngram-max-match-window-size')], ['8', '12']);
  assert.ok(!ngram.includes('--speculative-num-steps'));
});

test('TensorRT-LLM: speculative_config in the extra options YAML (Eagle with the head’s directory, DeepSeek’s MTP, NGram, DraftTarget)', () => {
  const yaml = (v: EngineVariantInput) => parseYaml(renderVariant(v, { port: 8000, configDir: '/run' }).files[0]!.content).speculative_config;
  assert.deepEqual(yaml({ engine: 'trtllm', model: LLAMA, speculative: EAGLE3 }), { decoding_type: 'Eagle', max_draft_len: 3, speculative_model_dir: 'yuhuili/EAGLE3-LLaMA3.1-Instruct-8B' });
  assert.deepEqual(yaml({ engine: 'trtllm', model: 'deepseek-ai/DeepSeek-R1', speculative: MTP3 }), { decoding_type: 'MTP', num_nextn_predict_layers: 3 });
  assert.deepEqual(yaml({ engine: 'trtllm', model: LLAMA, speculative: { method: 'ngram', numSpeculativeTokens: 4, promptLookupMax: 3 } }), { decoding_type: 'NGram', max_draft_len: 4, max_matching_ngram_size: 3 });
  assert.deepEqual(yaml({ engine: 'trtllm', model: 'Qwen/Qwen3-32B', speculative: { method: 'draft_model', draftModel: 'Qwen/Qwen3-0.6B', numSpeculativeTokens: 4 } }), {
    decoding_type: 'DraftTarget',
    max_draft_len: 4,
    speculative_model_dir: 'Qwen/Qwen3-0.6B',
  });
});

test('refusals name the model or engine and what to use instead', () => {
  for (const engine of ['vllm', 'sglang', 'trtllm'] as const) {
    assert.match(refusal({ engine, model: LLAMA, speculative: MTP3 }), /meta-llama\/Llama-3\.1-8B-Instruct has no MTP layers .*num_nextn_predict_layers.*: use method eagle3 \(its head \S+\) or ngram/);
  }
  assert.match(refusal({ engine: 'vllm', model: 'mistralai/Mistral-7B-Instruct-v0.3', speculative: EAGLE3 }), /no EAGLE-3 head for mistralai\/Mistral-7B-Instruct-v0\.3 on vLLM is known: set speculative\.draftModel .* or use method ngram/);
  assert.match(refusal({ engine: 'sglang', model: 'Qwen/Qwen3-32B', speculative: { method: 'draft_model', numSpeculativeTokens: 3 } }), /method draft_model needs speculative\.draftModel/);
  assert.match(
    refusal({ engine: 'vllm', model: 'Qwen/Qwen3-32B', speculative: { method: 'draft_model', draftModel: 'Qwen/Qwen3-0.6B', numSpeculativeTokens: 3 } }, '0.11.0'),
    /vLLM 0\.11\.0 has no draft-model speculative decoding .*use method eagle3, mtp or ngram, or SGLang/,
  );
  assert.match(refusal({ engine: 'vllm', model: LLAMA, speculative: { method: 'eagle3', numSpeculativeTokens: 5, topk: 4, numDraftTokens: 8 } }), /vLLM drafts one chain of tokens/);
  assert.match(refusal({ engine: 'trtllm', model: LLAMA, speculative: { method: 'eagle', draftModel: 'yuhuili/EAGLE-LLaMA3.1-Instruct-8B', numSpeculativeTokens: 3 } }), /EAGLE-3 heads only .*use method eagle3/);
  assert.match(refusal({ engine: 'trtllm', model: GLM, speculative: MTP3 }), /TensorRT-LLM implements MTP for DeepSeek-V3\/R1 only, not Glm4MoeForCausalLM/);
  assert.match(refusal({ engine: 'sglang', model: LLAMA, speculative: { method: 'eagle3', numSpeculativeTokens: 5, topk: 4 } }), /set speculative\.numDraftTokens too/);
  // A model the catalog does not know is the engine's to judge: it renders.
  assert.ok(renderVariant({ engine: 'vllm', model: '/models/my-mtp-model', speculative: MTP3 }, { port: 1 }).argv.includes('--speculative-config'));
});

test('the schema keeps each setting to the methods it belongs to', () => {
  const problem = (speculative: unknown) => {
    const r = EngineVariant.safeParse({ engine: 'sglang', model: GLM, speculative });
    assert.ok(!r.success);
    return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  };
  assert.match(problem({ method: 'mtp', draftModel: 'x/y', numSpeculativeTokens: 3 }), /speculative\.draftModel: method mtp drafts without a draft model/);
  assert.match(problem({ method: 'mtp', numSpeculativeTokens: 3, promptLookupMax: 4 }), /speculative\.promptLookupMax: .* applies to method ngram only/);
  assert.match(problem({ method: 'eagle3', numSpeculativeTokens: 3, numDraftTokens: 8 }), /speculative\.numDraftTokens: numDraftTokens sizes a draft tree: set topk above 1/);
  assert.match(problem({ method: 'medusa', numSpeculativeTokens: 3 }), /speculative\.method: expected one of "eagle3", "eagle", "mtp", "ngram", "draft_model", got "medusa"/);
});

const roundTrip: EngineVariantInput[] = [
  { engine: 'vllm', model: GLM, parallel: { tp: 4 }, speculative: MTP3 },
  { engine: 'vllm', model: LLAMA, speculative: { method: 'eagle3', draftModel: 'yuhuili/EAGLE3-LLaMA3.1-Instruct-8B', numSpeculativeTokens: 2 } },
  { engine: 'vllm', model: LLAMA, speculative: { method: 'ngram', numSpeculativeTokens: 4, promptLookupMax: 5, promptLookupMin: 2 } },
  { engine: 'sglang', model: GLM, parallel: { tp: 4 }, speculative: MTP3 },
  { engine: 'sglang', model: LLAMA, speculative: { method: 'eagle3', draftModel: 'lmsys/SGLang-EAGLE3-Llama-3.1-8B-Instruct-SpecForge', numSpeculativeTokens: 5, topk: 4, numDraftTokens: 8 } },
  { engine: 'sglang', model: LLAMA, speculative: { method: 'ngram', numSpeculativeTokens: 7, promptLookupMin: 2, promptLookupMax: 10 } },
  { engine: 'sglang', model: 'Qwen/Qwen3-32B', speculative: { method: 'draft_model', draftModel: 'Qwen/Qwen3-0.6B', numSpeculativeTokens: 4 } },
];

test('round trip: parse(render(v)) = v for speculative settings', () => {
  for (const input of roundTrip) {
    const v = EngineVariant.parse(input);
    const r = renderVariant(v, { port: 9000 });
    assert.deepEqual(parseServeCommand(r.argv), v, r.commandLine);
  }
  const trt = EngineVariant.parse({ engine: 'trtllm', model: 'deepseek-ai/DeepSeek-R1', parallel: { tp: 8 }, speculative: MTP3 });
  const r = renderVariant(trt, { port: 8000, configDir: '/run' });
  assert.deepEqual(parseServeCommand(r.argv, { files: { [r.files[0]!.path]: r.files[0]!.content } }).speculative, trt.speculative);
  // vLLM's per-model MTP names read as mtp; a head is recognised by its repository name when no method is given.
  assert.deepEqual(parseServeCommand(`vllm serve ${GLM} --speculative-config '{"method": "glm4_moe_mtp", "num_speculative_tokens": 1}'`).speculative, { method: 'mtp', numSpeculativeTokens: 1 });
  assert.equal(parseServeCommand(`vllm serve ${LLAMA} --speculative-config '{"model": "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B", "num_speculative_tokens": 3}'`).speculative?.method, 'eagle3');
});
