// Results and engine runs (design doc §3): what a benchmark measured, on which host, and how an engine launch went.
import { z } from 'zod';
import { EngineName, EngineVariant } from './variant';
import { CapacitySlo, LoadAxis, Runner, Workload } from './workload';

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
