// The largest load a variant serves within an SLO (issue 13): the SLO verdict of one point, and the search —
// bracketing from a start (the saturated throughput, or a given start such as the simulator's prediction), then
// bisection until the bracket is within the tolerance, then the boundary repeated. Pure: points are measured by the
// caller's function, so the same search runs on a host, in virtual time, or against a known curve in a test.
import type { BenchmarkMetrics, CapacitySlo, LoadAxis } from '../plan/schema';

/** The SLO's latency limits as the metric keys they bound, in the order a report lists them. */
export const SLO_LIMITS = ['p99_ttft_ms', 'p99_tpot_ms', 'p99_itl_ms', 'p99_e2el_ms'] as const;

export interface SloVerdict {
  meets: boolean;
  /** Broken limits, the most exceeded (relative to its limit) first: "p99_tpot_ms 113.9 > 100". */
  breaks: string[];
  /** Key of the limit broken most (the one that "breaks first" as load rises), when any. */
  worst?: string;
}

export function sloVerdict(metrics: BenchmarkMetrics, success: number, slo: CapacitySlo): SloVerdict {
  const broken: Array<{ key: string; ratio: number; text: string }> = [];
  for (const key of SLO_LIMITS) {
    const limit = slo[key];
    if (limit === undefined) continue;
    const value = metrics[key];
    if (typeof value !== 'number') {
      broken.push({ key, ratio: Infinity, text: `${key} was not measured` });
    } else if (value > limit) {
      broken.push({ key, ratio: value / limit, text: `${key} ${value.toFixed(1)} > ${limit}` });
    }
  }
  if (success < slo.min_success) broken.push({ key: 'min_success', ratio: slo.min_success / Math.max(success, 1e-9), text: `success ${(success * 100).toFixed(1)}% < ${(slo.min_success * 100).toFixed(1)}%` });
  broken.sort((a, b) => b.ratio - a.ratio);
  return { meets: broken.length === 0, breaks: broken.map((b) => b.text), ...(broken[0] ? { worst: broken[0].key } : {}) };
}

export interface SearchPoint {
  value: number;
  meets: boolean;
  /** Achieved requests per second at this point (the objective `slo_capacity` at the boundary). */
  achieved: number;
}

export interface SearchOptions {
  by: LoadAxis;
  /** First load to try. */
  start: number;
  /** Relative width of the final bracket. */
  tolerance: number;
  maxPoints: number;
  /** Extra measurements of the boundary (repeats − 1). */
  boundaryRepeats: number;
  /** Runs the point; undefined when it may not run (budget used up), which ends the search where it stands. */
  measure(value: number, why: 'bracket' | 'bisect' | 'repeat'): Promise<SearchPoint | undefined>;
}

export interface SearchResult {
  /** The largest load that met the SLO; undefined when even the smallest tried did not. */
  boundary?: number;
  /** The smallest load that broke it, above the boundary. */
  broken?: number;
  points: SearchPoint[];
  /** Why the search ended before the bracket was within the tolerance, if it did. */
  stoppedEarly?: string;
}

/** Below this the variant is said to have no capacity under the SLO (request rates) — a search does not go on halving. */
const MIN_RATE = 0.01;

/** A request rate as a user would write it: three significant digits. */
export function roundRate(rate: number): number {
  return Number(rate.toPrecision(3));
}

/** Next load inside (lo, hi): the midpoint, rounded (and never onto either end). */
function midpoint(by: LoadAxis, lo: number, hi: number): number | undefined {
  if (by === 'request_rate') {
    const mid = roundRate((lo + hi) / 2);
    return mid > lo && mid < hi ? mid : (lo + hi) / 2;
  }
  const mid = Math.floor((lo + hi) / 2);
  return mid > lo && mid < hi ? mid : undefined;
}

function narrowEnough(by: LoadAxis, lo: number, hi: number, tolerance: number): boolean {
  if (by === 'concurrency' && hi - lo <= 1) return true;
  return (hi - lo) / lo <= tolerance;
}

export async function searchCapacity(options: SearchOptions): Promise<SearchResult> {
  const { by, tolerance } = options;
  const points: SearchPoint[] = [];
  let lo: number | undefined;
  let hi: number | undefined;
  const run = async (value: number, why: 'bracket' | 'bisect' | 'repeat') => {
    if (points.length >= options.maxPoints) return undefined;
    const p = await options.measure(value, why);
    if (p) points.push(p);
    return p;
  };
  const done = (stoppedEarly?: string): SearchResult => ({
    ...(lo !== undefined ? { boundary: lo } : {}),
    ...(hi !== undefined ? { broken: hi } : {}),
    points,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  });
  const limitWhy = () => (points.length >= options.maxPoints ? `max_points (${options.maxPoints}) reached` : 'the budget is used up');

  // Bracket: halve down until a point meets the SLO, or double up until one breaks it.
  let value = by === 'concurrency' ? Math.max(1, Math.round(options.start)) : roundRate(options.start);
  for (;;) {
    const p = await run(value, 'bracket');
    if (!p) return done(limitWhy());
    if (p.meets) lo = value;
    else hi = value;
    if (lo !== undefined && hi !== undefined) break;
    if (hi !== undefined) {
      const next = by === 'concurrency' ? Math.floor(value / 2) : roundRate(value / 2);
      if (next < (by === 'concurrency' ? 1 : MIN_RATE)) return done(`no load down to ${value} met the SLO`);
      value = next;
    } else {
      value = value * 2;
    }
  }
  // Bisection, then the boundary repeated; a repeat that breaks the SLO makes it the new upper end.
  const passes = points.filter((p) => p.meets).map((p) => p.value);
  for (;;) {
    while (!narrowEnough(by, lo!, hi!, tolerance)) {
      const mid = midpoint(by, lo!, hi!);
      if (mid === undefined) break;
      const p = await run(mid, 'bisect');
      if (!p) return done(limitWhy());
      if (p.meets) {
        lo = mid;
        passes.push(mid);
      } else {
        hi = mid;
      }
    }
    let held = true;
    for (let r = 0; r < options.boundaryRepeats && held; r++) {
      const p = await run(lo!, 'repeat');
      if (!p) return done(limitWhy());
      held = p.meets;
    }
    if (held) return done();
    hi = lo;
    const below = passes.filter((v) => v < hi!);
    if (below.length === 0) {
      lo = undefined;
      return done(`the boundary ${hi} did not hold on repeat and no lower load was measured`);
    }
    lo = Math.max(...below);
  }
}

/**
 * A sweep's capacity under an SLO: the largest load such that it and every lower load of the curve met the SLO
 * (a point past the first break that passes again is noise, not capacity).
 */
export function capacityOfSweep(points: ReadonlyArray<{ value: number; meets: boolean }>): { boundary?: number; broken?: number } {
  const sorted = [...points].sort((a, b) => a.value - b.value);
  let boundary: number | undefined;
  for (const p of sorted) {
    if (!p.meets) return { ...(boundary !== undefined ? { boundary } : {}), broken: p.value };
    boundary = p.value;
  }
  return boundary !== undefined ? { boundary } : {};
}
