// One GPU host, several users (issue 16), on the simulated host through the built CLI: while a tune runs, another
// engine start is refused by the host lock; `kill -9` of that tune leaves its engine, and the next tune names it with
// the command that stops it instead of launching into taken memory; a simulated vLLM started by hand fails as vLLM
// does when the memory is taken; nvidia-smi never shows more memory in use than the GPUs have; an unreadable run
// index is kept aside, not reset.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, killEngines, liveEngineGroups, runCli, simTuneHome, waitFor } from './support';

const { home, simWorkDir, env, plan } = simTuneHome('serving-lab-hostuse-home-', 'host-use.plan.yaml', `name: host use test
model: zai-org/GLM-4.5-Air
baseline: { engine: vllm, parallel: { tp: 4 } }
stages:
  - name: Engine
    options:
      - { name: SGLang, variant: { engine: sglang, parallel: { tp: 4 } } }
workloads:
  primary: { preset: sharegpt, numPrompts: 400 }
simulator: { speedup: 25 }
`);

after(() => {
  killEngines(simWorkDir);
  rmSync(home, { recursive: true, force: true });
});


const memoryUsed = () =>
  spawnSync(join(simWorkDir, 'bin', 'nvidia-smi'), ['--query-gpu=memory.used,memory.total', '--format=csv,noheader,nounits'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .map((l) => l.split(',').map(Number) as [number, number]);

test('host lock, leftover engine named by the next tune, simulated vLLM refusing taken memory, run index kept aside', { timeout: 600_000 }, async () => {
  const tune = spawn(process.execPath, [CLI, 'tune', plan, '--host', 'sim', '--results', join(home, 'store')], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let tuneErr = '';
  tune.stderr.setEncoding('utf8').on('data', (d: string) => (tuneErr += d));
  const tuneExited = new Promise((r) => tune.on('exit', r));
  await waitFor('the tune to benchmark its baseline', () => /Baseline/.test(tuneErr) && liveEngineGroups(simWorkDir).length === 1 && /ready|benchmark|sharegpt/i.test(tuneErr));

  // While the tune runs, the host is its own.
  const blocked = await runCli(['engine', 'start', '--host', 'sim', '--quiet', '--', 'vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4'], env, 60_000);
  assert.equal(blocked.status, 1, blocked.stderr);
  assert.match(blocked.stderr, new RegExp(`sim is in use by tune x-\\S+ \\(host use test\\) in process ${tune.pid} on this machine .*kill -INT ${tune.pid}`));

  // kill -9: no chance to stop its engine or release anything.
  tune.kill('SIGKILL');
  await tuneExited;
  const runs = readdirSync(join(simWorkDir, 'runs'));
  const leftover = runs.find((id) => existsSync(join(simWorkDir, 'runs', id, 'pid')) && liveEngineGroups(simWorkDir).length > 0)!;
  assert.ok(leftover, 'the killed tune left its engine running');

  // The next tune takes over the dead process's host lock, then names the leftover engine instead of launching.
  const next = await runCli(['tune', plan, '--host', 'sim', '--results', join(home, 'store')], env, 120_000);
  assert.equal(next.status, 1, next.stderr);
  assert.match(next.stderr, /sim: not launching, the GPU memory is taken — GPU 0 has \d+ MiB free of 81920/);
  assert.match(next.stderr, new RegExp(`engine runs still live on sim: ${leftover} \\(vllm zai-org/GLM-4\\.5-Air, port \\d+, ready since [^)]+\\): \`serving-lab engine stop ${leftover} --host sim\``));
  assert.equal(liveEngineGroups(simWorkDir).length, 1, 'nothing else was launched');

  // Started by hand (past Serving Lab's checks), the simulated vLLM fails as vLLM does.
  const byHand = spawnSync(join(simWorkDir, 'bin', 'vllm'), ['serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--port', '1'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(byHand.status, 1);
  assert.match(byHand.stderr + byHand.stdout, /ValueError: Free memory on device cuda:0 \(\d+\.\d\d\/79\.\d\d GiB\) on startup is less than desired GPU memory utilization \(0\.9, 71\.\d\d GiB\)\. Decrease GPU memory utilization or reduce GPU memory used by other processes\./);
  for (const [used, total] of memoryUsed()) assert.ok(used <= total, `nvidia-smi shows ${used} of ${total} MiB`);

  const stop = await runCli(['engine', 'stop', leftover, '--host', 'sim', '--grace', '5'], env, 60_000);
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(liveEngineGroups(simWorkDir).length, 0);

  // A truncated run index: the next start keeps it aside and says so. Any engine start shows it: a small model without
  // CUDA-graph capture is ready in seconds on the real-time simulated host (GLM-4.5-Air takes about a minute).
  const index = join(home, 'runs.json');
  writeFileSync(index, readFileSync(index, 'utf8').slice(0, 40));
  const start = await runCli(['engine', 'start', '--host', 'sim', '--quiet', '--json', '--', 'vllm', 'serve', 'Qwen/Qwen3-0.6B', '--enforce-eager'], env, 120_000);
  assert.equal(start.status, 0, start.stderr);
  assert.match(start.stderr, /the run index .*runs\.json is unreadable \(.*\): kept it as .*runs\.json\.unreadable-\S+ and started a new index/);
  const aside = readdirSync(home).filter((n) => n.startsWith('runs.json.unreadable-'));
  assert.equal(aside.length, 1);
  assert.equal(readFileSync(join(home, aside[0]!), 'utf8').length, 40, 'the broken index is kept as it was');
  const id = (JSON.parse(start.stdout) as { id: string }).id;
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(index, 'utf8')) as object), [id]);
  assert.equal((await runCli(['engine', 'stop', id, '--grace', '5'], env, 60_000)).status, 0);
});
