// Reads benchmark output back into BenchmarkMetrics (vLLM --save-result key names): vLLM's text block of every
// version, SGLang's block, vLLM --save-result JSON (one object, or --append-result lines) and SGLang JSONL
// (research/bench-tools.md §3.1, §3.2, §3.4, §4). Text is anchored on the "Serving Benchmark Result" banner, so
// the unpadded lines printed before it ("Maximum request concurrency: None") never shadow the block's own lines.
import { createHash } from 'node:crypto';
import type { BenchmarkMetrics, BenchmarkResult } from '../plan/schema';
import { formatResultBlock, type BlockStyle } from './format';
import { PERCENTILE_METRICS } from './metrics';

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

const EXPECTED =
  'expected the "============ Serving Benchmark Result ============" block printed by `vllm bench serve` or ' +
  'SGLang `bench_serving`, a `vllm bench serve --save-result` JSON file, or SGLang bench_serving JSONL';

/** Parses every result in `text`; throws BenchmarkParseError naming the file and what was expected. */
export function parseBenchmarkOutput(text: string, fileName?: string): ParsedBenchmark[] {
  const where = fileName ? `${fileName}: ` : '';
  const trimmed = text.trim();
  if (trimmed === '') throw new BenchmarkParseError(`${where}the input is empty; ${EXPECTED}`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJsonRecords(trimmed, fileName);
  const results = parseTextBlocks(text, fileName);
  if (results.length === 0) throw new BenchmarkParseError(`${where}no benchmark result found; ${EXPECTED}`);
  return results;
}

// ---------------------------------------------------------------- text blocks

const TITLE_RE = /^=+\s*Serving Benchmark Result\s*=+$/i;
const END_RE = /^={10,}$/;
const HEADER_RE = /^-{3,}([^-](?:[^-]|-(?!--))*)-{3,}$/;
const STAT_RE = /^(mean|median|max|p(\d+(?:\.\d+)?))\s+(ttft|tpot|itl|e2el|e2e latency)\s+\(ms\):$/i;
/** GPUStack's rendered blocks (GuideLLM underneath) have a "Latency" section in seconds: "Mean Latency(s):". */
const SECONDS_LATENCY_RE = /^(mean|median|max|p(\d+(?:\.\d+)?))\s+latency\s*\(s\):$/i;

/** Block labels (lower case) → metric key. */
const LABEL_KEYS: Record<string, string> = {
  'successful requests:': 'completed',
  'failed requests:': 'failed',
  'benchmark duration (s):': 'duration',
  'total input tokens:': 'total_input_tokens',
  'total input text tokens:': 'total_input_text_tokens',
  'total input vision tokens:': 'total_input_vision_tokens',
  'total generated tokens:': 'total_output_tokens',
  'total generated tokens (retokenized):': 'total_output_tokens_retokenized',
  'request throughput (req/s):': 'request_throughput',
  'request goodput (req/s):': 'request_goodput',
  'input token throughput (tok/s):': 'input_throughput',
  'output token throughput (tok/s):': 'output_throughput',
  'peak output token throughput (tok/s):': 'max_output_tokens_per_s',
  'peak concurrent requests:': 'max_concurrent_requests',
  'total token throughput (tok/s):': 'total_token_throughput',
  'concurrency:': 'concurrency',
  'accept length:': 'accept_length',
  'rtfx (inverse real-time factor):': 'rtfx',
  'acceptance rate (%):': 'spec_decode_acceptance_rate',
  'acceptance length:': 'spec_decode_acceptance_length',
  'drafts:': 'spec_decode_num_drafts',
  'draft tokens:': 'spec_decode_draft_tokens',
  'accepted tokens:': 'spec_decode_accepted_tokens',
  'total prompt tokens:': 'cache_total_prompt_tokens',
  'total cached tokens:': 'cache_total_cached_tokens',
  'cache hit rate:': 'cache_hit_rate',
};

/**
 * Longer lines are never part of a result block (its lines are ~51 characters) and are skipped before any pattern
 * runs, so no input can make matching slow.
 */
export const MAX_LINE_LENGTH = 4096;

/** `LABEL: VALUE` split at the first colon (no regular expression: a lazy group here was quadratic). */
function labelValue(line: string): { label: string; value: string } | undefined {
  const colon = line.indexOf(':', 1);
  if (colon < 0) return undefined;
  return { label: line.slice(0, colon + 1), value: line.slice(colon + 1).trim() };
}

/** What tools print for a value they could not compute (GPUStack's lab pages print `N/A`). */
const NOT_AVAILABLE_RE = /^(n\/a|na|nan|none|null|-)$/i;

/** A metric value: a finite number ≥ 0, null for N/A; anything else is refused naming where and what. */
function metricValue(value: string, where: string, label: string): number | null {
  if (NOT_AVAILABLE_RE.test(value.trim())) return null;
  const n = toNumber(value);
  if (n === undefined) throw new BenchmarkParseError(`${where}: "${label}" has the value "${value}", expected a number or N/A`);
  if (!Number.isFinite(n) || n < 0) throw new BenchmarkParseError(`${where}: "${label}" is ${value}; a benchmark metric is a finite number ≥ 0`);
  return n;
}

function toNumber(value: string): number | undefined {
  const v = value.replace(/%$/, '').trim();
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  if (/^[-+]?inf$/i.test(v)) return v.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

function parseRate(value: string): number | 'inf' | 'trace' | undefined {
  if (/^inf$/i.test(value.trim())) return 'inf';
  if (/^trace$/i.test(value.trim())) return 'trace';
  return toNumber(value);
}

function parseConcurrency(value: string): number | null | undefined {
  if (/^(none|not set)$/i.test(value.trim())) return null;
  return toNumber(value);
}

function parseTextBlocks(text: string, fileName?: string): ParsedBenchmark[] {
  const lines = text.split(/\r?\n/);
  const results: ParsedBenchmark[] = [];
  let preambleStart = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!TITLE_RE.test(lines[i]!.trim())) continue;
    const indent = /^\s*/.exec(lines[i]!)![0].length;
    let end = i + 1;
    while (end < lines.length && !END_RE.test(lines[end]!.trim()) && !TITLE_RE.test(lines[end]!.trim())) end++;
    if (end >= lines.length || !END_RE.test(lines[end]!.trim())) {
      const where = fileName ? `${fileName}:${i + 1}: ` : `line ${i + 1}: `;
      throw new BenchmarkParseError(`${where}the "Serving Benchmark Result" block is not closed by a line of "=" characters; is the output cut short?`);
    }
    const block = lines.slice(i, end + 1).map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)![0].length)).trimEnd());
    results.push(parseOneBlock(block, lines.slice(preambleStart, i), i + 1, fileName));
    preambleStart = end + 1;
    i = end;
  }
  return results;
}

const FENCE_RE = /^(```|~~~)/;

/**
 * The nearest `# …` line before a block that labels it: a comment in the block's own code fence or text, or a
 * heading outside fences. Walking back from a fenced block, an even number (> 0) of fence lines crossed means the
 * line sits inside another fence, e.g. "# Crash. PP not supported" in the previous option's result, so it is skipped.
 */
function titleBefore(preamble: string[]): string | undefined {
  let fencesCrossed = 0;
  for (let i = preamble.length - 1; i >= 0; i--) {
    const line = preamble[i]!.trim();
    if (FENCE_RE.test(line)) fencesCrossed++;
    else if (line.startsWith('#') && (fencesCrossed === 0 || fencesCrossed % 2 === 1)) {
      const title = line.replace(/^#+\s*/, '');
      if (title) return title;
    }
  }
  return undefined;
}

function parseOneBlock(block: string[], preamble: string[], firstLine: number, fileName?: string): ParsedBenchmark {
  const where = `${fileName ?? 'line'}${fileName ? ':' : ' '}${firstLine}`;
  const metrics: Record<string, number | null> = {};
  const setup: BenchmarkSetup = {};
  const notes: string[] = [];
  const errors: string[] = [];
  const percentileMetrics: string[] = [];
  const percentiles: number[] = [];
  let sglang = false;
  let hasFailedLine = false;
  let capitalTotalToken = false;
  const notAvailable: string[] = [];
  let gpustackLatency = false;
  const title = titleBefore(preamble);

  for (const raw of preamble) {
    if (raw.length > MAX_LINE_LENGTH) continue;
    const m = labelValue(raw.trim());
    if (!m) continue;
    const label = m.label.toLowerCase();
    const value = m.value;
    if (label === 'traffic request rate:') setup.requestRate = parseRate(value) ?? setup.requestRate;
    else if (label === 'maximum request concurrency:') setup.maxConcurrency = parseConcurrency(value);
    else if (label === 'burstiness factor:') setup.burstiness = toNumber(value.split(/\s/)[0] ?? '') ?? setup.burstiness;
    else if (/^error \d+:$/.test(label)) errors.push(value);
  }

  for (const line of block.slice(1, -1)) {
    if (line.trim() === '') continue;
    if (line.length > MAX_LINE_LENGTH) {
      notes.push(`ignored a line of ${line.length} characters in the block at ${where}`);
      continue;
    }
    const header = HEADER_RE.exec(line);
    if (header) {
      const name = header[1]!.trim();
      if (name === 'End-to-End Latency' || name === 'Inter-Token Latency' || name === 'Cache Hit Details') sglang = true;
      continue;
    }
    const m = labelValue(line.trim());
    if (!m) {
      notes.push(`ignored a line of the block at ${where} that is not "LABEL: VALUE": "${line.trim()}"`);
      continue;
    }
    const labelText = m.label;
    const label = labelText.toLowerCase();
    const value = m.value;
    const stat = STAT_RE.exec(labelText);
    if (stat) {
      const which = stat[1]!.toLowerCase();
      let metric = stat[3]!.toLowerCase();
      if (metric === 'e2e latency') {
        metric = 'e2el';
        sglang = true;
      }
      const n = metricValue(value, where, labelText);
      if (n === null) notAvailable.push(labelText);
      metrics[`${which}_${metric}_ms`] = n;
      if (!percentileMetrics.includes(metric)) percentileMetrics.push(metric);
      if (stat[2] !== undefined && !percentiles.includes(Number(stat[2]))) percentiles.push(Number(stat[2]));
      continue;
    }
    const seconds = SECONDS_LATENCY_RE.exec(labelText);
    if (seconds) {
      const n = metricValue(value, where, labelText);
      if (n === null) notAvailable.push(labelText);
      metrics[`${seconds[1]!.toLowerCase()}_e2el_ms`] = n === null ? null : Math.round(n * 1000 * 1e6) / 1e6;
      gpustackLatency = true;
      if (!percentileMetrics.includes('e2el')) percentileMetrics.push('e2el');
      if (seconds[2] !== undefined && !percentiles.includes(Number(seconds[2]))) percentiles.push(Number(seconds[2]));
      continue;
    }
    if (label === 'backend:') {
      setup.backend = value;
      sglang = true;
    } else if (label === 'traffic request rate:') {
      setup.requestRate = parseRate(value);
      sglang = true;
    } else if (label === 'max request concurrency:') {
      setup.maxConcurrency = parseConcurrency(value);
      sglang = true;
    } else if (label === 'maximum request concurrency:') {
      setup.maxConcurrency = parseConcurrency(value);
    } else if (label === 'request rate configured (rps):') {
      setup.requestRate = toNumber(value);
    } else if (label === 'per-position acceptance (%):' && value === '') {
      // a sub-header; the "Position i:" lines follow
    } else if (/^position \d+:$/.test(label)) {
      const n = toNumber(value);
      if (n !== undefined) metrics[`spec_decode_position_${/\d+/.exec(label)![0]}_acceptance_rate`] = n;
    } else if (/^(device|host|storage.*):$/.test(label)) {
      // SGLang's cache-hit breakdown: kept in the raw block only
    } else if (LABEL_KEYS[label] !== undefined) {
      const n = metricValue(value, where, labelText);
      if (n === null) notAvailable.push(labelText);
      const key = LABEL_KEYS[label]!;
      metrics[key] = n;
      if (key === 'failed') hasFailedLine = true;
      if (key === 'total_input_text_tokens' || key === 'total_output_tokens_retokenized' || key === 'input_throughput' || key === 'concurrency') sglang = true;
      if (labelText.startsWith('Total Token throughput')) capitalTotalToken = true;
    } else {
      notes.push(`ignored an unrecognized line of the block at ${where}: "${line.trim()}"`);
    }
  }

  for (const [key, label] of [
    ['completed', 'Successful requests:'],
    ['duration', 'Benchmark duration (s):'],
    ['total_input_tokens', 'Total input tokens:'],
    ['request_throughput', 'Request throughput (req/s):'],
  ] as const) {
    if (metrics[key] === undefined) throw new BenchmarkParseError(`${where}: the "Serving Benchmark Result" block has no "${label}" line; ${EXPECTED}`);
    if (metrics[key] === null) throw new BenchmarkParseError(`${where}: "${label}" is N/A; a result needs it, so this block cannot be imported`);
  }
  if (notAvailable.length > 0) notes.push(`not available in the block (N/A, stored as null): ${notAvailable.join(', ')}`);
  if (gpustackLatency) notes.push('GPUStack\'s "Latency(s)" section (request latency in seconds) is stored as E2EL in ms');
  if (!hasFailedLine) {
    metrics['failed'] = sglang ? null : 0;
    notes.push(
      sglang
        ? 'SGLang\'s block does not report failed requests (it fails the run instead); "failed" is unknown (null)'
        : 'the block has no "Failed requests:" line (vLLM before Oct 2025, e.g. 0.11.0, which counts failures but prints none when there are none); "failed" is 0',
    );
  }
  if (!('request_goodput' in metrics)) metrics['request_goodput'] = null;
  completeThroughputs(metrics, where, notes);

  return {
    source: { kind: gpustackLatency ? 'gpustack-text' : sglang ? 'sglang-text' : 'vllm-text', ...(fileName ? { file: fileName } : {}) },
    metrics: orderMetrics(metrics),
    rawOutput: `${block.join('\n')}\n`,
    ...(title !== undefined ? { title } : {}),
    setup,
    percentileMetrics: PERCENTILE_METRICS.filter((m) => percentileMetrics.includes(m)),
    percentiles,
    goodput: metrics['request_goodput'] !== null,
    ...(sglang || gpustackLatency ? {} : { blockStyle: hasFailedLine && !capitalTotalToken ? 'current' : 'v0.11' }),
    errors,
    notes,
  };
}

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

const CORE_ORDER = [
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

// ---------------------------------------------------------------- JSON / JSONL

function parseJsonRecords(text: string, fileName?: string): ParsedBenchmark[] {
  const where = fileName ? `${fileName}` : 'the input';
  let records: unknown[];
  try {
    const whole: unknown = JSON.parse(text);
    records = Array.isArray(whole) ? whole : [whole];
  } catch {
    // JSONL (SGLang) or vLLM --append-result: one object per line.
    records = [];
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      try {
        records.push(JSON.parse(pythonJsonLiterals(line)));
      } catch (err) {
        throw new BenchmarkParseError(`${where}:${i + 1}: not valid JSON (${(err as Error).message}); ${EXPECTED}`);
      }
    }
  }
  return records.map((record, index) => parseJsonRecord(record, records.length > 1 ? `${where} record ${index + 1}` : where, fileName));
}

/**
 * Python's json.dumps writes float('inf') and nan as bare Infinity / NaN (SGLang's `"request_rate": Infinity`), which
 * JSON.parse refuses: outside strings they become the strings "Infinity" / "NaN", read as such below.
 */
function pythonJsonLiterals(line: string): string {
  return line.replace(/"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)/g, (match, bare: string | undefined) => (bare ? `"${bare}"` : match));
}

/** SGLang's record in any version: newer ones have total_throughput and server_info; old ones only medians. */
function isSglangRecord(r: Record<string, unknown>): boolean {
  return ['total_throughput', 'server_info', 'total_output_tokens_retokenized', 'input_throughput'].some((k) => k in r) || Object.keys(r).some((k) => k.endsWith('_e2e_latency_ms'));
}

/** The SGLang version from server_info; prefill/decode-disaggregated runs report each side's servers. */
function sglangServer(info: unknown, notes: string[]): string | undefined {
  if (typeof info !== 'object' || info === null) return undefined;
  const i = info as Record<string, unknown>;
  const versionOf = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)['version'] === 'string' ? ((v as Record<string, unknown>)['version'] as string) : undefined);
  if (Array.isArray(i['prefill']) || Array.isArray(i['decode'])) {
    const prefill = Array.isArray(i['prefill']) ? i['prefill'].length : 0;
    const decode = Array.isArray(i['decode']) ? i['decode'].length : 0;
    notes.push(`prefill/decode-disaggregated run (--pd-separated): ${prefill} prefill and ${decode} decode server${prefill + decode === 1 ? '' : 's'}; the metrics are end to end through the router`);
    return versionOf((i['decode'] as unknown[] | undefined)?.[0]) ?? versionOf((i['prefill'] as unknown[] | undefined)?.[0]);
  }
  return versionOf(i);
}

const isNumberOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));
const VLLM_STAT_KEY = /^(mean|median|std|max|p\d+(?:\.\d+)?)_([a-z0-9_]+)_ms$/;

function parseJsonRecord(record: unknown, where: string, fileName?: string): ParsedBenchmark {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new BenchmarkParseError(`${where}: expected a JSON object with benchmark results; ${EXPECTED}`);
  }
  const r = record as Record<string, unknown>;
  const sglang = isSglangRecord(r);
  if (!sglang && !('total_token_throughput' in r && 'completed' in r)) {
    throw new BenchmarkParseError(`${where}: a JSON object without "completed" and "total_token_throughput"/"total_throughput" keys is not a benchmark result; ${EXPECTED}`);
  }
  for (const key of ['duration', 'completed', 'total_input_tokens', 'request_throughput']) {
    if (typeof r[key] !== 'number') throw new BenchmarkParseError(`${where}: "${key}" is missing or not a number; ${EXPECTED}`);
  }
  const metrics: Record<string, number | null> = {};
  const notes: string[] = [];
  const percentileMetrics = new Set<string>();
  const percentiles = new Set<number>();
  for (const [rawKey, value] of Object.entries(r)) {
    if (value === 'NaN' && VLLM_STAT_KEY.test(rawKey)) {
      metrics[sglang ? rawKey.replace(/_e2e_latency_ms$/, '_e2el_ms') : rawKey] = null; // no data for the statistic
      continue;
    }
    if (!isNumberOrNull(value)) {
      if (typeof value === 'string' && (VLLM_STAT_KEY.test(rawKey) || CORE_ORDER.includes(rawKey))) {
        throw new BenchmarkParseError(`${where}: "${rawKey}" is ${JSON.stringify(value.slice(0, 40))}, expected a number or null`);
      }
      continue;
    }
    if (value !== null && value < 0 && rawKey !== 'burstiness') {
      throw new BenchmarkParseError(`${where}: "${rawKey}" is ${value}; a benchmark metric is a finite number ≥ 0`);
    }
    let key = rawKey;
    if (sglang) {
      if (key === 'total_throughput') key = 'total_token_throughput';
      key = key.replace(/_e2e_latency_ms$/, '_e2el_ms');
    }
    const stat = VLLM_STAT_KEY.exec(key);
    if (stat) {
      percentileMetrics.add(stat[2]!);
      if (stat[1]!.startsWith('p')) percentiles.add(Number(stat[1]!.slice(1)));
      metrics[key] = value;
      continue;
    }
    if (['request_rate', 'burstiness', 'max_concurrency', 'num_prompts', 'random_input_len', 'random_output_len', 'random_range_ratio', 'sharegpt_output_len'].includes(key)) continue;
    metrics[key] = value;
  }
  const setup: BenchmarkSetup = {};
  if (r['request_rate'] === 'Infinity') setup.requestRate = 'inf';
  else if (r['request_rate'] === 'inf' || r['request_rate'] === 'trace' || typeof r['request_rate'] === 'number') setup.requestRate = r['request_rate'] as number | 'inf' | 'trace';
  if (typeof r['burstiness'] === 'number') setup.burstiness = r['burstiness'];
  if (typeof r['max_concurrency'] === 'number' || r['max_concurrency'] === null) setup.maxConcurrency = r['max_concurrency'] as number | null;
  if (typeof r['backend'] === 'string') setup.backend = r['backend'];
  if (typeof r['model_id'] === 'string') setup.model = r['model_id'];
  if (typeof r['num_prompts'] === 'number') setup.numPrompts = r['num_prompts'];
  if (typeof r['date'] === 'string') setup.date = r['date'];

  if (typeof r['failed'] !== 'number') {
    if (setup.numPrompts !== undefined) {
      metrics['failed'] = Math.max(0, setup.numPrompts - (r['completed'] as number));
      notes.push('"failed" derived as num_prompts − completed');
    } else if (Array.isArray(r['errors'])) {
      metrics['failed'] = r['errors'].filter((e) => typeof e === 'string' && e !== '').length;
      notes.push('"failed" counted from the non-empty "errors" entries');
    } else {
      metrics['failed'] = null;
      notes.push(`${sglang ? 'SGLang' : 'this'} JSON does not report failed requests; "failed" is unknown (null)`);
    }
  }
  const version = sglang ? sglangServer(r['server_info'], notes) : undefined;
  if (sglang && !Object.keys(r).some((k) => k.startsWith('mean_'))) notes.push('an older SGLang record: medians only, no means or percentiles');
  if (!('request_goodput' in metrics)) metrics['request_goodput'] = null;
  completeThroughputs(metrics, where, notes);

  const ordered = orderMetrics(metrics);
  const metricList = PERCENTILE_METRICS.filter((m) => percentileMetrics.has(m));
  const percentileList = [...percentiles].sort((a, b) => a - b);
  const goodput = typeof ordered.request_goodput === 'number';
  notes.push('the result block was regenerated from the JSON (the original printed text is not in the file)');
  return {
    source: {
      kind: sglang ? 'sglang-jsonl' : 'vllm-json',
      ...(fileName ? { file: fileName } : {}),
      tool: sglang ? 'SGLang bench_serving' : 'vllm bench serve',
      ...(version ? { version } : {}),
    },
    metrics: ordered,
    rawOutput: formatResultBlock(ordered, {
      percentileMetrics: metricList,
      percentiles: percentileList,
      goodput,
      maxConcurrency: setup.maxConcurrency ?? null,
      ...(typeof setup.requestRate === 'number' ? { requestRate: setup.requestRate } : {}),
    }),
    setup,
    percentileMetrics: metricList,
    percentiles: percentileList,
    goodput,
    errors: Array.isArray(r['errors']) ? (r['errors'] as unknown[]).filter((e): e is string => typeof e === 'string' && e !== '') : [],
    notes,
  };
}

// ---------------------------------------------------------------- normalized result

/** The normalized, stored form of an imported result. The id is stable for the same input. */
export function toBenchmarkResult(parsed: ParsedBenchmark, options: { createdAt?: string } = {}): BenchmarkResult {
  const id = `imported-${createHash('sha256').update(parsed.source.file ?? '').update('\0').update(parsed.rawOutput).digest('hex').slice(0, 12)}`;
  const metrics: BenchmarkMetrics = { ...parsed.metrics };
  if (typeof parsed.setup.maxConcurrency === 'number') metrics['max_concurrency'] = parsed.setup.maxConcurrency;
  if (typeof parsed.setup.requestRate === 'number') metrics['request_rate'] = parsed.setup.requestRate;
  return {
    schemaVersion: 1,
    id,
    createdAt: options.createdAt ?? parsed.setup.date ?? new Date().toISOString(),
    status: 'complete',
    metrics,
    rawOutput: parsed.rawOutput,
    runner: 'imported',
    source: parsed.source,
    commands: {},
    notes: [...(parsed.title ? [`title: ${parsed.title}`] : []), ...parsed.notes],
  };
}
