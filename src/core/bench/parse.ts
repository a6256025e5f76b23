// Reads benchmark output back into BenchmarkMetrics (vLLM --save-result key names): vLLM's text block of every
// version and SGLang's block (parseText.ts), vLLM --save-result JSON and SGLang JSONL (parseJson.ts); and the stored
// form of an imported result (research/bench-tools.md §3.1, §3.2, §3.4, §4).
import { createHash } from 'node:crypto';
import type { BenchmarkMetrics, BenchmarkResult } from '../plan/schema';
import { BenchmarkParseError, EXPECTED, type ParsedBenchmark } from './parsed';
import { parseJsonRecords } from './parseJson';
import { parseTextBlocks } from './parseText';

export { BenchmarkParseError, completeThroughputs, orderMetrics, type BenchmarkSetup, type ParsedBenchmark, type ParsedSourceKind } from './parsed';
export { MAX_LINE_LENGTH } from './parseText';

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
