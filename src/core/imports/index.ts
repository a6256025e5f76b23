// Every result shape `parse`, `results import` and Import Benchmark Result read: one adapter per foreign format, each
// mapping to vLLM's metric names with provenance. An unknown shape is refused naming the shapes known.
import { readFile, stat } from 'node:fs/promises';
import { BenchmarkParseError, parseBenchmarkOutput, toBenchmarkResult, type ParsedBenchmark } from '../bench/parse';
import { BenchmarkResult } from '../plan/schema';
import { isAiperfCsv, isAiperfJson, parseAiperfCsv, parseAiperfJson } from './aiperf';
import { isGuidellmReport, parseGuidellmReport } from './guidellm';
import { isSweepDirectory, parseSweepDirectory, parseSweepPoints } from './sweep';
import { sweepCurves, type SweepCurves, type SweepCurvesOptions } from './sweepCurves';

export type { SweepCurvesOptions } from './sweepCurves';

export const KNOWN_SHAPES = [
  '`vllm bench serve` / SGLang bench_serving / GPUStack "Serving Benchmark Result" text (also inside markdown)',
  '`vllm bench serve --save-result` JSON (or --append-result lines)',
  'SGLang bench_serving JSONL (any version)',
  'GuideLLM benchmarks JSON',
  'AIPerf profile_export_aiperf.json or .csv',
  'a `vllm bench sweep serve` output directory',
];

const unknownShape = (where: string, why: string) => new BenchmarkParseError(`${where}: ${why}; known shapes: ${KNOWN_SHAPES.join('; ')}`);

/** Parses one file's text, whatever tool wrote it. */
export function parseImportText(text: string, fileName?: string): ParsedBenchmark[] {
  const trimmed = text.trim();
  const where = fileName ?? 'the input';
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let whole: unknown;
    try {
      whole = JSON.parse(trimmed);
    } catch {
      whole = undefined; // JSONL: the benchmark parser reads it line by line
    }
    if (whole !== undefined && isGuidellmReport(whole)) return parseGuidellmReport(whole, fileName);
    if (whole !== undefined && isAiperfJson(whole)) return parseAiperfJson(whole, fileName);
    if (whole !== undefined && typeof whole === 'object' && whole !== null && 'benchmarks' in whole) {
      throw unknownShape(where, 'a JSON report with "benchmarks" whose entries have no GuideLLM "metrics.request_totals"');
    }
  } else if (isAiperfCsv(trimmed)) {
    return parseAiperfCsv(text, fileName);
  }
  try {
    return parseBenchmarkOutput(text, fileName);
  } catch (err) {
    if (err instanceof BenchmarkParseError && /no benchmark result found|is not a benchmark result/.test(err.message)) throw unknownShape(where, 'no result of a known shape');
    throw err;
  }
}

/** Parses a file or a sweep directory. */
export async function parseImportPath(path: string, displayName = path): Promise<ParsedBenchmark[]> {
  const info = await stat(path);
  if (info.isDirectory()) {
    if (await isSweepDirectory(path)) return parseSweepDirectory(path);
    throw unknownShape(displayName, 'a directory without SERVE-…/BENCH-… sub-directories holding run=N.json');
  }
  if (!info.isFile()) throw new BenchmarkParseError(`${displayName}: not a regular file`);
  return parseImportText(await readFile(path, 'utf8'), displayName);
}

export interface ImportedBatch {
  results: BenchmarkResult[];
  /** Identical results found more than once (same source and block): stored once. */
  duplicates: number;
  /** Results refused by the store's schema, each naming the file, the result and the field. */
  problems: string[];
}

/**
 * Normalizes parsed results for the store: schema-checked (a problem names file, result and field, and the other
 * results still go through) and deduplicated by id (identical blocks in one file are one result).
 */
export function toImportedBatch(parsed: readonly ParsedBenchmark[], fileName: string, seen = new Set<string>()): ImportedBatch {
  const batch: ImportedBatch = { results: [], duplicates: 0, problems: [] };
  parsed.forEach((p, i) => {
    const result = toBenchmarkResult(p);
    if (seen.has(result.id)) {
      batch.duplicates++;
      return;
    }
    seen.add(result.id);
    const checked = BenchmarkResult.safeParse(result);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      batch.problems.push(`${fileName}${parsed.length > 1 ? ` result ${i + 1}` : ''}: ${issue.path.join('.') || '(result)'}: ${issue.message}; not imported`);
      return;
    }
    batch.results.push(checked.data);
  });
  return batch;
}

/**
 * A `vllm bench sweep serve` directory as curves: its runs placed on one curve per serve configuration and the
 * experiment holding them; undefined when `path` is not a sweep directory (then import it as files).
 */
export async function importSweepCurves(path: string, options: SweepCurvesOptions): Promise<SweepCurves | undefined> {
  if (!(await stat(path)).isDirectory() || !(await isSweepDirectory(path))) return undefined;
  return sweepCurves(path, await parseSweepPoints(path), options);
}
