// The README's first command: the quick reference study on the built-in simulated host, through the CLI, end to
// end — real engine processes (the simulator's), `vllm bench serve` through its shim, results store on disk.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killEngines, liveEngineGroups, pointOf, QUICK_PLAN, runCli, storeContents } from './support';

const home = mkdtempSync(join(tmpdir(), 'serving-lab-tune-home-'));
const results = join(home, 'store');
const env = { SERVING_LAB_HOME: home };

// The built-in sim host keeps its work dir under SERVING_LAB_HOME.
const simWorkDir = join(home, 'sim', 'A100-SXM4-80GB-4');

after(() => {
  killEngines(simWorkDir);
  rmSync(home, { recursive: true, force: true });
});

test('the quick plan on the simulated host reaches the reference decisions and keeps every result', async () => {
  const run = await runCli(['tune', QUICK_PLAN, '--host', 'sim', '--results', results, '--json'], env);
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  const x = JSON.parse(run.stdout) as import('../../../src/core/plan/schema').Experiment;
  assert.equal(x.status, 'completed');
  process.stderr.write(`quick plan on sim: ${run.seconds.toFixed(0)} s wall\n`);

  const stage = (name: string) => x.stages.find((s) => s.name === name)!;
  const option = (s: string, o: string) => stage(s).options.find((opt) => opt.name === o)!;
  // Engine: SGLang beats vLLM; TensorRT-LLM cannot load the model.
  assert.equal(stage('Engine').decision!.winner, 'SGLang', stage('Engine').decision!.why);
  assert.equal(option('Engine', 'TensorRT-LLM').outcome!.kind, 'crashed');
  // Quantization: FP8 crashes on A100 and the crash keeps its root-cause line, not the wrapper error.
  const fp8 = option('Quantization', 'FP8').outcome!;
  assert.equal(fp8.kind, 'crashed');
  assert.equal(fp8.kind === 'crashed' && fp8.crash.reason, 'fp8-unsupported');
  assert.match(fp8.kind === 'crashed' ? fp8.crash.rootCause : '', /fp8/i);
  assert.doesNotMatch(fp8.kind === 'crashed' ? fp8.crash.rootCause : '', /Engine core initialization failed/);
  // Parallelism: PP crashes; TP4+EP4 wins (flagged when within noise).
  const pp = option('Parallelism', 'PP4').outcome!;
  assert.equal(pp.kind, 'crashed');
  assert.match(pp.kind === 'crashed' ? pp.crash.rootCause : '', /pipeline parallel/i);
  const parallel = stage('Parallelism').decision!;
  assert.equal(parallel.winner, 'TP4+EP4', parallel.why);
  assert.equal(parallel.withinNoise, parallel.gainPct < 2);
  // Recommendation: SGLang with TP4+EP4.
  const rec = x.recommendation!;
  assert.equal(rec.variant.engine, 'sglang');
  assert.equal(rec.variant.parallel.tp, 4);
  assert.equal(rec.variant.parallel.ep, 4);
  assert.match(rec.command, /^python3 -m sglang\.launch_server --model-path zai-org\/GLM-4\.5-Air --tp-size 4 --ep-size 4/);
  // Later stages: anything that replaced the incumbent did so by a measured gain, and said whether it was noise.
  for (const s of x.stages) assert.ok(s.decision && (s.decision.gainPct === 0 || s.decision.gainPct > 0), s.name);

  // Generalization: baseline and recommendation on all five workloads, each a stored, complete result.
  assert.deepEqual(x.generalization.map((g) => g.workload.name), ['ShareGPT', 'Very Long Prompt', 'Long Prompt', 'Medium Prompt', 'Short Prompt']);
  const store = await storeContents(results);
  const byId = new Map(store.results.map((r) => [r.id, r]));
  for (const g of x.generalization) {
    assert.equal(g.baselineResultIds.length, 1, g.workload.name);
    assert.equal(g.recommendedResultIds.length, 1, g.workload.name);
    const base = byId.get(g.baselineResultIds[0]!)!;
    const opt = byId.get(g.recommendedResultIds[0]!)!;
    assert.equal(base.variant!.engine, 'vllm');
    assert.equal(opt.variant!.engine, 'sglang');
    assert.ok(base.metrics.completed > 0 && opt.metrics.completed > 0);
  }
  // Every result: complete, once per point, with the exact commands, the printed block and the simulation note.
  assert.equal(store.results.length, 14);
  assert.equal(new Set(store.results.map(pointOf)).size, 14);
  for (const r of store.results) {
    assert.equal(r.status, 'complete');
    assert.equal(r.experimentId, x.id);
    assert.match(r.commands.bench ?? '', /^vllm bench serve .*--percentile-metrics ttft,tpot,itl,e2el .*--save-result --save-detailed/);
    assert.match(r.commands.serve ?? '', /--port \d+/);
    assert.match(r.rawOutput ?? '', /Serving Benchmark Result/);
    assert.ok(r.notes.some((n) => /simulated/.test(n)));
    assert.ok(r.metrics['p99_e2el_ms'] !== undefined, 'e2el percentiles were requested');
  }
  // Simulated-clock numbers: the same order of magnitude as the reference's (thousands of tok/s, not ×speedup).
  const baselineShareGpt = byId.get(x.generalization[0]!.baselineResultIds[0]!)!;
  assert.ok(baselineShareGpt.metrics.total_token_throughput > 500 && baselineShareGpt.metrics.total_token_throughput < 20000, String(baselineShareGpt.metrics.total_token_throughput));

  // Nothing keeps running after the experiment.
  assert.deepEqual(liveEngineGroups(simWorkDir), []);

  // The store from the CLI: list, show, CSV export.
  const list = await runCli(['results', 'list', '--results', results, '--json'], env, 60_000);
  assert.equal(list.status, 0, list.stderr);
  assert.equal((JSON.parse(list.stdout) as unknown[]).length, 14);
  const show = await runCli(['results', 'show', x.id, '--results', results], env, 60_000);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /Recommendation: python3 -m sglang\.launch_server .*--tp-size 4 --ep-size 4/);
  assert.match(show.stdout, /FP8: crashed \(fp8-unsupported\)/);
  const csv = await runCli(['results', 'export', '--csv', '--results', results], env, 60_000);
  assert.equal(csv.status, 0, csv.stderr);
  assert.equal(csv.stdout.trim().split('\n').length, 15);
});
