// The "Serving Benchmark Result" block, character for character as `vllm bench serve` prints it
// (research/bench-tools.md §3.1): `"{:<40} {:<10}"` lines (trailing spaces included), 50-character banners and
// centred section headers, and the lines that only appear with --max-concurrency, a finite rate or --goodput.
import type { BenchmarkMetrics } from '../plan/schema';
import { PERCENTILE_METRICS, percentileWord, type PercentileMetric } from './metrics';

/**
 * Which vLLM release's labels to print. `current`: "Failed requests:" and "Total token throughput" (vLLM since
 * late 2025). `v0.11`: no "Failed requests:" line and "Total Token throughput" — vLLM 0.11.0, the reference's client.
 */
export const BLOCK_STYLES = ['current', 'v0.11'] as const;
export type BlockStyle = (typeof BLOCK_STYLES)[number];

export interface BlockOptions {
  percentileMetrics: readonly string[];
  percentiles: readonly number[];
  /** True when --goodput was given: prints "Request goodput (req/s):". */
  goodput?: boolean;
  /** --max-concurrency; prints "Maximum request concurrency:" when set. */
  maxConcurrency?: number | null;
  /** --request-rate; prints "Request rate configured (RPS):" when finite. */
  requestRate?: number | 'inf';
  style?: BlockStyle;
}

const RESULT_TITLE = ' Serving Benchmark Result ';
const BLOCK_WIDTH = 50;

/** What each percentile metric is called in its section header and its lines. */
const METRIC_HEADERS: Record<PercentileMetric, { header: string; label: string }> = {
  ttft: { header: 'Time to First Token', label: 'TTFT' },
  tpot: { header: 'Time per Output Token (excl. 1st token)', label: 'TPOT' },
  itl: { header: 'Inter-token Latency', label: 'ITL' },
  e2el: { header: 'End-to-end Latency', label: 'E2EL' },
};

/** Python's `"{s:{c}^{n}}"`: centred, the odd fill character goes to the right. */
export function centered(text: string, fill: string, width = BLOCK_WIDTH): string {
  const pad = Math.max(0, width - text.length);
  const left = pad >> 1;
  return fill.repeat(left) + text + fill.repeat(pad - left);
}

/**
 * Python's `format(x, '.2f')`: round half to even on the exact binary value. JavaScript's toFixed rounds exact
 * ties up instead; with two decimals a double is an exact tie only when its fraction is an odd multiple of 1/8.
 */
export function pyFixed2(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const eighths = x * 8; // exact in binary
  if (Number.isInteger(eighths) && !Number.isInteger(x * 4) && Math.abs(x) < 2 ** 48) {
    const lo = Math.floor(x * 100); // x·100 = k + 0.5 exactly
    const even = lo % 2 === 0 ? lo : lo + 1;
    const sign = even < 0 ? '-' : '';
    const abs = Math.abs(even);
    return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  }
  return x.toFixed(2);
}

/** `"{:<40} {:<10}".format(label, value)` */
function resultLine(label: string, value: string): string {
  return `${label.padEnd(40)} ${value.padEnd(10)}`;
}

/** A stored value; null (not available in the source, e.g. `N/A` in an imported block) prints as "n/a". */
const num = (metrics: BenchmarkMetrics, key: string): number | null => {
  const v = metrics[key];
  return typeof v === 'number' ? v : null;
};

export function formatResultBlock(metrics: BenchmarkMetrics, options: BlockOptions): string {
  const style = options.style ?? 'current';
  const lines: string[] = [centered(RESULT_TITLE, '=')];
  const int = (label: string, value: number | null) => lines.push(resultLine(label, value === null ? 'n/a' : String(Math.round(value))));
  const float = (label: string, value: number | null) => lines.push(resultLine(label, value === null ? 'n/a' : pyFixed2(value)));

  int('Successful requests:', metrics.completed);
  if (style === 'current') int('Failed requests:', metrics.failed);
  if (options.maxConcurrency !== undefined && options.maxConcurrency !== null) int('Maximum request concurrency:', options.maxConcurrency);
  if (options.requestRate !== undefined && options.requestRate !== 'inf' && Number.isFinite(options.requestRate)) {
    float('Request rate configured (RPS):', options.requestRate);
  }
  float('Benchmark duration (s):', metrics.duration);
  int('Total input tokens:', metrics.total_input_tokens);
  int('Total generated tokens:', metrics.total_output_tokens);
  float('Request throughput (req/s):', metrics.request_throughput);
  if (options.goodput) float('Request goodput (req/s):', num(metrics, 'request_goodput'));
  float('Output token throughput (tok/s):', metrics.output_throughput);
  float('Peak output token throughput (tok/s):', num(metrics, 'max_output_tokens_per_s'));
  float('Peak concurrent requests:', num(metrics, 'max_concurrent_requests'));
  float(style === 'v0.11' ? 'Total Token throughput (tok/s):' : 'Total token throughput (tok/s):', metrics.total_token_throughput);

  // Sections come in vLLM's fixed order whatever order --percentile-metrics lists them in.
  for (const name of PERCENTILE_METRICS) {
    if (!options.percentileMetrics.includes(name)) continue;
    const { header, label } = METRIC_HEADERS[name];
    lines.push(centered(header, '-'));
    float(`Mean ${label} (ms):`, num(metrics, `mean_${name}_ms`));
    float(`Median ${label} (ms):`, num(metrics, `median_${name}_ms`));
    for (const p of options.percentiles) float(`P${percentileWord(p)} ${label} (ms):`, num(metrics, `p${percentileWord(p)}_${name}_ms`));
  }
  lines.push('='.repeat(BLOCK_WIDTH));
  return `${lines.join('\n')}\n`;
}

/** What vLLM prints before the block when requests failed: at most ten errors. */
export function formatFailedRequests(errors: readonly string[]): string {
  if (errors.length === 0) return '';
  const shown = errors.slice(0, 10);
  return `Failed requests during benchmark run detected (capping to 10):\n${shown.map((e, i) => `Error ${i}: ${e}`).join('\n')}\n`;
}
