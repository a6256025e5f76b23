// SGLang 0.5.x defaults that matter for speed, as server_args.py derives them from the GPU (research/engines.md §1.2).
import type { GpuSpec } from '../../gpus';

/** `_handle_gpu_memory_settings`: chunked prefill size and CUDA-graph batch cap by GPU memory. */
export function sglangMemoryDefaults(gpu: GpuSpec, tp: number): { chunkedPrefillSize: number; cudaGraphMaxBs: number } {
  const gb = gpu.memoryMiB / 1024;
  if (gb < 35) return { chunkedPrefillSize: 2048, cudaGraphMaxBs: tp < 4 ? 8 : 80 };
  if (gb < 60) return { chunkedPrefillSize: 4096, cudaGraphMaxBs: tp < 4 ? 24 : 80 };
  if (gb < 160) return { chunkedPrefillSize: 8192, cudaGraphMaxBs: tp < 4 ? 256 : 512 };
  return { chunkedPrefillSize: 16384, cudaGraphMaxBs: 512 };
}

/** The default mem_fraction_static; speculative decoding reserves 2 GB more for the draft. */
export function sglangMemFractionStatic(gpu: GpuSpec, tp: number, pp: number, chunkedPrefillSize: number, cudaGraphMaxBs: number, speculative = false): number {
  const gpuMb = gpu.usableGiB * 1024;
  let reservedMb = 512 + Math.max(chunkedPrefillSize, 2048) * 1.5 + cudaGraphMaxBs * 2 + ((tp * pp) / 8) * 1024;
  if (gpu.memoryMiB / 1024 > 60) reservedMb = Math.max(reservedMb, 10240);
  if (speculative) reservedMb += 2048;
  return Math.round(((gpuMb - reservedMb) / gpuMb) * 1000) / 1000;
}

/** --max-prefill-tokens default. */
export const SGLANG_MAX_PREFILL_TOKENS = 16384;

/**
 * `auto_choose_speculative_params`: (num_steps, eagle_topk, num_draft_tokens) when --speculative-num-steps is not
 * given — 3/1/4 for DeepSeek's architectures, 5/4/8 (a draft tree) for every other.
 */
export function sglangAutoSpeculativeParams(architecture: string): [number, number, number] {
  return architecture === 'DeepseekV3ForCausalLM' || architecture === 'DeepseekV2ForCausalLM' ? [3, 1, 4] : [5, 4, 8];
}

/** Architectures whose checkpoint holds its own draft (MTP layers): the draft path defaults to the model's. */
export const SGLANG_OWN_DRAFT_ARCHITECTURES = ['DeepseekV32ForCausalLM', 'DeepseekV3ForCausalLM', 'Glm4MoeForCausalLM', 'BailingMoeForCausalLM', 'BailingMoeV2ForCausalLM'];

/** The running-request cap speculative decoding sets when --max-running-requests is not given. */
export const SGLANG_SPEC_MAX_RUNNING = 48;

/** NGRAM's lookup window default (--speculative-ngram-max-match-window-size), also its default draft tree size. */
export const SGLANG_NGRAM_MAX_WINDOW = 12;
