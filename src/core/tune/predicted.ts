// The predicted search (issue 14): predict every candidate of the space on the host's GPUs, measure the one with the
// best upper bound, fit the host's corrections to every measurement, re-predict, and stop when no unmeasured
// candidate can still beat the best measured one by more than the noise — or when the budget is spent.
import type { Crash, EngineVariant, HostFacts, OptionOutcome, OptionRecord, PredictedSearchRecord, SearchCandidateRecord, StageRecord, TuningPlan, Workload } from '../plan/schema';
import { findGpu, GPUS } from '../sim/gpus';
import type { ModelSpec } from '../sim/models/index';
import { ExperimentError } from './backend';
import { learnedCrashes, type MeasuredCandidate } from './predictedCrashes';
import { correctedValue, fitCorrections, forecastCandidate, forecastObjectiveOf, forecastSigma, meanAbsPctError, UPPER_Z, type Corrections, type FitPoint, type Forecast } from './predictedModel';
import type { SearchProgress } from './observer';
import { searchProgress } from './predictedProgress';
import { DEFAULT_NOISE_PCT, objectiveMetric, variantKey } from './search';
import { distinctLaunches, type LaunchHost } from './sameLaunch';
import { enumerateSpace, runnable } from './space';

export interface PredictedSearchContext {
  plan: TuningPlan;
  host: HostFacts;
  /** Configs of the plan's models the simulator's catalog does not know, read from the host. */
  models?: readonly ModelSpec[];
  primary: Workload;
  baseline: OptionRecord;
  /** The search's stage: the baseline first, then each measured candidate as an option. */
  stage: StageRecord;
  /** The stored record to continue, if any. */
  record: PredictedSearchRecord | undefined;
  /** Measures one option (its outcome set on it); resolves with the GPU-seconds it took. */
  measure(option: OptionRecord): Promise<number>;
  launchCommand(variant: EngineVariant): string;
  /** Why the budget forbids another measurement, given the GPU-seconds the search spent. */
  budget(gpuSeconds: number): string | undefined;
  save(record: PredictedSearchRecord): Promise<void>;
  log(line: string): void;
  /** The ranking as it stands, for a live view. */
  progress?(progress: SearchProgress): void;
  /** Candidates measured at once (a pool's hosts). */
  parallelism: number;
}

/** Seconds a stop takes, counted like a launch's for a grid's estimate. */
const STOP_ALLOWANCE_S = 5;

const valueOf = (o: OptionOutcome | undefined): number | undefined => (o && o.kind === 'measured' ? o.objective.mean : undefined);

/** Relative run-to-run noise: the repeats' spread where there are repeats (two standard errors), else the default. */
export function searchNoise(outcomes: readonly OptionOutcome[]): number {
  const spreads = outcomes.flatMap((o) => (o.kind === 'measured' && o.objective.stdev !== undefined && o.objective.mean > 0 ? [o.objective.stdev / o.objective.mean / Math.sqrt(o.objective.n)] : []));
  if (spreads.length === 0) return DEFAULT_NOISE_PCT / 100;
  return 2 * Math.sqrt(spreads.reduce((a, s) => a + s * s, 0) / spreads.length);
}

export interface RankedCandidate {
  candidate: SearchCandidateRecord;
  value: number;
  upper: number;
  sigma: number;
}

/** Open candidates by upper bound, best first. */
export function rankCandidates(open: ReadonlyArray<{ candidate: SearchCandidateRecord; forecast: Forecast }>, corrections: Corrections): RankedCandidate[] {
  return open
    .map(({ candidate, forecast }) => {
      const value = correctedValue(forecast, corrections);
      const sigma = forecastSigma(forecast, corrections);
      return { candidate, value, sigma, upper: value * Math.exp(UPPER_Z * sigma) };
    })
    .sort((a, b) => b.upper - a.upper);
}

/** The stop rule: why no open candidate is worth measuring (its upper bound within noise of the best), else undefined. */
export function stopReason(ranked: readonly RankedCandidate[], bestMeasured: number | undefined, noise: number): string | undefined {
  if (ranked.length === 0) return 'every candidate was measured or ruled out';
  if (bestMeasured === undefined) return undefined;
  const top = ranked[0]!;
  if (top.upper > bestMeasured * (1 + noise)) return undefined;
  return `no unmeasured candidate can beat the best measured (${bestMeasured.toFixed(1)}) by more than the noise (${(noise * 100).toFixed(1)}%): the highest upper bound is ${top.upper.toFixed(1)} (${top.candidate.name})`;
}

/** The simulator's GPU for the host's GPUs; the predicted search cannot forecast without one. */
function forecastHost(host: HostFacts, models: readonly ModelSpec[] | undefined): LaunchHost {
  const name = host.gpus[0]?.name ?? '';
  const gpu = findGpu(name);
  if (!gpu) throw new ExperimentError(`strategy "predicted" forecasts with the simulator's model of the host's GPUs, and it has none of "${name || 'no GPUs reported'}"; known: ${GPUS.map((g) => g.id).join(', ')}. Use strategy "grid" on this host`);
  return { gpu: gpu.id, count: host.gpus.length, ...(models?.length ? { models } : {}) };
}

export async function runPredictedSearch(ctx: PredictedSearchContext): Promise<PredictedSearchRecord> {
  const objective = forecastObjectiveOf(ctx.plan);
  const host = forecastHost(ctx.host, ctx.models);
  const forecasts = new Map<string, Forecast>();
  const forecast = (name: string, variant: EngineVariant) => {
    const f = forecastCandidate(variant, host, ctx.primary, objective);
    if (f.ok) forecasts.set(name, f.forecast);
    return f;
  };
  const record = ctx.record ?? initialRecord(ctx, host, forecast);
  if (ctx.record) for (const c of record.candidates) if (!c.skipped || c.skipped.kind === 'cannot-win' || c.skipped.kind === 'budget') forecast(c.name, c.variant);
  delete record.stopped;
  await ctx.save(record);
  const baselineForecast = forecastCandidate(ctx.baseline.variant, host, ctx.primary, objective);
  const optionOf = (name: string) => ctx.stage.options.find((o) => !o.incumbent && o.name === name);

  for (;;) {
    const measured = measuredCandidates(ctx, record);
    const points: FitPoint[] = [];
    const baselineValue = valueOf(ctx.baseline.outcome);
    if (baselineForecast.ok && baselineValue !== undefined) points.push({ forecast: baselineForecast.forecast, measured: baselineValue });
    for (const m of measured) if (m.value !== undefined && forecasts.has(m.name)) points.push({ forecast: forecasts.get(m.name)!, measured: m.value });
    const corrections = fitCorrections(points);
    const noise = searchNoise([ctx.baseline.outcome!, ...measured.map((m) => m.outcome)]);
    const blocked = learnedCrashes(measured, ctx.baseline.variant, record.candidates);
    const open = record.candidates.filter((c) => !c.baseline && (!c.skipped || c.skipped.kind === 'cannot-win' || c.skipped.kind === 'budget') && !optionOf(c.name)?.outcome && !blocked.has(c.name) && forecasts.has(c.name));
    for (const c of open) delete c.skipped;
    const ranked = rankCandidates(open.map((candidate) => ({ candidate, forecast: forecasts.get(candidate.name)! })), corrections);
    const best = Math.max(...[baselineValue, ...measured.map((m) => m.value)].filter((v): v is number => v !== undefined));
    const stop = stopReason(ranked, Number.isFinite(best) ? best : undefined, noise) ?? ctx.budget(record.gpuSeconds);
    const progress = (measuring: RankedCandidate[]) =>
      ctx.progress?.(searchProgress(record, { forecasts, corrections, blocked, measuring: new Set(measuring.map((m) => m.candidate.name)), baseline: { name: ctx.baseline.name, value: baselineValue } }));
    if (stop) {
      finish(record, { ranked, corrections, noise, blocked, points, stop, forecasts });
      ctx.log(`predicted search: stopped — ${stop}`);
      await ctx.save(record);
      progress([]);
      return record;
    }
    const picks = ranked.slice(0, Math.max(1, ctx.parallelism));
    progress(picks);
    await Promise.all(picks.map((pick) => measureCandidate(ctx, record, pick)));
  }
}

function initialRecord(ctx: PredictedSearchContext, host: LaunchHost, forecast: (name: string, v: EngineVariant) => ReturnType<typeof forecastCandidate>): PredictedSearchRecord {
  const candidates = enumerateSpace(ctx.plan.space!, ctx.baseline.variant, host.count);
  const same = new Map(distinctLaunches(ctx.baseline.variant, candidates.filter(runnable), host).same.map((s) => [s.candidate.name, s.why]));
  const baselineKey = variantKey(ctx.baseline.variant);
  const records: SearchCandidateRecord[] = [];
  let gridGpuSeconds = 0;
  for (const c of candidates) {
    const rec: SearchCandidateRecord = { name: c.name, variant: c.variant, gpus: c.gpus };
    if (variantKey(c.variant) === baselineKey) rec.baseline = true;
    if (c.doesNotFit) {
      rec.skipped = { kind: 'does-not-fit', why: c.doesNotFit };
    } else if (c.unsupported) {
      rec.skipped = { kind: 'not-applicable', why: c.unsupported };
    } else if (same.has(c.name)) {
      rec.skipped = { kind: 'same-launch', why: same.get(c.name)! };
    } else {
      const f = forecast(c.name, c.variant);
      if (f.ok) {
        rec.predicted = f.forecast.value;
        rec.predictedGpuSeconds = (f.forecast.startupS + STOP_ALLOWANCE_S + f.forecast.benchmarkS) * c.gpus;
      } else if ('notApplicable' in f) {
        rec.skipped = { kind: 'not-applicable', why: f.notApplicable };
      } else {
        rec.skipped = { kind: 'predicted-crash', why: `the simulator predicts a crash: ${f.crash}` };
      }
    }
    gridGpuSeconds += rec.predictedGpuSeconds ?? 0;
    records.push(rec);
  }
  const pruned = records.filter((r) => r.skipped).length;
  ctx.log(`predicted search: ${records.length} candidates on ${host.count}× ${host.gpu}; ${pruned} ruled out before measuring (crash predicted, too many GPUs, or the same launch as another)`);
  return { metric: objectiveMetric(ctx.plan), workload: ctx.primary.name, gpu: host.gpu, gpuCount: host.count, candidates: records, steps: [], gpuSeconds: 0, gridGpuSecondsForecast: gridGpuSeconds, gridGpuSeconds };
}

function measuredCandidates(ctx: PredictedSearchContext, record: PredictedSearchRecord): MeasuredCandidate[] {
  return record.steps.flatMap((step) => {
    const option = ctx.stage.options.find((o) => !o.incumbent && o.name === step.candidate);
    if (!option?.outcome || option.outcome.kind === 'skipped') return [];
    const crash: Crash | undefined = option.outcome.kind === 'crashed' ? option.outcome.crash : undefined;
    return [{ name: step.candidate, variant: option.variant, outcome: option.outcome, value: valueOf(option.outcome), ...(crash ? { crash } : {}) }];
  });
}

async function measureCandidate(ctx: PredictedSearchContext, record: PredictedSearchRecord, pick: RankedCandidate): Promise<void> {
  const { candidate } = pick;
  ctx.log(`predicted search: measuring ${candidate.name} (forecast ${pick.value.toFixed(1)}, upper bound ${pick.upper.toFixed(1)})`);
  let option = ctx.stage.options.find((o) => !o.incumbent && o.name === candidate.name);
  if (!option) {
    option = { name: candidate.name, variant: candidate.variant, command: ctx.launchCommand(candidate.variant), incumbent: false };
    ctx.stage.options.push(option);
  }
  // A step an interrupted run began (picked, not measured) is measured now, with the forecast it has now.
  let step = record.steps.find((st) => st.candidate === candidate.name && st.measured === undefined && st.crashed === undefined);
  if (step) Object.assign(step, { forecast: pick.value, upper: pick.upper });
  else record.steps.push((step = { candidate: candidate.name, forecast: pick.value, upper: pick.upper, gpuSeconds: 0 }));
  await ctx.save(record);
  record.gpuSeconds -= step.gpuSeconds;
  step.gpuSeconds = await ctx.measure(option);
  record.gpuSeconds += step.gpuSeconds;
  const outcome = option.outcome;
  if (outcome?.kind === 'measured' || outcome?.kind === 'violates-constraints') step.measured = outcome.objective.mean;
  if (outcome?.kind === 'crashed') step.crashed = outcome.crash.rootCause;
  await ctx.save(record);
}

interface Final {
  ranked: RankedCandidate[];
  corrections: Corrections;
  noise: number;
  blocked: Map<string, string>;
  points: FitPoint[];
  stop: string;
  forecasts: Map<string, Forecast>;
}

/** The final fit, forecasts and reasons written into the record. */
function finish(record: PredictedSearchRecord, f: Final): void {
  const { corrections, noise } = f;
  record.corrections = {
    memoryTimeScale: corrections.memoryTimeScale,
    engineTimeScale: corrections.engineTimeScale as Record<string, number>,
    residual: Number.isNaN(corrections.residual) ? null : corrections.residual,
    points: corrections.points,
  };
  record.noise = noise;
  record.stopped = f.stop;
  const budgetStop = !f.stop.startsWith('no unmeasured') && !f.stop.startsWith('every candidate');
  for (const c of record.candidates) {
    const forecast = f.forecasts.get(c.name);
    if (forecast) {
      const value = correctedValue(forecast, corrections);
      const sigma = forecastSigma(forecast, corrections);
      c.corrected = { value, low: value * Math.exp(-1.96 * sigma), high: value * Math.exp(1.96 * sigma) };
    }
    const why = f.blocked.get(c.name);
    if (why && !record.steps.some((s) => s.candidate === c.name)) c.skipped = { kind: 'learned-crash', why };
  }
  for (const r of f.ranked) r.candidate.skipped = budgetStop ? { kind: 'budget', why: f.stop } : { kind: 'cannot-win', why: `upper bound ${r.upper.toFixed(1)} (forecast ${r.value.toFixed(1)} ± ${(r.sigma * 100).toFixed(0)}%) within noise of the best measured` };
  // The grid's cost on this host: its forecast, scaled by how the measured candidates' GPU time compared with theirs.
  const timed = record.steps.flatMap((st) => {
    const forecastS = record.candidates.find((c) => c.name === st.candidate)?.predictedGpuSeconds;
    return st.measured !== undefined && forecastS ? [{ measured: st.gpuSeconds, forecast: forecastS }] : [];
  });
  const scale = timed.length > 0 ? timed.reduce((a, t) => a + t.measured, 0) / timed.reduce((a, t) => a + t.forecast, 0) : 1;
  record.gridGpuSeconds = record.gridGpuSecondsForecast * scale;
  const before = f.points.map((p) => ({ forecast: p.forecast.value, measured: p.measured }));
  const after = f.points.map((p) => ({ forecast: correctedValue(p.forecast, corrections), measured: p.measured }));
  const outOfSample = record.steps.flatMap((s) => (s.measured !== undefined ? [{ forecast: s.forecast, measured: s.measured }] : []));
  const set = (key: 'errorBeforePct' | 'errorAfterPct' | 'errorOutOfSamplePct', v: number | undefined) => (v === undefined ? delete record[key] : (record[key] = v));
  set('errorBeforePct', meanAbsPctError(before));
  set('errorAfterPct', meanAbsPctError(after));
  set('errorOutOfSamplePct', meanAbsPctError(outOfSample));
}
