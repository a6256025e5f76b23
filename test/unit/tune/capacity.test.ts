import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestOutput } from '../../../src/core/bench/metrics';
import { formatProblem, parsePlan } from '../../../src/core/plan/load';
import { CapacitySlo, type CurveRecord, type LoadPlanInput, LoadPlan } from '../../../src/core/plan/schema';
import { predictBenchmark } from '../../../src/core/sim/predict';
import { capacityOfSweep, searchCapacity, sloVerdict } from '../../../src/core/tune/capacity';
import { curveObjective, plannedPoints, runLoadPlan, type PointRequest } from '../../../src/core/tune/curve';
import { objectiveValue } from '../../../src/core/tune/search';
import { SaturationMonitor, steadyState } from '../../../src/core/tune/window';

/** A known curve: the SLO holds up to `boundary`, breaks above it. */
function knownCurve(boundary: number) {
  const tried: number[] = [];
  return {
    tried,
    measure: async (value: number) => {
      tried.push(value);
      return { value, meets: value <= boundary, achieved: Math.min(value, boundary * 1.6) };
    },
  };
}

test('the capacity search finds the boundary of a known curve within the tolerance, in far fewer runs than a fine sweep', async () => {
  for (const [boundary, start] of [
    [4.37, 8.5],
    [0.9, 8.5],
    [13.2, 4],
  ] as const) {
    const curve = knownCurve(boundary);
    const found = await searchCapacity({ by: 'request_rate', start, tolerance: 0.05, maxPoints: 20, boundaryRepeats: 0, measure: curve.measure });
    assert.ok(found.boundary !== undefined && found.broken !== undefined, `a bracket for ${boundary}`);
    assert.ok(found.boundary <= boundary && boundary < found.broken, `${found.boundary} ≤ ${boundary} < ${found.broken}`);
    assert.ok((found.broken - found.boundary) / found.boundary <= 0.05, `bracket [${found.boundary}, ${found.broken}] within 5%`);
    // A fine sweep resolving 5% at the boundary steps by 5% of it from there up to the start: far more points.
    const fineSweepRuns = Math.ceil(Math.max(start, boundary) / (0.05 * boundary));
    assert.ok(curve.tried.length <= 0.4 * fineSweepRuns, `${curve.tried.length} runs vs a fine sweep's ${fineSweepRuns}`);
  }
});

test('a concurrency search ends on adjacent integers', async () => {
  const curve = knownCurve(37);
  const found = await searchCapacity({ by: 'concurrency', start: 64, tolerance: 0.05, maxPoints: 20, boundaryRepeats: 0, measure: curve.measure });
  assert.equal(found.boundary, 37);
  assert.equal(found.broken, 38);
  assert.ok(curve.tried.every(Number.isInteger));
});

test('a boundary that fails its repeat moves the capacity down; running out of points ends the search with the bracket so far', async () => {
  let calls = 0;
  const flaky = async (value: number, why: string) => {
    calls++;
    // 5 passes once but fails when repeated; 4.5 holds.
    return { value, meets: why === 'repeat' ? value <= 4.5 : value <= 5.05, achieved: value };
  };
  const found = await searchCapacity({ by: 'request_rate', start: 8, tolerance: 0.05, maxPoints: 30, boundaryRepeats: 1, measure: flaky });
  assert.ok(found.boundary! <= 4.5, `boundary ${found.boundary}`);
  assert.ok(found.points.some((p) => p.value > 4.5 && !p.meets));

  const budget = await searchCapacity({ by: 'request_rate', start: 8, tolerance: 0.01, maxPoints: 4, boundaryRepeats: 0, measure: knownCurve(3).measure });
  assert.equal(budget.points.length, 4);
  assert.match(budget.stoppedEarly ?? '', /max_points \(4\)/);
  assert.ok(budget.boundary! <= 3 && budget.broken! > 3);
  assert.ok(calls > 0);
});

test('the SLO verdict lists broken limits, the most exceeded first, and counts the success share', () => {
  const slo = CapacitySlo.parse({ p99_ttft_ms: 3000, p99_tpot_ms: 100 });
  const m = { duration: 1, completed: 99, failed: 1, total_input_tokens: 0, total_output_tokens: 0, request_throughput: 1, output_throughput: 1, total_token_throughput: 1 };
  assert.deepEqual(sloVerdict({ ...m, p99_ttft_ms: 2000, p99_tpot_ms: 90 }, 1, slo), { meets: true, breaks: [] });
  const v = sloVerdict({ ...m, p99_ttft_ms: 9000, p99_tpot_ms: 110 }, 0.9, slo);
  assert.equal(v.meets, false);
  assert.equal(v.worst, 'p99_ttft_ms');
  assert.deepEqual(v.breaks, ['p99_ttft_ms 9000.0 > 3000', 'p99_tpot_ms 110.0 > 100', 'success 90.0% < 99.0%']);
  assert.deepEqual(capacityOfSweep([{ value: 1, meets: true }, { value: 2, meets: true }, { value: 4, meets: false }, { value: 8, meets: true }]), { boundary: 2, broken: 4 });
});

function simulated(rate: number): RequestOutput[] {
  const p = predictBenchmark({ gpu: 'A100-SXM4-80GB', count: 4, argv: ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4'], workload: { kind: 'sharegpt', count: Math.ceil(rate * 90) }, requestRate: rate });
  return p.outputs!;
}

test('saturation: past the simulated vLLM TP4 capacity the queue and TTFT grow through the window; below it they do not', () => {
  const spec = { warmupS: 15, windowS: 60 };
  const over = steadyState(simulated(14), spec, 14);
  assert.ok(over.saturation.length > 0, 'rate 14 is saturated');
  assert.ok(over.saturation.some((r) => /waiting queue grew|TTFT rose/.test(r)), over.saturation.join('; '));
  const under = steadyState(simulated(3), spec, 3);
  assert.deepEqual(under.saturation, []);
  assert.ok(under.startS >= 15 && under.requests < 3 * 90, 'the warm-up is excluded from the window');
});

test('a point whose requests all went out at once (rate inf) achieves what was served until the last finished, not the sending rate', () => {
  const all = predictBenchmark({ gpu: 'A100-SXM4-80GB', count: 4, argv: ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4'], workload: { kind: 'sharegpt', count: 200 } });
  // A real client spreads "all at once" over a few milliseconds.
  const sent = all.outputs!.map((o, i) => ({ ...o, startTime: o.startTime + i * 0.0005 }));
  const state = steadyState(sent, { warmupS: 2, windowS: 8 });
  const lastFinish = Math.max(...sent.map((o) => o.startTime + o.latency));
  const served = sent.filter((o) => o.success).length;
  assert.ok(Math.abs(state.metrics.request_throughput - served / lastFinish) / (served / lastFinish) < 0.05, `${state.metrics.request_throughput} req/s against ${served} served in ${lastFinish.toFixed(1)} s`);
  assert.ok(Math.abs(state.metrics.request_throughput - all.metrics!.request_throughput) / all.metrics!.request_throughput < 0.1, 'close to the whole run\'s figure');
});

test('the live monitor calls a point hopeless only after the warm-up and part of the window', () => {
  const m = new SaturationMonitor({ warmupS: 10, windowS: 60 });
  for (let t = 0; t <= 60; t++) m.waiting(t, t * 3);
  assert.deepEqual(m.verdict(20), []);
  assert.match(m.verdict(45).join(), /waiting queue grew/);
  const steady = new SaturationMonitor({ warmupS: 10, windowS: 60 });
  for (let t = 0; t <= 60; t++) steady.waiting(t, 10 + (t % 3));
  assert.deepEqual(steady.verdict(60), []);
});

function curve(gpus: number, rates: number[]): CurveRecord {
  return {
    stage: 's',
    option: 'o',
    workload: 'ShareGPT',
    mode: 'capacity',
    by: 'request_rate',
    gpus,
    points: rates.map((r, index) => ({ value: r, index, role: 'bisect', meetsSlo: true, breaks: [], metrics: { request_throughput: r * 0.98, request_goodput: r * 0.9, total_token_throughput: r * 500 } })),
    capacity: { load: rates[rates.length - 1]!, requestRate: rates[rates.length - 1]! * 0.98, perGpu: (rates[rates.length - 1]! * 0.98) / gpus },
  };
}

test('per-GPU objectives divide by the GPUs a variant occupies, so TP2 and TP4 compare fairly', () => {
  const tp4 = curve(4, [2, 4]);
  const tp2 = curve(2, [1, 3]);
  assert.ok(curveObjective(tp4, 'slo_capacity').summary.mean > curveObjective(tp2, 'slo_capacity').summary.mean);
  assert.ok(curveObjective(tp4, 'slo_capacity_per_gpu').summary.mean < curveObjective(tp2, 'slo_capacity_per_gpu').summary.mean);
  assert.equal(curveObjective(tp2, 'slo_capacity_per_gpu').summary.mean, (3 * 0.98) / 2);
  assert.equal(curveObjective(tp2, 'goodput_per_gpu').summary.mean, (3 * 0.9) / 2);
  const m = { duration: 1, completed: 1, failed: 0, total_input_tokens: 0, total_output_tokens: 0, request_throughput: 1, output_throughput: 1, total_token_throughput: 1, request_goodput: 6 };
  assert.equal(objectiveValue(m, 'goodput_per_gpu', 4), 1.5);
});

test('a curve runs its points through the given runner: sweep in order, capacity from the saturated point', async () => {
  const served: PointRequest[] = [];
  const run = async (p: PointRequest) => {
    served.push(p);
    const rate = p.workload.requestRate === 'inf' ? 9 : p.workload.requestRate;
    const metrics = { duration: 60, completed: 100, failed: 0, total_input_tokens: 0, total_output_tokens: 0, request_throughput: Math.min(rate, 9), output_throughput: 0, total_token_throughput: 0, p99_tpot_ms: 20 * rate, p99_ttft_ms: 100 };
    return { resultId: `r${served.length}`, record: p.assess({ metrics }), metrics };
  };
  const base = { name: 'ShareGPT', dataset: { kind: 'sharegpt' as const }, numPrompts: 1000, requestRate: 'inf' as const, burstiness: 1, seed: 0, backend: 'openai-chat' as const, endpoint: '/v1/chat/completions', numWarmups: 0 };
  const args = { run, workload: base, stage: 'Baseline', option: 'Baseline', repeats: 1, gpus: 4, signal: new AbortController().signal };
  const sweep = await runLoadPlan({ ...args, load: LoadPlan.parse({ sweep: { request_rates: [1, 4, 8], slo: { p99_tpot_ms: 100 } } } satisfies LoadPlanInput) });
  assert.deepEqual(served.map((p) => p.workload.requestRate), [1, 4, 8]);
  assert.deepEqual(served.map((p) => p.workload.numPrompts), [75, 300, 600], 'prompts fill warm-up + window at each rate');
  assert.equal(sweep.capacity?.load, 4);
  assert.equal(sweep.breaksAt?.limit, 'p99_tpot_ms');
  served.length = 0;
  const cap = await runLoadPlan({ ...args, load: LoadPlan.parse({ capacity: { slo: { p99_tpot_ms: 100 } } }) });
  assert.equal(served[0]!.workload.requestRate, 'inf');
  assert.equal(served[1]!.workload.requestRate, 9, 'the search starts at the saturated throughput');
  assert.ok(cap.capacity!.load <= 5 && cap.breaksAt!.load !== 'inf' && (cap.breaksAt!.load as number) > 5);
  assert.equal(cap.points.length, served.length);
  assert.ok(plannedPoints(LoadPlan.parse({ capacity: { slo: { p99_tpot_ms: 100 } } }), 1) >= cap.points.length - 2);
});

test('plan errors in load plans name their line and column', () => {
  const plan = (load: string, objective = 'slo_capacity') =>
    parsePlan(`name: x\nmodel: m\nbaseline: { engine: vllm }\nworkloads:\n  primary: sharegpt\nobjective: ${objective}\n${load}`, 'c.plan.yaml');
  const bad = plan('load:\n  sweep:\n    request_rates: [1, -2]\n    slo: { p99_tpot_ms: 100 }\n');
  assert.ok(!bad.ok);
  assert.match(formatProblem(bad.problems[0]!), /^c\.plan\.yaml:9:24: load\.sweep\.request_rates\[1\]: expected a positive number/);
  const both = plan('load:\n  sweep: { request_rates: [1], concurrencies: [2] }\n', 'total_token_throughput');
  assert.ok(!both.ok);
  assert.match(both.problems.map(formatProblem).join('\n'), /c\.plan\.yaml:8:\d+: .*exactly one of "request_rates" or "concurrencies"/);
  const noLimit = plan('load:\n  capacity:\n    slo: { min_success: 0.9 }\n');
  assert.ok(!noLimit.ok);
  assert.match(noLimit.problems.map(formatProblem).join('\n'), /c\.plan\.yaml:9:\d+: load\.capacity\.slo: an slo needs at least one of p99_ttft_ms/);
  const tol = plan('load:\n  capacity:\n    slo: { p99_tpot_ms: 100 }\n    tolerance: five\n');
  assert.ok(!tol.ok);
  assert.match(tol.problems.map(formatProblem).join('\n'), /c\.plan\.yaml:10:16: load\.capacity\.tolerance: expected a percentage such as "5%"/);
  const noLoad = plan('');
  assert.ok(!noLoad.ok);
  assert.match(noLoad.problems.map(formatProblem).join('\n'), /c\.plan\.yaml:6:12: objective: objective "slo_capacity" needs a load plan with an SLO/);
  const perWorkload = parsePlan('name: x\nmodel: m\nbaseline: { engine: vllm }\nworkloads:\n  primary: { preset: sharegpt, load: { capacity: { slo: { p99_ttft_ms: 3000 }, by: concurrency } } }\nobjective: slo_capacity_per_gpu\n', 'w.plan.yaml');
  assert.ok(perWorkload.ok, perWorkload.ok ? '' : perWorkload.problems.map(formatProblem).join('\n'));
});
