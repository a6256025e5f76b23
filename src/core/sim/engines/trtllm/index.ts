// The simulated TensorRT-LLM: `trtllm-serve`, its request limits, its scheduler and its own routes.
import { perfConfig, type SimEngineConfig } from '../../config';
import { Exposition } from '../../prometheus';
import type { RouteContext, RouteResponse, SimEngine } from '../engine';
import { VllmScheduler } from '../vllm/scheduler';
import { TRTLLM_OPTIONS, TRTLLM_USAGE } from './args';
import { trtllmPlan } from './launch';

/** `/metrics`: the iteration stats (enable_iter_perf_stats), a JSON list. */
function iterationStats({ config, engine }: RouteContext): unknown[] {
  if (!config.iterPerfStats) return [];
  const t = engine.totals();
  const block = config.blockSize;
  return [
    {
      iter: t.counters.steps,
      iterLatencyMS: engine.lastStep.durationMs,
      numActiveRequests: t.running,
      numQueuedRequests: t.waiting,
      maxNumActiveRequests: config.maxRunning,
      gpuMemUsage: 0,
      kvCacheStats: { maxNumBlocks: Math.floor(t.kvCapacity / block), freeNumBlocks: Math.floor((t.kvCapacity - t.kvUsed) / block), usedNumBlocks: Math.ceil(t.kvUsed / block), tokensPerBlock: block },
    },
  ];
}

/** `/prometheus/metrics`, mounted only with `return_perf_metrics: true`. */
function prometheus({ config, engine, created }: RouteContext): string {
  const l = { engine_type: 'trtllm', model_name: config.servedModelName };
  const st = engine.stats;
  return new Exposition()
    .counter('trtllm_request_success', 'Count of successfully processed requests.', [{ labels: { ...l, finished_reason: 'length' }, value: st.finishedByReason.get('length') ?? 0 }], created)
    .histogram('trtllm_e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', l, st.e2e)
    .histogram('trtllm_time_to_first_token_seconds', 'Histogram of time to first token in seconds.', l, st.ttft)
    .histogram('trtllm_time_per_output_token_seconds', 'Histogram of time per output token in seconds.', l, st.itl)
    .histogram('trtllm_request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', l, st.queue)
    .text();
}

/** The LLM API's argument checks (`_check_arguments`): max_seq_len, and max_num_tokens when prompts cannot be chunked. */
function requestError(config: SimEngineConfig, promptLen: number, maxTokens: number | undefined): string | undefined {
  if (promptLen + (maxTokens ?? 1) > config.maxModelLen) {
    return `The sum of prompt length (${promptLen}) and query length (0) and max_tokens (${maxTokens ?? 1}) should not exceed max_seq_len (${config.maxModelLen})`;
  }
  if (!config.chunkedPrefill && promptLen > config.tokenBudget) {
    return `The sum of prompt length (${promptLen}) and query length (0) should not exceed max_num_tokens (${config.tokenBudget})`;
  }
  return undefined;
}

export const trtllmEngine: SimEngine = {
  kind: 'trtllm',
  usage: TRTLLM_USAGE,
  options: TRTLLM_OPTIONS,
  plan: trtllmPlan,
  requestError,
  // GUARANTEED_NO_EVICT with chunked context behaves like a mixed-batch scheduler.
  scheduler: (config, kv) =>
    new VllmScheduler(perfConfig(config), kv, config.maxRunning, config.tokenBudget, {
      chunkedPrefill: config.chunkedPrefill,
      prefixCaching: config.prefixCaching,
      blockSize: config.blockSize,
      ...(config.speculative ? { speculative: config.speculative } : {}),
    }),
  route(route, ctx): RouteResponse | undefined {
    switch (route) {
      case 'GET /health':
        return { status: 200, text: '', contentType: 'application/json' };
      case 'GET /health_generate':
        return { status: ctx.ready ? 200 : 503, text: '', contentType: 'application/json' };
      case 'GET /metrics':
        return { status: 200, json: iterationStats(ctx) };
      case 'GET /prometheus/metrics':
        return ctx.config.enableMetrics ? { status: 200, text: prometheus(ctx), contentType: 'text/plain; version=0.0.4; charset=utf-8' } : undefined;
    }
    return undefined;
  },
};
