// vLLM V1's scheduler: one mixed step per iteration (research/engines.md §6.4).
import type { PerfConfig } from '../../perf';
import { BatchScheduler, type PlannedStep, type SchedulerOptions, type SimRequest } from '../../scheduler';

/**
 * Running requests go first (a decode token each, or the next prompt chunk), then waiting requests are admitted in
 * arrival order while the token budget, the sequence cap and free KV allow. Without chunked prefill a prompt is
 * admitted only when it fits the step's remaining budget whole. When KV runs out the newest running request is
 * preempted and recomputed later. `priority` orders by the requests' priority, which benchmark clients leave equal,
 * so it runs as arrival order.
 */
export class VllmScheduler extends BatchScheduler {
  constructor(
    perf: PerfConfig,
    kvCapacity: number,
    maxNumSeqs: number,
    readonly maxNumBatchedTokens: number,
    options: SchedulerOptions = {},
  ) {
    super(perf, kvCapacity, maxNumSeqs, options);
  }

  runningCount(): number {
    return this.running.length;
  }

  plan(): PlannedStep | undefined {
    const chunked = this.options.chunkedPrefill !== false;
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
      const remaining = this.remainingPrefill(r);
      if (!chunked && remaining > budget) break;
      const q = Math.min(remaining, budget);
      if (this.kvUsed + growth + q > this.kvCapacity) break;
      this.waiting.shift();
      this.admit(r);
      this.running.push(r);
      chunks.push({ request: r, q });
      budget -= q;
      growth += q;
    }
    if (chunks.length === 0 && decodes.length === 0) return undefined;
    return this.finishPlan(chunks.length === 0 ? 'decode' : decodes.length === 0 ? 'prefill' : 'mixed', chunks, decodes);
  }
}
