// Discrete-event continuous batching (research/engines.md §6.4). A scheduler decides what one engine step runs;
// the caller advances time by the step's modelled duration and commits it, which emits tokens. The same code runs
// in virtual time (`sim predict`) and in real time behind the HTTP server.
import { stepSeconds, type PerfConfig, type StepShape } from './perf';

export interface SimRequest {
  id: number;
  promptLen: number;
  maxTokens: number;
  /** Tokens the next prefill must compute: the prompt, plus the output so far after a preemption (recompute). */
  prefillTarget: number;
  prefilled: number;
  generated: number;
  /** KV-cache tokens held. */
  kv: number;
  preemptions: number;
  aborted: boolean;
  finished: boolean;
}

export function newRequest(id: number, promptLen: number, maxTokens: number): SimRequest {
  return { id, promptLen, maxTokens, prefillTarget: promptLen, prefilled: 0, generated: 0, kv: 0, preemptions: 0, aborted: false, finished: false };
}

export interface PlannedStep {
  kind: 'prefill' | 'decode' | 'mixed';
  duration: number;
  chunks: Array<{ request: SimRequest; q: number }>;
  decodes: SimRequest[];
  shape: StepShape;
}

export interface TokenEvent {
  request: SimRequest;
  first: boolean;
  finished: boolean;
}

export interface SchedulerCounters {
  steps: number;
  promptTokens: number;
  generationTokens: number;
  preemptions: number;
  finishedRequests: number;
}

export abstract class BatchScheduler {
  readonly waiting: SimRequest[] = [];
  running: SimRequest[] = [];
  kvUsed = 0;
  readonly counters: SchedulerCounters = { steps: 0, promptTokens: 0, generationTokens: 0, preemptions: 0, finishedRequests: 0 };

  constructor(
    readonly perf: PerfConfig,
    readonly kvCapacity: number,
    readonly maxRunning: number,
  ) {}

  add(request: SimRequest): void {
    this.waiting.push(request);
  }

  hasWork(): boolean {
    return this.waiting.length > 0 || this.running.length > 0;
  }

  /** Drops a request whose client went away; its KV is freed at once. */
  abort(request: SimRequest): void {
    if (request.finished || request.aborted) return;
    request.aborted = true;
    const w = this.waiting.indexOf(request);
    if (w >= 0) this.waiting.splice(w, 1);
    const r = this.running.indexOf(request);
    if (r >= 0) {
      this.running.splice(r, 1);
      this.kvUsed -= request.kv;
      request.kv = 0;
    }
  }

  /** Requests in the model batch, as the engine's gauge counts them. */
  abstract runningCount(): number;

  /** The next step, or undefined when there is nothing to run. */
  abstract plan(): PlannedStep | undefined;

  protected preemptNewest(): void {
    const victim = this.running.pop()!;
    this.kvUsed -= victim.kv;
    victim.kv = 0;
    victim.prefilled = 0;
    victim.prefillTarget = victim.promptLen + victim.generated;
    victim.preemptions += 1;
    this.counters.preemptions += 1;
    this.waiting.unshift(victim);
  }

  protected finishPlan(kind: PlannedStep['kind'], chunks: PlannedStep['chunks'], decodes: SimRequest[]): PlannedStep {
    let decodeContextSum = 0;
    for (const r of decodes) decodeContextSum += r.kv;
    let newRequests = 0;
    for (const c of chunks) if (c.request.prefilled === 0) newRequests += 1;
    const shape: StepShape = { prefill: chunks.map((c) => ({ q: c.q, ctx: c.request.prefilled })), decodeCount: decodes.length, decodeContextSum, newRequests };
    return { kind, duration: stepSeconds(this.perf, shape), chunks, decodes, shape };
  }

  /** Applies a step that has just ended: KV grows, tokens are emitted, finished requests leave. */
  commit(step: PlannedStep): TokenEvent[] {
    const events: TokenEvent[] = [];
    this.counters.steps += 1;
    const emit = (request: SimRequest) => {
      const first = request.generated === 0;
      request.generated += 1;
      this.counters.generationTokens += 1;
      const finished = request.generated >= request.maxTokens;
      events.push({ request, first, finished });
      if (finished) {
        request.finished = true;
        this.counters.finishedRequests += 1;
      }
    };
    for (const { request, q } of step.chunks) {
      if (request.aborted) continue;
      request.prefilled += q;
      request.kv += q;
      this.kvUsed += q;
      this.counters.promptTokens += q;
      if (request.prefilled >= request.prefillTarget) emit(request);
    }
    for (const request of step.decodes) {
      if (request.aborted || request.finished) continue;
      request.kv += 1;
      this.kvUsed += 1;
      emit(request);
    }
    if (events.some((e) => e.finished)) {
      this.running = this.running.filter((r) => {
        if (!r.finished) return true;
        this.kvUsed -= r.kv;
        r.kv = 0;
        return false;
      });
    }
    return events;
  }
}

/**
 * vLLM V1: one mixed step per iteration. Running requests go first (a decode token each, or the next prompt chunk),
 * then waiting requests are admitted FCFS while the token budget, the sequence cap and free KV allow. When KV runs
 * out the newest running request is preempted and recomputed later.
 */
export class VllmScheduler extends BatchScheduler {
  constructor(
    perf: PerfConfig,
    kvCapacity: number,
    maxNumSeqs: number,
    readonly maxNumBatchedTokens: number,
  ) {
    super(perf, kvCapacity, maxNumSeqs);
  }

  runningCount(): number {
    return this.running.length;
  }

  plan(): PlannedStep | undefined {
    let budget = 0;
    let growth = 0;
    let chunks: PlannedStep['chunks'] = [];
    let decodes: SimRequest[] = [];
    let preempted = false;
    for (;;) {
      budget = this.maxNumBatchedTokens;
      growth = 0;
      chunks = [];
      decodes = [];
      for (const r of this.running) {
        if (budget <= 0) break;
        if (r.prefilled < r.prefillTarget) {
          const q = Math.min(r.prefillTarget - r.prefilled, budget);
          chunks.push({ request: r, q });
          budget -= q;
          growth += q;
        } else {
          decodes.push(r);
          budget -= 1;
          growth += 1;
        }
      }
      if (this.kvUsed + growth <= this.kvCapacity || this.running.length <= 1) break;
      this.preemptNewest();
      preempted = true;
    }
    // Like vLLM, no new admissions in a step that had to preempt.
    while (!preempted && this.waiting.length > 0 && budget > 0 && this.running.length < this.maxRunning) {
      const r = this.waiting[0]!;
      const q = Math.min(r.prefillTarget - r.prefilled, budget);
      if (this.kvUsed + growth + q > this.kvCapacity) break;
      this.waiting.shift();
      this.running.push(r);
      chunks.push({ request: r, q });
      budget -= q;
      growth += q;
    }
    if (chunks.length === 0 && decodes.length === 0) return undefined;
    return this.finishPlan(chunks.length === 0 ? 'decode' : decodes.length === 0 ? 'prefill' : 'mixed', chunks, decodes);
  }
}

const SGLANG_INIT_NEW_TOKEN_RATIO = 0.7;
const SGLANG_MIN_NEW_TOKEN_RATIO = 0.14;
const SGLANG_NEW_TOKEN_RATIO_DECAY = 0.001;
const SGLANG_RESERVE_CLIP = 4096;

/**
 * SGLang: prefill first. While requests wait and their prompts plus the estimated growth of the running batch fit in
 * KV, run a prefill-only batch of at most chunked_prefill_size tokens; otherwise one decode step over every running
 * request. A decode that runs out of KV retracts the newest requests.
 */
export class SglangScheduler extends BatchScheduler {
  newTokenRatio = SGLANG_INIT_NEW_TOKEN_RATIO;
  retractions = 0;
  private chunked: SimRequest | undefined;

  constructor(
    perf: PerfConfig,
    kvCapacity: number,
    maxRunningRequests: number,
    readonly chunkedPrefillSize: number,
    /** SGLang's --enable-mixed-chunk: decode tokens ride along with prefill chunks. */
    readonly mixedChunk = false,
  ) {
    super(perf, kvCapacity, maxRunningRequests);
  }

  runningCount(): number {
    let n = 0;
    for (const r of this.running) if (r.prefilled >= r.prefillTarget) n += 1;
    return n;
  }

  override abort(request: SimRequest): void {
    super.abort(request);
    if (this.chunked === request) this.chunked = undefined;
  }

  plan(): PlannedStep | undefined {
    const decodable = () => this.running.filter((r) => r.prefilled >= r.prefillTarget);
    if (this.chunked?.aborted || (this.chunked && this.chunked.prefilled >= this.chunked.prefillTarget)) this.chunked = undefined;
    if (this.waiting.length > 0 || this.chunked) {
      let budget = this.chunkedPrefillSize;
      let inflight = 0;
      let reserve = 0;
      for (const r of this.running) {
        if (r.prefilled >= r.prefillTarget) reserve += Math.min(r.maxTokens - r.generated, SGLANG_RESERVE_CLIP) * this.newTokenRatio;
      }
      const chunks: PlannedStep['chunks'] = [];
      if (this.chunked) {
        const q = Math.min(this.chunked.prefillTarget - this.chunked.prefilled, budget);
        chunks.push({ request: this.chunked, q });
        budget -= q;
        inflight += this.chunked.prefillTarget - this.chunked.prefilled;
        this.chunked = this.chunked.prefilled + q < this.chunked.prefillTarget ? this.chunked : undefined;
      }
      while (!this.chunked && this.waiting.length > 0 && budget > 0 && this.running.length < this.maxRunning) {
        const r = this.waiting[0]!;
        const remaining = r.prefillTarget - r.prefilled;
        if (this.kvUsed + inflight + remaining + reserve > this.kvCapacity) break;
        const q = Math.min(remaining, budget);
        this.waiting.shift();
        this.running.push(r);
        chunks.push({ request: r, q });
        budget -= q;
        inflight += remaining;
        reserve += Math.min(r.maxTokens - r.generated, SGLANG_RESERVE_CLIP) * this.newTokenRatio;
        if (q < remaining) this.chunked = r;
      }
      if (chunks.length > 0) {
        const decodes = this.mixedChunk ? decodable().filter((r) => !chunks.some((c) => c.request === r)) : [];
        return this.finishPlan(decodes.length > 0 ? 'mixed' : 'prefill', chunks, decodes);
      }
    }
    let decodes = decodable();
    if (decodes.length === 0) return undefined;
    while (this.kvUsed + decodes.length > this.kvCapacity && this.running.length > 1) {
      this.retract();
      decodes = decodable();
    }
    this.newTokenRatio = Math.max(SGLANG_MIN_NEW_TOKEN_RATIO, this.newTokenRatio - SGLANG_NEW_TOKEN_RATIO_DECAY);
    return this.finishPlan('decode', [], decodes);
  }

  private retract(): void {
    if (this.chunked === this.running[this.running.length - 1]) this.chunked = undefined;
    this.preemptNewest();
    this.retractions += 1;
    this.newTokenRatio = SGLANG_INIT_NEW_TOKEN_RATIO;
  }
}
