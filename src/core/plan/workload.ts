// Workloads (design doc §3): the dataset and load a benchmark sends, and load plans (sweeps, capacity under an SLO).
import { z } from 'zod';
import { describeInput, nonNegativeInt, oneOf, positiveInt, positiveNumber, text } from './fields';

export const Dataset = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('sharegpt'),
      /** A ShareGPT-format JSON file; absent = the bundled synthetic ShareGPT-like file. */
      path: text('a file path').optional(),
    }),
    z.strictObject({
      kind: z.literal('random'),
      inputLen: positiveInt(),
      outputLen: positiveInt(),
      rangeRatio: z.number().min(0).max(1).default(0),
      prefixLen: nonNegativeInt().default(0),
    }),
    z.strictObject({ kind: z.literal('replay'), path: text('a JSONL file path') }),
  ],
  { error: (iss) => `expected a dataset with kind "sharegpt", "random" or "replay", got ${describeInput(iss.input)}` },
);
export type Dataset = z.infer<typeof Dataset>;

export const RUNNERS = ['vllm-bench', 'sglang-bench', 'native'] as const;
export const Runner = oneOf(RUNNERS);
export type Runner = z.infer<typeof Runner>;


const requestRate = z.union([positiveNumber('a positive number of requests per second or "inf"'), z.literal('inf')], {
  error: (iss) => `expected a positive number of requests per second or "inf", got ${describeInput(iss.input)}`,
});

const backendName = oneOf(['openai-chat', 'openai'] as const);
const endpointPath = text('an endpoint path such as "/v1/chat/completions"');

// ---------------------------------------------------------------- load plans and SLO capacity (issue 13)

export const LOAD_AXES = ['request_rate', 'concurrency'] as const;
export const LoadAxis = oneOf(LOAD_AXES);
export type LoadAxis = z.infer<typeof LoadAxis>;

/** Latency limits of a capacity search (ms, over the point's steady-state window) and the share of requests that must succeed. */
export const CapacitySlo = z
  .strictObject({
    p99_ttft_ms: positiveNumber('a limit in milliseconds').optional(),
    p99_tpot_ms: positiveNumber('a limit in milliseconds').optional(),
    p99_itl_ms: positiveNumber('a limit in milliseconds').optional(),
    p99_e2el_ms: positiveNumber('a limit in milliseconds').optional(),
    min_success: z.number().gt(0).max(1).default(0.99),
  })
  .refine((s) => s.p99_ttft_ms !== undefined || s.p99_tpot_ms !== undefined || s.p99_itl_ms !== undefined || s.p99_e2el_ms !== undefined, {
    error: 'an slo needs at least one of p99_ttft_ms, p99_tpot_ms, p99_itl_ms, p99_e2el_ms',
  });
export type CapacitySlo = z.infer<typeof CapacitySlo>;

/** "5%" or 0.05: a relative width. */
const fractionError = (iss: { input?: unknown }) => `expected a percentage such as "5%" (or a fraction such as 0.05), got ${describeInput(iss.input)}`;
const fraction = z.union([z.number().gt(0, { error: fractionError }).lt(1, { error: fractionError }), z.string().regex(/^\d+(\.\d+)?%$/, { error: fractionError })], { error: fractionError });
export function fractionValue(value: number | string): number {
  return typeof value === 'number' ? value : Number(value.slice(0, -1)) / 100;
}

/** How long each load point runs: the warm-up (excluded from its metrics) and the steady-state window after it, in seconds. */
const PointWindow = z.strictObject({
  warmup_s: z.number().nonnegative().default(15),
  window_s: positiveNumber('seconds').default(60),
});

export const LoadSweep = z
  .strictObject({
    request_rates: z.array(requestRate).min(1, { error: 'expected at least one request rate' }).optional(),
    concurrencies: z.array(positiveInt('a concurrency')).min(1, { error: 'expected at least one concurrency' }).optional(),
    /** Optional: marks each point against these limits and reads the capacity off the curve. */
    slo: CapacitySlo.optional(),
    point: PointWindow.optional(),
  })
  .refine((s) => (s.request_rates === undefined) !== (s.concurrencies === undefined), { error: 'a sweep needs exactly one of "request_rates" or "concurrencies"' });
export type LoadSweep = z.infer<typeof LoadSweep>;

export const CapacitySearch = z.strictObject({
  slo: CapacitySlo,
  by: LoadAxis.default('request_rate'),
  /** The search stops when the bracket is this narrow, relative to its lower end. */
  tolerance: fraction.default('5%'),
  /** First load to try; default: the simulator's prediction on simulated hosts, else the saturated throughput. */
  start: positiveNumber('a limit in milliseconds').optional(),
  /** Most points one search may run (the budget of the plan also applies). */
  max_points: positiveInt().default(12),
  point: PointWindow.optional(),
});
export type CapacitySearch = z.infer<typeof CapacitySearch>;

export const LoadPlan = z.union([z.strictObject({ sweep: LoadSweep }), z.strictObject({ capacity: CapacitySearch })], {
  error: (iss) => `expected a load plan {sweep: {request_rates: […]}} or {capacity: {slo: {…}}}, got ${describeInput(iss.input)}`,
});
export type LoadPlan = z.infer<typeof LoadPlan>;
export type LoadPlanInput = z.input<typeof LoadPlan>;

/** A fully specified workload, as stored with each result. */
export const Workload = z.strictObject({
  name: text(),
  dataset: Dataset,
  numPrompts: positiveInt(),
  requestRate: requestRate.default('inf'),
  burstiness: z.number().positive().default(1),
  maxConcurrency: positiveInt().optional(),
  seed: z.number().int().default(0),
  backend: backendName.default('openai-chat'),
  endpoint: endpointPath.default('/v1/chat/completions'),
  ignoreEos: z.boolean().optional(),
  numWarmups: nonNegativeInt().default(0),
});
export type Workload = z.infer<typeof Workload>;
export type WorkloadInput = z.input<typeof Workload>;

/** What a plan may say: a preset id, or a preset with overrides (no defaults here, so a preset's values survive). */
export const WorkloadSpec = z.union(
  [
    text('a workload preset id'),
    z
      .strictObject({
        preset: text('a workload preset id').optional(),
        name: text().optional(),
        dataset: Dataset.optional(),
        numPrompts: positiveInt().optional(),
        requestRate: requestRate.optional(),
        burstiness: z.number().positive().optional(),
        maxConcurrency: positiveInt().optional(),
        seed: z.number().int().optional(),
        backend: backendName.optional(),
        endpoint: endpointPath.optional(),
        ignoreEos: z.boolean().optional(),
        numWarmups: nonNegativeInt().optional(),
        load: LoadPlan.optional(),
      })
      .refine((w) => w.preset !== undefined || (w.dataset !== undefined && w.numPrompts !== undefined), {
        error: 'a workload needs "preset", or both "dataset" and "numPrompts"',
      }),
  ],
  { error: (iss) => `expected a workload preset id or a workload mapping, got ${describeInput(iss.input)}` },
);
export type WorkloadSpec = z.input<typeof WorkloadSpec>;
