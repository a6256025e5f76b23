// The bundled model catalog: the config.json fields that matter, copied from each repository's config.json on
// Hugging Face (no weights). Quantized twins (-FP8, -AWQ, -FP8-dynamic) carry their repository's
// quantization_config. A model not listed here is read from its own config.json (models/index.ts).
import type { HfConfig, QuantizationConfig } from './config';

const FP8_BLOCK: QuantizationConfig = { quant_method: 'fp8', weight_block_size: [128, 128] };
const AWQ_INT4: QuantizationConfig = { quant_method: 'awq', bits: 4 };
/** zai-org's GLM FP8 checkpoints: compressed-tensors, per-channel float8 weights. */
const FP8_CHANNEL: QuantizationConfig = { quant_method: 'compressed-tensors', config_groups: { group_0: { weights: { num_bits: 8, type: 'float', strategy: 'channel' } } } };
const MXFP4_EXPERTS: QuantizationConfig = { quant_method: 'mxfp4', modules_to_not_convert: ['model.layers.*.self_attn', 'model.layers.*.mlp.router', 'model.embed_tokens', 'lm_head'] };

const llama = (layers: number, hidden: number, heads: number, intermediate: number): HfConfig => ({
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: 8,
  intermediate_size: intermediate,
  vocab_size: 128256,
  max_position_embeddings: 131072,
  tie_word_embeddings: false,
});

const qwen3 = (layers: number, hidden: number, heads: number, intermediate: number, tied: boolean): HfConfig => ({
  architectures: ['Qwen3ForCausalLM'],
  model_type: 'qwen3',
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: 8,
  head_dim: 128,
  intermediate_size: intermediate,
  vocab_size: 151936,
  max_position_embeddings: 40960,
  tie_word_embeddings: tied,
});

const qwen3Moe = (layers: number, hidden: number, heads: number, kvHeads: number, moeIntermediate: number, maxPositions: number): HfConfig => ({
  architectures: ['Qwen3MoeForCausalLM'],
  model_type: 'qwen3_moe',
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: kvHeads,
  head_dim: 128,
  intermediate_size: 6144,
  moe_intermediate_size: moeIntermediate,
  num_experts: 128,
  num_experts_per_tok: 8,
  decoder_sparse_step: 1,
  mlp_only_layers: [],
  vocab_size: 151936,
  max_position_embeddings: maxPositions,
  tie_word_embeddings: false,
});

const qwen25 = (layers: number, hidden: number, heads: number, kvHeads: number, intermediate: number, maxPositions: number): HfConfig => ({
  architectures: ['Qwen2ForCausalLM'],
  model_type: 'qwen2',
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: kvHeads,
  intermediate_size: intermediate,
  vocab_size: 152064,
  max_position_embeddings: maxPositions,
  use_sliding_window: false,
  tie_word_embeddings: false,
});

const glm4Moe = (layers: number, hidden: number, intermediate: number, experts: number, moeIntermediate: number, denseLayers: number, maxPositions: number): HfConfig => ({
  architectures: ['Glm4MoeForCausalLM'],
  model_type: 'glm4_moe',
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: 96,
  num_key_value_heads: 8,
  head_dim: 128,
  intermediate_size: intermediate,
  moe_intermediate_size: moeIntermediate,
  n_routed_experts: experts,
  n_shared_experts: 1,
  num_experts_per_tok: 8,
  first_k_dense_replace: denseLayers,
  num_nextn_predict_layers: 1,
  vocab_size: 151552,
  max_position_embeddings: maxPositions,
  tie_word_embeddings: false,
});

const deepseekV3 = (heads: number, experts: number, denseLayers: number, vocab: number, maxPositions: number, mtpLayers: number): HfConfig => ({
  architectures: ['DeepseekV3ForCausalLM'],
  model_type: 'deepseek_v3',
  hidden_size: 7168,
  num_hidden_layers: 61,
  num_attention_heads: heads,
  num_key_value_heads: heads,
  q_lora_rank: 1536,
  kv_lora_rank: 512,
  qk_nope_head_dim: 128,
  qk_rope_head_dim: 64,
  v_head_dim: 128,
  intermediate_size: 18432,
  moe_intermediate_size: 2048,
  n_routed_experts: experts,
  n_shared_experts: 1,
  num_experts_per_tok: 8,
  first_k_dense_replace: denseLayers,
  num_nextn_predict_layers: mtpLayers,
  vocab_size: vocab,
  max_position_embeddings: maxPositions,
  tie_word_embeddings: false,
  quantization_config: FP8_BLOCK,
});

const gptOss = (layers: number, experts: number): HfConfig => ({
  architectures: ['GptOssForCausalLM'],
  model_type: 'gpt_oss',
  hidden_size: 2880,
  num_hidden_layers: layers,
  num_attention_heads: 64,
  num_key_value_heads: 8,
  head_dim: 64,
  intermediate_size: 2880,
  num_local_experts: experts,
  num_experts_per_tok: 4,
  sliding_window: 128,
  layer_types: Array.from({ length: layers }, (_, i) => (i % 2 === 0 ? 'sliding_attention' : 'full_attention')),
  vocab_size: 201088,
  max_position_embeddings: 131072,
  tie_word_embeddings: false,
  quantization_config: MXFP4_EXPERTS,
});

const gemma3 = (layers: number, hidden: number, heads: number, kvHeads: number, headDim: number, intermediate: number, multimodal: boolean): HfConfig => {
  const text: HfConfig = {
    model_type: 'gemma3_text',
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    intermediate_size: intermediate,
    sliding_window: multimodal ? 1024 : 512,
    sliding_window_pattern: 6,
    vocab_size: multimodal ? 262208 : 262144,
    max_position_embeddings: multimodal ? 131072 : 32768,
    tie_word_embeddings: true,
  };
  return multimodal ? { architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3', text_config: text } : { ...text, architectures: ['Gemma3ForCausalLM'] };
};

const mistral = (architecture: string, layers: number, hidden: number, heads: number, intermediate: number, vocab: number, maxPositions: number, moe?: { experts: number; headDim?: number }): HfConfig => ({
  architectures: [architecture],
  model_type: architecture === 'MixtralForCausalLM' ? 'mixtral' : 'mistral',
  hidden_size: hidden,
  num_hidden_layers: layers,
  num_attention_heads: heads,
  num_key_value_heads: 8,
  ...(moe?.headDim ? { head_dim: moe.headDim } : {}),
  intermediate_size: intermediate,
  ...(moe && moe.experts > 0 ? { num_local_experts: moe.experts, num_experts_per_tok: 2 } : {}),
  sliding_window: null,
  vocab_size: vocab,
  max_position_embeddings: maxPositions,
  tie_word_embeddings: false,
});

const GLM_45_AIR = glm4Moe(46, 4096, 10944, 128, 1408, 1, 131072);
const GLM_45 = glm4Moe(92, 5120, 12288, 160, 1536, 3, 131072);
const GLM_46 = glm4Moe(92, 5120, 12288, 160, 1536, 3, 202752);
const QWEN3_235B = qwen3Moe(94, 4096, 64, 4, 1536, 40960);
const QWEN3_235B_2507 = qwen3Moe(94, 4096, 64, 4, 1536, 262144);
const QWEN3_30B = qwen3Moe(48, 2048, 32, 4, 768, 40960);
const QWEN3_14B = qwen3(40, 5120, 40, 17408, false);
const QWEN3_32B = qwen3(64, 5120, 64, 25600, false);
const QWEN3_8B = qwen3(36, 4096, 32, 12288, false);
const LLAMA_8B = llama(32, 4096, 32, 14336);
const LLAMA_70B = llama(80, 8192, 64, 28672);
const LLAMA_405B = llama(126, 16384, 128, 53248);
const DEEPSEEK_V3 = deepseekV3(128, 256, 3, 129280, 163840, 1);
const KIMI_K2 = deepseekV3(64, 384, 1, 163840, 131072, 0);

const withQuantization = (config: HfConfig, quantization: QuantizationConfig): HfConfig => ({ ...config, quantization_config: quantization });

/** Hugging Face id → config.json fields. */
export const CATALOG: Readonly<Record<string, HfConfig>> = {
  'meta-llama/Llama-3.1-8B-Instruct': LLAMA_8B,
  'meta-llama/Llama-3.1-70B-Instruct': LLAMA_70B,
  'meta-llama/Llama-3.3-70B-Instruct': LLAMA_70B,
  'meta-llama/Llama-3.1-405B-Instruct': LLAMA_405B,
  'meta-llama/Llama-3.1-405B-Instruct-FP8': withQuantization(LLAMA_405B, { quant_method: 'fbgemm_fp8' }),
  'meta-llama/Llama-3.2-3B-Instruct': { ...llama(28, 3072, 24, 8192), head_dim: 128, tie_word_embeddings: true },
  'Qwen/Qwen3-0.6B': { ...qwen3(28, 1024, 16, 3072, true) },
  'Qwen/Qwen3-1.7B': qwen3(28, 2048, 16, 6144, true),
  'Qwen/Qwen3-4B': qwen3(36, 2560, 32, 9728, true),
  'Qwen/Qwen3-8B': QWEN3_8B,
  'Qwen/Qwen3-8B-FP8': withQuantization(QWEN3_8B, FP8_BLOCK),
  'Qwen/Qwen3-8B-AWQ': withQuantization(QWEN3_8B, AWQ_INT4),
  'Qwen/Qwen3-14B': QWEN3_14B,
  'Qwen/Qwen3-14B-FP8': withQuantization(QWEN3_14B, FP8_BLOCK),
  'Qwen/Qwen3-14B-AWQ': withQuantization(QWEN3_14B, AWQ_INT4),
  'Qwen/Qwen3-32B': QWEN3_32B,
  'Qwen/Qwen3-32B-FP8': withQuantization(QWEN3_32B, FP8_BLOCK),
  'Qwen/Qwen3-32B-AWQ': withQuantization(QWEN3_32B, AWQ_INT4),
  'Qwen/Qwen3-30B-A3B': QWEN3_30B,
  'Qwen/Qwen3-30B-A3B-FP8': withQuantization(QWEN3_30B, FP8_BLOCK),
  'Qwen/Qwen3-30B-A3B-Instruct-2507': { ...QWEN3_30B, max_position_embeddings: 262144 },
  'Qwen/Qwen3-235B-A22B': QWEN3_235B,
  'Qwen/Qwen3-235B-A22B-FP8': withQuantization(QWEN3_235B, FP8_BLOCK),
  'Qwen/Qwen3-235B-A22B-Instruct-2507': QWEN3_235B_2507,
  'Qwen/Qwen3-235B-A22B-Instruct-2507-FP8': withQuantization(QWEN3_235B_2507, FP8_BLOCK),
  'Qwen/Qwen2.5-7B-Instruct': qwen25(28, 3584, 28, 4, 18944, 32768),
  'Qwen/Qwen2.5-14B-Instruct': qwen25(48, 5120, 40, 8, 13824, 32768),
  'Qwen/Qwen2.5-32B-Instruct': qwen25(64, 5120, 40, 8, 27648, 32768),
  'Qwen/Qwen2.5-72B-Instruct': qwen25(80, 8192, 64, 8, 29568, 32768),
  'Qwen/Qwen2.5-72B-Instruct-AWQ': withQuantization(qwen25(80, 8192, 64, 8, 29568, 32768), AWQ_INT4),
  'mistralai/Mistral-7B-Instruct-v0.3': mistral('MistralForCausalLM', 32, 4096, 32, 14336, 32768, 32768),
  'mistralai/Mistral-Small-24B-Instruct-2501': mistral('MistralForCausalLM', 40, 5120, 32, 32768, 131072, 32768, { experts: 0, headDim: 128 }),
  'mistralai/Mixtral-8x7B-Instruct-v0.1': mistral('MixtralForCausalLM', 32, 4096, 32, 14336, 32000, 32768, { experts: 8 }),
  'mistralai/Mixtral-8x22B-Instruct-v0.1': mistral('MixtralForCausalLM', 56, 6144, 48, 16384, 32768, 65536, { experts: 8 }),
  'deepseek-ai/DeepSeek-V3': DEEPSEEK_V3,
  'deepseek-ai/DeepSeek-V3-0324': DEEPSEEK_V3,
  'deepseek-ai/DeepSeek-R1': DEEPSEEK_V3,
  'deepseek-ai/DeepSeek-R1-0528': DEEPSEEK_V3,
  'moonshotai/Kimi-K2-Instruct': KIMI_K2,
  'moonshotai/Kimi-K2-Instruct-0905': { ...KIMI_K2, max_position_embeddings: 262144 },
  'openai/gpt-oss-20b': gptOss(24, 32),
  'openai/gpt-oss-120b': gptOss(36, 128),
  'zai-org/GLM-4.5-Air': GLM_45_AIR,
  'zai-org/GLM-4.5-Air-FP8': withQuantization(GLM_45_AIR, FP8_CHANNEL),
  'zai-org/GLM-4.5': GLM_45,
  'zai-org/GLM-4.5-FP8': withQuantization(GLM_45, FP8_CHANNEL),
  'zai-org/GLM-4.6': GLM_46,
  'zai-org/GLM-4.6-FP8': withQuantization(GLM_46, FP8_CHANNEL),
  'google/gemma-3-1b-it': gemma3(26, 1152, 4, 1, 256, 6912, false),
  'google/gemma-3-4b-it': gemma3(34, 2560, 8, 4, 256, 10240, true),
  'google/gemma-3-12b-it': gemma3(48, 3840, 16, 8, 256, 15360, true),
  'google/gemma-3-27b-it': gemma3(62, 5376, 32, 16, 128, 21504, true),
};
