// GuideLLM's benchmark report (`guidellm benchmark … --output-path benchmarks.json`): one result per benchmark of the
// report, mapped to vLLM's names. GuideLLM's statistics are StatusDistributionSummary objects
// ({successful, incomplete, errored, total} × {mean, median, percentiles{p50…p999}, total_sum, count});
// only the successful requests are used, as vLLM does. Definitions differ (research/bench-tools.md §4.5):
// GuideLLM's inter_token_latency_ms = (last − first token) / (n − 1) is vLLM's TPOT; GuideLLM's
// time_per_output_token_ms includes the first token and has no vLLM counterpart; it has no per-chunk ITL.
import { BenchmarkParseError, type BenchmarkSetup, type ParsedBenchmark } from '../bench/parse';
import { toParsed } from './normalize';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A GuideLLM report: a `benchmarks` list whose entries carry GuideLLM's `metrics.request_totals`. */
export function isGuidellmReport(json: unknown): boolean {
  const benchmarks = obj(json)?.['benchmarks'];
  return Array.isArray(benchmarks) && benchmarks.length > 0 && benchmarks.every((b) => obj(obj(b)?.['metrics'])?.['request_totals'] !== undefined);
}

/** The successful requests' distribution of one metric. */
function successful(metrics: Json, name: string): Json | undefined {
  return obj(obj(metrics[name])?.['successful']);
}

/** mean / median / p90 / p95 / p99 of a GuideLLM distribution (×scale) under vLLM's `{stat}_{name}_ms` keys. */
function stats(out: Record<string, number | null>, dist: Json | undefined, name: string, scale = 1): void {
  if (!dist || num(dist['count']) === 0) return;
  const pct = obj(dist['percentiles']) ?? {};
  const put = (key: string, v: unknown) => {
    const n = num(v);
    if (n !== undefined) out[`${key}_${name}_ms`] = n * scale;
  };
  put('mean', dist['mean']);
  put('median', dist['median'] ?? pct['p50']);
  put('std', dist['std_dev']);
  for (const p of ['p90', 'p95', 'p99']) put(p, pct[p]);
}

/** Where the benchmark's load is: `config.strategy` (0.4+), `args.strategy` / `scheduler.strategy` (earlier). */
function strategyOf(b: Json): Json | undefined {
  return obj(obj(b['config'])?.['strategy']) ?? obj(obj(b['args'])?.['strategy']) ?? obj(obj(b['scheduler'])?.['strategy']);
}

function setupOf(strategy: Json | undefined, notes: string[]): { setup: BenchmarkSetup; title: string } {
  const type = typeof strategy?.['type_'] === 'string' ? (strategy['type_'] as string) : 'unknown';
  const setup: BenchmarkSetup = {};
  const rate = num(strategy?.['rate']);
  const streams = num(strategy?.['streams']);
  if (type === 'synchronous') setup.maxConcurrency = 1;
  else if (type === 'concurrent' && streams !== undefined) setup.maxConcurrency = streams;
  else if (type === 'throughput') {
    setup.requestRate = 'inf';
    if (streams !== undefined) setup.maxConcurrency = streams;
  } else if ((type === 'constant' || type === 'poisson' || type === 'async') && rate !== undefined) setup.requestRate = rate;
  if (type === 'poisson') setup.burstiness = 1;
  notes.push(`GuideLLM strategy: ${type}${rate !== undefined ? ` at ${rate} req/s` : ''}${streams !== undefined ? ` with ${streams} streams` : ''}`);
  const load = setup.maxConcurrency !== undefined ? `concurrency ${String(setup.maxConcurrency)}` : setup.requestRate !== undefined ? `rate ${String(setup.requestRate)}` : type;
  return { setup, title: `GuideLLM ${type} (${load})` };
}

function durationOf(b: Json): number | undefined {
  const direct = num(b['duration']);
  if (direct !== undefined) return direct;
  const sm = obj(b['scheduler_metrics']) ?? obj(b['run_stats']);
  const start = num(sm?.['measure_start_time']) ?? num(b['start_time']) ?? num(sm?.['start_time']);
  const end = num(sm?.['measure_end_time']) ?? num(b['end_time']) ?? num(sm?.['end_time']);
  return start !== undefined && end !== undefined && end > start ? end - start : undefined;
}

export function parseGuidellmReport(report: unknown, fileName?: string): ParsedBenchmark[] {
  const r = obj(report)!;
  const meta = obj(r['metadata']);
  const version = typeof meta?.['guidellm_version'] === 'string' ? (meta['guidellm_version'] as string) : typeof meta?.['version'] === 'string' ? (meta['version'] as string) : undefined;
  const benchmarks = r['benchmarks'] as unknown[];
  return benchmarks.map((raw, index) => {
    const where = `${fileName ?? 'the input'} benchmark ${index + 1}`;
    const b = obj(raw)!;
    const m = obj(b['metrics'])!;
    const totals = obj(m['request_totals']) ?? {};
    const notes: string[] = [];
    const { setup, title } = setupOf(strategyOf(b), notes);
    const duration = durationOf(b);
    if (duration === undefined) throw new BenchmarkParseError(`${where}: no duration (neither "duration" nor a measure window); it cannot be imported`);
    const completed = num(totals['successful']);
    if (completed === undefined) throw new BenchmarkParseError(`${where}: "metrics.request_totals.successful" is missing`);
    const metrics: Record<string, number | null> = {
      duration,
      completed,
      failed: num(totals['errored']) ?? null,
      total_input_tokens: num(successful(m, 'prompt_token_count')?.['total_sum']) ?? null,
      total_output_tokens: num(successful(m, 'output_token_count')?.['total_sum']) ?? null,
      request_throughput: completed / duration,
    };
    if (metrics['total_input_tokens'] === null) throw new BenchmarkParseError(`${where}: "metrics.prompt_token_count.successful.total_sum" is missing`);
    const incomplete = num(totals['incomplete']);
    if (incomplete) notes.push(`${incomplete} requests were still running when GuideLLM's measurement window closed (incomplete); not counted as failed`);
    stats(metrics, successful(m, 'time_to_first_token_ms'), 'ttft');
    stats(metrics, successful(m, 'inter_token_latency_ms'), 'tpot');
    stats(metrics, successful(m, 'request_latency'), 'e2el', 1000);
    stats(metrics, successful(m, 'time_per_output_token_ms'), 'guidellm_tpot_incl_ttft');
    notes.push(
      'metric definitions: GuideLLM inter_token_latency_ms → vLLM TPOT (same per-request definition; GuideLLM weights its mean by tokens); ' +
        'GuideLLM time_per_output_token_ms includes the first token → stored as *_guidellm_tpot_incl_ttft_ms, not as TPOT; ' +
        'GuideLLM has no per-chunk ITL; request throughput = successful requests / measured duration',
    );
    return toParsed({ kind: 'guidellm-json', ...(fileName ? { file: fileName } : {}), tool: 'GuideLLM', ...(version ? { version } : {}), metrics, setup, notes, title }, where);
  });
}
