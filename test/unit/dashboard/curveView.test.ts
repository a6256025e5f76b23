// Load curves as the dashboard receives them: chart-ready points, the bracket, the Pareto front from the same core
// functions `results pareto` uses, and messages that pass the protocol's validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CurveRecord, Experiment } from '../../../src/core/plan/schema';
import { paretoCandidates, paretoFront } from '../../../src/core/results/curves';
import { parseToWebview, PROTOCOL_VERSION } from '../../../src/shared/protocol';
import { curvesView, experimentsCurvesView } from '../../../src/vscode/dashboard/curveView';

function curve(option: string, gpus: number, points: Array<[number | 'inf', boolean, number, number, number]>, extra: Partial<CurveRecord> = {}): CurveRecord {
  return {
    stage: 'Engine', option, workload: 'ShareGPT', mode: 'capacity', by: 'request_rate', gpus,
    slo: { p99_ttft_ms: 3000, p99_tpot_ms: 100, min_success: 0.99 },
    points: points.map(([value, meets, rps, tpot, ttft], index) => ({
      value, index, role: 'bisect', meetsSlo: meets, breaks: [],
      ...(value === 'inf' ? { saturated: ['queue grew'] } : {}),
      metrics: { request_throughput: rps, total_token_throughput: rps * 400, p99_tpot_ms: tpot, p99_ttft_ms: ttft },
    })),
    ...extra,
  };
}

const vllm = curve('vLLM TP4', 4, [['inf', false, 8.4, 180, 40000], [8, false, 7.9, 140, 9000], [4, true, 4, 70, 900], [6, true, 5.9, 95, 1500]], { capacity: { load: 6, requestRate: 5.9, perGpu: 5.9 / 4 } });
const sglang = curve('SGLang TP2', 2, [[2, true, 2, 60, 500], [3, false, 2.9, 120, 1000]]);

test('a curve becomes chart points in load order, the unbounded point at the rate it achieved, with the SLO and bracket', () => {
  const view = curvesView('Load curves', [{ curve: vllm, done: false }]);
  const c = view.curves[0]!;
  assert.deepEqual(c.points.map((p) => p.load), [4, 6, 8, 'inf']);
  assert.deepEqual(c.points.map((p) => p.x), [4, 6, 8, 8.4]);
  assert.deepEqual(c.points.map((p) => p.tokensPerGpu), [400, 590, 790, 840]);
  assert.equal(c.points[3]!.saturated, true);
  assert.deepEqual(c.slo, { p99TtftMs: 3000, p99TpotMs: 100, minSuccess: 0.99 });
  assert.deepEqual(c.bracket, { lo: 6, hi: 8 });
  assert.equal(c.done, false);
  assert.match(c.summary, /^capacity 6 req\/s: 5\.90 req\/s served within the SLO, 1\.48 req\/s per GPU \(4 GPUs\)/);
  const message = parseToWebview({ v: PROTOCOL_VERSION, type: 'curves', runId: 'r', curves: view });
  assert.ok(message.ok, message.ok ? '' : message.error);
});

test('the Pareto front across variants is the one `results pareto` prints, per GPU, saturated points left out', () => {
  const view = curvesView('x', [{ curve: vllm }, { curve: sglang }]);
  for (const axis of ['p99_tpot_ms', 'p99_ttft_ms'] as const) {
    const shown = view.pareto.find((p) => p.axis === axis)!;
    const expected = paretoFront(paretoCandidates([vllm, sglang], axis));
    const front = shown.points.filter((p) => p.front).sort((a, b) => a.latencyMs - b.latencyMs);
    assert.deepEqual(front.map((p) => [p.label, p.load]), expected.map((p) => [p.option, p.load]));
    assert.equal(shown.points.length, 5, 'every unsaturated point is a candidate');
  }
  // TP2 at 2 req/s: 400 tok/s per GPU at 60 ms TPOT beats vLLM TP4 at 4 req/s (400 per GPU at 70 ms).
  const lowest = view.pareto[0]!.points.filter((p) => p.front).sort((a, b) => a.latencyMs - b.latencyMs)[0]!;
  assert.deepEqual([lowest.label, lowest.load, lowest.throughputPerGpu], ['SGLang TP2', 2, 400]);
});

test('curves of several experiments are labelled with the experiment and keyed apart; an experiment without curves gives nothing', () => {
  const x = (id: string, name: string, curves: CurveRecord[]) => ({ id, plan: { name }, curves }) as unknown as Experiment;
  const view = experimentsCurvesView([x('x-1', 'A100 study', [vllm]), x('x-2', 'H100 study', [{ ...vllm }])])!;
  assert.deepEqual(view.curves.map((c) => c.label), ['A100 study: vLLM TP4', 'H100 study: vLLM TP4']);
  assert.notEqual(view.curves[0]!.key, view.curves[1]!.key);
  assert.equal(view.title, 'Load curves of 2 experiments');
  assert.equal(experimentsCurvesView([x('x-3', 'plain', [])]), undefined);
  // One experiment: the variants' own names, the last curve of each variant on the workload asked for.
  const again = { ...vllm, points: vllm.points.slice(0, 2) };
  const single = experimentsCurvesView([x('x-4', 'study', [vllm, sglang, again])], 'ShareGPT')!;
  assert.deepEqual(single.curves.map((c) => [c.label, c.points.length]), [['vLLM TP4', 2], ['SGLang TP2', 2]]);
});
