// A load sweep on the built-in simulated host, sped up, end to end through the CLI: real engine processes (the
// simulator's), the native client streaming every request, one launch for the whole curve, and a point past
// saturation recognised as such (stopped early when its queue keeps growing).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killEngines, runCli, storeContents } from './support';

const home = mkdtempSync(join(tmpdir(), 'serving-lab-capacity-home-'));
const results = join(home, 'store');
const env = { SERVING_LAB_HOME: home };
const simWorkDir = join(home, 'sim', 'A100-SXM4-80GB-4');

after(() => {
  killEngines(simWorkDir);
  rmSync(home, { recursive: true, force: true });
});

const PLAN = `name: sweep on sim
model: zai-org/GLM-4.5-Air
baseline: { engine: vllm, parallel: { tp: 4 } }
workloads:
  primary: { preset: sharegpt, load: { sweep: { request_rates: [1, 30], slo: { p99_ttft_ms: 3000, p99_tpot_ms: 150 }, point: { warmup_s: 10, window_s: 40 } } } }
runner: native
simulator: { speedup: 10 }
`;

test('a sweep on the simulated host: one launch, the low rate meets the SLO, the rate past saturation is marked saturated', async () => {
  const planFile = join(home, 'sweep.plan.yaml');
  writeFileSync(planFile, PLAN);
  const run = await runCli(['tune', planFile, '--host', 'sim', '--results', results, '--json'], env);
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  const x = JSON.parse(run.stdout) as import('../../../src/core/plan/schema').Experiment;
  process.stderr.write(`sweep on sim: ${run.seconds.toFixed(0)} s wall\n`);
  assert.equal(x.engineRunIds.length, 1, 'one launch for the whole curve');
  const curve = x.curves[0]!;
  assert.deepEqual(curve.points.map((p) => p.value), [1, 30]);
  const [low, high] = curve.points;
  assert.equal(low!.meetsSlo, true, low!.breaks.join(', '));
  assert.equal(low!.saturated, undefined);
  assert.ok(Math.abs(low!.metrics['request_throughput']! - 1) < 0.3, `achieved ${low!.metrics['request_throughput']} req/s at 1 offered`);
  assert.equal(high!.meetsSlo, false);
  assert.ok(high!.saturated && high!.saturated.length > 0, 'rate 30 is past vLLM TP4 saturation (about 8.5 req/s)');
  assert.equal(curve.capacity?.load, 1);
  const store = await storeContents(results);
  const points = store.results.filter((r) => r.load);
  assert.ok(points.every((r) => !r.notes.some((n) => /refused a prefix-cache reset/.test(n))), 'the prefix cache was reset between points');
  assert.ok(points.find((r) => r.load!.value === 1)!.load!.window!.startS >= 10, 'the warm-up is excluded');
});
