// A pool of simulated GPU hosts, each behind its own real sshd on loopback, driven by `serving-lab tune --host a,b,c`:
// independent options run on the hosts in parallel, and a host with other GPUs is refused before anything runs.
// (A host dying mid-plan: pool-dropout.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment } from '../../../src/core/plan/schema';
import { runCli, storeContents } from '../tune/support';
import { startSimSshPool, writeBatchingPlan, type SimSshPool } from './support';

const dir = mkdtempSync(join(tmpdir(), 'serving-lab-pool-'));
let pool: SimSshPool;

before(async () => {
  pool = await startSimSshPool(dir, [
    { name: 'gpu1', speedup: 50 },
    { name: 'gpu2', speedup: 50 },
    { name: 'gpu3', speedup: 50 },
    { name: 'h1', speedup: 50, gpu: 'H100-SXM-80GB' },
  ]);
});

after(() => pool.stop());

/** A baseline and one stage of six batching options: seven launches, the six options independent of each other. */
const writePlan = (name: string) => writeBatchingPlan(dir, name, [64, 96, 128, 192, 256, 384]);

const tune = (plan: string, hostList: string, results: string) =>
  runCli(['tune', plan, '--host', hostList, '--hosts-file', pool.hostsFile, '--ssh-config', pool.sshConfig, '--results', results, '--json'], { SERVING_LAB_HOME: join(dir, 'home') });

test('a pool of three finishes a six-option stage in about a third of the one-host time, with the same decision', async () => {
  const plan = writePlan('pool');
  const one = await tune(plan, 'gpu1', join(dir, 'store-one'));
  assert.equal(one.status, 0, one.stderr.slice(-3000));
  const three = await tune(plan, 'gpu1,gpu2,gpu3', join(dir, 'store-three'));
  assert.equal(three.status, 0, three.stderr.slice(-3000));
  const [x1, x3] = [JSON.parse(one.stdout) as Experiment, JSON.parse(three.stdout) as Experiment];
  assert.equal(x3.host.name, 'gpu1+gpu2+gpu3');
  assert.equal(x3.stages[0]!.options.filter((o) => o.outcome?.kind === 'measured').length, 7);
  // The stage alone: from its first launch to its last result (the baseline runs alone in both).
  const stageSeconds = async (store: string, x: Experiment) => {
    const results = (await storeContents(store)).results.filter((r) => r.experimentId === x.id && r.stage === 'Batching');
    const launches = results.map((r) => Date.parse(r.startedAt!));
    return (Math.max(...results.map((r) => Date.parse(r.endedAt!))) - Math.min(...launches)) / 1000;
  };
  const [s1, s3] = [await stageSeconds(join(dir, 'store-one'), x1), await stageSeconds(join(dir, 'store-three'), x3)];
  process.stderr.write(`six-option stage: one host ${s1.toFixed(1)} s, pool of three ${s3.toFixed(1)} s (${(s3 / s1).toFixed(2)}×); whole plan ${one.seconds.toFixed(1)} s vs ${three.seconds.toFixed(1)} s\n`);
  assert.ok(s3 / s1 < 0.55, `the pool of three took ${(s3 / s1).toFixed(2)}× the one-host stage time`);
  const usedHosts = new Set((await storeContents(join(dir, 'store-three'))).results.map((r) => r.notes.find((n) => n.startsWith('measured on pool host '))));
  assert.equal(usedHosts.size, 3, [...usedHosts].join(', '));
});

test('a host with another GPU model is refused before anything runs, naming the odd host', async () => {
  const run = await tune(writePlan('mixed'), 'gpu1,h1', join(dir, 'store-mixed'));
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /not comparable/);
  assert.match(run.stderr, /h1: 4× NVIDIA H100/);
  assert.match(run.stderr, /gpu1: 4× NVIDIA A100/);
  assert.equal((await storeContents(join(dir, 'store-mixed'))).results.length, 0);
});
