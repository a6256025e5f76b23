// vLLM's and SGLang's printed result blocks (and GPUStack's rendering of them), anchored on the "Serving Benchmark
// Result" banner so the unpadded lines printed before it ("Maximum request concurrency: None") never shadow the
// block's own lines (research/bench-tools.md §3.1, §3.2, §4).
import { PERCENTILE_METRICS } from './metrics';
import { BenchmarkParseError, completeThroughputs, EXPECTED, orderMetrics, type BenchmarkSetup, type ParsedBenchmark } from './parsed';

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

export function parseTextBlocks(text: string, fileName?: string): ParsedBenchmark[] {
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
