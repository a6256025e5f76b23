// Virtual-time prediction: the engine's scheduler and step-time model run without HTTP or waiting, and the
// requests' token times go through the benchmark client's own metric code, so `sim predict` prints the block the
// reference's `vllm bench serve` would print — in seconds of wall time.
import { computeMetrics, type GoodputSlo, type RequestOutput } from '../bench/metrics';
import { formatResultBlock } from '../bench/format';
import { arrivalTimes } from '../bench/random';
import type { BenchmarkMetrics } from '../plan/schema';
import type { SimEngineConfig } from './config';
import { planLaunch, splitServeCommand, type LaunchPlan } from './engines/index';
import { resolveGpu } from './gpus';
import type { HostProfile } from './hostProfile';
import type { ModelSpec } from './models';
import { syntheticShareGptRequests } from './sharegpt';
import { simulateRequests, type SimTrace, type VirtualRequest, type VirtualRun } from './virtual';

/** `prefix`: leading tokens every prompt shares (vllm bench --random-prefix-len), counted in `input`. */
export type SimWorkload = { kind: 'sharegpt'; count: number } | { kind: 'random'; input: number; output: number; count: number; prefix?: number };

export class WorkloadSpecError extends Error {}

/** `sharegpt:N`, `random:IN:OUT:N` or `random:IN:OUT:N:PREFIX` (the first PREFIX of IN tokens shared by every prompt). */
export function parseWorkloadSpec(text: string): SimWorkload {
  const parts = text.trim().split(':');
  const int = (s: string | undefined, what: string) => {
    const n = Number(s);
    if (!s || !Number.isInteger(n) || n <= 0) throw new WorkloadSpecError(`workload "${text}": ${what} must be a positive integer (got "${s ?? ''}"); use sharegpt:N or random:IN:OUT:N`);
    return n;
  };
  if (parts[0] === 'sharegpt' && parts.length === 2) return { kind: 'sharegpt', count: int(parts[1], 'N') };
  if (parts[0] === 'random' && parts.length === 4) return { kind: 'random', input: int(parts[1], 'IN'), output: int(parts[2], 'OUT'), count: int(parts[3], 'N') };
  if (parts[0] === 'random' && parts.length === 5) {
    const input = int(parts[1], 'IN');
    const prefix = int(parts[4], 'PREFIX');
    if (prefix > input) throw new WorkloadSpecError(`workload "${text}": PREFIX (${prefix}) is part of IN and cannot exceed it (${input})`);
    return { kind: 'random', input, output: int(parts[2], 'OUT'), count: int(parts[3], 'N'), prefix };
  }
  throw new WorkloadSpecError(`workload "${text}" is not understood; use sharegpt:N (synthetic ShareGPT-like lengths) or random:IN:OUT:N`);
}

function workloadRequests(workload: SimWorkload, seed: number): VirtualRequest[] {
  if (workload.kind === 'sharegpt') return syntheticShareGptRequests(workload.count, seed);
  return Array.from({ length: workload.count }, () => ({ input: workload.input, output: workload.output, sharedPrefix: workload.prefix ?? 0 }));
}

export interface PredictOptions {
  gpu: string;
  count: number;
  /** The full serve command line: `vllm serve MODEL …`, `python3 -m sglang.launch_server …` or `trtllm-serve MODEL …`. */
  argv: readonly string[];
  workload: SimWorkload | string;
  seed?: number;
  /** Requests per second (Poisson); default: all at once, as the reference ran. */
  requestRate?: number;
  burstiness?: number;
  maxConcurrency?: number;
  env?: Readonly<Record<string, string | undefined>>;
  percentileMetrics?: readonly string[];
  percentiles?: readonly number[];
  /** Per-request limits of `request_goodput` (vllm bench --goodput). */
  goodput?: GoodputSlo;
  /** Model configs given by path (`--model-config`), besides the catalog and the Hugging Face cache. */
  models?: readonly ModelSpec[];
  /** Files the command names, by path (TensorRT-LLM's --extra_llm_api_options YAML as rendered). */
  files?: Readonly<Record<string, string>>;
  /** Filled with the run's schedule (calibration). */
  trace?: SimTrace;
  /** A simulated host's hidden deviations and the launch's number (tests of the predicted search; never a prediction's). */
  profile?: HostProfile;
  launch?: number;
}

export interface Prediction {
  /** Present unless the engine would crash. */
  metrics?: BenchmarkMetrics;
  /** The "Serving Benchmark Result" block. */
  block?: string;
  crash?: { rootCause: string; exitCode: number; log: string[] };
  config?: SimEngineConfig;
  outputs?: RequestOutput[];
  /** Engine-side facts of the run. */
  engine?: { steps: number; preemptions: number; kvCapacityTokens: number; maxRunning: number; tokenBudget: number; cachedTokens: number };
  /** Options of the command the simulator accepts but does not model: the prediction ignores them. */
  notModelled?: string[];
  /** Set when the engine would stop scheduling with requests left (a hang on a real host). */
  stalled?: string;
}

function crashLog(plan: LaunchPlan): string[] {
  return plan.events.flatMap((e) => (e.kind === 'log' ? [e.text] : []));
}

/** The requests of a workload sent to an engine already planned (many runs of one launch, e.g. a capacity forecast's load points). */
export function simulateWorkload(config: SimEngineConfig, options: Pick<PredictOptions, 'seed' | 'requestRate' | 'burstiness' | 'maxConcurrency' | 'trace'> & { workload: SimWorkload }): VirtualRun {
  const seed = options.seed ?? 0;
  const requests = workloadRequests(options.workload, seed);
  const sendTimes = arrivalTimes(requests.length, options.requestRate ?? Infinity, options.burstiness ?? 1, seed);
  return simulateRequests(config, requests, sendTimes, options.maxConcurrency ?? Infinity, options.trace);
}

/** Predicts what a benchmark of `argv` on the simulated host would print. */
export function predictBenchmark(options: PredictOptions): Prediction {
  const gpu = resolveGpu(options.gpu);
  const workload = typeof options.workload === 'string' ? parseWorkloadSpec(options.workload) : options.workload;
  const { engine, args } = splitServeCommand(options.argv);
  const host = { gpu, count: options.count, speedup: 1, ...(options.models ? { models: options.models } : {}), ...(options.profile ? { profile: options.profile, launch: options.launch ?? 0 } : {}) };
  const plan = planLaunch(engine, args, host, { env: options.env ?? {}, readFile: (path) => options.files?.[path] });
  if (plan.crash || !plan.config) {
    return { crash: { rootCause: plan.crash?.rootCause ?? 'the engine did not start', exitCode: plan.crash?.exitCode ?? 1, log: crashLog(plan) } };
  }
  const config = plan.config;
  const run = simulateWorkload(config, { ...options, workload });
  const durationS = run.outputs.reduce((end, o) => Math.max(end, o.startTime + o.latency), 0);
  const percentileMetrics = options.percentileMetrics ?? ['ttft', 'tpot', 'itl'];
  const percentiles = options.percentiles ?? [99];
  const metrics = computeMetrics(run.outputs, { durationS, percentileMetrics, percentiles, ...(options.goodput ? { goodput: options.goodput } : {}) });
  const block = formatResultBlock(metrics, {
    percentileMetrics,
    percentiles,
    style: 'v0.11',
    ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    ...(options.requestRate !== undefined ? { requestRate: options.requestRate } : {}),
  });
  return {
    metrics,
    block,
    config,
    outputs: run.outputs,
    engine: { steps: run.steps, preemptions: run.preemptions, kvCapacityTokens: run.kvCapacityTokens, maxRunning: config.maxRunning, tokenBudget: config.tokenBudget, cachedTokens: run.cachedTokens },
    notModelled: config.notModelled,
    ...(run.stalled ? { stalled: run.stalled } : {}),
  };
}
