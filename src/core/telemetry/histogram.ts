// Prometheus histograms from an engine's /metrics: read (summed over label sets, i.e. DP ranks), differenced between
// two scrapes, and summarized as a latency band — the mean from _sum/_count and quantiles estimated from the buckets
// exactly as Prometheus' histogram_quantile() does (linear interpolation inside the bucket, lower bound 0 for the
// first bucket, the highest finite bound when the rank falls into +Inf).

/** Cumulative counts per upper bound (ascending, ending with +Inf), plus _count and _sum. */
export interface HistogramSnapshot {
  buckets: Array<{ le: number; count: number }>;
  count: number;
  sum: number;
}

/** Mean and quantiles of the observations between two scrapes, in milliseconds. */
export interface LatencyBand {
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  /** Observations in the interval. */
  count: number;
}

// `name_bucket{labels} value [timestamp]`; label values may hold escaped quotes. Linear: no nested quantifiers.
const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?[ \t]+(\S+)/;
const LE_RE = /(?:^|,)\s*le="([^"]*)"/;

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Reads every histogram whose base name `wanted` accepts; families absent from the text are absent from the result. */
export function readHistograms(text: string, wanted: (name: string) => boolean): Map<string, HistogramSnapshot> {
  const acc = new Map<string, { buckets: Map<number, number>; count: number; sum: number }>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) continue;
    const full = m[1]!;
    const suffix = full.endsWith('_bucket') ? '_bucket' : full.endsWith('_count') ? '_count' : full.endsWith('_sum') ? '_sum' : undefined;
    if (!suffix) continue;
    const base = full.slice(0, -suffix.length);
    if (!wanted(base)) continue;
    const value = parseValue(m[3]!);
    if (!Number.isFinite(value)) continue;
    let h = acc.get(base);
    if (!h) acc.set(base, (h = { buckets: new Map(), count: 0, sum: 0 }));
    if (suffix === '_count') h.count += value;
    else if (suffix === '_sum') h.sum += value;
    else {
      const le = LE_RE.exec(m[2] ?? '');
      if (!le) continue;
      const bound = parseValue(le[1]!);
      if (Number.isNaN(bound)) continue;
      h.buckets.set(bound, (h.buckets.get(bound) ?? 0) + value);
    }
  }
  const out = new Map<string, HistogramSnapshot>();
  for (const [name, h] of acc) {
    const buckets = [...h.buckets].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
    out.set(name, { buckets, count: h.count, sum: h.sum });
  }
  return out;
}

/** Observations between two scrapes; undefined when the histogram was reset (the engine restarted) or changed shape. */
export function histogramDelta(before: HistogramSnapshot, after: HistogramSnapshot): HistogramSnapshot | undefined {
  if (after.count < before.count || after.buckets.length !== before.buckets.length) return undefined;
  const buckets: HistogramSnapshot['buckets'] = [];
  for (let i = 0; i < after.buckets.length; i++) {
    const a = after.buckets[i]!;
    const b = before.buckets[i]!;
    if (a.le !== b.le || a.count < b.count) return undefined;
    buckets.push({ le: a.le, count: a.count - b.count });
  }
  return { buckets, count: after.count - before.count, sum: after.sum - before.sum };
}

/** Prometheus' histogram_quantile(q, buckets); NaN when it would be (no +Inf bucket, no observations). */
export function histogramQuantile(q: number, buckets: HistogramSnapshot['buckets']): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (buckets.length < 2 || buckets.at(-1)!.le !== Infinity) return NaN;
  // Prometheus repairs small non-monotonic counts (float precision) by carrying the maximum forward.
  const counts: number[] = [];
  for (const b of buckets) counts.push(Math.max(b.count, counts.at(-1) ?? 0));
  const observations = counts.at(-1)!;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = counts.findIndex((c) => c >= rank);
  if (b === -1) b = counts.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  const end = buckets[b]!.le;
  let count = counts[b]!;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return start + (end - start) * (rank / count);
}

/** The band of one interval (seconds in, ms out); undefined when nothing was observed in it. */
export function latencyBand(delta: HistogramSnapshot): LatencyBand | undefined {
  if (delta.count <= 0) return undefined;
  const p50 = histogramQuantile(0.5, delta.buckets);
  const p99 = histogramQuantile(0.99, delta.buckets);
  const mean = delta.sum / delta.count;
  if (![p50, p99, mean].every((v) => Number.isFinite(v) && v >= 0)) return undefined;
  return { meanMs: mean * 1000, p50Ms: p50 * 1000, p99Ms: p99 * 1000, count: delta.count };
}
