// The inner loop of every strategy when a workload has a load plan (issue 13): one engine launch, many load points —
// a sweep of request rates or concurrencies, or a capacity search under an SLO. A function of (a way to run one
// point on a launched engine, the workload, the load plan), so it runs the same on a host, in virtual time, or on
// whatever "place to run this variant" a runner provides.
import type { GoodputSlo, RequestOutput } from '../bench/metrics';
import { fractionValue, type BenchmarkMetrics, type CapacitySlo, type CurvePoint, type CurveRecord, type LoadAxis, type LoadPlan, type LoadPointRecord, type ObjectiveMetric, type ObjectiveSummary, type TuningPlan, type Workload, type WorkloadSpec } from '../plan/schema';
import { capacityOfSweep, searchCapacity, sloVerdict } from './capacity';
import { objectiveKey, summarize } from './search';
import type { LiveSample, RequestSample } from '../telemetry/samples';
import { SaturationMonitor, steadyState, type WindowSpec } from './window';

/** What the client reported for one point, on the simulated clock when the host is simulated. */
export interface PointOutcome {
  metrics: BenchmarkMetrics;
  /** Per-request records (seconds from the first send) when the runner streams or returns them. */
  requests?: readonly RequestOutput[];
}

export interface PointRequest {
  /** The workload with this point's rate or concurrency and a prompt count sized for its window. */
  workload: Workload;
  /** Stable name of the point on its curve ("request_rate=4#3"), for resuming. */
  key: string;
  /** Aborted when the point is stopped early because it is saturated. */
  signal: AbortSignal;
  onSample(sample: LiveSample): void;
  onRequest(sample: RequestSample): void;
  /** The point's record from the client's report: window, SLO verdict, saturation. */
  assess(outcome: PointOutcome): LoadPointRecord;
}

export interface PointDone {
  resultId?: string;
  record: LoadPointRecord;
  metrics: BenchmarkMetrics;
}

/** Runs one point on the launched engine; undefined when the budget forbids another run. */
export type RunPoint = (request: PointRequest) => Promise<PointDone | undefined>;

export interface LoadPlanRun {
  run: RunPoint;
  workload: Workload;
  load: LoadPlan;
  /** Where the curve sits in the experiment. */
  stage: string;
  option: string;
  repeats: number;
  /** GPUs the variant occupies. */
  gpus: number;
  signal: AbortSignal;
  /** Simulated engines run this much faster than their clock: live samples arrive on the wall clock. */
  speedup?: number;
  /** Per-request limits for each point's goodput (the objective's slo, else the load plan's p99 limits). */
  goodput?: GoodputSlo;
  /** Called when the curve starts, after each point and when it ends, so a UI can draw it as it builds. */
  onProgress?(progress: CurveProgress): void;
}

/** The curve as it stands: its points so far, the capacity bracket, and whether it is finished. */
export interface CurveProgress {
  curve: CurveRecord;
  bracket: CapacityBracket;
  done: boolean;
}

/** The loads between which the capacity lies, as far as the points so far tell. */
export interface CapacityBracket {
  /** The largest load measured that met the SLO every time it ran, below `hi`. */
  lo?: number;
  /** The smallest finite load measured that broke the SLO (at least once). */
  hi?: number;
}

/**
 * The bracket a curve's points give: the lowest load that broke the SLO, and the highest load below it that always
 * met it. The search's own bracket is exactly this (bisection keeps the lowest break; a repeat that breaks moves
 * the break down), so a UI can show it from the points alone, for sweeps too.
 */
export function capacityBracket(points: ReadonlyArray<Pick<CurvePoint, 'value' | 'meetsSlo'>>): CapacityBracket {
  const finite = points.filter((p): p is typeof p & { value: number } => p.value !== 'inf' && p.meetsSlo !== undefined);
  const broken = finite.filter((p) => !p.meetsSlo).map((p) => p.value);
  const hi = broken.length > 0 ? Math.min(...broken) : undefined;
  const brokenSet = new Set(broken);
  const passes = finite.filter((p) => p.meetsSlo && !brokenSet.has(p.value) && (hi === undefined || p.value < hi)).map((p) => p.value);
  return { ...(passes.length > 0 ? { lo: Math.max(...passes) } : {}), ...(hi !== undefined ? { hi } : {}) };
}

/** Each workload spec's load plan: its own `load`, else the plan-wide one. */
export function workloadLoads(plan: Pick<TuningPlan, 'workloads' | 'load'>): Map<WorkloadSpec, LoadPlan> {
  const out = new Map<WorkloadSpec, LoadPlan>();
  for (const spec of [plan.workloads.primary, ...plan.workloads.generalization]) {
    const load = (typeof spec === 'object' ? spec.load : undefined) ?? plan.load;
    if (load) out.set(spec, load);
  }
  return out;
}

/** Benchmark runs one workload takes: its repeats, a sweep's points, or a capacity search's usual count. */
export function plannedPoints(load: LoadPlan | undefined, repeats: number): number {
  if (!load) return repeats;
  if ('sweep' in load) return (load.sweep.request_rates ?? load.sweep.concurrencies ?? []).length * repeats;
  const c = load.capacity;
  // The saturated point, about two to bracket, the bisection steps down to the tolerance, the boundary's repeats.
  const bisections = Math.ceil(Math.log2(1 / fractionValue(c.tolerance)));
  return Math.min(c.max_points, (c.start === undefined ? 1 : 0) + 2 + bisections + (repeats - 1));
}

const DEFAULT_WINDOW: WindowSpec = { warmupS: 15, windowS: 60 };
const MIN_POINT_PROMPTS = 20;

function windowOf(load: LoadPlan): WindowSpec {
  const p = 'sweep' in load ? load.sweep.point : load.capacity.point;
  return p ? { warmupS: p.warmup_s, windowS: p.window_s } : DEFAULT_WINDOW;
}

/** The workload of one point: its rate or concurrency, and enough prompts to fill the warm-up and the window. */
export function pointWorkload(base: Workload, by: LoadAxis, value: number | 'inf', window: WindowSpec): Workload {
  const seconds = window.warmupS + window.windowS;
  if (value === 'inf') {
    const { maxConcurrency: _drop, ...rest } = base;
    return { ...rest, requestRate: 'inf' };
  }
  if (by === 'request_rate') {
    const { maxConcurrency: _drop, ...rest } = base;
    return { ...rest, requestRate: value, numPrompts: Math.max(MIN_POINT_PROMPTS, Math.ceil(value * seconds)) };
  }
  return { ...base, requestRate: 'inf', maxConcurrency: value, numPrompts: Math.max(MIN_POINT_PROMPTS, 4 * value) };
}

/** GPUs a variant occupies: tensor × pipeline × data parallel (expert parallelism reuses the TP GPUs). */
export function variantGpus(parallel: { tp: number; pp: number; dp: number }): number {
  return parallel.tp * parallel.pp * parallel.dp;
}

const KEY_METRICS = ['max_concurrent_requests', 'request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput', 'p50_ttft_ms', 'p99_ttft_ms', 'p50_tpot_ms', 'p99_tpot_ms', 'p50_itl_ms', 'p99_itl_ms', 'p99_e2el_ms'];

/** The figures a curve point keeps of its result (vLLM's key names), with the share of requests that succeeded. */
export function curvePointMetrics(metrics: BenchmarkMetrics, success: number): Record<string, number> {
  const out: Record<string, number> = { success };
  for (const k of KEY_METRICS) {
    const v = metrics[k];
    if (typeof v === 'number') out[k] = v;
  }
  return out;
}

/** Runs the workload's load plan on one launched engine and returns its curve. */
export async function runLoadPlan(args: LoadPlanRun): Promise<CurveRecord> {
  const { load, workload } = args;
  const mode = 'sweep' in load ? 'sweep' : 'capacity';
  const by: LoadAxis = 'sweep' in load ? (load.sweep.request_rates ? 'request_rate' : 'concurrency') : load.capacity.by;
  const slo: CapacitySlo | undefined = 'sweep' in load ? load.sweep.slo : load.capacity.slo;
  const window = windowOf(load);
  const points: CurvePoint[] = [];
  const curve: CurveRecord = { stage: args.stage, option: args.option, workload: workload.name, mode, by, ...(slo ? { slo } : {}), gpus: args.gpus, points };
  const report = (done: boolean) => args.onProgress?.({ curve: structuredClone(curve), bracket: capacityBracket(points), done });
  const finished = () => {
    report(true);
    return curve;
  };
  report(false);

  const measure = async (value: number | 'inf', role: CurvePoint['role']): Promise<CurvePoint | undefined> => {
    if (args.signal.aborted) throw args.signal.reason;
    const index = points.length;
    const stop = new AbortController();
    const onParentAbort = () => stop.abort(args.signal.reason);
    args.signal.addEventListener('abort', onParentAbort, { once: true });
    const monitor = new SaturationMonitor(window);
    const speedup = args.speedup ?? 1;
    const startedWall = Date.now();
    let stoppedFor: string[] | undefined;
    const check = (nowWallMs: number) => {
      if (stoppedFor || value === 'inf') return;
      const reasons = monitor.verdict(((nowWallMs - startedWall) / 1000) * speedup);
      if (reasons.length > 0) {
        stoppedFor = reasons;
        stop.abort(new Error(`saturated: ${reasons.join('; ')}`));
      }
    };
    const offered = by === 'request_rate' && value !== 'inf' ? value : undefined;
    let done: PointDone | undefined;
    try {
      done = await args.run({
        workload: pointWorkload(workload, by, value, window),
        key: `${by}=${value}#${index}`,
        signal: stop.signal,
        onSample: (s) => {
          if (s.waiting !== undefined) monitor.waiting(((s.t - startedWall) / 1000) * speedup, s.waiting);
          check(s.t);
        },
        onRequest: (r) => {
          monitor.request(((r.t - startedWall) / 1000) * speedup - r.e2elMs / 1000, r.ttftMs / 1000);
          check(r.t);
        },
        assess: (outcome) => assessPoint({ outcome, mode, by, value, index, gpus: args.gpus, slo, window, offered, stoppedFor, goodput: args.goodput ?? goodputOf(slo) }),
      });
    } finally {
      args.signal.removeEventListener('abort', onParentAbort);
    }
    if (!done) return undefined;
    const r = done.record;
    const point: CurvePoint = {
      value,
      index,
      ...(done.resultId ? { resultId: done.resultId } : {}),
      role,
      ...(r.meetsSlo !== undefined ? { meetsSlo: r.meetsSlo } : {}),
      breaks: r.breaks,
      ...(r.saturated ? { saturated: r.saturated.reasons } : {}),
      metrics: curvePointMetrics(r.window?.metrics ?? done.metrics, r.success),
    };
    points.push(point);
    report(false);
    return point;
  };

  if (mode === 'sweep') {
    const sweep = 'sweep' in load ? load.sweep : undefined;
    const values: Array<number | 'inf'> = sweep!.request_rates ?? sweep!.concurrencies!;
    outer: for (const value of values) {
      for (let r = 0; r < args.repeats; r++) {
        if (!(await measure(value, 'sweep'))) {
          curve.stoppedEarly = 'the budget is used up';
          break outer;
        }
      }
    }
    if (slo) {
      const finite = points.filter((p): p is CurvePoint & { value: number } => p.value !== 'inf').map((p) => ({ value: p.value, meets: p.meetsSlo === true }));
      finishCurve(curve, capacityOfSweep(finite));
    }
    return finished();
  }

  const spec = 'capacity' in load ? load.capacity : undefined;
  let start = spec!.start;
  if (start === undefined) {
    // The saturated point (all requests at once, as the reference ran) bounds the capacity and gives the start.
    const saturated = await measure('inf', 'saturated');
    if (!saturated) {
      curve.stoppedEarly = 'the budget is used up';
      return finished();
    }
    start = by === 'request_rate' ? saturated.metrics['request_throughput'] : Math.max(1, Math.round((saturated.metrics['max_concurrent_requests'] ?? 64) / 2));
    if (!(start! > 0)) {
      curve.stoppedEarly = 'the saturated point completed no request, so there is no load to start the search from';
      return finished();
    }
  }
  const result = await searchCapacity({
    by,
    start: start!,
    tolerance: fractionValue(spec!.tolerance),
    maxPoints: spec!.max_points,
    boundaryRepeats: Math.max(0, args.repeats - 1),
    measure: async (value, why) => {
      const p = await measure(value, why);
      return p ? { value, meets: p.meetsSlo === true, achieved: p.metrics['request_throughput'] ?? 0 } : undefined;
    },
  });
  finishCurve(curve, result);
  if (result.stoppedEarly) curve.stoppedEarly = result.stoppedEarly;
  return finished();
}

/** Capacity and first break of a curve from its boundary and broken loads. */
export function finishCurve(curve: CurveRecord, found: { boundary?: number; broken?: number }): void {
  if (found.boundary !== undefined) {
    const at = curve.points.filter((p) => p.value === found.boundary && p.meetsSlo);
    const requestRate = at.reduce((s, p) => s + (p.metrics['request_throughput'] ?? 0), 0) / Math.max(1, at.length);
    curve.capacity = { load: found.boundary, requestRate, perGpu: requestRate / curve.gpus };
  }
  const above = curve.points.filter((p) => p.meetsSlo === false && (found.boundary === undefined || p.value === 'inf' || p.value > found.boundary));
  const first = found.broken !== undefined ? above.find((p) => p.value === found.broken) : above.sort((a, b) => (a.value === 'inf' ? Infinity : a.value) - (b.value === 'inf' ? Infinity : b.value))[0];
  if (first) curve.breaksAt = { load: first.value, limit: limitKey(first.breaks[0]), breaks: first.breaks };
}

function limitKey(text: string | undefined): string {
  return text?.split(' ')[0] ?? 'unknown';
}

function assessPoint(a: {
  outcome: PointOutcome;
  mode: 'sweep' | 'capacity';
  by: LoadAxis;
  value: number | 'inf';
  index: number;
  gpus: number;
  slo: CapacitySlo | undefined;
  window: WindowSpec;
  offered: number | undefined;
  stoppedFor: string[] | undefined;
  goodput: GoodputSlo | undefined;
}): LoadPointRecord {
  const { outcome } = a;
  const state = outcome.requests && outcome.requests.length > 0 ? steadyState(outcome.requests, a.window, a.offered, a.goodput) : undefined;
  const sent = outcome.metrics.completed + (outcome.metrics.failed ?? 0);
  const success = state ? state.success : sent === 0 ? 0 : outcome.metrics.completed / sent;
  const metrics = state?.metrics ?? outcome.metrics;
  const verdict = a.slo ? sloVerdict(metrics, success, a.slo) : undefined;
  const reasons = a.stoppedFor ?? (a.value === 'inf' ? [] : (state?.saturation ?? []));
  // A point stopped for saturation does not meet the SLO whatever its partial figures say.
  const meetsSlo = verdict ? verdict.meets && a.stoppedFor === undefined : undefined;
  const breaks = verdict ? [...verdict.breaks, ...(a.stoppedFor && verdict.meets ? ['saturated'] : [])] : [];
  return {
    mode: a.mode,
    by: a.by,
    value: a.value,
    index: a.index,
    gpus: a.gpus,
    ...(a.slo ? { slo: a.slo } : {}),
    ...(state ? { window: { startS: state.startS, endS: state.endS, requests: state.requests, metrics: state.metrics } } : {}),
    success,
    ...(meetsSlo !== undefined ? { meetsSlo } : {}),
    breaks,
    ...(reasons.length > 0 ? { saturated: { reasons, stoppedEarly: a.stoppedFor !== undefined } } : {}),
  };
}

/** The load plan's p99 limits, read per request, as goodput limits. */
function goodputOf(slo: CapacitySlo | undefined): GoodputSlo | undefined {
  if (!slo) return undefined;
  const g: GoodputSlo = {
    ...(slo.p99_ttft_ms !== undefined ? { ttftMs: slo.p99_ttft_ms } : {}),
    ...(slo.p99_tpot_ms !== undefined ? { tpotMs: slo.p99_tpot_ms } : {}),
    ...(slo.p99_e2el_ms !== undefined ? { e2elMs: slo.p99_e2el_ms } : {}),
  };
  return Object.keys(g).length > 0 ? g : undefined;
}

/**
 * The objective a curve stands for, and the points that define it: the capacity (achieved req/s at the boundary,
 * each repeat of the boundary a measurement), or the best point of the curve for throughput and goodput.
 */
export function curveObjective(curve: CurveRecord, metric: ObjectiveMetric): { summary: ObjectiveSummary; points: CurvePoint[] } {
  const perGpu = metric.endsWith('_per_gpu') ? curve.gpus : 1;
  if (metric === 'slo_capacity' || metric === 'slo_capacity_per_gpu') {
    const at = curve.capacity ? curve.points.filter((p) => p.value === curve.capacity!.load && p.meetsSlo) : [];
    if (at.length === 0) return { summary: summarize(metric, [0]), points: [] };
    return { summary: summarize(metric, at.map((p) => (p.metrics['request_throughput'] ?? 0) / perGpu)), points: at };
  }
  const key = objectiveKey(metric);
  const best = curve.points.reduce<CurvePoint | undefined>((b, p) => ((p.metrics[key] ?? -1) > (b?.metrics[key] ?? -1) ? p : b), undefined);
  if (!best || best.metrics[key] === undefined) throw new Error(`no point of the ${curve.workload} curve measured ${key}`);
  return { summary: summarize(metric, [best.metrics[key]! / perGpu]), points: [best] };
}
