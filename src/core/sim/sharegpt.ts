// A synthetic, deterministic ShareGPT-format dataset. The real ShareGPT_V3 file cannot be downloaded here, so this
// generator reproduces its length statistics under the simulator's tokenizer: after vLLM's ShareGPT filtering
// (both sides ≥ 4 tokens, prompt ≤ 1024, prompt + output ≤ 2048) the reference run saw about 214 input and
// 200 output tokens per request. Texts are made of synthetic words; nothing here is real conversation data.
import { writeFile } from 'node:fs/promises';
import { prng, wordText } from './tokenizer';

export const SYNTHETIC_SHAREGPT_FILE = 'ShareGPT_synthetic_serving_lab.json';

export interface ShareGptConversation {
  id: string;
  conversations: Array<{ from: 'human' | 'gpt'; value: string }>;
}

/** Lognormal lengths; medians and spreads fitted so the filtered means land on the reference's 214 / 200. */
const INPUT_MEDIAN = 154;
const INPUT_SIGMA = 0.92;
const OUTPUT_MEDIAN = 188;
const OUTPUT_SIGMA = 0.35;

function lognormal(next: () => number, median: number, sigma: number): number {
  const u1 = Math.max(next(), 1e-12);
  const u2 = next();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(1, Math.round(median * Math.exp(sigma * z)));
}

/** Prompt and reply lengths (tokens) of `count` conversations, before any filtering. */
function syntheticShareGptLengths(count: number, seed: number): Array<{ input: number; output: number }> {
  const next = prng(seed ^ 0x51a7e6);
  return Array.from({ length: count }, () => ({ input: lognormal(next, INPUT_MEDIAN, INPUT_SIGMA), output: lognormal(next, OUTPUT_MEDIAN, OUTPUT_SIGMA) }));
}

/** vLLM's `is_valid_sequence` for ShareGPT with default limits. */
export function isValidShareGptPair(input: number, output: number): boolean {
  return input >= 4 && output >= 4 && input <= 1024 && input + output <= 2048;
}

/** The first `n` request lengths the benchmark would keep, for virtual-time prediction. */
export function syntheticShareGptRequests(n: number, seed = 0): Array<{ input: number; output: number }> {
  const kept: Array<{ input: number; output: number }> = [];
  let batch = Math.ceil(n * 1.15) + 16;
  while (kept.length < n) {
    kept.length = 0;
    for (const pair of syntheticShareGptLengths(batch, seed)) {
      if (isValidShareGptPair(pair.input, pair.output)) kept.push(pair);
      if (kept.length === n) break;
    }
    batch *= 2;
  }
  return kept;
}

function syntheticShareGpt(count: number, seed: number): ShareGptConversation[] {
  return syntheticShareGptLengths(count, seed).map((pair, i) => ({
    id: `synthetic-${String(i).padStart(6, '0')}`,
    conversations: [
      { from: 'human', value: wordText(seed * 1_000_003 + 2 * i + 1, pair.input) },
      { from: 'gpt', value: wordText(seed * 1_000_003 + 2 * i + 2, pair.output) },
    ],
  }));
}

export async function writeSyntheticShareGpt(path: string, options: { count: number; seed: number }): Promise<void> {
  await writeFile(path, `${JSON.stringify(syntheticShareGpt(options.count, options.seed))}\n`);
}
