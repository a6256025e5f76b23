// vLLM's defaults that matter for speed, as the release computes them from the GPU.
import type { GpuSpec } from '../../gpus';

/** `get_batch_defaults` (0.10–0.13): A100s keep the conservative serving defaults (PR #17885). */
export function vllmBatchDefaults(gpu: GpuSpec): { maxNumSeqs: number; maxNumBatchedTokens: number } {
  const bigNonA100 = gpu.usableGiB >= 70 && !gpu.smiName.toLowerCase().includes('a100');
  return bigNonA100 ? { maxNumSeqs: 1024, maxNumBatchedTokens: 8192 } : { maxNumSeqs: 256, maxNumBatchedTokens: 2048 };
}

/** Without chunked prefill a whole prompt must fit one step: the budget becomes max(max_model_len, 2048). */
export const unchunkedTokenBudget = (maxModelLen: number): number => Math.max(maxModelLen, 2048);

/** Largest captured CUDA-graph batch: the explicit sizes, else min(2·max_num_seqs, 512); 0 when graphs are off. */
export function vllmCudaGraphMax(v: Record<string, unknown>, maxNumSeqs: number): number {
  const compilation = (v['compilation_config'] as Record<string, unknown> | undefined) ?? {};
  if (v['enforce_eager'] === true || compilation['cudagraph_mode'] === 'NONE' || compilation['level'] === 0) return 0;
  const listed = (compilation['cudagraph_capture_sizes'] as number[] | undefined) ?? ((v['cudagraph_capture_sizes'] ?? v['cuda_graph_sizes']) as string[] | undefined)?.map(Number);
  if (listed && listed.length > 0) return Math.max(...listed);
  const max = (v['max_cudagraph_capture_size'] as number | undefined) ?? (compilation['max_cudagraph_capture_size'] as number | undefined);
  return max ?? Math.min(2 * maxNumSeqs, 512);
}
