// Each engine's own "ready" signal (research/engines.md §2, §4.1). vLLM answers HTTP only after weights, KV profiling
// and CUDA-graph capture, so its first /health 200 means ready. SGLang starts uvicorn before its warmup request, so
// "Application startup complete" is too early: wait for "fired up" or /health 200 (503 while starting).
import type { EngineName } from '../plan/schema';

export interface ReadinessSignal {
  healthPath: string;
  /** A log line that alone means ready. */
  readyLine?: RegExp;
}

export const READINESS: Record<EngineName, ReadinessSignal> = {
  vllm: { healthPath: '/health' },
  sglang: { healthPath: '/health', readyLine: /The server is fired up and ready to roll!/ },
  trtllm: { healthPath: '/health' },
};

/** Startup of a large model (weights of ~200 GB, CUDA-graph capture) takes 3–15 minutes on real hosts. */
export const DEFAULT_READINESS_TIMEOUT_S = 1800;
