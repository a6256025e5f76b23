// `serving-lab sim …` as a user runs it (the built bundle): data on stdout, exit codes 0 / 1 / 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

test('sim predict prints vLLM’s block on stdout; --json gives the metrics', () => {
  const r = cli('sim', 'predict', '--workload', 'random:2000:100:50', '--', 'vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^=+ Serving Benchmark Result =+\nSuccessful requests:\s+50\s+\n/);
  assert.match(r.stdout, /Total input tokens:\s+100000\s/);
  assert.match(r.stderr, /simulated prediction/);
  const j = cli('sim', 'predict', '--json', '--gpu', 'H100-SXM-80GB', '--workload', 'sharegpt:100', '--', 'vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4');
  assert.equal(j.status, 0, j.stderr);
  const body = JSON.parse(j.stdout) as { simulated: boolean; metrics: { completed: number; total_token_throughput: number }; engine: { tokenBudget: number } };
  assert.equal(body.simulated, true);
  assert.equal(body.metrics.completed, 100);
  assert.equal(body.engine.tokenBudget, 8192);
});

test('sim predict: a crashing configuration exits 1 naming the root cause; bad input exits 2', () => {
  const crash = cli('sim', 'predict', '--', 'python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--pp-size', '4');
  assert.equal(crash.status, 1);
  assert.match(crash.stderr, /the engine would crash on 4x A100-SXM4-80GB \(pp-unsupported\): AssertionError: Pipeline Parallel is not compatible with this model\.; change the serve command/);
  assert.equal(cli('sim', 'predict', '--workload', 'sharegpt', '--', 'vllm', 'serve', 'm').status, 2);
  assert.match(cli('sim', 'predict', '--', 'python3', 'app.py').stderr, /not an engine serve command/);
  assert.equal(cli('sim', 'predict', '--gpu', 'V100').status, 2);
  assert.equal(cli('sim', 'predict').status, 2);
});

test('sim sharegpt writes the synthetic file; sim install-shims writes four executables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
  try {
    const file = join(dir, 'sharegpt.json');
    const r = cli('sim', 'sharegpt', '--out', file, '--count', '25', '--seed', '3');
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(readFileSync(file, 'utf8')) as unknown[]).length, 25);
    assert.equal(cli('sim', 'sharegpt').status, 2);
    const shims = join(dir, 'bin');
    const s = cli('sim', 'install-shims', shims, '--gpu', 'H200', '--count', '8', '--speedup', '10');
    assert.equal(s.status, 0, s.stderr);
    for (const name of ['vllm', 'python3', 'trtllm-serve', 'nvidia-smi']) {
      assert.ok(existsSync(join(shims, name)));
      assert.ok((statSync(join(shims, name)).mode & 0o111) !== 0, `${name} is executable`);
    }
    const smi = spawnSync(join(shims, 'nvidia-smi'), ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' });
    assert.equal(smi.stdout, 'NVIDIA H200\n'.repeat(8));
    assert.equal(cli('sim', 'install-shims', shims, '--count', '0').status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
