import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineVariant, type OptionOutcome, type SearchCandidateRecord } from '../../../src/core/plan/schema';
import { resolveWorkload } from '../../../src/core/plan/presets';
import { rankCandidates, searchNoise, stopReason } from '../../../src/core/tune/predicted';
import { learnedCrashes, type MeasuredCandidate } from '../../../src/core/tune/predictedCrashes';
import { correctedValue, fitCorrections, forecastCandidate, NO_CORRECTIONS, type Forecast } from '../../../src/core/tune/predictedModel';

const HOST = { gpu: 'A100-SXM4-80GB', count: 4 };
const WORKLOAD = resolveWorkload({ preset: 'sharegpt', numPrompts: 60 });
const variant = (v: Record<string, unknown>) => EngineVariant.parse({ model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 }, ...v });

function forecast(v: Record<string, unknown>): Forecast {
  const f = forecastCandidate(variant(v), HOST, WORKLOAD, { metric: 'total_token_throughput', repeats: 1 });
  assert.ok(f.ok, JSON.stringify(f));
  return f.forecast;
}

test('the fit learns a host’s slower memory and per-engine speeds from measurements, and re-predicts a candidate it never saw', () => {
  const forecasts = [
    forecast({ engine: 'vllm' }),
    forecast({ engine: 'vllm', batching: { maxNumSeqs: 32 } }),
    forecast({ engine: 'vllm', parallel: { tp: 4, ep: 4 } }),
    forecast({ engine: 'sglang' }),
    forecast({ engine: 'sglang', batching: { maxNumSeqs: 16 } }),
    forecast({ engine: 'sglang', parallel: { tp: 4, ep: 4 } }),
  ];
  const truth = { memoryTimeScale: 1.3, engineTimeScale: { vllm: 0.9, sglang: 1.15 }, residual: 0, points: 0 };
  const fit = fitCorrections(forecasts.map((f) => ({ forecast: f, measured: correctedValue(f, truth) })));
  // Slower memory costs these candidates almost the same share of time, so it trades off against the engines'
  // speeds (the ridge keeps both near 1): the direction is recovered, and above all the predictions.
  assert.ok(fit.memoryTimeScale > 1.05, `memory ${fit.memoryTimeScale}`);
  assert.ok(fit.engineTimeScale.sglang! / fit.engineTimeScale.vllm! > 1.15, JSON.stringify(fit.engineTimeScale));
  assert.ok(fit.residual < 0.015, `residual ${fit.residual}`);
  // Re-predicting a candidate the fit never saw lands near its true value; the uncorrected forecast does not.
  const unseen = forecast({ engine: 'sglang', batching: { maxNumSeqs: 32 } });
  const trueValue = correctedValue(unseen, truth);
  assert.ok(Math.abs(correctedValue(unseen, fit) / trueValue - 1) < 0.03);
  assert.ok(Math.abs(correctedValue(unseen, NO_CORRECTIONS) / trueValue - 1) > 0.1);
});

const cand = (name: string, v: Record<string, unknown>): SearchCandidateRecord => ({ name, variant: variant(v), gpus: 4 });

test('the stop rule: measure on while an upper bound beats the best measured by more than the noise', () => {
  const f = forecast({ engine: 'vllm' });
  const ranked = rankCandidates([{ candidate: cand('a', { engine: 'vllm' }), forecast: f }], NO_CORRECTIONS);
  const upper = ranked[0]!.upper;
  assert.ok(upper > f.value * 1.2, 'no measurements yet: the prior is wide');
  assert.equal(stopReason(ranked, upper / 1.05, 0.02), undefined);
  assert.match(stopReason(ranked, upper / 1.01, 0.02)!, /no unmeasured candidate can beat the best measured .* by more than the noise \(2\.0%\)/);
  assert.equal(stopReason([], 1, 0.02), 'every candidate was measured or ruled out');
  assert.equal(stopReason(ranked, undefined, 0.02), undefined);
});

test('the noise is the repeats’ spread where there are repeats, else the default 2%', () => {
  const measured = (mean: number, stdev?: number, n = 1): OptionOutcome => ({ kind: 'measured', resultIds: ['r'], objective: { metric: 'total_token_throughput', mean, n, ...(stdev !== undefined ? { stdev } : {}) } });
  assert.equal(searchNoise([measured(100)]), 0.02);
  assert.ok(Math.abs(searchNoise([measured(100, 5, 4), measured(200, 10, 4)]) - 0.05) < 1e-9);
});

const crashedOn = (name: string, v: Record<string, unknown>, reason: 'oom' | 'unknown', rootCause = 'boom'): MeasuredCandidate => ({
  name,
  variant: variant(v),
  outcome: { kind: 'crashed', crash: { reason, rootCause, logExcerpt: [] } },
  crash: { reason, rootCause, logExcerpt: [] },
});
const ran = (name: string, v: Record<string, unknown>): MeasuredCandidate => ({ name, variant: variant(v), outcome: { kind: 'measured', resultIds: ['r'], objective: { metric: 'total_token_throughput', mean: 1, n: 1 } }, value: 1 });

test('an out-of-memory crash rules out the same launch with batch limits at least as large, not smaller ones', () => {
  const base = variant({ engine: 'vllm' });
  const candidates = [
    cand('seqs 512', { engine: 'vllm', batching: { maxNumSeqs: 512 } }),
    cand('seqs 1024', { engine: 'vllm', batching: { maxNumSeqs: 1024 } }),
    cand('seqs 256', { engine: 'vllm', batching: { maxNumSeqs: 256 } }),
    cand('seqs 1024 kv fp8', { engine: 'vllm', batching: { maxNumSeqs: 1024 }, kvCacheDtype: 'fp8' }),
  ];
  const blocked = learnedCrashes([crashedOn('seqs 512', { engine: 'vllm', batching: { maxNumSeqs: 512 } }, 'oom')], base, candidates);
  assert.deepEqual([...blocked.keys()], ['seqs 1024']);
  assert.match(blocked.get('seqs 1024')!, /ran out of memory/);
});

test('another crash blames the settings only crashed candidates had; two crashes narrow it to what they share', () => {
  const base = variant({ engine: 'vllm' });
  const candidates = [
    cand('fp8 seqs 128', { engine: 'vllm', kvCacheDtype: 'fp8', batching: { maxNumSeqs: 128 } }),
    cand('fp8 tokens', { engine: 'vllm', kvCacheDtype: 'fp8', batching: { maxNumBatchedTokens: 16384 } }),
    cand('fp8 seqs 512', { engine: 'vllm', kvCacheDtype: 'fp8', batching: { maxNumSeqs: 512 } }),
    cand('seqs 512', { engine: 'vllm', batching: { maxNumSeqs: 512 } }),
    cand('sglang fp8', { engine: 'sglang', kvCacheDtype: 'fp8' }),
  ];
  const first = crashedOn('fp8 seqs 128', { engine: 'vllm', kvCacheDtype: 'fp8', batching: { maxNumSeqs: 128 } }, 'unknown');
  // One crash: both of its settings are suspects, so only a candidate with both is ruled out (none here).
  assert.deepEqual([...learnedCrashes([first], base, candidates).keys()], []);
  const second = crashedOn('fp8 tokens', { engine: 'vllm', kvCacheDtype: 'fp8', batching: { maxNumBatchedTokens: 16384 } }, 'unknown');
  const blocked = learnedCrashes([first, second], base, candidates);
  assert.deepEqual([...blocked.keys()], ['fp8 seqs 512']);
  assert.match(blocked.get('fp8 seqs 512')!, /crashed on this host with kvCacheDtype=fp8/);
  // A setting that ran fine elsewhere is not blamed.
  const cleared = learnedCrashes([first, second, ran('fp8 ok', { engine: 'vllm', kvCacheDtype: 'fp8' })], base, candidates);
  assert.deepEqual([...cleared.keys()], []);
});
