// The virtual-time driver of the engines' schedulers: the same schedulers and step times as the real-time server
// (realtime.ts), without HTTP or waiting. Requests arrive at their send times, each step ends after its modelled
// duration, and every token's time is recorded as the benchmark client would have seen it.
import type { RequestOutput } from '../bench/metrics';
import type { SimEngineConfig } from './config';
import { createScheduler, SIM_ENGINES } from './engines/index';
import type { StepShape } from './perf';
import { syntheticBlockKeys } from './prefixCache';
import { newRequest, type BatchScheduler, type PlannedStep, type SimRequest } from './scheduler';

export interface VirtualRequest {
  input: number;
  output: number;
  /** Leading prompt tokens every request shares (a system prompt): the prefix cache's case. */
  sharedPrefix?: number;
}

export interface VirtualRun {
  outputs: RequestOutput[];
  steps: number;
  preemptions: number;
  kvCapacityTokens: number;
  /** Prompt tokens served from the prefix cache. */
  cachedTokens: number;
  /** Why requests were left without a token when the engine ran out of work it could schedule. */
  stalled?: string;
}

interface Lane {
  scheduler: BatchScheduler;
  step: PlannedStep | undefined;
  end: number;
}

/** The replica with the fewest queued and running requests (vLLM's DP coordinator does the same). */
function leastLoaded(lanes: readonly Lane[]): Lane {
  let lane = lanes[0]!;
  for (const l of lanes) if (l.scheduler.waiting.length + l.scheduler.running.length < lane.scheduler.waiting.length + lane.scheduler.running.length) lane = l;
  return lane;
}

function failed(r: VirtualRequest, startTime: number, error: string): RequestOutput {
  return { success: false, error, promptLen: r.input, outputLen: 0, ttft: 0, itl: [], latency: 0, startTime };
}

function succeeded(r: VirtualRequest, startTime: number, times: readonly number[]): RequestOutput {
  // Tokens of one step (a speculative step's accepted drafts) arrive as one chunk: ITL is measured between chunks.
  const chunkTimes = times.filter((t, k) => k === 0 || t !== times[k - 1]);
  const itl: number[] = [];
  for (let k = 1; k < chunkTimes.length; k++) itl.push(chunkTimes[k]! - chunkTimes[k - 1]!);
  return { success: true, promptLen: r.input, outputLen: times.length, ttft: times[0]! - startTime, itl, latency: times[times.length - 1]! - startTime, startTime, chunkTimes };
}

/** What a stalled engine was left holding, in words. */
function stallReason(lanes: readonly Lane[]): string | undefined {
  const stuck = lanes.flatMap((l) => l.scheduler.waiting);
  if (stuck.length === 0) return undefined;
  const kv = lanes[0]!.scheduler.kvCapacity;
  const tooBig = stuck.filter((r) => r.prefillTarget > kv).length;
  const why = tooBig > 0 ? `${tooBig} of them need more KV cache than the ${kv} tokens it holds` : 'the scheduler admitted none of them';
  return `the engine stopped scheduling with ${stuck.length} requests waiting and none running (${why}); a real engine would hang here`;
}

/**
 * The schedule of one run. With every request sent at once the schedulers' decisions depend on token counts and KV,
 * not on time, so the calibration re-times it with other efficiencies (calibration/cases.ts).
 */
export interface SimTrace {
  /** Every step, in the order they ended (one replica: data-parallel lanes interleave by time). */
  steps: StepShape[];
  /** Per request: the steps that emitted its tokens. */
  tokenSteps: number[][];
  /** Per request: how many steps had ended when it was sent. */
  startSteps: number[];
}

/** Runs the requests through the engine's scheduler in virtual time; returns what the client would have seen. */
export function simulateRequests(config: SimEngineConfig, requests: readonly VirtualRequest[], sendTimes: readonly number[], maxConcurrency = Infinity, trace?: SimTrace): VirtualRun {
  // One scheduler per data-parallel replica, each with its own chain of steps.
  const lanes: Lane[] = Array.from({ length: Math.max(1, config.dp) }, () => ({ scheduler: createScheduler(config), step: undefined, end: 0 }));
  const engine = SIM_ENGINES[config.engine];
  const kvPerLane = lanes[0]!.scheduler.kvCapacity;
  const start = new Array<number>(requests.length).fill(0);
  const tokenTimes: number[][] = requests.map(() => []);
  const refusals = requests.map((r) => engine.requestError(config, r.input, r.output, kvPerLane));
  const keys = (r: VirtualRequest, i: number) => (config.prefixCaching ? syntheticBlockKeys(i, r.input, r.sharedPrefix ?? 0, config.blockSize) : []);
  const sims: SimRequest[] = requests.map((r, i) => newRequest(i, r.input, r.output, keys(r, i)));
  let t = 0;
  let nextToSend = 0;
  let inflight = 0;
  for (;;) {
    while (nextToSend < requests.length && sendTimes[nextToSend]! <= t && inflight < maxConcurrency) {
      const i = nextToSend++;
      start[i] = Math.max(t, sendTimes[i]!);
      if (trace) trace.startSteps[i] = trace.steps.length;
      if (refusals[i]) continue;
      leastLoaded(lanes).scheduler.add(sims[i]!);
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
      if (nextToSend >= requests.length || inflight >= maxConcurrency) break;
      t = Math.max(t, sendTimes[nextToSend]!);
      continue;
    }
    t = next;
    for (const lane of lanes) {
      if (!lane.step || lane.end !== t) continue;
      trace?.steps.push(lane.step.shape);
      for (const event of lane.scheduler.commit(lane.step)) {
        tokenTimes[event.request.id]!.push(t);
        trace?.tokenSteps[event.request.id]!.push(trace.steps.length - 1);
        if (event.finished) inflight -= 1;
      }
      lane.step = undefined;
    }
  }
  const stalled = stallReason(lanes);
  const outputs = requests.map((r, i) => {
    const refusal = refusals[i];
    if (refusal) return failed(r, start[i]!, refusal);
    if (i >= nextToSend) return failed(r, start[i]!, `never sent: ${stalled ?? 'the run ended first'}`);
    const got = tokenTimes[i]!.length;
    if (sims[i]!.finished) return succeeded(r, start[i]!, tokenTimes[i]!);
    return failed(r, start[i]!, `${got === 0 ? 'no token' : `stopped after ${got} tokens`}: ${stalled ?? 'the engine never finished it'}`);
  });
  const sum = (f: (s: BatchScheduler) => number) => lanes.reduce((a, l) => a + f(l.scheduler), 0);
  return {
    outputs,
    steps: sum((s) => s.counters.steps),
    preemptions: sum((s) => s.counters.preemptions),
    kvCapacityTokens: sum((s) => s.kvCapacity),
    cachedTokens: sum((s) => s.counters.cachedTokens),
    ...(stalled ? { stalled } : {}),
  };
}
