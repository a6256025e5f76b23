import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Experiment } from '../../../src/core/plan/schema';
import type { Comparison } from '../../../src/shared/protocol';
import { api, workspaceDir } from './helpers';

suite('Run Tuning Plan on the simulated host', () => {
  test('runs the stages, records the FP8 crash, compares baseline and recommendation, and writes the findings up', async function () {
    this.timeout(420_000);
    const { resultsTree } = await api();
    const planFile = vscode.Uri.file(path.join(workspaceDir(), 'plans', 'smoke.plan.yaml'));
    const experiment = (await vscode.commands.executeCommand('servingLab.runPlan', planFile)) as Experiment | undefined;
    assert.ok(experiment, 'the command returns the experiment (see the Serving Lab log on failure)');
    assert.equal(experiment.status, 'completed', experiment.error);
    assert.equal(experiment.planPath, planFile.fsPath);

    const [engine, quantization] = experiment.stages;
    // Which engine wins at this small size is the simulator's business; the decision must be recorded and explained.
    assert.ok(engine?.decision && ['Baseline', 'vLLM', 'SGLang'].includes(engine.decision.winner), JSON.stringify(engine?.decision));
    assert.match(engine.decision.why, /\d/);
    const fp8 = quantization?.options.find((o) => o.name === 'FP8');
    assert.equal(fp8?.outcome?.kind, 'crashed');
    assert.ok(fp8?.outcome?.kind === 'crashed');
    assert.equal(fp8.outcome.crash.reason, 'fp8-unsupported');
    assert.match(experiment.recommendation?.command ?? '', /^(vllm serve|python3 -m sglang\.launch_server) /);
    assert.equal(experiment.generalization.length, 2);

    // The tree marks the crash and the stage winner.
    const node = (await resultsTree.getChildren()).find((n) => n.kind === 'experiment' && n.experiment.id === experiment.id);
    assert.ok(node);
    const stages = await resultsTree.getChildren(node);
    const quantizationOptions = await Promise.all((await resultsTree.getChildren(stages[2]!)).map((o) => resultsTree.getTreeItem(o)));
    assert.match(String(quantizationOptions.find((o) => o.label === 'FP8')?.description), /^crash: fp8-unsupported/);

    // Baseline vs optimized per workload, as the dashboard's comparison view shows it.
    const comparison = (await vscode.commands.executeCommand('servingLab.compareWithBaseline', experiment.id)) as Comparison | undefined;
    assert.deepEqual(comparison?.rows.map((r) => r.workload), experiment.generalization.map((g) => g.workload.name));
    assert.ok(comparison!.rows.every((r) => r.baseline! > 0 && r.optimized! > 0));

    // The findings go into a new doc under docs/ when no markdown editor is open.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const inserted = (await vscode.commands.executeCommand('servingLab.insertFindings', experiment.id)) as { document: vscode.Uri; chartFile: string } | undefined;
    assert.ok(inserted);
    const page = fs.readFileSync(inserted.document.fsPath, 'utf8');
    assert.match(page, /Result: (SGLang|vLLM|Baseline) \([\d.]+ tok\/s\) > /);
    assert.match(page, /> FP8 \(crash: /);
    assert.match(page, /# Crash\. /);
    assert.ok(fs.existsSync(inserted.chartFile));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
