// Kill the CLI mid-experiment (SIGKILL: no chance to clean up, so the engine it launched keeps running), then
// resume: the leftover engine is stopped first, no finished point runs twice, nothing saved is lost, no engine is
// left. Also: Ctrl-C (SIGINT) stops the benchmark and the engine and saves the experiment as interrupted.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchmarkResult } from '../../../src/core/plan/schema';
import { CLI, killEngines, killGroup, liveEngineGroups, pointOf, runCli, simTuneHome, storeContents, waitFor } from './support';


// Small and fast: three variants, two workloads, short start-up at speedup 25.
const { home, simWorkDir, env, plan } = simTuneHome('serving-lab-resume-home-', 'small.plan.yaml', `name: resume test
model: zai-org/GLM-4.5-Air
baseline: { engine: vllm, parallel: { tp: 4 } }
stages:
  - name: Engine
    options:
      - { name: SGLang, variant: { engine: sglang, parallel: { tp: 4 } } }
  - name: Parallelism
    options:
      - { name: TP4+EP4, patch: { parallel: { ep: 4 } } }
workloads:
  primary: { preset: sharegpt, numPrompts: 60 }
  generalization:
    - { preset: medium-prompt, numPrompts: 30 }
simulator: { speedup: 25 }
`);

after(() => {
  killEngines(simWorkDir);
  rmSync(home, { recursive: true, force: true });
});

function startCli(results: string) {
  const child = spawn(process.execPath, [CLI, 'tune', plan, '--host', 'sim', '--results', results], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}


test('killed mid-experiment, then resumed: the leftover engine is stopped, nothing runs twice, nothing is lost', async () => {
  const results = join(home, 'store-kill');
  const cli = startCli(results);
  // Kill once two results are saved and the next engine is up (so an engine is left running).
  let before: BenchmarkResult[] = [];
  await waitFor('two saved results and a running engine', async () => {
    before = (await storeContents(results).catch(() => ({ results: [] as BenchmarkResult[] }))).results;
    return before.length >= 2 && cli.stderr().includes('launch  SGLang') && liveEngineGroups(simWorkDir).length > 0;
  });
  killGroup(cli.child.pid!, 'SIGKILL');
  await cli.exited;
  assert.ok(liveEngineGroups(simWorkDir).length > 0, 'the killed CLI left its engine running');
  const savedBefore = (await storeContents(results)).results;
  const id = (await storeContents(results)).experiments[0]!.id;

  const resumed = await runCli(['tune', plan, '--host', 'sim', '--results', results, '--resume', id, '--json'], env, 240_000);
  assert.equal(resumed.status, 0, resumed.stderr.slice(-3000));
  assert.match(resumed.stderr, /stopped engine run .* left behind/);
  const x = JSON.parse(resumed.stdout) as import('../../../src/core/plan/schema').Experiment;
  assert.equal(x.status, 'completed');
  assert.equal(x.id, id);

  const after = (await storeContents(results)).results;
  // Nothing lost: every result saved before the kill is still there, unchanged.
  for (const r of savedBefore) assert.deepEqual(after.find((a) => a.id === r.id), r);
  // Nothing twice: one complete result per point, and exactly the points the experiment records — the baseline, the
  // stages' options, and the generalization workload for baseline and recommendation (one point when the baseline wins).
  const complete = after.filter((r) => r.status === 'complete');
  assert.equal(new Set(complete.map(pointOf)).size, complete.length, complete.map(pointOf).join('\n'));
  const outcomes = [x.baseline, ...x.stages.flatMap((s) => s.options)].map((o) => o.outcome);
  const recorded = new Set([...outcomes.flatMap((o) => (o && 'resultIds' in o ? o.resultIds : [])), ...x.generalization.flatMap((g) => [...g.baselineResultIds, ...g.recommendedResultIds])]);
  assert.deepEqual(new Set(complete.map((r) => r.id)), recorded);
  assert.ok(x.generalization.every((g) => g.baselineResultIds.length === 1 && g.recommendedResultIds.length === 1));
  assert.deepEqual(liveEngineGroups(simWorkDir), [], 'no engine left running');
});

test('Ctrl-C stops the benchmark and the engine, keeps the partial result, and the resume re-runs that point', async () => {
  const ctrlcPlan = join(home, 'ctrlc.plan.yaml');
  writeFileSync(
    ctrlcPlan,
    `name: ctrl-c test
model: zai-org/GLM-4.5-Air
baseline: { engine: vllm, parallel: { tp: 4 } }
workloads:
  primary: { preset: long-prompt, numPrompts: 200 }
simulator: { speedup: 25 }
`,
  );
  const results = join(home, 'store-int');
  const child = spawn(process.execPath, [CLI, 'tune', ctrlcPlan, '--host', 'sim', '--results', results], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await waitFor('the benchmark to start', async () => stderr.includes('bench   Baseline'));
  await new Promise((r) => setTimeout(r, 2500));
  killGroup(child.pid!, 'SIGINT');
  const code = await exited;
  assert.equal(code, 1, stderr.slice(-2000));
  assert.match(stderr, /interrupted; what was measured is saved\. Continue with: serving-lab tune .* --resume x-/);
  const first = await storeContents(results);
  assert.equal(first.experiments[0]!.status, 'interrupted');
  const partial = first.results.filter((r) => r.status === 'interrupted');
  assert.equal(partial.length, 1, 'the cut-short benchmark is saved, marked interrupted');
  // (The client lets in-flight requests finish for a grace period, so the partial result may hold all of them.)
  assert.ok(partial[0]!.metrics.completed > 0);
  assert.deepEqual(liveEngineGroups(simWorkDir), [], 'the engine was stopped');

  const resumed = await runCli(['tune', ctrlcPlan, '--host', 'sim', '--results', results, '--resume', first.experiments[0]!.id, '--json'], env, 120_000);
  assert.equal(resumed.status, 0, resumed.stderr.slice(-2000));
  const after = (await storeContents(results)).results;
  assert.equal(after.filter((r) => r.status === 'complete').length, 1, 'the interrupted point ran again, once');
  assert.ok(after.some((r) => r.id === partial[0]!.id), 'the partial result is kept');
  assert.deepEqual(liveEngineGroups(simWorkDir), []);
});
