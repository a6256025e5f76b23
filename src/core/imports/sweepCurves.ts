// A `vllm bench sweep serve` directory as load curves (issue 13): one curve per serve configuration over the swept
// request rates or concurrencies, stored as an experiment in the same shape `tune` gives a load sweep — so `results
// show`, `results pareto`, the report and the dashboard treat it like a measured sweep. The directory does not hold
// the base `--serve-cmd`: each variant's command is rebuilt from the serve parameters (on `--serve-cmd` when given).
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { toBenchmarkResult } from '../bench/parse';
import { BenchmarkResult, TuningPlan, type BenchmarkMetrics, type CapacitySlo, type CurveRecord, type EngineVariant, type Experiment, type LoadAxis, type OptionRecord } from '../plan/schema';
import { shellJoin } from '../shell/quote';
import { splitShellWords } from '../shell/words';
import { capacityOfSweep, sloVerdict } from '../tune/capacity';
import { curvePointMetrics, finishCurve, variantGpus } from '../tune/curve';
import type { SweepPoint } from './sweep';

export interface SweepCurvesOptions {
  /** The sweep's base serve command (`--serve-cmd`), when the user knows it; else `vllm serve MODEL`. */
  serveCommand?: string;
  /** Marks each point against these limits and reads each curve's capacity off it. */
  slo?: CapacitySlo;
  parseCommand(command: string): EngineVariant;
  now?: Date;
}

export interface SweepCurves {
  experiment: Experiment;
  /** The points' results, each placed on its curve (experiment, option, load). */
  results: BenchmarkResult[];
  /** Runs the store's schema refused, each naming the run file and the field; the other runs still go through. */
  problems: string[];
}

const STAGE = 'vllm bench sweep';
const BASELINE = 'Baseline';

/** The serve parameters as the flags `vllm bench sweep` adds to the base command ("max_num_seqs" → --max-num-seqs 64). */
export function serveFlags(params: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(params).flatMap(([key, value]) => {
    const flag = `--${key.replace(/_/g, '-')}`;
    if (value === true) return [flag];
    if (value === false || value === null || value === undefined) return [];
    return [flag, typeof value === 'object' ? JSON.stringify(value) : String(value)];
  });
}

/** Which bench parameter the sweep varies: the request rate, else the concurrency (by how many values each takes). */
function axisOf(points: readonly SweepPoint[]): LoadAxis {
  const distinct = (pick: (p: SweepPoint) => unknown) => new Set(points.map(pick)).size;
  return distinct((p) => p.parsed.setup.requestRate) > 1 || distinct((p) => p.parsed.setup.maxConcurrency) <= 1 ? 'request_rate' : 'concurrency';
}

function loadOf(p: SweepPoint, by: LoadAxis): number | 'inf' | undefined {
  const v = by === 'request_rate' ? p.parsed.setup.requestRate : p.parsed.setup.maxConcurrency;
  return typeof v === 'number' && v > 0 ? v : v === 'inf' || v === null ? 'inf' : undefined;
}

/** The run's bench parameters other than the load axis ("random_input_len=1024, random_output_len=128"), if any. */
function otherBenchParams(p: SweepPoint, by: LoadAxis): string {
  const load = by === 'request_rate' ? 'request_rate' : 'max_concurrency';
  return Object.entries(p.benchParams)
    .filter(([key]) => key !== load)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
}

interface CurveSetting {
  stage: string;
  option: string;
  workload: string;
  by: LoadAxis;
  gpus: number;
  command: string;
  slo: CapacitySlo | undefined;
}

/** One curve from the runs of one serve configuration on one workload, in load order; each run kept as a result. */
function sweepCurve(runs: readonly SweepPoint[], at: CurveSetting, results: BenchmarkResult[], keep: (r: BenchmarkResult, where: string) => BenchmarkResult | undefined): CurveRecord {
  const { stage, option, workload, by, gpus, command, slo } = at;
  // In load order: the directory's names sort "max_concurrency=32" before "=8", and it does not record run order.
  const order = (p: SweepPoint) => {
    const v = loadOf(p, by);
    return v === undefined ? -1 : v === 'inf' ? Infinity : v;
  };
  const curve: CurveRecord = { stage, option, workload, mode: 'sweep', by, ...(slo ? { slo } : {}), gpus, points: [] };
  for (const p of [...runs].sort((a, b) => order(a) - order(b))) {
    const value = loadOf(p, by);
    if (value === undefined) continue;
    const sent = p.parsed.metrics.completed + (p.parsed.metrics.failed ?? 0);
    const success = sent === 0 ? 0 : p.parsed.metrics.completed / sent;
    const verdict = slo ? sloVerdict(p.parsed.metrics, success, slo) : undefined;
    const index = curve.points.length;
    const stored = keep({
      ...toBenchmarkResult(p.parsed),
      commands: { serve: command },
      stage,
      option,
      load: { mode: 'sweep', by, value, index, gpus, ...(slo ? { slo } : {}), success, ...(verdict ? { meetsSlo: verdict.meets } : {}), breaks: verdict?.breaks ?? [] },
    }, p.parsed.source.file ?? option);
    if (!stored) continue;
    results.push(stored);
    curve.points.push({ value, index, resultId: stored.id, role: 'sweep', ...(verdict ? { meetsSlo: verdict.meets } : {}), breaks: verdict?.breaks ?? [], metrics: curvePointMetrics(p.parsed.metrics, success) });
  }
  if (slo) finishCurve(curve, capacityOfSweep(curve.points.flatMap((p) => (p.value === 'inf' ? [] : [{ value: p.value, meets: p.meetsSlo === true }]))));
  return curve;
}

/** The experiment and results of a parsed sweep directory. */
export function sweepCurves(dir: string, points: readonly SweepPoint[], options: SweepCurvesOptions): SweepCurves {
  const by = axisOf(points);
  const model = points.find((p) => p.parsed.setup.model)?.parsed.setup.model ?? 'unknown-model';
  const base = options.serveCommand ? splitShellWords(options.serveCommand) : ['vllm', 'serve', model];
  const configs = [...new Set(points.map((p) => p.serve))];
  const records: OptionRecord[] = [];
  const curves: CurveRecord[] = [];
  const results: BenchmarkResult[] = [];
  const problems: string[] = [];
  const keep = (result: BenchmarkResult, where: string): BenchmarkResult | undefined => {
    const checked = BenchmarkResult.safeParse(result);
    if (checked.success) return checked.data;
    const issue = checked.error.issues[0]!;
    problems.push(`${where}: ${issue.path.join('.') || '(result)'}: ${issue.message}; not imported`);
    return undefined;
  };
  const sweepName = `${basename(dir)} (vllm bench sweep)`;
  /** Each workload's first run: its mean lengths stand for the dataset, which vLLM's result JSON does not record. */
  const firstRun = new Map<string, BenchmarkMetrics>();
  for (const [i, serve] of configs.entries()) {
    const mine = points.filter((p) => p.serve === serve);
    const command = shellJoin([...base, ...serveFlags(mine[0]!.serveParams)]);
    const variant = options.parseCommand(command);
    const stage = i === 0 ? BASELINE : STAGE;
    const gpus = variantGpus(variant.parallel);
    // Bench parameters swept besides the load (input lengths, a second load knob) are different workloads: one curve each.
    const workloads = new Map<string, SweepPoint[]>();
    for (const p of mine) {
      const others = otherBenchParams(p, by);
      const name = others ? `${sweepName} · ${others}` : sweepName;
      workloads.set(name, [...(workloads.get(name) ?? []), p]);
      if (!firstRun.has(name)) firstRun.set(name, p.parsed.metrics);
    }
    const mineCurves = [...workloads].map(([workload, runs]) => {
      const curve = sweepCurve(runs, { stage, option: serve, workload, by, gpus, command, slo: options.slo }, results, keep);
      curves.push(curve);
      return curve;
    });
    const ids = mineCurves.flatMap((c) => c.points.map((p) => p.resultId!));
    const best = Math.max(0, ...mineCurves.flatMap((c) => c.points.map((p) => p.metrics['total_token_throughput'] ?? 0)));
    records.push({ name: serve, variant, command, incumbent: false, ...(ids.length > 0 ? { outcome: { kind: 'measured', resultIds: ids, objective: { metric: 'total_token_throughput', mean: best, n: 1 } } } : { outcome: { kind: 'skipped', why: 'no run of this configuration was imported' } }) });
  }
  const id = `x-sweep-${createHash('sha256').update(results.map((r) => r.id).join('\0')).digest('hex').slice(0, 12)}`;
  const loads = [...new Set(curves.flatMap((c) => c.points.map((p) => p.value)))].sort((a, b) => (a === 'inf' ? Infinity : a) - (b === 'inf' ? Infinity : b));
  const workloadSpec = ([name, m]: [string, BenchmarkMetrics]) => {
    const meanLen = (total: number) => Math.max(1, Math.round(total / Math.max(1, m.completed)));
    return { name, dataset: { kind: 'random' as const, inputLen: meanLen(m.total_input_tokens), outputLen: meanLen(m.total_output_tokens) }, numPrompts: Math.max(1, m.completed) };
  };
  const [primary, ...others] = [...firstRun].map(workloadSpec);
  const plan = TuningPlan.parse({
    name: `vllm bench sweep ${basename(dir)}`,
    description: `Imported from ${dir}: one curve per serve configuration.`,
    host: 'imported',
    model,
    baseline: { command: records[0]!.command },
    stages: records.length > 1 ? [{ name: STAGE, kind: 'other', options: records.slice(1).map((r) => ({ name: r.name, command: r.command })) }] : [],
    workloads: { primary: primary!, generalization: others },
    load: { sweep: { ...(by === 'request_rate' ? { request_rates: loads } : { concurrencies: loads.filter((l): l is number => l !== 'inf') }), ...(options.slo ? { slo: options.slo } : {}) } },
    runner: 'vllm-bench',
  });
  const at = (options.now ?? new Date()).toISOString();
  const experiment: Experiment = {
    schemaVersion: 1,
    id,
    plan,
    host: { name: 'imported', gpus: [], engineVersions: {}, simulated: false },
    status: 'completed',
    startedAt: at,
    endedAt: at,
    baseline: records[0]!,
    stages: records.length > 1 ? [{ name: STAGE, kind: 'other', options: records.slice(1) }] : [],
    generalization: [],
    curves,
    engineRunIds: [],
    notes: [
      `imported from the \`vllm bench sweep serve\` directory ${dir}`,
      options.serveCommand ? `serve commands: the given base command with each configuration's parameters` : 'the directory does not record the base --serve-cmd: each command is `vllm serve MODEL` with the configuration\'s parameters, and GPUs per variant come from those parameters (import with --serve-cmd to give the base command)',
      `the workload's dataset is not in vLLM's result JSON: it records the first run's mean input and output lengths`,
      ...(others.length > 0 ? [`the sweep varied bench parameters besides the load: each combination is its own workload and curve (${[primary!, ...others].map((w) => w.name).join('; ')})`] : []),
    ],
  };
  for (const r of results) r.experimentId = id;
  return { experiment, results, problems };
}

