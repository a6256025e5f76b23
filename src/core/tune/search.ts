// The search's decisions (design doc §8): the objective, constraints, repeat statistics, the noise rule, each stage's
// winner, the options of a stage or a grid, and budgets. Pure functions: no host, no clock.
import type {
  BenchmarkMetrics,
  Constraint,
  EngineVariant,
  ObjectiveMetric,
  ObjectiveSummary,
  OptionOutcome,
  StageDecision,
  StageOption,
  TuningPlan,
  VariantPatch,
} from '../plan/schema';
import { EngineVariant as EngineVariantSchema } from '../plan/schema';

/** Without repeats there is no measured spread; a gain below this is treated as run-to-run noise. */
export const DEFAULT_NOISE_PCT = 2;

export function objectiveMetric(plan: Pick<TuningPlan, 'objective'>): ObjectiveMetric {
  return typeof plan.objective === 'string' ? plan.objective : plan.objective.metric;
}

/** The result metric an objective reads (before any division by the variant's GPUs); capacity is read off a curve. */
export function objectiveKey(metric: Exclude<ObjectiveMetric, 'slo_capacity' | 'slo_capacity_per_gpu'>): 'request_goodput' | 'total_token_throughput' | 'output_throughput' | 'request_throughput' {
  if (metric === 'goodput' || metric === 'goodput_per_gpu') return 'request_goodput';
  if (metric === 'total_token_throughput_per_gpu') return 'total_token_throughput';
  if (metric === 'output_throughput_per_gpu') return 'output_throughput';
  return metric;
}

/** The unit an objective is in: tokens or requests per second, per GPU for a `_per_gpu` objective. */
export function objectiveUnit(metric: ObjectiveMetric): string {
  const rate = metric.startsWith('total_token') || metric.startsWith('output_throughput') ? 'tok/s' : 'req/s';
  return metric.endsWith('_per_gpu') ? `${rate} per GPU` : rate;
}

/** An objective as a heading reads it: "slo capacity per gpu (req/s per GPU)". */
export function objectiveLabel(metric: ObjectiveMetric): string {
  return `${metric.replace(/_/g, ' ').replace(/\bslo\b/, 'SLO').replace(/\bgpu\b/, 'GPU')} (${objectiveUnit(metric)})`;
}

/** The objective's value in one result, per GPU of the variant for a `_per_gpu` objective; goodput needs the runner to have measured `request_goodput`. */
export function objectiveValue(metrics: BenchmarkMetrics, metric: ObjectiveMetric, gpus = 1): number {
  if (metric === 'slo_capacity' || metric === 'slo_capacity_per_gpu') {
    throw new Error(`objective "${metric}" is read from a load curve; give the primary workload a load plan with an slo`);
  }
  const value = metrics[objectiveKey(metric)];
  if (value === undefined || value === null) throw new Error(`objective "${metric}" needs request_goodput in the result; the runner passes --goodput from the plan's slo`);
  return metric.endsWith('_per_gpu') ? value / gpus : value;
}

export function summarize(metric: ObjectiveMetric, values: readonly number[]): ObjectiveSummary {
  if (values.length === 0) throw new Error('cannot summarize zero measurements');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const summary: ObjectiveSummary = { metric, mean, n: values.length };
  if (values.length > 1) {
    // Sample standard deviation: repeats are a sample of the run-to-run distribution.
    const ss = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
    summary.stdev = Math.sqrt(ss / (values.length - 1));
  }
  return summary;
}

/** Constraint violations of the repeats' mean, as sentences ("p99_tpot_ms 2061.6 > max 200"). */
export function constraintViolations(metricsOfRepeats: readonly BenchmarkMetrics[], constraints: readonly Constraint[]): string[] {
  const violations: string[] = [];
  for (const c of constraints) {
    const values = metricsOfRepeats.map((m) => m[c.metric]).filter((v): v is number => typeof v === 'number');
    if (values.length === 0) {
      violations.push(`${c.metric} was not measured (check the metric name; the runner records ttft, tpot, itl and e2el percentiles)`);
      continue;
    }
    const value = values.reduce((a, b) => a + b, 0) / values.length;
    if (c.max !== undefined && value > c.max) violations.push(`${c.metric} ${round(value)} > max ${c.max}`);
    if (c.min !== undefined && value < c.min) violations.push(`${c.metric} ${round(value)} < min ${c.min}`);
  }
  return violations;
}

/** The outcome of a measured option: measured, or measured but outside the constraints. */
export function measuredOutcome(
  resultIds: string[],
  metricsOfRepeats: readonly BenchmarkMetrics[],
  plan: Pick<TuningPlan, 'objective' | 'constraints'>,
  gpus = 1,
): OptionOutcome {
  const metric = objectiveMetric(plan);
  return outcomeOf(resultIds, summarize(metric, metricsOfRepeats.map((m) => objectiveValue(m, metric, gpus))), metricsOfRepeats, plan);
}

/** The outcome from an objective already summarized (e.g. read off a load curve) and the metrics that define it. */
export function outcomeOf(resultIds: string[], objective: ObjectiveSummary, definingMetrics: readonly BenchmarkMetrics[], plan: Pick<TuningPlan, 'constraints'>): OptionOutcome {
  const violations = constraintViolations(definingMetrics, plan.constraints);
  return violations.length > 0 ? { kind: 'violates-constraints', resultIds, objective, violations } : { kind: 'measured', resultIds, objective };
}

/**
 * Whether a gain is inside run-to-run noise. With repeats on both sides: the difference of means is within two
 * standard errors of the difference (about a 95% interval). Otherwise: below DEFAULT_NOISE_PCT.
 */
export function withinNoise(incumbent: ObjectiveSummary, challenger: ObjectiveSummary): { within: boolean; thresholdPct: number; measured: boolean } {
  const diff = challenger.mean - incumbent.mean;
  if (incumbent.stdev !== undefined && challenger.stdev !== undefined && incumbent.mean !== 0) {
    const se = Math.sqrt((incumbent.stdev * incumbent.stdev) / incumbent.n + (challenger.stdev * challenger.stdev) / challenger.n);
    const thresholdPct = ((2 * se) / Math.abs(incumbent.mean)) * 100;
    return { within: Math.abs(diff) <= 2 * se, thresholdPct, measured: true };
  }
  const pct = incumbent.mean === 0 ? Infinity : (Math.abs(diff) / Math.abs(incumbent.mean)) * 100;
  return { within: pct < DEFAULT_NOISE_PCT, thresholdPct: DEFAULT_NOISE_PCT, measured: false };
}

export interface Contender {
  name: string;
  outcome: OptionOutcome;
}

/**
 * Picks a stage's winner: the option with the best objective mean among those that ran and respect the
 * constraints; it replaces the incumbent only when strictly better (or when the incumbent breaks a constraint).
 */
export function decideStage(incumbent: Contender, options: readonly Contender[]): StageDecision {
  const unit = (s: ObjectiveSummary) => `${round(s.mean)}${s.stdev !== undefined ? ` ± ${round(s.stdev)}` : ''}`;
  const valid = options.filter((o): o is Contender & { outcome: { kind: 'measured' } & OptionOutcome } => o.outcome.kind === 'measured' && o.name !== incumbent.name);
  const best = valid.reduce<(typeof valid)[number] | undefined>((a, b) => (!a || b.outcome.objective.mean > a.outcome.objective.mean ? b : a), undefined);
  const skippedWhy = options
    .filter((o) => o.outcome.kind !== 'measured')
    .map((o) => `${o.name}: ${o.outcome.kind === 'crashed' ? `crashed (${o.outcome.crash.rootCause})` : o.outcome.kind === 'violates-constraints' ? `violates ${o.outcome.violations.join(', ')}` : o.outcome.kind === 'skipped' ? `skipped (${o.outcome.why})` : ''}`);
  const tail = skippedWhy.length > 0 ? ` Not eligible: ${skippedWhy.join('; ')}.` : '';

  const inc = incumbent.outcome;
  if (inc.kind !== 'measured' && inc.kind !== 'violates-constraints') {
    if (!best) return { winner: incumbent.name, gainPct: 0, withinNoise: false, why: `No option produced a usable measurement; ${incumbent.name} stays.${tail}` };
    return { winner: best.name, gainPct: 0, withinNoise: false, why: `${incumbent.name} has no measurement; ${best.name} (${unit(best.outcome.objective)}) is the best option that ran.${tail}` };
  }
  if (!best) return { winner: incumbent.name, gainPct: 0, withinNoise: false, why: `No option beat ${incumbent.name} (${unit(inc.objective)}).${tail}` };
  const gainPct = ((best.outcome.objective.mean - inc.objective.mean) / inc.objective.mean) * 100;
  const noise = withinNoise(inc.objective, best.outcome.objective);
  const noiseText = noise.measured ? `the measured run-to-run spread (±${noise.thresholdPct.toFixed(1)}%)` : `${DEFAULT_NOISE_PCT}% (no repeats, so no measured spread)`;
  if (inc.kind === 'violates-constraints') {
    return {
      winner: best.name,
      gainPct,
      withinNoise: noise.within,
      why: `${incumbent.name} violates ${inc.violations.join(', ')}; ${best.name} (${unit(best.outcome.objective)}) is the best option within the constraints.${tail}`,
    };
  }
  if (best.outcome.objective.mean <= inc.objective.mean) {
    return {
      winner: incumbent.name,
      gainPct: 0,
      withinNoise: false,
      why: `No option beat ${incumbent.name} (${unit(inc.objective)}); the best, ${best.name}, reached ${unit(best.outcome.objective)} (${signedPct(gainPct)}).${tail}`,
    };
  }
  const noiseNote = noise.within ? ` The gain is within run-to-run noise (below ${noiseText}): treat it as a tie.` : '';
  return {
    winner: best.name,
    gainPct,
    withinNoise: noise.within,
    why: `${best.name} (${unit(best.outcome.objective)}) beats ${incumbent.name} (${unit(inc.objective)}) by ${signedPct(gainPct)}.${noiseNote}${tail}`,
  };
}

export function signedPct(pct: number): string {
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

// ---------------------------------------------------------------- variants

/**
 * Applies a patch: a set key replaces (an object merges its keys into the base's; env and speculative replace the
 * whole setting), `null` removes (back to the engine's default), absent keeps.
 */
export function applyPatch(base: EngineVariant, patch: VariantPatch): EngineVariant {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) {
      delete out[key];
    } else if (typeof value === 'object' && !Array.isArray(value) && key !== 'env' && key !== 'speculative') {
      const nested: Record<string, unknown> = { ...(out[key] as Record<string, unknown> | undefined) };
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined) continue;
        if (v === null) delete nested[k];
        else nested[k] = v;
      }
      out[key] = nested;
    } else {
      out[key] = structuredClone(value);
    }
  }
  return EngineVariantSchema.parse(out);
}

/** The plan's model fills in a whole variant that names none. */
export function wholeVariant(model: string, patch: VariantPatch): EngineVariant {
  if (!patch.engine) throw new Error('a whole variant needs "engine"');
  return applyPatch(EngineVariantSchema.parse({ engine: patch.engine, model }), patch);
}

/** The variant a stage option stands for, given the stage's incumbent; `parseCommand` reads pasted command lines. */
export function optionVariant(option: StageOption, incumbent: EngineVariant, model: string, parseCommand: (line: string) => EngineVariant): EngineVariant {
  if (option.variant) return wholeVariant(model, option.variant);
  if (option.patch) return applyPatch(incumbent, option.patch);
  return parseCommand(option.command!);
}

export function baselineVariant(plan: TuningPlan, parseCommand: (line: string) => EngineVariant): EngineVariant {
  const b = plan.baseline;
  if ('command' in b && typeof b.command === 'string') return parseCommand(b.command);
  return wholeVariant(plan.model, b as VariantPatch);
}

/** JSON with every object's keys sorted: the same text for the same value however it was built. */
export function stableJson(value: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)).map(([k, val]) => [k, sort(val)])) : x;
  return JSON.stringify(sort(value));
}

/** Stable text of a variant, so two options that launch the same thing are measured once. */
export function variantKey(v: EngineVariant): string {
  return stableJson(EngineVariantSchema.parse(v));
}

/**
 * The grid: every combination of one choice per stage, where a stage of patches may also be left out (keep what
 * came before) and a stage of whole variants picks the starting point. Combinations that launch the same variant
 * are listed once, in plan order.
 */
export function gridCombinations(
  plan: TuningPlan,
  base: EngineVariant,
  parseCommand: (line: string) => EngineVariant,
): Array<{ name: string; variant: EngineVariant }> {
  let combos: Array<{ names: string[]; variant: EngineVariant }> = [{ names: [], variant: base }];
  for (const stage of plan.stages) {
    const replacesWhole = stage.options.every((o) => o.variant !== undefined || o.command !== undefined);
    const next: typeof combos = replacesWhole ? [] : [...combos];
    for (const combo of combos) {
      for (const option of stage.options) {
        next.push({ names: [...combo.names, option.name], variant: optionVariant(option, combo.variant, plan.model, parseCommand) });
      }
    }
    combos = next;
  }
  const seen = new Set<string>();
  const out: Array<{ name: string; variant: EngineVariant }> = [];
  for (const c of combos) {
    const key = variantKey(c.variant);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name: c.names.length > 0 ? c.names.join(' + ') : 'baseline', variant: c.variant });
  }
  return out;
}

// ---------------------------------------------------------------- budgets

export interface BudgetState {
  runsDone: number;
  startedAtMs: number;
  nowMs: number;
  /** GPU-seconds the search's measurements took (checked against maxGpuHours). */
  gpuSeconds?: number;
}

/** Why the budget forbids another benchmark run, or undefined when it allows one. */
export function budgetExhausted(plan: Pick<TuningPlan, 'budget'>, state: BudgetState): string | undefined {
  const { maxRuns, maxHours, maxGpuHours } = plan.budget;
  if (maxRuns !== undefined && state.runsDone >= maxRuns) return `budget of ${maxRuns} benchmark runs used up`;
  if (maxGpuHours !== undefined && (state.gpuSeconds ?? 0) >= maxGpuHours * 3600) return `budget of ${maxGpuHours} GPU-hours used up`;
  if (maxHours !== undefined && state.nowMs - state.startedAtMs >= maxHours * 3_600_000) return `budget of ${maxHours} h used up`;
  return undefined;
}
