import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineVariant } from '../../../src/core/plan/schema';
import { applyPatch, budgetExhausted, decideStage, summarize, withinNoise } from '../../../src/core/tune/search';

const sglang = EngineVariant.parse({ engine: 'sglang', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 }, attentionBackend: 'triton' });

test('a patch replaces, merges nested keys, and null returns a key to the engine default', () => {
  const v = applyPatch(sglang, { parallel: { ep: 4 }, attentionBackend: null, cudaGraph: { maxBatchSize: 512 } });
  assert.deepEqual(v.parallel, { tp: 4, pp: 1, dp: 1, ep: 4 });
  assert.equal(v.attentionBackend, undefined);
  assert.equal(v.cudaGraph.maxBatchSize, 512);
  assert.equal(sglang.parallel.ep, 1, 'the incumbent is not modified');
});

test('noise: measured spread with repeats, 2% without', () => {
  assert.equal(withinNoise({ metric: 'total_token_throughput', mean: 100, n: 1 }, { metric: 'total_token_throughput', mean: 101.9, n: 1 }).within, true);
  assert.equal(withinNoise({ metric: 'total_token_throughput', mean: 100, n: 1 }, { metric: 'total_token_throughput', mean: 102.1, n: 1 }).within, false);
  const tight = summarize('total_token_throughput', [100, 100.2, 99.8]);
  const better = summarize('total_token_throughput', [101.4, 101.5, 101.3]);
  assert.equal(withinNoise(tight, better).within, false, 'a 1.4% gain is real when repeats agree to 0.2%');
  assert.ok(Math.abs(tight.stdev! - 0.2) < 1e-9);
});

test('the incumbent stays on a tie; a violating incumbent gives way', () => {
  const m = (mean: number) => ({ kind: 'measured' as const, resultIds: ['r'], objective: { metric: 'total_token_throughput' as const, mean, n: 1 } });
  assert.equal(decideStage({ name: 'A', outcome: m(100) }, [{ name: 'B', outcome: m(100) }]).winner, 'A');
  const d = decideStage({ name: 'A', outcome: { ...m(100), kind: 'violates-constraints', violations: ['p99_tpot_ms 900 > max 200'] } }, [{ name: 'B', outcome: m(90) }]);
  assert.equal(d.winner, 'B');
  assert.match(d.why, /A violates p99_tpot_ms 900 > max 200/);
});

test('budgets: runs and hours', () => {
  assert.equal(budgetExhausted({ budget: {} }, { runsDone: 1e6, startedAtMs: 0, nowMs: 1e12 }), undefined);
  assert.match(budgetExhausted({ budget: { maxRuns: 3 } }, { runsDone: 3, startedAtMs: 0, nowMs: 0 })!, /3 benchmark runs/);
  assert.match(budgetExhausted({ budget: { maxHours: 0.5 } }, { runsDone: 0, startedAtMs: 0, nowMs: 1_800_000 })!, /0.5 h/);
});
