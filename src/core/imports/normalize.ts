// What every importer shares once a foreign file's numbers are mapped to vLLM's metric names: values checked
// (finite, ≥ 0, or null for "not available"), the required throughputs derived from what the file has or the result
// refused (never 0 for an unknown), vLLM's key order, and a "Serving Benchmark Result" block regenerated for display.
import { BenchmarkParseError, completeThroughputs, orderMetrics, type BenchmarkSetup, type ParsedBenchmark, type ParsedSourceKind } from '../bench/parse';
import { formatResultBlock } from '../bench/format';
import { PERCENTILE_METRICS } from '../bench/metrics';

const STAT_KEY = /^(mean|median|std|max|p(\d+(?:\.\d+)?))_([a-z0-9_]+)_ms$/;

export interface MappedResult {
  kind: ParsedSourceKind;
  file?: string;
  tool: string;
  version?: string;
  /** vLLM-named metrics; null = the tool reported it as not available. */
  metrics: Record<string, number | null>;
  setup: BenchmarkSetup;
  notes: string[];
  title?: string;
}

/** Checks, completes and orders a foreign result already mapped to vLLM's names; `where` names it in errors. */
export function toParsed(mapped: MappedResult, where: string): ParsedBenchmark {
  const metrics: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(mapped.metrics)) {
    if (value === null) {
      metrics[key] = null;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new BenchmarkParseError(`${where}: "${key}" is ${String(value)}; a benchmark metric is a finite number ≥ 0`);
    }
    metrics[key] = value;
  }
  for (const key of ['completed', 'duration', 'total_input_tokens', 'request_throughput']) {
    if (typeof metrics[key] !== 'number') throw new BenchmarkParseError(`${where}: "${key}" is missing from the ${mapped.tool} result; it cannot be imported`);
  }
  const notes = [...mapped.notes];
  if (!('failed' in metrics)) metrics['failed'] = null;
  if (!('request_goodput' in metrics)) metrics['request_goodput'] = null;
  completeThroughputs(metrics, where, notes);
  const ordered = orderMetrics(metrics);
  const percentileMetrics = new Set<string>();
  const percentiles = new Set<number>();
  for (const key of Object.keys(ordered)) {
    const stat = STAT_KEY.exec(key);
    if (!stat) continue;
    percentileMetrics.add(stat[3]!);
    if (stat[2] !== undefined) percentiles.add(Number(stat[2]));
  }
  const metricList = PERCENTILE_METRICS.filter((m) => percentileMetrics.has(m));
  const percentileList = [...percentiles].sort((a, b) => a - b);
  notes.push(`the result block was regenerated from ${mapped.tool}'s output (its own report is in the file)`);
  return {
    source: { kind: mapped.kind, ...(mapped.file ? { file: mapped.file } : {}), tool: mapped.tool, ...(mapped.version ? { version: mapped.version } : {}) },
    metrics: ordered,
    rawOutput: formatResultBlock(ordered, {
      percentileMetrics: metricList,
      percentiles: percentileList,
      goodput: false,
      maxConcurrency: typeof mapped.setup.maxConcurrency === 'number' ? mapped.setup.maxConcurrency : null,
      ...(typeof mapped.setup.requestRate === 'number' ? { requestRate: mapped.setup.requestRate } : {}),
    }),
    ...(mapped.title ? { title: mapped.title } : {}),
    setup: mapped.setup,
    percentileMetrics: metricList,
    percentiles: percentileList,
    goodput: false,
    errors: [],
    notes,
  };
}
