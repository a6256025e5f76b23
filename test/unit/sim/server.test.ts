// The simulated HTTP API in-process, at a high speedup: errors in the engines' shapes, non-streaming responses,
// SGLang /metrics only with --enable-metrics, and nvidia-smi output formats.
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { planLaunch } from '../../../src/core/sim/engines/index';
import { resolveGpu } from '../../../src/core/sim/gpus';
import { nvidiaSmi } from '../../../src/core/sim/nvidiaSmi';
import { RealtimeEngine } from '../../../src/core/sim/realtime';
import { createSimServer } from '../../../src/core/sim/server';

const host = { gpu: resolveGpu('A100-SXM4-80GB'), count: 4, speedup: 1000 };
const servers: http.Server[] = [];
const engines: RealtimeEngine[] = [];

async function serve(engine: 'vllm' | 'sglang', args: string[]): Promise<string> {
  const config = planLaunch(engine, args, host).config!;
  const rt = new RealtimeEngine(config);
  const server = createSimServer(config, rt, { ready: true });
  servers.push(server);
  engines.push(rt);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

after(() => {
  for (const e of engines) e.close();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('vLLM: non-streaming chat returns the full message with usage; errors follow the OpenAI error shape', async () => {
  const base = await serve('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4', '--max-model-len', '4096']);
  const res = await post(`${base}/v1/chat/completions`, { model: 'zai-org/GLM-4.5-Air', messages: [{ role: 'user', content: 'hi' }], max_tokens: 12 });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { object: string; choices: Array<{ message: { role: string; content: string }; finish_reason: string }>; usage: { completion_tokens: number } };
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.choices[0]!.message.role, 'assistant');
  assert.equal(body.choices[0]!.finish_reason, 'length');
  assert.equal(body.usage.completion_tokens, 12);

  const wrongModel = await post(`${base}/v1/chat/completions`, { model: 'gpt-4', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(wrongModel.status, 404);
  assert.match(((await wrongModel.json()) as { error: { message: string } }).error.message, /The model `gpt-4` does not exist/);

  const tooLong = await post(`${base}/v1/completions`, { model: 'zai-org/GLM-4.5-Air', prompt: 'word '.repeat(10), max_tokens: 5000 });
  assert.equal(tooLong.status, 400);
  assert.match(((await tooLong.json()) as { error: { message: string } }).error.message, /maximum context length is 4096 tokens/);

  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal((await post(`${base}/detokenize`, { tokens: [-1] })).status, 400);
});

test('SGLang: /metrics is 404 without --enable-metrics; /health_generate and /get_server_info answer', async () => {
  const base = await serve('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4']);
  assert.equal((await fetch(`${base}/metrics`)).status, 404);
  assert.equal((await fetch(`${base}/health_generate`)).status, 200);
  const info = (await (await fetch(`${base}/get_server_info`)).json()) as { max_total_num_tokens: number; simulated: boolean };
  assert.ok(info.max_total_num_tokens > 300_000);
  assert.equal(info.simulated, true);
});

test('vLLM /metrics counts match the requests served', async () => {
  const base = await serve('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4', '--served-model-name', 'air']);
  await Promise.all([3, 4, 5].map((n) => post(`${base}/v1/completions`, { model: 'air', prompt: 'count to ten', max_tokens: n }).then((r) => r.json())));
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /vllm:generation_tokens_total\{engine="0",model_name="air"\} 12\.0/);
  assert.match(text, /vllm:request_success_total\{engine="0",finished_reason="length",model_name="air"\} 3\.0/);
  assert.match(text, /vllm:time_to_first_token_seconds_count\{engine="0",model_name="air"\} 3\.0/);
  assert.match(text, /vllm:inter_token_latency_seconds_count\{engine="0",model_name="air"\} 9\.0/);
  assert.match(text, /vllm:num_requests_running\{engine="0",model_name="air"\} 0\.0/);
});

test('nvidia-smi: CSV with and without units/header, -L, compute apps, and memory of live claims only', () => {
  const state = mkdtempSync(join(tmpdir(), 'smi-'));
  try {
    mkdirSync(join(state, 'engines'));
    writeFileSync(join(state, 'engines', `${process.pid}.json`), JSON.stringify({ pid: process.pid, engine: 'vllm', processName: 'VLLM::Worker', gpuIndices: [0, 1], memoryUsedMiB: 70000, utilization: 85, updatedAt: Date.now() }));
    writeFileSync(join(state, 'engines', '999999.json'), JSON.stringify({ pid: 999999, engine: 'vllm', processName: 'dead', gpuIndices: [2], memoryUsedMiB: 70000, utilization: 0, updatedAt: 0 }));
    const gpu = resolveGpu('A100-SXM4-80GB');
    const csv = nvidiaSmi(['--query-gpu=index,memory.used,utilization.gpu', '--format=csv,noheader,nounits'], gpu, 4, state);
    assert.equal(csv, '0, 70004, 85\n1, 70004, 85\n2, 4, 0\n3, 4, 0\n');
    assert.equal(nvidiaSmi(['--query-gpu=name,memory.total', '--format=csv'], gpu, 2, state), 'name, memory.total [MiB]\nNVIDIA A100-SXM4-80GB, 81920 MiB\nNVIDIA A100-SXM4-80GB, 81920 MiB\n');
    assert.match(nvidiaSmi(['-L'], gpu, 4, state), /^GPU 0: NVIDIA A100-SXM4-80GB \(UUID: GPU-/);
    assert.equal(nvidiaSmi(['--query-compute-apps=pid,used_memory', '--format=csv,noheader'], gpu, 4, state), `${process.pid}, 70000 MiB\n${process.pid}, 70000 MiB\n`);
    assert.match(nvidiaSmi([], gpu, 4, state), /70004MiB \/ 81920MiB/);
    assert.throws(() => nvidiaSmi(['--query-gpu=bogus', '--format=csv'], gpu, 4, state), /"bogus" is not a valid field/);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

test('real time: tokens leave at the modelled times divided by the speedup', async () => {
  // Long enough (≈0.3 s) that a busy machine's timer lag stays small against it.
  const speedup = 1;
  const config = planLaunch('vllm', ['zai-org/GLM-4.5-Air', '-tp', '4'], { ...host, speedup }).config!;
  const rt = new RealtimeEngine(config);
  engines.push(rt);
  const { simulateRequests } = await import('../../../src/core/sim/virtual');
  const virtual = simulateRequests(config, [{ input: 500, output: 12 }], [0]).outputs[0]!;
  const times: number[] = [];
  const t0 = performance.now();
  await new Promise<void>((resolve) =>
    rt.submit(500, 12, {
      tokens(_i, count, finished) {
        for (let k = 0; k < count; k++) times.push(performance.now() - t0);
        if (finished) resolve();
      },
    }),
  );
  assert.equal(times.length, 12);
  const wallLatencyS = times.at(-1)! / 1000;
  const expected = virtual.latency / speedup;
  assert.ok(Math.abs(wallLatencyS / expected - 1) < 0.25, `wall ${wallLatencyS.toFixed(3)} s vs modelled ${expected.toFixed(3)} s`);
  assert.ok(times[0]! / 1000 > (virtual.ttft / speedup) * 0.8, 'the first token is not early');
  assert.ok(rt.lagMs.length >= 12);
});

test('TRT-LLM: /metrics is a JSON array of iteration stats and /prometheus/metrics exists only when enabled in the YAML', async () => {
  const yaml = 'enable_iter_perf_stats: true\nreturn_perf_metrics: true\ncuda_graph_config:\n  max_batch_size: 256\n';
  const config = planLaunch('trtllm', ['Qwen/Qwen3-30B-A3B', '--extra_llm_api_options', 'extra.yaml'], host, { readFile: () => yaml }).config!;
  assert.deepEqual([config.iterPerfStats, config.enableMetrics, config.cudaGraphMaxBatch], [true, true, 256]);
  const rt = new RealtimeEngine(config);
  const server = createSimServer(config, rt, { ready: true });
  servers.push(server);
  engines.push(rt);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await (await post(`${base}/v1/completions`, { model: 'Qwen/Qwen3-30B-A3B', prompt: 'hi', max_tokens: 4 })).json();
  const stats = (await (await fetch(`${base}/metrics`)).json()) as Array<{ iter: number; iterLatencyMS: number; kvCacheStats: { tokensPerBlock: number } }>;
  assert.ok(stats[0]!.iter >= 4 && stats[0]!.iterLatencyMS > 0);
  assert.match(await (await fetch(`${base}/prometheus/metrics`)).text(), /trtllm_time_to_first_token_seconds_count\{engine_type="trtllm",model_name="Qwen\/Qwen3-30B-A3B"\} 1\.0/);
  const plain = planLaunch('trtllm', ['Qwen/Qwen3-30B-A3B'], host).config!;
  const rt2 = new RealtimeEngine(plain);
  const server2 = createSimServer(plain, rt2, { ready: true });
  servers.push(server2);
  engines.push(rt2);
  await new Promise<void>((r) => server2.listen(0, '127.0.0.1', () => r()));
  const base2 = `http://127.0.0.1:${(server2.address() as AddressInfo).port}`;
  assert.deepEqual(await (await fetch(`${base2}/metrics`)).json(), []);
  assert.equal((await fetch(`${base2}/prometheus/metrics`)).status, 404);
});

test('speculative decoding streams each step’s accepted tokens as one chunk, in order, in a well-formed response', async () => {
  const base = await serve('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4', '--speculative-algorithm', 'NEXTN', '--speculative-num-steps', '3', '--speculative-eagle-topk', '1', '--speculative-num-draft-tokens', '4']);
  const streamFrom = async (url: string) => {
    const res = await post(`${url}/v1/completions`, { model: 'zai-org/GLM-4.5-Air', prompt: 'count', max_tokens: 40, stream: true });
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {'));
    return events.map((e) => (JSON.parse(e.slice(6)) as { choices: Array<{ text: string }> }).choices[0]!.text);
  };
  const stream = () => streamFrom(base);
  // A step's accepted tokens arrive as one chunk, as the engines stream them: fewer chunks than tokens, the same text.
  const [chunks, plain] = await Promise.all([stream(), streamFrom(await serve('sglang', ['--model-path', 'zai-org/GLM-4.5-Air', '--tp', '4']))]);
  assert.equal(plain.length, 40);
  assert.ok(chunks.length < 30 && chunks.length > 10, `${chunks.length} chunks for 40 tokens at acceptance 0.75`);
  assert.equal(chunks.join(''), plain.join(''), 'the same prompt streams the same text whatever the steps accepted');
});
