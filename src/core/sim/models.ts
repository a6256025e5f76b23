// Models the simulated host can "load" (research/engines.md §6.1). A model id the catalog does not know fails the
// way the engines fail on an unknown Hugging Face repository.

export interface ModelSpec {
  /** Hugging Face id. */
  id: string;
  architecture: string;
  layers: number;
  moeLayers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  experts: number;
  topK: number;
  /** Parameters of one routed expert (gate, up, down). */
  expertParams: number;
  /** Non-routed parameters every token touches: attention, dense MLP, shared experts, embeddings, lm_head. */
  denseParams: number;
  totalParams: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  /** Checkpoint weight dtype. */
  weightDtype: 'bf16' | 'fp8';
  /** Whether each engine implements pipeline parallelism for this architecture. */
  pipelineParallel: { vllm: boolean; sglang: boolean };
  /** TensorRT-LLM 1.2.0rc1 has no Glm4MoeForCausalLM (it arrived after the rc, research/engines.md §1.3). */
  trtllmSupported: boolean;
  /** Width of the dense MLP gate_up output; Marlin FP8 on Ampere needs (2·this/tp) divisible by 64. */
  denseIntermediate: number;
}

const GLM_45_AIR: ModelSpec = {
  id: 'zai-org/GLM-4.5-Air',
  architecture: 'Glm4MoeForCausalLM',
  layers: 46,
  moeLayers: 45,
  hidden: 4096,
  heads: 96,
  kvHeads: 8,
  headDim: 128,
  experts: 128,
  topK: 8,
  expertParams: 3 * 4096 * 1408,
  denseParams: 6.55e9,
  totalParams: 106.85e9,
  vocabSize: 151552,
  maxPositionEmbeddings: 131072,
  weightDtype: 'bf16',
  pipelineParallel: { vllm: true, sglang: false },
  trtllmSupported: false,
  denseIntermediate: 10944,
};

export const MODELS: readonly ModelSpec[] = [
  GLM_45_AIR,
  { ...GLM_45_AIR, id: 'zai-org/GLM-4.5-Air-FP8', weightDtype: 'fp8' },
  {
    id: 'Qwen/Qwen3-30B-A3B',
    architecture: 'Qwen3MoeForCausalLM',
    layers: 48,
    moeLayers: 48,
    hidden: 2048,
    heads: 32,
    kvHeads: 4,
    headDim: 128,
    experts: 128,
    topK: 8,
    expertParams: 3 * 2048 * 768,
    denseParams: 1.5e9,
    totalParams: 30.53e9,
    vocabSize: 151936,
    maxPositionEmbeddings: 40960,
    weightDtype: 'bf16',
    pipelineParallel: { vllm: true, sglang: true },
    trtllmSupported: true,
    denseIntermediate: 6144,
  },
];

/** Finds a model by Hugging Face id, or by a local directory whose last component is the model's name. */
export function findModel(idOrPath: string): ModelSpec | undefined {
  const trimmed = idOrPath.replace(/\/+$/, '');
  const exact = MODELS.find((m) => m.id.toLowerCase() === trimmed.toLowerCase());
  if (exact) return exact;
  const base = trimmed.split('/').pop()!.toLowerCase();
  return MODELS.find((m) => m.id.split('/')[1]!.toLowerCase() === base);
}

export const weightBytesPerParam = (model: ModelSpec): number => (model.weightDtype === 'fp8' ? 1 : 2);

/** KV-cache bytes one token takes across the whole model (K and V, every layer). */
export const kvBytesPerToken = (model: ModelSpec, kvDtypeBytes: number): number => model.layers * 2 * model.kvHeads * model.headDim * kvDtypeBytes;
