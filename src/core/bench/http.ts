// HTTP for the load generator: one streaming OpenAI-compatible request with vLLM's timing rules
// (research/bench-tools.md §2.1), and small JSON calls (/v1/models, /tokenize, /detokenize).
// The streaming path takes one clock reading per network read and parses each SSE message once; nothing else is
// allocated per chunk except the ITL value itself.
import http from 'node:http';
import https from 'node:https';

export type AnyAgent = http.Agent | https.Agent;

export function createAgent(url: URL, maxSockets: number): AnyAgent {
  const options: http.AgentOptions = { keepAlive: true, maxSockets, maxFreeSockets: Math.min(maxSockets, 4096), scheduling: 'lifo' };
  return url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

export interface StreamRequest {
  url: URL;
  /** The JSON payload, serialized once. */
  body: string;
  headers: Record<string, string>;
  agent: AnyAgent;
  /** Benchmark clock: seconds since the benchmark start. */
  clock: () => number;
  timeoutS: number;
  chat: boolean;
  keepText: boolean;
  signal?: AbortSignal;
}

export interface StreamOutcome {
  success: boolean;
  error?: string;
  startTime: number;
  ttft: number;
  itl: number[];
  latency: number;
  /** usage.prompt_tokens / completion_tokens when the server sent a usage chunk. */
  promptTokens?: number;
  completionTokens?: number;
  /** A usage count the server sent that is not a non-negative integer (e.g. "usage.completion_tokens -5"); it was ignored. */
  invalidUsage?: string;
  generatedText: string;
}

/** The longest one SSE message may be (characters; JSON is ASCII, so about bytes): a token chunk is well under 1 KiB. */
export const MAX_SSE_MESSAGE_CHARS = 16 * 1024 * 1024;

const NO_CHUNK = 'Never received a valid chunk to calculate TTFT.This response will be marked as failed!';

function describeNetworkError(err: NodeJS.ErrnoException, chunks: number): string {
  const code = err.code ? ` (${err.code})` : '';
  if (err.code === 'ECONNRESET' || err.message === 'aborted') return `the server reset the connection after ${chunks} chunk(s)${code}`;
  if (err.code === 'ECONNREFUSED') return `connection refused${code}: is the server running and is the URL right?`;
  return `${err.message}${code}`;
}

// One real listener per signal, however many requests share it: EventTarget checks every listener already
// registered when one is added, so a listener per request costs O(n²) at thousands of in-flight requests.
const abortCallbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `callback` when `signal` aborts; returns the function that unregisters it. */
function onAbortOf(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = abortCallbacks.get(signal);
  if (!callbacks) {
    const created = new Set<() => void>();
    signal.addEventListener('abort', () => {
      for (const c of [...created]) c();
      created.clear();
    }, { once: true });
    abortCallbacks.set(signal, created);
    callbacks = created;
  }
  callbacks.add(callback);
  return () => callbacks.delete(callback);
}

/** http.request's options for a URL, derived once per URL object rather than once per request. */
const requestTargets = new WeakMap<URL, http.RequestOptions>();
function requestTarget(url: URL): http.RequestOptions {
  let target = requestTargets.get(url);
  if (!target) {
    target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || undefined, path: `${url.pathname}${url.search}` };
    if (url.username || url.password) target.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    requestTargets.set(url, target);
  }
  return target;
}

/** Sends one streaming request. Never rejects: every failure is a failed outcome with a readable error. */
export function streamRequest(req: StreamRequest): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const startTime = req.clock();
    const itl: number[] = [];
    let ttft = -1;
    let last = 0;
    let promptTokens: number | undefined;
    let completionTokens: number | undefined;
    let text = '';
    let sawDone = false;
    let settled = false;
    let streamError: string | undefined;
    let invalidUsage: string | undefined;

    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopListening?.();
      const ok = error === undefined && ttft >= 0;
      const out: StreamOutcome = {
        success: ok,
        startTime,
        ttft: ttft >= 0 ? ttft : 0,
        itl,
        latency: ttft >= 0 ? last - startTime : 0,
        generatedText: text,
      };
      if (!ok) out.error = error ?? NO_CHUNK;
      if (promptTokens !== undefined) out.promptTokens = promptTokens;
      if (completionTokens !== undefined) out.completionTokens = completionTokens;
      if (invalidUsage !== undefined) out.invalidUsage = invalidUsage;
      resolve(out);
    };

    // One SSE message (the text between blank lines): `data:` lines joined; comments (":") and other fields skipped.
    const onMessage = (message: string, now: number) => {
      let payload: string;
      if (message.startsWith('data:') && message.indexOf('\n') < 0) {
        payload = message.charCodeAt(5) === 32 ? message.slice(6) : message.slice(5);
      } else {
        const parts: string[] = [];
        for (const line of message.split('\n')) if (line.startsWith('data:')) parts.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5));
        if (parts.length === 0) return;
        payload = parts.join('\n');
      }
      payload = payload.trim();
      if (payload === '[DONE]') {
        sawDone = true;
        return;
      }
      if (payload === '') return;
      let data: { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null; error?: unknown };
      try {
        data = JSON.parse(payload);
      } catch {
        streamError = `malformed SSE message (not JSON): ${JSON.stringify(payload.slice(0, 120))}`;
        return;
      }
      if (data === null || typeof data !== 'object') {
        streamError = `malformed SSE message (not a JSON object): ${JSON.stringify(payload.slice(0, 120))}`;
        return;
      }
      const choices = data.choices;
      if (Array.isArray(choices) && choices.length > 0) {
        if (ttft < 0) ttft = now - startTime;
        else itl.push(now - last);
        last = now;
        if (req.keepText) {
          const c = choices[0] as { delta?: { content?: unknown }; text?: unknown };
          const piece = req.chat ? c.delta?.content : c.text;
          if (typeof piece === 'string') text += piece;
        }
      }
      const usage = data.usage;
      if (usage && typeof usage === 'object') {
        // A count that is not a non-negative integer is the server's bug: ignored (and reported), never summed.
        const counts: Array<['completion_tokens' | 'prompt_tokens', unknown]> = [['completion_tokens', usage.completion_tokens], ['prompt_tokens', usage.prompt_tokens]];
        for (const [key, value] of counts) {
          if (value === undefined || value === null) continue;
          if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) invalidUsage = `usage.${key} ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`;
          else if (key === 'completion_tokens') completionTokens = value;
          else promptTokens = value;
        }
      }
      if (data.error !== undefined && choices === undefined) {
        const e = data.error as { message?: unknown } | string;
        streamError = `the server sent an error in the stream: ${typeof e === 'string' ? e : typeof e?.message === 'string' ? e.message : JSON.stringify(e)}`;
      }
    };

    // A Content-Length body, as aiohttp sends it (Node would otherwise use chunked transfer encoding).
    const request = (req.url.protocol === 'https:' ? https : http).request({
      ...requestTarget(req.url),
      method: 'POST',
      agent: req.agent,
      headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
    });
    const timer = setTimeout(() => request.destroy(Object.assign(new Error(`no complete response within ${req.timeoutS} s (request timeout)`), { code: 'ETIMEDOUT' })), req.timeoutS * 1000);
    const onAbort = () => request.destroy(Object.assign(new Error('interrupted before the response completed'), { code: 'EINTERRUPTED' }));
    if (req.signal?.aborted) queueMicrotask(onAbort);
    const stopListening = req.signal ? onAbortOf(req.signal, onAbort) : undefined;

    request.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ETIMEDOUT' || err.code === 'EINTERRUPTED' ? err.message : describeNetworkError(err, itl.length + (ttft >= 0 ? 1 : 0))));
    request.on('response', (res) => {
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (chunk: string) => {
          if (body.length < 2000) body += chunk;
        });
        res.on('end', () => finish(`HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd() + (body.trim() ? `: ${body.trim().slice(0, 300)}` : '')));
        res.on('error', () => finish(`HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd()));
        return;
      }
      // The text of an unfinished message is kept as pieces and joined only once its blank line arrives, and each
      // chunk is searched once: a server that never ends a message costs linear time and at most
      // MAX_SSE_MESSAGE_CHARS of memory, then fails this request.
      let pieces: string[] = [];
      let pendingLength = 0;
      let pendingCr = false;
      res.on('data', (chunk: string) => {
        if (settled) return;
        const now = req.clock();
        if (pendingCr && chunk.charCodeAt(0) === 10) chunk = chunk.slice(1);
        pendingCr = chunk.charCodeAt(chunk.length - 1) === 13;
        if (chunk === '') return;
        if (chunk.indexOf('\r') >= 0) chunk = chunk.replace(/\r\n?/g, '\n');
        // The blank line may straddle the previous piece's last "\n" and this chunk's first.
        const straddles = pendingLength > 0 && chunk.charCodeAt(0) === 10 && pieces[pieces.length - 1]!.charCodeAt(pieces[pieces.length - 1]!.length - 1) === 10;
        let end = straddles ? pendingLength - 1 : chunk.indexOf('\n\n');
        if (end < 0) {
          pieces.push(chunk);
          pendingLength += chunk.length;
        } else {
          const text = pendingLength === 0 ? chunk : pieces.join('') + chunk;
          if (!straddles && pendingLength > 0) end += pendingLength;
          let from = 0;
          while (end >= 0) {
            if (end > from) onMessage(text.slice(from, end), now);
            from = end + 2;
            if (streamError !== undefined) {
              request.destroy();
              finish(streamError);
              return;
            }
            end = text.indexOf('\n\n', from);
          }
          pieces = from < text.length ? [text.slice(from)] : [];
          pendingLength = text.length - from;
        }
        if (pendingLength > MAX_SSE_MESSAGE_CHARS) {
          pieces = [];
          request.destroy();
          finish(`one SSE message exceeded ${MAX_SSE_MESSAGE_CHARS / (1024 * 1024)} MiB without ending (no blank line after ${itl.length + (ttft >= 0 ? 1 : 0)} chunk(s)); the server's stream is not valid SSE`);
        }
      });
      res.on('end', () => {
        // vLLM also accepts a final complete `data:` message that lacks the blank line.
        const rest = pieces.join('').trim();
        if (rest !== '') onMessage(rest, req.clock());
        if (streamError !== undefined) finish(streamError);
        else if (!sawDone && ttft >= 0) finish(`the stream ended after ${itl.length + 1} chunk(s) without "data: [DONE]"; the server stopped mid-stream`);
        else finish();
      });
      // A connection that drops after `data: [DONE]` lost nothing.
      res.on('aborted', () => finish(sawDone ? undefined : `the server closed the connection mid-stream after ${itl.length + (ttft >= 0 ? 1 : 0)} chunk(s)`));
      res.on('error', (err: NodeJS.ErrnoException) => finish(sawDone ? undefined : describeNetworkError(err, itl.length + (ttft >= 0 ? 1 : 0))));
    });
    request.end(req.body);
  });
}

export interface JsonResponse {
  status: number;
  json: unknown;
  text: string;
}

/** A small JSON request (GET when body is undefined). Rejects only on network errors and timeouts. */
export function requestJson(url: URL, body: unknown, options: { agent?: AnyAgent; headers?: Record<string, string>; timeoutS?: number; signal?: AbortSignal } = {}): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: payload === undefined ? 'GET' : 'POST',
      ...(options.agent ? { agent: options.agent } : {}),
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) } : {}), ...options.headers },
      timeout: (options.timeoutS ?? 60) * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    request.on('timeout', () => request.destroy(new Error(`${url.pathname} did not answer within ${options.timeoutS ?? 60} s`)));
    request.on('error', reject);
    request.on('response', (res) => {
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (c: string) => (text += c));
      res.on('error', reject);
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    request.end(payload);
  });
}
