// The simulated engines' HTTP API: OpenAI-compatible completions with real SSE streaming, tokenization, health,
// models and each engine's own routes (research/engines.md §2-3). Tokens leave at the times the performance model
// gives, through RealtimeEngine.
import http from 'node:http';
import { asMessages, complete, HttpError, type Json } from './completions';
import type { SimEngineConfig } from './config';
import type { RouteContext, RouteResponse } from './engines/engine';
import { SIM_ENGINES } from './engines/index';
import type { RealtimeEngine } from './realtime';
import { chatPromptTokens, detokenize, InvalidTokenError, promptTokens } from './tokenizer';

export interface ServerState {
  /** False until the engine's own ready moment (SGLang answers /health 503 before). */
  ready: boolean;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<Json> {
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
        resolve(JSON.parse(text) as Json);
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

function send(res: http.ServerResponse, answer: RouteResponse): void {
  if ('json' in answer) return sendJson(res, answer.status, answer.json);
  if (answer.text === '') res.writeHead(answer.status, { 'content-length': '0' });
  else res.writeHead(answer.status, { 'content-type': answer.contentType });
  res.end(answer.text);
}

function errorBody(config: SimEngineConfig, err: HttpError): unknown {
  if (config.engine === 'sglang') return { object: 'error', message: err.message, type: err.type, param: null, code: err.status };
  return { error: { message: err.message, type: err.type, param: null, code: err.status } };
}

function tokenizeRoute(config: SimEngineConfig, body: Json): unknown {
  const addSpecial = body['add_special_tokens'] !== false;
  let tokens: number[];
  if (body['messages'] !== undefined) tokens = chatPromptTokens(asMessages(body['messages']), body['add_generation_prompt'] !== false);
  else if (typeof body['prompt'] === 'string') tokens = promptTokens(body['prompt'], addSpecial);
  else throw new HttpError(400, "POST /tokenize needs 'prompt' (a string) or 'messages'");
  return { count: tokens.length, max_model_len: config.maxModelLen, tokens, token_strs: null };
}

function detokenizeRoute(body: Json): unknown {
  const tokens = body['tokens'];
  if (!Array.isArray(tokens)) throw new HttpError(400, "POST /detokenize needs 'tokens' (a list of token ids)");
  try {
    return { prompt: detokenize(tokens as number[]) };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new HttpError(400, err.message);
    throw err;
  }
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

function modelsList(ctx: RouteContext): unknown {
  const { config } = ctx;
  const owner = config.engine === 'trtllm' ? 'tensorrt_llm' : config.engine;
  const model = { id: config.servedModelName, object: 'model', created: ctx.created, owned_by: owner, root: config.modelArg, parent: null, max_model_len: config.maxModelLen };
  return { object: 'list', data: [{ ...model, ...ctx.simulatedMeta, metadata: ctx.simulatedMeta }] };
}

/** The routes every engine serves alike; undefined when the route is not one of them. */
async function commonRoute(route: string, req: http.IncomingMessage, res: http.ServerResponse, ctx: RouteContext): Promise<boolean> {
  switch (route) {
    case 'GET /version':
      sendJson(res, 200, { version: ctx.config.version });
      return true;
    case 'GET /v1/models':
      sendJson(res, 200, modelsList(ctx));
      return true;
    case 'POST /v1/chat/completions':
    case 'POST /v1/completions':
      await complete(await readBody(req), res, ctx.engine, route === 'POST /v1/chat/completions', (status, body) => sendJson(res, status, body));
      return true;
    case 'POST /tokenize':
      sendJson(res, 200, tokenizeRoute(ctx.config, await readBody(req)));
      return true;
    case 'POST /detokenize':
      sendJson(res, 200, detokenizeRoute(await readBody(req)));
      return true;
    case 'GET /sim/stats':
      sendJson(res, 200, simStats(ctx.engine));
      return true;
  }
  return false;
}

export function createSimServer(config: SimEngineConfig, engine: RealtimeEngine, state: ServerState): http.Server {
  const created = Math.floor(Date.now() / 1000);
  const simulatedMeta = { simulated: true, speedup: config.speedup, engine: config.engine, gpu: `${config.gpuCount}x ${config.gpu.id}`, note: 'serving-lab simulated host: timings are modelled, not measured' };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const route = `${req.method} ${url.pathname}`;
    const ctx: RouteContext = { config, engine, ready: state.ready, created, simulatedMeta };
    if (await commonRoute(route, req, res, ctx)) return;
    const answer = SIM_ENGINES[config.engine].route(route, ctx);
    if (!answer) throw new HttpError(404, 'Not Found', 'NotFoundError');
    send(res, answer);
  };
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
