// Step-time model of one engine step (research/engines.md §6.3), from FLOPs and bytes per op: dense GEMMs
// (attention projections, dense MLPs, shared experts, lm_head), routed-expert GEMMs at their real batch shapes
// (weights streamed once per touched expert, compute at topK·N tokens), attention FLOPs and KV reads (GQA, MLA,
// sliding windows), and communication over the GPU's links (TP all-reduce, EP all-to-all, PP hand-offs and
// bubble). The only fitted numbers are the per-engine efficiencies in calibration/fitted.ts; nothing is keyed to
// one model.
import type { GpuSpec } from './gpus';
import { BYTES_PER_WEIGHT, kvBytesPerLayer, type ModelSpec, type WeightFormat } from './models';

/** Per-engine efficiencies, fitted by `node bench/sim-accuracy.mts --fit --write` (calibration/fitted.ts). */
export interface EngineEfficiency {
  /** Scheduler + launch overhead per step (s). */
  stepOverheadS: number;
  /** Per sequence in the batch per step: input preparation, sampling, detokenization (s). */
  perSequenceS: number;
  /** Per newly admitted request (tokenization hand-off, block tables) (s). */
  perNewRequestS: number;
  /** Fraction of peak FLOP/s dense GEMMs reach at large N (they approach it as N/(N+128)). */
  gemmEfficiency: number;
  /** Fraction of HBM bandwidth the fused-MoE kernel reaches when streaming expert weights. */
  moeBandwidthEfficiency: number;
  /** Fraction of peak FLOP/s the expert GEMMs reach. */
  moeComputeEfficiency: number;
  /** Fraction of peak FLOP/s prefill attention reaches. */
  attentionComputeEfficiency: number;
  /** Fraction of HBM bandwidth decode attention reaches reading the KV cache. */
  kvBandwidthEfficiency: number;
  /** Expert shard width (columns) at which the fused-MoE kernel reaches half its efficiency (narrow TP shards). */
  moeHalfWidth: number;
  /** GEMM compute efficiency of quantized weights relative to BF16 (dequantization in the kernel). */
  quantizedComputeFactor: number;
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
  /** Expert-parallel size (1 = experts sharded by TP). */
  ep: number;
  efficiency: EngineEfficiency;
  attention: AttentionCost;
  /** Bytes per KV element (2 for bf16, 1 for fp8). */
  kvDtypeBytes: number;
  /** Format of the quantized linear weights as served (the checkpoint's, or online `--quantization fp8`). */
  weightFormat: WeightFormat;
  /** Whether quantization covers every linear layer or only the routed experts. */
  quantScope: 'linear' | 'experts';
  /** FP8 weights with FP8 tensor cores (SM≥89): GEMMs at the FP8 peak. */
  fp8Compute: boolean;
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

const LINK_LATENCY_S = 20e-6;
/** Kernel launches of one eager forward pass: about 0.25 ms per layer. */
const EAGER_OVERHEAD_PER_LAYER_S = 0.25e-3;
/** Dense GEMMs reach half their efficiency at this many tokens. */
const GEMM_HALF_TOKENS = 128;
const ACTIVATION_BYTES = 2;
/** Expert parallel: the busiest rank gets this much more than its share of the routed tokens. */
const EP_IMBALANCE = 1.1;
/** Fraction of HBM bandwidth plain GEMMs reach streaming their weights (small-batch decode). */
const DENSE_BANDWIDTH_EFFICIENCY = 0.8;

/**
 * Share of the datasheet's dense tensor peak a GPU generation sustains, relative to Ampere (where the per-engine
 * efficiencies are anchored). Hopper SXM boards at their 700 W limit run large GEMMs at about 70–75% of 989 TFLOP/s
 * where A100s reach 85–90% of 312. The calibration pages say the same: without it the efficiencies fitted on the
 * H100/H200 pages under-predict the A100 pages and the other way round (leave-one-page-out median throughput error
 * 12.0% without, 10.1% with it). Other generations keep 1: no calibration page has them.
 */
const SUSTAINED_TENSOR_FRACTION: Readonly<Record<number, number>> = { 9: 0.85 };
const sustainedPeak = (gpu: GpuSpec, peak: number): number => peak * (SUSTAINED_TENSOR_FRACTION[gpu.computeCapability[0]] ?? 1);

/** Tensor FLOP/s the GEMMs of this checkpoint run at: FP8 weights use FP8 tensor cores where the GPU has them. */
const gemmPeak = (cfg: PerfConfig): number => sustainedPeak(cfg.gpu, cfg.fp8Compute ? (cfg.gpu.peakFp8 ?? cfg.gpu.peakBf16) : cfg.gpu.peakBf16);

/**
 * What one step costs before the fitted efficiencies divide it: seconds at 100% of peak (or of HBM bandwidth) per
 * term, and the counts the per-step overheads multiply. `stepSeconds` = `combineStepCost(stepCost(…), efficiency)`;
 * the calibration re-times recorded steps with other efficiencies through the same two functions.
 */
export interface StepCost {
  sequences: number;
  newRequests: number;
  /** Dense GEMM FLOPs at peak, already scaled by the batch-size factor N/(N+128). */
  denseCompute: number;
  /** Dense weights streamed at the fixed dense bandwidth efficiency. */
  denseMemory: number;
  expertStream: number;
  expertCompute: number;
  /** Columns of one expert shard on a GPU (moe_intermediate, divided by TP unless EP keeps experts whole). */
  expertWidth: number;
  /** Whether the GEMMs run on quantized weights. */
  quantized: boolean;
  attentionCompute: number;
  kvRead: number;
  /** Communication and backend per-step costs (not fitted). */
  fixed: number;
  /** Pipeline-parallel bubble factor on the forward pass. */
  pipeline: number;
  /** Eager kernel launches (CUDA graphs off or batch above the captured sizes). */
  launches: number;
}

/** Attention FLOPs and KV bytes of one step, per GPU, at peak. */
function attentionCost(cfg: PerfConfig, shape: StepShape, peak: number): { compute: number; memory: number } {
  const { model, tp, pp, gpu } = cfg;
  const window = model.slidingWindow;
  const sliding = model.slidingLayers;
  const full = model.layers - sliding;
  const flopsPerPair = 2 * model.heads * (model.qkHeadDim + model.vHeadDim);
  // Σ over layers of the context each query token attends to, and of the KV tokens read.
  let pairs = 0;
  let kvTokens = 0;
  for (const { q, ctx } of shape.prefill) {
    pairs += full * q * (ctx + q / 2);
    kvTokens += full * (ctx + q);
    if (sliding > 0) {
      pairs += sliding * q * Math.min(ctx + q / 2, window);
      kvTokens += sliding * Math.min(ctx + q, window + q);
    }
  }
  pairs += full * shape.decodeContextSum;
  kvTokens += full * shape.decodeContextSum;
  if (sliding > 0) {
    const windowed = Math.min(shape.decodeContextSum, shape.decodeCount * window);
    pairs += sliding * windowed;
    kvTokens += sliding * windowed;
  }
  // Heads split across TP ranks; GQA's KV heads too (replicated beyond their count), MLA's latent is replicated.
  const kvSplit = model.attention === 'mla' ? 1 : Math.min(tp, model.kvHeads);
  return {
    compute: ((flopsPerPair * pairs) / (tp * pp * peak)) * cfg.attention.compute,
    memory: ((kvBytesPerLayer(model, cfg.kvDtypeBytes) * kvTokens) / (kvSplit * pp * gpu.hbmBytesPerS)) * cfg.attention.memory,
  };
}

/** Dense (non-routed) GEMMs: attention projections, dense MLPs, shared experts, routers; lm_head on sampled tokens only. */
function denseCost(cfg: PerfConfig, n: number, logits: number, peak: number): { compute: number; memory: number } {
  const { model, gpu } = cfg;
  const shards = cfg.tp * cfg.pp;
  const lmHead = model.vocabSize * model.hidden;
  const bytesPerWeight = BYTES_PER_WEIGHT[cfg.quantScope === 'linear' ? cfg.weightFormat : 'bf16'];
  const flopsPerS = cfg.quantScope === 'linear' ? gemmPeak(cfg) : peak;
  const flops = 2 * (model.denseParams - lmHead) * n + 2 * lmHead * logits;
  return { compute: flops / (shards * flopsPerS * (n / (n + GEMM_HALF_TOKENS))), memory: (bytesPerWeight * model.denseParams) / (shards * gpu.hbmBytesPerS * DENSE_BANDWIDTH_EFFICIENCY) };
}

/** Routed experts: every touched expert's weights streamed once, plus the expert GEMMs over topK·n token rows. */
function expertCost(cfg: PerfConfig, n: number): { stream: number; compute: number; width: number } {
  const { model, gpu } = cfg;
  if (model.moeLayers === 0 || model.experts === 0) return { stream: 0, compute: 0, width: 1 };
  const touched = model.experts * (1 - Math.pow(1 - model.topK / model.experts, n));
  // TP shards every expert; EP keeps experts whole and spreads them over the EP ranks (with routing imbalance).
  const shards = Math.max(cfg.ep, cfg.ep > 1 ? 1 : cfg.tp) * cfg.pp;
  const imbalance = cfg.ep > 1 ? EP_IMBALANCE : 1;
  const scale = imbalance / shards;
  return {
    width: model.moeIntermediate / (cfg.ep > 1 ? 1 : cfg.tp),
    stream: ((model.moeLayers * touched * model.expertParams * BYTES_PER_WEIGHT[cfg.weightFormat]) / gpu.hbmBytesPerS) * scale,
    compute: ((2 * model.moeLayers * model.topK * model.expertParams * n) / gemmPeak(cfg)) * scale,
  };
}

/** TP all-reduces (two per layer), EP dispatch/combine (per MoE layer), PP stage hand-offs. */
function communicationSeconds(cfg: PerfConfig, n: number): number {
  const { model, gpu, tp, pp, ep } = cfg;
  const activation = n * model.hidden * ACTIVATION_BYTES;
  let t = 0;
  if (tp > 1) t += (2 * model.layers * (LINK_LATENCY_S + (((2 * (tp - 1)) / tp) * activation) / gpu.allReduceBusBytesPerS)) / pp;
  if (ep > 1) t += (2 * model.moeLayers * (LINK_LATENCY_S + (((ep - 1) / ep) * activation * model.topK) / ep / gpu.allReduceBusBytesPerS)) / pp;
  if (pp > 1) t += (pp - 1) * (LINK_LATENCY_S + activation / gpu.link.bytesPerS);
  return t;
}

/** The efficiency-independent cost of one step; undefined when it runs no token. */
export function stepCost(cfg: PerfConfig, shape: StepShape): StepCost | undefined {
  let prefillTokens = 0;
  for (const { q } of shape.prefill) prefillTokens += q;
  const n = prefillTokens + shape.decodeCount;
  if (n === 0) return undefined;
  const peak = sustainedPeak(cfg.gpu, cfg.gpu.peakBf16);
  const sequences = shape.decodeCount + shape.prefill.length;
  const dense = denseCost(cfg, n, sequences, peak);
  const experts = expertCost(cfg, n);
  const attention = attentionCost(cfg, shape, peak);
  // Prefill and mixed steps run as calibrated (piecewise graphs at most); a decode batch larger than the biggest
  // captured graph, or any step with CUDA graphs off, pays the eager kernel launches.
  const eager = cfg.cudaGraphMaxBatch === 0 || (shape.prefill.length === 0 && shape.decodeCount > cfg.cudaGraphMaxBatch);
  return {
    sequences,
    newRequests: shape.newRequests,
    denseCompute: dense.compute,
    denseMemory: dense.memory,
    expertStream: experts.stream,
    expertCompute: experts.compute,
    expertWidth: experts.width,
    quantized: cfg.weightFormat !== 'bf16',
    attentionCompute: attention.compute,
    kvRead: attention.memory,
    fixed: communicationSeconds(cfg, n) + cfg.attention.perStepS,
    // Pipeline parallel: each stage holds 1/pp of the layers; micro-batching leaves a bubble of (pp-1)/pp.
    pipeline: 1 + (cfg.pp - 1) / cfg.pp,
    launches: eager ? cfg.model.layers * EAGER_OVERHEAD_PER_LAYER_S : 0,
  };
}

export function combineStepCost(c: StepCost, e: EngineEfficiency): number {
  // Narrow TP shards of an expert make small tiles: the fused-MoE kernel reaches half its efficiency at moeHalfWidth.
  const shape = c.expertWidth / (c.expertWidth + e.moeHalfWidth);
  const quant = c.quantized ? e.quantizedComputeFactor : 1;
  const forward =
    Math.max(c.denseCompute / (e.gemmEfficiency * quant), c.denseMemory) +
    c.expertStream / (e.moeBandwidthEfficiency * shape) +
    c.expertCompute / (e.moeComputeEfficiency * shape * quant) +
    c.attentionCompute / e.attentionComputeEfficiency +
    c.kvRead / e.kvBandwidthEfficiency +
    c.fixed;
  return e.stepOverheadS + e.perSequenceS * c.sequences + e.perNewRequestS * c.newRequests + forward * c.pipeline + c.launches;
}

export function stepSeconds(cfg: PerfConfig, shape: StepShape): number {
  const cost = stepCost(cfg, shape);
  return cost ? combineStepCost(cost, cfg.efficiency) : 0;
}
