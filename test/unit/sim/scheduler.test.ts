// Continuous batching rules: vLLM's token budget, sequence cap and preemption; SGLang's prefill-first batches.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { perfConfig } from '../../../src/core/sim/config';
import { planLaunch } from '../../../src/core/sim/engines/index';
import { SglangScheduler } from '../../../src/core/sim/engines/sglang/scheduler';
import { VllmScheduler } from '../../../src/core/sim/engines/vllm/scheduler';
import { resolveGpu } from '../../../src/core/sim/gpus';
import { newRequest } from '../../../src/core/sim/scheduler';

const host = { gpu: resolveGpu('A100-SXM4-80GB'), count: 4, speedup: 1 };
const perf = (engine: 'vllm' | 'sglang') =>
  perfConfig(planLaunch(engine, engine === 'vllm' ? ['zai-org/GLM-4.5-Air', '-tp', '4'] : ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4'], host).config!);

test('vLLM: a step never exceeds max_num_batched_tokens or max_num_seqs, and long prompts are chunked', () => {
  const s = new VllmScheduler(perf('vllm'), 1_000_000, 4, 2048);
  for (let i = 0; i < 6; i++) s.add(newRequest(i, 1500, 3));
  const first = s.plan()!;
  assert.deepEqual(first.chunks.map((c) => c.q), [1500, 548]);
  s.commit(first);
  const second = s.plan()!;
  assert.equal(second.decodes.length, 1, 'the finished prompt decodes');
  assert.equal(second.chunks[0]!.q, 952, 'the chunked prompt continues');
  assert.ok(second.chunks.reduce((a, c) => a + c.q, 0) + second.decodes.length <= 2048);
  s.commit(second);
  for (let i = 0; i < 10; i++) {
    const step = s.plan();
    if (!step) break;
    assert.ok(s.running.length <= 4);
    s.commit(step);
  }
});

test('vLLM: when KV runs out the newest running request is preempted and recomputed, and every token is still emitted once', () => {
  const s = new VllmScheduler(perf('vllm'), 300, 8, 2048);
  const reqs = [0, 1, 2].map((i) => newRequest(i, 90, 40));
  for (const r of reqs) s.add(r);
  const emitted = new Map<number, number>();
  let steps = 0;
  while (s.hasWork() && steps++ < 1000) {
    const step = s.plan()!;
    for (const e of s.commit(step)) emitted.set(e.request.id, (emitted.get(e.request.id) ?? 0) + 1);
    assert.ok(s.kvUsed <= 300);
  }
  assert.ok(s.counters.preemptions > 0, 'KV pressure forced a preemption');
  assert.deepEqual([...emitted.values()], [40, 40, 40]);
  assert.equal(s.kvUsed, 0);
});

test('SGLang: prefill-only batches while prompts wait, then one decode over everything running', () => {
  const s = new SglangScheduler(perf('sglang'), 1_000_000, 2048, 8192);
  for (let i = 0; i < 20; i++) s.add(newRequest(i, 1000, 5));
  const kinds: string[] = [];
  while (s.hasWork()) {
    const step = s.plan()!;
    kinds.push(step.kind);
    if (step.kind === 'prefill') assert.ok(step.shape.prefill.reduce((a, p) => a + p.q, 0) <= 8192);
    if (step.kind === 'decode') assert.equal(step.decodes.length, s.runningCount());
    s.commit(step);
  }
  assert.deepEqual(kinds.slice(0, 3), ['prefill', 'prefill', 'prefill'], 'all 20k prompt tokens are prefilled first');
  assert.equal(kinds.filter((k) => k === 'decode').length, 4, 'then 4 decode steps for the remaining 4 tokens');
});

test('SGLang: admission reserves room for the running requests’ future tokens', () => {
  const s = new SglangScheduler(perf('sglang'), 9_000, 2048, 8192);
  s.add(newRequest(0, 1000, 4000));
  s.commit(s.plan()!);
  s.add(newRequest(1, 6000, 10));
  // 1000 used + 6000 new + ~4000·0.7 reserved > 9000: the second prompt has to wait.
  const step = s.plan()!;
  assert.equal(step.kind, 'decode');
  assert.equal(s.waiting.length, 1);
});

test('SGLang: without the reservation the same prompt fits', () => {
  const s = new SglangScheduler(perf('sglang'), 9_000, 2048, 8192);
  s.add(newRequest(0, 1000, 5));
  s.commit(s.plan()!);
  s.add(newRequest(1, 6000, 10));
  assert.equal(s.plan()!.kind, 'prefill');
});
