// The CLI against an unlucky or hostile environment (issue 16): SIGTERM while a command waits, escape sequences in
// stored strings, a truncated run index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openResultsStore } from '../../../src/core/results/store';
import { forTerminal } from '../../../src/cli/terminal';
import { useTempDirs } from '../../support/tempDirs';
import { BenchmarkResult } from '../../../src/core/plan/schema';

const tempDir = useTempDirs();
const CLI = resolve('dist/cli.js');

test('a command with nothing to save ends on SIGTERM even while it waits (plan validate on a FIFO)', { timeout: 30_000 }, async () => {
  const fifo = join(tempDir('sl-cli-term-'), 'stuck.plan.yaml');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const child = spawn(process.execPath, [CLI, 'plan', 'validate', fifo], { stdio: 'ignore' });
  const ended = new Promise<NodeJS.Signals | number | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
  await new Promise((r) => setTimeout(r, 1500));
  child.kill('SIGTERM');
  const outcome = await Promise.race([ended, new Promise((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10_000))]);
  if (outcome === 'still running 10 s after SIGTERM') child.kill('SIGKILL');
  assert.equal(outcome, 'SIGTERM');
});

test('escape sequences are stripped from text bound for the terminal: OSC 52, CSI, C1, lone CR', () => {
  assert.equal(forTerminal('a\x1b]52;c;ZXZpbA==\x07b'), 'ab');
  assert.equal(forTerminal('a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b'), 'alinkb');
  assert.equal(forTerminal('red \x1b[31mtext\x1b[0m\x1b[2J\x1b[1;1H'), 'red text');
  assert.equal(forTerminal('x\x9b31my\rz\r\nnext\tcol\x07'), 'xyz\r\nnext\tcol');
});

test('results show prints stored strings without their escape sequences', async () => {
  const root = tempDir('sl-cli-esc-');
  const store = openResultsStore(join(root, 'store'));
  const metrics = { duration: 1, completed: 1, total_input_tokens: 1, total_output_tokens: 1, request_throughput: 1, output_throughput: 1, total_token_throughput: 2 };
  await store.saveResult(BenchmarkResult.parse({ schemaVersion: 1, id: 'r-1', createdAt: '2026-12-07T10:00:00.000Z', metrics, runner: 'native', source: { kind: 'native' }, notes: ['copied \x1b]52;c;cm0gLXJmIH4=\x07 to your clipboard', 'moved \x1b[2A\x1b[2Kthe cursor'] }));
  const r = spawnSync(process.execPath, [CLI, 'results', 'show', 'r-1', '--results', join(root, 'store')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /note: {5}copied {2}to your clipboard/);
  assert.doesNotMatch(r.stdout, /[\x1b\x07]/);
});

test('a truncated run index is named, not read as empty', () => {
  const home = tempDir('sl-cli-index-');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'runs.json'), '{\n  "vllm-20261207-101010-ab12": { "host": "sim", "runDir": "/x" },\n  "vllm-2026');
  const env = { ...process.env, SERVING_LAB_HOME: home };
  const status = spawnSync(process.execPath, [CLI, 'engine', 'status', 'vllm-20261207-101010-ab12'], { encoding: 'utf8', env });
  assert.equal(status.status, 1);
  assert.match(status.stderr, /the run index .*runs\.json is unreadable \(.*JSON.*\); name the run's host with --host/);
  assert.ok(existsSync(join(home, 'runs.json')), 'the index stays where it is');
  assert.deepEqual(readdirSync(home), ['runs.json']);
});
