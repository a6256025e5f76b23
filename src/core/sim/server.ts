// The simulated engines' HTTP API: OpenAI-compatible completions with real SSE streaming, tokenization, health,
// models and each engine's /metrics (research/engines.md §2-3). Tokens leave at the times the performance model
// gives, through RealtimeEngine.
import http from 'node:http';
import type { SimEngineConfig } from './config';
import { Exposition } from './prometheus';
import type { LiveRequest, RealtimeEngine } from './realtime';
import { chatPromptTokens, detokenize, hashString, InvalidTokenError, promptTokens, tokenText, wordTokens, type ChatMessage } from './tokenizer';

export interface ServerState {
  /** False until the engine's own ready moment (SGLang answers /health 503 before). */
  ready: boolean;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'BadRequestError',
  ) {
    super(message);
  }
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Streams up to this many tokens are built ahead and sent with a Content-Length. */
const PREBUILT_STREAM_TOKENS = 4096;

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'Invalid JSON in request body'));
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function errorBody(config: SimEngineConfig, err: HttpError): unknown {
  if (config.engine === 'sglang') return { object: 'error', message: err.message, type: err.type, param: null, code: err.status };
  return { error: { message: err.message, type: err.type, param: null, code: err.status } };
}

type Json = Record<string, unknown>;

const asMessages = (value: unknown): ChatMessage[] => {
  if (!Array.isArray(value) || value.length === 0) throw new HttpError(400, "'messages' must be a non-empty list of {role, content}");
  return value.map((m: unknown) => {
    const msg = m as { role?: unknown; content?: unknown };
    const content = typeof msg.content === 'string' ? msg.content : Array.isArray(msg.content) ? msg.content.map((p: { text?: string }) => p.text ?? '').join('') : '';
    return { role: typeof msg.role === 'string' ? msg.role : 'user', content };
  });
};

/** Natural reply length when the request sets no max_tokens: stable per prompt, 64-512 tokens. */
const naturalLength = (seed: number) => 64 + (seed % 449);

export function createSimServer(config: SimEngineConfig, engine: RealtimeEngine, state: ServerState): http.Server {
  const created = Math.floor(Date.now() / 1000);
  const simulatedMeta = { simulated: true, speedup: config.speedup, engine: config.engine, gpu: `${config.gpuCount}x ${config.gpu.id}`, note: 'serving-lab simulated host: timings are modelled, not measured' };
  const owner = config.engine === 'trtllm' ? 'tensorrt_llm' : config.engine;

  const checkModel = (body: Json) => {
    const model = body['model'];
    if (config.engine === 'vllm' && typeof model === 'string' && model !== config.servedModelName) {
      throw new HttpError(404, `The model \`${model}\` does not exist.`, 'NotFoundError');
    }
  };

  async function generate(req: http.IncomingMessage, res: http.ServerResponse, chat: boolean): Promise<void> {
    const body = (await readBody(req)) as Json;
    checkModel(body);
    let prompt: number[];
    if (chat) {
      prompt = chatPromptTokens(asMessages(body['messages']));
    } else {
      const p = body['prompt'];
      if (typeof p === 'string') prompt = promptTokens(p);
      else if (Array.isArray(p) && p.every((x) => typeof x === 'number')) prompt = p as number[];
      else if (Array.isArray(p) && typeof p[0] === 'string') prompt = promptTokens(p[0] as string);
      else throw new HttpError(400, "'prompt' must be a string or a list of token ids");
    }
    const seed = hashString(prompt.slice(0, 256).join(',')) ^ prompt.length;
    const maxTokensRaw = body['max_completion_tokens'] ?? body['max_tokens'];
    const room = config.maxModelLen - prompt.length;
    if (maxTokensRaw !== undefined && maxTokensRaw !== null && (typeof maxTokensRaw !== 'number' || !Number.isInteger(maxTokensRaw) || maxTokensRaw < 1)) {
      throw new HttpError(400, `max_tokens must be at least 1, got ${String(maxTokensRaw)}.`);
    }
    const requested = typeof maxTokensRaw === 'number' ? maxTokensRaw : undefined;
    if (room <= 0 || (requested !== undefined && prompt.length + requested > config.maxModelLen)) {
      throw new HttpError(
        400,
        `This model's maximum context length is ${config.maxModelLen} tokens. However, you requested ${prompt.length + (requested ?? 0)} tokens (${prompt.length} in the messages, ${requested ?? 0} in the completion). Please reduce the length of the messages or completion.`,
      );
    }
    const maxTokens = requested ?? Math.min(naturalLength(seed), room);
    const finishReason = requested !== undefined ? 'length' : 'stop';
    const output = wordTokens(seed, maxTokens);
    const stream = body['stream'] === true;
    const streamOptions = (body['stream_options'] ?? {}) as Json;
    const includeUsage = streamOptions['include_usage'] === true;
    const continuousUsage = streamOptions['continuous_usage_stats'] === true;
    const templateKwargs = (body['chat_template_kwargs'] ?? {}) as Json;
    const reasoningTokens = chat && config.reasoningParser && templateKwargs['enable_thinking'] !== false ? Math.floor(maxTokens * 0.4) : 0;
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${(seed >>> 0).toString(16)}${Date.now().toString(16)}`;
    const model = typeof body['model'] === 'string' ? (body['model'] as string) : config.servedModelName;
    const usage = (completion: number) => ({ prompt_tokens: prompt.length, total_tokens: prompt.length + completion, completion_tokens: completion });

    if (!stream) {
      let live: LiveRequest | undefined;
      res.on('close', () => {
        if (live && !res.writableFinished) engine.abort(live);
      });
      await new Promise<void>((resolve) => {
        live = engine.submit(prompt.length, maxTokens, {
          token(_index, finished) {
            if (finished) resolve();
          },
        });
      });
      const reasoning = detokenize(output.slice(0, reasoningTokens));
      const content = detokenize(output.slice(reasoningTokens));
      const choice = chat
        ? { index: 0, message: { role: 'assistant', content, ...(reasoningTokens > 0 ? { reasoning_content: reasoning } : {}), tool_calls: [] }, logprobs: null, finish_reason: finishReason, stop_reason: null }
        : { index: 0, text: content, logprobs: null, finish_reason: finishReason, stop_reason: null };
      sendJson(res, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000), model, choices: [choice], usage: usage(maxTokens) });
      return;
    }

    const createdAt = Math.floor(Date.now() / 1000);
    const object = chat ? 'chat.completion.chunk' : 'text_completion';
    const event = (payload: Json) => `data: ${JSON.stringify(payload)}\n\n`;
    const chunkHead = `data: {"id":${JSON.stringify(id)},"object":"${object}","created":${createdAt},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
    /** Everything the stream sends when token `index` is emitted. */
    const eventsAt = (index: number): string => {
      const finished = index === maxTokens - 1;
      const text = tokenText(output[index]!);
      const extra = continuousUsage ? { usage: usage(index + 1) } : {};
      let out = '';
      if (chat && !continuousUsage && !finished && index > 0) {
        // The common chunk, by template: at 1000 streams this is the hot path.
        out = `${chunkHead}{"${index < reasoningTokens ? 'reasoning_content' : 'content'}":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]}\n\n`;
      } else if (chat) {
        if (index === 0) out += event({ id, object, created: createdAt, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...extra });
        const delta = index < reasoningTokens ? { reasoning_content: text } : { content: text };
        out += event({ id, object, created: createdAt, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finished ? finishReason : null, ...(finished ? { stop_reason: null } : {}) }], ...extra });
      } else {
        out = event({ id, object, created: createdAt, model, choices: [{ index: 0, text, logprobs: null, finish_reason: finished ? finishReason : null, stop_reason: null }], ...extra });
      }
      if (finished) {
        if (includeUsage) out += event({ id, object, created: createdAt, model, choices: [], usage: usage(maxTokens) });
        out += 'data: [DONE]\n\n';
      }
      return out;
    };
    // The whole stream is known in advance (only its timing is simulated), so shorter streams are sent with a
    // Content-Length: the same bytes and events as the engines' chunked encoding, at a fraction of the per-write cost.
    const prebuilt = maxTokens <= PREBUILT_STREAM_TOKENS ? Array.from({ length: maxTokens }, (_, i) => eventsAt(i)) : undefined;
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };
    if (prebuilt) headers['content-length'] = prebuilt.reduce((n, e) => n + Buffer.byteLength(e), 0);
    res.writeHead(200, headers);
    res.flushHeaders();
    const live = engine.submit(prompt.length, maxTokens, {
      token(index, finished) {
        if (res.destroyed) return;
        const text = prebuilt ? prebuilt[index]! : eventsAt(index);
        if (finished) res.end(text);
        else res.write(text);
      },
    });
    res.on('close', () => {
      if (!res.writableFinished) engine.abort(live);
    });
  }

  function tokenizeRoute(body: Json): unknown {
    const addSpecial = body['add_special_tokens'] !== false;
    let tokens: number[];
    if (body['messages'] !== undefined) tokens = chatPromptTokens(asMessages(body['messages']), body['add_generation_prompt'] !== false);
    else if (typeof body['prompt'] === 'string') tokens = promptTokens(body['prompt'], addSpecial);
    else throw new HttpError(400, "POST /tokenize needs 'prompt' (a string) or 'messages'");
    return { count: tokens.length, max_model_len: config.maxModelLen, tokens, token_strs: null };
  }

  function metricsText(): string | undefined {
    const t = engine.totals();
    const st = engine.stats;
    if (config.engine === 'vllm') {
      const l = { engine: '0', model_name: config.servedModelName };
      const e = new Exposition()
        .gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', l, t.running)
        .gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', l, t.waiting)
        .gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', l, t.kvUsed / t.kvCapacity);
      if (config.showHiddenMetrics) e.gauge('vllm:gpu_cache_usage_perc', 'GPU KV-cache usage. 1 means 100 percent usage.', l, t.kvUsed / t.kvCapacity);
      e.counter('vllm:num_preemptions', 'Cumulative number of preemption from the engine.', [{ labels: l, value: t.counters.preemptions }], created)
        .counter('vllm:prompt_tokens', 'Number of prefill tokens processed.', [{ labels: l, value: t.counters.promptTokens }], created)
        .counter('vllm:generation_tokens', 'Number of generation tokens processed.', [{ labels: l, value: t.counters.generationTokens }], created)
        .counter('vllm:prefix_cache_queries', 'Prefix cache queries, in terms of number of queried tokens.', [{ labels: l, value: t.counters.promptTokens }], created)
        .counter('vllm:prefix_cache_hits', 'Prefix cache hits, in terms of number of cached tokens.', [{ labels: l, value: 0 }], created)
        .counter(
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
        .gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig', { engine: '0', block_size: '16', cache_dtype: config.kvDtypeBytes === 1 ? 'fp8' : 'auto', gpu_memory_utilization: String(config.memoryFraction), num_gpu_blocks: String(Math.floor(t.kvCapacity / 16)) }, 1);
      return e.text();
    }
    if (config.engine === 'sglang') {
      if (!config.enableMetrics) return undefined;
      const l = { engine_type: 'unified', model_name: config.servedModelName, pp_rank: '0', tp_rank: '0' };
      const m = { model_name: config.servedModelName };
      return new Exposition()
        .gauge('sglang:num_running_reqs', 'The number of running requests.', l, t.running)
        .gauge('sglang:num_queue_reqs', 'The number of requests in the waiting queue.', l, t.waiting)
        .gauge('sglang:num_used_tokens', 'The number of used tokens.', l, t.kvUsed)
        .gauge('sglang:token_usage', 'The token usage.', l, t.kvUsed / t.kvCapacity)
        .gauge('sglang:gen_throughput', 'The generation throughput (token/s).', l, st.genThroughput)
        .gauge('sglang:cache_hit_rate', 'The prefix cache hit rate.', l, 0)
        .gauge('sglang:num_retracted_reqs', 'The number of retracted requests.', l, t.retractions)
        .gauge('sglang:is_cuda_graph', 'Whether the batch is using CUDA graph.', l, config.cudaGraphMaxBatch > 0 && t.running <= config.cudaGraphMaxBatch ? 1 : 0)
        .counter('sglang:prompt_tokens', 'Number of prefill tokens processed.', [{ labels: m, value: t.counters.promptTokens }], created)
        .counter('sglang:generation_tokens', 'Number of generation tokens processed.', [{ labels: m, value: t.counters.generationTokens }], created)
        .counter('sglang:cached_tokens', 'Number of cached prompt tokens.', [{ labels: m, value: 0 }], created)
        .counter('sglang:num_requests', 'Number of requests processed.', [{ labels: m, value: st.requestsReceived }], created)
        .counter('sglang:num_aborted_requests', 'Number of requests aborted.', [{ labels: m, value: st.aborted }], created)
        .histogram('sglang:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', m, st.ttft)
        .histogram('sglang:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', m, st.itl)
        .histogram('sglang:e2e_request_latency_seconds', 'Histogram of End-to-end request latency in seconds', m, st.e2e)
        .histogram('sglang:queue_time_seconds', 'Histogram of queueing time in seconds.', m, st.queue)
        .text();
    }
    return undefined;
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /health':
        if (config.engine === 'sglang' && !state.ready) return sendJson(res, 503, {});
        res.writeHead(200, { 'content-length': '0' });
        return void res.end();
      case 'GET /health_generate':
        if (config.engine === 'vllm') break;
        res.writeHead(state.ready ? 200 : 503, { 'content-length': '0' });
        return void res.end();
      case 'GET /ping':
        if (config.engine !== 'vllm') break;
        return sendJson(res, 200, {});
      case 'GET /version':
        return sendJson(res, 200, { version: config.engine === 'vllm' ? '0.11.0' : config.engine === 'sglang' ? '0.5.4.post2' : '1.2.0rc1' });
      case 'GET /v1/models':
        return sendJson(res, 200, {
          object: 'list',
          data: [
            {
              id: config.servedModelName,
              object: 'model',
              created,
              owned_by: owner,
              root: config.modelArg,
              parent: null,
              max_model_len: config.maxModelLen,
              ...simulatedMeta,
              metadata: simulatedMeta,
            },
          ],
        });
      case 'POST /v1/chat/completions':
        return generate(req, res, true);
      case 'POST /v1/completions':
        return generate(req, res, false);
      case 'POST /tokenize':
        return sendJson(res, 200, tokenizeRoute((await readBody(req)) as Json));
      case 'POST /detokenize': {
        const body = (await readBody(req)) as Json;
        const tokens = body['tokens'];
        if (!Array.isArray(tokens)) throw new HttpError(400, "POST /detokenize needs 'tokens' (a list of token ids)");
        try {
          return sendJson(res, 200, { prompt: detokenize(tokens as number[]) });
        } catch (err) {
          if (err instanceof InvalidTokenError) throw new HttpError(400, err.message);
          throw err;
        }
      }
      case 'GET /metrics': {
        if (config.engine === 'trtllm') return sendJson(res, 200, config.iterPerfStats ? trtllmIterationStats() : []);
        const text = metricsText();
        if (text === undefined) return sendJson(res, 404, { detail: 'Not Found' });
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(text);
      }
      case 'GET /prometheus/metrics': {
        // TRT-LLM mounts Prometheus metrics only with `return_perf_metrics: true` in the extra options YAML.
        if (config.engine !== 'trtllm' || !config.enableMetrics) break;
        const l = { engine_type: 'trtllm', model_name: config.servedModelName };
        const st = engine.stats;
        const text = new Exposition()
          .counter('trtllm_request_success', 'Count of successfully processed requests.', [{ labels: { ...l, finished_reason: 'length' }, value: st.finishedByReason.get('length') ?? 0 }], created)
          .histogram('trtllm_e2e_request_latency_seconds', 'Histogram of end to end request latency in seconds.', l, st.e2e)
          .histogram('trtllm_time_to_first_token_seconds', 'Histogram of time to first token in seconds.', l, st.ttft)
          .histogram('trtllm_time_per_output_token_seconds', 'Histogram of time per output token in seconds.', l, st.itl)
          .histogram('trtllm_request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', l, st.queue)
          .text();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        return void res.end(text);
      }
      case 'POST /reset_prefix_cache':
        if (config.engine !== 'vllm') break;
        res.writeHead(200, { 'content-length': '0' });
        return void res.end();
      case 'POST /flush_cache':
      case 'GET /flush_cache':
        if (config.engine !== 'sglang') break;
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end('Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting requests, the operation will not be performed.)\n');
      case 'GET /get_server_info':
      case 'GET /server_info':
        if (config.engine !== 'sglang') break;
        return sendJson(res, 200, { ...config.nonDefaultArgs, model_path: config.modelArg, tp_size: config.tp, max_total_num_tokens: engine.totals().kvCapacity, max_running_requests: config.maxRunning, chunked_prefill_size: config.tokenBudget, version: '0.5.4.post2', ...simulatedMeta });
      case 'GET /get_model_info':
      case 'GET /model_info':
        if (config.engine !== 'sglang') break;
        return sendJson(res, 200, { model_path: config.modelArg, tokenizer_path: config.modelArg, is_generation: true });
      case 'GET /sim/stats':
        return sendJson(res, 200, simStats(engine));
    }
    throw new HttpError(404, 'Not Found', 'NotFoundError');
  };

  function trtllmIterationStats(): unknown[] {
    const t = engine.totals();
    return [
      {
        iter: t.counters.steps,
        iterLatencyMS: engine.lastStep.durationMs,
        numActiveRequests: t.running,
        numQueuedRequests: t.waiting,
        maxNumActiveRequests: config.maxRunning,
        gpuMemUsage: 0,
        kvCacheStats: { maxNumBlocks: Math.floor(t.kvCapacity / 32), freeNumBlocks: Math.floor((t.kvCapacity - t.kvUsed) / 32), usedNumBlocks: Math.ceil(t.kvUsed / 32), tokensPerBlock: 32 },
      },
    ];
  }

  return http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const httpErr = err instanceof HttpError ? err : new HttpError(500, (err as Error).message ?? String(err), 'InternalServerError');
      // An unknown route is FastAPI's plain 404 in all three engines.
      if (httpErr.status === 404 && httpErr.message === 'Not Found') return sendJson(res, 404, { detail: 'Not Found' });
      sendJson(res, httpErr.status, errorBody(config, httpErr));
    });
  });
}

const percentile = (sorted: readonly number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);

/** Simulator-only diagnostics (not an engine endpoint): scheduling lag and engine counters. */
function simStats(engine: RealtimeEngine): unknown {
  const lag = [...engine.lagMs].sort((a, b) => a - b);
  return {
    speedup: engine.config.speedup,
    steps: engine.totals().counters.steps,
    counters: engine.totals().counters,
    lagMs: { samples: lag.length, p50: percentile(lag, 50), p99: percentile(lag, 99), max: lag[lag.length - 1] ?? 0 },
  };
}
