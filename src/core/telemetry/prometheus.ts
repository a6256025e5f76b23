// Reads an engine's Prometheus `/metrics` text (research/engines.md §3) into the numbers live charts need: token
// counters (throughput from deltas), running/waiting/preempted requests, KV-cache usage, prefix-cache hits, and the
// latency histograms (TTFT, TPOT/ITL, E2E, queue time) whose deltas between scrapes give live latency bands.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { EngineName } from '../plan/schema';
import { readHistograms, type HistogramSnapshot } from './histogram';

export const LATENCY_METRICS = ['ttft', 'tpot', 'itl', 'e2e', 'queue'] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** What one scrape says, summed over label sets (DP ranks, finish reasons); absent when the engine lacks the metric. */
export interface EngineMetricsSnapshot {
  promptTokens?: number;
  generationTokens?: number;
  running?: number;
  waiting?: number;
  /** 0..1; the mean over label sets (one per DP rank or scheduler). */
  kvUsage?: number;
  /** vLLM: cumulative preemptions (a counter). */
  preemptionsTotal?: number;
  /** SGLang: requests retracted (preempted) by the scheduler, a gauge. */
  retracted?: number;
  /** vLLM: cumulative prefix-cache queries and hits, in tokens. */
  prefixQueries?: number;
  prefixHits?: number;
  /** SGLang: the radix cache hit rate, 0..1, a gauge. */
  prefixHitRate?: number;
  /** Cumulative latency histograms, in seconds. */
  latency?: Partial<Record<LatencyMetric, HistogramSnapshot>>;
}

type ScalarKey = Exclude<keyof EngineMetricsSnapshot, 'latency'>;

/** Exposed names per engine, newest first where a metric was renamed. */
const METRIC_NAMES: Record<EngineName, Partial<Record<ScalarKey, readonly string[]>>> = {
  vllm: {
    promptTokens: ['vllm:prompt_tokens_total'],
    generationTokens: ['vllm:generation_tokens_total'],
    running: ['vllm:num_requests_running'],
    waiting: ['vllm:num_requests_waiting'],
    // gpu_cache_usage_perc is the pre-0.11 name (hidden in 0.11, removed in 0.12).
    kvUsage: ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'],
    preemptionsTotal: ['vllm:num_preemptions_total'],
    prefixQueries: ['vllm:prefix_cache_queries_total'],
    prefixHits: ['vllm:prefix_cache_hits_total'],
  },
  sglang: {
    promptTokens: ['sglang:prompt_tokens_total'],
    generationTokens: ['sglang:generation_tokens_total'],
    running: ['sglang:num_running_reqs'],
    waiting: ['sglang:num_queue_reqs'],
    kvUsage: ['sglang:token_usage'],
    retracted: ['sglang:num_retracted_reqs'],
    prefixHitRate: ['sglang:cache_hit_rate'],
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

/**
 * Latency histograms per engine. vLLM 0.11 renamed time_per_output_token_seconds (per-token intervals) to
 * inter_token_latency_seconds and keeps the old name as a deprecated copy; newer vLLM adds a per-request TPOT
 * histogram. TRT-LLM's time_per_output_token_seconds is per request (matched by suffix, like its other names).
 */
const LATENCY_NAMES: Record<EngineName, Partial<Record<LatencyMetric, readonly string[]>>> = {
  vllm: {
    ttft: ['vllm:time_to_first_token_seconds'],
    tpot: ['vllm:request_time_per_output_token_seconds'],
    itl: ['vllm:inter_token_latency_seconds', 'vllm:time_per_output_token_seconds'],
    e2e: ['vllm:e2e_request_latency_seconds'],
    queue: ['vllm:request_queue_time_seconds'],
  },
  sglang: {
    ttft: ['sglang:time_to_first_token_seconds'],
    itl: ['sglang:inter_token_latency_seconds'],
    e2e: ['sglang:e2e_request_latency_seconds'],
    queue: ['sglang:queue_time_seconds'],
  },
  trtllm: {
    ttft: ['time_to_first_token_seconds'],
    tpot: ['time_per_output_token_seconds'],
    e2e: ['e2e_request_latency_seconds'],
    queue: ['request_queue_time_seconds'],
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

const nameMatches = (engine: EngineName, name: string, candidate: string) => (engine === 'trtllm' ? name.endsWith(candidate) : name === candidate);

export function readEngineMetrics(text: string, engine: EngineName): EngineMetricsSnapshot {
  const families = parseMetricFamilies(text);
  const names = METRIC_NAMES[engine];
  const find = (candidates: readonly string[] | undefined): Family | undefined => {
    for (const candidate of candidates ?? []) {
      const match = families.find((f) => nameMatches(engine, f.name, candidate));
      if (match && match.values.length > 0) return match;
    }
    return undefined;
  };
  const sum = (key: ScalarKey) => {
    const f = find(names[key]);
    return f ? f.values.reduce((a, b) => a + b, 0) : undefined;
  };
  const mean = (key: ScalarKey) => {
    const f = find(names[key]);
    return f ? f.values.reduce((a, b) => a + b, 0) / f.values.length : undefined;
  };
  const snapshot: EngineMetricsSnapshot = {
    promptTokens: sum('promptTokens'),
    generationTokens: sum('generationTokens'),
    running: sum('running'),
    waiting: sum('waiting'),
    kvUsage: mean('kvUsage'),
    preemptionsTotal: sum('preemptionsTotal'),
    retracted: sum('retracted'),
    prefixQueries: sum('prefixQueries'),
    prefixHits: sum('prefixHits'),
    prefixHitRate: mean('prefixHitRate'),
  };
  const out = Object.fromEntries(Object.entries(snapshot).filter(([, v]) => v !== undefined)) as EngineMetricsSnapshot;
  const latency = readLatencyHistograms(text, engine);
  if (Object.keys(latency).length > 0) out.latency = latency;
  return out;
}

function readLatencyHistograms(text: string, engine: EngineName): Partial<Record<LatencyMetric, HistogramSnapshot>> {
  const wanted = Object.values(LATENCY_NAMES[engine]).flat();
  const histograms = readHistograms(text, (name) => wanted.some((candidate) => nameMatches(engine, name, candidate)));
  const out: Partial<Record<LatencyMetric, HistogramSnapshot>> = {};
  for (const metric of LATENCY_METRICS) {
    for (const candidate of LATENCY_NAMES[engine][metric] ?? []) {
      const found = [...histograms].find(([name, h]) => nameMatches(engine, name, candidate) && h.buckets.length > 0);
      if (found) {
        out[metric] = found[1];
        break;
      }
    }
  }
  return out;
}
