// OpenAI-compatible completions of the simulated engines: the request checked the way the engine checks it, the
// reply built from the deterministic tokenizer, and its tokens sent at the times the performance model gives —
// as one JSON body or as SSE chunks with the usage chunk and [DONE].
import type http from 'node:http';
import type { SimEngineConfig } from './config';
import { SIM_ENGINES } from './engines/index';
import { tokenBlockKeys } from './prefixCache';
import type { LiveRequest, RealtimeEngine } from './realtime';
import { chatPromptTokens, detokenize, hashString, promptTokens, tokenText, wordTokens, type ChatMessage } from './tokenizer';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'BadRequestError',
  ) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

/** Streams up to this many tokens are built ahead and sent with a Content-Length. */
const PREBUILT_STREAM_TOKENS = 4096;

export const asMessages = (value: unknown): ChatMessage[] => {
  if (!Array.isArray(value) || value.length === 0) throw new HttpError(400, "'messages' must be a non-empty list of {role, content}");
  return value.map((m: unknown) => {
    const msg = m as { role?: unknown; content?: unknown };
    const content = typeof msg.content === 'string' ? msg.content : Array.isArray(msg.content) ? msg.content.map((p: { text?: string }) => p.text ?? '').join('') : '';
    return { role: typeof msg.role === 'string' ? msg.role : 'user', content };
  });
};

/** Natural reply length when the request sets no max_tokens: stable per prompt, 64-512 tokens. */
const naturalLength = (seed: number) => 64 + (seed % 449);

/** Everything about one completion that does not depend on when its tokens come out. */
interface Completion {
  chat: boolean;
  prompt: number[];
  maxTokens: number;
  finishReason: 'length' | 'stop';
  output: number[];
  reasoningTokens: number;
  id: string;
  model: string;
  includeUsage: boolean;
  continuousUsage: boolean;
}

function promptOf(body: Json, chat: boolean): number[] {
  if (chat) return chatPromptTokens(asMessages(body['messages']));
  const p = body['prompt'];
  if (typeof p === 'string') return promptTokens(p);
  if (Array.isArray(p) && p.every((x) => typeof x === 'number')) return p as number[];
  if (Array.isArray(p) && typeof p[0] === 'string') return promptTokens(p[0] as string);
  throw new HttpError(400, "'prompt' must be a string or a list of token ids");
}

function completionOf(body: Json, chat: boolean, config: SimEngineConfig, kvCapacity: number): Completion {
  const model = body['model'];
  if (config.engine === 'vllm' && typeof model === 'string' && model !== config.servedModelName) throw new HttpError(404, `The model \`${model}\` does not exist.`, 'NotFoundError');
  const prompt = promptOf(body, chat);
  const seed = hashString(prompt.slice(0, 256).join(',')) ^ prompt.length;
  const maxTokensRaw = body['max_completion_tokens'] ?? body['max_tokens'];
  if (maxTokensRaw !== undefined && maxTokensRaw !== null && (typeof maxTokensRaw !== 'number' || !Number.isInteger(maxTokensRaw) || maxTokensRaw < 1)) {
    throw new HttpError(400, `max_tokens must be at least 1, got ${String(maxTokensRaw)}.`);
  }
  const requested = typeof maxTokensRaw === 'number' ? maxTokensRaw : undefined;
  const refusal = SIM_ENGINES[config.engine].requestError(config, prompt.length, requested, kvCapacity);
  if (refusal) throw new HttpError(400, refusal);
  const maxTokens = requested ?? Math.min(naturalLength(seed), config.maxModelLen - prompt.length);
  const streamOptions = (body['stream_options'] ?? {}) as Json;
  const templateKwargs = (body['chat_template_kwargs'] ?? {}) as Json;
  return {
    chat,
    prompt,
    maxTokens,
    finishReason: requested !== undefined ? 'length' : 'stop',
    output: wordTokens(seed, maxTokens),
    reasoningTokens: chat && config.reasoningParser && templateKwargs['enable_thinking'] !== false ? Math.floor(maxTokens * 0.4) : 0,
    id: `${chat ? 'chatcmpl' : 'cmpl'}-${(seed >>> 0).toString(16)}${Date.now().toString(16)}`,
    model: typeof model === 'string' ? model : config.servedModelName,
    includeUsage: streamOptions['include_usage'] === true,
    continuousUsage: streamOptions['continuous_usage_stats'] === true,
  };
}

const usage = (c: Completion, completion: number) => ({ prompt_tokens: c.prompt.length, total_tokens: c.prompt.length + completion, completion_tokens: completion });

function submit(engine: RealtimeEngine, c: Completion, onTokens: (index: number, count: number, finished: boolean) => void): LiveRequest {
  const config = engine.config;
  const keys = config.prefixCaching ? tokenBlockKeys(c.prompt, config.blockSize) : [];
  return engine.submit(c.prompt.length, c.maxTokens, { tokens: onTokens }, keys);
}

async function sendWhole(res: http.ServerResponse, engine: RealtimeEngine, c: Completion, sendJson: (status: number, body: unknown) => void): Promise<void> {
  let live: LiveRequest | undefined;
  res.on('close', () => {
    if (live && !res.writableFinished) engine.abort(live);
  });
  await new Promise<void>((resolve) => {
    live = submit(engine, c, (_index, _count, finished) => {
      if (finished) resolve();
    });
  });
  const reasoning = detokenize(c.output.slice(0, c.reasoningTokens));
  const content = detokenize(c.output.slice(c.reasoningTokens));
  const choice = c.chat
    ? { index: 0, message: { role: 'assistant', content, ...(c.reasoningTokens > 0 ? { reasoning_content: reasoning } : {}), tool_calls: [] }, logprobs: null, finish_reason: c.finishReason, stop_reason: null }
    : { index: 0, text: content, logprobs: null, finish_reason: c.finishReason, stop_reason: null };
  sendJson(200, { id: c.id, object: c.chat ? 'chat.completion' : 'text_completion', created: Math.floor(Date.now() / 1000), model: c.model, choices: [choice], usage: usage(c, c.maxTokens) });
}

/**
 * The SSE text sent when `count` tokens from `index` are emitted in one step (one chunk, as the engines stream a
 * speculative step; split where the reasoning ends). The first token also opens the assistant message; the last
 * closes the stream.
 */
function streamEvents(c: Completion): (index: number, count?: number) => string {
  const created = Math.floor(Date.now() / 1000);
  const object = c.chat ? 'chat.completion.chunk' : 'text_completion';
  const event = (payload: Json) => `data: ${JSON.stringify(payload)}\n\n`;
  const head = { id: c.id, object, created, model: c.model };
  const chunkHead = `data: {"id":${JSON.stringify(c.id)},"object":"${object}","created":${created},"model":${JSON.stringify(c.model)},"choices":[{"index":0,"delta":`;
  const one = (index: number, count: number): string => {
    const last = index + count - 1;
    const finished = last === c.maxTokens - 1;
    const text = count === 1 ? tokenText(c.output[index]!) : c.output.slice(index, last + 1).map(tokenText).join('');
    const extra = c.continuousUsage ? { usage: usage(c, last + 1) } : {};
    let out = '';
    if (c.chat && !c.continuousUsage && !finished && index > 0) {
      // The common chunk, by template: at 1000 streams this is the hot path.
      out = `${chunkHead}{"${index < c.reasoningTokens ? 'reasoning_content' : 'content'}":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]}\n\n`;
    } else if (c.chat) {
      if (index === 0) out += event({ ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }], ...extra });
      const delta = index < c.reasoningTokens ? { reasoning_content: text } : { content: text };
      out += event({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finished ? c.finishReason : null, ...(finished ? { stop_reason: null } : {}) }], ...extra });
    } else {
      out = event({ ...head, choices: [{ index: 0, text, logprobs: null, finish_reason: finished ? c.finishReason : null, stop_reason: null }], ...extra });
    }
    if (finished) {
      if (c.includeUsage) out += event({ ...head, choices: [], usage: usage(c, c.maxTokens) });
      out += 'data: [DONE]\n\n';
    }
    return out;
  };
  return (index, count = 1) => {
    const split = c.reasoningTokens - index;
    return split > 0 && split < count ? one(index, split) + one(c.reasoningTokens, count - split) : one(index, count);
  };
}

function sendStream(res: http.ServerResponse, engine: RealtimeEngine, c: Completion): void {
  const eventsAt = streamEvents(c);
  // The whole stream is known in advance (only its timing is simulated), so shorter streams are sent with a
  // Content-Length: the same bytes and events as the engines' chunked encoding, at a fraction of the per-write cost.
  // (Not under speculative decoding: how many tokens share a chunk is known only as the steps accept them.)
  const prebuilt = c.maxTokens <= PREBUILT_STREAM_TOKENS && !engine.config.speculative ? Array.from({ length: c.maxTokens }, (_, i) => eventsAt(i)) : undefined;
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };
  if (prebuilt) headers['content-length'] = prebuilt.reduce((n, e) => n + Buffer.byteLength(e), 0);
  res.writeHead(200, headers);
  res.flushHeaders();
  const live = submit(engine, c, (index, count, finished) => {
    if (res.destroyed) return;
    const text = prebuilt ? prebuilt[index]! : eventsAt(index, count);
    if (finished) res.end(text);
    else res.write(text);
  });
  res.on('close', () => {
    if (!res.writableFinished) engine.abort(live);
  });
}

/** POST /v1/chat/completions (chat) or /v1/completions. */
export async function complete(body: Json, res: http.ServerResponse, engine: RealtimeEngine, chat: boolean, sendJson: (status: number, body: unknown) => void): Promise<void> {
  const c = completionOf(body, chat, engine.config, engine.lanes[0]!.scheduler.kvCapacity);
  if (body['stream'] === true) sendStream(res, engine, c);
  else await sendWhole(res, engine, c, sendJson);
}
