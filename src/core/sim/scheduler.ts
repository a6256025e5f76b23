// Discrete-event continuous batching (research/engines.md §6.4). A scheduler decides what one engine step runs;
// the caller advances time by the step's modelled duration and commits it, which emits tokens. The same code runs
// in virtual time (`sim predict`) and in real time behind the HTTP server. Each engine's admission policy lives in
// its own folder (engines/<engine>/scheduler.ts); this file holds what they share: requests, KV accounting,
// preemption, prefix-cache hits, speculative decoding and the step's duration.
import type { SpeculativeSettings } from './engines/speculative';
import { expectedTokensPerStep } from './engines/speculative';
import { stepSeconds, type PerfConfig, type StepShape } from './perf';
import { PrefixCache } from './prefixCache';

export interface SimRequest {
  id: number;
  promptLen: number;
  maxTokens: number;
  /** Keys of the prompt's full KV blocks (each covers the prompt up to that block), for prefix-cache lookups. */
  blockKeys: readonly string[];
  /** Tokens the next prefill must compute: the prompt, plus the output so far after a preemption (recompute). */
  prefillTarget: number;
  prefilled: number;
  /** Prompt tokens found in the prefix cache at the latest admission. */
  cached: number;
  generated: number;
  /** KV-cache tokens held. */
  kv: number;
  preemptions: number;
  admitted: boolean;
  aborted: boolean;
  finished: boolean;
  /** Speculative decoding: accepted tokens owed but not yet emitted (fractions of the expected yield). */
  specCredit: number;
}

export function newRequest(id: number, promptLen: number, maxTokens: number, blockKeys: readonly string[] = []): SimRequest {
  return { id, promptLen, maxTokens, blockKeys, prefillTarget: promptLen, prefilled: 0, cached: 0, generated: 0, kv: 0, preemptions: 0, admitted: false, aborted: false, finished: false, specCredit: 0 };
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
  /** The token's position in the request's output (a speculative step emits several tokens of one request). */
  index: number;
  first: boolean;
  finished: boolean;
}

export interface SchedulerCounters {
  steps: number;
  promptTokens: number;
  /** Prompt tokens served from the prefix cache instead of computed. */
  cachedTokens: number;
  generationTokens: number;
  preemptions: number;
  finishedRequests: number;
}

/** vLLM: fcfs | priority. SGLang: fcfs | lpm | random | lof | dfs-weight | priority. */
export type SchedulePolicy = 'fcfs' | 'priority' | 'lpm' | 'random' | 'lof' | 'dfs-weight';

export interface SchedulerOptions {
  /** False: prompts are prefilled whole, never split across steps. */
  chunkedPrefill?: boolean;
  prefixCaching?: boolean;
  blockSize?: number;
  policy?: SchedulePolicy;
  speculative?: SpeculativeSettings;
}

export abstract class BatchScheduler {
  readonly waiting: SimRequest[] = [];
  running: SimRequest[] = [];
  kvUsed = 0;
  /** Requests retracted under KV pressure (SGLang's wording; vLLM counts them as preemptions). */
  retractions = 0;
  readonly counters: SchedulerCounters = { steps: 0, promptTokens: 0, cachedTokens: 0, generationTokens: 0, preemptions: 0, finishedRequests: 0 };
  protected readonly prefixCache: PrefixCache | undefined;
  private readonly tokensPerVerify: number;

  constructor(
    readonly perf: PerfConfig,
    readonly kvCapacity: number,
    readonly maxRunning: number,
    readonly options: SchedulerOptions = {},
  ) {
    this.prefixCache = options.prefixCaching ? new PrefixCache(options.blockSize ?? 16, kvCapacity) : undefined;
    this.tokensPerVerify = options.speculative ? expectedTokensPerStep(options.speculative) : 1;
  }

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

  /** Prompt tokens a waiting request still has to compute, after the prefix cache; looks the cache up once per admission. */
  protected remainingPrefill(request: SimRequest): number {
    if (!request.admitted && request.prefilled === 0 && this.prefixCache) {
      // The engines always compute the last prompt token, so a full hit still leaves one.
      const hit = Math.min(this.prefixCache.lookup(request.blockKeys), request.prefillTarget - 1);
      request.cached = Math.max(0, hit);
      request.prefilled = request.cached;
    }
    return request.prefillTarget - request.prefilled;
  }

  /** Moves a waiting request into the batch. */
  protected admit(request: SimRequest): void {
    request.admitted = true;
    this.counters.cachedTokens += request.cached;
  }

  protected preemptNewest(): void {
    const victim = this.running.pop()!;
    this.kvUsed -= victim.kv;
    victim.kv = 0;
    victim.prefilled = 0;
    victim.cached = 0;
    victim.admitted = false;
    victim.prefillTarget = victim.promptLen + victim.generated;
    victim.preemptions += 1;
    this.counters.preemptions += 1;
    this.waiting.unshift(victim);
  }

  protected finishPlan(kind: PlannedStep['kind'], chunks: PlannedStep['chunks'], decodes: SimRequest[]): PlannedStep {
    let decodeContextSum = 0;
    for (const r of decodes) decodeContextSum += r.kv;
    let newRequests = 0;
    for (const c of chunks) if (c.request.prefilled === c.request.cached) newRequests += 1;
    const spec = this.options.speculative;
    // A speculative decode verifies k drafted tokens plus one (or SGLang's draft tree) in one pass, after k draft steps.
    const verified = spec ? decodes.length * spec.verifyTokens : decodes.length;
    const shape: StepShape = { prefill: chunks.map((c) => ({ q: c.q, ctx: c.request.prefilled })), decodeCount: verified, decodeContextSum, newRequests };
    const draft = spec && decodes.length > 0 ? spec.draftTokens * this.draftStepSeconds(decodes.length, decodeContextSum) : 0;
    return { kind, duration: stepSeconds(this.perf, shape) + draft, chunks, decodes, shape };
  }

  /** One draft step over `count` requests: a separate draft model, or a one-layer head (EAGLE, MTP) plus its lm_head. */
  private draftStepSeconds(count: number, contextSum: number): number {
    const spec = this.options.speculative!;
    const shape: StepShape = { prefill: [], decodeCount: count, decodeContextSum: contextSum, newRequests: 0 };
    if (spec.draftModel) return stepSeconds({ ...this.perf, model: spec.draftModel }, shape);
    if (spec.method.toLowerCase().includes('ngram')) return 0;
    const { model, gpu, tp } = this.perf;
    const lmHead = (2 * model.hidden * model.vocabSize) / (tp * gpu.hbmBytesPerS);
    return (stepSeconds(this.perf, shape) - this.perf.efficiency.stepOverheadS) / model.layers + lmHead;
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
      events.push({ request, index: request.generated - 1, first, finished });
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
      if (request.prefilled >= request.prefillTarget) {
        this.prefixCache?.insert(request.blockKeys);
        emit(request);
      }
    }
    for (const request of step.decodes) {
      if (request.aborted || request.finished) continue;
      request.specCredit += this.tokensPerVerify;
      const accepted = Math.max(1, Math.min(Math.floor(request.specCredit), request.maxTokens - request.generated));
      request.specCredit -= accepted;
      request.kv += accepted;
      this.kvUsed += accepted;
      for (let i = 0; i < accepted; i++) emit(request);
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
