// Load curves read back from an experiment (issue 13): each curve as a table, its capacity in words, the Pareto front
// of throughput per GPU against tail latency across variants, and the two recommendations — the most throughput
// per GPU at any latency, and the most requests per second per GPU within the SLO. The CLI, the report and the
// extension all read curves through here.
import type { CurvePoint, CurveRecord, Experiment } from '../plan/schema';

export const LATENCY_AXES = ['p99_tpot_ms', 'p99_ttft_ms'] as const;
export type LatencyAxis = (typeof LATENCY_AXES)[number];

const f = (x: number | undefined, digits = 2) => (x === undefined ? '-' : x.toFixed(digits));

/** "4.2 req/s" or "concurrency 32". */
export function loadText(by: CurveRecord['by'], value: number | 'inf'): string {
  if (value === 'inf') return by === 'request_rate' ? 'rate inf' : 'unbounded';
  return by === 'request_rate' ? `${value} req/s` : `concurrency ${value}`;
}

/** The SLO in words: "p99 TTFT ≤ 3000 ms, p99 TPOT ≤ 100 ms, success ≥ 99%". */
export function sloText(slo: CurveRecord['slo']): string {
  if (!slo) return 'no SLO';
  const limits = (['p99_ttft_ms', 'p99_tpot_ms', 'p99_itl_ms', 'p99_e2el_ms'] as const)
    .filter((k) => slo[k] !== undefined)
    .map((k) => `${k.replace(/^p99_(\w+)_ms$/, (_, m: string) => `p99 ${m.toUpperCase()}`)} ≤ ${slo[k]} ms`);
  return [...limits, `success ≥ ${(slo.min_success * 100).toFixed(0)}%`].join(', ');
}

/** Rows of a curve's table, points in load order (a repeated point once per run). */
export function curveRows(curve: CurveRecord): string[][] {
  const order = (p: CurvePoint) => (p.value === 'inf' ? Infinity : p.value);
  const points = [...curve.points].sort((a, b) => order(a) - order(b) || a.index - b.index);
  const header = ['LOAD', 'REQ/S', 'TOK/S', 'TOK/S/GPU', 'P50 TTFT', 'P99 TTFT', 'P50 TPOT', 'P99 TPOT', 'P99 ITL', 'GOODPUT', 'SUCCESS', 'SLO'];
  return [
    header,
    ...points.map((p) => {
      const m = p.metrics;
      const verdict = p.meetsSlo === undefined ? '' : p.meetsSlo ? 'meets' : `breaks: ${p.breaks.join(', ')}`;
      return [
        loadText(curve.by, p.value),
        f(m['request_throughput']),
        f(m['total_token_throughput'], 1),
        f(m['total_token_throughput'] === undefined ? undefined : m['total_token_throughput'] / curve.gpus, 1),
        f(m['p50_ttft_ms'], 1),
        f(m['p99_ttft_ms'], 1),
        f(m['p50_tpot_ms'], 1),
        f(m['p99_tpot_ms'], 1),
        f(m['p99_itl_ms'], 1),
        f(m['request_goodput']),
        m['success'] === undefined ? '-' : `${(m['success'] * 100).toFixed(1)}%`,
        [verdict, p.saturated ? `saturated (${p.saturated.join('; ')})` : ''].filter(Boolean).join('; '),
      ];
    }),
  ];
}

/** One sentence: the capacity, and where and how the variant breaks the SLO. */
export function capacitySentence(curve: CurveRecord): string {
  const parts: string[] = [];
  if (curve.capacity) {
    parts.push(`capacity ${loadText(curve.by, curve.capacity.load)}: ${f(curve.capacity.requestRate)} req/s served within the SLO, ${f(curve.capacity.perGpu)} req/s per GPU (${curve.gpus} GPUs)`);
  } else if (curve.slo) {
    parts.push('no measured load met the SLO');
  }
  if (curve.breaksAt) parts.push(`breaks the SLO at ${loadText(curve.by, curve.breaksAt.load)}, ${curve.breaksAt.limit} first (${curve.breaksAt.breaks.join(', ')})`);
  if (curve.stoppedEarly) parts.push(`search ended early: ${curve.stoppedEarly}`);
  return parts.join('; ');
}

export interface ParetoPoint {
  option: string;
  workload: string;
  load: number | 'inf';
  by: CurveRecord['by'];
  throughputPerGpu: number;
  latencyMs: number;
  resultId?: string;
}

/** Every measured point of the experiment's curves on one workload as (throughput per GPU, latency). */
export function paretoCandidates(curves: readonly CurveRecord[], latency: LatencyAxis): ParetoPoint[] {
  return curves.flatMap((c) =>
    c.points.flatMap((p) => {
      const tok = p.metrics['total_token_throughput'];
      const lat = p.metrics[latency];
      if (tok === undefined || lat === undefined || p.saturated) return [];
      return [{ option: c.option, workload: c.workload, load: p.value, by: c.by, throughputPerGpu: tok / c.gpus, latencyMs: lat, ...(p.resultId ? { resultId: p.resultId } : {}) }];
    }),
  );
}

/** The points no other point beats on both throughput per GPU (higher) and latency (lower), by rising latency. */
export function paretoFront(points: readonly ParetoPoint[]): ParetoPoint[] {
  const sorted = [...points].sort((a, b) => a.latencyMs - b.latencyMs || b.throughputPerGpu - a.throughputPerGpu);
  const front: ParetoPoint[] = [];
  let best = -Infinity;
  for (const p of sorted) {
    if (p.throughputPerGpu > best) {
      front.push(p);
      best = p.throughputPerGpu;
    }
  }
  return front;
}

/** Curves of the experiment's primary workload, one per option (the last measured wins). */
export function primaryCurves(x: Experiment): CurveRecord[] {
  const primary = x.curves[0]?.workload;
  const byOption = new Map<string, CurveRecord>();
  for (const c of x.curves) if (c.workload === primary) byOption.set(c.option, c);
  return [...byOption.values()];
}

export interface Recommendations {
  /** The most total-token throughput per GPU at any load (the saturated ranking the reference used). */
  maxThroughput?: { option: string; perGpu: number };
  /** The most requests per second per GPU within the SLO. */
  slo?: { option: string; perGpu: number; requestRate: number };
}

export function recommendations(curves: readonly CurveRecord[]): Recommendations {
  const out: Recommendations = {};
  for (const c of curves) {
    const peak = Math.max(...c.points.map((p) => (p.metrics['total_token_throughput'] ?? 0) / c.gpus));
    if (!out.maxThroughput || peak > out.maxThroughput.perGpu) out.maxThroughput = { option: c.option, perGpu: peak };
    if (c.capacity && (!out.slo || c.capacity.perGpu > out.slo.perGpu)) out.slo = { option: c.option, perGpu: c.capacity.perGpu, requestRate: c.capacity.requestRate };
  }
  return out;
}
