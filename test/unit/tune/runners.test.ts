import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveWorkload } from '../../../src/core/plan/presets';
import { nativeBenchArgv, sglangBenchArgv, vllmBenchArgv } from '../../../src/core/tune/runners';

const target = { model: 'zai-org/GLM-4.5-Air', port: 8000, sharegptPath: '/data/sg.json', resultDir: '/w/results', resultFile: 'r-1.json' };

test('vllm-bench: the reference command plus result files and all four percentile metrics', () => {
  const argv = vllmBenchArgv(resolveWorkload('long-prompt'), target);
  const line = argv.join(' ');
  assert.match(line, /^vllm bench serve --backend openai-chat --base-url http:\/\/127\.0\.0\.1:8000 --endpoint \/v1\/chat\/completions --model zai-org\/GLM-4\.5-Air/);
  assert.match(line, /--dataset-name random --random-input-len 4000 --random-output-len 200 --random-range-ratio 0 /);
  assert.match(line, /--num-prompts 500 --request-rate inf --burstiness 1 --seed 42/);
  assert.match(line, /--percentile-metrics ttft,tpot,itl,e2el .*--save-result --save-detailed --result-dir \/w\/results --result-filename r-1\.json$/);
  const sharegpt = vllmBenchArgv(resolveWorkload('sharegpt'), { ...target, goodput: { tpotMs: 200 } }).join(' ');
  assert.match(sharegpt, /--dataset-name sharegpt --dataset-path \/data\/sg\.json/);
  assert.match(sharegpt, /--goodput tpot:200/);
});

test('native: serving-lab bench with the same flags and per-request events on stdout', () => {
  const argv = nativeBenchArgv(resolveWorkload('short-prompt'), target, ['node', '/w/serving-lab.js']);
  assert.deepEqual(argv.slice(0, 3), ['node', '/w/serving-lab.js', 'bench']);
  assert.deepEqual(argv.slice(-2), ['--events', '-']);
});

test("sglang-bench maps vLLM's fixed random lengths to SGLang's range ratio 1", () => {
  const { argv, notes } = sglangBenchArgv(resolveWorkload('medium-prompt'), target);
  const line = argv.join(' ');
  assert.match(line, /^python3 -m sglang\.bench_serving --backend sglang-oai-chat --base-url http:\/\/127\.0\.0\.1:8000/);
  assert.match(line, /--random-range-ratio 1 /);
  assert.match(line, /--output-file \/w\/results\/r-1\.json --output-details$/);
  assert.deepEqual(notes, []);
  assert.throws(() => vllmBenchArgv(resolveWorkload('sharegpt'), { ...target, sharegptPath: undefined }), /needs a dataset file on the host/);
});

test('a host the caller resolved is used as given (with the speedup applied to simulated hosts)', async () => {
  const { hostSpecFor } = await import('../../../src/core/tune/hostBackend');
  const { HostSpec } = await import('../../../src/core/plan/schema');
  const fromSettings = HostSpec.parse({ name: 'lab-a100', transport: { kind: 'sim', gpu: 'A100-SXM4-80GB', count: 2 } });
  const spec = hostSpecFor({ hostName: 'lab-a100', cwd: '/nonexistent', hostSpec: fromSettings, speedup: 3 });
  assert.equal(spec.name, 'lab-a100');
  assert.deepEqual(spec.transport, { kind: 'sim', gpu: 'A100-SXM4-80GB', count: 2, speedup: 3 });
  // Without it, the same name is only an ssh destination.
  assert.equal(hostSpecFor({ hostName: 'lab-a100', cwd: '/nonexistent' }).transport.kind, 'ssh');
});
