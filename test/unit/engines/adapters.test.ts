import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineVariant, type EngineVariantInput } from '../../../src/core/plan/schema';
import { parseServeCommand, parseServeCommandDetailed, renderVariant, VariantError } from '../../../src/core/engines/index';
import { splitShellWords } from '../../../src/core/shell';

const GLM = 'zai-org/GLM-4.5-Air';

test('vLLM: EP spelled --enable-expert-parallel, attention backend as VLLM_ATTENTION_BACKEND env for 0.11', () => {
  const r = renderVariant({ engine: 'vllm', model: GLM, parallel: { tp: 4, ep: 4 }, attentionBackend: 'FLASHINFER' }, { port: 8000 });
  assert.deepEqual(r.argv, ['vllm', 'serve', GLM, '-tp', '4', '--enable-expert-parallel', '--host', '127.0.0.1', '--port', '8000']);
  assert.deepEqual(r.env, { VLLM_ATTENTION_BACKEND: 'FLASHINFER' });
  assert.equal(r.commandLine, `VLLM_ATTENTION_BACKEND=FLASHINFER vllm serve ${GLM} -tp 4 --enable-expert-parallel --host 127.0.0.1 --port 8000`);
  const later = renderVariant({ engine: 'vllm', model: GLM, attentionBackend: 'FLASHINFER' }, { port: 8000, engineVersion: '0.12.0' });
  assert.ok(later.argv.includes('--attention-backend'));
  assert.deepEqual(later.env, {});
});

test('SGLang: --tp-size 4 --ep-size 4 and --enable-metrics always on', () => {
  const r = renderVariant({ engine: 'sglang', model: GLM, parallel: { tp: 4, ep: 4 } }, { port: 30000 });
  assert.equal(r.commandLine, `python3 -m sglang.launch_server --model-path ${GLM} --tp-size 4 --ep-size 4 --enable-metrics --host 127.0.0.1 --port 30000`);
});

test('TensorRT-LLM: settings without flags go to the extra options YAML in the config dir', () => {
  const r = renderVariant(
    { engine: 'trtllm', model: GLM, parallel: { tp: 4, ep: 4 }, kvCacheDtype: 'fp8', cudaGraph: { maxBatchSize: 512 }, batching: { maxNumSeqs: 512 } },
    { port: 8001, configDir: '/runs/x' },
  );
  assert.deepEqual(r.argv.slice(0, 8), ['trtllm-serve', GLM, '--tp_size', '4', '--ep_size', '4', '--max_batch_size', '512']);
  assert.equal(r.files[0]!.path, '/runs/x/extra_llm_api_options.yaml');
  assert.match(r.files[0]!.content, /kv_cache_config:\n\s+dtype: fp8/);
  assert.match(r.files[0]!.content, /return_perf_metrics: true/);
});

test('an install command replaces the executable but keeps the subcommand / module', () => {
  assert.deepEqual(renderVariant({ engine: 'vllm', model: 'm' }, { port: 1, install: { command: '/opt/venv/bin/vllm', env: {} } }).argv.slice(0, 3), ['/opt/venv/bin/vllm', 'serve', 'm']);
  assert.deepEqual(renderVariant({ engine: 'sglang', model: 'm' }, { port: 1, install: { command: '/opt/py/bin/python', env: { A: '1' } } }).argv.slice(0, 3), ['/opt/py/bin/python', '-m', 'sglang.launch_server']);
});

test('docker: --gpus, --ipc=host, HF cache mount, container named after the run, port published on loopback, env as -e', () => {
  const r = renderVariant(
    { engine: 'vllm', model: GLM, parallel: { tp: 4 }, env: { NCCL_DEBUG: 'INFO' } },
    { port: 8123, containerName: 'serving-lab-run1', home: '/home/u', install: { docker: { image: 'vllm/vllm-openai:v0.11.0', extraArgs: [] }, env: {} } },
  );
  assert.deepEqual(r.env, {});
  assert.deepEqual(r.docker, { container: 'serving-lab-run1', image: 'vllm/vllm-openai:v0.11.0' });
  const a = r.argv;
  assert.deepEqual(a.slice(0, 8), ['docker', 'run', '--rm', '--name', 'serving-lab-run1', '--gpus', 'all', '--ipc=host']);
  assert.ok(a.includes('127.0.0.1:8123:8123'));
  assert.ok(a.includes('/home/u/.cache/huggingface:/root/.cache/huggingface'));
  assert.ok(a.includes('NCCL_DEBUG=INFO'));
  const image = a.indexOf('vllm/vllm-openai:v0.11.0');
  assert.equal(a[image + 1], GLM, 'the vLLM image entrypoint is already `vllm serve`');
  assert.deepEqual(a.slice(-4), ['--host', '0.0.0.0', '--port', '8123']);
});

const roundTrip: EngineVariantInput[] = [
  { engine: 'vllm', model: GLM },
  {
    engine: 'vllm', model: GLM, servedModelName: 'glm-4.5-air', parallel: { tp: 2, pp: 2, dp: 1, ep: 2 }, quantization: 'fp8', kvCacheDtype: 'fp8',
    attentionBackend: 'FLASHINFER', maxModelLen: 32768, cudaGraph: { maxBatchSize: 512 },
    batching: { maxNumSeqs: 512, maxNumBatchedTokens: 8192, memFraction: 0.9 }, parsers: { toolCall: 'glm45', reasoning: 'glm45' },
    extraArgs: ['--async-scheduling', '-O', '{"cudagraph_mode":"FULL_AND_PIECEWISE"}'], env: { HF_HUB_OFFLINE: '1' },
  },
  { engine: 'vllm', model: GLM, cudaGraph: { disabled: true } },
  {
    engine: 'sglang', model: GLM, servedModelName: 'glm', parallel: { tp: 4, ep: 4 }, attentionBackend: 'fa3', maxModelLen: 32768,
    cudaGraph: { maxBatchSize: 256, disabled: true }, batching: { maxNumSeqs: 1024, maxNumBatchedTokens: 16384, chunkedPrefillSize: 8192, memFraction: 0.85 },
    parsers: { toolCall: 'glm', reasoning: 'glm45' }, extraArgs: ['--schedule-policy', 'lpm'], env: { SGLANG_X: 'y' },
  },
  { engine: 'trtllm', model: GLM, parallel: { tp: 4, ep: 4 }, maxModelLen: 32768, batching: { maxNumSeqs: 512, maxNumBatchedTokens: 8192, memFraction: 0.85 }, kvCacheDtype: 'fp8', attentionBackend: 'FLASHINFER', cudaGraph: { maxBatchSize: 128 } },
  { engine: 'trtllm', model: GLM, cudaGraph: { disabled: true } },
];

test('round trip: parse(render(v)) = v, for argv and for the command line text', () => {
  for (const input of roundTrip) {
    const v = EngineVariant.parse(input);
    const r = renderVariant(v, { port: 8000, configDir: '/run' });
    const files = Object.fromEntries(r.files.map((f) => [f.path, f.content]));
    const fromText = parseServeCommandDetailed(r.commandLine, { files });
    assert.deepEqual(fromText.variant, v, r.commandLine);
    assert.equal(fromText.port, 8000);
    assert.deepEqual(parseServeCommand([...Object.entries(r.env).map(([k, x]) => `${k}=${x}`), ...r.argv], { files }), v);
  }
});

test('round trip through docker lines: variant, image and user docker options survive', () => {
  const v = EngineVariant.parse({ engine: 'sglang', model: GLM, parallel: { tp: 4 }, env: { A: 'b c' } });
  const r = renderVariant(v, { port: 30000, home: '/root', containerName: 'c1', install: { docker: { image: 'lmsysorg/sglang:v0.5.4.post2', extraArgs: ['--network', 'host'] }, env: {} } });
  const parsed = parseServeCommandDetailed(r.commandLine);
  assert.deepEqual(parsed.variant, v);
  assert.deepEqual(parsed.docker, { image: 'lmsysorg/sglang:v0.5.4.post2', extraArgs: ['--network', 'host'] });
});

test('pasted command lines from the research notes parse (docker vLLM line with continuation backslashes)', () => {
  const text = `docker run -d --name glm-vllm --gpus all --ipc=host -p 8000:8000 \\
  -v ~/.cache/huggingface:/root/.cache/huggingface -e HF_TOKEN \\
  vllm/vllm-openai:v0.11.0 zai-org/GLM-4.5-Air --served-model-name glm-4.5-air \\
  --tensor-parallel-size 4 --max-model-len 32768 --gpu-memory-utilization 0.9 \\
  --max-num-batched-tokens 8192 --max-num-seqs 512 \\
  --tool-call-parser glm45 --reasoning-parser glm45 --enable-auto-tool-choice`;
  const p = parseServeCommandDetailed(text);
  assert.equal(p.variant.engine, 'vllm');
  assert.equal(p.variant.parallel.tp, 4);
  assert.equal(p.variant.batching.maxNumBatchedTokens, 8192);
  assert.equal(p.variant.parsers.toolCall, 'glm45');
  assert.deepEqual(p.variant.extraArgs, []);
  assert.equal(p.docker?.image, 'vllm/vllm-openai:v0.11.0');

  const sg = parseServeCommand('python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp 4 --ep 4 --enable-metrics');
  assert.deepEqual(sg.parallel, { tp: 4, pp: 1, dp: 1, ep: 4 });
  const vl = parseServeCommand('VLLM_ATTENTION_BACKEND=FLASHINFER vllm serve zai-org/GLM-4.5-Air -tp 4 --enable-expert-parallel');
  assert.equal(vl.attentionBackend, 'FLASHINFER');
  assert.equal(vl.parallel.ep, 4);
  assert.deepEqual(vl.env, {});
});

test('errors name what is wrong and what to do', () => {
  assert.throws(() => parseServeCommand('vllm serve m -tp four'), (e: Error) => e instanceof VariantError && /-tp expects a positive integer, got "four"/.test(e.message));
  assert.throws(() => parseServeCommand('vllm serve m; rm -rf /'), /paste a single command/);
  assert.throws(() => parseServeCommand('ollama run m'), /is not a serve command Serving Lab knows/);
  assert.throws(() => parseServeCommand('python3 -m sglang.launch_server --tp 2'), /names no model/);
  assert.throws(() => renderVariant({ engine: 'vllm', model: 'm', parallel: { tp: 4, ep: 2 } }, { port: 1 }), /set ep to 1 or 4/);
  assert.throws(() => renderVariant({ engine: 'trtllm', model: 'm', quantization: 'fp8' }, { port: 1 }), /quantized checkpoint/);
});

test('shell words: quotes, escapes and literal $() / backticks', () => {
  assert.deepEqual(splitShellWords(`a 'b c' "d \\"e\\" $(x)" f\\ g \`h\` # comment`), ['a', 'b c', 'd "e" $(x)', 'f g', '`h`']);
  assert.throws(() => splitShellWords(`a 'b`), /unterminated single quote/);
});
