// shareGpus on a simulated 8-GPU host through the built CLI: a stage of two TP4 options runs both engines at once,
// on GPUs 0-3 and 4-7, each result saying it was measured on shared hardware; the baseline, measured alone, does not.
// (How GPUs are handed out and when a result is labelled: test/unit/tune/gpuShare.test.ts.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchmarkResult, Experiment } from '../../../src/core/plan/schema';
import { killEngines, runCli, simTuneHome, storeContents } from '../tune/support';

const { home, env, plan } = simTuneHome('serving-lab-share-gpus-', 'share.plan.yaml', `name: share gpus
model: zai-org/GLM-4.5-Air
shareGpus: true
baseline: { engine: vllm, parallel: { tp: 4 } }
stages:
  - name: Batching
    kind: batching
    options:
      - { name: seqs-64, patch: { batching: { maxNumSeqs: 64 } } }
      - { name: seqs-128, patch: { batching: { maxNumSeqs: 128 } } }
workloads:
  primary: { preset: sharegpt, numPrompts: 20 }
simulator: { speedup: 50 }
`);
const simWorkDir = join(home, 'sim', 'A100-SXM4-80GB-8');

after(() => {
  killEngines(simWorkDir);
  rmSync(home, { recursive: true, force: true });
});

const window = (r: BenchmarkResult) => [Date.parse(r.startedAt!), Date.parse(r.endedAt!)] as const;

test('shareGpus: two TP4 variants side by side on an 8-GPU host, on disjoint GPUs, labelled as measured on shared hardware', { timeout: 300_000 }, async () => {
  const run = await runCli(['tune', plan, '--host', 'sim:A100-SXM4-80GB:8', '--results', join(home, 'store'), '--json'], env, 240_000);
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  const x = JSON.parse(run.stdout) as Experiment;
  const results = (await storeContents(join(home, 'store'))).results.filter((r) => r.experimentId === x.id);
  const byOption = (option: string) => results.find((r) => r.option === option)!;
  const [a, b, baseline] = [byOption('seqs-64'), byOption('seqs-128'), byOption('Baseline')];
  assert.ok(a && b && baseline, `results: ${results.map((r) => r.option).join(', ')}`);

  // Each option's engine on its own four GPUs: one on 0-3, the other on 4-7.
  const devices = [a, b].map((r) => /CUDA_VISIBLE_DEVICES=(\S+)/.exec(r.commands.serve ?? '')?.[1]).sort();
  assert.deepEqual(devices, ['0,1,2,3', '4,5,6,7'], [a, b].map((r) => r.commands.serve).join('\n'));
  // Measured at the same time.
  const [wa, wb] = [window(a), window(b)];
  assert.ok(wa[0] < wb[1] && wb[0] < wa[1], `the two benchmarks did not overlap: ${a.startedAt}–${a.endedAt} vs ${b.startedAt}–${b.endedAt}`);
  for (const r of [a, b]) {
    assert.ok(r.notes.some((n) => /measured on shared hardware/.test(n)), `${r.option}: ${r.notes.join(' | ')}`);
    assert.deepEqual(r.place, { host: 'sim:A100-SXM4-80GB:8', sharedGpus: true }, 'the report names it');
  }
  // The baseline ran before the stage, alone on the host.
  assert.ok(!baseline.notes.some((n) => /shared hardware/.test(n)), baseline.notes.join(' | '));
  assert.equal(x.stages[0]!.options.filter((o) => !o.incumbent && o.outcome?.kind === 'measured').length, 2);
});
