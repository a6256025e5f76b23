// What the predicted search forecasts for each objective (issue 14), as a function of how much slower or faster
// every step runs on the host than in the simulator (the time scale the host fit estimates). Throughput scales as
// 1/scale. Goodput and the capacity under an SLO do not: latencies grow with the scale while the SLO's limits stay,
// so they are re-read from the simulated requests with every time dilated by the scale — the host's schedule is the
// simulator's in slow motion: at a request rate r/scale it runs what the simulator runs at r, each latency × scale.
import { computeMetrics, type GoodputSlo, type RequestOutput } from '../bench/metrics';
import type { CapacitySearch, Workload } from '../plan/schema';
import type { SimEngineConfig } from '../sim/config';
import { simulateWorkload, type PredictOptions, type SimWorkload } from '../sim/predict';
import type { SimTrace } from '../sim/virtual';
import { SLO_LIMITS } from './capacity';
import { pointWorkload } from './curve';
import { predictOptionsOf } from './predict';
import { steadyState, type WindowSpec } from './window';

/** The objective on a host whose step times are `scale` × the simulator's, and its elasticity −d log value / d log scale. */
export interface ValueAtScale {
  value: number;
  elasticity: number;
}

export type ValueAt = (scale: number) => ValueAtScale;

/** A rate of the whole benchmark (tokens or requests per second): inversely proportional to the step times. */
export const throughputAt =
  (value: number): ValueAt =>
  (scale) => ({ value: value / scale, elasticity: 1 });

/** Scales a request's times: its latencies by `scale`, its send time too unless the sends follow a fixed clock. */
function dilate(o: RequestOutput, scale: number, fixedSends: boolean): RequestOutput {
  const startTime = fixedSends ? o.startTime : o.startTime * scale;
  const { chunkTimes, ...rest } = o;
  return {
    ...rest,
    startTime,
    ttft: o.ttft * scale,
    latency: o.latency * scale,
    itl: o.itl.map((x) => x * scale),
    ...(chunkTimes ? { chunkTimes: chunkTimes.map((t) => startTime + (t - o.startTime) * scale) } : {}),
  };
}

/** Relative step of the numerical elasticity. */
const ELASTICITY_STEP = 0.02;
/** Scales within this relative distance share one evaluation. */
const SCALE_QUANTUM = 1e-3;

function memoized(valueOf: (scale: number) => number): ValueAt {
  const cache = new Map<number, number>();
  const at = (scale: number) => {
    const key = Math.round(Math.log(scale) / SCALE_QUANTUM);
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = valueOf(Math.exp(key * SCALE_QUANTUM))));
    return v;
  };
  return (scale) => {
    const value = at(scale);
    const slower = at(scale * (1 + ELASTICITY_STEP));
    const elasticity = value > 0 && slower > 0 ? Math.max(0.2, -Math.log(slower / value) / Math.log(1 + ELASTICITY_STEP)) : 1;
    return { value, elasticity };
  };
}

/**
 * Goodput (requests per second meeting every per-request limit) of the simulated requests, dilated. Sends at a
 * finite request rate keep their clock (the client sends on time, the engine answers later); all-at-once and
 * concurrency-limited sends follow the engine, so they dilate with it.
 */
export function goodputAt(outputs: readonly RequestOutput[], slo: GoodputSlo, workload: Workload, gpus: number): ValueAt {
  const fixedSends = workload.requestRate !== 'inf' && workload.maxConcurrency === undefined;
  return memoized((scale) => {
    const dilated = outputs.map((o) => dilate(o, scale, fixedSends));
    const start = dilated.reduce((m, o) => Math.min(m, o.startTime), Infinity);
    const end = dilated.reduce((m, o) => Math.max(m, o.startTime + o.latency), 0);
    const m = computeMetrics(dilated, { durationS: Math.max(end - start, 1e-9), percentileMetrics: [], percentiles: [], goodput: slo });
    return (m.request_goodput ?? 0) / gpus;
  });
}

/** One simulated load point of a capacity forecast. */
interface CapacityPoint {
  /** How far the point is past the SLO: the largest ratio of a p99 to its limit; Infinity when saturated or failing. */
  stress: number;
  /** Requests per second achieved in the point's window. */
  achieved: number;
  /** Seconds the point runs (its sends and their drain). */
  durationS: number;
}

/** Lattice of request rates: the saturated throughput × 2^(i/STEPS_PER_DOUBLING). */
const STEPS_PER_DOUBLING = 16;
/** The bracket's first point and its steps: about 0.84 × and ±19% of the saturated throughput. */
const FIRST_INDEX = -4;
const BRACKET_STEP = 4;
/** A bracket whose both ends have finite stress is interpolated across up to this many lattice steps (~14%). */
const INTERPOLATED_GAP = 3;
/** Past this the load is far beyond what the engine serves: its capacity is the highest load tried. */
const MAX_INDEX = 12;
const MIN_INDEX = -8 * STEPS_PER_DOUBLING;

export interface CapacityModel {
  at: ValueAt;
  /** The schedule of the boundary point (re-timing for the memory correction). */
  trace: SimTrace;
  /** Mean seconds a load point runs, for the GPU-time estimate. */
  pointS: number;
  /** Simulations run so far (each a load point in virtual time). */
  simulations: () => number;
}

/** The saturated point of a capacity search (all requests at once), as the measured search starts from. */
export function saturatedOptions(workload: Workload, capacity: CapacitySearch): Pick<PredictOptions, 'workload' | 'seed' | 'requestRate' | 'burstiness' | 'maxConcurrency'> {
  return predictOptionsOf(pointWorkload(workload, 'request_rate', 'inf', windowOf(capacity)));
}

function windowOf(capacity: CapacitySearch): WindowSpec {
  return capacity.point ? { warmupS: capacity.point.warmup_s, windowS: capacity.point.window_s } : { warmupS: 15, windowS: 60 };
}

/**
 * The capacity under the SLO as a function of the host's time scale, from points simulated on a lattice of request
 * rates as they are needed: under a scale s a point simulated at rate r stands for rate r/s with its p99s × s, so
 * it meets the SLO when s × stress ≤ 1. Between the last lattice point that meets it and the first that breaks it
 * the boundary is interpolated (log stress against log rate); the capacity is the achieved rate there, over s.
 */
export function capacityModel(config: SimEngineConfig, saturated: number, workload: Workload, capacity: CapacitySearch, gpus: number): CapacityModel {
  const window = windowOf(capacity);
  const slo = capacity.slo;
  const goodput: GoodputSlo = {
    ...(slo.p99_ttft_ms !== undefined ? { ttftMs: slo.p99_ttft_ms } : {}),
    ...(slo.p99_tpot_ms !== undefined ? { tpotMs: slo.p99_tpot_ms } : {}),
    ...(slo.p99_e2el_ms !== undefined ? { e2elMs: slo.p99_e2el_ms } : {}),
  };
  const points = new Map<number, CapacityPoint>();
  const traces = new Map<number, SimTrace>();
  let keepTraces = true;
  const rateOf = (i: number) => saturated * 2 ** (i / STEPS_PER_DOUBLING);
  const point = (i: number): CapacityPoint => {
    const known = points.get(i);
    if (known) return known;
    const rate = rateOf(i);
    const w = pointWorkload(workload, 'request_rate', rate, window);
    const trace: SimTrace | undefined = keepTraces ? { steps: [], tokenSteps: Array.from({ length: w.numPrompts }, () => []), startSteps: new Array<number>(w.numPrompts).fill(0) } : undefined;
    const options = predictOptionsOf(w);
    const run = simulateWorkload(config, { ...options, workload: options.workload as SimWorkload, ...(trace ? { trace } : {}) });
    const durationS = run.outputs.reduce((end, o) => Math.max(end, o.startTime + o.latency), 0);
    let made: CapacityPoint;
    if (run.stalled) {
      made = { stress: Infinity, achieved: 0, durationS };
    } else {
      const state = steadyState(run.outputs, window, rate, Object.keys(goodput).length > 0 ? goodput : undefined);
      let stress = state.saturation.length > 0 || state.success < slo.min_success ? Infinity : 0;
      for (const key of SLO_LIMITS) {
        const limit = slo[key];
        if (limit === undefined) continue;
        const v = state.metrics[key];
        stress = Math.max(stress, typeof v === 'number' ? v / limit : Infinity);
      }
      made = { stress, achieved: state.metrics.request_throughput, durationS };
    }
    points.set(i, made);
    if (trace) traces.set(i, trace);
    return made;
  };
  const boundary = (scale: number): { lo?: number; hi?: number } => {
    const target = -Math.log(scale);
    for (;;) {
      const known = [...points.keys()].sort((a, b) => a - b);
      const hi = known.find((i) => scale * points.get(i)!.stress > 1);
      const passing = known.filter((i) => (hi === undefined || i < hi) && scale * points.get(i)!.stress <= 1);
      const lo = passing.length > 0 ? passing[passing.length - 1] : undefined;
      if (lo !== undefined && hi !== undefined && (hi - lo <= 1 || (hi - lo <= INTERPOLATED_GAP && Number.isFinite(points.get(hi)!.stress)))) return { lo, hi };
      if (lo !== undefined && hi === undefined && lo >= MAX_INDEX) return { lo };
      if (lo === undefined && hi !== undefined && hi <= MIN_INDEX) return { hi };
      for (const i of nextIndex(known, lo, hi, target)) point(i);
    }
  };
  const logStress = (i: number) => Math.log(points.get(i)!.stress);
  /** Index where log stress reaches `target` on the line through two points (undefined when the line is flat or a point has no finite stress). */
  const secant = (a: number, b: number, target: number): number | undefined => {
    const [qa, qb] = [logStress(a), logStress(b)];
    if (!Number.isFinite(qa) || !Number.isFinite(qb) || qa === qb) return undefined;
    return a + ((target - qa) * (b - a)) / (qb - qa);
  };
  /**
   * Where to simulate next. Upwards: a bracket step (saturation ends a curve abruptly, so it is not extrapolated).
   * Downwards: the secant through the two lowest points, one step past it, between one bracket step and a doubling.
   * Inside a bracket with finite stress at both ends: both lattice points around the secant; else the midpoint.
   */
  const nextIndex = (known: number[], lo: number | undefined, hi: number | undefined, target: number): number[] => {
    if (lo === undefined && hi === undefined) return [FIRST_INDEX];
    if (hi === undefined) return [lo! + BRACKET_STEP];
    if (lo === undefined) {
      const est = known.length >= 2 ? secant(known[0]!, known[1]!, target) : undefined;
      const jump = est === undefined ? BRACKET_STEP : Math.min(STEPS_PER_DOUBLING, Math.max(BRACKET_STEP, hi - Math.floor(est) + 1));
      return [Math.max(MIN_INDEX, hi - jump)];
    }
    const est = secant(lo, hi, target);
    if (est === undefined || hi - lo <= 3) return [Math.floor((lo + hi) / 2)];
    const inside = (i: number) => Math.min(hi - 1, Math.max(lo + 1, i));
    return [...new Set([inside(Math.floor(est)), inside(Math.ceil(est))])];
  };
  const at: ValueAt = (scale) => {
    const { lo, hi } = boundary(scale);
    if (lo === undefined) return { value: 0, elasticity: 1 };
    const a = points.get(lo)!;
    const b = hi !== undefined ? points.get(hi)! : undefined;
    if (!b || !Number.isFinite(b.stress) || a.stress <= 0 || b.achieved <= 0 || b.stress <= a.stress) return { value: a.achieved / scale / gpus, elasticity: 1 };
    const dq = Math.log(b.stress) - Math.log(a.stress);
    const da = Math.log(b.achieved) - Math.log(a.achieved);
    const t = Math.min(1, Math.max(0, (-Math.log(scale) - Math.log(a.stress)) / dq));
    return { value: Math.exp(Math.log(a.achieved) + t * da) / scale / gpus, elasticity: Math.max(0.2, 1 + da / dq) };
  };
  // The boundary without correction fixes the schedule kept for re-timing; later points need no trace.
  const first = boundary(1);
  const traceAt = first.lo ?? first.hi ?? FIRST_INDEX;
  const trace = traces.get(traceAt) ?? { steps: [], tokenSteps: [], startSteps: [] };
  keepTraces = false;
  traces.clear();
  const durations = [...points.values()].map((p) => p.durationS);
  return { at, trace, pointS: durations.reduce((s, d) => s + d, 0) / Math.max(1, durations.length), simulations: () => points.size };
}
