// What live telemetry produces while a benchmark runs (live.ts derives them); observers (tune's RunObserver, the
// CLI progress line, the dashboard) consume them.
import type { LatencyBand } from './histogram';
import type { LatencyMetric } from './prometheus';

/**
 * One live point, about once a second while a benchmark runs. Throughput comes from the engine's Prometheus counter
 * deltas; running/waiting/KV usage from its gauges; latency bands from its histograms' deltas (requests observed
 * since the previous scrape, whatever client runs). Fields the engine does not expose are absent.
 */
export interface LiveSample {
  /** Epoch milliseconds. */
  t: number;
  totalTokS?: number;
  outputTokS?: number;
  running?: number;
  waiting?: number;
  /** KV-cache usage, 0..1. */
  kvUsage?: number;
  /** Preemptions since the previous scrape (vLLM), or requests retracted now (SGLang). */
  preempted?: number;
  /** Prefix-cache hit rate, 0..1: of the tokens queried since the previous scrape (vLLM), or SGLang's gauge. */
  prefixHitRate?: number;
  /** Engine-side latency of the requests observed since the previous scrape, in ms (engine clock). */
  latency?: Partial<Record<LatencyMetric, LatencyBand>>;
  /** Why this engine gives no live latency (no histograms, /metrics unreachable); said once. */
  latencyNote?: string;
}

/** One finished request, when the native runner streams them (latencies in ms). */
export interface RequestSample {
  t: number;
  success: boolean;
  ttftMs: number;
  /** Absent for single-token outputs. */
  tpotMs?: number;
  /** Mean inter-token latency of this request. */
  itlMs?: number;
  e2elMs: number;
  outputTokens: number;
}
