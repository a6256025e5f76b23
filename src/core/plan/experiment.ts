// Experiments (design doc §3): a tuning plan's run as stored: its stages, curves, search and recommendation.
import { z } from 'zod';
import { EngineVariant } from './variant';
import { Crash, HostFacts } from './results';
import { ObjectiveMetric, STAGE_KINDS, TuningPlan } from './tuningPlan';
import { CapacitySlo, LoadAxis, Workload } from './workload';

export const ObjectiveSummary = z.object({
  metric: ObjectiveMetric,
  mean: z.number(),
  /** Sample standard deviation over repeats; absent with one repeat. */
  stdev: z.number().nonnegative().optional(),
  n: z.number().int().positive(),
});
export type ObjectiveSummary = z.infer<typeof ObjectiveSummary>;

export const OptionOutcome = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('measured'), resultIds: z.array(z.string()).min(1), objective: ObjectiveSummary }),
  z.object({ kind: z.literal('crashed'), crash: Crash }),
  z.object({ kind: z.literal('violates-constraints'), resultIds: z.array(z.string()), objective: ObjectiveSummary, violations: z.array(z.string()) }),
  z.object({ kind: z.literal('skipped'), why: z.string() }),
]);
export type OptionOutcome = z.infer<typeof OptionOutcome>;

export const OptionRecord = z.object({
  name: z.string(),
  variant: EngineVariant,
  /** The exact launch command, as the user would type it. */
  command: z.string(),
  engineRunId: z.string().optional(),
  /** True when this option is the incumbent carried in from the previous stage (measured there, not again). */
  incumbent: z.boolean().default(false),
  outcome: OptionOutcome.optional(),
});
export type OptionRecord = z.infer<typeof OptionRecord>;

export const StageDecision = z.object({
  winner: z.string(),
  /** Relative gain of the winner over the incumbent, in percent; 0 when the incumbent stays. */
  gainPct: z.number(),
  withinNoise: z.boolean(),
  why: z.string(),
});
export type StageDecision = z.infer<typeof StageDecision>;

export const StageRecord = z.object({
  name: z.string(),
  kind: z.enum(STAGE_KINDS),
  options: z.array(OptionRecord),
  decision: StageDecision.optional(),
});
export type StageRecord = z.infer<typeof StageRecord>;

export const GeneralizationRecord = z.object({
  workload: Workload,
  baselineResultIds: z.array(z.string()),
  recommendedResultIds: z.array(z.string()),
});

/** One point of a curve as the experiment records it (the result holds the full metrics). */
export const CurvePoint = z.object({
  value: z.union([z.number().positive(), z.literal('inf')]),
  index: z.number().int().nonnegative(),
  resultId: z.string().optional(),
  /** Why the search ran it. */
  role: z.enum(['sweep', 'saturated', 'bracket', 'bisect', 'repeat']),
  meetsSlo: z.boolean().optional(),
  breaks: z.array(z.string()).default([]),
  saturated: z.array(z.string()).optional(),
  /** Key figures of the steady-state window (vLLM's key names; `request_throughput` is the achieved req/s). */
  metrics: z.record(z.string(), z.number()),
});
export type CurvePoint = z.infer<typeof CurvePoint>;

/** A variant's curve on one workload: its points in run order, and what they say about capacity. */
export const CurveRecord = z.object({
  stage: z.string(),
  option: z.string(),
  workload: z.string(),
  mode: z.enum(['sweep', 'capacity']),
  by: LoadAxis,
  slo: CapacitySlo.optional(),
  gpus: z.number().int().positive(),
  points: z.array(CurvePoint),
  capacity: z
    .object({
      /** The largest load (req/s offered, or concurrency) that met the SLO. */
      load: z.number().positive(),
      /** Achieved requests per second at that load (mean over its repeats), and per GPU. */
      requestRate: z.number().nonnegative(),
      perGpu: z.number().nonnegative(),
    })
    .optional(),
  /** The smallest load measured above the capacity that broke the SLO, and the limit it broke most. */
  breaksAt: z.object({ load: z.union([z.number().positive(), z.literal('inf')]), limit: z.string(), breaks: z.array(z.string()) }).optional(),
  /** Why the curve ended before it was complete (budget, max_points, no load met the SLO). */
  stoppedEarly: z.string().optional(),
});
export type CurveRecord = z.infer<typeof CurveRecord>;

/** The predicted search's record (issue 14): every candidate with its forecast, what was measured, what was skipped and why. */
export const SearchCandidateRecord = z.object({
  name: z.string(),
  variant: EngineVariant,
  gpus: z.number().int().positive(),
  /** The simulator's forecast of the objective, before any host correction; absent when it was not predicted. */
  predicted: z.number().nonnegative().optional(),
  /** Predicted GPU-seconds of measuring it (launch and benchmarks, × its GPUs): what a grid would spend on it. */
  predictedGpuSeconds: z.number().nonnegative().optional(),
  /** After the final fit: the corrected forecast and its ~95% interval. */
  corrected: z.object({ value: z.number(), low: z.number(), high: z.number() }).optional(),
  /** The launch equals the baseline's: measured there. */
  baseline: z.boolean().optional(),
  /** Why it was not measured. */
  skipped: z
    .object({
      kind: z.enum(['does-not-fit', 'same-launch', 'not-applicable', 'predicted-crash', 'learned-crash', 'cannot-win', 'budget']),
      why: z.string(),
    })
    .optional(),
});
export type SearchCandidateRecord = z.infer<typeof SearchCandidateRecord>;

export const SearchStepRecord = z.object({
  candidate: z.string(),
  /** The corrected forecast and its upper bound when the search picked it (before it was measured). */
  forecast: z.number(),
  upper: z.number(),
  measured: z.number().optional(),
  crashed: z.string().optional(),
  gpuSeconds: z.number().nonnegative().default(0),
});
export type SearchStepRecord = z.infer<typeof SearchStepRecord>;

export const SearchCorrections = z.object({
  memoryTimeScale: z.number().positive(),
  engineTimeScale: z.record(z.string(), z.number().positive()),
  /** Log-scale residual after the fit (null while too few points). */
  residual: z.number().nullable(),
  points: z.number().int().nonnegative(),
});
export type SearchCorrections = z.infer<typeof SearchCorrections>;

export const PredictedSearchRecord = z.object({
  metric: ObjectiveMetric,
  workload: z.string(),
  /** The GPUs forecasts were made for. */
  gpu: z.string(),
  gpuCount: z.number().int().positive(),
  candidates: z.array(SearchCandidateRecord),
  steps: z.array(SearchStepRecord).default([]),
  corrections: SearchCorrections.optional(),
  /** Relative run-to-run noise the stop rule allowed (0.02 = 2%). */
  noise: z.number().nonnegative().optional(),
  /** Mean absolute error of the simulator's forecasts over the measured candidates, before and after the host fit. */
  errorBeforePct: z.number().optional(),
  /** Of each forecast made just before its candidate was measured (corrected by the measurements before it). */
  errorOutOfSamplePct: z.number().optional(),
  errorAfterPct: z.number().optional(),
  gpuSeconds: z.number().nonnegative().default(0),
  /** Forecast GPU-seconds of measuring every candidate that fits the host (a grid). */
  gridGpuSecondsForecast: z.number().nonnegative(),
  /** The same, scaled by how long the measured candidates took on the host against their forecasts. */
  gridGpuSeconds: z.number().nonnegative(),
  stopped: z.string().optional(),
});
export type PredictedSearchRecord = z.infer<typeof PredictedSearchRecord>;

export const Experiment = z.object({
  schemaVersion: z.literal(1),
  id: z.string().min(1),
  planPath: z.string().optional(),
  plan: TuningPlan,
  host: HostFacts,
  status: z.enum(['running', 'completed', 'interrupted', 'failed']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  baseline: OptionRecord,
  stages: z.array(StageRecord),
  generalization: z.array(GeneralizationRecord).default([]),
  /** Every load curve measured (load sweeps and capacity searches), in order. */
  curves: z.array(CurveRecord).default([]),
  recommendation: z.object({ variant: EngineVariant, command: z.string(), why: z.string() }).optional(),
  /** The predicted search's forecasts, fit and choices (strategy "predicted"). */
  search: PredictedSearchRecord.optional(),
  /** Every engine launch this experiment made, so a resume can stop one an interrupted run left behind. */
  engineRunIds: z.array(z.string()).default([]),
  /** Facts a reader must know about the whole experiment (budget used up, simulated at speedup K, resumed). */
  notes: z.array(z.string()).default([]),
  error: z.string().optional(),
});
export type Experiment = z.infer<typeof Experiment>;