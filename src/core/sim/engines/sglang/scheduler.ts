// SGLang's scheduler: prefill first, with a reservation for the running requests' future tokens
// (research/engines.md §6.4).
import type { PerfConfig } from '../../perf';
import { BatchScheduler, type PlannedStep, type SchedulerOptions, type SimRequest } from '../../scheduler';

const INIT_NEW_TOKEN_RATIO = 0.7;
const MIN_NEW_TOKEN_RATIO = 0.14;
const NEW_TOKEN_RATIO_DECAY = 0.001;
const RESERVE_CLIP = 4096;
/** SGLang falls back to first-come-first-served when more requests than this wait (the prefix match costs too much). */
const LPM_QUEUE_LIMIT = 128;

export interface SglangSchedulerOptions extends SchedulerOptions {
  /** --enable-mixed-chunk: decode tokens ride along with prefill chunks. */
  mixedChunk?: boolean;
  /** --max-prefill-tokens: new tokens of one prefill batch; the first prompt is admitted even when longer. */
  maxPrefillTokens?: number;
}

/**
 * While requests wait and their prompts plus the estimated growth of the running batch fit in KV, run a prefill-only
 * batch of at most chunked_prefill_size (and max_prefill_tokens) new tokens; otherwise one decode step over every
 * running request. A decode that runs out of KV retracts the newest requests. A chunked_prefill_size of 0 or less
 * disables chunking: prompts are prefilled whole.
 */
export class SglangScheduler extends BatchScheduler {
  newTokenRatio = INIT_NEW_TOKEN_RATIO;
  private chunked: SimRequest | undefined;
  /** Deterministic shuffle state for the `random` policy. */
  private rng = 0x2545f491;

  constructor(
    perf: PerfConfig,
    kvCapacity: number,
    maxRunningRequests: number,
    readonly chunkedPrefillSize: number,
    readonly sglangOptions: SglangSchedulerOptions = {},
  ) {
    super(perf, kvCapacity, maxRunningRequests, { ...sglangOptions, chunkedPrefill: chunkedPrefillSize > 0 });
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
    if (this.chunked?.aborted || (this.chunked && this.chunked.prefilled >= this.chunked.prefillTarget)) this.chunked = undefined;
    if (this.waiting.length > 0 || this.chunked) {
      const step = this.planPrefill();
      if (step) return step;
    }
    let decodes = this.decodable();
    if (decodes.length === 0) return undefined;
    while (this.kvUsed + decodes.length > this.kvCapacity && this.running.length > 1) {
      this.retract();
      decodes = this.decodable();
    }
    this.newTokenRatio = Math.max(MIN_NEW_TOKEN_RATIO, this.newTokenRatio - NEW_TOKEN_RATIO_DECAY);
    return this.finishPlan('decode', [], decodes);
  }

  private decodable(): SimRequest[] {
    return this.running.filter((r) => r.prefilled >= r.prefillTarget);
  }

  private planPrefill(): PlannedStep | undefined {
    const chunkLimit = this.chunkedPrefillSize > 0 ? this.chunkedPrefillSize : Infinity;
    let budget = Math.min(chunkLimit, this.sglangOptions.maxPrefillTokens ?? Infinity);
    let inflight = 0;
    let reserve = 0;
    for (const r of this.running) {
      if (r.prefilled >= r.prefillTarget) reserve += Math.min(r.maxTokens - r.generated, RESERVE_CLIP) * this.newTokenRatio;
    }
    const chunks: PlannedStep['chunks'] = [];
    if (this.chunked) {
      const q = Math.min(this.chunked.prefillTarget - this.chunked.prefilled, budget);
      chunks.push({ request: this.chunked, q });
      budget -= q;
      inflight += this.chunked.prefillTarget - this.chunked.prefilled;
      this.chunked = this.chunked.prefilled + q < this.chunked.prefillTarget ? this.chunked : undefined;
    }
    this.orderWaiting();
    while (!this.chunked && this.waiting.length > 0 && budget > 0 && this.running.length < this.maxRunning) {
      const r = this.waiting[0]!;
      const remaining = this.remainingPrefill(r);
      if (this.kvUsed + inflight + remaining + reserve > this.kvCapacity) break;
      // Unchunked, a prompt longer than what is left of the batch waits for the next one (the first always runs).
      if (chunkLimit === Infinity && remaining > budget && chunks.length > 0) break;
      const q = chunkLimit === Infinity ? remaining : Math.min(remaining, budget);
      this.waiting.shift();
      this.admit(r);
      this.running.push(r);
      chunks.push({ request: r, q });
      budget -= q;
      inflight += remaining;
      reserve += Math.min(r.maxTokens - r.generated, RESERVE_CLIP) * this.newTokenRatio;
      if (q < remaining) this.chunked = r;
    }
    if (chunks.length === 0) return undefined;
    const decodes = this.sglangOptions.mixedChunk ? this.decodable().filter((r) => !chunks.some((c) => c.request === r)) : [];
    return this.finishPlan(decodes.length > 0 ? 'mixed' : 'prefill', chunks, decodes);
  }

  /** SGLang re-sorts the waiting queue before each prefill batch by its --schedule-policy. */
  private orderWaiting(): void {
    const policy = this.options.policy ?? 'fcfs';
    if (policy === 'lof') this.waiting.sort((a, b) => b.maxTokens - a.maxTokens);
    else if ((policy === 'lpm' || policy === 'dfs-weight') && this.prefixCache && this.waiting.length <= LPM_QUEUE_LIMIT) {
      const hits = new Map(this.waiting.map((r) => [r, this.prefixCache!.peek(r.blockKeys)]));
      this.waiting.sort((a, b) => hits.get(b)! - hits.get(a)!);
    } else if (policy === 'random') {
      for (let i = this.waiting.length - 1; i > 0; i--) {
        this.rng = Math.imul(this.rng ^ (this.rng >>> 15), 0x2c1b3c6d) >>> 0;
        const j = this.rng % (i + 1);
        [this.waiting[i], this.waiting[j]] = [this.waiting[j]!, this.waiting[i]!];
      }
    }
  }

  private retract(): void {
    if (this.chunked === this.running[this.running.length - 1]) this.chunked = undefined;
    this.preemptNewest();
    this.retractions += 1;
    this.newTokenRatio = INIT_NEW_TOKEN_RATIO;
  }
}
