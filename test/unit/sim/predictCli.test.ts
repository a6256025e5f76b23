// `serving-lab sim predict` with what users paste: a serving script as one argument, env prefixes, flags the
// simulator does not model, and an engine that would hang.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

test('sim predict takes a pasted serving script, names the flags it does not model, and picks the release from the environment', () => {
  const script = '# A100 box\npip install vllm\nexport SERVING_LAB_SIM_VLLM_VERSION=0.10.1\nvllm serve Qwen/Qwen3-30B-A3B \\\n  -tp 4 --enable-eplb\n';
  const r = cli('sim', 'predict', '--workload', 'random:500:20:20', '--', script);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Successful requests:\s+20\s/);
  assert.match(r.stderr, /not a serve command, not run: line 2: pip install vllm/);
  assert.match(r.stderr, /not modelled: --enable-eplb \(accepted/);
  // 0.10.1 has no -dcp, so the same script with it fails as that release's argparse does.
  const dcp = cli('sim', 'predict', '--', script.replace('--enable-eplb', '-dcp 2'));
  assert.equal(dcp.status, 1);
  assert.match(dcp.stderr, /unrecognized arguments: -dcp 2/);
  // An env prefix in argv form reaches the engine too.
  assert.equal(cli('sim', 'predict', '--workload', 'random:100:10:2', '--', 'SERVING_LAB_SIM_VLLM_VERSION=0.9.2', 'vllm', 'serve', 'm').status, 2);
});

test('sim predict exits 1 when the engine would hang, with the reason, instead of printing zeros', () => {
  const r = cli('sim', 'predict', '--workload', 'random:30000:10:2', '--', 'trtllm-serve', 'Qwen/Qwen3-30B-A3B', '--tp_size', '4', '--kv_cache_free_gpu_memory_fraction', '0.001', '--enable_chunked_prefill');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the engine would hang: the engine stopped scheduling with 2 requests waiting/);
});
