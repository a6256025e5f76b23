// AIPerf's profile_export_aiperf.json (and its CSV twin): one result per file, each metric an object
// {unit, avg, p1 … p99, min, max, std} keyed by AIPerf's tag. Definitions (research/bench-tools.md §4.5):
// AIPerf inter_token_latency = (request latency − TTFT) / (output tokens − 1) is vLLM's TPOT; AIPerf
// inter_chunk_latency is vLLM's ITL (per chunk).
import { BenchmarkParseError, type BenchmarkSetup, type ParsedBenchmark } from '../bench/parse';
import { toParsed } from './normalize';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** One AIPerf metric: its unit and statistics. */
type Metric = { unit: string; values: Record<string, number> };

/** AIPerf tag → vLLM metric name, for the per-request distributions. */
const LATENCY_TAGS: Record<string, string> = {
  time_to_first_token: 'ttft',
  inter_token_latency: 'tpot',
  inter_chunk_latency: 'itl',
  request_latency: 'e2el',
};

const TO_MS: Record<string, number> = { ms: 1, sec: 1000, s: 1000, us: 0.001, ns: 1e-6 };
const TO_S: Record<string, number> = { sec: 1, s: 1, ms: 0.001, ns: 1e-9 };

export function isAiperfJson(json: unknown): boolean {
  const r = obj(json);
  return !!r && (typeof r['aiperf_version'] === 'string' || (obj(r['time_to_first_token'])?.['unit'] !== undefined && obj(r['request_throughput'])?.['unit'] !== undefined));
}

/** The CSV export: a statistics table (Metric,avg,min,max,p99,…) and a Metric,Value table. */
export function isAiperfCsv(text: string): boolean {
  return /^Metric,/m.test(text) && /^(Request Throughput|Time to First Token|Request Latency)/im.test(text);
}

function fromJson(r: Json): Map<string, Metric> {
  const out = new Map<string, Metric>();
  for (const [tag, value] of Object.entries(r)) {
    const m = obj(value);
    if (!m || typeof m['unit'] !== 'string') continue;
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(m)) if (num(v) !== undefined) values[k] = v as number;
    out.set(tag, { unit: m['unit'] as string, values });
  }
  return out;
}

/** "Time to First Token (ms)" → tag time_to_first_token, unit ms. */
function tagOf(header: string): { tag: string; unit: string } | undefined {
  const m = /^(.*?)\s*\(([^)]*)\)\s*$/.exec(header.trim());
  if (!m) return undefined;
  const tag = m[1]!.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  const unit = m[2]!.trim().toLowerCase().replace(/^seconds?$/, 'sec').replace(/^requests\/s(ec)?$/, 'requests/sec');
  return { tag, unit };
}

/** One CSV line's cells; quoted cells may hold commas and doubled quotes. */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

function fromCsv(text: string, where: string): Map<string, Metric> {
  const out = new Map<string, Metric>();
  let columns: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = csvCells(line);
    if (cells[0] === 'Metric') {
      columns = cells.slice(1).map((c) => c.toLowerCase());
      return;
    }
    const head = tagOf(cells[0]!);
    if (!head) return;
    const values: Record<string, number> = {};
    cells.slice(1).forEach((cell, j) => {
      if (cell === '' || /^n\/a$/i.test(cell)) return;
      const n = Number(cell.replace(/,/g, '')); // "2,573.00": thousands separators in quoted cells
      if (!Number.isFinite(n)) throw new BenchmarkParseError(`${where}:${i + 1}: "${cells[0]}" ${columns[j] ?? ''} is "${cell}", expected a number`);
      values[columns[j] === 'value' ? 'avg' : columns[j] ?? `col${j}`] = n;
    });
    out.set(head.tag, { unit: head.unit, values });
  });
  return out;
}

function mapAiperf(metrics: Map<string, Metric>, where: string, notes: string[]): Record<string, number | null> {
  const scalar = (tag: string) => metrics.get(tag)?.values['avg'];
  const durationMetric = metrics.get('benchmark_duration');
  const duration = durationMetric && durationMetric.values['avg'] !== undefined ? durationMetric.values['avg'] * (TO_S[durationMetric.unit] ?? 1) : undefined;
  const completed = scalar('request_count');
  if (duration === undefined) throw new BenchmarkParseError(`${where}: AIPerf's "benchmark_duration" is missing; the result cannot be imported`);
  if (completed === undefined) throw new BenchmarkParseError(`${where}: AIPerf's "request_count" is missing; the result cannot be imported`);
  const isl = metrics.get('input_sequence_length')?.values['avg'];
  const out: Record<string, number | null> = {
    duration,
    completed,
    failed: scalar('error_request_count') ?? null,
    total_input_tokens: scalar('total_isl') ?? (isl !== undefined ? Math.round(isl * completed) : null),
    total_output_tokens: scalar('total_output_tokens') ?? scalar('total_osl') ?? null,
    request_throughput: scalar('request_throughput') ?? completed / duration,
    output_throughput: scalar('output_token_throughput') ?? null,
  };
  if (scalar('total_isl') === undefined && isl !== undefined) notes.push('total input tokens = mean input sequence length × requests (AIPerf has no total in this file)');
  for (const [tag, name] of Object.entries(LATENCY_TAGS)) {
    const metric = metrics.get(tag);
    if (!metric) continue;
    const scale = TO_MS[metric.unit];
    if (scale === undefined) throw new BenchmarkParseError(`${where}: "${tag}" is in "${metric.unit}", expected ms, sec, us or ns`);
    const put = (stat: string, key: string) => {
      const v = metric.values[stat];
      if (v !== undefined) out[`${key}_${name}_ms`] = v * scale;
    };
    put('avg', 'mean');
    put('p50', 'median');
    put('std', 'std');
    put('max', 'max');
    for (const p of ['p90', 'p95', 'p99']) put(p, p);
  }
  notes.push('metric definitions: AIPerf inter_token_latency → vLLM TPOT; AIPerf inter_chunk_latency → vLLM ITL (per chunk); AIPerf request_latency → E2EL');
  return out;
}

function setupOf(config: Json | undefined): BenchmarkSetup {
  const loadgen = obj(config?.['loadgen']) ?? {};
  const setup: BenchmarkSetup = {};
  const concurrency = num(loadgen['concurrency']);
  const rate = num(loadgen['request_rate']);
  if (concurrency !== undefined) setup.maxConcurrency = concurrency;
  if (rate !== undefined) setup.requestRate = rate;
  const model = obj(config?.['endpoint'])?.['model_names'];
  if (Array.isArray(model) && typeof model[0] === 'string') setup.model = model[0];
  return setup;
}

export function parseAiperfJson(json: unknown, fileName?: string): ParsedBenchmark[] {
  const r = obj(json)!;
  const where = fileName ?? 'the input';
  const notes: string[] = [];
  const metrics = mapAiperf(fromJson(r), where, notes);
  if (metrics['failed'] === null && Array.isArray(r['error_summary'])) {
    // The error summary lists every error kind with its count; empty means none failed.
    metrics['failed'] = (r['error_summary'] as unknown[]).reduce<number>((n, e) => n + (num(obj(e)?.['count']) ?? 0), 0);
  }
  if (metrics['failed'] === null) notes.push('AIPerf reports no error count in this file; failed requests are unknown (null)');
  const version = typeof r['aiperf_version'] === 'string' ? (r['aiperf_version'] as string) : undefined;
  if (r['was_cancelled'] === true) notes.push('AIPerf reports the run was cancelled before it finished');
  const setup = setupOf(obj(r['input_config']));
  return [toParsed({ kind: 'aiperf-json', ...(fileName ? { file: fileName } : {}), tool: 'AIPerf', ...(version ? { version } : {}), metrics, setup, notes }, where)];
}

export function parseAiperfCsv(text: string, fileName?: string): ParsedBenchmark[] {
  const where = fileName ?? 'the input';
  const notes = ['AIPerf CSV carries no version or load settings; the JSON export next to it has them'];
  const metrics = mapAiperf(fromCsv(text, where), where, notes);
  if (metrics['failed'] === null) notes.push('the CSV has no "Error Request Count" row; failed requests are unknown (null)');
  return [toParsed({ kind: 'aiperf-csv', ...(fileName ? { file: fileName } : {}), tool: 'AIPerf', metrics, setup: {}, notes }, where)];
}
