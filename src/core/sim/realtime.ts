// Real-time driver of a scheduler: each planned step ends after its modelled duration divided by the speedup, then
// its tokens are emitted. Steps are chained on their scheduled end times (not on when the timer actually fired), so
// a late timer makes the next step start early rather than stretching the run; the difference between scheduled and
// actual emission is recorded as scheduling lag.
import { performance } from 'node:perf_hooks';
import type { SimEngineConfig } from './config';
import { createScheduler } from './engines/index';
import { Histogram, SGLANG_BUCKETS, VLLM_BUCKETS } from './prometheus';
import { newRequest, type BatchScheduler, type PlannedStep, type SchedulerCounters, type SimRequest } from './scheduler';

export interface TokenSink {
  /**
   * Called at a step's emission time with the request's tokens it produced: `count` from `index` (counting from 0) —
   * one, or a speculative step's accepted drafts plus one, which the engines stream as one chunk.
   */
  tokens(index: number, count: number, finished: boolean): void;
}

export interface LiveRequest {
  request: SimRequest;
  sink: TokenSink;
  arrivalV: number;
  scheduledV?: number;
  firstV?: number;
  lastV?: number;
}

/** Engine-side statistics in simulated seconds, the raw material of each engine's /metrics. */
export class EngineStats {
  readonly ttft: Histogram;
  readonly itl: Histogram;
  readonly e2e: Histogram;
  readonly queue: Histogram;
  readonly prefill = new Histogram(VLLM_BUCKETS.request);
  readonly decode = new Histogram(VLLM_BUCKETS.request);
  readonly inference = new Histogram(VLLM_BUCKETS.request);
  readonly iterationTokens = new Histogram(VLLM_BUCKETS.iterationTokens);
  readonly finishedByReason = new Map<string, number>();
  requestsReceived = 0;
  aborted = 0;
  /** Generated tokens per second over the last logging interval. */
  genThroughput = 0;
  constructor(engine: SimEngineConfig['engine']) {
    const sglang = engine === 'sglang';
    this.ttft = new Histogram(sglang ? SGLANG_BUCKETS.ttft : VLLM_BUCKETS.ttft);
    this.itl = new Histogram(sglang ? SGLANG_BUCKETS.itl : VLLM_BUCKETS.itl);
    this.e2e = new Histogram(sglang ? SGLANG_BUCKETS.e2e : VLLM_BUCKETS.request);
    this.queue = new Histogram(sglang ? SGLANG_BUCKETS.queue : VLLM_BUCKETS.request);
  }
}

const MAX_LAG_SAMPLES = 2_000_000;

/** One engine replica (data parallel rank): its own scheduler and its own chain of steps. */
interface Lane {
  scheduler: BatchScheduler;
  timer: NodeJS.Timeout | undefined;
  nextFreeWall: number;
  decodeStepsSinceLog: number;
  retractionsLogged: number;
}

/** Gauges and counters summed over the replicas, as the engine's /metrics reports them. */
export interface EngineTotals {
  running: number;
  waiting: number;
  kvUsed: number;
  kvCapacity: number;
  retractions: number;
  counters: SchedulerCounters;
}

export class RealtimeEngine {
  readonly lanes: Lane[];
  readonly stats: EngineStats;
  /** Milliseconds the step's tokens were all written after the step's scheduled end, one sample per step. */
  readonly lagMs: number[] = [];
  /** The latest finished step (simulated milliseconds and tokens), for TRT-LLM's iteration stats. */
  lastStep = { durationMs: 0, tokens: 0 };
  private readonly epoch = performance.now();
  private readonly live = new Map<SimRequest, LiveRequest & { lane: Lane }>();
  private nextId = 0;
  private closed = false;
  private busyWallMs = 0;
  private lastLogV = 0;
  private lastLogCounters = { prompt: 0, generation: 0 };

  constructor(
    readonly config: SimEngineConfig,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.lanes = Array.from({ length: Math.max(1, config.dp) }, () => ({ scheduler: createScheduler(config), timer: undefined, nextFreeWall: 0, decodeStepsSinceLog: 0, retractionsLogged: 0 }));
    this.stats = new EngineStats(config.engine);
  }

  /** Simulated seconds since the engine started. */
  vnow(): number {
    return ((performance.now() - this.epoch) / 1000) * this.config.speedup;
  }

  /** Wall milliseconds per replica spent inside steps (for nvidia-smi utilization). */
  busyMs(): number {
    return this.busyWallMs / this.lanes.length;
  }

  totals(): EngineTotals {
    const counters: SchedulerCounters = { steps: 0, promptTokens: 0, cachedTokens: 0, generationTokens: 0, preemptions: 0, finishedRequests: 0 };
    const t: EngineTotals = { running: 0, waiting: 0, kvUsed: 0, kvCapacity: 0, retractions: 0, counters };
    for (const { scheduler: s } of this.lanes) {
      t.running += s.runningCount();
      t.waiting += s.waiting.length;
      t.kvUsed += s.kvUsed;
      t.kvCapacity += s.kvCapacity;
      t.retractions += s.retractions;
      for (const key of Object.keys(counters) as Array<keyof SchedulerCounters>) counters[key] += s.counters[key];
    }
    return t;
  }

  /** `blockKeys`: the prompt's prefix-cache keys (prefixCache.ts), empty when the engine caches no prefixes. */
  submit(promptLen: number, maxTokens: number, sink: TokenSink, blockKeys: readonly string[] = []): LiveRequest {
    const request = newRequest(this.nextId++, promptLen, maxTokens, blockKeys);
    // Like vLLM's DP coordinator: the replica with the fewest queued and running requests.
    let lane = this.lanes[0]!;
    for (const l of this.lanes) if (l.scheduler.waiting.length + l.scheduler.running.length < lane.scheduler.waiting.length + lane.scheduler.running.length) lane = l;
    const live = { request, sink, arrivalV: this.vnow(), lane };
    this.live.set(request, live);
    this.stats.requestsReceived += 1;
    lane.scheduler.add(request);
    this.kick(lane);
    return live;
  }

  abort(live: LiveRequest): void {
    if (live.request.finished || live.request.aborted) return;
    this.live.get(live.request)?.lane.scheduler.abort(live.request);
    this.live.delete(live.request);
    this.stats.aborted += 1;
    this.stats.finishedByReason.set('abort', (this.stats.finishedByReason.get('abort') ?? 0) + 1);
  }

  close(): void {
    this.closed = true;
    for (const lane of this.lanes) {
      if (lane.timer) clearTimeout(lane.timer);
      lane.timer = undefined;
    }
  }

  /** Plans the lane's next step; `continuing` chains it to the previous step's scheduled end rather than to now. */
  private kick(lane: Lane, continuing = false): void {
    if (lane.timer || this.closed) return;
    const step = lane.scheduler.plan();
    if (!step) return;
    const now = performance.now();
    const start = continuing ? lane.nextFreeWall : Math.max(now, lane.nextFreeWall);
    const end = start + (step.duration * 1000) / this.config.speedup;
    lane.nextFreeWall = end;
    this.busyWallMs += end - start;
    const v = this.vnow();
    for (const c of step.chunks) {
      const live = this.live.get(c.request);
      if (live && live.scheduledV === undefined) live.scheduledV = v;
    }
    lane.timer = setTimeout(() => this.finish(lane, step, end), Math.max(0, end - now));
  }

  private finish(lane: Lane, step: PlannedStep, scheduledEnd: number): void {
    lane.timer = undefined;
    if (this.closed) return;
    const tokens = step.shape.prefill.reduce((s, p) => s + p.q, 0) + step.shape.decodeCount;
    this.stats.iterationTokens.observe(tokens);
    this.lastStep = { durationMs: step.duration * 1000, tokens };
    // Emission is stamped with the scheduled end, the instant the modelled GPU finished the step.
    const v = ((scheduledEnd - this.epoch) / 1000) * this.config.speedup;
    const events = lane.scheduler.commit(step);
    for (let k = 0, count = 1; k < events.length; k += count) {
      const event = events[k]!;
      count = 1;
      while (events[k + count]?.request === event.request) count += 1;
      const finished = events[k + count - 1]!.finished;
      const live = this.live.get(event.request);
      if (!live) continue;
      if (event.first) {
        live.firstV = v;
        this.stats.ttft.observe(v - live.arrivalV);
        this.stats.queue.observe((live.scheduledV ?? v) - live.arrivalV);
        this.stats.prefill.observe(v - (live.scheduledV ?? v));
      } else if (live.lastV !== undefined) {
        this.stats.itl.observe(v - live.lastV);
      }
      live.lastV = v;
      if (finished) {
        this.live.delete(event.request);
        this.stats.e2e.observe(v - live.arrivalV);
        this.stats.inference.observe(v - (live.scheduledV ?? live.arrivalV));
        this.stats.decode.observe(v - (live.firstV ?? v));
        this.stats.finishedByReason.set('length', (this.stats.finishedByReason.get('length') ?? 0) + 1);
      }
      live.sink.tokens(event.index, count, finished);
    }
    // Lag is taken after the last token of the step was written: an upper bound for every token in it.
    if (this.lagMs.length < MAX_LAG_SAMPLES) this.lagMs.push(Math.max(0, performance.now() - scheduledEnd));
    this.logProgress(lane, step, v);
    this.kick(lane, true);
  }

  private logProgress(lane: Lane, step: PlannedStep, v: number): void {
    const s = lane.scheduler;
    const usage = s.kvUsed / s.kvCapacity;
    if (this.config.engine === 'sglang') {
      if (step.kind === 'prefill') {
        const newTokens = step.shape.prefill.reduce((a, p) => a + p.q, 0);
        const cached = step.chunks.reduce((a, c) => a + (c.request.prefilled === c.request.cached + c.q ? c.request.cached : 0), 0);
        this.log(`Prefill batch. #new-seq: ${step.chunks.length}, #new-token: ${newTokens}, #cached-token: ${cached}, token usage: ${usage.toFixed(2)}, #running-req: ${s.runningCount()}, #queue-req: ${s.waiting.length},`);
      } else if (++lane.decodeStepsSinceLog >= 40) {
        lane.decodeStepsSinceLog = 0;
        this.updateThroughput(v);
        this.log(`Decode batch. #running-req: ${s.runningCount()}, #token: ${s.kvUsed}, token usage: ${usage.toFixed(2)}, cuda graph: ${step.shape.decodeCount <= this.config.cudaGraphMaxBatch}, gen throughput (token/s): ${this.stats.genThroughput.toFixed(2)}, #queue-req: ${s.waiting.length},`);
      }
      if (s.retractions > lane.retractionsLogged) {
        lane.retractionsLogged = s.retractions;
        this.log('KV cache pool is full. Retract requests.');
      }
      return;
    }
    if (this.config.engine === 'vllm' && v - this.lastLogV >= 10) {
      const dt = v - this.lastLogV;
      const t = this.totals();
      const prompt = (t.counters.promptTokens - this.lastLogCounters.prompt) / dt;
      const generation = (t.counters.generationTokens - this.lastLogCounters.generation) / dt;
      this.stats.genThroughput = generation;
      this.lastLogV = v;
      this.lastLogCounters = { prompt: t.counters.promptTokens, generation: t.counters.generationTokens };
      this.log(
        `Engine 000: Avg prompt throughput: ${prompt.toFixed(1)} tokens/s, Avg generation throughput: ${generation.toFixed(1)} tokens/s, Running: ${t.running} reqs, Waiting: ${t.waiting} reqs, GPU KV cache usage: ${((t.kvUsed / t.kvCapacity) * 100).toFixed(1)}%, Prefix cache hit rate: ${((100 * t.counters.cachedTokens) / Math.max(1, t.counters.cachedTokens + t.counters.promptTokens)).toFixed(1)}%`,
      );
    }
  }

  private updateThroughput(v: number): void {
    const dt = v - this.lastLogV;
    if (dt <= 0) return;
    const { counters } = this.totals();
    this.stats.genThroughput = (counters.generationTokens - this.lastLogCounters.generation) / dt;
    this.lastLogV = v;
    this.lastLogCounters = { prompt: counters.promptTokens, generation: counters.generationTokens };
  }
}
