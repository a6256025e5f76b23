// What every benchmark-output reader produces (parse.ts picks the reader): the parsed result, its setup and source,
// the refusal with what was expected, and the completion and ordering of metrics both readers share.
import type { BenchmarkMetrics } from '../plan/schema';
import type { BlockStyle } from './format';

export type ParsedSourceKind = 'vllm-text' | 'sglang-text' | 'vllm-json' | 'sglang-jsonl' | 'gpustack-text' | 'guidellm-json' | 'aiperf-json' | 'aiperf-csv' | 'vllm-sweep';

export interface BenchmarkSetup {
  requestRate?: number | 'inf' | 'trace';
  maxConcurrency?: number | null;
  burstiness?: number;
  backend?: string;
  model?: string;
  numPrompts?: number;
  date?: string;
}

export interface ParsedBenchmark {
  source: { kind: ParsedSourceKind; file?: string; tool?: string; version?: string };
  metrics: BenchmarkMetrics;
  /** The block as printed (text inputs, with the indentation of a markdown fence removed), or one regenerated from JSON. */
  rawOutput: string;
  /** A `# …` comment line right before the block, e.g. "random 32K input" in the reference's listings. */
  title?: string;
  setup: BenchmarkSetup;
  /** What the printed block carried, so it can be printed again identically. */
  percentileMetrics: string[];
  percentiles: number[];
  goodput: boolean;
  /** vLLM text only: `current` when the block has "Failed requests:", `v0.11` when not. */
  blockStyle?: BlockStyle;
  /** "Error i: …" lines printed before the block. */
  errors: string[];
  notes: string[];
}

export class BenchmarkParseError extends Error {}

export const EXPECTED =
  'expected the "============ Serving Benchmark Result ============" block printed by `vllm bench serve` or ' +
  'SGLang `bench_serving`, a `vllm bench serve --save-result` JSON file, or SGLang bench_serving JSONL';

/**
 * total_output_tokens, output_throughput and total_token_throughput are required: each missing or N/A one is
 * derived from the others when they were printed (with a note), else the result is refused. Never 0 for unknown.
 */
export function completeThroughputs(metrics: Record<string, number | null>, where: string, notes: string[]): void {
  const duration = metrics['duration'];
  const known = (k: string) => typeof metrics[k] === 'number';
  const derive = (key: string, value: number | undefined, how: string) => {
    if (known(key) || value === undefined || !Number.isFinite(value)) return;
    metrics[key] = value;
    notes.push(`"${key}" is not in the output; derived as ${how}`);
  };
  const d = typeof duration === 'number' && duration > 0 ? duration : undefined;
  const n = (k: string) => (known(k) ? (metrics[k] as number) : undefined);
  for (let pass = 0; pass < 2; pass++) {
    derive('output_throughput', d && n('total_output_tokens') !== undefined ? n('total_output_tokens')! / d : undefined, 'total_output_tokens / duration');
    derive('total_output_tokens', d && n('output_throughput') !== undefined ? Math.round(n('output_throughput')! * d) : undefined, 'output_throughput × duration');
    derive(
      'total_token_throughput',
      d && n('total_output_tokens') !== undefined ? (n('total_input_tokens')! + n('total_output_tokens')!) / d : undefined,
      '(total_input_tokens + total_output_tokens) / duration',
    );
    derive(
      'total_output_tokens',
      d && n('total_token_throughput') !== undefined ? Math.round(n('total_token_throughput')! * d - n('total_input_tokens')!) : undefined,
      'total_token_throughput × duration − total_input_tokens',
    );
  }
  const missing = ['total_output_tokens', 'output_throughput', 'total_token_throughput'].filter((k) => !known(k));
  if (missing.length > 0) {
    throw new BenchmarkParseError(`${where}: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing or N/A and cannot be derived from the other values; refusing to store them as 0`);
  }
}

export const CORE_ORDER = [
  'duration',
  'completed',
  'failed',
  'total_input_tokens',
  'total_output_tokens',
  'request_throughput',
  'request_goodput',
  'output_throughput',
  'total_token_throughput',
  'max_output_tokens_per_s',
  'max_concurrent_requests',
];

/** vLLM's key order first (as --save-result writes them), then everything else in the order found. */
export function orderMetrics(metrics: Record<string, number | null>): BenchmarkMetrics {
  const out: Record<string, number | null> = {};
  for (const k of CORE_ORDER) if (k in metrics) out[k] = metrics[k]!;
  for (const [k, v] of Object.entries(metrics)) if (!(k in out)) out[k] = v;
  return out as BenchmarkMetrics;
}
