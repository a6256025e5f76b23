// The simulated engines' tokenizer: deterministic, reversible, with GLM-4.5's vocabulary size. Token ids 0-255 are
// UTF-8 bytes (fallback), the rest are generated pieces: single characters, 1-3 letter fragments and ~95k
// "words" (a space plus 4-9 lowercase letters). Text made of words re-tokenizes to exactly one token per word, which
// is how the simulator produces outputs and prompts of exact token lengths.

export const VOCAB_SIZE = 151552;
const BYTE_TOKENS = 256;
const MAX_PIECE_CHARS = 10;

/** Seeded PRNG (mulberry32): the same seed gives the same stream on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Vocabulary {
  pieces: string[];
  ids: Map<string, number>;
  /** First id of the word range (space + 4-9 letters). */
  firstWord: number;
  /** One past the last word id. */
  wordsEnd: number;
}

const SPECIAL_TOKENS = ['<|endoftext|>', '[MASK]', '[gMASK]', '[sMASK]', '<sop>', '<eop>', '<|system|>', '<|user|>', '<|assistant|>', '<|observation|>', '<think>', '</think>'] as const;
const FIRST_SPECIAL = 151329;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];
const specialTokenId = (token: SpecialToken): number => FIRST_SPECIAL + SPECIAL_TOKENS.indexOf(token);

let vocabulary: Vocabulary | undefined;

function buildVocabulary(): Vocabulary {
  const pieces: string[] = [];
  const ids = new Map<string, number>();
  const add = (p: string) => {
    if (ids.has(p) || pieces.length >= FIRST_SPECIAL) return;
    ids.set(p, pieces.length);
    pieces.push(p);
  };
  for (let b = 0; b < BYTE_TOKENS; b++) pieces.push('');
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const upper = lower.toUpperCase();
  for (let c = 32; c < 127; c++) {
    const ch = String.fromCharCode(c);
    add(ch);
    if (ch !== ' ') add(` ${ch}`);
  }
  for (const ws of ['\n', '\n\n', '\t', '  ', '    ']) add(ws);
  for (const a of lower) for (const b of lower) {
    add(a + b);
    add(` ${a}${b}`);
  }
  for (const a of upper) for (const b of lower) {
    add(a + b);
    add(` ${a}${b}`);
  }
  for (const a of lower) for (const b of lower) for (const c of lower) {
    add(a + b + c);
    add(` ${a}${b}${c}`);
  }
  const firstWord = pieces.length;
  const next = prng(0x5eed);
  const onsets = ['b', 'c', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'z', 'br', 'ch', 'cl', 'dr', 'fr', 'gr', 'pl', 'pr', 'sh', 'st', 'th', 'tr'];
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'ou'];
  const codas = ['', '', 'n', 'r', 's', 't', 'l', 'm', 'nd', 'st'];
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
  while (pieces.length < FIRST_SPECIAL) {
    let word = '';
    const syllables = 1 + Math.floor(next() * 3);
    for (let s = 0; s < syllables; s++) word += pick(onsets) + pick(vowels) + pick(codas);
    if (word.length >= 4 && word.length <= MAX_PIECE_CHARS - 1) add(` ${word}`);
  }
  const wordsEnd = pieces.length;
  // Special tokens sit at the end, as in GLM's tokenizer; text never tokenizes into them.
  for (const special of SPECIAL_TOKENS) pieces.push(special);
  while (pieces.length < VOCAB_SIZE) pieces.push(`<|reserved_${pieces.length}|>`);
  return { pieces, ids, firstWord, wordsEnd };
}

function vocab(): Vocabulary {
  vocabulary ??= buildVocabulary();
  return vocabulary;
}

const PRETOKENIZE = / ?[A-Za-z]+| ?[0-9]| ?[^\sA-Za-z0-9]+|\n+|\s/gu;

export function tokenize(text: string): number[] {
  const { ids } = vocab();
  const out: number[] = [];
  for (const match of text.matchAll(PRETOKENIZE)) {
    const piece = match[0];
    let i = 0;
    while (i < piece.length) {
      let matched = 0;
      for (let len = Math.min(MAX_PIECE_CHARS, piece.length - i); len > 0; len--) {
        const id = ids.get(piece.slice(i, i + len));
        if (id !== undefined) {
          out.push(id);
          matched = len;
          break;
        }
      }
      if (matched > 0) {
        i += matched;
        continue;
      }
      // Byte fallback, one code point at a time.
      const cp = piece.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const byte of Buffer.from(ch, 'utf8')) out.push(byte);
      i += ch.length;
    }
  }
  return out;
}

export function countTokens(text: string): number {
  return tokenize(text).length;
}

export class InvalidTokenError extends Error {}

export function detokenize(tokens: readonly number[]): string {
  const { pieces } = vocab();
  let text = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) text += Buffer.from(bytes).toString('utf8');
    bytes = [];
  };
  for (const id of tokens) {
    if (!Number.isInteger(id) || id < 0 || id >= VOCAB_SIZE) throw new InvalidTokenError(`token id ${id} is out of vocabulary (0..${VOCAB_SIZE - 1})`);
    if (id < BYTE_TOKENS) {
      bytes.push(id);
    } else {
      flush();
      text += pieces[id]!;
    }
  }
  flush();
  return text;
}

/** The text of one token (for streaming); byte tokens render as their character when printable. */
export function tokenText(id: number): string {
  return detokenize([id]);
}

/** `count` word tokens chosen by `seed`: text that tokenizes back to exactly `count` tokens. */
export function wordTokens(seed: number, count: number): number[] {
  const { firstWord, wordsEnd } = vocab();
  const next = prng(seed);
  const span = wordsEnd - firstWord;
  const out: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = firstWord + Math.floor(next() * span);
  return out;
}

export function wordText(seed: number, count: number): string {
  return detokenize(wordTokens(seed, count));
}

/** A stable 32-bit hash of a string (FNV-1a), for seeding outputs from prompts. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface ChatMessage {
  role: string;
  content: string;
}

/** GLM-4.5's chat template, in tokens: [gMASK]<sop>, then <|role|>\n content per message, then <|assistant|>. */
export function chatPromptTokens(messages: readonly ChatMessage[], addGenerationPrompt = true): number[] {
  const out = [specialTokenId('[gMASK]'), specialTokenId('<sop>')];
  for (const m of messages) {
    const role = m.role === 'system' ? '<|system|>' : m.role === 'assistant' ? '<|assistant|>' : m.role === 'tool' ? '<|observation|>' : '<|user|>';
    out.push(specialTokenId(role));
    for (const id of tokenize(`\n${m.content}`)) out.push(id);
  }
  if (addGenerationPrompt) out.push(specialTokenId('<|assistant|>'));
  return out;
}

/** A plain prompt as vLLM's /tokenize counts it: with the [gMASK]<sop> prefix unless add_special_tokens is false. */
export function promptTokens(prompt: string, addSpecialTokens = true): number[] {
  const ids = tokenize(prompt);
  return addSpecialTokens ? [specialTokenId('[gMASK]'), specialTokenId('<sop>'), ...ids] : ids;
}
