// Data model of design doc §3. Every schema is strict so a typo in a plan is an error, not a silent default.
import { z } from 'zod';
import { ENV_NAME, envNameProblem } from '../shell/env';
import { sshHostNameProblem, sshUserProblem } from '../shell/names';

/** Describes a value the way a user wrote it, for "got …" in error messages. */
export function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (typeof input === 'string') return JSON.stringify(input);
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (Array.isArray(input)) return 'a list';
  return 'a mapping';
}

const positiveInt = (what = 'a positive integer') =>
  z
    .number({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` })
    .int({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` })
    .positive({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` });

const nonNegativeInt = () =>
  z
    .number({ error: (iss) => `expected a non-negative integer, got ${describeInput(iss.input)}` })
    .int({ error: (iss) => `expected a non-negative integer, got ${describeInput(iss.input)}` })
    .nonnegative({ error: (iss) => `expected a non-negative integer, got ${describeInput(iss.input)}` });

const text = (what = 'a string') =>
  z.string({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` }).min(1, { error: `expected ${what}, got an empty string` });

/**
 * Environment variables for a command on a host. Each name becomes an `env NAME=VALUE` word there, so names are
 * checked on load (the key's position is reported); the JSON Schema carries the pattern for editors.
 */
const envVars = () =>
  z.record(z.string().regex(ENV_NAME), z.string(), {
    error: (iss) => (iss.code === 'invalid_key' ? envNameProblem(String(iss.input)) : undefined),
  });

/** A name ssh connects with: OpenSSH's rules, since it may reach a ProxyCommand's shell as %h, %n or %r. */
const sshName = (what: string, problem: (name: string) => string | undefined) =>
  text(what).superRefine((name, ctx) => {
    const why = problem(name);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (iss) => `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeInput(iss.input)}`,
  });

// ---------------------------------------------------------------- hosts

export const ENGINES = ['vllm', 'sglang', 'trtllm'] as const;
export const EngineName = oneOf(ENGINES);
export type EngineName = z.infer<typeof EngineName>;

/** How one engine is started on a host: a command on PATH / a path, or a docker image. */
export const EngineInstall = z.strictObject({
  /** vllm: path of the `vllm` executable; sglang: the python interpreter; trtllm: `trtllm-serve`. */
  command: text('a command or path').optional(),
  docker: z
    .strictObject({
      image: text('a docker image'),
      extraArgs: z.array(z.string()).default([]),
    })
    .optional(),
  env: envVars().default({}),
});
export type EngineInstall = z.infer<typeof EngineInstall>;

export const SshTransport = z
  .strictObject({
    kind: z.literal('ssh'),
    /** An alias from ~/.ssh/config, resolved the way OpenSSH does. */
    alias: sshName('an ssh config alias', (n) => sshHostNameProblem(n, 'ssh alias')).optional(),
    host: sshName('a host name or address', (n) => sshHostNameProblem(n)).optional(),
    port: positiveInt('a port number').optional(),
    user: sshName('a user name', sshUserProblem).optional(),
    identityFile: text('a key file path').optional(),
    proxyJump: text('a ProxyJump spec such as "bastion" or "user@jump:22"').optional(),
  })
  .refine((t) => t.alias !== undefined || t.host !== undefined, { error: 'an ssh transport needs "alias" or "host"' });

export const LocalTransport = z.strictObject({ kind: z.literal('local') });

export const SimTransport = z.strictObject({
  kind: z.literal('sim'),
  gpu: text('a GPU model such as "A100-SXM4-80GB"').default('A100-SXM4-80GB'),
  count: positiveInt('a GPU count').default(4),
  /** Real-time speedup of the simulated engines; logged and reported so a result is never mistaken for a real one. */
  speedup: z.number().positive().default(1),
  /** A hidden host profile (sim/hostProfile.ts): this host's deviations from the simulator's defaults, for testing searches. */
  profile: text('a host profile file').optional(),
});

/** A word Slurm takes as a name (partition, account, QOS): passed as one argv word, but still no spaces or shell syntax. */
const slurmWord = (what: string, pattern = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/) =>
  z.string({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` }).regex(pattern, { error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` });

/**
 * A Slurm cluster: variants run as batch jobs submitted from the login node (over SSH by `alias`, or this machine
 * when there is none). Every value reaches sbatch as its own argv word, so the patterns only keep out what Slurm
 * itself would reject.
 */
export const SlurmTransport = z.strictObject({
  kind: z.literal('slurm'),
  /** The login node's ssh config alias; absent = this machine submits (it is a login node itself). */
  alias: sshName('an ssh config alias', (n) => sshHostNameProblem(n, 'ssh alias')).optional(),
  partition: slurmWord('a partition name such as "gpu"').optional(),
  account: slurmWord('an account name').optional(),
  qos: slurmWord('a QOS name').optional(),
  /** sbatch --time: minutes, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]. */
  timeLimit: slurmWord('a time limit such as "02:00:00" or "1-00:00:00"', /^(\d+-)?\d+(:\d{1,2}){0,2}$/).default('01:00:00'),
  /** sbatch --gres, e.g. "gpu:4" or "gpu:a100:4". */
  gres: slurmWord('a GRES such as "gpu:4" or "gpu:a100:4"', /^[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*(,[A-Za-z0-9_]+(:[A-Za-z0-9_.-]+)*)*$/),
  /** sbatch --constraint: node features, e.g. "a100&nvlink". */
  constraint: slurmWord('node features such as "a100" or "a100&ib"', /^[A-Za-z0-9_.&|,:*![\]()-]+$/).optional(),
  /** A container the engine runs in: an Apptainer image (*.sif) or an enroot/pyxis image ("nvcr.io#nvidia/vllm:25.09"). */
  container: slurmWord('a container image', /^[A-Za-z0-9_./:@#+~-]+$/).optional(),
  /** Jobs of one plan that may run (or wait) at once. */
  maxParallel: positiveInt('a job count').default(1),
});
export type SlurmTransport = z.infer<typeof SlurmTransport>;

export const Transport = z.discriminatedUnion('kind', [SshTransport, LocalTransport, SimTransport, SlurmTransport], {
  error: (iss) => `expected a transport with kind "ssh", "local", "sim" or "slurm", got ${describeInput(iss.input)}`,
});
export type Transport = z.infer<typeof Transport>;

export const HostSpec = z.strictObject({
  name: text('a host name'),
  transport: Transport,
  engines: z
    .strictObject({
      vllm: EngineInstall.optional(),
      sglang: EngineInstall.optional(),
      trtllm: EngineInstall.optional(),
    })
    .default({}),
  workDir: text('a directory').default('~/.serving-lab'),
});
export type HostSpec = z.infer<typeof HostSpec>;
export type HostSpecInput = z.input<typeof HostSpec>;

// ---------------------------------------------------------------- engine variants

/** Names that hold credentials; their values would otherwise be stored with every result and launch command. */
const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|CREDENTIAL)/i;

/** Engine environment variables. Secrets are refused: the engine inherits them from the host's own environment. */
const engineEnv = envVars().superRefine((env, ctx) => {
  for (const name of Object.keys(env)) {
    if (SECRET_ENV_NAME.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `${name} looks like a secret: do not put it in a variant (it would be saved with every result); set it in the host's environment instead, where the engine inherits it`,
      });
    }
  }
});

export const EngineVariant = z.strictObject({
  engine: EngineName,
  model: text('a model id or path such as "zai-org/GLM-4.5-Air"'),
  servedModelName: text().optional(),
  parallel: z
    .strictObject({
      tp: positiveInt().default(1),
      pp: positiveInt().default(1),
      dp: positiveInt().default(1),
      ep: positiveInt().default(1),
    })
    .default({ tp: 1, pp: 1, dp: 1, ep: 1 }),
  quantization: text().optional(),
  kvCacheDtype: text().optional(),
  attentionBackend: text().optional(),
  maxModelLen: positiveInt().optional(),
  cudaGraph: z
    .strictObject({
      maxBatchSize: positiveInt().optional(),
      disabled: z.boolean().optional(),
    })
    .default({}),
  batching: z
    .strictObject({
      maxNumSeqs: positiveInt().optional(),
      maxNumBatchedTokens: positiveInt().optional(),
      chunkedPrefillSize: positiveInt().optional(),
      memFraction: z.number().gt(0).max(1).optional(),
    })
    .default({}),
  parsers: z
    .strictObject({
      toolCall: text().optional(),
      reasoning: text().optional(),
    })
    .default({}),
  extraArgs: z.array(z.string()).default([]),
  env: engineEnv.default({}),
});
export type EngineVariant = z.infer<typeof EngineVariant>;
export type EngineVariantInput = z.input<typeof EngineVariant>;

/** A partial variant merged onto another (a stage option's patch, or a whole option merged onto the plan's model). */
export const VariantPatch = z.strictObject({
  engine: EngineName.optional(),
  model: text().optional(),
  servedModelName: text().optional(),
  parallel: z
    .strictObject({ tp: positiveInt().optional(), pp: positiveInt().optional(), dp: positiveInt().optional(), ep: positiveInt().optional() })
    .optional(),
  quantization: text().nullable().optional(),
  kvCacheDtype: text().nullable().optional(),
  attentionBackend: text().nullable().optional(),
  maxModelLen: positiveInt().nullable().optional(),
  cudaGraph: z.strictObject({ maxBatchSize: positiveInt().nullable().optional(), disabled: z.boolean().nullable().optional() }).optional(),
  batching: z
    .strictObject({
      maxNumSeqs: positiveInt().nullable().optional(),
      maxNumBatchedTokens: positiveInt().nullable().optional(),
      chunkedPrefillSize: positiveInt().nullable().optional(),
      memFraction: z.number().gt(0).max(1).nullable().optional(),
    })
    .optional(),
  parsers: z.strictObject({ toolCall: text().nullable().optional(), reasoning: text().nullable().optional() }).optional(),
  extraArgs: z.array(z.string()).optional(),
  env: engineEnv.optional(),
});
export type VariantPatch = z.infer<typeof VariantPatch>;

const alternatives = <T extends z.ZodType>(item: T, what: string) => z.array(item).min(1, { error: `expected at least one ${what} (a list of alternatives)` }).optional();

/**
 * A search space (issue 14): each key a list of alternatives, combined as a product. A key it does not name keeps
 * the baseline's value; an alternative replaces the baseline's whole value of that key (`{}` or `null` = the
 * engine's default).
 */
export const SearchSpace = z
  .strictObject({
    engine: alternatives(EngineName, 'engine'),
    model: alternatives(text('a model id'), 'model (e.g. the FP8 checkpoint next to the BF16 one)'),
    parallel: alternatives(VariantPatch.shape.parallel.unwrap(), 'parallel layout such as {tp: 4}'),
    quantization: alternatives(VariantPatch.shape.quantization.unwrap(), 'quantization (null = none)'),
    kvCacheDtype: alternatives(VariantPatch.shape.kvCacheDtype.unwrap(), 'KV-cache dtype such as auto or fp8'),
    attentionBackend: alternatives(VariantPatch.shape.attentionBackend.unwrap(), 'attention backend (null = the engine default)'),
    cudaGraph: alternatives(VariantPatch.shape.cudaGraph.unwrap(), 'CUDA graph setting such as {maxBatchSize: 512}'),
    batching: alternatives(VariantPatch.shape.batching.unwrap(), 'batching setting such as {maxNumSeqs: 512}'),
  })
  .refine((s) => Object.values(s).some((v) => v !== undefined), { error: 'a space names at least one key: engine, model, parallel, quantization, kvCacheDtype, attentionBackend, cudaGraph or batching' });
export type SearchSpace = z.infer<typeof SearchSpace>;

// ---------------------------------------------------------------- workloads

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

const positiveNumber = (what = 'a positive number') =>
  z
    .number({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` })
    .positive({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` });

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

// ---------------------------------------------------------------- plans

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

/** Objectives the predicted search can forecast (a rate of the whole benchmark, from the simulator's schedule). */
export const PREDICTABLE_OBJECTIVES: readonly ObjectiveMetric[] = ['total_token_throughput', 'output_throughput', 'request_throughput', 'total_token_throughput_per_gpu', 'output_throughput_per_gpu'];

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
  if (!PREDICTABLE_OBJECTIVES.includes(metric)) {
    ctx.addIssue({ code: 'custom', path: ['objective'], message: `strategy "predicted" forecasts ${PREDICTABLE_OBJECTIVES.join(', ')}; objective "${metric}" needs strategy "grid" over the space` });
  }
  const primary = plan.workloads.primary;
  if ((typeof primary === 'object' && primary.load) || plan.load) {
    ctx.addIssue({ code: 'custom', path: ['load'], message: 'strategy "predicted" measures one benchmark per candidate; a load plan (sweep or capacity) needs strategy "grid" over the space' });
  }
}
export type TuningPlanInput = z.input<typeof TuningPlan>;

// ---------------------------------------------------------------- results

/**
 * Metrics with `vllm bench serve --save-result` keys (ms for latencies). Per-metric statistics follow vLLM's
 * naming, `{mean|median|std|pNN}_{ttft|tpot|itl|e2el}_ms`, and are carried by the catchall.
 */
export const BenchmarkMetrics = z
  .object({
    duration: z.number().nonnegative(),
    completed: z.number().int().nonnegative(),
    /** null: the tool does not report failures (SGLang text) and they cannot be derived. */
    failed: z.number().int().nonnegative().nullable().default(0),
    total_input_tokens: z.number().int().nonnegative(),
    total_output_tokens: z.number().int().nonnegative(),
    request_throughput: z.number().nonnegative(),
    request_goodput: z.number().nonnegative().nullable().optional(),
    output_throughput: z.number().nonnegative(),
    total_token_throughput: z.number().nonnegative(),
    max_output_tokens_per_s: z.number().nonnegative().nullable().optional(),
    max_concurrent_requests: z.number().nonnegative().nullable().optional(),
  })
  .catchall(z.number().nullable());
export type BenchmarkMetrics = z.infer<typeof BenchmarkMetrics>;

/** What a result of one load point records: where it sits on its curve, its steady-state window, its SLO verdict. */
export const LoadPointRecord = z.object({
  mode: z.enum(['sweep', 'capacity']),
  by: LoadAxis,
  value: z.union([z.number().positive(), z.literal('inf')]),
  /** Run order on the curve (0-based); a repeated boundary point has its own index. */
  index: z.number().int().nonnegative(),
  /** GPUs the variant occupies (tp × pp × dp), for per-GPU figures. */
  gpus: z.number().int().positive(),
  slo: CapacitySlo.optional(),
  /** Metrics of the steady-state window (warm-up and drain excluded) when the runner reported per-request times. */
  window: z.object({ startS: z.number(), endS: z.number(), requests: z.number().int().nonnegative(), metrics: BenchmarkMetrics }).optional(),
  /** Requests that succeeded, of those sent in the window. */
  success: z.number().min(0).max(1),
  meetsSlo: z.boolean().optional(),
  /** Limits the point broke, worst first ("p99_tpot_ms 113.9 > 100"). */
  breaks: z.array(z.string()).default([]),
  /** Why the point could not keep up; `stoppedEarly` when the run was cut short for it. */
  saturated: z.object({ reasons: z.array(z.string()), stoppedEarly: z.boolean() }).optional(),
});
export type LoadPointRecord = z.infer<typeof LoadPointRecord>;

export const GpuInfo = z.object({
  index: z.number().int().nonnegative(),
  name: z.string(),
  memoryTotalMiB: z.number().nonnegative(),
  memoryUsedMiB: z.number().nonnegative().optional(),
});
export type GpuInfo = z.infer<typeof GpuInfo>;

export const HostFacts = z.object({
  name: z.string(),
  gpus: z.array(GpuInfo).default([]),
  driverVersion: z.string().optional(),
  cudaVersion: z.string().optional(),
  engineVersions: z.record(z.string(), z.string()).default({}),
  simulated: z.boolean().default(false),
});
export type HostFacts = z.infer<typeof HostFacts>;

export const RESULT_SOURCES = ['native', 'vllm-text', 'vllm-json', 'sglang-text', 'sglang-jsonl', 'simulator', 'gpustack-text', 'guidellm-json', 'aiperf-json', 'aiperf-csv', 'vllm-sweep'] as const;

export const BenchmarkResult = z.object({
  schemaVersion: z.literal(1),
  id: z.string().min(1),
  createdAt: z.string(),
  status: z.enum(['complete', 'interrupted']).default('complete'),
  metrics: BenchmarkMetrics,
  /** The "Serving Benchmark Result" block exactly as the client printed it. */
  rawOutput: z.string().optional(),
  variant: EngineVariant.optional(),
  workload: Workload.optional(),
  host: HostFacts.optional(),
  engineVersion: z.string().optional(),
  runner: z.union([Runner, z.literal('imported')]),
  /** Where an imported result came from: the format, the tool and its version when the file says, and the file. */
  source: z.object({ kind: z.enum(RESULT_SOURCES), file: z.string().optional(), tool: z.string().optional(), version: z.string().optional() }),
  commands: z.object({ serve: z.string().optional(), bench: z.string().optional() }).default({}),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  experimentId: z.string().optional(),
  stage: z.string().optional(),
  option: z.string().optional(),
  repeat: z.number().int().nonnegative().optional(),
  /** Set on the points of a load sweep or capacity search. */
  load: LoadPointRecord.optional(),
  /** Where it was measured when that varies within an experiment: the pool host, the Slurm node and job, shared GPUs. */
  place: z.object({ host: z.string(), node: z.string().optional(), job: z.string().optional(), sharedGpus: z.boolean().optional() }).optional(),
  /** Facts a reader must know: approximate lengths, measured through a tunnel, simulated at speedup K. */
  notes: z.array(z.string()).default([]),
});
export type BenchmarkResult = z.infer<typeof BenchmarkResult>;
export type BenchmarkResultInput = z.input<typeof BenchmarkResult>;

// ---------------------------------------------------------------- engine runs

export const CRASH_REASONS = [
  'oom',
  'fp8-unsupported',
  'pp-unsupported',
  /** TP × PP × DP asks for more GPUs than the host (or job) has. */
  'parallel-layout',
  'backend-unsupported',
  'port-in-use',
  'nccl',
  'model-not-found',
  'kv-cache-too-small',
  'bad-arguments',
  'readiness-timeout',
  /** The place the engine ran went away: a Slurm job ended by the scheduler (time limit, preemption, node failure) or
   * a host of a pool that stopped answering. The point is measured again once, elsewhere if possible. */
  'place-lost',
  'unknown',
] as const;
export const CrashReason = z.enum(CRASH_REASONS);
export type CrashReason = z.infer<typeof CrashReason>;

export const Crash = z.object({
  reason: CrashReason,
  /** The first root-cause log line, not the engine's generic wrapper error. */
  rootCause: z.string(),
  logExcerpt: z.array(z.string()).default([]),
  exitCode: z.number().int().nullable().optional(),
});
export type Crash = z.infer<typeof Crash>;

export const EngineRunStatus = z.discriminatedUnion('state', [
  z.object({ state: z.literal('starting') }),
  z.object({ state: z.literal('ready') }),
  z.object({ state: z.literal('crashed'), crash: Crash }),
  z.object({ state: z.literal('stopped'), exitCode: z.number().int().nullable().optional() }),
]);
export type EngineRunStatus = z.infer<typeof EngineRunStatus>;

export const EngineRun = z.object({
  schemaVersion: z.literal(1),
  id: z.string().min(1),
  host: z.string(),
  engine: EngineName,
  variant: EngineVariant.optional(),
  argv: z.array(z.string()),
  env: z.record(z.string(), z.string()).default({}),
  status: EngineRunStatus,
  pid: z.number().int().optional(),
  pgid: z.number().int().optional(),
  port: z.number().int().positive(),
  runDir: z.string(),
  logPath: z.string(),
  docker: z.object({ container: z.string(), image: z.string() }).optional(),
  engineVersion: z.string().optional(),
  timings: z.object({
    launchedAt: z.string(),
    readyAt: z.string().optional(),
    endedAt: z.string().optional(),
    /** Seconds from launch to ready. */
    startupSeconds: z.number().nonnegative().optional(),
  }),
});
export type EngineRun = z.infer<typeof EngineRun>;

// ---------------------------------------------------------------- experiments

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
      kind: z.enum(['does-not-fit', 'not-applicable', 'predicted-crash', 'learned-crash', 'cannot-win', 'budget']),
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
