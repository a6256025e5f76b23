// The predicted search against a full grid on simulated hosts that deviate from the simulator in ways it cannot see
// (issue 14): each host has a hidden profile (slower or faster memory, memory taken, an engine's per-step overhead,
// run-to-run noise, a flag that crashes only there). Both strategies measure in virtual time on the same profiled
// host; the same grid without the host's noise gives each candidate's true value, the truth both are scored against.
//
//   node --import tsx bench/predicted-search.mts [--prompts N] [--only throughput|slo] [--why]
//
// Two objectives: total token throughput (ShareGPT, all requests at once) on four hosts, and the capacity under a
// latency SLO (requests per second with p99 TTFT ≤ 3 s and p99 TPOT ≤ 100 ms, each candidate's capacity searched
// by request rate) on three. Prints, per host: the true best (every candidate measured on the host without its
// noise), the true value of what the search recommended and of what the noisy grid recommended, as ratios of the
// true best (target ≥ 97%), the GPU time each spent and their ratio (target ≤ 30%), launches, and the prediction
// error before the host fit, out of sample (each measured candidate's forecast when it was picked) and in the final fit.
import { parseServeCommand, renderVariant } from '../src/core/engines/index';
import type { Experiment, HostFacts, TuningPlanInput } from '../src/core/plan/schema';
// From its own file: a .mts script sees only the named exports of the files it imports, not schema.ts's re-exports.
import { TuningPlan } from '../src/core/plan/tuningPlan';
import { openMemoryStore } from '../src/core/results/memory';
import { HostProfile, type HostProfileInput } from '../src/core/sim/hostProfile';
import { runExperiment } from '../src/core/tune/experiment';
import { PredictingBackend } from '../src/core/tune/predict';
import { variantKey } from '../src/core/tune/search';

const argAfter = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const prompts = Number(argAfter('--prompts') ?? 300) || 300;
const only = argAfter('--only');

const HOSTS: Record<string, HostProfileInput> = {
  'slow memory': { memoryBandwidth: 0.75, noisePct: 1.5, seed: 11 },
  'SGLang overhead + vLLM fp8 KV crash': { stepOverheadS: { sglang: 0.006 }, noisePct: 2, seed: 12, crashes: [{ engine: 'vllm', args: '--kv-cache-dtype fp8' }] },
  'memory taken + fast memory + SGLang crash': { reservedGiB: 6, memoryBandwidth: 1.2, stepOverheadS: { vllm: 0.002 }, noisePct: 3, seed: 13, crashes: [{ engine: 'sglang', args: '--cuda-graph-max-bs 512' }] },
  'vLLM faster, noisy': { memoryBandwidth: 0.9, stepOverheadS: { vllm: -0.003 }, noisePct: 4, seed: 14 },
};

const SLO_HOSTS: Record<string, HostProfileInput> = {
  'slow memory': { memoryBandwidth: 0.8, noisePct: 1.5, seed: 21 },
  'SGLang overhead + vLLM fp8 KV crash': { stepOverheadS: { sglang: 0.004 }, noisePct: 2, seed: 22, crashes: [{ engine: 'vllm', args: '--kv-cache-dtype fp8' }] },
  'fast memory, vLLM faster, noisy': { memoryBandwidth: 1.15, stepOverheadS: { vllm: -0.002 }, noisePct: 3, seed: 23 },
};

type Objective = 'throughput' | 'slo';

const plan = (strategy: 'grid' | 'predicted', objective: Objective): TuningPlan =>
  TuningPlan.parse({
    name: `GLM-4.5-Air batching space (${strategy})`,
    model: 'zai-org/GLM-4.5-Air',
    baseline: { engine: 'vllm', parallel: { tp: 4 } },
    space: {
      engine: ['vllm', 'sglang'],
      parallel: [{ tp: 4 }, { tp: 4, ep: 4 }, { tp: 2, dp: 2 }],
      kvCacheDtype: [null, 'fp8'],
      // The capacity grid is a search per candidate: without the CUDA-graph key, 48 candidates instead of 96.
      ...(objective === 'throughput' ? { cudaGraph: [{}, { maxBatchSize: 512 }] } : {}),
      batching: [{}, { maxNumSeqs: 128 }, { maxNumSeqs: 512 }, { maxNumBatchedTokens: 16384 }],
    },
    strategy,
    workloads: { primary: { preset: 'sharegpt', numPrompts: prompts } },
    ...(objective === 'slo'
      ? { objective: 'slo_capacity', runner: 'native', load: { capacity: { slo: { p99_ttft_ms: 3000, p99_tpot_ms: 100 }, point: { warmup_s: 10, window_s: 40 } } } }
      : {}),
  } satisfies TuningPlanInput);

const facts: HostFacts = { name: 'sim:A100-SXM4-80GB:4?profile=…', gpus: [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 })), engineVersions: {}, simulated: true };

async function run(strategy: 'grid' | 'predicted', profile: HostProfile, objective: Objective): Promise<{ x: Experiment; gpuSeconds: number; launches: number }> {
  const backend = new PredictingBackend(
    { runner: objective === 'slo' ? 'native' : 'vllm-bench', launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: (_v, w) => `bench ${w.name}` },
    { facts, gpu: 'A100-SXM4-80GB', count: 4, speedup: 1, profile },
  );
  const x = await runExperiment({ plan: plan(strategy, objective), backend, store: openMemoryStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  // Every candidate of this space occupies the host's 4 GPUs.
  return { x, gpuSeconds: backend.totalSeconds * 4, launches: backend.steps.filter((s) => s.kind !== 'benchmark').length };
}

const measuredValues = (x: Experiment) => {
  const out = new Map<string, number>();
  for (const o of [x.baseline, ...x.stages.flatMap((s) => s.options)]) if (o.outcome?.kind === 'measured') out.set(variantKey(o.variant), o.outcome.objective.mean);
  return out;
};

const header = ['host', 'true best', 'search’s pick, true value (ratio)', 'grid’s pick, true value (ratio)', 'GPU-hours search / grid (ratio)', 'launches search / grid', 'prediction error before → out of sample (final fit)', 'wall'];
for (const [objective, hosts, what] of [
  ['throughput', HOSTS, `2 engines × 3 layouts × 2 KV dtypes × 2 CUDA-graph settings × 4 batching limits on 4× A100-SXM4-80GB, ShareGPT ${prompts} prompts, objective total token throughput (tok/s)`],
  ['slo', SLO_HOSTS, `2 engines × 3 layouts × 2 KV dtypes × 4 batching limits on 4× A100-SXM4-80GB, ShareGPT, objective capacity under p99 TTFT ≤ 3 s and p99 TPOT ≤ 100 ms (req/s; points of 10 s warm-up + 40 s window)`],
] as const) {
  if (only && only !== objective) continue;
  console.log(`\nspace: ${what}`);
  const rows: string[][] = [];
  for (const [name, input] of Object.entries(hosts)) {
    const profile = HostProfile.parse(input);
    const t0 = performance.now();
    const grid = await run('grid', profile, objective);
    const search = await run('predicted', profile, objective);
    // The host's true value of every candidate: the grid once more on the same host without its run-to-run noise.
    const truth = measuredValues((await run('grid', { ...profile, noisePct: 0 }, objective)).x);
    const best = Math.max(...truth.values());
    const trueValueOf = (x: Experiment) => truth.get(variantKey(x.recommendation!.variant)) ?? Number.NaN;
    const digits = objective === 'slo' ? 2 : 0;
    const ratio = (x: Experiment) => `${trueValueOf(x).toFixed(digits)} (${((trueValueOf(x) / best) * 100).toFixed(1)}%)`;
    const s = search.x.search!;
    if (process.argv.includes('--why')) for (const c of s.candidates.filter((c) => c.skipped && c.skipped.kind !== 'cannot-win')) console.log(`  ${c.name}: ${c.skipped!.kind}: ${c.skipped!.why.slice(0, 160)}`);
    rows.push([
      name,
      best.toFixed(digits),
      ratio(search.x),
      ratio(grid.x),
      `${(search.gpuSeconds / 3600).toFixed(2)} / ${(grid.gpuSeconds / 3600).toFixed(2)} (${((search.gpuSeconds / grid.gpuSeconds) * 100).toFixed(1)}%)`,
      `${search.launches} / ${grid.launches}`,
      `${s.errorBeforePct?.toFixed(1)}% → ${s.errorOutOfSamplePct?.toFixed(1)}% (${s.errorAfterPct?.toFixed(1)}%)`,
      `${((performance.now() - t0) / 1000).toFixed(0)} s`,
    ]);
    console.log(`${name}: search stopped — ${s.stopped}`);
    console.log(`  corrections: memory ×${s.corrections?.memoryTimeScale.toFixed(3)}, engines ${JSON.stringify(s.corrections?.engineTimeScale)}; skipped: ${JSON.stringify(s.candidates.filter((c) => c.skipped).map((c) => c.skipped!.kind).reduce<Record<string, number>>((a, k) => ({ ...a, [k]: (a[k] ?? 0) + 1 }), {}))}`);
  }
  console.log(['', header.join(' | '), header.map(() => '---').join(' | '), ...rows.map((r) => r.join(' | '))].join('\n'));
}
