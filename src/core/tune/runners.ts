// The benchmark commands each runner runs on the host for a plan's workload (research/bench-tools.md §3, §4, §7):
// `vllm bench serve` (the reference's client), SGLang's `bench_serving`, and Serving Lab's own `bench`, which takes
// vLLM's flags. Pure argv builders: the host backend runs them through the transport.
import type { Objective, Workload } from '../plan/schema';

export interface BenchTarget {
  /** The model id the engine serves. */
  model: string;
  servedModelName?: string;
  port: number;
  /** ShareGPT file on the host, for workloads that name none. */
  sharegptPath?: string;
  /** Where the client writes its result file on the host. */
  resultDir: string;
  resultFile: string;
  /** Goodput SLOs from the plan's objective, in ms. */
  goodput?: NonNullable<Extract<Objective, object>['slo']>;
}

const num = (n: number) => String(n);

function sharegptPath(w: Workload, t: BenchTarget): string {
  const d = w.dataset;
  const path = d.kind === 'sharegpt' || d.kind === 'replay' ? (d.path ?? t.sharegptPath) : undefined;
  if (!path) throw new Error(`workload "${w.name}" needs a dataset file on the host`);
  return path;
}

function goodputArgs(t: BenchTarget): string[] {
  const g = t.goodput;
  if (!g) return [];
  const items = [g.ttftMs !== undefined ? `ttft:${g.ttftMs}` : '', g.tpotMs !== undefined ? `tpot:${g.tpotMs}` : '', g.e2elMs !== undefined ? `e2el:${g.e2elMs}` : ''].filter(Boolean);
  return items.length > 0 ? ['--goodput', ...items] : [];
}

/** The flags `vllm bench serve` and `serving-lab bench` share, for one workload. */
export function vllmStyleBenchArgs(w: Workload, t: BenchTarget): string[] {
  const args = ['--backend', w.backend, '--base-url', `http://127.0.0.1:${t.port}`, '--endpoint', w.endpoint, '--model', t.model];
  if (t.servedModelName) args.push('--served-model-name', t.servedModelName);
  const d = w.dataset;
  if (d.kind === 'random') {
    args.push('--dataset-name', 'random', '--random-input-len', num(d.inputLen), '--random-output-len', num(d.outputLen), '--random-range-ratio', num(d.rangeRatio));
    if (d.prefixLen > 0) args.push('--random-prefix-len', num(d.prefixLen));
  } else {
    args.push('--dataset-name', d.kind, '--dataset-path', sharegptPath(w, t));
  }
  args.push('--num-prompts', num(w.numPrompts), '--request-rate', w.requestRate === 'inf' ? 'inf' : num(w.requestRate), '--burstiness', num(w.burstiness), '--seed', num(w.seed));
  if (w.maxConcurrency !== undefined) args.push('--max-concurrency', num(w.maxConcurrency));
  if (w.ignoreEos) args.push('--ignore-eos');
  if (w.numWarmups > 0) args.push('--num-warmups', num(w.numWarmups));
  args.push('--percentile-metrics', 'ttft,tpot,itl,e2el', '--metric-percentiles', '99');
  args.push(...goodputArgs(t));
  args.push('--save-result', '--save-detailed', '--result-dir', t.resultDir, '--result-filename', t.resultFile);
  return args;
}

export function vllmBenchArgv(w: Workload, t: BenchTarget, vllmCommand = 'vllm'): string[] {
  return [vllmCommand, 'bench', 'serve', ...vllmStyleBenchArgs(w, t)];
}

/** `serving-lab bench` on the host with the uploaded bundle; `--events -` streams one JSON line per request. */
export function nativeBenchArgv(w: Workload, t: BenchTarget, nodeAndCli: readonly string[]): string[] {
  return [...nodeAndCli, 'bench', ...vllmStyleBenchArgs(w, t), '--events', '-'];
}

/**
 * SGLang's client. Its random range ratio means [L·r, L] (vLLM's: [L·(1−r), L·(1+r)]), so vLLM's fixed lengths
 * (r = 0) are SGLang's r = 1; other ratios are mapped to the same lower bound and noted.
 */
export function sglangBenchArgv(w: Workload, t: BenchTarget, python = 'python3'): { argv: string[]; notes: string[] } {
  const notes: string[] = [];
  const backend = w.backend === 'openai-chat' ? 'sglang-oai-chat' : 'sglang-oai';
  const args = [python, '-m', 'sglang.bench_serving', '--backend', backend, '--base-url', `http://127.0.0.1:${t.port}`, '--model', t.servedModelName ?? t.model];
  const d = w.dataset;
  if (d.kind === 'random') {
    args.push('--dataset-name', 'random', '--random-input-len', num(d.inputLen), '--random-output-len', num(d.outputLen), '--random-range-ratio', num(1 - d.rangeRatio));
    if (d.rangeRatio > 0) notes.push(`SGLang's random lengths span [L·${num(1 - d.rangeRatio)}, L], not vLLM's [L·(1−${d.rangeRatio}), L·(1+${d.rangeRatio})]`);
    if (d.prefixLen > 0) notes.push('SGLang bench_serving has no shared-prefix option for random prompts; prefixLen was not applied');
  } else {
    args.push('--dataset-name', 'sharegpt', '--dataset-path', sharegptPath(w, t));
  }
  args.push('--num-prompts', num(w.numPrompts), '--request-rate', w.requestRate === 'inf' ? 'inf' : num(w.requestRate), '--seed', num(w.seed));
  if (w.maxConcurrency !== undefined) args.push('--max-concurrency', num(w.maxConcurrency));
  if (w.numWarmups > 0) args.push('--warmup-requests', num(w.numWarmups));
  args.push('--output-file', `${t.resultDir}/${t.resultFile}`, '--output-details');
  return { argv: args, notes };
}
