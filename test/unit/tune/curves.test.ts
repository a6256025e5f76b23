import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeCommand, renderVariant } from '../../../src/core/engines/index';
import { loadPlanFile } from '../../../src/core/plan/load';
import { TuningPlan } from '../../../src/core/plan/schema';
import { openResultsStore } from '../../../src/core/results/store';
import { capacityBracket, type CurveProgress } from '../../../src/core/tune/curve';
import { runExperiment } from '../../../src/core/tune/experiment';
import { PredictingBackend } from '../../../src/core/tune/predict';
import { FakeBackend } from './fakeBackend';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

function predicting() {
  return new PredictingBackend(
    { runner: 'native', launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: (_v, w) => `bench ${w.name} ${w.requestRate}` },
    { facts: { name: 'sim', gpus: [], engineVersions: {}, simulated: true }, gpu: 'A100-SXM4-80GB', count: 4, speedup: 1 },
  );
}

async function capacityPlan(): Promise<TuningPlan> {
  const loaded = await loadPlanFile('examples/glm-4.5-air-a100.capacity.plan.yaml');
  assert.ok(loaded.ok);
  return loaded.plan;
}

test('a capacity plan measures one curve per variant on one launch each, and decides by capacity per GPU', async () => {
  const plan = await capacityPlan();
  const backend = predicting();
  const store = openResultsStore(tempDir('sl-cap-'));
  const x = await runExperiment({ plan, backend, store, signal: new AbortController().signal, parseCommand: parseServeCommand });
  assert.equal(x.status, 'completed');
  assert.equal(backend.steps.filter((s) => s.kind === 'launch').length, 4, 'one launch per variant for its whole curve');
  assert.equal(x.curves.length, 4);
  for (const c of x.curves) {
    assert.ok(c.capacity, `${c.option} has a capacity`);
    assert.equal(c.points[0]!.value, 'inf', 'the search starts with the saturated point');
    assert.ok(c.breaksAt && c.breaksAt.load !== 'inf' && c.breaksAt.load > c.capacity.load);
    assert.ok((c.breaksAt.load - c.capacity.load) / c.capacity.load <= 0.05, 'the bracket is within the tolerance');
    assert.equal(c.capacity.perGpu, c.capacity.requestRate / 4);
  }
  const vllm = x.curves.find((c) => c.option === 'Baseline')!;
  const ep = x.curves.find((c) => c.option === 'SGLang TP4+EP4')!;
  // SGLang saturates higher but its decode steps are slower under load: the TPOT limit breaks first.
  assert.ok(ep.points[0]!.metrics['request_throughput']! > vllm.points[0]!.metrics['request_throughput']!);
  assert.ok(vllm.capacity!.requestRate > ep.capacity!.requestRate);
  assert.equal(ep.breaksAt!.limit, 'p99_tpot_ms');
  const best = [...x.curves].sort((a, b) => b.capacity!.perGpu - a.capacity!.perGpu)[0]!;
  assert.equal(x.stages[0]!.decision!.winner, best.option);
  // Every point is a stored result that says where it sits on its curve.
  const { results } = await store.listResults();
  assert.equal(results.length, x.curves.reduce((n, c) => n + c.points.length, 0));
  assert.ok(results.every((r) => r.load && r.load.gpus === 4 && typeof r.load.meetsSlo === 'boolean'));
  assert.ok(results.filter((r) => r.load!.value !== 'inf').every((r) => r.load!.window && r.load!.window.startS >= 15), 'warm-up excluded');
});

test('the budget covers both levels: load points count as runs and a curve cut short says why', async () => {
  const plan = TuningPlan.parse({ ...(await capacityPlan()), budget: { maxRuns: 6 } });
  const x = await runExperiment({ plan, backend: predicting(), store: openResultsStore(tempDir('sl-capb-')), signal: new AbortController().signal, parseCommand: parseServeCommand });
  const searched = x.curves.filter((c) => c.option !== 'Baseline');
  assert.equal(searched.reduce((n, c) => n + c.points.length, 0), 6);
  assert.match(searched.at(-1)!.stoppedEarly ?? '', /budget/);
  const skipped = x.stages.flatMap((s) => s.options).filter((o) => o.outcome?.kind === 'skipped');
  assert.ok(skipped.length >= 0);
});

test('the prefix cache is reset between the points of a curve, and a resumed experiment does not re-run finished points', async () => {
  const plan = TuningPlan.parse({ ...(await capacityPlan()), stages: [], load: { sweep: { request_rates: [1, 2, 4] } }, objective: 'total_token_throughput' });
  const backend = new FakeBackend();
  const store = openResultsStore(tempDir('sl-capr-'));
  const abort = new AbortController();
  const first = new FakeBackend({ beforeBenchmark: (i) => i === 2 && abort.abort() });
  const x = await runExperiment({ plan, backend: first, store, signal: abort.signal, parseCommand: parseServeCommand });
  assert.equal(x.status, 'interrupted');
  assert.equal(first.resets, 2, 'reset before the second and third point of the launch');
  const resumed = await runExperiment({ plan, backend, store, signal: new AbortController().signal, parseCommand: parseServeCommand, resumeId: x.id });
  assert.equal(resumed.status, 'completed');
  assert.deepEqual(backend.benchmarks.map((b) => b.workload), ['ShareGPT'], 'only the interrupted point runs again');
  assert.deepEqual(resumed.curves[0]!.points.map((p) => p.value), [1, 2, 4]);
});

test('the observer sees each curve build point by point, the capacity bracket narrowing to the final capacity', async () => {
  const plan = TuningPlan.parse({ ...(await capacityPlan()), stages: [] });
  const updates: Array<{ experimentId: string; progress: CurveProgress }> = [];
  const x = await runExperiment({
    plan,
    backend: predicting(),
    store: openResultsStore(tempDir('sl-capo-')),
    signal: new AbortController().signal,
    parseCommand: parseServeCommand,
    observer: { curve: (experimentId, progress) => updates.push({ experimentId, progress }) },
  });
  const curve = x.curves[0]!;
  assert.ok(updates.every((u) => u.experimentId === x.id));
  assert.deepEqual(updates.map((u) => u.progress.curve.points.length), [0, ...curve.points.map((_, i) => i + 1), curve.points.length], 'one update at the start, one per point, one at the end');
  assert.deepEqual(updates.map((u) => u.progress.done), [...updates.slice(1).map(() => false), true]);
  // The bracket only narrows once both ends are known, and ends on the capacity and the first break.
  const widths = updates.flatMap((u) => (u.progress.bracket.lo !== undefined && u.progress.bracket.hi !== undefined ? [u.progress.bracket.hi - u.progress.bracket.lo] : []));
  assert.ok(widths.length >= 3, `the bracket was known for ${widths.length} updates`);
  assert.ok(widths.every((w, i) => i === 0 || w <= widths[i - 1]!), `widths ${widths.join(', ')} never grow`);
  assert.deepEqual(updates.at(-1)!.progress.bracket, { lo: curve.capacity!.load, hi: curve.breaksAt!.load });
  // Updates are snapshots: a later point does not change what an earlier update reported.
  assert.equal(updates[1]!.progress.curve.points.length, 1);
});

test('the capacity bracket from points: the lowest break, the highest load below it that always met the SLO', () => {
  assert.deepEqual(capacityBracket([]), {});
  assert.deepEqual(capacityBracket([{ value: 'inf', meetsSlo: false }]), {}, 'the saturated point bounds nothing');
  assert.deepEqual(capacityBracket([{ value: 4, meetsSlo: true }, { value: 8, meetsSlo: true }]), { lo: 8 });
  assert.deepEqual(capacityBracket([{ value: 8, meetsSlo: false }, { value: 4, meetsSlo: true }, { value: 6, meetsSlo: true }, { value: 7, meetsSlo: false }]), { lo: 6, hi: 7 });
  // A boundary that broke on its repeat is the new upper end.
  assert.deepEqual(capacityBracket([{ value: 4, meetsSlo: true }, { value: 6, meetsSlo: true }, { value: 7, meetsSlo: false }, { value: 6, meetsSlo: false }]), { lo: 4, hi: 6 });
  assert.deepEqual(capacityBracket([{ value: 2, meetsSlo: false }, { value: 4, meetsSlo: true }]), { hi: 2 }, 'a pass above the first break is noise, not capacity');
});
