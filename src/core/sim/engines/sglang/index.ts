// The simulated SGLang: `python3 -m sglang.launch_server`, its request limits, its scheduler and its own routes.
import { perfConfig, type SimEngineConfig } from '../../config';
import { Exposition } from '../../prometheus';
import { cacheAndPolicyOptions, type RouteContext, type RouteResponse, type SimEngine } from '../engine';
import { SGLANG_OPTIONS, SGLANG_USAGE } from './args';
import { sglangPlan } from './launch';
import { SglangScheduler } from './scheduler';

function metrics({ config, engine, created }: RouteContext): string {
  const t = engine.totals();
  const st = engine.stats;
  const l = { engine_type: 'unified', model_name: config.servedModelName, pp_rank: '0', tp_rank: '0' };
  const m = { model_name: config.servedModelName };
  const queried = t.counters.promptTokens + t.counters.cachedTokens;
  return new Exposition()
    .gauge('sglang:num_running_reqs', 'The number of running requests.', l, t.running)
    .gauge('sglang:num_queue_reqs', 'The number of requests in the waiting queue.', l, t.waiting)
    .gauge('sglang:num_used_tokens', 'The number of used tokens.', l, t.kvUsed)
    .gauge('sglang:token_usage', 'The token usage.', l, t.kvUsed / t.kvCapacity)
    .gauge('sglang:gen_throughput', 'The generation throughput (token/s).', l, st.genThroughput)
    .gauge('sglang:cache_hit_rate', 'The prefix cache hit rate.', l, queried > 0 ? t.counters.cachedTokens / queried : 0)
    .gauge('sglang:num_retracted_reqs', 'The number of retracted requests.', l, t.retractions)
    .gauge('sglang:is_cuda_graph', 'Whether the batch is using CUDA graph.', l, config.cudaGraphMaxBatch > 0 && t.running <= config.cudaGraphMaxBatch ? 1 : 0)
    .counter('sglang:prompt_tokens', 'Number of prefill tokens processed.', [{ labels: m, value: queried }], created)
    .counter('sglang:generation_tokens', 'Number of generation tokens processed.', [{ labels: m, value: t.counters.generationTokens }], created)
    .counter('sglang:cached_tokens', 'Number of cached prompt tokens.', [{ labels: m, value: t.counters.cachedTokens }], created)
    .counter('sglang:num_requests', 'Number of requests processed.', [{ labels: m, value: st.requestsReceived }], created)
    .counter('sglang:num_aborted_requests', 'Number of requests aborted.', [{ labels: m, value: st.aborted }], created)
    .histogram('sglang:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', m, st.ttft)
    .histogram('sglang:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', m, st.itl)
    .histogram('sglang:e2e_request_latency_seconds', 'Histogram of End-to-end request latency in seconds', m, st.e2e)
    .histogram('sglang:queue_time_seconds', 'Histogram of queueing time in seconds.', m, st.queue)
    .text();
}

/** tokenizer_manager's checks: the context length, then what one request may hold of the KV pool. */
function requestError(config: SimEngineConfig, promptLen: number, maxTokens: number | undefined, kvCapacityTokens: number): string | undefined {
  if (promptLen >= config.maxModelLen) return `The input (${promptLen} tokens) is longer than the model's context length (${config.maxModelLen} tokens).`;
  if (promptLen >= kvCapacityTokens) {
    return `Input length (${promptLen} tokens) exceeds the maximum allowed length (${kvCapacityTokens - 1} tokens). Use a shorter input or enable --allow-auto-truncate.`;
  }
  if (maxTokens !== undefined && promptLen + maxTokens > config.maxModelLen) {
    return `Requested token count exceeds the model's maximum context length of ${config.maxModelLen} tokens. You requested a total of ${promptLen + maxTokens} tokens: ${promptLen} tokens from the input messages and ${maxTokens} tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.`;
  }
  return undefined;
}

export const sglangEngine: SimEngine = {
  kind: 'sglang',
  usage: SGLANG_USAGE,
  options: SGLANG_OPTIONS,
  plan: sglangPlan,
  requestError,
  scheduler: (config, kv) =>
    new SglangScheduler(perfConfig(config), kv, config.maxRunning, config.tokenBudget, {
      mixedChunk: config.mixedChunk,
      ...(config.maxPrefillTokens !== undefined ? { maxPrefillTokens: config.maxPrefillTokens } : {}),
      ...cacheAndPolicyOptions(config),
    }),
  route(route, ctx): RouteResponse | undefined {
    const { config, engine, ready, simulatedMeta } = ctx;
    switch (route) {
      case 'GET /health':
      case 'GET /health_generate':
        return ready ? { status: 200, text: '', contentType: 'application/json' } : { status: 503, json: {} };
      case 'GET /metrics':
        return config.enableMetrics ? { status: 200, text: metrics(ctx), contentType: 'text/plain; version=0.0.4; charset=utf-8' } : undefined;
      case 'POST /flush_cache':
      case 'GET /flush_cache':
        return { status: 200, contentType: 'text/plain', text: 'Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n' };
      case 'GET /get_server_info':
      case 'GET /server_info':
        return {
          status: 200,
          json: { ...config.nonDefaultArgs, model_path: config.modelArg, tp_size: config.tp, max_total_num_tokens: engine.totals().kvCapacity, max_running_requests: config.maxRunning, chunked_prefill_size: config.tokenBudget, version: config.version, ...simulatedMeta },
        };
      case 'GET /get_model_info':
      case 'GET /model_info':
        return { status: 200, json: { model_path: config.modelArg, tokenizer_path: config.modelArg, is_generation: true } };
    }
    return undefined;
  },
};
