import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Experiment } from '../../../src/core/plan/schema';
import { api, waitFor, workspaceDir } from './helpers';

suite('Run Tuning Plan on a pool of hosts', () => {
  const hostsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-e2e-pool-'));
  const config = () => vscode.workspace.getConfiguration('servingLab');

  suiteTeardown(async () => {
    await config().update('hosts', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(hostsDir, { recursive: true, force: true });
  });

  test("a plan's `hosts` run as a pool, as `serving-lab tune` runs them: the options on both hosts, each result naming its host", async function () {
    this.timeout(300_000);
    // Two simulated hosts known only to the extension's settings: separate work dirs are separate GPU hosts.
    await config().update(
      'hosts',
      ['pool-a', 'pool-b'].map((name) => ({ name, workDir: path.join(hostsDir, name), transport: { kind: 'sim' } })),
      vscode.ConfigurationTarget.Workspace,
    );
    const planFile = path.join(workspaceDir(), 'plans', 'pool.plan.yaml');
    fs.writeFileSync(
      planFile,
      [
        'name: batching on a pool (e2e)',
        'hosts: [pool-a, pool-b]',
        'model: zai-org/GLM-4.5-Air',
        'baseline: { engine: vllm, parallel: { tp: 4 } }',
        'stages:',
        '  - name: Batching',
        '    options:',
        '      - { name: seqs-128, patch: { batching: { maxNumSeqs: 128 } } }',
        '      - { name: seqs-256, patch: { batching: { maxNumSeqs: 256 } } }',
        'workloads:',
        '  primary: { preset: sharegpt, numPrompts: 40 }',
        'simulator: { speedup: 20 }',
        '',
      ].join('\n'),
    );
    const { lab } = await api();
    const running = vscode.commands.executeCommand('servingLab.runPlan', vscode.Uri.file(planFile)) as Thenable<Experiment | undefined>;
    // While both hosts serve, the run knows both engines (Stop Engine on either one stops the run, not only on the last launched).
    const both = await waitFor('the run to have an engine up on each host', () => [...lab.runs.values()].map((r) => [...r.engineRunIds]).find((ids) => ids.length === 2), 120_000);
    assert.deepEqual(both.map((id) => lab.engineRuns.get(id)?.host).sort(), ['pool-a', 'pool-b']);
    const experiment = await running;
    assert.ok(experiment, 'the command returns the experiment (see the Serving Lab log on failure)');
    assert.equal(experiment.status, 'completed', experiment.error);
    assert.equal(experiment.host.name, 'pool-a+pool-b');
    const results = (await lab.store().listResults()).results.filter((r) => r.experimentId === experiment.id);
    assert.equal(results.length, 3);
    assert.deepEqual([...new Set(results.map((r) => r.place?.host))].sort(), ['pool-a', 'pool-b']);
    // The Hosts view lists each engine under the host that ran it (by the id that host knows), stopped.
    const engines = [...lab.engineRuns.values()].filter((r) => r.host === 'pool-a' || r.host === 'pool-b');
    assert.deepEqual([...new Set(engines.map((r) => r.host))].sort(), ['pool-a', 'pool-b'], JSON.stringify([...lab.engineRuns.values()].map((r) => [r.host, r.id])));
    assert.ok(engines.length >= 3 && engines.every((r) => r.state === 'stopped' && !r.id.includes('@')), JSON.stringify(engines.map((r) => [r.host, r.id, r.state])));
    // The dashboard showed the run as two lanes, each with its own samples, and the page drew both lanes' charts.
    const lanes = lab.dashboard.current.run?.lanes ?? [];
    assert.deepEqual(lanes.map((l) => l.key), ['pool-a', 'pool-b']);
    assert.ok(lanes.every((l) => l.samples.some((s) => s.totalTokensPerS !== undefined) && l.state === 'idle'), JSON.stringify(lanes.map((l) => [l.key, l.state, l.samples.length])));
    assert.equal(lab.dashboard.current.run?.samples.length, 0, "no sample lands outside a host's lane");
    await waitFor(
      () => `the page to draw both lanes (last report: ${JSON.stringify(lab.dashboard.lastRendered)})`,
      () => ((lab.dashboard.lastRendered?.['lane pool-a throughput'] ?? 0) > 0 && (lab.dashboard.lastRendered?.['lane pool-b throughput'] ?? 0) > 0) || undefined,
      10_000,
    );
  });
});
