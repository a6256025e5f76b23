// A pool of two simulated GPU hosts behind real sshds on loopback: one host dies (sshd, sessions and engines killed)
// while it benchmarks a stage option; the pool notices within seconds (the benchmark's session ends with the
// connection and the host takes no new one), the plan completes and only that point is measured again, elsewhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment } from '../../../src/core/plan/schema';
import { killSimSshHost } from '../support/simSshHost';
import { CLI, storeContents } from '../tune/support';
import { startSimSshPool, writeBatchingPlan, type SimSshPool } from './support';
import { spawn } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'serving-lab-pool-'));
let pool: SimSshPool;

before(async () => {
  pool = await startSimSshPool(dir, [
    { name: 'gpu1', speedup: 50 },
    { name: 'gpu2', speedup: 50 },
  ]);
});

after(() => pool.stop());

/** A baseline and one stage of two batching options, one per host. */
const writePlan = (name: string) => writeBatchingPlan(dir, name, [64, 128]);

test('a host killed mid-plan loses only its running point: the plan completes with every option measured', async () => {
  const plan = writePlan('dropout');
  const child = spawn(process.execPath, [CLI, 'tune', plan, '--host', 'gpu1,gpu2', '--hosts-file', pool.hostsFile, '--ssh-config', pool.sshConfig, '--results', join(dir, 'store-dropout'), '--json'], {
    env: { ...process.env, SERVING_LAB_HOME: join(dir, 'home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  let noticedAt: number | undefined;
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (noticedAt === undefined && /host gpu2 of the pool stopped answering/.test(stderr)) noticedAt = Date.now();
  });
  const exited = new Promise<number | null>((r) => child.on('close', r));
  // Wait until gpu2 runs a benchmark client (its pid file is in the host's bench dir while it runs), then take the
  // machine away: its sshd, its sessions and its engines.
  const gpu2 = pool.hosts[1]!;
  const benchmarking = () => existsSync(join(gpu2.workDir, 'bench')) && readdirSync(join(gpu2.workDir, 'bench')).some((f) => f.endsWith('.pid'));
  for (let i = 0; i < 1200 && !benchmarking(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(benchmarking(), `gpu2 never ran a benchmark: ${stderr.slice(-2000)}`);
  const killedAt = Date.now();
  await killSimSshHost(gpu2);
  assert.equal(await exited, 0, stderr.slice(-3000));
  // Noticed from the closed connection, not after the reconnect backoff of every later call (minutes before).
  assert.ok(noticedAt !== undefined && noticedAt - killedAt < 20_000, `the pool noticed the dead host after ${noticedAt === undefined ? 'never' : `${(noticedAt - killedAt) / 1000} s`}`);
  const x = JSON.parse(stdout) as Experiment;
  assert.equal(x.status, 'completed');
  const options = x.stages[0]!.options.filter((o) => !o.incumbent);
  assert.deepEqual(options.map((o) => `${o.name}: ${o.outcome?.kind}`), options.map((o) => `${o.name}: measured`));
  assert.ok(x.notes.some((n) => /host gpu2 stopped answering.*measured again/.test(n)), x.notes.join('\n'));
  const results = (await storeContents(join(dir, 'store-dropout'))).results.filter((r) => r.experimentId === x.id && r.status === 'complete');
  assert.equal(results.length, 3, 'baseline + two options, none lost');
  // Every kept result is gpu1's: the point gpu2 lost was measured again there.
  assert.deepEqual(results.map((r) => r.place?.host), ['gpu1', 'gpu1', 'gpu1']);
});
