import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BenchmarkResult } from '../../../src/core/plan/schema';
import type { HostCheck } from '../../../src/core/remote/check';
import { api, repo, waitFor, workspaceDir } from './helpers';

suite('hosts, import/export and the dashboard', () => {
  test('Check Host lists the simulated host\'s GPUs and engines in the Hosts view', async function () {
    this.timeout(120_000);
    const { hostsTree } = await api();
    const check = (await vscode.commands.executeCommand('servingLab.checkHost', 'sim')) as HostCheck | undefined;
    assert.ok(check, 'Check Host returns what it found');
    assert.equal(check.gpus.length, 4);
    assert.match(check.gpus[0]!.name, /A100/);
    assert.ok(check.engines.some((e) => e.engine === 'vllm' && e.usable && e.version === '0.11.0'), JSON.stringify(check.engines));
    const sim = hostsTree.getChildren().find((n) => n.kind === 'host' && n.host.name === 'sim');
    assert.ok(sim);
    const children = hostsTree.getChildren(sim).map((n) => hostsTree.getTreeItem(n));
    assert.equal(children.filter((c) => String(c.label).startsWith('GPU ')).length, 4);
    assert.ok(children.some((c) => c.label === 'vllm' && /0\.11\.0/.test(String(c.description))));
  });

  test('Import Benchmark Result reads vLLM output into the store; Export Results writes CSV', async () => {
    const { resultsTree } = await api();
    const file = vscode.Uri.file(path.join(repo(), 'test/fixtures/bench/vllm-current.txt'));
    const imported = (await vscode.commands.executeCommand('servingLab.importResult', [file])) as BenchmarkResult[];
    assert.equal(imported.length, 1);
    assert.equal(imported[0]!.runner, 'imported');
    await waitFor('the imported result under "Other results"', async () => {
      const other = (await resultsTree.getChildren()).find((n) => n.kind === 'standalone');
      return other && (await resultsTree.getChildren(other)).some((n) => n.kind === 'result' && n.resultId === imported[0]!.id);
    });
    const csv = vscode.Uri.file(path.join(workspaceDir(), 'export.csv'));
    await vscode.commands.executeCommand('servingLab.exportResults', csv);
    const text = fs.readFileSync(csv.fsPath, 'utf8');
    assert.match(text.split('\n')[0]!, /^id,createdAt,status,/);
    assert.ok(text.includes(imported[0]!.id));
  });

  test('the dashboard gets a fresh snapshot when it is shown again after being hidden', async function () {
    this.timeout(60_000);
    const { lab } = await api();
    lab.dashboard.show();
    await waitFor('the dashboard to report a render', () => lab.dashboard.lastRendered);
    // Hide it behind a text editor in the same group: the page is discarded (not retained while hidden).
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(workspaceDir(), 'README.md')), { viewColumn: vscode.ViewColumn.Active });
    let rerendered: Record<string, number> | undefined;
    const subscription = lab.dashboard.onDidRender((charts) => (rerendered = charts));
    try {
      lab.dashboard.show();
      const charts = await waitFor('a render after the dashboard is shown again', () => rerendered);
      // The throughput chart holds one point per total and per output throughput sample of the run the extension keeps.
      const samples = lab.dashboard.current.run?.samples ?? [];
      const expected = samples.filter((s) => s.totalTokensPerS !== undefined).length + samples.filter((s) => s.outputTokensPerS !== undefined).length;
      assert.ok(expected > 0, 'the earlier benchmark left live samples in the dashboard state');
      assert.equal(charts['throughput'], expected, 'the re-shown page drew every sample of the snapshot');
    } finally {
      subscription.dispose();
    }
  });
});
