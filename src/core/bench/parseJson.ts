// vLLM --save-result JSON (one object, or --append-result lines) and SGLang bench_serving JSONL of every version
// (research/bench-tools.md §3.4).
import { formatResultBlock } from './format';
import { PERCENTILE_METRICS } from './metrics';
import { BenchmarkParseError, completeThroughputs, CORE_ORDER, EXPECTED, orderMetrics, type BenchmarkSetup, type ParsedBenchmark } from './parsed';

export function parseJsonRecords(text: string, fileName?: string): ParsedBenchmark[] {
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
