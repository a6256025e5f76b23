// `--save-result` JSON with `vllm bench serve`'s keys in its order (research/bench-tools.md §3.2), plus a
// `serving_lab` provenance object. Latency statistics in ms; per-request arrays in seconds.
import type { BenchmarkOptions, BenchmarkRun } from './client';

/** Python's str(float): 10 → "10.0", 2.5 → "2.5", Infinity → "inf". */
export function pythonFloat(x: number): string {
  if (x === Infinity) return 'inf';
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** Local time as vLLM stamps results: YYYYMMDD-HHMMSS. */
function resultDate(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** vLLM's default file name: {label or backend}-{rate}qps[-concurrency{N}]-{model basename}-{date}.json */
export function defaultResultFileName(options: Pick<BenchmarkOptions, 'backend' | 'requestRate' | 'maxConcurrency'>, model: string, date: Date, label?: string): string {
  const concurrency = options.maxConcurrency !== undefined ? `-concurrency${options.maxConcurrency}` : '';
  const base = model.split('/').pop() ?? model;
  return `${label ?? options.backend}-${pythonFloat(options.requestRate)}qps${concurrency}-${base}-${resultDate(date)}.json`;
}

/** Parses `--metadata k=v …` (values stay strings, as vLLM keeps them). */
export function parseMetadata(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`invalid --metadata "${item}"; expected KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export interface SaveResultOptions {
  date: Date;
  label?: string;
  metadata: Record<string, string>;
  detailed: boolean;
}

export function buildSaveResult(run: BenchmarkRun, options: BenchmarkOptions, save: SaveResultOptions): Record<string, unknown> {
  const m = run.metrics;
  const result: Record<string, unknown> = {
    date: resultDate(save.date),
    endpoint_type: options.backend,
    backend: options.backend,
    label: save.label ?? null,
    model_id: run.model,
    tokenizer_id: run.model,
    num_prompts: options.numPrompts,
    ...save.metadata,
    request_rate: Number.isFinite(options.requestRate) ? options.requestRate : 'inf',
    burstiness: options.burstiness,
    max_concurrency: options.maxConcurrency ?? null,
    duration: m.duration,
    completed: m.completed,
    failed: m.failed,
    total_input_tokens: m.total_input_tokens,
    total_output_tokens: m.total_output_tokens,
    request_throughput: m.request_throughput,
    request_goodput: m.request_goodput ?? null,
    output_throughput: m.output_throughput,
    total_token_throughput: m.total_token_throughput,
  };
  if (save.detailed) {
    result['input_lens'] = run.outputs.map((o) => o.promptLen);
    result['output_lens'] = run.outputs.map((o) => o.outputLen);
    result['ttfts'] = run.outputs.map((o) => o.ttft);
    result['itls'] = run.outputs.map((o) => o.itl);
    result['start_times'] = run.outputs.map((o) => o.startTime);
    result['generated_texts'] = run.outputs.map((o) => o.generatedText ?? '');
    result['errors'] = run.outputs.map((o) => o.error ?? '');
  }
  result['latencies'] = run.outputs.map((o) => o.latency);
  result['queue_times'] = run.queueTimes;
  result['max_output_tokens_per_s'] = m.max_output_tokens_per_s ?? 0;
  result['max_concurrent_requests'] = m.max_concurrent_requests ?? 0;
  result['rtfx'] = 0;
  for (const [key, value] of Object.entries(m)) if (/^(mean|median|std|p[\d.]+)_[a-z0-9]+_ms$/.test(key)) result[key] = value;
  result['serving_lab'] = run.provenance;
  return result;
}
