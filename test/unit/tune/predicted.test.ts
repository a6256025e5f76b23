import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeCommand, renderVariant } from '../../../src/core/engines/index';
import { TuningPlan, type Experiment, type HostFacts, type TuningPlanInput } from '../../../src/core/plan/schema';
import { searchDryRunLines, searchSection } from '../../../src/core/report/search';
import { openMemoryStore } from '../../../src/core/results/memory';
import { openResultsStore, type ResultsStore } from '../../../src/core/results/store';
import { HostProfile } from '../../../src/core/sim/hostProfile';
import { runExperiment } from '../../../src/core/tune/experiment';
import type { RunObserver, SearchProgress } from '../../../src/core/tune/observer';
import { PredictingBackend } from '../../../src/core/tune/predict';
import { variantKey } from '../../../src/core/tune/search';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

// A host the simulator does not know: slower memory, SGLang slower per step, vLLM's FP8 KV cache crashing.
const PROFILE = HostProfile.parse({ memoryBandwidth: 0.8, stepOverheadS: { sglang: 0.004 }, crashes: [{ engine: 'vllm', args: '--kv-cache-dtype fp8' }] });
const FACTS: HostFacts = { name: 'sim', gpus: [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 })), engineVersions: {}, simulated: true };

const plan = (strategy: 'grid' | 'predicted', budget: TuningPlanInput['budget'] = {}) =>
  TuningPlan.parse({
    name: 'space',
    model: 'zai-org/GLM-4.5-Air',
    baseline: { engine: 'vllm', parallel: { tp: 4 }, batching: { maxNumSeqs: 8 } },
    space: { engine: ['vllm', 'sglang'], batching: [{}, { maxNumSeqs: 16 }, { maxNumSeqs: 32 }], kvCacheDtype: [null, 'fp8'] },
    strategy,
    budget,
    workloads: { primary: { preset: 'sharegpt', numPrompts: 60 } },
  } satisfies TuningPlanInput);

async function run(p: TuningPlan, profile?: HostProfile, options: { store?: ResultsStore; signal?: AbortSignal; resumeId?: string; onResult?: () => void; observer?: RunObserver } = {}): Promise<{ x: Experiment; launches: number }> {
  const backend = new PredictingBackend(
    { runner: 'vllm-bench', launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: (_v, w) => `bench ${w.name}` },
    { facts: FACTS, gpu: 'A100-SXM4-80GB', count: 4, speedup: 1, ...(profile ? { profile } : {}) },
  );
  const x = await runExperiment({
    plan: p,
    backend,
    store: options.store ?? openMemoryStore(),
    signal: options.signal ?? new AbortController().signal,
    parseCommand: parseServeCommand,
    ...(options.resumeId ? { resumeId: options.resumeId } : {}),
    ...(options.onResult ? { observer: { resultSaved: options.onResult } } : options.observer ? { observer: options.observer } : {}),
  });
  return { x, launches: backend.steps.filter((s) => s.kind !== 'benchmark').length };
}

test('on a host that deviates from the simulator, the predicted search finds the grid’s best with fewer launches', async () => {
  const grid = await run(plan('grid'), PROFILE);
  const search = await run(plan('predicted'), PROFILE);
  assert.equal(search.x.status, 'completed');
  assert.equal(variantKey(search.x.recommendation!.variant), variantKey(grid.x.recommendation!.variant), `${search.x.recommendation!.command} vs ${grid.x.recommendation!.command}`);
  assert.ok(search.launches < grid.launches, `${search.launches} launches vs the grid's ${grid.launches}`);
  const s = search.x.search!;
  // SGLang has no plain "fp8" KV dtype: the simulator rules those out before anything runs, with the engine's words.
  const predictedCrashes = s.candidates.filter((c) => c.skipped?.kind === 'predicted-crash');
  assert.ok(predictedCrashes.length > 0 && predictedCrashes.every((c) => c.variant.engine === 'sglang' && /invalid choice/.test(c.skipped!.why)));
  assert.match(s.stopped!, /no unmeasured candidate can beat the best measured|every candidate/);
  assert.ok(s.errorAfterPct! < s.errorBeforePct!, `error ${s.errorBeforePct} → ${s.errorAfterPct}`);
  assert.ok(s.corrections!.memoryTimeScale > 1, 'slower memory is learned as more memory time');
  assert.ok(s.gpuSeconds > 0 && s.gpuSeconds < s.gridGpuSeconds);

  const section = searchSection(search.x, (f) => `assets/${f}`)!;
  assert.match(section.markdown, /^## How the search spent its time/);
  assert.match(section.markdown, /\| Candidate \(in the order measured\) \|/);
  const measured = s.steps.filter((st) => st.measured !== undefined).length;
  assert.equal((section.assets[0]!.svg.match(/<circle class="(raw|fit)"[^>]*><title>/g) ?? []).length, 2 * measured);
  assert.match(searchDryRunLines(s).join('\n'), /expected: \d+ launches .* GPU-hours of measuring against/);
});

test('a measured crash the simulator did not foresee is kept with its reason and never recommended', async () => {
  // Only vLLM candidates, so the search has to try the FP8 KV cache the simulator thinks is fastest.
  const p = plan('predicted');
  const vllmOnly = TuningPlan.parse({ ...p, space: { ...p.space, engine: ['vllm'] } });
  const { x } = await run(vllmOnly, PROFILE);
  const crashed = x.search!.steps.filter((st) => st.crashed);
  assert.ok(crashed.length >= 1, JSON.stringify(x.search!.steps));
  assert.ok(crashed.every((st) => /illegal memory access/.test(st.crashed!)));
  assert.equal(x.recommendation!.variant.kvCacheDtype, undefined);
});

test('the budget stops the search and says so', async () => {
  const { x } = await run(plan('predicted', { maxRuns: 1 }), PROFILE);
  assert.equal(x.search!.steps.length, 1);
  assert.match(x.search!.stopped!, /budget of 1 benchmark runs used up/);
  assert.ok(x.search!.candidates.some((c) => c.skipped?.kind === 'budget'));
});

test('an interrupted predicted search resumes where it stopped: nothing measured again, the same result', async () => {
  const store = openResultsStore(tempDir('sl-predicted-'));
  const controller = new AbortController();
  let saved = 0;
  // Stop after the baseline and the first candidate.
  const first = await run(plan('predicted'), PROFILE, { store, signal: controller.signal, onResult: () => ++saved === 2 && controller.abort() });
  assert.equal(first.x.status, 'interrupted');
  const measuredBefore = first.x.search!.steps.filter((st) => st.measured !== undefined || st.crashed !== undefined).map((st) => st.candidate);
  assert.equal(measuredBefore.length, 1);
  const resumed = await run(plan('predicted'), PROFILE, { store, resumeId: first.x.id });
  assert.equal(resumed.x.status, 'completed');
  const steps = resumed.x.search!.steps.map((st) => st.candidate);
  assert.equal(new Set(steps).size, steps.length, `a candidate measured twice: ${steps.join(', ')}`);
  assert.equal(steps[0], measuredBefore[0]);
  const uninterrupted = await run(plan('predicted'), PROFILE);
  assert.equal(variantKey(resumed.x.recommendation!.variant), variantKey(uninterrupted.x.recommendation!.variant));
});

test('per GPU, the search ranks and recommends a TP2 where total throughput picks the TP4', async () => {
  // Qwen3-32B fits on two A100s: TP4 serves more in total but less than twice as much, so per GPU TP2 wins.
  const tpPlan = (objective: 'total_token_throughput' | 'total_token_throughput_per_gpu') =>
    TuningPlan.parse({
      name: 'tp',
      model: 'Qwen/Qwen3-32B',
      baseline: { engine: 'vllm', parallel: { tp: 4 } },
      space: { parallel: [{ tp: 2 }, { tp: 4 }] },
      objective,
      workloads: { primary: { preset: 'sharegpt', numPrompts: 60 } },
    } satisfies TuningPlanInput);
  const total = (await run(tpPlan('total_token_throughput'))).x;
  const perGpu = (await run(tpPlan('total_token_throughput_per_gpu'))).x;
  assert.equal(total.recommendation!.variant.parallel.tp, 4);
  assert.equal(perGpu.recommendation!.variant.parallel.tp, 2);
  const forecastOf = (x: Experiment, tp: number) => x.search!.candidates.find((c) => c.variant.parallel.tp === tp)!.predicted!;
  // The per-GPU forecasts are the total ones divided by the GPUs each candidate occupies.
  assert.ok(forecastOf(total, 4) > forecastOf(total, 2));
  assert.ok(forecastOf(perGpu, 2) > forecastOf(perGpu, 4));
  assert.ok(Math.abs(forecastOf(perGpu, 2) * 2 - forecastOf(total, 2)) < 1e-6 * forecastOf(total, 2));
  assert.equal(perGpu.search!.metric, 'total_token_throughput_per_gpu');
});

test('the observer sees the ranking fill in: forecasts first, measurements as they arrive, ruled-out ones with why', async () => {
  const events: SearchProgress[] = [];
  const { x } = await run(plan('predicted'), PROFILE, { observer: { search: (_id, p) => events.push(structuredClone(p)) } });
  const measured = (p: SearchProgress) => p.candidates.filter((c) => c.measured !== undefined).length;
  assert.equal(measured(events[0]!), 0);
  assert.ok(events[0]!.candidates.some((c) => c.measuring && c.forecast && c.forecast.low < c.forecast.value && c.forecast.value < c.forecast.high));
  assert.deepEqual(events.map(measured), [...events.map(measured)].sort((a, b) => a - b), 'measurements only accumulate');
  const last = events.at(-1)!;
  assert.equal(last.stopped, x.search!.stopped);
  assert.equal(measured(last), x.search!.steps.filter((st) => st.measured !== undefined).length);
  assert.ok(measured(last) >= 2, 'more than one measurement arrived');
  assert.ok(last.candidates.filter((c) => c.ruledOut).some((c) => /invalid choice/.test(c.ruledOut!)));
  assert.ok(last.candidates.every((c) => !c.measuring));
  assert.equal(last.baseline?.value, x.baseline.outcome?.kind === 'measured' ? x.baseline.outcome.objective.mean : undefined);
});
