// What a simulated engine process is: the parsed command line resolved against the engine's GPU-dependent defaults,
// the memory plan (weights, KV capacity) and the performance profile the scheduler runs on.
import type { GpuSpec } from './hardware';
import { kvBytesPerToken, weightBytesPerParam, type ModelSpec } from './models';
import type { AttentionCost, EngineEfficiency, PerfConfig } from './perf';
import { SglangScheduler, VllmScheduler, type BatchScheduler } from './scheduler';

export type SimEngineKind = 'vllm' | 'sglang' | 'trtllm';

export const ENGINE_VERSIONS: Readonly<Record<SimEngineKind, string>> = { vllm: '0.11.0', sglang: '0.5.4.post2', trtllm: '1.2.0rc1' };

export interface SimEngineConfig {
  engine: SimEngineKind;
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
  mixedChunk: boolean;
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

/** vLLM 0.11 `get_batch_defaults`: A100s keep the conservative serving defaults (PR #17885). */
export function vllmBatchDefaults(gpu: GpuSpec): { maxNumSeqs: number; maxNumBatchedTokens: number } {
  const bigNonA100 = gpu.usableGiB >= 70 && !gpu.smiName.toLowerCase().includes('a100');
  return bigNonA100 ? { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 } : { maxNumSeqs: 256, maxNumBatchedTokens: 2048 };
}

/** SGLang `_handle_gpu_memory_settings`: chunked prefill size and CUDA-graph batch cap by GPU memory. */
export function sglangMemoryDefaults(gpu: GpuSpec, tp: number): { chunkedPrefillSize: number; cudaGraphMaxBs: number } {
  const gb = gpu.memoryMiB / 1024;
  if (gb < 35) return { chunkedPrefillSize: 2048, cudaGraphMaxBs: tp < 4 ? 8 : 80 };
  if (gb < 60) return { chunkedPrefillSize: 4096, cudaGraphMaxBs: tp < 4 ? 24 : 80 };
  if (gb < 160) return { chunkedPrefillSize: 8192, cudaGraphMaxBs: tp < 4 ? 256 : 512 };
  return { chunkedPrefillSize: 16384, cudaGraphMaxBs: 512 };
}

/** SGLang's default mem_fraction_static (research/engines.md §1.2). */
export function sglangMemFractionStatic(gpu: GpuSpec, tp: number, pp: number, chunkedPrefillSize: number, cudaGraphMaxBs: number): number {
  const gpuMb = gpu.usableGiB * 1024;
  let reservedMb = 512 + Math.max(chunkedPrefillSize, 2048) * 1.5 + cudaGraphMaxBs * 2 + ((tp * pp) / 8) * 1024;
  if (gpu.memoryMiB / 1024 > 60) reservedMb = Math.max(reservedMb, 10240);
  return Math.round(((gpuMb - reservedMb) / gpuMb) * 1000) / 1000;
}

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

export function createScheduler(cfg: SimEngineConfig): BatchScheduler {
  const perf = perfConfig(cfg);
  const kv = memoryPlan(cfg).kvCapacityTokens;
  if (cfg.engine === 'sglang') return new SglangScheduler(perf, kv, cfg.maxRunning, cfg.tokenBudget, cfg.mixedChunk);
  // TRT-LLM's GUARANTEED_NO_EVICT with chunked context behaves like a mixed-batch scheduler.
  return new VllmScheduler(perf, kv, cfg.maxRunning, cfg.tokenBudget);
}
