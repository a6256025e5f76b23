// The simulated engines against GPU memory another process holds (issue 16, research/engines.md §4.2): each fails at
// start-up with its engine's own message, read from the simulated GPUs' ledger, and starts when the memory is free.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { planLaunch } from '../../../src/core/sim/engines/index';
import { findGpu } from '../../../src/core/sim/gpus';
import { claimsDir, type GpuClaim } from '../../../src/core/sim/nvidiaSmi';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

/** A state dir where this (live) test process holds `mib` on each of `gpus`. */
function heldBy(gpus: number[], mib: number): string {
  const stateDir = tempDir('sl-sim-held-');
  mkdirSync(claimsDir(stateDir), { recursive: true });
  const claim: GpuClaim = { pid: process.pid, engine: 'vllm', processName: 'VLLM::Worker', gpuIndices: gpus, memoryUsedMiB: mib, utilization: 0, updatedAt: Date.now() };
  writeFileSync(join(claimsDir(stateDir), `${process.pid}.json`), JSON.stringify(claim));
  return stateDir;
}

/** The engine as the shims run it (one that gets past start-up serves until the timeout ends it). */
const exec = (stateDir: string, ...program: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', 'sim', 'exec', '--speedup', '1000', '--state-dir', stateDir, '--', ...program], { encoding: 'utf8', timeout: 8_000 });

test('vLLM: free memory below gpu_memory_utilization × total is refused with vLLM’s ValueError', () => {
  const r = exec(heldBy([1], 20_000), 'vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--port', '1');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ValueError: Free memory on device cuda:1 \(59\.\d\d\/79\.\d\d GiB\) on startup is less than desired GPU memory utilization \(0\.9, 71\.\d\d GiB\)\. Decrease GPU memory utilization or reduce GPU memory used by other processes\./);
  assert.match(r.stderr, /RuntimeError: Engine core initialization failed\. See root cause above\. Failed core proc\(s\): \{\}/);
  // The same engine asking for less fits beside it.
  const small = exec(heldBy([1], 20_000), 'vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--gpu-memory-utilization', '0.7', '--port', '1');
  assert.doesNotMatch(small.stderr + small.stdout, /Free memory on device/);
});

test('SGLang: memory taken on some TP ranks is "unbalanced"; taken on all of them leaves no KV budget', () => {
  const unbalanced = exec(heldBy([2], 30_000), 'python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--port', '1');
  assert.equal(unbalanced.status, 1);
  assert.match(unbalanced.stderr, /RuntimeError: The memory capacity is unbalanced\. Some GPUs may be occupied by other processes\. min_per_gpu_memory=[\d.]+, local_gpu_memory=[\d.]+, local_gpu_memory \* 0\.9=[\d.]+/);
  const full = exec(heldBy([0, 1, 2, 3], 20_000), 'python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--port', '1');
  assert.equal(full.status, 1);
  assert.match(full.stderr, /RuntimeError: Not enough memory\. Please try to increase --mem-fraction-static\./);
  // Less free than the weights: loading them runs out of memory first.
  const noRoom = exec(heldBy([0, 1, 2, 3], 60_000), 'python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--port', '1');
  assert.equal(noRoom.status, 1);
  assert.match(noRoom.stderr, /torch\.OutOfMemoryError: CUDA out of memory/);
});

test('SGLang: memory taken on every rank shrinks the KV pool by mem_fraction_static × the memory taken, as profile_max_num_token does', () => {
  const argv = ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--port', '1'];
  // The same launch on free GPUs, planned in-process: its memory plan and log.
  const alone = planLaunch('sglang', argv, { gpu: findGpu('A100-SXM4-80GB')!, count: 4, speedup: 1000 });
  const aloneLog = alone.events.map((e) => (e.kind === 'log' ? e.text : '')).join('\n');
  const beside = exec(heldBy([0, 1, 2, 3], 10_240), 'python3', '-m', 'sglang.launch_server', ...argv).stderr;
  const avail = (log: string) => Number(/Load weight begin\. avail mem=([\d.]+) GB/.exec(log)?.[1]);
  const tokens = Number(/max_total_num_tokens=(\d+)/.exec(beside)?.[1]);
  assert.ok(tokens > 0, `starts and serves beside 10 GiB taken:\n${beside.slice(-400)}`);
  assert.ok(Math.abs(avail(aloneLog) - avail(beside) - 10) < 0.01, `avail mem at start drops by the 10 GiB taken: ${avail(aloneLog)} → ${avail(beside)}`);
  const m = alone.memory!;
  const expected = m.kvCapacityTokens - (alone.config!.memoryFraction * 10 * 1024 ** 3) / m.kvBytesPerTokenPerGpu;
  assert.ok(Math.abs(tokens / expected - 1) < 0.01, `${tokens} tokens; mem_fraction_static × 10 GiB fewer than ${m.kvCapacityTokens} is ${Math.round(expected)}`);
});
