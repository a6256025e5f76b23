// Simulated vLLM and SGLang started from their real command lines through the shims, over real HTTP: readiness
// signals, SSE streaming, /metrics, nvidia-smi while an engine runs, the native client through `vllm bench serve`,
// crashes with the engines' own text and exit codes, SIGTERM shutdown with no process left behind.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { installShims } from '../../../src/core/sim/shims';

const CLI = resolve('dist/cli.js');
const SPEEDUP = 40;
let dir: string;
let env: NodeJS.ProcessEnv;
const started: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => res(port));
    });
  });
}

interface Engine {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts a command in its own process group (so the whole tree can be checked and killed). */
function launch(argv: string[]): Engine {
  const child = spawn(argv[0]!, argv.slice(1), { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, output: () => out, exit };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const status = async (url: string): Promise<number> => {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
};

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SSE `data:` payloads of a streamed response, with their arrival times (ms). */
async function stream(url: string, body: unknown): Promise<Array<{ data: string; at: number }>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: Array<{ data: string; at: number }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (event.startsWith('data: ')) events.push({ data: event.slice(6), at: performance.now() });
    }
  }
  return events;
}

const nvidiaUsedMiB = (): number[] => {
  const r = spawnSync('nvidia-smi', ['--query-gpu=index,memory.used', '--format=csv,noheader,nounits'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => Number(l.split(',')[1]));
};

before(async () => {
  if (!existsSync(CLI)) assert.equal(spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' }).status, 0);
  dir = mkdtempSync(join(tmpdir(), 'sim-shims-'));
  await installShims(dir, { gpu: 'A100-SXM4-80GB', count: 4, speedup: SPEEDUP, cliPath: CLI });
  env = { ...process.env, PATH: `${dir}:${process.env['PATH']}` };
  delete env['SERVING_LAB_DEBUG'];
});

after(() => {
  for (const c of started) if (c.pid && groupAlive(c.pid)) process.kill(-c.pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('shims: versions, nvidia-smi table and CSV, and the real python3 for everything else', () => {
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { env, encoding: 'utf8' });
  assert.equal(run('vllm', ['--version']).stdout.trim(), '0.11.0');
  assert.equal(run('python3', ['-c', 'import sglang; print(sglang.__version__)']).stdout.trim(), '0.5.4.post2');
  assert.equal(run('python3', ['-c', 'print(6*7)']).stdout.trim(), '42');
  const csv = run('nvidia-smi', ['--query-gpu=index,name,memory.total,memory.used,driver_version', '--format=csv']);
  assert.equal(csv.status, 0);
  const lines = csv.stdout.trim().split('\n');
  assert.equal(lines[0], 'index, name, memory.total [MiB], memory.used [MiB], driver_version');
  assert.equal(lines.length, 5);
  assert.match(lines[1]!, /^0, NVIDIA A100-SXM4-80GB, 81920 MiB, \d+ MiB, 570\.172\.08$/);
  assert.match(run('nvidia-smi', []).stdout, /NVIDIA-SMI 570\.172\.08.*CUDA Version: 12\.8/);
  // The shims do not depend on the working directory.
  assert.equal(spawnSync('vllm', ['--version'], { env, cwd: '/', encoding: 'utf8' }).stdout.trim(), '0.11.0');
});

test('simulated vLLM from `vllm serve zai-org/GLM-4.5-Air -tp 4`: ready, streams, metrics, bench, SIGTERM', async () => {
  const port = await freePort();
  const engine = launch(['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--port', String(port), '--served-model-name', 'glm-4.5-air', '--reasoning-parser', 'glm45']);
  const base = `http://127.0.0.1:${port}`;
  await waitFor('vLLM /health 200', async () => (await status(`${base}/health`)) === 200);
  const log = engine.output();
  for (const line of ['vLLM API server version 0.11.0', 'non-default args:', 'GPU KV cache size:', `Starting vLLM API server 0 on http://0.0.0.0:${port}`, 'Application startup complete.', `speedup ${SPEEDUP}x`]) {
    assert.ok(log.includes(line), `log lacks "${line}"`);
  }
  assert.ok(log.indexOf('Loading weights took') < log.indexOf('Application startup complete.'));

  const models = (await (await fetch(`${base}/v1/models`)).json()) as { data: Array<{ id: string; metadata: { simulated: boolean; speedup: number } }> };
  assert.equal(models.data[0]!.id, 'glm-4.5-air');
  assert.deepEqual([models.data[0]!.metadata.simulated, models.data[0]!.metadata.speedup], [true, SPEEDUP]);
  assert.ok(nvidiaUsedMiB().every((mib) => mib > 60_000), 'nvidia-smi shows the engine’s memory on all four GPUs');

  const events = await stream(`${base}/v1/chat/completions`, {
    model: 'glm-4.5-air',
    messages: [{ role: 'user', content: 'Explain continuous batching.' }],
    max_tokens: 20,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.equal(events.at(-1)!.data, '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as { object: string; choices: Array<{ delta: Record<string, string>; finish_reason: string | null }>; usage?: { completion_tokens: number; prompt_tokens: number } });
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.equal(chunks[0]!.choices[0]!.delta['role'], 'assistant');
  const tokenChunks = chunks.filter((c) => c.choices.length > 0).slice(1);
  assert.equal(tokenChunks.length, 20);
  assert.ok(tokenChunks.slice(0, 8).every((c) => typeof c.choices[0]!.delta['reasoning_content'] === 'string'), 'thinking comes as reasoning_content');
  assert.ok(typeof tokenChunks.at(-1)!.choices[0]!.delta['content'] === 'string');
  assert.equal(tokenChunks.at(-1)!.choices[0]!.finish_reason, 'length');
  const usage = chunks.at(-1)!;
  assert.deepEqual(usage.choices, []);
  assert.equal(usage.usage!.completion_tokens, 20);
  // Tokens arrive spread over time (one engine step each), not in one burst.
  const span = events.at(-2)!.at - events[1]!.at;
  assert.ok(span > 5, `20 tokens arrived within ${span.toFixed(1)} ms`);

  const tok = (await (await fetch(`${base}/tokenize`, { method: 'POST', body: JSON.stringify({ model: 'glm-4.5-air', prompt: 'hello world', add_special_tokens: false }) })).json()) as { tokens: number[]; count: number; max_model_len: number };
  assert.equal(tok.count, tok.tokens.length);
  assert.equal(tok.max_model_len, 131072);
  const detok = (await (await fetch(`${base}/detokenize`, { method: 'POST', body: JSON.stringify({ model: 'glm-4.5-air', tokens: tok.tokens }) })).json()) as { prompt: string };
  assert.equal(detok.prompt, 'hello world');

  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /# TYPE vllm:num_requests_running gauge/);
  assert.match(metrics, /# TYPE vllm:kv_cache_usage_perc gauge/);
  assert.match(metrics, /# TYPE vllm:generation_tokens_total counter/);
  assert.match(metrics, /vllm:generation_tokens_total\{engine="0",model_name="glm-4\.5-air"\} 20\.0/);
  assert.match(metrics, /# TYPE vllm:time_to_first_token_seconds histogram/);
  assert.equal((await fetch(`${base}/reset_prefix_cache`, { method: 'POST' })).status, 200);

  // The reference's client, through the shim: `vllm bench serve` runs the native benchmark and prints vLLM's block.
  const bench = spawnSync('vllm', ['bench', 'serve', '--model', 'glm-4.5-air', '--port', String(port), '--dataset-name', 'random', '--random-input-len', '64', '--random-output-len', '8', '--num-prompts', '24', '--seed', '1'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(bench.status, 0, bench.stderr);
  assert.match(bench.stdout, /=+ Serving Benchmark Result =+/);
  assert.match(bench.stdout, /Successful requests:\s+24\s/);
  assert.match(bench.stdout, /Total Token throughput \(tok\/s\):/);

  process.kill(-engine.child.pid!, 'SIGTERM');
  assert.equal(await engine.exit, 0);
  assert.match(engine.output(), /Application shutdown complete\./);
  assert.doesNotMatch(engine.output(), /interrupted/, 'no serving-lab notices in an engine log');
  await waitFor('process group gone', () => !groupAlive(engine.child.pid!), 5000);
  assert.ok(nvidiaUsedMiB().every((mib) => mib < 100), 'memory is released after shutdown');
});

test('simulated SGLang from its real command line: fired-up line, reasoning stream, sglang: metrics, SIGTERM', async () => {
  const port = await freePort();
  const engine = launch(['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp-size', '4', '--ep-size', '4', '--port', String(port), '--enable-metrics', '--tool-call-parser', 'glm45', '--reasoning-parser', 'glm45']);
  const base = `http://127.0.0.1:${port}`;
  await waitFor('"fired up"', () => engine.output().includes('The server is fired up and ready to roll!'));
  const log = engine.output();
  assert.match(log, /server_args=ServerArgs\(model_path='zai-org\/GLM-4\.5-Air'.*tp_size=4.*ep_size=4/);
  assert.match(log, /The tool_call_parser 'glm45' is deprecated/);
  assert.match(log, /max_total_num_tokens=\d+, chunked_prefill_size=8192, max_prefill_tokens=16384, max_running_requests=\d+/);
  assert.ok(log.indexOf('Uvicorn running on') < log.indexOf('fired up'), 'uvicorn starts before the warmup completes');
  assert.equal(await status(`${base}/health`), 200);

  const events = await stream(`${base}/v1/completions`, { model: 'default', prompt: 'The capital of France is', max_tokens: 6, stream: true });
  assert.equal(events.at(-1)!.data, '[DONE]');
  const texts = events.slice(0, -1).map((e) => JSON.parse(e.data) as { object: string; choices: Array<{ text: string }> });
  assert.equal(texts.length, 6);
  assert.ok(texts.every((c) => c.object === 'text_completion' && c.choices[0]!.text.length > 0));

  const metrics = await (await fetch(`${base}/metrics`)).text();
  for (const name of ['sglang:num_running_reqs', 'sglang:num_queue_reqs', 'sglang:token_usage', 'sglang:gen_throughput']) assert.match(metrics, new RegExp(`# TYPE ${name} gauge`));
  assert.match(metrics, /sglang:generation_tokens_total\{model_name="zai-org\/GLM-4\.5-Air"\} 6\.0/);
  assert.match(metrics, /sglang:num_running_reqs\{engine_type="unified",model_name="zai-org\/GLM-4\.5-Air",pp_rank="0",tp_rank="0"\}/);
  assert.equal((await fetch(`${base}/flush_cache`, { method: 'POST' })).status, 200);

  // SGLang's own client through the python3 shim: its flags are translated for the native client, and with no
  // ShareGPT file on this host the synthetic ShareGPT-like file stands in (and says so).
  const bench = spawnSync('python3', ['-m', 'sglang.bench_serving', '--backend', 'sglang-oai-chat', '--port', String(port), '--dataset-name', 'sharegpt', '--num-prompts', '12', '--disable-tqdm'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(bench.status, 0, bench.stderr);
  assert.match(bench.stderr, /using the synthetic ShareGPT-like file/);
  assert.match(bench.stdout, /Successful requests:\s+12\s/);

  process.kill(-engine.child.pid!, 'SIGTERM');
  assert.equal(await engine.exit, 0);
  await waitFor('process group gone', () => !groupAlive(engine.child.pid!), 5000);
});

test('crashes: FP8 on A100, a port in use, an unknown flag, KV too small — the engines’ own text and exit codes', async () => {
  const fp8 = launch(['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--quantization', 'fp8', '--port', String(await freePort())]);
  assert.equal(await fp8.exit, 1);
  assert.match(fp8.output(), /Your GPU does not have native support for FP8 computation/);
  assert.match(fp8.output(), /RuntimeError: size_n = 5472 is not divisible by tile_n_size = 64/);
  assert.match(fp8.output().trimEnd().split('\n').at(-1)!, /RuntimeError: Engine core initialization failed\. See root cause above\. Failed core proc\(s\): \{\}/);

  const blocker = net.createServer();
  const port = await new Promise<number>((res) => blocker.listen(0, '0.0.0.0', () => res((blocker.address() as net.AddressInfo).port)));
  try {
    const busy = launch(['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--port', String(port)]);
    assert.equal(await busy.exit, 1);
    assert.match(busy.output(), /OSError: \[Errno 98\] Address already in use/);
    assert.doesNotMatch(busy.output(), /Loading weights took/, 'vLLM binds before loading the model');
  } finally {
    blocker.close();
  }

  const typo = launch(['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp-szie', '4']);
  assert.equal(await typo.exit, 2);
  assert.match(typo.output(), /launch_server\.py: error: unrecognized arguments: --tp-szie 4/);

  const kv = launch(['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--gpu-memory-utilization', '0.7', '--port', String(await freePort())]);
  assert.equal(await kv.exit, 1);
  assert.match(kv.output(), /ValueError: To serve at least one request with the models's max seq len \(131072\)/);

  const trt = launch(['trtllm-serve', 'zai-org/GLM-4.5-Air', '--tp_size', '4', '--port', String(await freePort())]);
  assert.equal(await trt.exit, 1);
  assert.match(trt.output(), /Unknown architecture for AutoModelForCausalLM: Glm4MoeForCausalLM/);
  for (const c of [fp8, typo, kv, trt]) assert.ok(!groupAlive(c.child.pid!));
});
