// What a simulated engine process is: the parsed command line resolved against the engine's GPU-dependent defaults,
// the memory plan (weights, KV capacity) and the performance profile the scheduler runs on.
import { FITTED_EFFICIENCY } from './calibration/fitted';
import { supportsFp8, type GpuSpec } from './gpus';
import { kvBytesPerTokenPerGpu, weightBytes, type ModelSpec, type WeightFormat } from './models';
import type { AttentionCost, EngineEfficiency, PerfConfig } from './perf';
import type { SpeculativeSettings } from './engines/speculative';
import type { SchedulePolicy } from './scheduler';

export type SimEngineKind = 'vllm' | 'sglang' | 'trtllm';

export interface SimEngineConfig {
  engine: SimEngineKind;
  /** The engine release simulated (engines/versions.ts). */
  version: string;
  gpu: GpuSpec;
  gpuCount: number;
  speedup: number;
  /** The model argument as given (id or path). */
  modelArg: string;
  model: ModelSpec;
  servedModelName: string;
  host: string;
  port: number;
  tp: number;
  pp: number;
  dp: number;
  expertParallel: boolean;
  /** `fp8` from the checkpoint or from --quantization. */
  fp8: boolean;
  kvDtypeBytes: number;
  attentionBackend: string;
  maxRunning: number;
  /** vLLM: max_num_batched_tokens; SGLang: chunked_prefill_size; TRT-LLM: max_num_tokens. */
  tokenBudget: number;
  maxModelLen: number;
  /** vLLM gpu_memory_utilization / SGLang mem_fraction_static / TRT-LLM free_gpu_memory_fraction. */
  memoryFraction: number;
  /** GiB other processes held on the engine's fullest GPU when it started (SGLang sizes its memory pool from what was free). */
  heldGiBPerGpu?: number;
  /** SGLang --max-total-tokens, when given. */
  maxTotalTokens?: number;
  cudaGraphMaxBatch: number;
  /** False: a prompt is prefilled whole in one step (vLLM --no-enable-chunked-prefill, SGLang --chunked-prefill-size -1). */
  chunkedPrefill: boolean;
  /** SGLang --max-prefill-tokens: new tokens of one prefill batch (a single longer prompt still runs alone). */
  maxPrefillTokens?: number;
  mixedChunk: boolean;
  /** Automatic prefix caching (vLLM), the radix cache (SGLang), KV block reuse (TRT-LLM). */
  prefixCaching: boolean;
  /** Tokens per KV block: prefix-cache hits are whole blocks. */
  blockSize: number;
  /** Order in which waiting requests are admitted. */
  schedulePolicy: SchedulePolicy;
  speculative?: SpeculativeSettings;
  /** Options given that the simulator accepts without modelling, as the user spelled them. */
  notModelled: string[];
  reasoningParser?: string;
  toolCallParser?: string;
  enableMetrics: boolean;
  /** vLLM --show-hidden-metrics-for-version 0.10 brings back gpu_cache_usage_perc. */
  showHiddenMetrics: boolean;
  /** TRT-LLM: iteration stats on /metrics (enable_iter_perf_stats in the extra options YAML). */
  iterPerfStats: boolean;
  /** Flags the user gave, by the engine's own field names, for vLLM's `non-default args:` line. */
  nonDefaultArgs: Record<string, unknown>;
  /** GPUs this engine occupies (CUDA_VISIBLE_DEVICES order). */
  gpuIndices: number[];
  /** This host's efficiency when a hidden host profile changes it (hostProfile.ts); else the fitted one. */
  hostEfficiency?: EngineEfficiency;
}

const GIB = 1024 ** 3;

export interface MemoryPlan {
  weightsGiBPerGpu: number;
  activationGiBPerGpu: number;
  kvGiBPerGpu: number;
  kvBytesPerTokenPerGpu: number;
  kvCapacityTokens: number;
  cudaGraphGiBPerGpu: number;
}

/** The weight format as served: the checkpoint's, or FP8 when `--quantization fp8` quantizes a BF16 checkpoint online. */
export function servedWeightFormat(cfg: Pick<SimEngineConfig, 'model' | 'fp8'>): { format: WeightFormat; scope: 'linear' | 'experts'; online: boolean } {
  const model = cfg.model;
  if (cfg.fp8 && model.weightDtype === 'bf16') return { format: 'fp8', scope: 'linear', online: true };
  return { format: model.weightDtype, scope: model.quantization?.scope ?? 'linear', online: false };
}

export function memoryPlan(cfg: SimEngineConfig): MemoryPlan {
  const shards = cfg.tp * cfg.pp;
  const served = servedWeightFormat(cfg);
  const bytes = weightBytes(cfg.model, served.online ? served.format : undefined);
  // A separate draft model (STANDALONE, or the target loaded again as its own draft) is sharded like the target.
  const draft = cfg.speculative?.draftModel ? weightBytes(cfg.speculative.draftModel) : undefined;
  const draftBytes = draft ? draft.dense + draft.experts + draft.embedding : 0;
  const weightsGiBPerGpu = (bytes.dense + bytes.experts + bytes.embedding + draftBytes) / shards / GIB;
  const kvBytesPerTokenPerGpuValue = kvBytesPerTokenPerGpu(cfg.model, cfg.kvDtypeBytes, cfg.tp, cfg.pp);
  let activationGiBPerGpu: number;
  let kvGiBPerGpu: number;
  if (cfg.engine === 'sglang') {
    // profile_max_num_token: mem_fraction_static applies to the memory free at start-up (min over the TP ranks), not
    // to the GPU's total, so memory another process holds shrinks the KV pool by mem_fraction_static × that memory.
    activationGiBPerGpu = 0;
    kvGiBPerGpu = (cfg.gpu.usableGiB - (cfg.heldGiBPerGpu ?? 0)) * cfg.memoryFraction - weightsGiBPerGpu;
  } else if (cfg.engine === 'trtllm') {
    // TRT-LLM gives the KV cache a fraction of the memory still free after weights and runtime buffers.
    activationGiBPerGpu = 2;
    kvGiBPerGpu = (cfg.gpu.usableGiB - weightsGiBPerGpu - activationGiBPerGpu) * cfg.memoryFraction;
  } else {
    // vLLM profiles a dummy forward of max_num_batched_tokens: the residual stream and attention buffers per token,
    // plus the MLP's widest intermediate (dense, or topK routed experts) split across TP ranks; 1.2 GiB of runtime.
    const m = cfg.model;
    const perToken = 16 * m.hidden + (4 * Math.max(m.denseIntermediate, m.topK * m.moeIntermediate)) / cfg.tp;
    activationGiBPerGpu = 1.2 + (cfg.tokenBudget * perToken) / GIB;
    kvGiBPerGpu = cfg.gpu.usableGiB * cfg.memoryFraction - weightsGiBPerGpu - activationGiBPerGpu;
  }
  let kvCapacityTokens = Math.max(0, Math.floor((kvGiBPerGpu * GIB) / kvBytesPerTokenPerGpuValue));
  if (cfg.maxTotalTokens !== undefined) kvCapacityTokens = Math.min(kvCapacityTokens, cfg.maxTotalTokens);
  const cudaGraphGiBPerGpu = cfg.cudaGraphMaxBatch > 0 ? 0.3 + cfg.cudaGraphMaxBatch * 0.001 : 0;
  return { weightsGiBPerGpu, activationGiBPerGpu, kvGiBPerGpu, kvBytesPerTokenPerGpu: kvBytesPerTokenPerGpuValue, kvCapacityTokens, cudaGraphGiBPerGpu };
}

const DEFAULT_ATTENTION: AttentionCost = { compute: 1, memory: 1, perStepS: 0 };
/** Relative attention costs by backend (engine defaults are 1). */
const ATTENTION_COSTS: Readonly<Record<string, AttentionCost>> = {
  // vLLM (VLLM_ATTENTION_BACKEND)
  FLASH_ATTN: DEFAULT_ATTENTION,
  FLASHINFER: { compute: 1.02, memory: 1.0, perStepS: 0.0005 },
  TRITON_ATTN: { compute: 1.4, memory: 1.8, perStepS: 0.003 },
  FLEX_ATTENTION: { compute: 2, memory: 2.2, perStepS: 0.004 },
  XFORMERS: { compute: 1.2, memory: 1.3, perStepS: 0.001 },
  // SGLang (--attention-backend)
  flashinfer: DEFAULT_ATTENTION,
  fa3: { compute: 1.0, memory: 1.1, perStepS: 0.0008 },
  triton: { compute: 1.4, memory: 1.8, perStepS: 0.003 },
  torch_native: { compute: 4, memory: 4, perStepS: 0.02 },
  flex_attention: { compute: 2, memory: 2.2, perStepS: 0.004 },
  // TRT-LLM
  TRTLLM: DEFAULT_ATTENTION,
};

export function perfConfig(cfg: SimEngineConfig, efficiency: EngineEfficiency = cfg.hostEfficiency ?? FITTED_EFFICIENCY[cfg.engine]): PerfConfig {
  const served = servedWeightFormat(cfg);
  return {
    gpu: cfg.gpu,
    model: cfg.model,
    tp: cfg.tp,
    pp: cfg.pp,
    // vLLM's --enable-expert-parallel and SGLang's --ep-size spread the experts over the TP group's GPUs.
    ep: cfg.expertParallel ? cfg.tp : 1,
    efficiency,
    attention: ATTENTION_COSTS[cfg.attentionBackend] ?? DEFAULT_ATTENTION,
    kvDtypeBytes: cfg.kvDtypeBytes,
    weightFormat: served.format,
    quantScope: served.scope,
    // On GPUs without FP8 tensor cores FP8 is weight-only (Marlin): half the weight bytes, BF16 math.
    fp8Compute: served.format === 'fp8' && supportsFp8(cfg.gpu),
    cudaGraphMaxBatch: cfg.cudaGraphMaxBatch,
  };
}
