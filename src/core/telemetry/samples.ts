// What live telemetry produces while a benchmark runs (live.ts derives them); observers (tune's RunObserver, the
// CLI progress line, the dashboard) consume them.

/**
 * One live point, about once a second while a benchmark runs. Throughput comes from the engine's Prometheus counter
 * deltas; running/waiting/KV usage from its gauges. Fields the engine does not expose are absent.
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
