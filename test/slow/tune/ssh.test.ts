// The reference study over a real OpenSSH server: the simulated GPU host's shims are on the remote PATH, so every
// launch, `vllm bench serve`, /metrics scrape and result file goes through SSH exactly as with a GPU server. The plan
// is the quick plan's engine stage (vLLM against SGLang) and quantization stage (its FP8 crash) with lighter workloads,
// to keep the test short: the demo test runs the whole plan locally, and the pool tests run plans over several sshds,
// which is why this one is in the opt-in slow stage (`npm test -- slow`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment } from '../../../src/core/plan/schema';
import { startSimSshHost, type SimSshHost } from '../../integration/support/simSshHost';
import { killEngines, liveEngineGroups, QUICK_PLAN, runCli, storeContents } from '../../integration/tune/support';

let sim: SimSshHost;
const home = mkdtempSync(join(tmpdir(), 'serving-lab-tune-ssh-home-'));

before(async () => {
  // Low enough that the fastest variant's token stream stays within what two shared cores can serve in real time.
  sim = await startSimSshHost({ speedup: 8 });
});

after(async () => {
  killEngines(sim.workDir);
  await sim?.stop();
  rmSync(home, { recursive: true, force: true });
});

test('the quick plan\'s engine and quantization stages over SSH: same decision, the FP8 crash with its root cause, generalization on five workloads', async () => {
  const plan = join(home, 'ssh.plan.yaml');
  const quick = readFileSync(QUICK_PLAN, 'utf8');
  for (const w of ['sharegpt, numPrompts: 400', 'very-long-prompt, numPrompts: 10', 'long-prompt, numPrompts: 60', 'medium-prompt, numPrompts: 100', 'short-prompt, numPrompts: 200']) {
    assert.ok(quick.includes(`{ preset: ${w} }`), `the quick plan changed: update this test's lighter workloads (${w})`);
  }
  const parallelismStage = quick.indexOf('  - name: Parallelism');
  const workloads = quick.indexOf('workloads:');
  const trtllm = '      - name: TensorRT-LLM\n        variant: { engine: trtllm, parallel: { tp: 4 } }\n';
  assert.ok(parallelismStage > 0 && workloads > parallelismStage && quick.includes(trtllm), 'the quick plan changed: update which stages and options this test drops');
  writeFileSync(
    plan,
    (quick.slice(0, parallelismStage) + quick.slice(workloads))
      .replace(trtllm, '')
      .replace('{ preset: sharegpt, numPrompts: 400 }', '{ preset: sharegpt, numPrompts: 250 }')
      .replace('{ preset: very-long-prompt, numPrompts: 10 }', '{ preset: very-long-prompt, numPrompts: 3 }')
      .replace('{ preset: long-prompt, numPrompts: 60 }', '{ preset: long-prompt, numPrompts: 12 }')
      .replace('{ preset: medium-prompt, numPrompts: 100 }', '{ preset: medium-prompt, numPrompts: 16 }')
      .replace('{ preset: short-prompt, numPrompts: 200 }', '{ preset: short-prompt, numPrompts: 40 }'),
  );
  const results = join(home, 'store');
  // The dry run reads the host's GPUs over SSH, then predicts: every command in order, with the host's engine paths.
  const dry = await runCli(['tune', plan, '--host', sim.name, '--hosts-file', sim.hostsFile, '--ssh-config', sim.sshConfig, '--dry-run'], { SERVING_LAB_HOME: home }, 120_000);
  assert.equal(dry.status, 0, dry.stderr);
  assert.ok(dry.stdout.split('\n').includes(`${join(sim.shimDir, 'vllm')} serve zai-org/GLM-4.5-Air -tp 4`), dry.stdout.slice(0, 500));
  assert.match(dry.stdout, /predicted crash: .*fp8/i);
  assert.match(dry.stdout, /# 4 launches, 10 benchmark runs; estimated \d+m\d+s on gpubox/);
  const run = await runCli(['tune', plan, '--host', sim.name, '--hosts-file', sim.hostsFile, '--ssh-config', sim.sshConfig, '--results', results, '--json'], { SERVING_LAB_HOME: home });
  assert.equal(run.status, 0, run.stderr.slice(-3000));
  process.stderr.write(`quick plan over ssh: ${run.seconds.toFixed(0)} s wall\n`);
  const x = JSON.parse(run.stdout) as Experiment;
  assert.equal(x.status, 'completed');
  assert.equal(x.host.name, sim.name);
  assert.equal(x.host.gpus.length, 4);

  const stage = (name: string) => x.stages.find((s) => s.name === name)!;
  const outcome = (s: string, o: string) => stage(s).options.find((opt) => opt.name === o)!.outcome!;
  assert.equal(stage('Engine').decision!.winner, 'SGLang', stage('Engine').decision!.why);
  const fp8 = outcome('Quantization', 'FP8');
  assert.ok(fp8.kind === 'crashed' && fp8.crash.reason === 'fp8-unsupported' && /fp8/i.test(fp8.crash.rootCause), JSON.stringify(fp8));
  assert.equal(x.recommendation!.variant.engine, 'sglang');
  assert.equal(x.recommendation!.variant.parallel.tp, 4);
  // The launch commands are the hosts file's engine commands, as a user would run them there.
  assert.ok(x.recommendation!.command.startsWith(`${join(sim.shimDir, 'python3')} -m sglang.launch_server`), x.recommendation!.command);

  assert.equal(x.generalization.length, 5);
  assert.ok(x.generalization.every((g) => g.baselineResultIds.length === 1 && g.recommendedResultIds.length === 1));
  const { results: stored } = await storeContents(results);
  assert.equal(stored.length, 10);
  // Measured through SSH on the host, and converted from the shims' speedup to the simulated clock.
  assert.ok(stored.every((r) => r.source.kind === 'vllm-json' && r.notes.some((n) => /faster than real time/.test(n))));
  assert.deepEqual(liveEngineGroups(sim.workDir), [], 'no engine left running on the host');
});
