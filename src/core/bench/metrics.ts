// Benchmark metrics exactly as `vllm bench serve` computes them (research/bench-tools.md §2.2): failed requests are
// excluded from every statistic, ITLs are pooled across requests, numpy's mean/median/population std/linear
// percentiles, latencies reported in ms under vLLM's --save-result key names.
import type { BenchmarkMetrics } from '../plan/schema';

/** One request as the client saw it. All times in seconds; `startTime` is relative to the benchmark start. */
export interface RequestOutput {
  success: boolean;
  error?: string;
  /** Prompt tokens: the server's `usage.prompt_tokens` when it sent one, else the dataset's length. */
  promptLen: number;
  /** Output tokens from `usage.completion_tokens`; 0 when unknown (counted as 1, as vLLM does without a tokenizer). */
  outputLen: number;
  /** Time from send to the first SSE message with a non-empty `choices` array. */
  ttft: number;
  /** One value per later choices-message: the gap to the previous one. */
  itl: number[];
  /** Time from send to the last choices-message (the usage chunk and `[DONE]` do not extend it). */
  latency: number;
  startTime: number;
  /**
   * Arrival time of every choices-message, from the benchmark start. Optional: when absent, the arrivals are
   * rebuilt as `startTime + ttft + cumsum(itl)`, which is what vLLM does.
   */
  chunkTimes?: number[];
  generatedText?: string;
}

export const PERCENTILE_METRICS = ['ttft', 'tpot', 'itl', 'e2el'] as const;
export type PercentileMetric = (typeof PERCENTILE_METRICS)[number];

export interface GoodputSlo {
  ttftMs?: number;
  tpotMs?: number;
  e2elMs?: number;
}

export interface MetricsOptions {
  /** Seconds from the first send to the last completion (warmups excluded). */
  durationS: number;
  /** Which of ttft, tpot, itl, e2el get mean/median/std/percentile keys. */
  percentileMetrics: readonly string[];
  /** e.g. [99] or [50, 90, 99.9]. */
  percentiles: readonly number[];
  goodput?: GoodputSlo;
}

// ---------------------------------------------------------------- numpy-compatible statistics

export function mean(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Population standard deviation (numpy's default ddof=0). */
export function std(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const m = mean(values);
  let sq = 0;
  for (const v of values) sq += (v - m) * (v - m);
  return Math.sqrt(sq / values.length);
}

/** numpy.percentile with the default linear interpolation: rank = p/100·(n−1). `sorted` must be ascending. */
function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // numpy's _lerp: a + (b − a)·t, evaluated from the upper end when t ≥ 0.5 for symmetry.
  const t = rank - lo;
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** numpy.median: the middle value, or the mean of the two middle values. `sorted` must be ascending. */
function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** vLLM's spelling of a percentile in keys and labels: 99 → "99", 99.9 → "99.9" (JavaScript's String agrees). */
export function percentileWord(p: number): string {
  return String(p);
}

/** Parses `--metric-percentiles` ("99" or "50,90,99.9"); values must lie in [0, 100]. */
export function parsePercentiles(text: string): number[] {
  const values = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v < 0 || v > 100)) {
    throw new Error(`expected comma-separated percentiles between 0 and 100 such as "99" or "50,90,99", got "${text}"`);
  }
  return values;
}

/** Parses `--percentile-metrics` ("ttft,tpot,itl"), rejecting names vLLM does not know. */
export function parsePercentileMetrics(text: string): PercentileMetric[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!(PERCENTILE_METRICS as readonly string[]).includes(n)) {
      throw new Error(`unknown percentile metric "${n}"; expected a comma-separated subset of ${PERCENTILE_METRICS.join(',')}`);
    }
  }
  if (names.length === 0) throw new Error('expected at least one percentile metric such as "ttft,tpot,itl"');
  return names as PercentileMetric[];
}

/** Parses `--goodput ttft:MS tpot:MS e2el:MS` the way vLLM validates it. */
export function parseGoodput(items: readonly string[]): GoodputSlo {
  const slo: GoodputSlo = {};
  for (const item of items) {
    const [name, value, extra] = item.split(':');
    const ms = Number(value);
    if (extra !== undefined || value === undefined || value.trim() === '' || !Number.isFinite(ms)) {
      throw new Error(`invalid goodput SLO "${item}"; expected NAME:MILLISECONDS such as "ttft:2000" or "tpot:50"`);
    }
    if (ms < 0) throw new Error(`invalid goodput SLO "${item}": the limit must not be negative`);
    if (name === 'ttft') slo.ttftMs = ms;
    else if (name === 'tpot') slo.tpotMs = ms;
    else if (name === 'e2el') slo.e2elMs = ms;
    else throw new Error(`invalid goodput SLO name "${name}"; expected ttft, tpot or e2el`);
  }
  return slo;
}

// ---------------------------------------------------------------- peaks

/** Largest number of choices-messages that arrived within one 1-second bucket counted from the earliest start. */
function peakOutputTokensPerSecond(successful: readonly RequestOutput[]): number {
  if (successful.length === 0) return 0;
  let minStart = Infinity;
  let maxEnd = -Infinity;
  for (const o of successful) {
    minStart = Math.min(minStart, o.startTime);
    maxEnd = Math.max(maxEnd, o.startTime + o.latency);
  }
  const buckets = new Array<number>(Math.ceil(maxEnd - minStart) + 1).fill(0);
  const add = (t: number) => {
    const b = Math.trunc(t - minStart);
    if (b >= 0 && b < buckets.length) buckets[b]! += 1;
  };
  for (const o of successful) {
    if (o.chunkTimes) {
      for (const t of o.chunkTimes) add(t);
    } else {
      let t = o.startTime + o.ttft;
      add(t);
      for (const gap of o.itl) add((t += gap));
    }
  }
  let peak = 0;
  for (const c of buckets) if (c > peak) peak = c;
  return peak;
}

/** Exact sweep over the half-open intervals [start, start + latency); departures sort before arrivals at a tie. */
function peakConcurrentRequests(successful: readonly RequestOutput[]): number {
  const events: Array<[number, number]> = [];
  for (const o of successful) {
    events.push([o.startTime, 1]);
    events.push([o.startTime + o.latency, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of events) {
    current += delta;
    if (current > peak) peak = current;
  }
  return peak;
}

// ---------------------------------------------------------------- aggregation

export function computeMetrics(outputs: readonly RequestOutput[], options: MetricsOptions): BenchmarkMetrics {
  const successful = outputs.filter((o) => o.success);
  const dur = options.durationS;
  const perSecond = (n: number) => (dur > 0 ? n / dur : 0);

  const ttfts: number[] = [];
  const tpots: number[] = [];
  const itls: number[] = [];
  const e2els: number[] = [];
  let totalInput = 0;
  let totalOutput = 0;
  let good = 0;
  const slo = options.goodput;
  for (const o of successful) {
    const outputLen = o.outputLen > 0 ? o.outputLen : 1;
    totalInput += o.promptLen;
    totalOutput += outputLen;
    ttfts.push(o.ttft);
    e2els.push(o.latency);
    for (const gap of o.itl) itls.push(gap);
    const tpot = outputLen > 1 ? (o.latency - o.ttft) / (outputLen - 1) : 0;
    if (outputLen > 1) tpots.push(tpot);
    if (slo) {
      const ok =
        (slo.ttftMs === undefined || o.ttft * 1000 <= slo.ttftMs) &&
        (slo.tpotMs === undefined || tpot * 1000 <= slo.tpotMs) &&
        (slo.e2elMs === undefined || o.latency * 1000 <= slo.e2elMs);
      if (ok) good += 1;
    }
  }

  const metrics: BenchmarkMetrics = {
    duration: dur,
    completed: successful.length,
    failed: outputs.length - successful.length,
    total_input_tokens: totalInput,
    total_output_tokens: totalOutput,
    request_throughput: perSecond(successful.length),
    request_goodput: slo ? perSecond(good) : null,
    output_throughput: perSecond(totalOutput),
    total_token_throughput: perSecond(totalInput + totalOutput),
    max_output_tokens_per_s: peakOutputTokensPerSecond(successful),
    max_concurrent_requests: peakConcurrentRequests(successful),
  };
  const series: Record<PercentileMetric, number[]> = { ttft: ttfts, tpot: tpots, itl: itls, e2el: e2els };
  for (const name of PERCENTILE_METRICS) {
    if (!options.percentileMetrics.includes(name)) continue;
    const values = series[name];
    // A typed array sorts numerically without a comparator: 200k ITLs in a few ms instead of ~100.
    const sorted = Float64Array.from(values).sort();
    metrics[`mean_${name}_ms`] = mean(values) * 1000;
    metrics[`median_${name}_ms`] = medianOfSorted(sorted) * 1000;
    metrics[`std_${name}_ms`] = std(values) * 1000;
    for (const p of options.percentiles) metrics[`p${percentileWord(p)}_${name}_ms`] = percentileOfSorted(sorted, p) * 1000;
  }
  return metrics;
}
