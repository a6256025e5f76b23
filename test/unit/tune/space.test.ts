import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, loadPlanFile, parsePlan } from '../../../src/core/plan/load';
import { EngineVariant, planStrategy, SearchSpace } from '../../../src/core/plan/schema';
import { enumerateSpace } from '../../../src/core/tune/space';

const baseline = EngineVariant.parse({ engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 }, attentionBackend: 'FLASHINFER', batching: { maxNumSeqs: 256 } });

test('the space is the product of its keys’ alternatives on top of the baseline, named by what varies', () => {
  const space = SearchSpace.parse({
    engine: ['vllm', 'sglang'],
    parallel: [{ tp: 4 }, { tp: 4, ep: 4 }, { tp: 8 }],
    batching: [{}, { maxNumSeqs: 512 }],
    kvCacheDtype: [null],
  });
  const candidates = enumerateSpace(space, baseline, 4);
  assert.equal(candidates.length, 12);
  const first = candidates[0]!;
  assert.equal(first.name, 'vLLM · TP4 · batching default');
  // A choice replaces the key's whole value: {} drops the baseline's maxNumSeqs; keys not in the space come from the baseline.
  assert.deepEqual(first.variant.batching, {});
  assert.equal(first.variant.attentionBackend, 'FLASHINFER');
  // Another engine does not inherit vLLM's attention backend.
  const sglang = candidates.find((c) => c.name === 'SGLang · TP4+EP4 · seqs 512')!;
  assert.equal(sglang.variant.attentionBackend, undefined);
  assert.deepEqual(sglang.variant.parallel, { tp: 4, pp: 1, dp: 1, ep: 4 });
  assert.equal(sglang.variant.batching.maxNumSeqs, 512);
  const tp8 = candidates.filter((c) => c.doesNotFit);
  assert.equal(tp8.length, 4);
  assert.match(tp8[0]!.doesNotFit!, /needs 8 GPUs .* the host has 4/);
});

test('two spellings of one launch are listed once', () => {
  const space = SearchSpace.parse({ batching: [{ maxNumSeqs: 256 }, { maxNumSeqs: 256, memFraction: null }], kvCacheDtype: [null, 'fp8'] });
  assert.deepEqual(enumerateSpace(space, baseline, 4).map((c) => c.name), ['kv default · seqs 256', 'kv fp8 · seqs 256']);
});

const PLAN = (extra: string) => `name: p
model: zai-org/GLM-4.5-Air
baseline: { engine: vllm, parallel: { tp: 4 } }
workloads: { primary: sharegpt }
${extra}`;

test('a plan with a space runs the predicted search by default; a grid over it can be asked for', () => {
  const loaded = parsePlan(PLAN('space:\n  engine: [vllm, sglang]\nbudget: { maxRuns: 4, maxGpuHours: 2 }\n'));
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.problems.map(formatProblem).join('\n'));
  assert.equal(planStrategy(loaded.plan), 'predicted');
  assert.equal(loaded.plan.budget.maxGpuHours, 2);
  const grid = parsePlan(PLAN('space:\n  engine: [vllm, sglang]\nstrategy: grid\n'));
  assert.ok(grid.ok);
  assert.equal(planStrategy(grid.plan), 'grid');
  const staged = parsePlan(PLAN('stages: []\n'));
  assert.ok(staged.ok);
  assert.equal(planStrategy(staged.plan), 'staged');
});

test('space mistakes are reported at their line and column with what to do', () => {
  const problems = (extra: string) => {
    const loaded = parsePlan(PLAN(extra));
    assert.ok(!loaded.ok, 'expected problems');
    return loaded.problems.map(formatProblem).join('\n');
  };
  assert.match(problems('space:\n  engine: []\n'), /plan\.yaml:6:11: space\.engine: expected at least one engine/);
  assert.match(problems('space:\n  batching: [{ maxNumSeq: 512 }]\n'), /plan\.yaml:6:.*maxNumSeq/);
  assert.match(problems('strategy: predicted\n'), /plan\.yaml:5:11: strategy: strategy "predicted" needs a "space"/);
  assert.match(problems('space: { engine: [vllm] }\nstrategy: staged\n'), /plan\.yaml:6:11: strategy: a space is searched with strategy "predicted"/);
  assert.ok(parsePlan(PLAN('space: { engine: [vllm] }\nobjective: { metric: goodput, slo: { ttftMs: 100 } }\n')).ok, 'goodput is forecast');
  assert.ok(parsePlan(PLAN('space: { engine: [vllm] }\nobjective: slo_capacity_per_gpu\nload: { capacity: { slo: { p99_tpot_ms: 100 } } }\n')).ok, 'capacity under an SLO is forecast');
  assert.match(problems('space: { engine: [vllm] }\nobjective: slo_capacity\nload: { sweep: { request_rates: [1, 2], slo: { p99_tpot_ms: 100 } } }\n'), /load: strategy "predicted" forecasts objective "slo_capacity" from a capacity search by request rate/);
  assert.match(problems('space: { engine: [vllm] }\nload: { capacity: { slo: { p99_tpot_ms: 100 } } }\n'), /load: strategy "predicted" measures objective "total_token_throughput" with one benchmark per candidate/);
  assert.match(problems('space: { engine: [vllm] }\nstages:\n  - name: Engine\n    options: [{ name: SGLang, variant: { engine: sglang } }]\n'), /plan\.yaml:5:8: space: a plan searches either "stages" or a "space"/);
});

test('speculative decoding as a space key: candidates whose model has no such draft are ruled out with the reason', () => {
  const space = SearchSpace.parse({ model: ['zai-org/GLM-4.5-Air', 'meta-llama/Llama-3.3-70B-Instruct'], speculative: ['none', { method: 'mtp', numSpeculativeTokens: 3 }, { method: 'eagle3', numSpeculativeTokens: 3 }] });
  const candidates = enumerateSpace(space, baseline, 4);
  assert.deepEqual(
    candidates.map((c) => [c.name, c.unsupported !== undefined]),
    [
      ['GLM-4.5-Air · no speculation', false],
      ['GLM-4.5-Air · MTP ×3', false],
      ['GLM-4.5-Air · EAGLE-3 ×3', true],
      ['Llama-3.3-70B-Instruct · no speculation', false],
      ['Llama-3.3-70B-Instruct · MTP ×3', true],
      ['Llama-3.3-70B-Instruct · EAGLE-3 ×3', false],
    ],
  );
  const [glmEagle, llamaMtp] = candidates.filter((c) => c.unsupported);
  assert.match(glmEagle!.unsupported!, /no EAGLE-3 head for zai-org\/GLM-4\.5-Air on vLLM is known: .* or use method mtp \(its own layers\) or ngram/);
  assert.match(llamaMtp!.unsupported!, /Llama-3\.3-70B-Instruct has no MTP layers .*use method eagle3 \(its head yuhuili\/EAGLE3-LLaMA3\.3-Instruct-70B\)/);
  assert.equal(candidates[0]!.variant.speculative, undefined);
  assert.deepEqual(candidates[1]!.variant.speculative, { method: 'mtp', numSpeculativeTokens: 3 });
});

test('a plan names speculative decoding in its baseline, a stage option and its space; a bad method is reported at its line and column', () => {
  const loaded = parsePlan(`name: p
model: zai-org/GLM-4.5-Air
baseline: { engine: sglang, parallel: { tp: 4 }, speculative: { method: mtp, numSpeculativeTokens: 3 } }
workloads: { primary: sharegpt }
stages:
  - name: Speculation
    options:
      - { name: off, patch: { speculative: none } }
      - { name: MTP x1, patch: { speculative: { method: mtp, numSpeculativeTokens: 1 } } }
`);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.problems.map(formatProblem).join('\n'));
  assert.deepEqual(loaded.plan.stages[0]!.options.map((o) => o.patch?.speculative), [null, { method: 'mtp', numSpeculativeTokens: 1 }]);
  const bad = parsePlan(PLAN('space:\n  speculative: [none, { method: medusa, numSpeculativeTokens: 3 }]\n'));
  assert.ok(!bad.ok);
  assert.match(bad.problems.map(formatProblem).join('\n'), /plan\.yaml:6:33: space\.speculative\[1\]\.method: expected one of "eagle3", "eagle", "mtp", "ngram", "draft_model", got "medusa"/);
});

test('the speculative example plan loads: MTP and n-gram on both engines, no candidate refused', async () => {
  const r = await loadPlanFile('examples/glm-4.5-air-a100.speculative.plan.yaml');
  assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
  const base = EngineVariant.parse({ ...r.plan.baseline, model: r.plan.model });
  const candidates = enumerateSpace(r.plan.space!, base, 4);
  assert.equal(candidates.length, 8);
  assert.deepEqual(candidates.filter((c) => c.unsupported || c.doesNotFit), []);
});
