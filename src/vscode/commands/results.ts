// Results commands: open in the dashboard, compare, import, export, reveal, delete, copy the serve command.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BenchmarkResult, Experiment } from '../../core/plan/schema';
import type { Comparison, CurvesView, LiveRun } from '../../shared/protocol';
import { baseDir } from '../config';
import type { Lab } from '../lab';
import type { ResultsNode, ResultsTreeProvider } from '../views/resultsTree';

/** What a results command may be given: a tree node, an id, or nothing (then it asks). */
export type ResultsTarget = ResultsNode | string | undefined;

function fixed(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(2);
}

const LATENCY_LABELS: Record<string, string> = {
  mean_ttft_ms: 'Mean TTFT (ms)',
  p99_ttft_ms: 'P99 TTFT (ms)',
  mean_tpot_ms: 'Mean TPOT (ms)',
  p99_tpot_ms: 'P99 TPOT (ms)',
  mean_itl_ms: 'Mean ITL (ms)',
  p99_itl_ms: 'P99 ITL (ms)',
};

/** The vLLM "Serving Benchmark Result" lines the dashboard's summary shows. */
export function summaryOf(result: BenchmarkResult): LiveRun['summary'] {
  const m = result.metrics;
  const rows: LiveRun['summary'] = [
    { label: 'Successful requests', value: String(m.completed) },
    { label: 'Failed requests', value: String(m.failed) },
    { label: 'Benchmark duration (s)', value: fixed(m.duration) },
    { label: 'Request throughput (req/s)', value: fixed(m.request_throughput) },
    { label: 'Output token throughput (tok/s)', value: fixed(m.output_throughput) },
    { label: 'Total token throughput (tok/s)', value: fixed(m.total_token_throughput) },
  ];
  for (const [key, label] of Object.entries(LATENCY_LABELS)) {
    const value = m[key];
    if (typeof value === 'number') rows.push({ label, value: fixed(value) });
  }
  return rows;
}

export class ResultsCommands {
  constructor(
    private readonly lab: Lab,
    private readonly tree: ResultsTreeProvider,
  ) {}

  /** The experiment a command acts on: the tree node's, an id, or one the user picks. */
  async experimentOf(target: ResultsTarget, title = 'Serving Lab: pick an experiment'): Promise<Experiment | undefined> {
    if (target && typeof target === 'object' && 'experiment' in target) return target.experiment;
    const id = typeof target === 'string' ? target : undefined;
    const { experiments } = await this.tree.snapshot();
    if (id) return experiments.find((e) => e.id === id) ?? (await this.lab.store().loadExperiment(id));
    if (experiments.length === 0) {
      void vscode.window.showInformationMessage('Serving Lab: no experiments yet. Run "Benchmark GLM config" or "Run Tuning Plan" first.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      experiments.map((e) => ({ label: e.plan.name, description: `${e.host.name} · ${e.status}`, detail: e.id, experiment: e })),
      { title, matchOnDetail: true },
    );
    return picked?.experiment;
  }

  private async resultOf(target: ResultsTarget, title = 'Serving Lab: pick a result'): Promise<BenchmarkResult | undefined> {
    if (target && typeof target === 'object' && target.kind === 'result') return this.lab.store().loadResult(target.resultId);
    if (typeof target === 'string') return this.lab.store().loadResult(target);
    const { results } = await this.tree.snapshot();
    const picked = await vscode.window.showQuickPick(
      [...results.values()].reverse().map((r) => ({
        label: r.workload?.name ?? r.id,
        description: `${r.metrics.total_token_throughput.toFixed(2)} tok/s total`,
        detail: `${r.commands.serve ?? ''}  (${r.id})`,
        result: r,
      })),
      { title, matchOnDetail: true },
    );
    return picked?.result;
  }

  /** Shows a stored result (or an experiment's best result) in the dashboard. */
  async open(target: ResultsTarget): Promise<void> {
    if (target && typeof target === 'object' && target.kind === 'experiment') {
      await this.compareWithBaseline(target);
      return;
    }
    const result = await this.resultOf(target);
    if (!result) return;
    this.lab.dashboard.show();
    this.lab.dashboard.startRun({ id: result.id, title: `${result.workload?.name ?? 'Result'} — ${result.id}`, host: result.host?.name ?? 'unknown host', command: result.commands.serve });
    this.lab.dashboard.setProgress(result.id, { phase: result.status === 'interrupted' ? 'stopped' : 'completed', label: `stored result from ${result.createdAt}` }, summaryOf(result));
  }

  async compare(): Promise<void> {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Baseline vs recommended of an experiment', value: 'experiment' as const },
        { label: 'Two results', value: 'results' as const },
        { label: 'Load curves and Pareto front of experiments', description: 'throughput per GPU against p99 TPOT and p99 TTFT', value: 'curves' as const },
      ],
      { title: 'Serving Lab: Compare Results' },
    );
    if (choice?.value === 'experiment') await this.compareWithBaseline(undefined);
    if (choice?.value === 'curves') await this.showCurves(undefined);
    if (choice?.value === 'results') {
      const baseline = await this.resultOf(undefined, 'Serving Lab: pick the baseline result');
      if (!baseline) return;
      const other = await this.resultOf(undefined, 'Serving Lab: pick the result to compare with it');
      if (!other) return;
      const { definitionDifferences } = await import('../../core/imports/definitions');
      const notes = definitionDifferences(baseline.source, other.source);
      this.showComparison({
        ...(notes.length ? { notes } : {}),
        title: `${other.id} vs ${baseline.id}`,
        metricLabel: 'Total TPS',
        latencyLabel: 'Mean TPOT (ms)',
        baselineLabel: 'Baseline',
        optimizedLabel: 'Compared',
        rows: [
          {
            workload: baseline.workload?.name === other.workload?.name ? (baseline.workload?.name ?? 'workload') : `${baseline.workload?.name ?? '?'} / ${other.workload?.name ?? '?'}`,
            baseline: baseline.metrics.total_token_throughput,
            optimized: other.metrics.total_token_throughput,
            baselineLatencyMs: baseline.metrics['mean_tpot_ms'] ?? null,
            optimizedLatencyMs: other.metrics['mean_tpot_ms'] ?? null,
          },
        ],
      });
    }
  }

  /** Baseline vs recommended per workload (the generalization step), like the reference's chart and table. */
  async compareWithBaseline(target: ResultsTarget): Promise<Comparison | undefined> {
    if (target && typeof target === 'object' && target.kind === 'result') {
      const result = await this.lab.store().loadResult(target.resultId);
      target = result.experimentId;
    }
    const experiment = await this.experimentOf(target);
    if (!experiment) return undefined;
    const store = this.lab.store();
    const mean = async (ids: readonly string[], key: string) => {
      const values: number[] = [];
      for (const id of ids) {
        const value = (await store.loadResult(id)).metrics[key];
        if (typeof value === 'number') values.push(value);
      }
      return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
    };
    const rows: Comparison['rows'] = [];
    for (const g of experiment.generalization) {
      rows.push({
        workload: g.workload.name,
        baseline: await mean(g.baselineResultIds, 'total_token_throughput'),
        optimized: await mean(g.recommendedResultIds, 'total_token_throughput'),
        baselineLatencyMs: await mean(g.baselineResultIds, 'mean_tpot_ms'),
        optimizedLatencyMs: await mean(g.recommendedResultIds, 'mean_tpot_ms'),
      });
    }
    if (rows.length === 0 && experiment.curves.length > 0) {
      await this.showCurves(experiment.id);
      return undefined;
    }
    if (rows.length === 0) {
      void vscode.window.showInformationMessage(`Serving Lab: "${experiment.plan.name}" has no baseline-vs-recommended measurements yet (they are taken after the last stage).`);
      return undefined;
    }
    const comparison: Comparison = {
      title: `${experiment.plan.name}: baseline vs optimized`,
      metricLabel: 'Total TPS',
      latencyLabel: 'Mean TPOT (ms)',
      baselineLabel: 'Baseline',
      optimizedLabel: 'Optimized',
      rows,
    };
    this.showComparison(comparison);
    // An experiment with load curves shows them and their Pareto front under the bars.
    if (experiment.curves.length > 0) await this.showCurves(experiment.id);
    return comparison;
  }

  /** Load curves and the Pareto front: of a curve's experiment (on its workload), of an experiment, or of experiments picked. */
  async showCurves(target: ResultsTarget | string[]): Promise<CurvesView | undefined> {
    const { experimentsCurvesView } = await import('../dashboard/curveView');
    let experiments: Experiment[];
    let workload: string | undefined;
    if (target && typeof target === 'object' && !Array.isArray(target) && target.kind === 'curve') {
      experiments = [target.experiment];
      workload = target.curve.workload;
    } else if (Array.isArray(target)) {
      experiments = await Promise.all(target.map((id) => this.lab.store().loadExperiment(id)));
    } else if (target) {
      const one = await this.experimentOf(target);
      experiments = one ? [one] : [];
    } else {
      const withCurves = (await this.tree.snapshot()).experiments.filter((e) => e.curves.length > 0);
      if (withCurves.length === 0) {
        void vscode.window.showInformationMessage('Serving Lab: no experiment has load curves yet. Run "Find Capacity under SLO", or a plan with a load sweep or capacity search.');
        return undefined;
      }
      const picked = await vscode.window.showQuickPick(
        withCurves.map((e) => ({ label: e.plan.name, description: `${e.curves.length} curve${e.curves.length === 1 ? '' : 's'} · ${e.host.name}`, detail: e.id, picked: withCurves.length === 1, experiment: e })),
        { title: 'Serving Lab: compare the load curves of which experiments?', canPickMany: true, matchOnDetail: true },
      );
      experiments = (picked ?? []).map((p) => p.experiment);
    }
    if (experiments.length === 0) return undefined;
    const view = experimentsCurvesView(experiments, workload);
    if (!view) {
      void vscode.window.showInformationMessage(`Serving Lab: "${experiments[0]!.plan.name}" measured no load curve; give its plan a load plan (load: {sweep: …} or {capacity: …}).`);
      return undefined;
    }
    this.lab.dashboard.show();
    this.lab.dashboard.showCurves(view);
    return view;
  }

  private showComparison(comparison: Comparison): void {
    this.lab.dashboard.show();
    this.lab.dashboard.showComparison(comparison);
  }

  async importResult(files?: vscode.Uri[]): Promise<BenchmarkResult[]> {
    files ??= await this.pickImport();
    if (!files?.length) return [];
    const { importSweepCurves, parseImportPath, toImportedBatch } = await import('../../core/imports');
    const { parseServeCommand } = await import('../../core/engines/index');
    const imported: BenchmarkResult[] = [];
    const seen = new Set<string>();
    const sweeps: string[] = [];
    let duplicates = 0;
    for (const file of files) {
      const name = path.basename(file.fsPath);
      try {
        // A `vllm bench sweep serve` directory: an experiment with one load curve per serve configuration.
        const sweep = await importSweepCurves(file.fsPath, { parseCommand: parseServeCommand });
        if (sweep) {
          for (const problem of sweep.problems) void vscode.window.showErrorMessage(`Serving Lab: ${problem}`);
          for (const result of sweep.results) await this.lab.store().saveResult(result);
          await this.lab.store().saveExperiment(sweep.experiment);
          imported.push(...sweep.results);
          sweeps.push(sweep.experiment.id);
          continue;
        }
        const batch = toImportedBatch(await parseImportPath(file.fsPath, name), name, seen);
        for (const problem of batch.problems) void vscode.window.showErrorMessage(`Serving Lab: ${problem}`);
        duplicates += batch.duplicates;
        for (const result of batch.results) {
          await this.lab.store().saveResult(result);
          imported.push(result);
        }
      } catch (err) {
        void vscode.window.showErrorMessage(`Serving Lab: ${name} was not imported: ${(err as Error).message}`);
      }
    }
    if (duplicates) this.lab.log.info(`import: ${duplicates} identical result${duplicates > 1 ? 's' : ''} stored once`);
    if (imported.length) {
      this.lab.resultsUpdated();
      void vscode.window.showInformationMessage(`Serving Lab: imported ${imported.length} result${imported.length > 1 ? 's' : ''}${sweeps.length ? `, on the load curves of ${sweeps.length} sweep${sweeps.length > 1 ? 's' : ''}` : ''}.`);
    }
    if (sweeps.length) await this.showCurves(sweeps);
    return imported;
  }

  /** Files of benchmark output, or a sweep directory (one dialog cannot offer both on every platform). */
  private async pickImport(): Promise<vscode.Uri[] | undefined> {
    const kind = await vscode.window.showQuickPick(
      [
        { label: 'Benchmark output files', description: 'vLLM / SGLang / GPUStack text, JSON, JSONL; GuideLLM, AIPerf', folders: false },
        { label: 'A vllm bench sweep directory', description: 'one load curve per serve configuration', folders: true },
      ],
      { title: 'Serving Lab: import what?' },
    );
    if (!kind) return undefined;
    return vscode.window.showOpenDialog({
      title: kind.folders ? 'Serving Lab: import a `vllm bench sweep serve` output directory' : 'Serving Lab: import benchmark output',
      canSelectMany: !kind.folders,
      canSelectFiles: !kind.folders,
      canSelectFolders: kind.folders,
      openLabel: 'Import',
      ...(kind.folders ? {} : { filters: { 'Benchmark output': ['txt', 'log', 'md', 'json', 'jsonl', 'csv'], 'All files': ['*'] } }),
    });
  }

  async exportResults(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    target ??= await vscode.window.showSaveDialog({
      title: 'Serving Lab: export every stored result',
      defaultUri: vscode.Uri.file(path.join(baseDir(), 'serving-lab-results.csv')),
      filters: { CSV: ['csv'], JSON: ['json'] },
    });
    if (!target) return undefined;
    const { results, problems } = await this.lab.store().listResults();
    for (const p of problems) this.lab.log.warn(`export skipped ${p.file}: ${p.message}`);
    const { resultsToCsv } = await import('../../core/results/csv');
    const text = target.fsPath.endsWith('.json') ? `${JSON.stringify(results, null, 2)}\n` : resultsToCsv(results);
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, 'utf8'));
    void vscode.window.showInformationMessage(`Serving Lab: exported ${results.length} results to ${path.basename(target.fsPath)}.`);
    return target;
  }

  async revealJson(target: ResultsTarget): Promise<void> {
    const store = this.lab.store();
    let file: string | undefined;
    if (target && typeof target === 'object' && target.kind === 'result') file = store.resultPath(target.resultId);
    else if (target && typeof target === 'object' && target.kind === 'experiment') file = store.experimentPath(target.experiment.id);
    else {
      const result = await this.resultOf(target);
      file = result && store.resultPath(result.id);
    }
    if (file) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  }

  async delete(target: ResultsTarget): Promise<void> {
    if (!target || typeof target !== 'object') return;
    const store = this.lab.store();
    if (target.kind === 'result') {
      const answer = await vscode.window.showWarningMessage(`Delete result ${target.resultId}? Experiments that refer to it will show it as missing.`, { modal: true }, 'Delete');
      if (answer !== 'Delete') return;
      await store.deleteResult(target.resultId);
    } else if (target.kind === 'experiment') {
      const e = target.experiment;
      const answer = await vscode.window.showWarningMessage(`Delete experiment "${e.plan.name}" (${e.id})? Its results stay in the store.`, { modal: true }, 'Delete');
      if (answer !== 'Delete') return;
      await store.deleteExperiment(e.id);
    } else return;
    this.lab.resultsUpdated();
  }

  async copyServeCommand(target: ResultsTarget): Promise<string | undefined> {
    let command: string | undefined;
    if (target && typeof target === 'object' && target.kind === 'option') command = target.option.command;
    else command = (await this.resultOf(target))?.commands.serve;
    if (!command) {
      void vscode.window.showInformationMessage('Serving Lab: this result does not record its serve command (imported results often do not).');
      return undefined;
    }
    await vscode.env.clipboard.writeText(command);
    void vscode.window.showInformationMessage(`Serving Lab: copied \`${command}\``);
    return command;
  }
}
