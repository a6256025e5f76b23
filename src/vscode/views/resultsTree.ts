// The Results view: experiment → stage → option → workload, the objective metric in each description, crashes marked
// with their reason, stage winners and the recommendation marked. An option measured on load curves shows its capacity
// under the SLO (req/s, per GPU, the limit that breaks first) and has its curves as children, their points under them. Built from the results store; refreshed when the
// store changes (its watcher, our own writes, run events), never by polling.
import * as vscode from 'vscode';
import type { BenchmarkResult, CurveRecord, Experiment, OptionRecord, StageRecord } from '../../core/plan/schema';
import { searchSummary } from '../../core/report/search';
import { capacitySentence, loadText } from '../../core/results/curves';
import type { StoreProblem } from '../../core/results/store';
import type { Lab } from '../lab';

export type ResultsNode =
  | { kind: 'experiment'; experiment: Experiment }
  | { kind: 'stage'; experiment: Experiment; stage: StageRecord | 'baseline' }
  | { kind: 'generalization'; experiment: Experiment }
  | { kind: 'option'; experiment: Experiment; stageName: string; option: OptionRecord; winner: boolean; recommended: boolean }
  | { kind: 'workload'; experiment: Experiment; label: string; resultIds: Array<{ id: string; role: string }> }
  | { kind: 'curve'; experiment: Experiment; curve: CurveRecord }
  | { kind: 'result'; resultId: string; role?: string; parentKey: string }
  | { kind: 'standalone' }
  | { kind: 'problem'; problem: StoreProblem };

const METRIC_LABELS: Record<string, string> = {
  total_token_throughput: 'tok/s total',
  output_throughput: 'tok/s out',
  request_throughput: 'req/s',
  total_token_throughput_per_gpu: 'tok/s total per GPU',
  output_throughput_per_gpu: 'tok/s out per GPU',
  goodput: 'req/s goodput',
  goodput_per_gpu: 'req/s goodput per GPU',
  slo_capacity: 'req/s within SLO',
  slo_capacity_per_gpu: 'req/s per GPU within SLO',
};

/** The option's curves (one per workload with a load plan). */
function curvesOf(experiment: Experiment, stageName: string, option: string): CurveRecord[] {
  return experiment.curves.filter((c) => c.stage === stageName && c.option === option);
}

/** "5.70 req/s (1.43/GPU) within SLO · p99_tpot_ms breaks first", or why there is no capacity. */
export function capacityDescription(curve: CurveRecord): string | undefined {
  if (!curve.slo) return undefined;
  const breaks = curve.breaksAt ? ` · ${curve.breaksAt.limit} breaks first` : '';
  if (!curve.capacity) return `no load met the SLO${breaks}`;
  return `${curve.capacity.requestRate.toFixed(2)} req/s (${curve.capacity.perGpu.toFixed(2)}/GPU) within SLO${breaks}`;
}

function formatMetric(value: number, metric: string): string {
  return `${value.toFixed(2)} ${METRIC_LABELS[metric] ?? metric}`;
}

function sameVariant(a: OptionRecord, command: string | undefined): boolean {
  return command !== undefined && a.command === command;
}

/** A single benchmark (Benchmark GLM config) is stored as an experiment with only a baseline (and its workload). */
export function isSingleBenchmark(experiment: Experiment): boolean {
  return experiment.stages.length === 0;
}

export class ResultsTreeProvider implements vscode.TreeDataProvider<ResultsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ResultsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private cache: Promise<{ experiments: Experiment[]; results: Map<string, BenchmarkResult>; standalone: BenchmarkResult[]; problems: StoreProblem[] }> | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly lab: Lab) {
    this.subscription = lab.onDidChangeResults(() => this.refresh());
  }

  refresh(): void {
    this.cache = undefined;
    this.changed.fire(undefined);
  }

  private load() {
    this.cache ??= (async () => {
      const store = this.lab.store();
      const [{ experiments, problems: experimentProblems }, { results, problems: resultProblems }] = await Promise.all([store.listExperiments(), store.listResults()]);
      const byId = new Map(results.map((r) => [r.id, r]));
      const inExperiments = new Set(experiments.map((e) => e.id));
      const standalone = results.filter((r) => !r.experimentId || !inExperiments.has(r.experimentId));
      return { experiments: [...experiments].reverse(), results: byId, standalone: [...standalone].reverse(), problems: [...experimentProblems, ...resultProblems] };
    })();
    return this.cache;
  }

  /** The loaded data, for commands that act on what the view shows. */
  async snapshot() {
    return this.load();
  }

  async getChildren(node?: ResultsNode): Promise<ResultsNode[]> {
    let data;
    try {
      data = await this.load();
    } catch (err) {
      this.lab.log.error(`Results view: cannot read the results store: ${(err as Error).message}`);
      this.cache = undefined;
      return [{ kind: 'problem', problem: { file: this.lab.settings().resultsDirectory, message: `${(err as Error).message}. Check the servingLab.resultsDirectory setting.` } }];
    }
    if (!node) {
      const roots: ResultsNode[] = data.experiments.map((experiment) => ({ kind: 'experiment', experiment }));
      if (data.standalone.length) roots.push({ kind: 'standalone' });
      roots.push(...data.problems.map((problem): ResultsNode => ({ kind: 'problem', problem })));
      return roots;
    }
    switch (node.kind) {
      case 'experiment': {
        const e = node.experiment;
        if (isSingleBenchmark(e)) return this.optionChildren(e, e.baseline, `${e.id}/baseline`, 'Baseline');
        const out: ResultsNode[] = [{ kind: 'stage', experiment: e, stage: 'baseline' }];
        out.push(...e.stages.map((stage): ResultsNode => ({ kind: 'stage', experiment: e, stage })));
        if (e.generalization.length) out.push({ kind: 'generalization', experiment: e });
        return out;
      }
      case 'stage': {
        const e = node.experiment;
        const recommended = e.recommendation?.command;
        if (node.stage === 'baseline') return [{ kind: 'option', experiment: e, stageName: 'Baseline', option: e.baseline, winner: false, recommended: sameVariant(e.baseline, recommended) }];
        const stage = node.stage;
        return stage.options.map((option) => ({
          kind: 'option',
          experiment: e,
          stageName: stage.name,
          option,
          winner: stage.decision?.winner === option.name,
          recommended: sameVariant(option, recommended),
        }));
      }
      case 'generalization':
        return node.experiment.generalization.map((g) => ({
          kind: 'workload',
          experiment: node.experiment,
          label: g.workload.name,
          resultIds: [...g.baselineResultIds.map((id) => ({ id, role: 'baseline' })), ...g.recommendedResultIds.map((id) => ({ id, role: 'recommended' }))],
        }));
      case 'option':
        return this.optionChildren(node.experiment, node.option, `${node.experiment.id}/${node.stageName}/${node.option.name}`, node.stageName);
      case 'curve': {
        const { curve } = node;
        const order = (v: number | 'inf') => (v === 'inf' ? Infinity : v);
        return [...curve.points]
          .sort((a, b) => order(a.value) - order(b.value) || a.index - b.index)
          .flatMap((p): ResultsNode[] => (p.resultId ? [{ kind: 'result', resultId: p.resultId, role: `${loadText(curve.by, p.value)}${p.meetsSlo === undefined ? '' : p.meetsSlo ? ', meets SLO' : ', breaks SLO'}`, parentKey: `${node.experiment.id}/curve/${curve.stage}/${curve.option}/${curve.workload}` }] : []));
      }
      case 'workload':
        return node.resultIds.map(({ id, role }) => ({ kind: 'result', resultId: id, role, parentKey: `${node.experiment.id}/gen/${node.label}` }));
      case 'standalone':
        return data.standalone.map((r) => ({ kind: 'result', resultId: r.id, parentKey: 'standalone' }));
      default:
        return [];
    }
  }

  private optionChildren(experiment: Experiment, option: OptionRecord, parentKey: string, stageName: string): ResultsNode[] {
    const curves = curvesOf(experiment, stageName, option.name);
    if (curves.length > 0) return curves.map((curve) => ({ kind: 'curve', experiment, curve }));
    const outcome = option.outcome;
    if (!outcome || !('resultIds' in outcome)) return [];
    return outcome.resultIds.map((id) => ({ kind: 'result', resultId: id, parentKey }));
  }

  async getTreeItem(node: ResultsNode): Promise<vscode.TreeItem> {
    const { results } = await this.load();
    const collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    switch (node.kind) {
      case 'experiment': {
        const e = node.experiment;
        const item = new vscode.TreeItem(e.plan.name, isSingleBenchmark(e) ? vscode.TreeItemCollapsibleState.Expanded : collapsed);
        item.id = `experiment:${e.id}`;
        item.contextValue = 'experiment';
        const single = isSingleBenchmark(e);
        const singleCurve = single ? curvesOf(e, 'Baseline', e.baseline.name)[0] : undefined;
        const best = singleCurve?.slo ? capacityDescription(singleCurve) : single && e.baseline.outcome?.kind === 'measured' ? formatMetric(e.baseline.outcome.objective.mean, e.baseline.outcome.objective.metric) : undefined;
        item.description = [e.host.name, e.status === 'completed' ? best : e.status].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon(e.status === 'running' ? 'sync~spin' : e.status === 'failed' ? 'error' : e.status === 'interrupted' ? 'debug-pause' : single ? 'pulse' : 'beaker');
        item.tooltip = new vscode.MarkdownString(
          [`**${e.plan.name}** (${e.id})`, `host: ${e.host.name}${e.host.simulated ? ' (simulated)' : ''}`, `started ${e.startedAt}`, e.recommendation ? `recommended: \`${e.recommendation.command}\`` : '', e.error ? `error: ${e.error}` : '']
            .filter(Boolean)
            .join('\n\n'),
        );
        return item;
      }
      case 'stage': {
        const name = node.stage === 'baseline' ? 'Baseline' : node.stage.name;
        const item = new vscode.TreeItem(name, collapsed);
        item.id = `stage:${node.experiment.id}/${name}`;
        item.contextValue = 'stage';
        if (node.stage !== 'baseline' && node.stage.decision) {
          const d = node.stage.decision;
          item.description = `${d.winner}${d.gainPct ? ` (${d.gainPct >= 0 ? '+' : ''}${d.gainPct.toFixed(1)}%${d.withinNoise ? ', within noise' : ''})` : ''}`;
          const search = node.experiment.search;
          item.tooltip = search && node.experiment.stages[0] === node.stage ? `${d.why}\n\n${searchSummary(search)}` : d.why;
        }
        item.iconPath = new vscode.ThemeIcon('layers');
        return item;
      }
      case 'generalization': {
        const item = new vscode.TreeItem('Generalization', collapsed);
        item.id = `generalization:${node.experiment.id}`;
        item.description = 'baseline vs recommended';
        item.iconPath = new vscode.ThemeIcon('compare-changes');
        return item;
      }
      case 'option': {
        const { option } = node;
        const curves = curvesOf(node.experiment, node.stageName, option.name);
        const item = new vscode.TreeItem(option.name, curves.length > 0 || (option.outcome && 'resultIds' in option.outcome && option.outcome.resultIds.length) ? collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `option:${node.experiment.id}/${node.stageName}/${option.name}`;
        item.contextValue = 'option';
        const outcome = option.outcome;
        const marks = [node.recommended ? 'recommended' : '', node.winner ? 'winner' : '', option.incumbent ? 'incumbent' : ''].filter(Boolean).join(', ');
        if (!outcome) item.description = 'not run yet';
        else if (outcome.kind === 'measured') item.description = formatMetric(outcome.objective.mean, outcome.objective.metric);
        else if (outcome.kind === 'crashed') item.description = `crash: ${outcome.crash.reason}`;
        else if (outcome.kind === 'violates-constraints') item.description = `violates: ${outcome.violations.join(', ')}`;
        else item.description = `skipped: ${outcome.why}`;
        const capacity = curves.map(capacityDescription).find((d) => d !== undefined);
        if (capacity && outcome?.kind !== 'crashed') item.description = capacity;
        if (marks) item.description = `${item.description} · ${marks}`;
        item.iconPath = outcome?.kind === 'crashed'
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
          : node.recommended
            ? new vscode.ThemeIcon('star-full', new vscode.ThemeColor('charts.yellow'))
            : node.winner
              ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('charts.green'))
              : new vscode.ThemeIcon('circle-outline');
        item.tooltip = new vscode.MarkdownString(
          [['```bash', option.command, '```'].join('\n'), outcome?.kind === 'crashed' ? `**Crash (${outcome.crash.reason})**: ${outcome.crash.rootCause}` : '', ...curves.map((c) => `**${c.workload}**: ${capacitySentence(c)}`)].filter(Boolean).join('\n\n'),
        );
        return item;
      }
      case 'curve': {
        const { curve } = node;
        const item = new vscode.TreeItem(`${curve.workload} — ${curve.mode === 'capacity' ? 'capacity search' : 'load sweep'}`, collapsed);
        item.id = `curve:${node.experiment.id}/${curve.stage}/${curve.option}/${curve.workload}`;
        item.contextValue = 'curve';
        item.description = capacityDescription(curve) ?? `${curve.points.length} load points`;
        item.tooltip = new vscode.MarkdownString([`**${curve.option}** on ${curve.workload}: ${curve.points.length} load points`, capacitySentence(curve)].filter(Boolean).join('\n\n'));
        item.iconPath = new vscode.ThemeIcon('graph-line');
        item.command = { command: 'servingLab.showCurves', title: 'Show Load Curves', arguments: [node] };
        return item;
      }
      case 'workload': {
        const item = new vscode.TreeItem(node.label, collapsed);
        item.id = `workload:${node.experiment.id}/${node.label}`;
        item.iconPath = new vscode.ThemeIcon('symbol-event');
        return item;
      }
      case 'standalone': {
        const item = new vscode.TreeItem('Other results', collapsed);
        item.id = 'standalone';
        item.description = 'imported or without experiment';
        item.iconPath = new vscode.ThemeIcon('archive');
        return item;
      }
      case 'result': {
        const result = results.get(node.resultId);
        if (!result) {
          const item = new vscode.TreeItem(`${node.resultId} (missing)`);
          item.id = `result:${node.parentKey}/${node.resultId}`;
          item.iconPath = new vscode.ThemeIcon('warning');
          item.tooltip = `The experiment refers to ${node.resultId}, which is not in the results store.`;
          return item;
        }
        const label = result.workload?.name ?? result.source.file ?? result.id;
        const item = new vscode.TreeItem(node.role ? `${label} — ${node.role}` : label);
        item.id = `result:${node.parentKey}/${result.id}`;
        item.contextValue = 'result';
        item.description = `${result.metrics.total_token_throughput.toFixed(2)} tok/s total${result.status === 'interrupted' ? ' · interrupted' : ''}`;
        item.iconPath = new vscode.ThemeIcon(result.status === 'interrupted' ? 'debug-pause' : 'graph');
        item.tooltip = new vscode.MarkdownString(
          [`**${label}** (${result.id})`, `output ${result.metrics.output_throughput.toFixed(2)} tok/s · ${result.metrics.request_throughput.toFixed(2)} req/s`, result.commands.serve ? `\`${result.commands.serve}\`` : '', ...result.notes]
            .filter(Boolean)
            .join('\n\n'),
        );
        item.command = { command: 'servingLab.openResult', title: 'Open in Dashboard', arguments: [node] };
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem(node.problem.file.split(/[\\/]/).pop() ?? node.problem.file);
        item.description = 'unreadable';
        item.tooltip = `${node.problem.file}: ${node.problem.message}`;
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = 'problem';
        return item;
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
