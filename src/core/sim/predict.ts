// Virtual-time prediction: the engine's scheduler and step-time model run without HTTP or waiting, and the
// requests' token times go through the benchmark client's own metric code, so `sim predict` prints the block the
// reference's `vllm bench serve` would print — in seconds of wall time.
import { computeMetrics, type RequestOutput } from '../bench/metrics';
import { formatResultBlock } from '../bench/format';
import { arrivalTimes } from '../bench/random';
import type { BenchmarkMetrics } from '../plan/schema';
import { createScheduler, type SimEngineConfig } from './config';
import { planLaunch, splitServeCommand, type LaunchPlan } from './frontends';
import { resolveGpu } from './hardware';
import { newRequest, type PlannedStep, type SimRequest } from './scheduler';
import { syntheticShareGptRequests } from './sharegpt';

export type SimWorkload = { kind: 'sharegpt'; count: number } | { kind: 'random'; input: number; output: number; count: number };

export class WorkloadSpecError extends Error {}

/** `sharegpt:N` or `random:IN:OUT:N`. */
export function parseWorkloadSpec(text: string): SimWorkload {
  const parts = text.trim().split(':');
  const int = (s: string | undefined, what: string) => {
    const n = Number(s);
    if (!s || !Number.isInteger(n) || n <= 0) throw new WorkloadSpecError(`workload "${text}": ${what} must be a positive integer (got "${s ?? ''}"); use sharegpt:N or random:IN:OUT:N`);
    return n;
  };
  if (parts[0] === 'sharegpt' && parts.length === 2) return { kind: 'sharegpt', count: int(parts[1], 'N') };
  if (parts[0] === 'random' && parts.length === 4) return { kind: 'random', input: int(parts[1], 'IN'), output: int(parts[2], 'OUT'), count: int(parts[3], 'N') };
  throw new WorkloadSpecError(`workload "${text}" is not understood; use sharegpt:N (synthetic ShareGPT-like lengths) or random:IN:OUT:N`);
}

function workloadRequests(workload: SimWorkload, seed: number): Array<{ input: number; output: number }> {
  if (workload.kind === 'sharegpt') return syntheticShareGptRequests(workload.count, seed);
  return Array.from({ length: workload.count }, () => ({ input: workload.input, output: workload.output }));
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
  engine?: { steps: number; preemptions: number; kvCapacityTokens: number; maxRunning: number; tokenBudget: number };
}

/** Runs the requests through the engine's scheduler in virtual time; returns what the client would have seen. */
export function simulateRequests(
  config: SimEngineConfig,
  requests: ReadonlyArray<{ input: number; output: number }>,
  sendTimes: readonly number[],
  maxConcurrency = Infinity,
): { outputs: RequestOutput[]; steps: number; preemptions: number; kvCapacityTokens: number } {
  // One scheduler per data-parallel replica, each with its own chain of steps; a new request goes to the replica
  // with the fewest queued and running requests (vLLM's DP coordinator does the same).
  const lanes = Array.from({ length: Math.max(1, config.dp) }, () => ({ scheduler: createScheduler(config), step: undefined as PlannedStep | undefined, end: 0 }));
  const n = requests.length;
  const start = new Array<number>(n).fill(0);
  const tokenTimes: number[][] = requests.map(() => []);
  const sims: SimRequest[] = requests.map((r, i) => newRequest(i, r.input, r.output));
  const rejected = requests.map((r) => r.input + r.output > config.maxModelLen);
  let t = 0;
  let nextToSend = 0;
  let inflight = 0;
  for (;;) {
    while (nextToSend < n && sendTimes[nextToSend]! <= t && inflight < maxConcurrency) {
      const i = nextToSend++;
      start[i] = Math.max(t, sendTimes[i]!);
      if (rejected[i]) continue;
      let lane = lanes[0]!;
      for (const l of lanes) if (l.scheduler.waiting.length + l.scheduler.running.length < lane.scheduler.waiting.length + lane.scheduler.running.length) lane = l;
      lane.scheduler.add(sims[i]!);
      inflight += 1;
    }
    for (const lane of lanes) {
      if (lane.step) continue;
      lane.step = lane.scheduler.plan();
      if (lane.step) lane.end = t + lane.step.duration;
    }
    let next = Infinity;
    for (const lane of lanes) if (lane.step) next = Math.min(next, lane.end);
    if (next === Infinity) {
      if (nextToSend >= n) break;
      t = Math.max(t, sendTimes[nextToSend]!);
      continue;
    }
    t = next;
    for (const lane of lanes) {
      if (!lane.step || lane.end !== t) continue;
      for (const event of lane.scheduler.commit(lane.step)) {
        tokenTimes[event.request.id]!.push(t);
        if (event.finished) inflight -= 1;
      }
      lane.step = undefined;
    }
  }
  const outputs: RequestOutput[] = requests.map((r, i) => {
    const times = tokenTimes[i]!;
    if (rejected[i] || times.length === 0) {
      return {
        success: false,
        error: `This model's maximum context length is ${config.maxModelLen} tokens. However, you requested ${r.input + r.output} tokens.`,
        promptLen: r.input,
        outputLen: 0,
        ttft: 0,
        itl: [],
        latency: 0,
        startTime: start[i]!,
      };
    }
    const itl: number[] = [];
    for (let k = 1; k < times.length; k++) itl.push(times[k]! - times[k - 1]!);
    return {
      success: true,
      promptLen: r.input,
      outputLen: times.length,
      ttft: times[0]! - start[i]!,
      itl,
      latency: times[times.length - 1]! - start[i]!,
      startTime: start[i]!,
      chunkTimes: times,
    };
  });
  const sum = (f: (s: (typeof lanes)[number]['scheduler']) => number) => lanes.reduce((a, l) => a + f(l.scheduler), 0);
  return { outputs, steps: sum((s) => s.counters.steps), preemptions: sum((s) => s.counters.preemptions), kvCapacityTokens: sum((s) => s.kvCapacity) };
}

function crashLog(plan: LaunchPlan): string[] {
  return plan.events.flatMap((e) => (e.kind === 'log' ? [e.text] : []));
}

/** Predicts what a benchmark of `argv` on the simulated host would print. */
export function predictBenchmark(options: PredictOptions): Prediction {
  const gpu = resolveGpu(options.gpu);
  const workload = typeof options.workload === 'string' ? parseWorkloadSpec(options.workload) : options.workload;
  const { engine, args } = splitServeCommand(options.argv);
  const plan = planLaunch(engine, args, { gpu, count: options.count, speedup: 1 }, { env: options.env ?? {} });
  if (plan.crash || !plan.config) {
    return { crash: { rootCause: plan.crash?.rootCause ?? 'the engine did not start', exitCode: plan.crash?.exitCode ?? 1, log: crashLog(plan) } };
  }
  const config = plan.config;
  const seed = options.seed ?? 0;
  const requests = workloadRequests(workload, seed);
  const sendTimes = arrivalTimes(requests.length, options.requestRate ?? Infinity, options.burstiness ?? 1, seed);
  const run = simulateRequests(config, requests, sendTimes, options.maxConcurrency ?? Infinity);
  const durationS = run.outputs.reduce((end, o) => Math.max(end, o.startTime + o.latency), 0);
  const percentileMetrics = options.percentileMetrics ?? ['ttft', 'tpot', 'itl'];
  const percentiles = options.percentiles ?? [99];
  const metrics = computeMetrics(run.outputs, { durationS, percentileMetrics, percentiles });
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
    engine: { steps: run.steps, preemptions: run.preemptions, kvCapacityTokens: run.kvCapacityTokens, maxRunning: config.maxRunning, tokenBudget: config.tokenBudget },
  };
}
