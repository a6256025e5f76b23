// The predicted search's model of the host (issue 14): the simulator's forecast of each candidate, with its schedule
// kept so the forecast can be re-timed cheaply, and a handful of host corrections fitted to every measurement — how
// much slower or faster the host's memory traffic is than the datasheet (one number), and each engine's overall
// speed on this host (one number per engine measured). Not a per-candidate fudge: a candidate never measured moves
// with the measured ones that share its engine and its share of memory-bound time.
import type { GoodputSlo } from '../bench/metrics';
import { renderVariant, VariantError } from '../engines/index';
import type { CapacitySearch, EngineName, EngineVariant, ObjectiveMetric, TuningPlan, Workload } from '../plan/schema';
import { FITTED_EFFICIENCY } from '../sim/calibration/fitted';
import { perfConfig } from '../sim/config';
import { planLaunch, splitServeCommand } from '../sim/engines/index';
import { simHostOf, type LaunchHost } from './sameLaunch';
import { combineStepCost, stepCost, type StepCost } from '../sim/perf';
import { predictBenchmark, type PredictOptions } from '../sim/predict';
import type { SimTrace } from '../sim/virtual';
import { plannedPoints, variantGpus, workloadLoads } from './curve';
import { predictOptionsOf } from './predict';
import { capacityModel, goodputAt, saturatedOptions, throughputAt, type ValueAt } from './predictedObjectives';
import { objectiveMetric, objectiveValue } from './search';

/** What the search forecasts: the objective, and what it needs besides the workload (goodput's limits, the capacity search). */
export interface ForecastObjective {
  metric: ObjectiveMetric;
  goodput?: GoodputSlo;
  capacity?: CapacitySearch;
  /** Runs per measurement (the plan's repeats), for the GPU-time estimate. */
  repeats: number;
}

export function forecastObjectiveOf(plan: TuningPlan): ForecastObjective {
  const load = workloadLoads(plan).get(plan.workloads.primary);
  return {
    metric: objectiveMetric(plan),
    ...(typeof plan.objective === 'object' && plan.objective.slo ? { goodput: plan.objective.slo } : {}),
    ...(load && 'capacity' in load ? { capacity: load.capacity } : {}),
    repeats: plan.repeats,
  };
}

/** A candidate's forecast: the objective, the host time it would take, and its schedule for re-timing. */
export interface Forecast {
  /** The objective as the simulator forecasts it (no host correction). */
  value: number;
  /** The objective on a host whose steps take `scale` × the simulator's time. */
  at: ValueAt;
  /** Seconds from launch to ready, and of the benchmark runs of one measurement. */
  startupS: number;
  benchmarkS: number;
  engine: EngineName;
  costs: ReadonlyArray<StepCost | undefined>;
  /** Step-time sums by memory-time scale, filled as the fit asks for them. */
  retimed: Map<number, number>;
  /** The host time scale each measured value implies (log), filled as the fit asks for them. */
  observed: Map<number, number>;
}

export type ForecastOutcome = { ok: true; forecast: Forecast } | { ok: false; crash: string } | { ok: false; notApplicable: string };

const emptyTrace = (n: number): SimTrace => ({ steps: [], tokenSteps: Array.from({ length: n }, () => []), startSteps: new Array<number>(n).fill(0) });

/** The simulator's forecast of one measurement of `variant` on `count` × `gpu` (no host correction). */
export function forecastCandidate(variant: EngineVariant, host: LaunchHost, workload: Workload, objective: ForecastObjective): ForecastOutcome {
  let argv: string[];
  let files: Record<string, string>;
  try {
    const rendered = renderVariant(variant, { port: 8000 });
    argv = rendered.argv;
    files = Object.fromEntries(rendered.files.map((f) => [f.path, f.content]));
  } catch (err) {
    if (err instanceof VariantError) return { ok: false, notApplicable: err.message };
    throw err;
  }
  const { engine, args } = splitServeCommand(argv);
  const launch = planLaunch(engine, args, simHostOf(host), { env: variant.env, readFile: (path) => files[path] });
  const ready = launch.events.find((e) => e.kind === 'ready');
  if (launch.crash || !ready) return { ok: false, crash: launch.crash?.rootCause ?? 'the engine does not start' };
  const run = (o: Pick<PredictOptions, 'workload' | 'seed' | 'requestRate' | 'burstiness' | 'maxConcurrency' | 'trace'>) => predictBenchmark({ gpu: host.gpu, count: host.count, ...(host.models ? { models: host.models } : {}), argv, env: variant.env, files, percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'], ...o });
  const { capacity } = objective;
  const main = capacity ? saturatedOptions(workload, capacity) : predictOptionsOf(workload);
  const trace = emptyTrace(typeof main.workload === 'string' ? 0 : main.workload.count);
  const p = run({ ...main, trace });
  if (!p.metrics || !p.config) return { ok: false, crash: p.crash?.rootCause ?? 'the engine does not start' };
  if (p.stalled) return { ok: false, crash: `the engine stops scheduling: ${p.stalled}` };
  const perf = perfConfig(p.config);
  const gpus = variantGpus(variant.parallel);
  const made = { startupS: ready.at, engine, retimed: new Map<number, number>(), observed: new Map<number, number>() };
  if (capacity) {
    const saturated = p.metrics.request_throughput;
    if (!(saturated > 0)) return { ok: false, crash: 'the saturated point completes no request' };
    const perGpu = objective.metric.endsWith('_per_gpu') ? gpus : 1;
    const model = capacityModel(p.config, saturated, workload, capacity, perGpu);
    const searchPoints = plannedPoints({ capacity }, objective.repeats) - 1;
    return { ok: true, forecast: { ...made, value: model.at(1).value, at: model.at, benchmarkS: p.metrics.duration + searchPoints * model.pointS, costs: model.trace.steps.map((s) => stepCost(perf, s)) } };
  }
  const costs = trace.steps.map((s) => stepCost(perf, s));
  const benchmarkS = p.metrics.duration * objective.repeats;
  if (objective.metric === 'goodput' || objective.metric === 'goodput_per_gpu') {
    const at = goodputAt(p.outputs ?? [], objective.goodput ?? {}, workload, objective.metric === 'goodput_per_gpu' ? gpus : 1);
    return { ok: true, forecast: { ...made, value: at(1).value, at, benchmarkS, costs } };
  }
  const value = objectiveValue(p.metrics, objective.metric, gpus);
  return { ok: true, forecast: { ...made, value, at: throughputAt(value), benchmarkS, costs } };
}

/** Σ step time with memory traffic `memoryScale` × as slow (at the engine's fitted efficiency). */
function retime(f: Forecast, memoryScale: number): number {
  const cached = f.retimed.get(memoryScale);
  if (cached !== undefined) return cached;
  const efficiency = FITTED_EFFICIENCY[f.engine];
  let total = 0;
  for (const c of f.costs) {
    if (!c) continue;
    total += combineStepCost({ ...c, denseMemory: c.denseMemory * memoryScale, expertStream: c.expertStream * memoryScale, kvRead: c.kvRead * memoryScale }, efficiency);
  }
  f.retimed.set(memoryScale, total);
  return total;
}

export interface Corrections {
  /** Host memory-traffic time relative to the datasheet bandwidth (1.25 = memory 20% slower). */
  memoryTimeScale: number;
  /** Each measured engine's step time on this host relative to the simulator's (1.1 = 10% slower). */
  engineTimeScale: Partial<Record<EngineName, number>>;
  /** Root-mean-square of the log residuals after the fit (0.05 ≈ 5%), corrected for the parameters fitted. */
  residual: number;
  /** Measurements the fit used. */
  points: number;
}

export const NO_CORRECTIONS: Corrections = { memoryTimeScale: 1, engineTimeScale: {}, residual: Number.NaN, points: 0 };

/** How much slower (> 1) the candidate's steps run under the corrections: its memory time rescaled, its engine's speed. */
function timeScale(f: Forecast, c: Corrections): number {
  const base = retime(f, 1);
  const memory = base > 0 ? retime(f, c.memoryTimeScale) / base : 1;
  return memory * (c.engineTimeScale[f.engine] ?? 1);
}

/** The forecast under host corrections. */
export function correctedValue(f: Forecast, c: Corrections): number {
  return f.at(timeScale(f, c)).value;
}

/** Bound on the log time scale a measurement may imply (×0.3 to ×3.3), and the precision it is found to. */
const MAX_LOG_SCALE = 1.2;
const LOG_SCALE_PRECISION = 5e-4;

/**
 * The host time scale (log) under which the forecast equals the measurement, by bisection: the forecast falls as the
 * scale grows (a throughput as 1/scale, a capacity in steps where the limit that binds changes).
 */
function observedLogScale(f: Forecast, measured: number): number {
  const cached = f.observed.get(measured);
  if (cached !== undefined) return cached;
  const valueAt = (logScale: number) => f.at(Math.exp(logScale)).value;
  // Bracket from no correction outwards, then halve the bracket.
  const slower = valueAt(0) > measured;
  let [near, far] = [0, slower ? 0.1 : -0.1];
  while (Math.abs(far) < MAX_LOG_SCALE && valueAt(far) > measured === slower) [near, far] = [far, Math.max(-MAX_LOG_SCALE, Math.min(MAX_LOG_SCALE, far * 2))];
  while (Math.abs(far - near) > LOG_SCALE_PRECISION) {
    const mid = (near + far) / 2;
    if (valueAt(mid) > measured === slower) near = mid;
    else far = mid;
  }
  const logScale = (near + far) / 2;
  f.observed.set(measured, logScale);
  return logScale;
}

export interface FitPoint {
  forecast: Forecast;
  measured: number;
}

/** Candidate memory-time scales: log-spaced from ×0.55 to ×1.8. */
const MEMORY_GRID = Array.from({ length: 61 }, (_, i) => Math.exp(-0.6 + i * 0.02));
/** Ridge weight (noise variance over prior variance of a log parameter): few points pull the parameters toward 1. */
const RIDGE = 0.05;

/**
 * Fits the corrections to the measurements: for each memory scale on the grid, each engine's log speed is the
 * ridge mean of its points' residuals; the scale with the least penalized squared error wins.
 */
export function fitCorrections(measurements: readonly FitPoint[]): Corrections {
  // A measurement of nothing (no load met the SLO) implies no finite time scale.
  const points = measurements.filter((p) => p.measured > 0);
  if (points.length === 0) return NO_CORRECTIONS;
  // Each measurement as the time scale it implies: log(scale) = log(memory time ratio) + log(engine scale) + noise.
  const observed = points.map((p) => observedLogScale(p.forecast, p.measured));
  let best: { cost: number; memory: number; engines: Partial<Record<EngineName, number>>; residuals: number[] } | undefined;
  for (const memory of MEMORY_GRID) {
    const logResidual = points.map((p, i) => Math.log(retime(p.forecast, memory) / (retime(p.forecast, 1) || 1)) - observed[i]!);
    const byEngine = new Map<EngineName, number[]>();
    points.forEach((p, i) => byEngine.set(p.forecast.engine, [...(byEngine.get(p.forecast.engine) ?? []), logResidual[i]!]));
    const engines: Partial<Record<EngineName, number>> = {};
    let cost = RIDGE * Math.log(memory) ** 2;
    for (const [engine, rs] of byEngine) {
      // log(measured) = log(forecast) − log(engine time scale): the residual's ridge mean is −log(scale).
      const logSpeed = rs.reduce((a, b) => a + b, 0) / (rs.length + RIDGE);
      engines[engine] = Math.exp(-logSpeed);
      cost += rs.reduce((a, r) => a + (r - logSpeed) ** 2, 0) + RIDGE * logSpeed ** 2;
    }
    if (!best || cost < best.cost) best = { cost, memory, engines, residuals: points.map((p, i) => logResidual[i]! + Math.log(engines[p.forecast.engine]!)) };
  }
  const parameters = 1 + Object.keys(best!.engines).length;
  const ss = best!.residuals.reduce((a, r) => a + r * r, 0);
  const residual = points.length > parameters ? Math.sqrt(ss / (points.length - parameters)) : Number.NaN;
  return { memoryTimeScale: best!.memory, engineTimeScale: best!.engines, residual, points: points.length };
}

/** Log-scale spread of a forecast before the host is known well (the simulator's error against published runs). */
export const PRIOR_SIGMA = 0.15;
/** An engine nothing of which was measured yet: its speed on this host is unknown by this much more. */
const UNMEASURED_ENGINE_SIGMA = 0.15;
/** Even a perfect fit does not make the simulator exact: never claim less than this. */
const MIN_SIGMA = 0.01;

/** One-sided ~95% (z = 1.645): the upper bound a candidate could still reach. */
export const UPPER_Z = 1.645;

/**
 * A corrected forecast's uncertainty about the candidate's true value (log scale): the fit's residual (or the prior
 * while there are too few measurements), more for an engine not measured yet — an uncertainty of the host's time
 * scale, carried to the objective by its elasticity (1 for a throughput; more for a capacity whose latency limit
 * binds at light load). The run-to-run noise is the stop rule's margin, not part of this.
 */
export function forecastSigma(f: Forecast, c: Corrections): number {
  const model = Number.isNaN(c.residual) ? PRIOR_SIGMA : c.residual;
  const engine = c.engineTimeScale[f.engine] === undefined ? UNMEASURED_ENGINE_SIGMA : 0;
  const time = Math.max(MIN_SIGMA, Math.sqrt(model * model + engine * engine));
  return time * f.at(timeScale(f, c)).elasticity;
}

/** Mean absolute percentage error of forecasts against measurements (a measurement of nothing has no percentage). */
export function meanAbsPctError(measurements: ReadonlyArray<{ forecast: number; measured: number }>): number | undefined {
  const pairs = measurements.filter((p) => p.measured > 0);
  if (pairs.length === 0) return undefined;
  return (pairs.reduce((a, p) => a + Math.abs(p.forecast - p.measured) / p.measured, 0) / pairs.length) * 100;
}
