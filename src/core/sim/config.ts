// What a simulated engine process is: the parsed command line resolved against the engine's GPU-dependent defaults,
// the memory plan (weights, KV capacity) and the performance profile the scheduler runs on.
import type { GpuSpec } from './hardware';
import { kvBytesPerToken, weightBytesPerParam, type ModelSpec } from './models';
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

export function memoryPlan(cfg: SimEngineConfig): MemoryPlan {
  const shards = cfg.tp * cfg.pp;
  const bytesPerParam = cfg.fp8 ? 1 : weightBytesPerParam(cfg.model);
  const weightsGiBPerGpu = (cfg.model.totalParams * bytesPerParam) / shards / GIB;
  // KV heads are split across TP ranks (replicated beyond the head count) and layers across PP stages.
  const kvBytesPerTokenPerGpu = kvBytesPerToken(cfg.model, cfg.kvDtypeBytes) / Math.min(cfg.tp, cfg.model.kvHeads) / cfg.pp;
  let activationGiBPerGpu: number;
  let kvGiBPerGpu: number;
  if (cfg.engine === 'sglang') {
    activationGiBPerGpu = 0;
    kvGiBPerGpu = cfg.gpu.usableGiB * cfg.memoryFraction - weightsGiBPerGpu;
  } else if (cfg.engine === 'trtllm') {
    // TRT-LLM gives the KV cache a fraction of the memory still free after weights and runtime buffers.
    activationGiBPerGpu = 2;
    kvGiBPerGpu = (cfg.gpu.usableGiB - weightsGiBPerGpu - activationGiBPerGpu) * cfg.memoryFraction;
  } else {
    // vLLM profiles a dummy forward of max_num_batched_tokens; the peak grows with the token budget.
    activationGiBPerGpu = 1.2 + 0.0007 * cfg.tokenBudget;
    kvGiBPerGpu = cfg.gpu.usableGiB * cfg.memoryFraction - weightsGiBPerGpu - activationGiBPerGpu;
  }
  let kvCapacityTokens = Math.max(0, Math.floor((kvGiBPerGpu * GIB) / kvBytesPerTokenPerGpu));
  if (cfg.maxTotalTokens !== undefined) kvCapacityTokens = Math.min(kvCapacityTokens, cfg.maxTotalTokens);
  const cudaGraphGiBPerGpu = cfg.cudaGraphMaxBatch > 0 ? 0.3 + cfg.cudaGraphMaxBatch * 0.001 : 0;
  return { weightsGiBPerGpu, activationGiBPerGpu, kvGiBPerGpu, kvBytesPerTokenPerGpu, kvCapacityTokens, cudaGraphGiBPerGpu };
}

// Calibrated against the reference (research/engines.md §6.3 and test/unit/sim/calibration.test.ts).
const VLLM_EFFICIENCY: EngineEfficiency = { stepOverheadS: 0.006, perNewRequestS: 0.006, moeBandwidthEfficiency: 0.35, moeComputeEfficiency: 0.2265, moeImbalance: 1 };
const SGLANG_EFFICIENCY: EngineEfficiency = { stepOverheadS: 0.003, perNewRequestS: 0.0005, moeBandwidthEfficiency: 0.35, moeComputeEfficiency: 0.2265, moeImbalance: 1 };
const TRTLLM_EFFICIENCY: EngineEfficiency = { stepOverheadS: 0.003, perNewRequestS: 0.0005, moeBandwidthEfficiency: 0.45, moeComputeEfficiency: 0.3, moeImbalance: 1 };
/** Expert parallel keeps experts whole (better GEMM shapes) at the price of routing imbalance. */
const EXPERT_PARALLEL = { moeBandwidthEfficiency: 0.45, moeComputeEfficiency: 0.3, moeImbalance: 1.1 };

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

export function perfConfig(cfg: SimEngineConfig): PerfConfig {
  const base = cfg.engine === 'vllm' ? VLLM_EFFICIENCY : cfg.engine === 'sglang' ? SGLANG_EFFICIENCY : TRTLLM_EFFICIENCY;
  const efficiency = cfg.expertParallel && cfg.engine !== 'trtllm' ? { ...base, ...EXPERT_PARALLEL } : base;
  return {
    gpu: cfg.gpu,
    model: cfg.model,
    tp: cfg.tp,
    pp: cfg.pp,
    efficiency,
    attention: ATTENTION_COSTS[cfg.attentionBackend] ?? DEFAULT_ATTENTION,
    kvDtypeBytes: cfg.kvDtypeBytes,
    // On GPUs without FP8 tensor cores this is weight-only FP8 (Marlin): half the weight bytes, BF16 math.
    fp8: cfg.fp8,
    cudaGraphMaxBatch: cfg.cudaGraphMaxBatch,
  };
}
