import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatProblem, loadPlanFile, parsePlan } from '../../../src/core/plan/load';
import { resolveWorkload, WORKLOAD_PRESETS } from '../../../src/core/plan/presets';
import { EngineVariant } from '../../../src/core/plan/schema';

test('the example plan describes the reference study', async () => {
  const r = await loadPlanFile('examples/glm-4.5-air-a100.plan.yaml');
  assert.ok(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n'));
  const plan = r.plan;
  assert.equal(plan.model, 'zai-org/GLM-4.5-Air');
  assert.deepEqual(plan.baseline, { engine: 'vllm', parallel: { tp: 4 } });
  assert.deepEqual(
    plan.stages.map((s) => [s.kind, s.options.map((o) => o.name)]),
    [
      ['engine', ['vLLM', 'SGLang', 'TensorRT-LLM']],
      ['quantization', ['FP8']],
      ['parallelism', ['PP4', 'TP4+EP4']],
      ['attention-backend', ['flashinfer', 'triton', 'fa3']],
      ['cuda-graph', ['cuda-graph-max-bs 512']],
    ],
  );
  assert.equal(resolveWorkload(plan.workloads.primary).numPrompts, 1000);
  assert.deepEqual(
    plan.workloads.generalization.map((w) => resolveWorkload(w).dataset),
    [
      { kind: 'random', inputLen: 32000, outputLen: 100, rangeRatio: 0, prefixLen: 0 },
      { kind: 'random', inputLen: 4000, outputLen: 200, rangeRatio: 0, prefixLen: 0 },
      { kind: 'random', inputLen: 2000, outputLen: 100, rangeRatio: 0, prefixLen: 0 },
      { kind: 'random', inputLen: 128, outputLen: 4, rangeRatio: 0, prefixLen: 0 },
    ],
  );
  assert.equal(plan.objective, 'total_token_throughput');
});

test('a broken plan reports every problem with file, line and column', async () => {
  const r = await loadPlanFile('test/fixtures/plans/broken.plan.yaml');
  assert.equal(r.ok, false);
  const lines = r.ok ? [] : r.problems.map(formatProblem);
  assert.deepEqual(lines, [
    'test/fixtures/plans/broken.plan.yaml:18:50: stages[0].options[0].variant.parallel.tp: expected a positive integer, got "four"',
    'test/fixtures/plans/broken.plan.yaml:20:52: stages[0].options[1].variant.parallel.tp: expected a positive integer, got "four"',
    'test/fixtures/plans/broken.plan.yaml:22:52: stages[0].options[2].variant.parallel.tp: expected a positive integer, got "four"',
    'test/fixtures/plans/broken.plan.yaml:25:11: stages[1].kind: expected one of "engine", "quantization", "parallelism", "attention-backend", "cuda-graph", "batching", "other", got "quant"',
    'test/fixtures/plans/broken.plan.yaml:26:5: stages[1].bogus: unknown key "bogus"; remove it or check its spelling',
    'test/fixtures/plans/broken.plan.yaml:57:12: workloads.primary: unknown workload preset "sharegpd"; known presets: sharegpt, very-long-prompt, long-prompt, medium-prompt, short-prompt',
  ]);
  // The positions point at the offending text.
  const source = readFileSync('test/fixtures/plans/broken.plan.yaml', 'utf8').split('\n');
  assert.ok(source[17]!.slice(49).startsWith('four'));
  assert.ok(source[24]!.slice(10).startsWith('quant'));
});

test('missing keys, YAML syntax errors and option shape errors are positioned', () => {
  const missing = parsePlan('{"name": "x", "model": 3}', 'p.plan.json');
  assert.equal(missing.ok, false);
  assert.deepEqual(missing.ok ? [] : missing.problems.map(formatProblem), [
    'p.plan.json:1:1: baseline: missing required key "baseline"',
    'p.plan.json:1:1: workloads: missing required key "workloads"',
    'p.plan.json:1:24: model: expected a model id such as "zai-org/GLM-4.5-Air", got 3',
  ]);
  const syntax = parsePlan('name: [x\n', 'p.plan.yaml');
  assert.equal(syntax.ok, false);
  assert.match(syntax.ok ? '' : formatProblem(syntax.problems[0]!), /^p\.plan\.yaml:\d+:\d+: YAML syntax error: /);
  const dup = parsePlan('name: a\nname: b\n', 'd.plan.yaml');
  assert.match(dup.ok ? '' : formatProblem(dup.problems[0]!), /^d\.plan\.yaml:2:1: duplicate key/);
  const option = parsePlan(
    'name: x\nmodel: m\nbaseline: {engine: vllm}\nworkloads: {primary: sharegpt}\nstages:\n  - name: s\n    options:\n      - name: a\n        patch: {}\n        variant: {engine: vllm}\n',
  );
  assert.deepEqual(option.ok ? [] : option.problems.map(formatProblem), [
    'plan.yaml:8:9: stages[0].options[0]: an option needs exactly one of "variant", "patch" or "command"',
  ]);
  const notAMapping = parsePlan('- 1\n- 2\n');
  assert.deepEqual(notAMapping.ok ? [] : notAMapping.problems.map((p) => p.message), [
    'expected a plan mapping (name, model, baseline, stages, workloads…), got a list',
  ]);
});

test('a missing file is a problem, not an exception', async () => {
  const r = await loadPlanFile('no/such.plan.yaml');
  assert.deepEqual(r.ok ? [] : r.problems.map(formatProblem), ['no/such.plan.yaml:1:1: cannot read plan: no such file']);
});

test('workload presets carry the reference numbers and accept overrides', () => {
  assert.deepEqual(Object.keys(WORKLOAD_PRESETS), ['sharegpt', 'very-long-prompt', 'long-prompt', 'medium-prompt', 'short-prompt']);
  const w = resolveWorkload({ preset: 'long-prompt', numPrompts: 50 });
  assert.equal(w.name, 'Long Prompt');
  assert.equal(w.numPrompts, 50);
  assert.equal(w.seed, 42);
  assert.throws(() => resolveWorkload('nope'), /unknown workload preset "nope"/);
  const custom = resolveWorkload({ dataset: { kind: 'random', inputLen: 10, outputLen: 5 }, numPrompts: 3 });
  assert.equal(custom.name, 'random 10/5 ×3');
});

test('an engine variant fills defaults and rejects unknown keys', () => {
  const v = EngineVariant.parse({ engine: 'sglang', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4, ep: 4 } });
  assert.deepEqual(v.parallel, { tp: 4, pp: 1, dp: 1, ep: 4 });
  assert.deepEqual(v.extraArgs, []);
  assert.equal(EngineVariant.safeParse({ engine: 'sglang', model: 'm', tensorParallel: 4 }).success, false);
  assert.equal(EngineVariant.safeParse({ engine: 'tgi', model: 'm' }).success, false);
});

test('a secret in a variant env is refused with what to do instead', () => {
  const r = EngineVariant.safeParse({ engine: 'vllm', model: 'm', env: { HF_TOKEN: 'hf_abc', VLLM_ATTENTION_BACKEND: 'FLASHINFER' } });
  assert.equal(r.success, false);
  assert.match(r.error!.issues[0]!.message, /HF_TOKEN looks like a secret: .*set it in the host's environment/);
  assert.deepEqual(r.error!.issues[0]!.path, ['env', 'HF_TOKEN']);
  assert.equal(EngineVariant.safeParse({ engine: 'vllm', model: 'm', env: { VLLM_ATTENTION_BACKEND: 'FLASHINFER' } }).success, true);
});
