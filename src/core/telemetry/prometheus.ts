// Reads an engine's Prometheus `/metrics` text (research/engines.md §3) into the few numbers live charts need:
// token counters (for throughput from deltas), running and waiting requests, and KV-cache usage.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { EngineName } from '../plan/schema';

/** What one scrape says, summed over label sets (DP ranks, finish reasons); absent when the engine lacks the metric. */
export interface EngineMetricsSnapshot {
  promptTokens?: number;
  generationTokens?: number;
  running?: number;
  waiting?: number;
  /** 0..1; the mean over label sets (one per DP rank or scheduler). */
  kvUsage?: number;
}

/** Exposed names per engine, newest first where a metric was renamed. */
const METRIC_NAMES: Record<EngineName, Record<keyof EngineMetricsSnapshot, readonly string[]>> = {
  vllm: {
    promptTokens: ['vllm:prompt_tokens_total'],
    generationTokens: ['vllm:generation_tokens_total'],
    running: ['vllm:num_requests_running'],
    waiting: ['vllm:num_requests_waiting'],
    // gpu_cache_usage_perc is the pre-0.11 name (hidden in 0.11, removed in 0.12).
    kvUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
  },
  sglang: {
    promptTokens: ['sglang:prompt_tokens_total'],
    generationTokens: ['sglang:generation_tokens_total'],
    running: ['sglang:num_running_reqs'],
    waiting: ['sglang:num_queue_reqs'],
    kvUsage: ['sglang:token_usage'],
  },
  // TensorRT-LLM's Prometheus endpoint has a version-dependent prefix; the names here are matched by suffix.
  trtllm: {
    promptTokens: ['prompt_tokens_total'],
    generationTokens: ['generation_tokens_total'],
    running: ['num_requests_running'],
    waiting: ['num_requests_waiting'],
    kvUsage: ['kv_cache_utilization'],
  },
};

/** Where each engine serves Prometheus text. */
export const METRICS_PATH: Record<EngineName, string> = { vllm: '/metrics', sglang: '/metrics', trtllm: '/prometheus/metrics' };

interface Family {
  name: string;
  values: number[];
}

/** Parses Prometheus text exposition format; a malformed exposition is an error naming the problem. */
export function parseMetricFamilies(text: string): Family[] {
  let parsed: ReturnType<typeof parsePrometheusTextFormat>;
  try {
    parsed = parsePrometheusTextFormat(text);
  } catch (err) {
    throw new Error(`not Prometheus text format (${(err as Error).message})`);
  }
  return parsed.map((family) => ({
    name: family.name,
    values: family.metrics.flatMap((m) => ('value' in m && m.value !== undefined ? [Number(m.value)] : [])).filter((v) => Number.isFinite(v)),
  }));
}

export function readEngineMetrics(text: string, engine: EngineName): EngineMetricsSnapshot {
  const families = parseMetricFamilies(text);
  const names = METRIC_NAMES[engine];
  const find = (candidates: readonly string[]): Family | undefined => {
    for (const candidate of candidates) {
      const match = families.find((f) => (engine === 'trtllm' ? f.name.endsWith(candidate) : f.name === candidate));
      if (match && match.values.length > 0) return match;
    }
    return undefined;
  };
  const sum = (key: keyof EngineMetricsSnapshot) => {
    const f = find(names[key]);
    return f ? f.values.reduce((a, b) => a + b, 0) : undefined;
  };
  const kv = find(names.kvUsage);
  const snapshot: EngineMetricsSnapshot = {
    promptTokens: sum('promptTokens'),
    generationTokens: sum('generationTokens'),
    running: sum('running'),
    waiting: sum('waiting'),
    kvUsage: kv ? kv.values.reduce((a, b) => a + b, 0) / kv.values.length : undefined,
  };
  return Object.fromEntries(Object.entries(snapshot).filter(([, v]) => v !== undefined)) as EngineMetricsSnapshot;
}
