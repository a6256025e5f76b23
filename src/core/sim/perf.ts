// Roofline step-time model of one engine step (research/engines.md §6.3): one forward pass over N tokens costs a
// fixed per-step overhead, dense GEMMs, routed-expert weight streaming plus expert compute, attention FLOPs and KV
// reads, and the tensor-parallel all-reduces. Constants were fitted to the reference's 4×A100 results.
import type { GpuSpec } from './hardware';
import { kvBytesPerToken, weightBytesPerParam, type ModelSpec } from './models';

/** Engine-specific efficiencies (research/engines.md §6.3, "Calibrated constants"). */
export interface EngineEfficiency {
  /** Scheduler + launch overhead per step (s). */
  stepOverheadS: number;
  /** Per newly admitted request (tokenization hand-off, block tables) (s). */
  perNewRequestS: number;
  /** Fraction of HBM bandwidth the fused-MoE kernel reaches when streaming expert weights. */
  moeBandwidthEfficiency: number;
  /** Fraction of peak FLOP/s the expert GEMMs reach. */
  moeComputeEfficiency: number;
  /** Expert-parallel routing imbalance (1 = none). */
  moeImbalance: number;
}

/** Relative cost of an attention backend against the engine's default (1 = default). */
export interface AttentionCost {
  /** Prefill/attention FLOPs. */
  compute: number;
  /** KV-cache reads (decode). */
  memory: number;
  /** Extra per-step cost (s), e.g. JIT'd kernels without CUDA-graph-friendly metadata. */
  perStepS: number;
}

export interface PerfConfig {
  gpu: GpuSpec;
  model: ModelSpec;
  tp: number;
  pp: number;
  efficiency: EngineEfficiency;
  attention: AttentionCost;
  /** Bytes per KV element (2 for bf16, 1 for fp8). */
  kvDtypeBytes: number;
  /** FP8 weights with FP8 tensor cores (SM≥89). */
  fp8: boolean;
  /** Decode batches up to this size replay a CUDA graph; 0 = CUDA graphs off. */
  cudaGraphMaxBatch: number;
}

export interface StepShape {
  /** Prefill chunks: `q` new tokens on top of `ctx` tokens already in the KV cache. */
  prefill: ReadonlyArray<{ q: number; ctx: number }>;
  decodeCount: number;
  /** Σ context length over the decoding requests. */
  decodeContextSum: number;
  newRequests: number;
}

const ALL_REDUCE_LATENCY_S = 20e-6;
const DENSE_BANDWIDTH_EFFICIENCY = 0.8;
const ATTENTION_COMPUTE_EFFICIENCY = 0.55;
const KV_BANDWIDTH_EFFICIENCY = 0.65;
/** Kernel launches of one eager forward pass: about 0.25 ms per layer on these models. */
const EAGER_OVERHEAD_PER_LAYER_S = 0.25e-3;

export function stepSeconds(cfg: PerfConfig, shape: StepShape): number {
  const { gpu, model, tp, pp, efficiency } = cfg;
  let prefillTokens = 0;
  let attentionFlops = 0;
  let kvTokensRead = shape.decodeContextSum;
  const flopsPerCtxToken = 4 * model.layers * model.heads * model.headDim;
  for (const { q, ctx } of shape.prefill) {
    prefillTokens += q;
    attentionFlops += flopsPerCtxToken * q * (ctx + q / 2);
    kvTokensRead += ctx + q;
  }
  attentionFlops += flopsPerCtxToken * shape.decodeContextSum;
  const n = prefillTokens + shape.decodeCount;
  if (n === 0) return 0;

  const shards = tp * pp;
  const peak = cfg.fp8 ? (gpu.peakFp8 ?? gpu.peakBf16) : gpu.peakBf16;
  const bytesPerParam = cfg.fp8 ? 1 : weightBytesPerParam(model);
  const bw = gpu.hbmBytesPerS;

  const denseEfficiency = (0.6 * n) / (n + 128);
  const tDense = Math.max((2 * model.denseParams * n) / (shards * peak * denseEfficiency), (bytesPerParam * model.denseParams) / (shards * bw * DENSE_BANDWIDTH_EFFICIENCY));

  const expertsTouched = model.experts * (1 - Math.pow(1 - model.topK / model.experts, n));
  const perExpertS = (bytesPerParam * model.expertParams) / shards / (bw * efficiency.moeBandwidthEfficiency);
  const activeExpertParams = model.moeLayers * model.topK * model.expertParams;
  const tMoe =
    (model.moeLayers * expertsTouched * perExpertS + (2 * activeExpertParams * n) / (shards * peak * efficiency.moeComputeEfficiency)) * efficiency.moeImbalance;

  const kvBytes = kvBytesPerToken(model, cfg.kvDtypeBytes) * kvTokensRead;
  const tAttention =
    (attentionFlops / (shards * gpu.peakBf16 * ATTENTION_COMPUTE_EFFICIENCY)) * cfg.attention.compute +
    (kvBytes / (shards * bw * KV_BANDWIDTH_EFFICIENCY)) * cfg.attention.memory +
    cfg.attention.perStepS;

  const tComm =
    tp > 1 ? (2 * model.layers * (ALL_REDUCE_LATENCY_S + ((2 * (tp - 1)) / tp) * n * model.hidden * 2 / gpu.allReduceBusBytesPerS)) / pp : 0;

  // Prefill and mixed steps were calibrated as they run (piecewise graphs at most); a decode batch larger than the
  // biggest captured graph, or any step with CUDA graphs off, pays the eager kernel launches.
  const decodeOnly = shape.prefill.length === 0;
  const eager = cfg.cudaGraphMaxBatch === 0 || (decodeOnly && shape.decodeCount > cfg.cudaGraphMaxBatch);
  const tLaunch = eager ? model.layers * EAGER_OVERHEAD_PER_LAYER_S : 0;

  const compute = tDense + tMoe + tAttention + tComm;
  // Pipeline parallel: each stage holds 1/pp of the layers; micro-batching leaves a bubble of (pp-1)/pp.
  const pipelined = pp > 1 ? compute * (1 + (pp - 1) / pp) : compute;
  return efficiency.stepOverheadS + efficiency.perNewRequestS * shape.newRequests + pipelined + tLaunch;
}
