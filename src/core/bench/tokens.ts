// Token counting against the serving engine: its /tokenize and /detokenize (vLLM and the simulator serve them),
// or, when it has none, a tokens-per-word ratio measured from the prompt_tokens it reports.
import type { Logger } from '../logger';
import type { TokenCounter } from './datasets';
import { requestJson, type AnyAgent } from './http';

export interface ServerTarget {
  baseUrl: string;
  model: string;
  agent: AnyAgent;
  headers: Record<string, string>;
  /** The generation endpoint and its style, for the calibration probe. */
  endpoint: string;
  chat: boolean;
  signal?: AbortSignal;
}

const wordCount = (text: string) => {
  const m = text.match(/\S+/g);
  return m ? m.length : 0;
};

async function tokenize(target: ServerTarget, prompt: string, addSpecialTokens?: boolean): Promise<number[]> {
  const body: Record<string, unknown> = { model: target.model, prompt };
  if (addSpecialTokens !== undefined) body['add_special_tokens'] = addSpecialTokens;
  const res = await requestJson(new URL('/tokenize', target.baseUrl), body, { agent: target.agent, headers: target.headers, ...(target.signal ? { signal: target.signal } : {}) });
  const tokens = (res.json as { tokens?: unknown } | undefined)?.tokens;
  if (res.status !== 200 || !Array.isArray(tokens)) throw new Error(`POST /tokenize answered HTTP ${res.status}: ${res.text.slice(0, 200)}`);
  return tokens as number[];
}

/** The server's tokenizer when /tokenize and /detokenize answer; otherwise a calibrated estimate. */
export async function connectTokenCounter(target: ServerTarget, log: Logger): Promise<TokenCounter> {
  try {
    const special = (await tokenize(target, '')).length;
    const probe = await tokenize(target, 'hello world', false);
    const decoded = await requestJson(new URL('/detokenize', target.baseUrl), { model: target.model, tokens: probe }, { agent: target.agent, headers: target.headers, ...(target.signal ? { signal: target.signal } : {}) });
    if (decoded.status !== 200 || typeof (decoded.json as { prompt?: unknown } | undefined)?.prompt !== 'string') throw new Error(`POST /detokenize answered HTTP ${decoded.status}`);
    log.debug(`token counts from the server's /tokenize (${special} special token(s) per prompt)`);
    return {
      kind: 'server',
      specialTokens: special,
      encode: (text) => tokenize(target, text, false),
      decode: async (ids) => {
        const res = await requestJson(new URL('/detokenize', target.baseUrl), { model: target.model, tokens: ids }, { agent: target.agent, headers: target.headers, ...(target.signal ? { signal: target.signal } : {}) });
        const prompt = (res.json as { prompt?: unknown } | undefined)?.prompt;
        if (res.status !== 200 || typeof prompt !== 'string') throw new Error(`POST /detokenize answered HTTP ${res.status}: ${res.text.slice(0, 200)}`);
        return prompt;
      },
      count: async (text) => (await tokenize(target, text)).length,
    };
  } catch (err) {
    log.info(`the server has no usable /tokenize (${(err as Error).message}); prompt lengths will be approximate`);
  }
  const ratio = await calibrateTokensPerWord(target, log);
  return { kind: 'approximate', specialTokens: 0, count: async (text) => Math.round(wordCount(text) * ratio) };
}

/** Sends two one-token requests of different prompt sizes; the slope of prompt_tokens over words is tokens per word. */
async function calibrateTokensPerWord(target: ServerTarget, log: Logger): Promise<number> {
  const fallback = 1.3;
  const measure = async (words: number) => {
    const text = Array.from({ length: words }, (_, i) => ['time', 'people', 'water', 'story', 'number'][i % 5]).join(' ');
    const body = target.chat
      ? { model: target.model, messages: [{ role: 'user', content: text }], max_completion_tokens: 1, max_tokens: 1 }
      : { model: target.model, prompt: text, max_tokens: 1 };
    const res = await requestJson(new URL(target.endpoint, target.baseUrl), body, { agent: target.agent, headers: target.headers, timeoutS: 600, ...(target.signal ? { signal: target.signal } : {}) });
    const n = (res.json as { usage?: { prompt_tokens?: unknown } } | undefined)?.usage?.prompt_tokens;
    if (res.status !== 200 || typeof n !== 'number') throw new Error(`HTTP ${res.status} without usage.prompt_tokens`);
    return n;
  };
  try {
    const [small, large] = [await measure(50), await measure(450)];
    const ratio = (large - small) / 400;
    if (ratio > 0) {
      log.info(`calibrated ${ratio.toFixed(3)} tokens per word from the server's prompt_tokens`);
      return ratio;
    }
  } catch (err) {
    log.warn(`could not calibrate tokens per word (${(err as Error).message}); assuming ${fallback}`);
  }
  return fallback;
}
