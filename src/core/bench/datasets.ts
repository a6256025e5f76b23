// Prompts for a benchmark, following vLLM's dataset rules (research/bench-tools.md §3.3). Token counts are the
// server's: with its /tokenize and /detokenize, random prompts hit their lengths exactly; without them, lengths
// come from a tokens-per-word ratio calibrated on the server's reported prompt_tokens, and the result says so.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { SeededRandom } from './random';

export interface SampleRequest {
  prompt: string;
  /** Prompt tokens as the dataset counts them (the server's usage count replaces it in results when sent). */
  promptLen: number;
  expectedOutputLen: number;
}

export type DatasetSpec =
  | { kind: 'random'; inputLen: number; outputLen: number; rangeRatio: { input: number; output: number }; prefixLen: number }
  | { kind: 'sharegpt'; path: string; outputLen?: number; disableShuffle?: boolean; noOversample?: boolean }
  | { kind: 'replay'; path: string };

export interface Dataset {
  requests: SampleRequest[];
  /** True when every prompt length was counted by the server's tokenizer. */
  exactLengths: boolean;
  notes: string[];
}

/** Counts tokens the way the serving engine does. */
export interface TokenCounter {
  /** How the counts were obtained, for provenance. */
  readonly kind: 'server' | 'approximate';
  /** Token ids of `text` (without special tokens) — server tokenizers only. */
  encode?(text: string): Promise<number[]>;
  decode?(ids: number[]): Promise<string>;
  /** Tokens of `text` including the special tokens the engine adds (BOS), as vLLM's dataset code counts them. */
  count(text: string): Promise<number>;
  /** Special tokens added to every prompt. */
  readonly specialTokens: number;
}

export class DatasetError extends Error {}

/** The most requests one run holds (each keeps its prompt, payload and timings in memory); vLLM's default is 1000. */
export const MAX_NUM_PROMPTS = 1_000_000;
/** Random prompts' tokens in one run, all prompts together: about 1 GB of prompt text, held as prompt and payload. */
export const MAX_TOTAL_PROMPT_TOKENS = 200_000_000;
/** Largest dataset file read (the real ShareGPT file is ~670 MB; a replay file is read as one string). */
const MAX_SHAREGPT_BYTES = 4 * 1024 ** 3;
const MAX_REPLAY_BYTES = 500 * 1024 ** 2;

/** Refuses a run too large to hold in memory before anything is allocated for it. */
export function checkDatasetSize(spec: DatasetSpec, count: number): void {
  if (!Number.isSafeInteger(count) || count < 1) throw new DatasetError(`--num-prompts must be a positive integer (got ${count})`);
  if (count > MAX_NUM_PROMPTS) {
    throw new DatasetError(`--num-prompts ${count} is more than one run can hold in memory (at most ${MAX_NUM_PROMPTS.toLocaleString('en-US')}); split it into several runs`);
  }
  if (spec.kind === 'random') {
    const perPrompt = Math.ceil(spec.inputLen * (1 + spec.rangeRatio.input)) + spec.prefixLen;
    if (perPrompt * count > MAX_TOTAL_PROMPT_TOKENS) {
      throw new DatasetError(
        `${count} random prompts of up to ${perPrompt} tokens are ${(perPrompt * count).toExponential(2)} prompt tokens, more than one run can hold in memory (at most ${MAX_TOTAL_PROMPT_TOKENS.toExponential(0)}); lower --num-prompts or --random-input-len`,
      );
    }
  }
}

/** `path` as a regular file of at most `maxBytes`: a device (/dev/zero), FIFO or directory would never end or never start. */
async function checkDatasetFile(path: string, maxBytes: number, what: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return; // the reader names the missing file with the dataset's own hint
    throw new DatasetError(`cannot read ${what} ${path}: ${e.message}`);
  }
  if (!info.isFile()) throw new DatasetError(`${what} ${path} is not a regular file (a device, FIFO or directory cannot be a dataset); pass the dataset file itself`);
  if (info.size > maxBytes) throw new DatasetError(`${what} ${path} is ${(info.size / 1024 ** 2).toFixed(0)} MiB, more than the ${(maxBytes / 1024 ** 2).toFixed(0)} MiB this client reads; use a smaller file`);
}

/** Thrown while a dataset loads when the run is interrupted (Ctrl-C, SIGTERM). */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DatasetError('interrupted while loading the dataset; nothing was sent');
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      throwIfAborted(signal);
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------------------------------------------------------------- random

/** Parses `--random-range-ratio`: one float for input and output, or JSON {"input": r, "output": r}; r in [0, 1). */
export function parseRangeRatio(text: string): { input: number; output: number } {
  const trimmed = text.trim();
  let input: unknown;
  let output: unknown;
  if (trimmed.startsWith('{')) {
    try {
      const obj = JSON.parse(trimmed) as Record<string, unknown>;
      input = obj['input'] ?? 0;
      output = obj['output'] ?? 0;
    } catch {
      throw new DatasetError(`--random-range-ratio: "${text}" is not valid JSON; use a number such as 0.1 or {"input":0.1,"output":0.2}`);
    }
  } else {
    input = output = Number(trimmed);
  }
  for (const r of [input, output]) {
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r >= 1 || trimmed === '') {
      throw new DatasetError(`--random-range-ratio must be in [0, 1) (got "${text}")`);
    }
  }
  return { input: input as number, output: output as number };
}

/** A seeded stream of plain English-like words, the raw material of synthetic prompts. */
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her ' +
  'she there been one all we their has would when if so no what up out who them some more time into only do could new about ' +
  'two other may then first any like now my such over our even most me state after also made many did must before back ' +
  'see through way where get much go well your know should down work year because come people just say each those take day ' +
  'good how long little use man great make life here between both under never being same another know while last might us'
).split(' ');

function wordText(rng: SeededRandom, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[rng.int(0, WORDS.length - 1)]!);
  return out.join(' ');
}

function randomLengths(spec: Extract<DatasetSpec, { kind: 'random' }>, count: number, specialTokens: number, rng: SeededRandom) {
  const realIn = Math.max(0, spec.inputLen - specialTokens);
  const inLow = Math.floor(realIn * (1 - spec.rangeRatio.input));
  const inHigh = Math.ceil(realIn * (1 + spec.rangeRatio.input));
  const outLow = Math.max(1, Math.floor(spec.outputLen * (1 - spec.rangeRatio.output)));
  const outHigh = Math.max(1, Math.ceil(spec.outputLen * (1 + spec.rangeRatio.output)));
  if (spec.prefixLen + inLow < 1) {
    throw new DatasetError(`--random-input-len ${spec.inputLen} with range ratio ${spec.rangeRatio.input} can give empty prompts; raise the input length or --random-prefix-len`);
  }
  const inputs = Array.from({ length: count }, () => rng.int(inLow, inHigh));
  const outputs = Array.from({ length: count }, () => rng.int(outLow, outHigh));
  return { inputs, outputs };
}

async function randomDataset(spec: Extract<DatasetSpec, { kind: 'random' }>, count: number, seed: number, tokens: TokenCounter, signal?: AbortSignal): Promise<Dataset> {
  const rng = new SeededRandom(seed);
  const { inputs, outputs } = randomLengths(spec, count, tokens.specialTokens, rng);
  const longest = inputs.reduce((a, b) => Math.max(a, b), 0) + spec.prefixLen;
  if (tokens.encode && tokens.decode) {
    const encode = tokens.encode.bind(tokens);
    const decode = tokens.decode.bind(tokens);
    // A pool of the server's own token ids, cut into prompts at per-request offsets as vLLM does with its vocabulary.
    let pool = await encode(wordText(rng, Math.ceil(longest * 1.2) + 64));
    while (pool.length < longest + 1) pool = pool.concat(await encode(wordText(rng, longest)));
    const take = (offset: number, n: number) => Array.from({ length: n }, (_, j) => pool[(offset + j) % pool.length]!);
    const prefix = take(rng.int(0, pool.length - 1), spec.prefixLen);
    const offsets = inputs.map(() => rng.int(0, pool.length - 1));
    const made = await mapLimit(inputs, 16, async (len, i) => {
      const target = spec.prefixLen + len;
      // Decode → re-encode until the text is exactly `target` tokens (at most 10 rounds, as vLLM's fix-up loop).
      let ids = prefix.concat(take(offsets[i]! + i, len));
      let prompt = await decode(ids);
      let exact = false;
      for (let round = 0; round < 10 && !exact; round++) {
        const again = await encode(prompt);
        if (again.length === target) exact = true;
        else {
          ids = again.length > target ? again.slice(0, target) : again.concat(take(offsets[i]! + i + again.length, target - again.length));
          prompt = await decode(ids);
        }
      }
      return { request: { prompt, promptLen: target + tokens.specialTokens, expectedOutputLen: outputs[i]! }, exact };
    }, signal);
    const inexact = made.filter((m) => !m.exact).length;
    return {
      requests: made.map((m) => m.request),
      exactLengths: inexact === 0,
      notes: inexact === 0 ? [] : [`${inexact} random prompt(s) could not be made exactly their target length with the server tokenizer (decode/encode does not round-trip)`],
    };
  }
  const ratio = await tokens.count(wordText(new SeededRandom(seed + 1), 400)).then((n) => Math.max(0.05, (n - tokens.specialTokens) / 400));
  const prefix = wordText(rng, Math.round(spec.prefixLen / ratio));
  const requests = inputs.map((len, i) => {
    const body = wordText(rng, Math.max(1, Math.round(len / ratio)));
    return { prompt: spec.prefixLen > 0 ? `${prefix} ${body}` : body, promptLen: spec.prefixLen + len + tokens.specialTokens, expectedOutputLen: outputs[i]! };
  });
  return {
    requests,
    exactLengths: false,
    notes: [`random prompt lengths are approximate: the server has no /tokenize, so words were sized at ${ratio.toFixed(3)} tokens per word, calibrated on its reported prompt_tokens`],
  };
}

// ---------------------------------------------------------------- ShareGPT

/**
 * Calls `onElement` with each element of the top-level JSON array in `path`, reading the file in chunks. The real
 * ShareGPT file is ~670 MB, more than the longest string V8 can hold, so it cannot be read and parsed whole.
 */
/** JSON's four whitespace bytes; anything else between elements (a NUL from /dev/zero, say) is an error. */
const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export async function forEachJsonArrayElement(path: string, onElement: (value: unknown, index: number) => void, signal?: AbortSignal): Promise<void> {
  const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d, QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let started = false;
  let ended = false;
  let index = 0;
  let pending: Buffer[] = [];
  let elementStart = -1;
  const fail = (what: string) => new DatasetError(`${path} is not a ShareGPT file: ${what}; expected a JSON list of {"conversations": [{"value": …}, …]} entries`);
  const emit = (bytes: Buffer) => {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw fail(`entry ${index + 1} is not valid JSON (${(err as Error).message})`);
    }
    onElement(value, index++);
  };
  let first = true;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) }) as AsyncIterable<Buffer>) {
    elementStart = pending.length > 0 ? 0 : -1;
    const bom = first && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
    first = false;
    for (let i = bom; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        continue;
      }
      if (!started) {
        if (c === OPEN_BRACKET) started = true;
        else if (!isJsonSpace(c)) throw fail('it does not start with "["');
        continue;
      }
      if (ended) {
        if (!isJsonSpace(c)) throw fail('there is text after the closing "]"');
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        if (depth === 0) throw fail(`entry ${index + 1} is not an object`);
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (depth === 0) {
          if (c === OPEN_BRACKET) throw fail(`entry ${index + 1} is not an object`);
          elementStart = i;
        }
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (depth === 0) {
          if (c === CLOSE_BRACKET) ended = true;
          else throw fail('unbalanced "}"');
          continue;
        }
        depth--;
        if (depth === 0) {
          const tail = chunk.subarray(elementStart, i + 1);
          emit(pending.length > 0 ? Buffer.concat([...pending, tail]) : tail);
          pending = [];
          elementStart = -1;
        }
      } else if (depth === 0 && c !== COMMA && !isJsonSpace(c)) {
        throw fail(`entry ${index + 1} is not an object`);
      }
    }
    if (depth > 0) pending.push(elementStart >= 0 ? chunk.subarray(elementStart) : chunk);
  }
  if (!started) throw fail('it is empty');
  if (!ended) throw fail('it ends before the closing "]"');
}

interface ShareGptPair {
  prompt: string;
  completion: string;
}

async function shareGptDataset(spec: Extract<DatasetSpec, { kind: 'sharegpt' }>, count: number, seed: number, tokens: TokenCounter, signal?: AbortSignal): Promise<Dataset> {
  // Only the first two turns of each entry are kept: the whole file would not fit in memory as objects.
  const entries: ShareGptPair[] = [];
  await checkDatasetFile(spec.path, MAX_SHAREGPT_BYTES, 'ShareGPT file');
  try {
    await forEachJsonArrayElement(spec.path, (value) => {
      const turns = (value as { conversations?: unknown } | null)?.conversations;
      if (!Array.isArray(turns) || turns.length < 2) return;
      const text = (turn: unknown) => String((turn as { value?: unknown } | null)?.value ?? '');
      entries.push({ prompt: text(turns[0]), completion: text(turns[1]) });
    }, signal);
  } catch (err) {
    throwIfAborted(signal);
    if (err instanceof DatasetError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new DatasetError(
      e.code === 'ENOENT'
        ? `ShareGPT file ${spec.path} does not exist; download ShareGPT_V3_unfiltered_cleaned_split.json or make a synthetic one with \`serving-lab sim sharegpt --out FILE\``
        : `cannot read ShareGPT file ${spec.path}: ${e.message}`,
    );
  }
  if (entries.length === 0) throw new DatasetError(`${spec.path} has no entry with at least two "conversations" turns`);
  if (!spec.disableShuffle) new SeededRandom(seed).shuffle(entries);

  const kept: SampleRequest[] = [];
  const batch = 64;
  for (let from = 0; from < entries.length && kept.length < count; from += batch) {
    const slice = entries.slice(from, from + batch);
    const counted = await mapLimit(slice, 16, async ({ prompt, completion }) => {
      const promptLen = await tokens.count(prompt);
      const outputLen = spec.outputLen ?? (await tokens.count(completion));
      return { prompt, promptLen, expectedOutputLen: outputLen };
    }, signal);
    for (const r of counted) {
      if (kept.length >= count) break;
      // vLLM's is_valid_sequence; the output minimum is skipped when the output length is fixed.
      if (r.promptLen < 4 || (spec.outputLen === undefined && r.expectedOutputLen < 4)) continue;
      if (r.promptLen > 1024 || r.promptLen + r.expectedOutputLen > 2048) continue;
      kept.push(r);
    }
  }
  const notes: string[] = [];
  if (kept.length === 0) throw new DatasetError(`no conversation in ${spec.path} passes vLLM's filter (prompt 4–1024 tokens, output ≥ 4, total ≤ 2048)`);
  if (kept.length < count) {
    if (spec.noOversample) {
      notes.push(`only ${kept.length} of ${count} ShareGPT prompts pass the filter; running ${kept.length} (--no-oversample)`);
    } else {
      const rng = new SeededRandom(seed);
      const unique = kept.length;
      while (kept.length < count) kept.push(kept[rng.int(0, unique - 1)]!);
      notes.push(`only ${unique} ShareGPT prompts pass the filter; oversampled to ${count} with repeats, as vLLM does`);
    }
  }
  if (tokens.kind === 'approximate') notes.push('ShareGPT prompt and completion lengths were estimated (the server has no /tokenize); the filter may keep slightly different conversations than vLLM');
  return { requests: kept, exactLengths: tokens.kind === 'server', notes };
}

// ---------------------------------------------------------------- replay

async function replayDataset(path: string, count: number, signal?: AbortSignal): Promise<Dataset> {
  let text: string;
  await checkDatasetFile(path, MAX_REPLAY_BYTES, 'replay file');
  try {
    text = await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) });
  } catch (err) {
    throwIfAborted(signal);
    throw new DatasetError(`cannot read replay file ${path}: ${(err as Error).message}; expected JSONL lines of {"prompt", "prompt_len", "output_len"}`);
  }
  const requests: SampleRequest[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new DatasetError(`${path}:${i + 1}: not valid JSON; expected {"prompt": "…", "prompt_len": N, "output_len": N}`);
    }
    const { prompt, prompt_len: promptLen, output_len: outputLen } = obj;
    if (typeof prompt !== 'string' || typeof promptLen !== 'number' || typeof outputLen !== 'number' || !(outputLen >= 1)) {
      throw new DatasetError(`${path}:${i + 1}: expected {"prompt": "…", "prompt_len": N, "output_len": N ≥ 1}`);
    }
    requests.push({ prompt, promptLen, expectedOutputLen: Math.round(outputLen) });
  }
  if (requests.length === 0) throw new DatasetError(`${path} has no requests`);
  const notes: string[] = [];
  if (requests.length < count) {
    notes.push(`${path} has ${requests.length} requests; --num-prompts ${count} cycles through them`);
    const unique = requests.length;
    for (let i = unique; i < count; i++) requests.push(requests[i % unique]!);
  }
  return { requests: requests.slice(0, count), exactLengths: true, notes };
}

/** `tokens` is needed for random and ShareGPT; replay files carry their own lengths. `signal` ends the loading. */
export async function loadDataset(spec: DatasetSpec, count: number, seed: number, tokens?: TokenCounter, signal?: AbortSignal): Promise<Dataset> {
  checkDatasetSize(spec, count);
  throwIfAborted(signal);
  if (spec.kind === 'replay') return replayDataset(spec.path, count, signal);
  if (!tokens) throw new DatasetError(`the ${spec.kind} dataset needs a token counter (the server's /tokenize or a calibrated estimate)`);
  return spec.kind === 'random' ? randomDataset(spec, count, seed, tokens, signal) : shareGptDataset(spec, count, seed, tokens, signal);
}
