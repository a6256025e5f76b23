// The predicted search through the CLI on the real simulated host (engine processes, `vllm bench serve` through its
// shim) with a hidden host profile the forecasts never read: slower SGLang steps, and vLLM's FP8 KV cache crashing
// on this host only. The search must measure only part of the space, keep the unforeseen crash with its root
// cause, and write "How the search spent its time" into the report.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment } from '../../../src/core/plan/schema';
import { killEngines, runCli } from './support';

const home = mkdtempSync(join(tmpdir(), 'serving-lab-predicted-'));
const env = { SERVING_LAB_HOME: home };
const results = join(home, 'store');

after(() => {
  // The profiled host's work dir is sim/<GPU>-<N>-profile-<hash>: stop anything under sim/.
  if (existsSync(join(home, 'sim'))) for (const dir of readdirSync(join(home, 'sim'))) killEngines(join(home, 'sim', dir));
  rmSync(home, { recursive: true, force: true });
});

test('a predicted search on a profiled simulated host measures part of the space and reports how', async () => {
  const profile = join(home, 'host.yaml');
  writeFileSync(profile, 'stepOverheadS: { sglang: 0.004 }\ncrashes:\n  - { engine: vllm, args: "--kv-cache-dtype fp8", log: "RuntimeError: FP8 KV kernels fail on this host" }\n');
  const plan = join(home, 'space.plan.yaml');
  writeFileSync(
    plan,
    [
      'name: predicted on a profiled host',
      'model: Qwen/Qwen3-0.6B',
      'baseline: { engine: vllm, kvCacheDtype: auto }',
      'space:',
      '  engine: [vllm, sglang]',
      '  kvCacheDtype: [null, fp8]',
      'workloads: { primary: { preset: sharegpt, numPrompts: 24 } }',
      'simulator: { speedup: 30 }',
      '',
    ].join('\n'),
  );
  const host = `sim:A100-SXM4-80GB:1?profile=${profile}`;
  const run = await runCli(['tune', plan, '--host', host, '--results', results, '--json'], env, 120_000);
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  const x = JSON.parse(run.stdout) as Experiment;
  process.stderr.write(`predicted search on the profiled sim host: ${run.seconds.toFixed(0)} s wall\n`);
  assert.equal(x.status, 'completed');
  const s = x.search!;
  assert.equal(s.candidates.length, 4);
  const measured = s.steps.length;
  assert.ok(measured >= 1 && measured < 4, `${measured} of ${s.candidates.length} measured`);
  assert.ok(s.candidates.some((c) => c.skipped?.kind === 'predicted-crash' && /invalid choice/.test(c.skipped.why)), 'SGLang has no plain fp8 KV dtype');
  for (const step of s.steps.filter((st) => st.crashed)) assert.match(step.crashed!, /FP8 KV kernels fail on this host/);
  assert.ok(s.gpuSeconds > 0 && s.gridGpuSeconds > 0, `${s.gpuSeconds} vs ${s.gridGpuSeconds}`);
  assert.ok(s.errorBeforePct !== undefined && s.errorAfterPct !== undefined);
  assert.notEqual(x.recommendation!.variant.kvCacheDtype, 'fp8');

  const report = await runCli(['report', 'latest', '--results', results, '--out', join(home, 'docs', 'report.md')], env, 60_000);
  assert.equal(report.status, 0, report.stderr.slice(-2000));
  const md = readFileSync(join(home, 'docs', 'report.md'), 'utf8');
  assert.match(md, /## How the search spent its time/);
  assert.match(md, /Prediction error over the measured candidates: [\d.]+% from the simulator alone/);
  assert.match(md, /!\[Predicted against measured tok\/s\]\(.*-search\.svg\)/);
});
