import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Experiment } from '../../../src/core/plan/schema';
import type { ResultsNode } from '../../../src/vscode/views/resultsTree';
import { api, waitFor } from './helpers';

suite('Benchmark GLM config on the simulated host', () => {
  test('launches the engine, benchmarks it, stores the result and shows it in the Results tree', async function () {
    this.timeout(240_000);
    const { lab, resultsTree } = await api();
    const experiment = (await vscode.commands.executeCommand('servingLab.benchmark', {
      host: 'sim',
      command: 'vllm serve zai-org/GLM-4.5-Air -tp 4',
      workload: 'random:512:128:200',
      // The native client streams per-request latencies, so the TTFT/TPOT/ITL chart has data too.
      runner: 'native',
    })) as Experiment | undefined;
    assert.ok(experiment, 'the command returns the experiment (see the Serving Lab log on failure)');
    assert.equal(experiment.status, 'completed', experiment.error);
    const outcome = experiment.baseline.outcome;
    assert.equal(outcome?.kind, 'measured', JSON.stringify(outcome));
    assert.ok(outcome && outcome.kind === 'measured');

    // The result is in the store, with the workload and metrics of this run.
    const result = await lab.store().loadResult(outcome.resultIds[0]!);
    assert.equal(result.experimentId, experiment.id);
    assert.equal(result.metrics.completed, 200);
    assert.equal(result.metrics.failed, 0);
    assert.ok(result.metrics.total_token_throughput > 0);
    assert.equal(result.workload?.dataset.kind, 'random');
    assert.match(result.commands.serve ?? '', /vllm serve zai-org\/GLM-4\.5-Air/);
    assert.ok(result.notes.some((n) => /simulat/i.test(n)), 'a simulated result says so');

    // The Results tree lists the experiment, and under it the result.
    const roots = await resultsTree.getChildren();
    const node = roots.find((n) => n.kind === 'experiment' && n.experiment.id === experiment.id);
    assert.ok(node, `experiment ${experiment.id} in the Results tree`);
    const experimentItem = await resultsTree.getTreeItem(node);
    assert.match(String(experimentItem.description), /^sim · \d+\.\d\d tok\/s total$/);
    const children = await resultsTree.getChildren(node);
    const resultNode = children.find((n): n is Extract<ResultsNode, { kind: 'result' }> => n.kind === 'result' && n.resultId === result.id);
    assert.ok(resultNode, 'the result under its experiment');
    const item = await resultsTree.getTreeItem(resultNode);
    assert.match(String(item.description), /tok\/s total/);

    // The engine was stopped after the benchmark.
    const engineRuns = [...lab.engineRuns.values()].filter((r) => r.host === 'sim');
    assert.ok(engineRuns.length > 0, 'the launch was recorded for the Hosts view');
    assert.ok(engineRuns.every((r) => r.state !== 'ready' && r.state !== 'starting'), JSON.stringify(engineRuns));

    // The dashboard got live samples and the final summary.
    const run = lab.dashboard.current.run;
    assert.ok(run && run.samples.length > 0, 'live samples reached the dashboard state');
    assert.equal(run.progress.phase, 'completed');
    assert.ok(run.summary.some((s) => s.label === 'Successful requests' && s.value === '200'));
    assert.ok(run.samples.some((s) => s.totalTokensPerS !== undefined), 'throughput from the engine\'s /metrics');
    assert.ok(run.samples.some((s) => s.ttftMs !== undefined), 'per-request latencies from the native client');
    // Showing the dashboard (it may be behind another editor) makes the page report what it drew.
    lab.dashboard.show();
    await waitFor(() => `the dashboard page to draw the throughput chart (open: ${lab.dashboard.isOpen}, last report: ${JSON.stringify(lab.dashboard.lastRendered)})`, () => ((lab.dashboard.lastRendered?.['throughput'] ?? 0) > 0 && (lab.dashboard.lastRendered?.['latency'] ?? 0) > 0) || undefined, 30_000);
  });

  test('a pasted command that is not a serve command is refused with a message, nothing launched', async () => {
    const { lab } = await api();
    const before = lab.engineRuns.size;
    const outcome = await vscode.commands.executeCommand('servingLab.benchmark', { host: 'sim', command: 'rm -rf /', workload: 'sharegpt' });
    assert.equal(outcome, undefined);
    assert.equal(lab.engineRuns.size, before);
  });
});
