// The simulated vLLM: `vllm serve`, its request limits, its scheduler and the routes only vLLM has.
import { perfConfig, type SimEngineConfig } from '../../config';
import { Exposition } from '../../prometheus';
import { cacheAndPolicyOptions, type RouteContext, type RouteResponse, type SimEngine } from '../engine';
import { VLLM_SERVE_OPTIONS, VLLM_USAGE } from './args';
import { vllmPlan } from './launch';
import { VllmScheduler } from './scheduler';

const PROMETHEUS = 'text/plain; version=0.0.4; charset=utf-8';

function metrics({ config, engine, created }: RouteContext): string {
  const t = engine.totals();
  const st = engine.stats;
  const l = { engine: '0', model_name: config.servedModelName };
  const e = new Exposition()
    .gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', l, t.running)
    .gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', l, t.waiting)
    .gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', l, t.kvUsed / t.kvCapacity);
  if (config.showHiddenMetrics) e.gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.', l, t.kvUsed / t.kvCapacity);
  const counter = (name: string, help: string, value: number) => e.counter(name, help, [{ labels: l, value }], created);
  counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.', t.counters.preemptions);
  counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', t.counters.promptTokens + t.counters.cachedTokens);
  counter('vllm:generation_tokens', 'Number of generation tokens processed.', t.counters.generationTokens);
  counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.', config.prefixCaching ? t.counters.promptTokens + t.counters.cachedTokens : 0);
  counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.', t.counters.cachedTokens);
  e.counter(
    'vllm:request_success',
    'Count of successfully processed requests.',
    ['abort', 'length', 'stop'].map((reason) => ({ labels: { ...l, finished_reason: reason }, value: st.finishedByReason.get(reason) ?? 0 })),
    created,
  )
    .histogram('vllm:iteration_tokens_total', 'Histogram of number of tokens per engine_step.', l, st.iterationTokens)
    .histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', l, st.ttft)
    .histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', l, st.itl)
    .histogram('vllm:time_per_output_token_seconds', 'Histogram of time per output token in seconds.DEPRECATED: Use vllm:inter_token_latency_seconds instead.', l, st.itl)
    .histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', l, st.e2e)
    .histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', l, st.queue)
    .histogram('vllm:request_inference_time_seconds', 'Histogram of time spent in RUNNING phase for request.', l, st.inference)
    .histogram('vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', l, st.prefill)
    .histogram('vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', l, st.decode)
    .gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig', { engine: '0', block_size: String(config.blockSize), cache_dtype: config.kvDtypeBytes === 1 ? 'fp8' : 'auto', gpu_memory_utilization: String(config.memoryFraction), num_gpu_blocks: String(Math.floor(t.kvCapacity / config.blockSize)) }, 1);
  return e.text();
}

function requestError(config: SimEngineConfig, promptLen: number, maxTokens: number | undefined): string | undefined {
  if (promptLen < config.maxModelLen && (maxTokens === undefined || promptLen + maxTokens <= config.maxModelLen)) return undefined;
  return `This model's maximum context length is ${config.maxModelLen} tokens. However, you requested ${promptLen + (maxTokens ?? 0)} tokens (${promptLen} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`;
}

export const vllmEngine: SimEngine = {
  kind: 'vllm',
  usage: VLLM_USAGE,
  options: VLLM_SERVE_OPTIONS,
  plan: vllmPlan,
  requestError,
  scheduler: (config, kv) =>
    new VllmScheduler(perfConfig(config), kv, config.maxRunning, config.tokenBudget, { chunkedPrefill: config.chunkedPrefill, ...cacheAndPolicyOptions(config) }),
  route(route, ctx): RouteResponse | undefined {
    switch (route) {
      case 'GET /health':
        return { status: 200, text: '', contentType: 'application/json' };
      case 'GET /ping':
        return { status: 200, json: {} };
      case 'GET /metrics':
        return { status: 200, text: metrics(ctx), contentType: PROMETHEUS };
      case 'POST /reset_prefix_cache':
        return { status: 200, text: '', contentType: 'application/json' };
    }
    return undefined;
  },
};
