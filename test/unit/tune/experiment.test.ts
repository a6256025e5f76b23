import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlanFile } from '../../../src/core/plan/load';
import { TuningPlan, type TuningPlanInput } from '../../../src/core/plan/schema';
import { parseServeCommand } from '../../../src/core/engines/index';
import { openResultsStore } from '../../../src/core/results/store';
import { runExperiment } from '../../../src/core/tune/experiment';
import type { LiveSample } from '../../../src/core/telemetry/samples';
import { FakeBackend, referenceThroughput } from './fakeBackend';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

async function referencePlan(): Promise<TuningPlan> {
  const r = await loadPlanFile('examples/glm-4.5-air-a100.plan.yaml');
  assert.ok(r.ok);
  return r.plan;
}

const tempStore = () => openResultsStore(tempDir('sl-tune-'));

test('the reference study reaches the reference decisions, with one launch per variant and no engine left', async () => {
  const plan = await referencePlan();
  const backend = new FakeBackend();
  const store = tempStore();
  const samples: LiveSample[] = [];
  const x = await runExperiment({ plan, backend, store, signal: new AbortController().signal, parseCommand: parseServeCommand, observer: { sample: (s) => samples.push(s) } });

  assert.equal(x.status, 'completed');
  const [engine, quant, parallel, attention, cuda] = x.stages;
  assert.equal(engine!.decision!.winner, 'SGLang');
  assert.ok(Math.abs(engine!.decision!.gainPct - 57.8) < 0.1, String(engine!.decision!.gainPct));
  assert.equal(engine!.decision!.withinNoise, false);
  const trt = engine!.options.find((o) => o.name === 'TensorRT-LLM')!;
  assert.equal(trt.outcome!.kind, 'crashed');

  const fp8 = quant!.options.find((o) => o.name === 'FP8')!;
  assert.equal(fp8.outcome!.kind, 'crashed');
  assert.match(fp8.outcome!.kind === 'crashed' ? fp8.outcome!.crash.rootCause : '', /FP8 is not supported/);
  assert.match(fp8.command, /sglang\.launch_server --model-path zai-org\/GLM-4\.5-Air-FP8 --tp-size 4/);
  assert.equal(quant!.decision!.winner, 'SGLang', 'the incumbent stays when the only option crashes');

  assert.equal(parallel!.options.find((o) => o.name === 'PP4')!.outcome!.kind, 'crashed');
  assert.equal(parallel!.decision!.winner, 'TP4+EP4');
  assert.ok(Math.abs(parallel!.decision!.gainPct - 1.38) < 0.01);
  assert.equal(parallel!.decision!.withinNoise, true, 'a +1.4% gain without repeats is within noise');
  assert.match(parallel!.decision!.why, /within run-to-run noise/);

  assert.equal(attention!.decision!.winner, 'TP4+EP4');
  assert.equal(cuda!.decision!.winner, 'TP4+EP4');
  assert.deepEqual(x.recommendation!.variant.parallel, { tp: 4, pp: 1, dp: 1, ep: 4 });
  assert.equal(x.recommendation!.variant.engine, 'sglang');
  assert.equal(x.recommendation!.variant.attentionBackend, undefined);
  assert.match(x.recommendation!.command, /--tp-size 4 --ep-size 4/);

  // Generalization: baseline and recommended on all five workloads.
  assert.deepEqual(x.generalization.map((g) => g.workload.name), ['ShareGPT', 'Very Long Prompt', 'Long Prompt', 'Medium Prompt', 'Short Prompt']);
  for (const g of x.generalization) {
    assert.equal(g.baselineResultIds.length, 1, g.workload.name);
    assert.equal(g.recommendedResultIds.length, 1, g.workload.name);
  }

  // Launch economy: the baseline runs all five workloads on one launch; the engine stage's vLLM option is the
  // baseline itself and is not launched again; the recommendation is launched once more for the other workloads.
  const vllmLaunches = backend.launches.filter((c) => c.startsWith('vllm serve'));
  assert.equal(vllmLaunches.length, 1);
  assert.equal(backend.launches.length, 1 + 2 + 1 + 2 + 3 + 1 + 1, backend.launches.join('\n'));
  assert.equal(backend.benchmarks.length, 5 + 1 + 1 + 3 + 1 + 4);
  assert.equal(backend.running.size, 0, 'every engine stopped');
  assert.deepEqual(x.engineRunIds.length, backend.launches.length);

  // Everything is on disk: the manifest, and one result per benchmark, each naming its point.
  const { results, problems } = await store.listResults();
  assert.deepEqual(problems, []);
  assert.equal(results.length, backend.benchmarks.length);
  assert.deepEqual(await store.loadExperiment(x.id), x);
  assert.ok(results.every((r) => r.experimentId === x.id && r.commands.serve && r.commands.bench));
  assert.ok(samples.length >= results.length);
});

test('repeats reset the prefix cache between runs and measure the spread', async () => {
  const base = await referencePlan();
  const plan = TuningPlan.parse({ ...base, repeats: 3, stages: base.stages.slice(2, 3), workloads: { primary: 'sharegpt' }, baseline: { engine: 'sglang', parallel: { tp: 4 } } });
  const wobble = [1.0, 0.97, 1.03];
  const backend = new FakeBackend({ throughput: (v, _w, repeat) => referenceThroughput(v) * wobble[repeat - 1]! });
  const x = await runExperiment({ plan, backend, store: tempStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  const decision = x.stages[0]!.decision!;
  assert.equal(decision.winner, 'TP4+EP4');
  assert.equal(decision.withinNoise, true, 'a 1.4% gain inside a ±3% spread is noise');
  assert.match(decision.why, /measured run-to-run spread/);
  assert.equal(x.baseline.outcome!.kind === 'measured' && x.baseline.outcome!.objective.n, 3);
  assert.ok(x.baseline.outcome!.kind === 'measured' && x.baseline.outcome!.objective.stdev! > 100);
  // 2 launches × (3 repeats − 1) resets; PP4 crashed so it never benchmarked.
  assert.equal(backend.resets, 4);
  assert.equal(backend.warmups, 2);
});

test('when the engine refuses a cache reset, repeats change the seed and say so', async () => {
  const base = await referencePlan();
  const plan = TuningPlan.parse({ ...base, repeats: 2, stages: [], workloads: { primary: 'long-prompt' } });
  const store = tempStore();
  const backend = new FakeBackend({ resetWorks: false });
  await runExperiment({ plan, backend, store, signal: new AbortController().signal, parseCommand: parseServeCommand });
  assert.deepEqual(backend.benchmarks.map((b) => b.seed), [42, 43]);
  const { results } = await store.listResults();
  assert.ok(results.some((r) => r.notes.some((n) => /seed 43 used instead of 42/.test(n))));
});

test('Ctrl-C saves what was measured and stops the engine; resume runs only what is missing', async () => {
  const plan = await referencePlan();
  const store = tempStore();
  const controller = new AbortController();
  const first = new FakeBackend({ beforeBenchmark: (i) => (i === 7 ? controller.abort() : undefined) });
  const interrupted = await runExperiment({ plan, backend: first, store, signal: controller.signal, parseCommand: parseServeCommand });
  assert.equal(interrupted.status, 'interrupted');
  assert.equal(first.running.size, 0, 'the engine was stopped');
  const partial = (await store.listResults()).results;
  assert.equal(partial.length, 8);
  assert.equal(partial.filter((r) => r.status === 'interrupted').length, 1, 'the cut-short run is kept, marked interrupted');

  await assert.rejects(
    runExperiment({ plan, backend: new FakeBackend({ hostName: 'other' }), store, signal: new AbortController().signal, parseCommand: parseServeCommand, resumeId: interrupted.id }),
    /ran on host "fake", not "other": resume it with --host fake/,
  );
  const second = new FakeBackend({ leftovers: interrupted.engineRunIds.slice(-1) });
  const resumed = await runExperiment({ plan, backend: second, store, signal: new AbortController().signal, parseCommand: parseServeCommand, resumeId: interrupted.id });
  assert.equal(resumed.status, 'completed');
  assert.equal(resumed.id, interrupted.id);
  assert.deepEqual(second.stoppedLeftovers, interrupted.engineRunIds.slice(-1), 'a leftover engine is stopped first');
  // Exactly the 15 benchmarks of an uninterrupted run: 7 before the interruption + 8 after (the interrupted one again).
  assert.equal(first.benchmarks.length - 1 + second.benchmarks.length, 15);
  const complete = (await store.listResults()).results.filter((r) => r.status === 'complete');
  const points = complete.map((r) => `${r.stage}/${r.option}/${r.workload!.name}/${r.repeat}`);
  assert.equal(new Set(points).size, points.length, 'no point measured twice');
  assert.equal(complete.length, 15);
  assert.equal(resumed.recommendation!.variant.parallel.ep, 4);
  assert.match(resumed.notes.join('\n'), /resumed at .* \(7 finished benchmark runs kept\)/);
  await assert.rejects(
    runExperiment({ plan, backend: new FakeBackend(), store, signal: new AbortController().signal, parseCommand: parseServeCommand, resumeId: interrupted.id }),
    /already completed/,
  );
  await assert.rejects(
    runExperiment({ plan: { ...plan, repeats: 2 }, backend: new FakeBackend(), store, signal: new AbortController().signal, parseCommand: parseServeCommand, resumeId: interrupted.id }),
    /plan differs/,
  );
});

test('constraints exclude an option however fast it is', async () => {
  const base = await referencePlan();
  const plan = TuningPlan.parse({ ...base, stages: base.stages.slice(0, 1), workloads: { primary: 'sharegpt' }, constraints: [{ metric: 'p99_tpot_ms', max: 500 }] });
  const backend = new FakeBackend({ extraMetrics: (v) => ({ p99_tpot_ms: v.engine === 'sglang' ? 2061.59 : 210.38 }) });
  const x = await runExperiment({ plan, backend, store: tempStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  const sglang = x.stages[0]!.options.find((o) => o.name === 'SGLang')!;
  assert.equal(sglang.outcome!.kind, 'violates-constraints');
  assert.deepEqual(sglang.outcome!.kind === 'violates-constraints' && sglang.outcome!.violations, ['p99_tpot_ms 2061.59 > max 500']);
  assert.equal(x.stages[0]!.decision!.winner, 'Baseline');
  assert.equal(x.recommendation!.variant.engine, 'vllm');
});

test('grid search measures every distinct combination and a budget skips the rest', async () => {
  const base = await referencePlan();
  const input: TuningPlanInput = { ...base, strategy: 'grid', stages: [base.stages[0]!, base.stages[2]!], workloads: { primary: 'sharegpt' } };
  const backend = new FakeBackend();
  const x = await runExperiment({ plan: TuningPlan.parse(input), backend, store: tempStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  const grid = x.stages[0]!;
  assert.equal(grid.name, 'Grid');
  // 3 engines × {as is, PP4, TP4+EP4} = 9, minus the baseline itself.
  assert.equal(grid.options.filter((o) => !o.incumbent).length, 8);
  assert.equal(grid.decision!.winner, 'SGLang + TP4+EP4');

  const limited = new FakeBackend();
  const y = await runExperiment({ plan: TuningPlan.parse({ ...input, budget: { maxRuns: 2 } }), backend: limited, store: tempStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  const skipped = y.stages[0]!.options.filter((o) => o.outcome?.kind === 'skipped');
  assert.ok(skipped.length >= 3, `${skipped.length} skipped`);
  assert.equal(limited.benchmarks.length, 1 + 2, 'the baseline plus the two runs the budget allows');
  assert.match(skipped[0]!.outcome!.kind === 'skipped' ? skipped[0]!.outcome!.why : '', /budget of 2 benchmark runs used up/);
});

test('a crashed baseline fails the experiment with the root cause and what to do', async () => {
  const base = await referencePlan();
  const plan = TuningPlan.parse({ ...base, baseline: { engine: 'sglang', model: 'zai-org/GLM-4.5-Air-FP8', parallel: { tp: 4 } } });
  const store = tempStore();
  await assert.rejects(runExperiment({ plan, backend: new FakeBackend(), store, signal: new AbortController().signal, parseCommand: parseServeCommand }), /baseline crashed \(fp8-unsupported: .*FP8 is not supported.*\); fix the baseline/);
  const { experiments } = await store.listExperiments();
  assert.equal(experiments[0]!.status, 'failed');
});

test('a port taken between pick and bind is retried, not recorded as the variant crashing', async () => {
  const base = await referencePlan();
  const plan = TuningPlan.parse({ ...base, stages: [], workloads: { primary: 'sharegpt' } });
  const backend = new FakeBackend({ portBusy: 2 });
  const x = await runExperiment({ plan, backend, store: tempStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  assert.equal(x.baseline.outcome!.kind, 'measured');
  assert.equal(backend.launches.length, 3);
});

test('an engine that dies during its benchmark is that option\'s crash (with the root cause); the stage goes on', async () => {
  const base = await referencePlan();
  const plan = TuningPlan.parse({ ...base, stages: base.stages.slice(0, 1), workloads: { primary: 'sharegpt' } });
  const backend = new FakeBackend({ diesDuringBenchmark: (v) => v.engine === 'sglang' });
  const x = await runExperiment({ plan, backend, store: tempStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  const sglang = x.stages[0]!.options.find((o) => o.name === 'SGLang')!.outcome!;
  assert.equal(sglang.kind, 'crashed');
  assert.equal(sglang.kind === 'crashed' && sglang.crash.reason, 'oom');
  assert.equal(x.status, 'completed');
  assert.equal(x.recommendation!.variant.engine, 'vllm');
  assert.equal(backend.running.size, 0);
});

test('a grid over a space leaves out the candidates the engine refuses (a draft the model lacks) and says why', async () => {
  const input: TuningPlanInput = {
    name: 'spec',
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    baseline: { engine: 'vllm' },
    space: { speculative: ['none', { method: 'mtp', numSpeculativeTokens: 3 }, { method: 'eagle3', numSpeculativeTokens: 3 }] },
    strategy: 'grid',
    workloads: { primary: 'sharegpt' },
  };
  const lines: string[] = [];
  const backend = new FakeBackend();
  const x = await runExperiment({ plan: TuningPlan.parse(input), backend, store: tempStore(), signal: new AbortController().signal, parseCommand: parseServeCommand, observer: { log: (l) => lines.push(l) } });
  assert.equal(x.status, 'completed');
  assert.deepEqual(x.stages[0]!.options.filter((o) => !o.incumbent).map((o) => o.name), ['EAGLE-3 ×3']);
  assert.ok(lines.some((l) => /Grid \/ MTP ×3: not measured, speculative: meta-llama\/Llama-3\.1-8B-Instruct has no MTP layers/.test(l)), lines.join('\n'));
});
