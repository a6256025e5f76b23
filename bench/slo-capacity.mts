// Capacity under SLO on the simulated 4×A100 (issue 13), in the simulator's virtual time: for each variant of
// examples/glm-4.5-air-a100.capacity.plan.yaml, the capacity search's boundary and runs against a fine sweep of the
// same variant (request rates every STEP req/s up to its saturated throughput), and the max-throughput choice
// against the SLO-based one. Run by hand:
//
//   node --import tsx bench/slo-capacity.mts [--step 0.25] [--plan examples/glm-4.5-air-a100.capacity.plan.yaml]
import { parseArgs } from 'node:util';
import { parseServeCommand, renderVariant } from '../src/core/engines/index';
import { formatProblem, loadPlanFile } from '../src/core/plan/load';
import { TuningPlan } from '../src/core/plan/tuningPlan';
import { fractionValue } from '../src/core/plan/workload';
import { openMemoryStore } from '../src/core/results/memory';
import { recommendations, sloText } from '../src/core/results/curves';
import { runExperiment } from '../src/core/tune/experiment';
import { PredictingBackend } from '../src/core/tune/predict';

const { values } = parseArgs({ options: { step: { type: 'string', default: '0.25' }, plan: { type: 'string', default: 'examples/glm-4.5-air-a100.capacity.plan.yaml' } } });
const step = Number(values.step);
const loaded = await loadPlanFile(values.plan!);
if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join('\n'));
const plan = loaded.plan;
if (!plan.load || !('capacity' in plan.load)) throw new Error('the plan needs a plan-wide load: {capacity: …}');
const search = plan.load.capacity;

const run = async (p: TuningPlan) => {
  const backend = new PredictingBackend(
    { runner: p.runner, launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: () => '' },
    { facts: { name: 'sim', gpus: [], engineVersions: {}, simulated: true }, gpu: 'A100-SXM4-80GB', count: 4, speedup: 1 },
  );
  const started = performance.now();
  const x = await runExperiment({ plan: p, backend, store: openMemoryStore(), signal: new AbortController().signal, parseCommand: parseServeCommand });
  return { x, seconds: (performance.now() - started) / 1000, simulatedS: backend.totalSeconds };
};

const searched = await run({ ...plan, budget: {} });
console.log(`SLO: ${sloText(search.slo)} on ${searched.x.curves[0]?.workload}; tolerance ${fractionValue(search.tolerance) * 100}%; fine sweep every ${step} req/s`);
console.log(`capacity search of ${searched.x.curves.length} variants: ${searched.seconds.toFixed(1)} s of wall time here (${(searched.simulatedS / 3600).toFixed(2)} h on the host)\n`);
console.log('variant                | saturated req/s | search: capacity, runs | fine sweep: capacity, runs | difference | runs ratio | search inside the sweep bracket');
let allWithin = true;
for (const c of searched.x.curves) {
  const saturated = c.points.find((p) => p.value === 'inf')?.metrics['request_throughput'] ?? 0;
  const rates = Array.from({ length: Math.ceil(saturated / step) }, (_, i) => Number(((i + 1) * step).toFixed(4)));
  // The same variant alone, as the baseline of a plan without stages, with a sweep instead of the search.
  const variant = c.option === 'Baseline' ? searched.x.baseline.variant : searched.x.stages.flatMap((s) => s.options).find((o) => o.name === c.option)!.variant;
  const sweepPlan = TuningPlan.parse({ ...plan, baseline: variant, stages: [], budget: {}, objective: 'total_token_throughput', load: { sweep: { request_rates: rates, slo: search.slo, ...(search.point ? { point: search.point } : {}) } } });
  const swept = (await run(sweepPlan)).x.curves[0]!;
  const a = c.capacity?.load ?? 0;
  const b = swept.capacity?.load ?? 0;
  const diff = b === 0 ? Infinity : Math.abs(a - b) / b;
  // The sweep brackets the boundary to one step: [its capacity, where it first broke].
  const bracket = `[${b}, ${swept.breaksAt?.load ?? '-'}]`;
  const inside = swept.breaksAt && swept.breaksAt.load !== 'inf' ? a >= b && a <= swept.breaksAt.load : a >= b;
  allWithin &&= inside || diff <= fractionValue(search.tolerance);
  console.log(
    `${c.option.padEnd(22)} | ${saturated.toFixed(2).padStart(15)} | ${`${a} req/s (${c.capacity?.perGpu.toFixed(2) ?? '-'}/GPU), ${c.points.length}`.padEnd(22)} | ${`${b} req/s, ${swept.points.length}`.padEnd(26)} | ${(diff * 100).toFixed(1).padStart(9)}% | ${`${((c.points.length / swept.points.length) * 100).toFixed(0)}%`.padStart(10)} | ${inside ? 'yes' : 'no'} ${bracket}`,
  );
  for (const [name, curve] of [['search', c], ['sweep', swept]] as const) {
    if (curve.breaksAt) console.log(`    ${name}: breaks at ${curve.breaksAt.load} req/s, ${curve.breaksAt.limit} first (${curve.breaksAt.breaks.join(', ')})`);
  }
}
const rec = recommendations(searched.x.curves);
console.log(`\nmax-throughput choice: ${rec.maxThroughput?.option} (${rec.maxThroughput?.perGpu.toFixed(1)} tok/s per GPU saturated)`);
console.log(`SLO-based choice:      ${rec.slo?.option} (${rec.slo?.perGpu.toFixed(2)} req/s per GPU within the SLO)`);
console.log(`the plan's recommendation (objective ${typeof plan.objective === 'string' ? plan.objective : plan.objective.metric}): ${searched.x.recommendation?.command}`);
console.log(allWithin ? "every search boundary lies inside the fine sweep's bracket or within the tolerance of its capacity" : 'SOME SEARCH BOUNDARY IS OUTSIDE THE TOLERANCE');
