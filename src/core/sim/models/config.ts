// Reads a decoder-only Hugging Face `config.json` into what the simulator needs: parameter counts (total, active,
// per routed expert), the attention shape (GQA, MLA, sliding windows), the MoE shape and the checkpoint's weight
// format from `quantization_config`. Field names are the ones transformers uses; families that nest the text model
// (gemma-3's `text_config`) are unwrapped.

/** The config.json fields the simulator reads (everything else is ignored). */
export interface HfConfig {
  architectures?: string[];
  model_type?: string;
  text_config?: HfConfig;
  hidden_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  intermediate_size?: number;
  vocab_size?: number;
  max_position_embeddings?: number;
  tie_word_embeddings?: boolean;
  torch_dtype?: string;
  // Sliding-window attention.
  sliding_window?: number | null;
  use_sliding_window?: boolean;
  max_window_layers?: number;
  layer_types?: string[];
  sliding_window_pattern?: number;
  // MLA (DeepSeek-V2/V3, Kimi-K2).
  kv_lora_rank?: number;
  q_lora_rank?: number | null;
  qk_nope_head_dim?: number;
  qk_rope_head_dim?: number;
  v_head_dim?: number;
  // MoE, under each family's names.
  num_experts?: number;
  n_routed_experts?: number;
  num_local_experts?: number;
  num_experts_per_tok?: number;
  experts_per_token?: number;
  moe_intermediate_size?: number;
  n_shared_experts?: number;
  shared_expert_intermediate_size?: number;
  first_k_dense_replace?: number;
  decoder_sparse_step?: number;
  mlp_only_layers?: number[];
  /** Multi-token-prediction layers shipped with the checkpoint (DeepSeek-V3/R1, GLM-4.5): the built-in draft. */
  num_nextn_predict_layers?: number;
  quantization_config?: QuantizationConfig;
}

export interface QuantizationConfig {
  quant_method?: string;
  bits?: number;
  weight_block_size?: number[];
  modules_to_not_convert?: string[];
  format?: string;
  config_groups?: Record<string, { weights?: { num_bits?: number; type?: string; strategy?: string; block_structure?: number[] } }>;
}

/** How the checkpoint stores its linear layers. */
export type WeightFormat = 'bf16' | 'fp8' | 'int8' | 'int4' | 'mxfp4' | 'nvfp4';

export interface Quantization {
  /** `quant_method` as the engines name it (fp8, awq, gptq, mxfp4, compressed-tensors). */
  method: string;
  format: WeightFormat;
  /** Which weights are quantized: every linear layer, or only the routed experts (gpt-oss's MXFP4). */
  scope: 'linear' | 'experts';
  /** FP8 block size ([128, 128] → 128); undefined for per-channel/per-tensor scales. */
  blockSize?: number;
}

export interface ModelSpec {
  /** Hugging Face id (or the path it was read from). */
  id: string;
  architecture: string;
  modelType: string;
  layers: number;
  /** Layers whose MLP is a routed MoE. */
  moeLayers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  attention: 'gqa' | 'mla';
  /** Per head, the width Q·K and softmax·V run over (MLA: the absorbed latent widths). */
  qkHeadDim: number;
  vHeadDim: number;
  /** MLA: latent KV width per layer and token (kv_lora_rank + qk_rope_head_dim); 0 for GQA. */
  mlaKvDim: number;
  /** Sliding-window size and how many layers use it (0 when every layer attends to the full context). */
  slidingWindow: number;
  slidingLayers: number;
  experts: number;
  topK: number;
  /** Routed-expert FFN width (moe_intermediate_size); 0 for dense models. */
  moeIntermediate: number;
  /** Parameters of one routed expert (gate, up, down). */
  expertParams: number;
  /** Non-routed parameters every token touches: attention, dense MLPs, shared experts, routers, lm_head. */
  denseParams: number;
  /** Input embedding table (a lookup, not a GEMM); 0 when tied to lm_head (counted there). */
  embeddingParams: number;
  totalParams: number;
  /** Parameters one token uses: dense + topK routed experts per MoE layer. */
  activeParams: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  /** Format of the quantized weights ('bf16' for an unquantized checkpoint). */
  weightDtype: WeightFormat;
  quantization?: Quantization;
  /** Width of the dense MLP gate_up output; Marlin FP8 on Ampere needs (2·this/tp) divisible by 64. */
  denseIntermediate: number;
  /** Whether each engine implements pipeline parallelism for this architecture. */
  pipelineParallel: { vllm: boolean; sglang: boolean };
  /** Whether TensorRT-LLM 1.x's PyTorch backend has this architecture. */
  trtllmSupported: boolean;
  /** MTP (next-n prediction) layers in the checkpoint, the draft of `speculative: {method: mtp}`; 0 when it has none. */
  mtpLayers: number;
}

export class ModelConfigError extends Error {}

/**
 * Engine support by architecture (research/engines.md §1): vLLM's SupportsPP models, SGLang's models with PP
 * (GLM-4.5's reference crash), and TensorRT-LLM 1.2.0rc1's PyTorch model registry (no Glm4MoeForCausalLM yet).
 */
const ARCHITECTURE_SUPPORT: Readonly<Record<string, { sglangPp: boolean; trtllm: boolean }>> = {
  LlamaForCausalLM: { sglangPp: true, trtllm: true },
  MistralForCausalLM: { sglangPp: true, trtllm: true },
  MixtralForCausalLM: { sglangPp: true, trtllm: true },
  Qwen2ForCausalLM: { sglangPp: true, trtllm: true },
  Qwen3ForCausalLM: { sglangPp: true, trtllm: true },
  Qwen3MoeForCausalLM: { sglangPp: true, trtllm: true },
  DeepseekV3ForCausalLM: { sglangPp: true, trtllm: true },
  GptOssForCausalLM: { sglangPp: false, trtllm: true },
  Glm4MoeForCausalLM: { sglangPp: false, trtllm: false },
  Gemma3ForCausalLM: { sglangPp: false, trtllm: true },
  Gemma3ForConditionalGeneration: { sglangPp: false, trtllm: true },
};

/** Bytes per weight of each format, scales included (AWQ/GPTQ: fp16 scale + zero per 128; MXFP4: e8m0 per 32). */
export const BYTES_PER_WEIGHT: Readonly<Record<WeightFormat, number>> = { bf16: 2, fp8: 1, int8: 1, int4: 0.5 + 4 / 128, mxfp4: 0.5 + 1 / 32, nvfp4: 0.5 + 1 / 16 };

function requireNumber(config: HfConfig, field: keyof HfConfig, source: string): number {
  const value = config[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ModelConfigError(`${source}: config.json has no positive "${field}" (got ${JSON.stringify(value)}); the simulator needs it for a decoder-only model`);
  }
  return value;
}

/** `quantization_config` → the checkpoint's weight format, or undefined for an unquantized checkpoint. */
export function parseQuantization(q: QuantizationConfig | undefined): Quantization | undefined {
  if (!q || !q.quant_method) return undefined;
  const method = q.quant_method.toLowerCase();
  const notConverted = (q.modules_to_not_convert ?? []).some((m) => m.includes('self_attn') || m.includes('attn'));
  const blockSize = q.weight_block_size?.[0];
  if (method === 'fp8' || method === 'fbgemm_fp8') return { method, format: 'fp8', scope: 'linear', ...(blockSize ? { blockSize } : {}) };
  if (method === 'mxfp4') return { method, format: 'mxfp4', scope: notConverted || q.modules_to_not_convert === undefined ? 'experts' : 'linear' };
  if (method === 'awq' || method === 'gptq' || method === 'awq_marlin' || method === 'gptq_marlin') {
    return { method, format: (q.bits ?? 4) === 8 ? 'int8' : 'int4', scope: 'linear' };
  }
  if (method === 'compressed-tensors') {
    const weights = Object.values(q.config_groups ?? {})[0]?.weights;
    const bits = weights?.num_bits ?? 8;
    const float = (weights?.type ?? 'float') === 'float';
    const format: WeightFormat = bits === 8 ? (float ? 'fp8' : 'int8') : float ? 'nvfp4' : 'int4';
    const block = weights?.strategy === 'block' ? weights.block_structure?.[0] : undefined;
    return { method, format, scope: 'linear', ...(block ? { blockSize: block } : {}) };
  }
  if (method === 'modelopt') return { method, format: q.format?.toLowerCase().includes('fp4') ? 'nvfp4' : 'fp8', scope: 'linear' };
  throw new ModelConfigError(`quantization_config.quant_method "${q.quant_method}" is not modelled; supported: fp8, awq, gptq, mxfp4, compressed-tensors, modelopt`);
}

function attentionParams(c: HfConfig, hidden: number, heads: number, kvHeads: number, headDim: number): number {
  if (c.kv_lora_rank) {
    const nope = c.qk_nope_head_dim ?? 128;
    const rope = c.qk_rope_head_dim ?? 64;
    const v = c.v_head_dim ?? 128;
    const q = c.q_lora_rank ? hidden * c.q_lora_rank + c.q_lora_rank * heads * (nope + rope) : hidden * heads * (nope + rope);
    return q + hidden * (c.kv_lora_rank + rope) + c.kv_lora_rank * heads * (nope + v) + heads * v * hidden;
  }
  return hidden * heads * headDim * 2 + hidden * kvHeads * headDim * 2;
}

function countMoeLayers(c: HfConfig, layers: number, experts: number): number {
  if (experts === 0) return 0;
  if (c.first_k_dense_replace !== undefined) return layers - c.first_k_dense_replace;
  const step = c.decoder_sparse_step ?? 1;
  const mlpOnly = new Set(c.mlp_only_layers ?? []);
  let n = 0;
  for (let i = 0; i < layers; i++) if (!mlpOnly.has(i) && (i + 1) % step === 0) n += 1;
  return n;
}

function countSlidingLayers(c: HfConfig, layers: number): number {
  if (c.layer_types) return c.layer_types.filter((t) => t.startsWith('sliding')).length;
  if (!c.sliding_window || c.use_sliding_window === false) return 0;
  // gemma-3: every `sliding_window_pattern`-th layer is global, the others slide.
  if (c.sliding_window_pattern) return layers - Math.floor(layers / c.sliding_window_pattern);
  if (c.use_sliding_window) return layers - (c.max_window_layers ?? 0);
  return c.model_type === 'mistral' || c.model_type === 'mixtral' ? layers : 0;
}

/** Derives the simulator's view of a model from its config.json (`source` names it in errors). */
export function deriveModel(id: string, raw: HfConfig, source = id): ModelSpec {
  const architecture = raw.architectures?.[0];
  if (!architecture) throw new ModelConfigError(`${source}: config.json has no "architectures" entry; is it a model's config.json?`);
  const c: HfConfig = raw.text_config ? { ...raw.text_config, quantization_config: raw.quantization_config ?? raw.text_config.quantization_config } : raw;
  const hidden = requireNumber(c, 'hidden_size', source);
  const layers = requireNumber(c, 'num_hidden_layers', source);
  const heads = requireNumber(c, 'num_attention_heads', source);
  const vocabSize = requireNumber(c, 'vocab_size', source);
  const kvHeads = c.num_key_value_heads ?? heads;
  const headDim = c.head_dim ?? hidden / heads;
  const intermediate = c.intermediate_size ?? 4 * hidden;
  const experts = c.num_experts ?? c.n_routed_experts ?? c.num_local_experts ?? 0;
  const topK = experts > 0 ? (c.num_experts_per_tok ?? c.experts_per_token ?? 1) : 0;
  const moeIntermediate = experts > 0 ? (c.moe_intermediate_size ?? intermediate) : 0;
  const moeLayers = countMoeLayers(c, layers, experts);
  const mla = c.kv_lora_rank !== undefined && c.kv_lora_rank > 0;

  const expertParams = 3 * hidden * moeIntermediate;
  const sharedWidth = (c.n_shared_experts ?? 0) * moeIntermediate + (c.shared_expert_intermediate_size ?? 0);
  const perMoeLayer = 3 * hidden * sharedWidth + hidden * experts;
  const lmHead = vocabSize * hidden;
  const embeddingParams = c.tie_word_embeddings ? 0 : vocabSize * hidden;
  const denseParams = layers * attentionParams(c, hidden, heads, kvHeads, headDim) + (layers - moeLayers) * 3 * hidden * intermediate + moeLayers * perMoeLayer + lmHead;
  const routed = moeLayers * experts * expertParams;
  const quantization = parseQuantization(c.quantization_config);
  const support = ARCHITECTURE_SUPPORT[architecture] ?? { sglangPp: false, trtllm: false };
  return {
    id,
    architecture,
    modelType: c.model_type ?? raw.model_type ?? 'unknown',
    layers,
    moeLayers,
    hidden,
    heads,
    kvHeads: mla ? heads : kvHeads,
    headDim,
    attention: mla ? 'mla' : 'gqa',
    qkHeadDim: mla ? c.kv_lora_rank! + (c.qk_rope_head_dim ?? 64) : headDim,
    vHeadDim: mla ? c.kv_lora_rank! : headDim,
    mlaKvDim: mla ? c.kv_lora_rank! + (c.qk_rope_head_dim ?? 64) : 0,
    slidingWindow: c.sliding_window ?? 0,
    slidingLayers: countSlidingLayers(c, layers),
    experts,
    topK,
    moeIntermediate,
    expertParams,
    denseParams,
    embeddingParams,
    totalParams: denseParams + routed + embeddingParams,
    activeParams: denseParams + moeLayers * topK * expertParams,
    vocabSize,
    maxPositionEmbeddings: c.max_position_embeddings ?? 4096,
    weightDtype: quantization?.format ?? 'bf16',
    ...(quantization ? { quantization } : {}),
    denseIntermediate: intermediate,
    pipelineParallel: { vllm: ARCHITECTURE_SUPPORT[architecture] !== undefined, sglang: support.sglangPp },
    trtllmSupported: support.trtllm,
    mtpLayers: c.num_nextn_predict_layers ?? 0,
  };
}
