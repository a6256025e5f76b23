// The findings page (design doc §9): the reference's structure and admonitions, written from an Experiment and its
// stored BenchmarkResults only, so the CLI and the extension write the same bytes and a page can be regenerated.
import { formatResultBlock, pyFixed2 } from '../bench/format';
import { PERCENTILE_METRICS } from '../bench/metrics';
import { resolveWorkload } from '../plan/presets';
import { DEFAULT_NOISE_PCT, objectiveMetric } from '../tune/search';
import {
  ENGINES,
  planStrategy,
  type BenchmarkResult,
  type Crash,
  type EngineName,
  type Experiment,
  type ObjectiveMetric,
  type ObjectiveSummary,
  type OptionRecord,
  type StageRecord,
  type Workload,
} from '../plan/schema';
import { capacitySection, type ReportAsset } from './capacity';
import { searchSection } from './search';
import { renderThroughputChart } from './chart';
import { admonition, codeFence, highlight, plainText, relativeChangePct, signedPercent, table, wrapCommand } from './markdown';
import { placeLabel, showsPlaces } from './place';

export interface ReportInput {
  experiment: Experiment;
  /** Every result the experiment refers to, by id. */
  results: ReadonlyMap<string, BenchmarkResult>;
  /** Where the page links the chart, relative to the page (forward slashes). */
  chartPath: string;
  /** Replaces the generated title ("Optimizing MODEL Throughput on GPU GPUs"). */
  title?: string;
}

export interface RenderedReport {
  markdown: string;
  chartSvg: string;
  /** More charts (the capacity section's), written next to the main chart. */
  assets: ReportAsset[];
}

/** The experiment cannot be written up as stored; the message says what is missing and what to do. */
export class ReportError extends Error {}

const ENGINE_LABELS: Record<EngineName, string> = { vllm: 'vLLM', sglang: 'SGLang', trtllm: 'TensorRT-LLM' };

const OBJECTIVES: Record<ObjectiveMetric, { name: string; unit: string; title: string }> = {
  total_token_throughput: { name: 'total token throughput', unit: 'tok/s', title: 'Throughput' },
  output_throughput: { name: 'output token throughput', unit: 'tok/s', title: 'Throughput' },
  request_throughput: { name: 'request throughput', unit: 'req/s', title: 'Throughput' },
  total_token_throughput_per_gpu: { name: 'total token throughput per GPU', unit: 'tok/s/GPU', title: 'Throughput per GPU' },
  output_throughput_per_gpu: { name: 'output token throughput per GPU', unit: 'tok/s/GPU', title: 'Throughput per GPU' },
  goodput: { name: 'goodput', unit: 'req/s', title: 'Goodput' },
  goodput_per_gpu: { name: 'goodput per GPU', unit: 'req/s/GPU', title: 'Goodput per GPU' },
  slo_capacity: { name: 'capacity under the SLO', unit: 'req/s', title: 'Capacity under SLO' },
  slo_capacity_per_gpu: { name: 'capacity under the SLO per GPU', unit: 'req/s/GPU', title: 'Capacity under SLO per GPU' },
};

const CRASH_LABELS: Record<Crash['reason'], string | undefined> = {
  oom: 'out of GPU memory',
  'fp8-unsupported': 'FP8 not supported on this GPU',
  'pp-unsupported': 'pipeline parallelism not supported',
  'parallel-layout': 'more GPUs than the host has',
  'backend-unsupported': 'attention backend not supported',
  'port-in-use': 'port already in use',
  nccl: 'NCCL error',
  'model-not-found': 'model not found',
  'kv-cache-too-small': 'KV cache too small',
  'bad-arguments': 'rejected its arguments',
  'readiness-timeout': 'not ready in time',
  'place-lost': 'its host or job went away',
  unknown: undefined,
};

const RUNNER_TEXT: Record<BenchmarkResult['runner'], string> = {
  'vllm-bench': 'the **vLLM bench CLI** (`vllm bench serve`)',
  'sglang-bench': "SGLang's **bench_serving** (`python3 -m sglang.bench_serving`)",
  native: "Serving Lab's **native load generator** (vLLM's metric definitions)",
  imported: 'an external benchmark client (results imported into Serving Lab)',
};

interface Incumbent {
  name: string;
  objective: ObjectiveSummary | undefined;
  resultIds: string[];
}

interface StageView {
  stage: StageRecord;
  before: Incumbent;
  after: Incumbent;
  /** Set when the stage's winner replaced the incumbent. */
  gainPct: number | undefined;
}

interface ComparisonRow {
  workload: string;
  baselineIds: string[];
  optimizedIds: string[];
}

function measuredSummary(option: OptionRecord): { resultIds: string[]; objective: ObjectiveSummary } | undefined {
  return option.outcome?.kind === 'measured' ? option.outcome : undefined;
}

/** Walks the staged search: the incumbent before and after each stage, and the gain when a winner took over. */
function walkStages(experiment: Experiment): { views: StageView[]; final: Incumbent } {
  const baseline = measuredSummary(experiment.baseline);
  let incumbent: Incumbent = { name: experiment.baseline.name, objective: baseline?.objective, resultIds: baseline?.resultIds ?? [] };
  const views: StageView[] = [];
  for (const stage of experiment.stages) {
    const before = incumbent;
    const winner = stage.decision ? stage.options.find((o) => o.name === stage.decision!.winner && !o.incumbent) : undefined;
    const winnerSummary = winner ? measuredSummary(winner) : undefined;
    let gainPct: number | undefined;
    if (winner && winnerSummary) {
      gainPct = before.objective ? relativeChangePct(before.objective.mean, winnerSummary.objective.mean) : undefined;
      incumbent = { name: winner.name, objective: winnerSummary.objective, resultIds: winnerSummary.resultIds };
    }
    views.push({ stage, before, after: incumbent, gainPct });
  }
  return { views, final: incumbent };
}

/** "NVIDIA A100-SXM4-80GB" → "NVIDIA A100"; names without a recognisable model number stay whole. */
function gpuFamily(name: string): string {
  return /^((?:NVIDIA )?[A-Z]{1,2}\d{2,4}[A-Z]?)(?=[\s-]|$)/.exec(name)?.[1] ?? name;
}

function modelShortName(model: string): string {
  return model.split('/').pop() ?? model;
}

/** Leading characters that would turn a one-line paragraph into a heading, list or quote. */
function paragraph(text: string): string {
  return text.replace(/^[#>+*=-]/, '\\$&').replace(/^(\d+)([.)])/, '$1\\$2');
}

export function renderReport(input: ReportInput): RenderedReport {
  return new ReportWriter(input).render();
}

class ReportWriter {
  private readonly experiment: Experiment;
  private readonly objective: { metric: ObjectiveMetric; slo?: { ttftMs?: number; tpotMs?: number; e2elMs?: number } | undefined };
  private readonly walk: { views: StageView[]; final: Incumbent };
  private readonly shownResults = new Set<string>();
  private showPlacesMemo: boolean | undefined;

  constructor(private readonly input: ReportInput) {
    this.experiment = input.experiment;
    const planObjective = this.experiment.plan.objective;
    this.objective = { metric: objectiveMetric(this.experiment.plan), slo: typeof planObjective === 'string' ? undefined : planObjective.slo };
    this.walk = walkStages(this.experiment);
  }

  private result(id: string): BenchmarkResult {
    const found = this.input.results.get(id);
    if (!found) {
      throw new ReportError(
        `experiment "${this.experiment.id}" refers to result "${id}", which is not in the results store; restore the result file or rerun the experiment`,
      );
    }
    return found;
  }

  /** Whether results say where they were measured: the experiment ran on more than one host or node, or shared GPUs. */
  private get showPlaces(): boolean {
    this.showPlacesMemo ??= showsPlaces(this.referencedResults());
    return this.showPlacesMemo;
  }

  /** "gpu1, gpu3" for results measured there, when places are shown; else undefined. */
  private placesOf(ids: readonly string[]): string | undefined {
    if (!this.showPlaces) return undefined;
    const labels = [...new Set(ids.map((id) => this.result(id).place).filter((p) => p !== undefined).map(placeLabel))];
    return labels.length > 0 ? labels.join(', ') : undefined;
  }

  /** Mean of a metric over results (repeats), or undefined when a result lacks it. */
  private metricMean(ids: readonly string[], key: string): number | undefined {
    if (ids.length === 0) return undefined;
    const values = ids.map((id) => this.result(id).metrics[key]);
    if (values.some((v) => typeof v !== 'number')) return undefined;
    return (values as number[]).reduce((a, b) => a + b, 0) / values.length;
  }

  private statusText(): string {
    const texts: Record<Experiment['status'], string> = { running: 'is still running', completed: 'completed', interrupted: 'was interrupted', failed: 'failed' };
    return texts[this.experiment.status];
  }

  private get unit(): string {
    return OBJECTIVES[this.objective.metric].unit;
  }

  private objectiveValue(summary: ObjectiveSummary): string {
    if (summary.n > 1 && summary.stdev !== undefined) return `${pyFixed2(summary.mean)} ± ${pyFixed2(summary.stdev)} ${this.unit}, n=${summary.n}`;
    return `${pyFixed2(summary.mean)} ${this.unit}`;
  }

  private primaryWorkload(): Workload {
    const baselineIds = measuredSummary(this.experiment.baseline)?.resultIds ?? [];
    const stored = baselineIds.map((id) => this.input.results.get(id)?.workload).find((w) => w !== undefined);
    return stored ?? resolveWorkload(this.experiment.plan.workloads.primary);
  }

  /** The tuner names the baseline "Baseline"; the table says what it ran. */
  private baselineName(): string {
    const name = this.experiment.baseline.name;
    return name.toLowerCase() === 'baseline' ? ENGINE_LABELS[this.experiment.baseline.variant.engine] : name;
  }

  private optimizedName(): string {
    const winners = this.walk.views.filter((v) => v.after !== v.before).map((v) => v.after.name);
    return winners.length > 0 ? winners.join(', ') : this.baselineName();
  }

  private comparisonRows(): ComparisonRow[] {
    const rows: ComparisonRow[] = [];
    const primary = this.primaryWorkload().name;
    const baselineIds = measuredSummary(this.experiment.baseline)?.resultIds ?? [];
    const generalization = this.experiment.generalization;
    if (baselineIds.length > 0 && this.walk.final.resultIds.length > 0 && !generalization.some((g) => g.workload.name === primary)) {
      rows.push({ workload: primary, baselineIds, optimizedIds: this.walk.final.resultIds });
    }
    for (const g of generalization) {
      if (g.baselineResultIds.length > 0 && g.recommendedResultIds.length > 0) {
        rows.push({ workload: g.workload.name, baselineIds: g.baselineResultIds, optimizedIds: g.recommendedResultIds });
      }
    }
    return rows;
  }

  private gpuSummary(): string | undefined {
    const gpus = this.experiment.host.gpus;
    if (gpus.length === 0) return undefined;
    const groups = new Map<string, { count: number; mib: number }>();
    for (const gpu of gpus) {
      const g = groups.get(gpu.name) ?? { count: 0, mib: gpu.memoryTotalMiB };
      g.count += 1;
      groups.set(gpu.name, g);
    }
    return [...groups].map(([name, g]) => `${g.count} × ${plainText(name)} GPUs (${formatGiB(g.mib)} each)`).join(' + ');
  }

  private enginesUsed(): EngineName[] {
    const used = new Set<EngineName>([this.experiment.baseline.variant.engine]);
    for (const stage of this.experiment.stages) for (const o of stage.options) used.add(o.variant.engine);
    if (this.experiment.recommendation) used.add(this.experiment.recommendation.variant.engine);
    return ENGINES.filter((e) => used.has(e));
  }

  private engineVersion(engine: EngineName): string | undefined {
    const detected = this.experiment.host.engineVersions[engine];
    if (detected) return detected;
    for (const r of this.input.results.values()) if (r.variant?.engine === engine && r.engineVersion) return r.engineVersion;
    return undefined;
  }

  render(): RenderedReport {
    const rows = this.comparisonRows();
    // Files next to the chart are linked the way the chart is.
    const link = (fileName: string) => this.input.chartPath.replace(/[^/]*$/, '') + fileName;
    const capacity = capacitySection(this.experiment, link);
    const search = searchSection(this.experiment, link);
    const sections = [
      `# ${this.title()}`,
      this.conclusion(rows),
      ...(capacity ? [capacity.markdown] : []),
      ...(search ? [search.markdown] : []),
      this.objectiveSection(),
      this.setup(),
      this.experimentResults(),
    ];
    const markdown = `${sections.join('\n\n')}\n`;
    const chartSvg = renderThroughputChart({
      title: 'Total token throughput (tok/s): baseline vs optimized',
      baselineLabel: `Baseline (${this.baselineName()})`,
      optimizedLabel: `Optimized (${this.optimizedName()})`,
      groups: rows.map((row) => ({
        label: row.workload,
        baseline: this.metricMean(row.baselineIds, 'total_token_throughput') ?? 0,
        optimized: this.metricMean(row.optimizedIds, 'total_token_throughput') ?? 0,
      })),
    });
    return { markdown, chartSvg, assets: [...(capacity?.assets ?? []), ...(search?.assets ?? [])] };
  }

  private title(): string {
    if (this.input.title) return plainText(this.input.title);
    const gpu = this.experiment.host.gpus[0];
    const on = gpu ? ` on ${plainText(gpuFamily(gpu.name))} GPUs` : '';
    return `Optimizing ${plainText(modelShortName(this.experiment.plan.model))} ${OBJECTIVES[this.objective.metric].title}${on}`;
  }

  // ------------------------------------------------------------ Conclusion

  private conclusion(rows: ComparisonRow[]): string {
    const parts = ['## Conclusion'];
    if (rows.length > 0) parts.push(`![Total token throughput per workload, baseline vs optimized](${this.input.chartPath})`);
    const recommendation = this.experiment.recommendation;
    const gpu = this.experiment.host.gpus[0];
    if (recommendation) {
      parts.push(
        `Recommended configuration for optimizing ${OBJECTIVES[this.objective.metric].title.toLowerCase()} of ${plainText(modelShortName(this.experiment.plan.model))}${gpu ? ` on ${plainText(gpuFamily(gpu.name))} GPUs` : ''}:`,
        admonition('???+', 'tip', 'Serving Command', codeFence('bash', wrapCommand(recommendation.command))),
      );
    } else {
      parts.push(`No configuration was recommended: the experiment ${this.statusText()}${this.experiment.error ? ` (${plainText(this.experiment.error)})` : ''}.`);
    }
    if (rows.length > 0) {
      parts.push('Comparison of benchmark results before and after optimization:', this.comparisonTable(rows));
    }
    parts.push(admonition('!!!', 'note', undefined, this.caveats(rows).map((c, i) => `${i + 1}. ${c}`).join('\n')));
    return parts.join('\n\n');
  }

  private comparisonTable(rows: ComparisonRow[]): string {
    const cells = rows.map((row) => {
      const baseTps = this.metricMean(row.baselineIds, 'total_token_throughput');
      const optTps = this.metricMean(row.optimizedIds, 'total_token_throughput');
      const baseTpot = this.metricMean(row.baselineIds, 'mean_tpot_ms');
      const optTpot = this.metricMean(row.optimizedIds, 'mean_tpot_ms');
      const value = (v: number | undefined) => (v === undefined ? 'n/a' : pyFixed2(v));
      const change = (from: number | undefined, to: number | undefined, higherIsBetter: boolean) => {
        if (from === undefined || to === undefined) return '';
        const pct = relativeChangePct(from, to);
        const worse = higherIsBetter ? to < from : to > from;
        return ` ${highlight(`(${signedPercent(pct)}${worse ? ', regression' : ''})`, worse ? 'worse' : 'better')}`;
      };
      const measuredOn = (ids: readonly string[]) => {
        const places = this.placesOf(ids);
        return places ? `<br>Measured on: ${plainText(places)}` : '';
      };
      return [
        `**${plainText(row.workload)}**`,
        `Total TPS: ${value(baseTps)}<br>Mean TPOT(ms): ${value(baseTpot)}${measuredOn(row.baselineIds)}`,
        `Total TPS: ${value(optTps)}${change(baseTps, optTps, true)}<br>Mean TPOT(ms): ${value(optTpot)}${change(baseTpot, optTpot, false)}${measuredOn(row.optimizedIds)}`,
      ];
    });
    return table(['Benchmark Case', `Baseline (${plainText(this.baselineName())})`, `Optimized (${plainText(this.optimizedName())})`], cells);
  }

  private caveats(rows: ComparisonRow[]): string[] {
    const primary = plainText(this.primaryWorkload().name);
    const strategy = planStrategy(this.experiment.plan);
    const staged = strategy === 'staged';
    const notes = [
      staged
        ? `The search does not cover every combination of options: each stage keeps the option that performs best on ${primary} and tunes on from there. This staged search finds a local optimum, which may not be the global optimum.`
        : strategy === 'predicted'
          ? 'The predicted search measured only the candidates the simulator, corrected by this host’s measurements, ranked as able to win; the others are predictions (see how the search spent its time). The space covers only the values in the plan; other values of the same knobs may do better.'
          : `The grid covers only the options in the plan; other values of the same knobs may do better.`,
      'Other optimizations depend on the serving scenario, such as max batch size, scheduling configuration, extended KV cache or CUDA graph sizes. These conclusions are a starting point for more targeted tuning.',
    ];
    const versions = this.enginesUsed()
      .map((e) => [e, this.engineVersion(e)] as const)
      .filter((pair): pair is readonly [EngineName, string] => pair[1] !== undefined)
      .map(([e, v]) => `${ENGINE_LABELS[e]} ${v}`);
    const hardware = this.gpuSummary();
    notes.push(
      `The tests ran on specific hardware and software${hardware || versions.length ? ` (${[hardware, joinWords(versions)].filter(Boolean).join('; ')})` : ''}. Other GPUs and newer engine versions may lead to other conclusions.`,
    );

    const tpotWorse: string[] = [];
    const tpsWorse: string[] = [];
    for (const row of rows) {
      const [baseTpot, optTpot] = [this.metricMean(row.baselineIds, 'mean_tpot_ms'), this.metricMean(row.optimizedIds, 'mean_tpot_ms')];
      if (baseTpot !== undefined && optTpot !== undefined && optTpot > baseTpot) {
        tpotWorse.push(`${plainText(row.workload)} (${pyFixed2(baseTpot)} → ${pyFixed2(optTpot)} ms, ${signedPercent(relativeChangePct(baseTpot, optTpot))})`);
      }
      const [baseTps, optTps] = [this.metricMean(row.baselineIds, 'total_token_throughput'), this.metricMean(row.optimizedIds, 'total_token_throughput')];
      if (baseTps !== undefined && optTps !== undefined && optTps < baseTps) {
        tpsWorse.push(`${plainText(row.workload)} (${pyFixed2(baseTps)} → ${pyFixed2(optTps)} tok/s, ${signedPercent(relativeChangePct(baseTps, optTps))})`);
      }
    }
    if (tpotWorse.length > 0) {
      notes.push(
        `Latency regression: Mean TPOT got worse with the optimized configuration on ${joinWords(tpotWorse)}. It trades per-token latency for throughput at this load; check the latency your users need before adopting it.`,
      );
    }
    if (tpsWorse.length > 0) {
      notes.push(`Throughput regression: total token throughput got worse on ${joinWords(tpsWorse)}; the configuration tuned on ${primary} does not carry over to these workloads.`);
    }

    const gains = this.walk.views.filter((v) => v.gainPct !== undefined);
    const summaries = this.allObjectiveSummaries();
    if (summaries.length > 0 && summaries.every((s) => s.n === 1)) {
      const small = gains.filter((v) => v.stage.decision?.withinNoise).map((v) => `${plainText(v.stage.name)} ${signedPercent(v.gainPct!)}`);
      notes.push(
        `Each configuration was measured once, so run-to-run noise was not measured${small.length > 0 ? `: gains below ${DEFAULT_NOISE_PCT}%, such as ${joinWords(small)}, may be noise` : ''}. Set \`repeats\` in the plan to measure it.`,
      );
    } else {
      for (const v of gains.filter((g) => g.stage.decision?.withinNoise)) {
        const spread = v.after.objective?.stdev !== undefined ? ` (stdev ${pyFixed2(v.after.objective.stdev)} ${this.unit} over ${v.after.objective.n} repeats)` : '';
        notes.push(`The ${plainText(v.stage.name)} gain (${signedPercent(v.gainPct!)}) is within run-to-run noise${spread}: it may not be a real improvement.`);
      }
    }
    if (this.experiment.host.simulated) {
      notes.push("These numbers come from Serving Lab's simulated host (a performance model of the GPUs), not from real hardware.");
    }
    const resultNotes = new Set<string>(this.experiment.notes);
    for (const r of this.referencedResults()) for (const n of r.notes) resultNotes.add(n);
    notes.push(...[...resultNotes].map(plainText));
    return notes;
  }

  private allObjectiveSummaries(): ObjectiveSummary[] {
    const options = [this.experiment.baseline, ...this.experiment.stages.flatMap((s) => s.options)];
    return options.flatMap((o) => (o.outcome && 'objective' in o.outcome ? [o.outcome.objective] : []));
  }

  private referencedResults(): BenchmarkResult[] {
    const ids = new Set<string>();
    const options = [this.experiment.baseline, ...this.experiment.stages.flatMap((s) => s.options)];
    for (const o of options) if (o.outcome && 'resultIds' in o.outcome) for (const id of o.outcome.resultIds) ids.add(id);
    for (const g of this.experiment.generalization) for (const id of [...g.baselineResultIds, ...g.recommendedResultIds]) ids.add(id);
    return [...ids].map((id) => this.result(id));
  }

  // ------------------------------------------------------------ Objective and setup

  private objectiveSection(): string {
    const plan = this.experiment.plan;
    const parts = ['## Optimization Objective'];
    if (plan.description) parts.push(plainText(plan.description));
    const { name, unit } = OBJECTIVES[this.objective.metric];
    const slo = this.objective.slo;
    const limits = slo
      ? [slo.ttftMs !== undefined ? `TTFT ≤ ${slo.ttftMs} ms` : '', slo.tpotMs !== undefined ? `TPOT ≤ ${slo.tpotMs} ms` : '', slo.e2elMs !== undefined ? `E2E latency ≤ ${slo.e2elMs} ms` : '']
          .filter(Boolean)
          .join(', ')
      : '';
    const metric = this.objective.metric === 'goodput' ? `goodput (${unit}; requests that meet ${limits})` : `${name} (${unit})`;
    const search =
      planStrategy(plan) === 'staged'
        ? "each stage's best option carries forward to the next stage"
        : planStrategy(plan) === 'predicted'
          ? 'the simulator predicts every candidate of the space, the most promising are measured, the host corrections are refitted after each, and the best measured one wins'
          : 'every combination of options is measured and the best one wins';
    parts.push(`Options are ranked by ${metric} on the ${plainText(this.primaryWorkload().name)} workload; ${search}.`);
    if (plan.constraints.length > 0) {
      const constraints = plan.constraints.map((c) => [c.min !== undefined ? `\`${c.metric}\` ≥ ${c.min}` : '', c.max !== undefined ? `\`${c.metric}\` ≤ ${c.max}` : ''].filter(Boolean).join(' and '));
      parts.push(`A configuration qualifies only if ${joinWords(constraints)}.`);
    }
    return parts.join('\n\n');
  }

  private setup(): string {
    const parts = ['## Experimental Setup', '### Model', plainText(this.experiment.plan.model), '### Hardware'];
    const host = this.experiment.host;
    const gpus = this.gpuSummary();
    const software = [host.driverVersion ? `driver ${host.driverVersion}` : '', host.cudaVersion ? `CUDA ${host.cudaVersion}` : ''].filter(Boolean).join(', ');
    parts.push(
      gpus
        ? `${gpus} on a single node (host \`${host.name}\`${software ? `; ${software}` : ''}).${host.simulated ? ' Simulated by Serving Lab, not real GPUs.' : ''}`
        : `The GPU inventory of host \`${host.name}\` was not recorded.`,
    );
    parts.push('### Engine Version', this.enginesUsed().map((e) => `- ${ENGINE_LABELS[e]}: ${this.engineVersion(e) ?? 'not detected'}`).join('\n'));

    const workloads = [this.primaryWorkload(), ...this.experiment.generalization.map((g) => g.workload)];
    const unique = workloads.filter((w, i) => workloads.findIndex((x) => x.name === w.name) === i);
    parts.push('### Benchmark Dataset', unique.map((w, i) => `${i + 1}. ${describeWorkload(w)}`).join('\n'));

    parts.push('### Benchmark Script');
    const commands = this.benchCommands(unique.map((w) => w.name));
    const runner = this.referencedResults()[0]?.runner;
    if (commands.length > 0) {
      parts.push(
        `We use ${RUNNER_TEXT[runner ?? 'vllm-bench']} to benchmark the model. These are the commands as they ran:`,
        codeFence('bash', commands.map(([workload, command]) => `# ${workload}\n${command}`).join('\n\n')),
      );
    } else {
      parts.push('The benchmark commands were not stored with the results.');
    }
    return parts.join('\n\n');
  }

  /** The bench command of each workload (the same client ran every option); workloads sharing a command share a line. */
  private benchCommands(workloadNames: string[]): Array<[string, string]> {
    const byCommand = new Map<string, string[]>();
    const results = this.referencedResults();
    for (const name of workloadNames) {
      const command = results.find((r) => r.workload?.name === name && r.commands.bench)?.commands.bench;
      if (command) byCommand.set(command, [...(byCommand.get(command) ?? []), name]);
    }
    return [...byCommand].map(([command, names]) => [names.join(', '), command]);
  }

  // ------------------------------------------------------------ Experiment results

  private experimentResults(): string {
    const parts = ['## Experiment Results'];
    this.walk.views.forEach((view, i) => parts.push(this.stageSection(view, i + 1)));
    parts.push(this.summaryTable());
    if (this.experiment.generalization.some((g) => g.workload.name !== this.primaryWorkload().name)) parts.push(this.otherCases());
    return parts.join('\n\n');
  }

  private stageSection(view: StageView, number: number): string {
    const { stage, before } = view;
    const engines = new Set(stage.options.map((o) => o.variant.engine));
    const only = engines.size === 1 ? [...engines][0] : undefined;
    const heading = `### ${number}. ${plainText(stage.name)}${stage.kind !== 'engine' && only ? ` in ${ENGINE_LABELS[only]}` : ''}`;
    const parts = [heading];
    const note = this.experiment.plan.stages.find((s) => s.name === stage.name)?.note;
    if (note) parts.push(plainText(note));

    const measuredAbove = new Set(stage.options.filter((o) => o.incumbent && this.wasShown(o)).map((o) => o.name));
    for (const option of stage.options) {
      if (measuredAbove.has(option.name)) {
        parts.push(paragraph(`${plainText(option.name)}: the incumbent${option.name === before.name ? '' : ` (${plainText(before.name)})`}, measured above.`));
        continue;
      }
      parts.push(paragraph(plainText(option.name)), admonition('???', 'info', 'Serving script', codeFence('bash', option.command)));
      const outcome = option.outcome;
      if (!outcome) {
        parts.push('Not run: the experiment ended before this option.');
      } else if (outcome.kind === 'crashed') {
        parts.push(admonition('???', 'info', 'Benchmark result', codeFence('', `# Crash. ${outcome.crash.rootCause}`)));
      } else if (outcome.kind === 'skipped') {
        parts.push(`Skipped: ${plainText(outcome.why)}`);
      } else {
        parts.push(admonition('???', 'info', 'Benchmark result', codeFence('', this.blocks(outcome.resultIds.map((id) => [undefined, id])))));
        if (outcome.kind === 'violates-constraints') parts.push(`Violates the constraints: ${outcome.violations.join('; ')}.`);
      }
    }
    parts.push(`Result: ${this.ranking(view, measuredAbove)}`);
    parts.push(this.decisionSentence(view));
    return parts.join('\n\n');
  }

  /** Result blocks as printed, one after another; a comment line names the workload or repeat when there are several. */
  private blocks(items: Array<[string | undefined, string]>): string {
    const repeats = new Map<string | undefined, number>();
    for (const [label] of items) repeats.set(label, (repeats.get(label) ?? 0) + 1);
    const counter = new Map<string | undefined, number>();
    return items
      .map(([label, id]) => {
        this.shownResults.add(id);
        const n = (counter.get(label) ?? 0) + 1;
        counter.set(label, n);
        const repeat = (repeats.get(label) ?? 0) > 1 ? `repeat ${n}` : undefined;
        const place = this.placesOf([id]);
        const comment = [label, repeat, place ? `measured on ${place}` : undefined].filter(Boolean).join(', ');
        return `${comment ? `# ${comment}\n` : ''}${this.printedBlock(this.result(id))}`;
      })
      .join('\n\n');
  }

  private printedBlock(result: BenchmarkResult): string {
    if (result.rawOutput !== undefined && result.rawOutput.trim() !== '') return result.rawOutput.replace(/\n+$/, '');
    // Imported JSON has no printed block: print one from the stored metrics, and say so.
    const metrics = result.metrics;
    const percentileMetrics = PERCENTILE_METRICS.filter((m) => typeof metrics[`mean_${m}_ms`] === 'number');
    const first = percentileMetrics[0];
    const percentiles = first
      ? Object.keys(metrics)
          .map((k) => new RegExp(`^p([\\d.]+)_${first}_ms$`).exec(k)?.[1])
          .filter((p): p is string => p !== undefined)
          .map(Number)
          .sort((a, b) => a - b)
      : [];
    return `# printed from the stored metrics (the client's own output was not stored)\n${formatResultBlock(metrics, { percentileMetrics, percentiles }).replace(/\n+$/, '')}`;
  }

  /** True when every result of the option is already printed earlier on the page. */
  private wasShown(option: OptionRecord): boolean {
    const ids = option.outcome && 'resultIds' in option.outcome ? option.outcome.resultIds : [];
    return ids.length > 0 && ids.every((id) => this.shownResults.has(id));
  }

  private ranking(view: StageView, measuredAbove: ReadonlySet<string>): string {
    const { stage, before } = view;
    type Entry = { text: string; mean?: number; order: number };
    const entries: Entry[] = [];
    if (!stage.options.some((o) => o.incumbent) && before.objective) {
      entries.push({ text: `${before.name} (incumbent, ${this.objectiveValue(before.objective)})`, mean: before.objective.mean, order: 0 });
    }
    stage.options.forEach((option, i) => {
      const outcome = option.outcome;
      const order = i + 1;
      if (!outcome) entries.push({ text: `${option.name} (not run)`, order: 3000 + order });
      else if (outcome.kind === 'measured') {
        const incumbent = measuredAbove.has(option.name) ? 'incumbent, ' : '';
        const places = this.placesOf(outcome.resultIds);
        entries.push({ text: `${option.name} (${incumbent}${this.objectiveValue(outcome.objective)}${places ? `, on ${places}` : ''})`, mean: outcome.objective.mean, order });
      }
      else if (outcome.kind === 'violates-constraints') entries.push({ text: `${option.name} (${this.objectiveValue(outcome.objective)}, violates the constraints)`, order: 1000 + order });
      else if (outcome.kind === 'crashed') entries.push({ text: `${option.name} (crash: ${CRASH_LABELS[outcome.crash.reason] ?? outcome.crash.rootCause})`, order: 2000 + order });
      else entries.push({ text: `${option.name} (skipped: ${outcome.why})`, order: 3000 + order });
    });
    entries.sort((a, b) => (a.mean !== undefined && b.mean !== undefined ? b.mean - a.mean || a.order - b.order : a.mean !== undefined ? -1 : b.mean !== undefined ? 1 : a.order - b.order));
    return entries.map((e) => plainText(e.text)).join(' > ');
  }

  private decisionSentence(view: StageView): string {
    const decision = view.stage.decision;
    if (!decision) return `No decision was recorded for this stage (the experiment ${this.statusText()}).`;
    if (view.after !== view.before) {
      const gain = view.gainPct === undefined ? '' : `: ${signedPercent(view.gainPct)} ${OBJECTIVES[this.objective.metric].name} over ${plainText(view.before.name)}`;
      return `${plainText(view.after.name)} carries forward${gain}${decision.withinNoise ? ', within run-to-run noise' : ''}.`;
    }
    const anyMeasured = view.stage.options.some((o) => !o.incumbent && o.outcome?.kind === 'measured');
    return `The incumbent (${plainText(view.before.name)}) stays: ${anyMeasured ? 'no option beats it' : 'no other option produced a qualifying result'}.`;
  }

  private summaryTable(): string {
    const title = `${OBJECTIVES[this.objective.metric].title} Improvement`;
    const rows = this.walk.views.map((v) => {
      if (v.after === v.before || v.gainPct === undefined) return [plainText(v.stage.name), '-'];
      const text = `${signedPercent(v.gainPct)}${v.stage.decision?.withinNoise ? ' (within noise)' : ''}`;
      return [plainText(v.stage.name), highlight(text, v.gainPct >= 0 ? 'better' : 'worse')];
    });
    return `### Summary of Optimization Options\n\n${table(['Optimization Option', title], rows)}`;
  }

  private otherCases(): string {
    // The tuner lists the primary workload among the generalization records; its results are in the stages above.
    const primary = this.primaryWorkload().name;
    const generalization = this.experiment.generalization.filter((g) => g.workload.name !== primary);
    const group = (pick: 'baselineResultIds' | 'recommendedResultIds') => generalization.flatMap((g) => g[pick].map((id) => [g.workload.name, id] as [string, string]));
    const baseline = group('baselineResultIds');
    const optimized = group('recommendedResultIds');
    const servingScripts = (items: Array<[string, string]>, fallback: string | undefined) => {
      const commands = [...new Set(items.map(([, id]) => this.result(id).commands.serve).filter((c): c is string => c !== undefined))];
      if (commands.length === 0 && fallback) commands.push(fallback);
      return codeFence('bash', commands.join('\n\n'));
    };
    const parts = [
      '### Other Benchmark Cases',
      'We further benchmarked the optimized configuration to evaluate its generalization under various workloads.',
    ];
    if (baseline.length > 0) {
      parts.push(
        admonition('???', 'info', 'Baseline serving script', servingScripts(baseline, this.experiment.baseline.command)),
        admonition('???', 'info', 'Baseline benchmark results', codeFence('', this.blocks(baseline))),
      );
    }
    if (optimized.length > 0) {
      parts.push(
        admonition('???', 'info', 'Optimized serving script', servingScripts(optimized, this.experiment.recommendation?.command)),
        admonition('???', 'info', 'Optimized benchmark results', codeFence('', this.blocks(optimized))),
      );
    }
    return parts.join('\n\n');
  }
}

function formatGiB(mib: number): string {
  const gib = mib / 1024;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GB`;
}

function joinWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function describeWorkload(w: Workload): string {
  const extras: string[] = [];
  if (w.requestRate !== 'inf') extras.push(`${w.requestRate} requests/s`);
  if (w.maxConcurrency !== undefined) extras.push(`at most ${w.maxConcurrency} concurrent requests`);
  const tail = extras.length > 0 ? `, ${extras.join(', ')}` : '';
  switch (w.dataset.kind) {
    case 'sharegpt':
      return `${plainText(w.name)}: ${w.dataset.path ? `\`${w.dataset.path}\`` : 'the bundled ShareGPT-like file'}, ${w.numPrompts} prompts${tail}`;
    case 'random': {
      const d = w.dataset;
      const shape = [`${d.inputLen} input tokens`, `${d.outputLen} output tokens`];
      if (d.rangeRatio > 0) shape.push(`range ratio ${d.rangeRatio}`);
      if (d.prefixLen > 0) shape.push(`${d.prefixLen}-token shared prefix`);
      return `${plainText(w.name)}: random, ${shape.join(', ')}, ${w.numPrompts} prompts, seed ${w.seed}${tail}`;
    }
    case 'replay':
      return `${plainText(w.name)}: replay of \`${w.dataset.path}\`, ${w.numPrompts} prompts${tail}`;
  }
}
