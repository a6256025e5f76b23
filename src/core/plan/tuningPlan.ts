// Tuning plans (design doc §3): a baseline, stages or a search space, workloads, the objective and the budget.
import { z } from 'zod';
import { oneOf, positiveInt, text } from './fields';
import { SearchSpace, VariantPatch } from './variant';
import { LoadPlan, Runner, WorkloadSpec } from './workload';

export const STAGE_KINDS = ['engine', 'quantization', 'parallelism', 'attention-backend', 'cuda-graph', 'batching', 'other'] as const;

export const StageOption = z
  .strictObject({
    name: text('an option name'),
    /** A whole variant (model defaults to the plan's). */
    variant: VariantPatch.optional(),
    /** Changes applied to the stage's incumbent (the best so far). */
    patch: VariantPatch.optional(),
    /** A pasted serve command line, parsed into a variant. */
    command: text('a serve command line').optional(),
  })
  .refine((o) => [o.variant, o.patch, o.command].filter((x) => x !== undefined).length === 1, {
    error: 'an option needs exactly one of "variant", "patch" or "command"',
  })
  .refine((o) => o.variant === undefined || o.variant.engine !== undefined, {
    error: 'a whole "variant" option needs "engine" (use "patch" to change the incumbent)',
  });
export type StageOption = z.infer<typeof StageOption>;

export const Stage = z.strictObject({
  name: text('a stage name'),
  kind: oneOf(STAGE_KINDS).default('other'),
  note: z.string().optional(),
  options: z.array(StageOption).min(1, { error: 'a stage needs at least one option' }),
});
export type Stage = z.infer<typeof Stage>;

export const OBJECTIVE_METRICS = [
  'total_token_throughput',
  'output_throughput',
  'request_throughput',
  'total_token_throughput_per_gpu',
  'output_throughput_per_gpu',
  'goodput',
  'goodput_per_gpu',
  'slo_capacity',
  'slo_capacity_per_gpu',
] as const;
export const ObjectiveMetric = oneOf(OBJECTIVE_METRICS);
export type ObjectiveMetric = z.infer<typeof ObjectiveMetric>;

export const Slo = z.strictObject({
  ttftMs: z.number().positive().optional(),
  tpotMs: z.number().positive().optional(),
  e2elMs: z.number().positive().optional(),
});

export const Objective = z
  .strictObject({
    metric: ObjectiveMetric.default('total_token_throughput'),
    /** Goodput SLOs (DistServe): a request counts when every given limit holds. */
    slo: Slo.optional(),
  })
  .refine((o) => o.metric !== 'goodput' || (o.slo !== undefined && Object.keys(o.slo).length > 0), {
    error: 'objective "goodput" needs "slo" with at least one of ttftMs, tpotMs, e2elMs',
  });
export type Objective = z.infer<typeof Objective>;

export const Constraint = z
  .strictObject({
    /** A result metric key as vLLM names it, e.g. "p99_tpot_ms" or "mean_ttft_ms". */
    metric: z.string().regex(/^[a-z0-9_.]+$/, { error: 'expected a metric key such as "p99_tpot_ms"' }),
    max: z.number().optional(),
    min: z.number().optional(),
  })
  .refine((c) => c.max !== undefined || c.min !== undefined, { error: 'a constraint needs "max" or "min"' });
export type Constraint = z.infer<typeof Constraint>;



export const TuningPlan = z.strictObject({
  name: text('a plan name'),
  description: z.string().optional(),
  host: text('a host name').default('sim'),
  /** A pool: independent measurements (a stage's options, grid points) run on these hosts in parallel; wins over `host`. */
  hosts: z.array(text('a host name')).min(1, { error: 'a pool needs at least one host' }).optional(),
  /** Pool: mix hosts that differ in GPU model/count, driver or engine versions, labelling every result with its host. */
  allowMixed: z.boolean().optional(),
  /** A host with more GPUs than a variant needs may run two variants side by side on disjoint GPUs; off: one engine per host (the default). */
  shareGpus: z.boolean().optional(),
  model: text('a model id such as "zai-org/GLM-4.5-Air"'),
  baseline: z.union([VariantPatch, z.strictObject({ command: text('a serve command line') })]),
  stages: z.array(Stage).default([]),
  workloads: z.strictObject({
    primary: WorkloadSpec,
    generalization: z.array(WorkloadSpec).default([]),
  }),
  /** Plan-wide load plan (a workload's own `load` wins): a sweep, or a capacity search under an SLO. */
  load: LoadPlan.optional(),
  objective: z.union([ObjectiveMetric, Objective]).default('total_token_throughput'),
  constraints: z.array(Constraint).default([]),
  repeats: positiveInt().default(1),
  runner: Runner.default('vllm-bench'),
  /** Candidates the predicted search (or a grid) chooses from, instead of stages. */
  space: SearchSpace.optional(),
  budget: z
    .strictObject({
      maxRuns: positiveInt().optional(),
      maxHours: z.number().positive().optional(),
      /** GPU-hours of launches and benchmarks (time × GPUs of each variant) the search may spend. */
      maxGpuHours: z.number().positive().optional(),
    })
    .default({}),
  /** Default: "predicted" for a plan with a space, else "staged". */
  strategy: oneOf(['staged', 'grid', 'predicted'] as const).optional(),
  /** Simulated hosts only: run the simulated engines this many times faster than real time (ignored on real hosts). */
  simulator: z.strictObject({ speedup: z.number().positive() }).optional(),
}).superRefine((plan, ctx) => {
  checkSearchSpace(plan, ctx);
  const metric = typeof plan.objective === 'string' ? plan.objective : plan.objective.metric;
  if (metric !== 'slo_capacity' && metric !== 'slo_capacity_per_gpu') return;
  const primary = plan.workloads.primary;
  const load = (typeof primary === 'object' ? primary.load : undefined) ?? plan.load;
  if (!load || ('sweep' in load && !load.sweep.slo)) {
    ctx.addIssue({
      code: 'custom',
      path: ['objective'],
      message: `objective "${metric}" needs a load plan with an SLO on the primary workload: add "load: {capacity: {slo: {p99_ttft_ms: 2000, p99_tpot_ms: 100}}}" to the plan or to workloads.primary`,
    });
  }
});
export type TuningPlan = z.infer<typeof TuningPlan>;

/** The strategy a plan runs: its own, else "predicted" when it names a space, else "staged". */
export function planStrategy(plan: Pick<TuningPlan, 'strategy' | 'space'>): 'staged' | 'grid' | 'predicted' {
  return plan.strategy ?? (plan.space ? 'predicted' : 'staged');
}

function checkSearchSpace(plan: Pick<TuningPlan, 'strategy' | 'space' | 'stages' | 'objective' | 'workloads' | 'load'>, ctx: z.RefinementCtx): void {
  const strategy = planStrategy(plan);
  if (plan.space && plan.stages.length > 0) ctx.addIssue({ code: 'custom', path: ['space'], message: 'a plan searches either "stages" or a "space", not both: remove one' });
  if (plan.space && strategy === 'staged') ctx.addIssue({ code: 'custom', path: ['strategy'], message: 'a space is searched with strategy "predicted" (or "grid" to measure every candidate); "staged" needs stages' });
  if (strategy !== 'predicted') return;
  if (!plan.space) {
    ctx.addIssue({ code: 'custom', path: ['strategy'], message: 'strategy "predicted" needs a "space", e.g. space: {engine: [vllm, sglang], batching: [{}, {maxNumSeqs: 512}]}' });
    return;
  }
  const metric = typeof plan.objective === 'string' ? plan.objective : plan.objective.metric;
  const primary = plan.workloads.primary;
  const load = (typeof primary === 'object' ? primary.load : undefined) ?? plan.load;
  if (metric === 'slo_capacity' || metric === 'slo_capacity_per_gpu') {
    // The search forecasts each candidate's capacity search; a sweep's capacity depends on the rates it lists.
    if (load && !('capacity' in load && load.capacity.by === 'request_rate')) {
      ctx.addIssue({ code: 'custom', path: ['load'], message: `strategy "predicted" forecasts objective "${metric}" from a capacity search by request rate: use load: {capacity: {slo: {…}, by: request_rate}} (or strategy "grid" for a sweep or a search by concurrency)` });
    }
  } else if (load) {
    ctx.addIssue({ code: 'custom', path: ['load'], message: `strategy "predicted" measures objective "${metric}" with one benchmark per candidate; a load plan (sweep or capacity) needs objective slo_capacity or strategy "grid" over the space` });
  }
}
export type TuningPlanInput = z.input<typeof TuningPlan>;
