// An integration test for its cost: it simulates all 72 measured cases (about a minute on a quiet machine).
// The simulator against measured results it was not fitted to (test/fixtures/sim-calibration.json): efficiencies
// fitted on the other pages predict a held-out page's throughput, mean TTFT and mean TPOT; the stored table keeps
// every page's fit error in bounds; and the calibration's fast re-timing of a recorded schedule gives exactly what
// `sim predict` prints. `node --import tsx bench/sim-accuracy.mts` prints the full tables.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluateCase, loadCalibrationCases, serveArgv, traceCase, type TracedCase } from '../../../src/core/sim/calibration/cases';
import { caseErrors, fitAll, stageWinners, summarize } from '../../../src/core/sim/calibration/fit';
import { FITTED_EFFICIENCY } from '../../../src/core/sim/calibration/fitted';
import { predictBenchmark } from '../../../src/core/sim/predict';

const HELD_OUT = 'qwen3-235b-a22b/a100';
let traced: TracedCase[] = [];

before(() => {
  const cases = loadCalibrationCases('test/fixtures/sim-calibration.json');
  traced = cases.map(traceCase).filter((t): t is TracedCase => !('crash' in t) && !t.case.crash);
});

test('re-timing a recorded schedule reproduces sim predict’s throughput, mean TTFT and mean TPOT', () => {
  for (const engine of ['vllm', 'sglang', 'trtllm'] as const) {
    const t = traced.find((x) => x.engine === engine && x.case.workload.startsWith('sharegpt'))!;
    const m = predictBenchmark({ gpu: t.case.gpu, count: t.case.count, argv: serveArgv(t.case.serve), workload: t.case.workload }).metrics!;
    const e = evaluateCase(t, FITTED_EFFICIENCY[engine]);
    assert.ok(Math.abs(e.tput / m.total_token_throughput - 1) < 1e-6, `${t.case.id} throughput ${e.tput} vs ${m.total_token_throughput}`);
    assert.ok(Math.abs(e.ttft / m['mean_ttft_ms']! - 1) < 1e-6, `${t.case.id} TTFT`);
    assert.ok(Math.abs(e.tpot / m['mean_tpot_ms']! - 1) < 1e-6, `${t.case.id} TPOT`);
  }
});

test(`held-out page (${HELD_OUT}: Qwen3-235B-A22B, TP8 BF16 and TP4 FP8 on A100): predicted from the other pages`, () => {
  const params = fitAll(traced.filter((t) => t.case.page !== HELD_OUT));
  const errors = caseErrors(
    traced.filter((t) => t.case.page === HELD_OUT),
    params,
  );
  const [page] = summarize(errors);
  console.log(`held out ${HELD_OUT}: median |error| throughput ${(page!.median.tput * 100).toFixed(1)}%, TTFT ${(page!.median.ttft * 100).toFixed(1)}%, TPOT ${(page!.median.tpot * 100).toFixed(1)}%`);
  // 15.9% before Hopper's sustained tensor fraction (perf.ts) let the H100/H200 pages inform the A100 ones; 9.5% with it.
  assert.ok(page!.median.tput <= 0.12, `throughput ${page!.median.tput}`);
  assert.ok(page!.median.ttft <= 0.3, `TTFT ${page!.median.ttft}`);
  assert.ok(page!.median.tpot <= 0.3, `TPOT ${page!.median.tpot}`);
});

test('the stored efficiencies: median error per page within 10% throughput, 20% TTFT, 30% TPOT; most stage winners as measured', () => {
  const errors = caseErrors(traced, FITTED_EFFICIENCY);
  for (const s of summarize(errors)) {
    assert.ok(s.median.tput <= 0.1, `${s.page}: throughput ${s.median.tput}`);
    assert.ok(s.median.ttft <= 0.2, `${s.page}: TTFT ${s.median.ttft}`);
    assert.ok(s.median.tpot <= 0.3, `${s.page}: TPOT ${s.median.tpot}`);
  }
  const stages = stageWinners(errors);
  assert.ok(stages.filter((s) => s.agree).length >= stages.length * 0.75, JSON.stringify(stages.filter((s) => !s.agree)));
});
