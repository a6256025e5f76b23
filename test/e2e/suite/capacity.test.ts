import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BenchmarkResult, Experiment } from '../../../src/core/plan/schema';
import type { ResultsNode } from '../../../src/vscode/views/resultsTree';
import { api, repo, waitFor } from './helpers';

suite('Find Capacity under SLO on the simulated host', () => {
  test('searches the capacity of one variant, the dashboard curve builds point by point, the Results tree shows the capacity', async function () {
    this.timeout(180_000);
    const { lab, resultsTree } = await api();
    lab.dashboard.show();
    // What the dashboard held after each update: points on the curve and the bracket.
    const seen: string[] = [];
    const watch = setInterval(() => {
      const c = lab.dashboard.current.curves?.curves[0];
      const entry = c ? `${c.points.length} [${c.bracket.lo ?? '?'}, ${c.bracket.hi ?? '?'}]` : undefined;
      if (entry && seen.at(-1) !== entry) seen.push(entry);
    }, 20);
    let experiment: Experiment | undefined;
    try {
      experiment = (await vscode.commands.executeCommand('servingLab.findCapacity', {
        host: 'sim',
        command: 'vllm serve zai-org/GLM-4.5-Air -tp 4',
        workload: 'random:512:64:60',
        slo: { p99TtftMs: 2000, p99TpotMs: 60, minSuccess: 0.99 },
        point: { warmup_s: 2, window_s: 8 },
        tolerance: '25%',
      })) as Experiment | undefined;
    } finally {
      clearInterval(watch);
    }
    assert.ok(experiment, 'the command returns the experiment (see the Serving Lab log on failure)');
    assert.equal(experiment.status, 'completed', experiment.error);
    const curve = experiment.curves[0];
    assert.ok(curve && curve.mode === 'capacity', 'one capacity curve');
    assert.equal(experiment.engineRunIds.length, 1, 'one launch for the whole search');
    assert.ok(curve.capacity, `a capacity was found: ${curve.stoppedEarly ?? ''}`);
    assert.ok(curve.breaksAt && curve.breaksAt.load !== 'inf' && curve.breaksAt.load > curve.capacity.load);

    // The dashboard drew the curve as it grew, not only at the end, and ended on the search's bracket.
    const counts = seen.map((s) => Number(s.split(' ')[0]));
    assert.ok(new Set(counts).size >= 3, `the curve grew point by point: ${seen.join(' → ')}`);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
    assert.equal(seen.at(-1), `${curve.points.length} [${curve.capacity.load}, ${curve.breaksAt.load}]`);
    await waitFor(() => `the page to draw the curve (last report ${JSON.stringify(lab.dashboard.lastRendered)})`, () => (lab.dashboard.lastRendered?.['curveTtft'] ?? 0) >= curve.points.length || undefined, 30_000);

    // The Results tree: the experiment's description is the capacity; the curve and its points are children.
    const node = (await resultsTree.getChildren()).find((n) => n.kind === 'experiment' && n.experiment.id === experiment!.id);
    assert.ok(node);
    assert.match(String((await resultsTree.getTreeItem(node)).description), /^sim · \d+\.\d\d req\/s \(\d+\.\d\d\/GPU\) within SLO · p99_\w+_ms breaks first$/);
    const curveNode = (await resultsTree.getChildren(node)).find((n): n is Extract<ResultsNode, { kind: 'curve' }> => n.kind === 'curve');
    assert.ok(curveNode, 'the curve under the experiment');
    const points = await resultsTree.getChildren(curveNode);
    assert.equal(points.length, curve.points.filter((p) => p.resultId).length);
    assert.match(String((await resultsTree.getTreeItem(points[0]!)).label), /req\/s, (meets|breaks) SLO$/);
  });
});

suite('Import Benchmark Result of a vllm bench sweep directory', () => {
  test('stores one load curve per serve configuration and draws them with their Pareto front', async () => {
    const { lab } = await api();
    const dir = vscode.Uri.file(path.join(repo(), 'test/fixtures/bench/imports/sweep-curves'));
    const imported = (await vscode.commands.executeCommand('servingLab.importResult', [dir])) as BenchmarkResult[];
    assert.equal(imported.length, 6);
    const curves = await waitFor('the sweep\'s curves in the dashboard', () => lab.dashboard.current.curves ?? undefined);
    assert.deepEqual(curves.curves.map((c) => [c.label, c.points.map((p) => p.load)]), [['max_num_seqs=256', [1, 8, 32]], ['max_num_seqs=64', [1, 8, 32]]]);
    assert.ok(curves.pareto.every((p) => p.points.some((q) => q.front)));
    const experiment = await lab.store().loadExperiment(imported[0]!.experimentId!);
    assert.equal(experiment.curves.length, 2);
  });
});
