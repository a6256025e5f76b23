import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestOutput } from '../../../src/core/bench/metrics';
import { parseServeCommand, renderVariant } from '../../../src/core/engines/index';
import { EngineVariant, TuningPlan, type Experiment, type HostFacts, type TuningPlanInput } from '../../../src/core/plan/schema';
import { resolveWorkload } from '../../../src/core/plan/presets';
import { searchDryRunLines } from '../../../src/core/report/search';
import { openMemoryStore } from '../../../src/core/results/memory';
import { HostProfile } from '../../../src/core/sim/hostProfile';
import { runExperiment } from '../../../src/core/tune/experiment';
import { PredictingBackend } from '../../../src/core/tune/predict';
import { goodputAt } from '../../../src/core/tune/predictedObjectives';
import { distinctLaunches } from '../../../src/core/tune/sameLaunch';
import { variantKey } from '../../../src/core/tune/search';

const FACTS: HostFacts = { name: 'sim', gpus: [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 })), engineVersions: {}, simulated: true };
// Slower memory and SGLang slower per step than the simulator assumes: every latency is longer than forecast.
const SLOW_HOST = HostProfile.parse({ memoryBandwidth: 0.8, stepOverheadS: { sglang: 0.003 } });

const plan = (strategy: 'grid' | 'predicted') =>
  TuningPlan.parse({
    name: 'capacity space',
    model: 'zai-org/GLM-4.5-Air',
    baseline: { engine: 'vllm', parallel: { tp: 4 } },
    space: { engine: ['vllm', 'sglang'], parallel: [{ tp: 4 }, { tp: 4, ep: 4 }], batching: [{}, { maxNumSeqs: 64 }, { maxNumSeqs: 256 }] },
    strategy,
    objective: 'slo_capacity_per_gpu',
    runner: 'native',
    // Short points keep the virtual-time runs quick; the search is the same.
    load: { capacity: { slo: { p99_ttft_ms: 3000, p99_tpot_ms: 100 }, point: { warmup_s: 5, window_s: 20 } } },
    workloads: { primary: { preset: 'sharegpt', numPrompts: 200 } },
  } satisfies TuningPlanInput);

async function run(p: TuningPlan): Promise<{ x: Experiment; launches: number }> {
  const backend = new PredictingBackend(
    { runner: 'native', launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: (_v, w) => `bench ${w.name}` },
    { facts: FACTS, gpu: 'A100-SXM4-80GB', count: 4, speedup: 1, profile: SLOW_HOST },
  );
  const x = await runExperiment({ plan: p, backend, store: openMemoryStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  return { x, launches: backend.steps.filter((s) => s.kind !== 'benchmark').length };
}

const capacityOf = (x: Experiment, variant: EngineVariant): number | undefined => {
  const o = [x.baseline, ...x.stages.flatMap((s) => s.options)].find((o) => variantKey(o.variant) === variantKey(variant));
  return o?.outcome?.kind === 'measured' ? o.outcome.objective.mean : undefined;
};

test('SLO capacity on a slower host: the fit lowers the forecasts, and the search recommends the grid’s best with fewer launches', async () => {
  const grid = await run(plan('grid'));
  const search = await run(plan('predicted'));
  assert.equal(search.x.status, 'completed', search.x.error);
  const s = search.x.search!;
  assert.equal(s.metric, 'slo_capacity_per_gpu');
  // The host is slower, so the fitted corrections make steps longer and every corrected capacity lower than forecast.
  const slower = s.corrections!.memoryTimeScale * (s.corrections!.engineTimeScale.vllm ?? 1);
  assert.ok(slower > 1.05, JSON.stringify(s.corrections));
  const forecast = s.candidates.filter((c) => c.predicted !== undefined && c.corrected);
  assert.ok(forecast.length >= 6 && forecast.every((c) => c.corrected!.value < c.predicted!), forecast.map((c) => `${c.name}: ${c.predicted} → ${c.corrected?.value}`).join('\n'));
  // What was measured after the fit sits nearer its measurement than the uncorrected forecast did.
  assert.ok(s.errorAfterPct! < s.errorBeforePct! / 2, `error ${s.errorBeforePct} → ${s.errorAfterPct}`);

  const gridBest = capacityOf(grid.x, grid.x.recommendation!.variant)!;
  const picked = capacityOf(grid.x, search.x.recommendation!.variant) ?? capacityOf(search.x, search.x.recommendation!.variant)!;
  assert.ok(picked >= 0.97 * gridBest, `search's pick ${picked} req/s per GPU vs the grid's best ${gridBest} (${search.x.recommendation!.command})`);
  assert.ok(search.launches < grid.launches, `${search.launches} launches vs the grid's ${grid.launches}`);
  assert.match(searchDryRunLines(s).join('\n'), /req\/s per GPU {2}/);
});

test('candidates whose flags are the engine’s defaults on this GPU are one launch; on a GPU with other defaults they are not', () => {
  const v = (x: Record<string, unknown>) => EngineVariant.parse({ model: 'zai-org/GLM-4.5-Air', engine: 'vllm', parallel: { tp: 4 }, ...x });
  const baseline = v({ batching: { maxNumSeqs: 64 } });
  const candidates = [
    { name: 'default', variant: v({}) },
    { name: 'seqs 256', variant: v({ batching: { maxNumSeqs: 256 } }) },
    { name: 'seqs 1024', variant: v({ batching: { maxNumSeqs: 1024 } }) },
    { name: 'kv auto', variant: v({ kvCacheDtype: 'auto' }) },
    { name: 'seqs 64', variant: v({ batching: { maxNumSeqs: 64 }, kvCacheDtype: 'auto' }) },
  ];
  // vLLM on an A100 runs 256 sequences and the model's dtype for the KV cache unless told otherwise.
  const a100 = distinctLaunches(baseline, candidates, { gpu: 'A100-SXM4-80GB', count: 4 });
  assert.deepEqual(a100.kept.map((c) => c.name), ['default', 'seqs 1024']);
  assert.deepEqual(a100.same.map((s) => [s.candidate.name, s.as]), [['seqs 256', 'default'], ['kv auto', 'default'], ['seqs 64', 'the baseline']]);
  assert.match(a100.same[0]!.why, /launches what default launches: --max-num-seqs 256 is vllm's default on 4× A100-SXM4-80GB/);
  // On an H100 vLLM's default is 1024 sequences: there 1024, not 256, is the default's twin.
  const h100 = distinctLaunches(baseline, candidates, { gpu: 'H100-SXM-80GB', count: 4 });
  assert.deepEqual(h100.kept.map((c) => c.name), ['default', 'seqs 256']);
  // A GPU the simulator does not know: nothing can be said about its defaults, every candidate stays.
  assert.equal(distinctLaunches(baseline, candidates, undefined).kept.length, candidates.length);
});

test('goodput on a slower host: every latency dilates with the step time, so fewer requests meet the limits, over a longer run', () => {
  const request = (ttft: number): RequestOutput => ({ success: true, promptLen: 100, outputLen: 11, ttft, itl: Array.from({ length: 10 }, () => 0.05), latency: ttft + 0.5, startTime: 0 });
  const outputs = [1, 2, 3, 4].map(request);
  const workload = resolveWorkload({ preset: 'sharegpt', numPrompts: 4 });
  const at = goodputAt(outputs, { ttftMs: 2500 }, workload, 1);
  // All sent at once: 2 of 4 meet TTFT ≤ 2.5 s within the 4.5 s run.
  assert.ok(Math.abs(at(1).value - 2 / 4.5) < 1e-9);
  // Twice as slow: TTFTs 2, 4, 6, 8 s — only one meets the limit, over a 9 s run; a throughput would only halve.
  assert.ok(Math.abs(at(2).value * 9 - 1) < 1e-3, `${at(2).value}`);
  assert.ok(at(1).elasticity >= 1);
});
