// The native load generator against a real streaming HTTP server on loopback with known delays and failure modes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark, type BenchmarkOptions, type RequestEvent } from '../../../src/core/bench/client';
import { parseBenchmarkOutput } from '../../../src/core/bench/parse';
import { BenchmarkResult } from '../../../src/core/plan/schema';
import { startStreamServer, type StreamServer } from '../../fixtures/bench/start-server';

const CLI = join(process.cwd(), 'dist/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'serving-lab-bench-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const baseOptions = (baseUrl: string, overrides: Partial<BenchmarkOptions> = {}): BenchmarkOptions => ({
  baseUrl,
  endpoint: '/v1/chat/completions',
  backend: 'openai-chat',
  model: 'test-model',
  dataset: { kind: 'random', inputLen: 50, outputLen: 10, rangeRatio: { input: 0, output: 0 }, prefixLen: 0 },
  numPrompts: 20,
  requestRate: Infinity,
  burstiness: 1,
  seed: 0,
  numWarmups: 0,
  ignoreEos: false,
  percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'],
  percentiles: [99],
  readyCheckTimeoutS: 5,
  requestTimeoutS: 30,
  interruptGraceS: 1,
  ...overrides,
});

describe('against a server with TTFT 100 ms and ITL 20 ms', () => {
  let server: StreamServer;
  before(async () => {
    server = await startStreamServer(['--ttft-ms', '100', '--itl-ms', '20', '--bos']);
  });
  after(() => server.stop());

  test('TTFT, TPOT, ITL and E2EL match the delays; tokens are exact; the concurrency cap holds', async () => {
    const events: RequestEvent[] = [];
    const run = await runBenchmark(baseOptions(server.baseUrl, { maxConcurrency: 5 }), { onRequest: (e) => events.push(e) });
    const m = run.metrics;
    assert.equal(run.status, 'complete');
    assert.equal(m.completed, 20);
    assert.equal(m.failed, 0);
    assert.equal(m.total_input_tokens, 20 * 50, 'server /tokenize makes prompts exactly 50 tokens (BOS included)');
    assert.equal(m.total_output_tokens, 20 * 10, 'output tokens from the usage chunk');
    // Against the configured delays: server timers never fire early, so means and TTFT stay above the delay; the
    // upper margin is for a shared, loaded 2-core machine. A single gap can look short when the client read the
    // previous chunk late, so the median ITL gets a margin on both sides.
    const within = (key: string, expected: number, slack: number, below = 1) =>
      assert.ok((m[key] as number) >= expected - below && (m[key] as number) <= expected + slack, `${key} = ${m[key]} ms, expected ≈ ${expected}`);
    within('mean_ttft_ms', 100, 60);
    within('median_ttft_ms', 100, 60);
    within('mean_tpot_ms', 20, 10);
    within('mean_itl_ms', 20, 10);
    within('median_itl_ms', 20, 10, 5);
    within('mean_e2el_ms', 100 + 9 * 20, 120);
    // Against what the server actually sent (it stamps its writes), the client is much closer.
    const sent = await server.stats();
    const serverItl = sent.itlSumMs / sent.itlCount;
    assert.ok(Math.abs((m['mean_itl_ms'] as number) - serverItl) < 2, `client mean ITL ${m['mean_itl_ms']} ms vs the server's ${serverItl} ms`);
    assert.ok(m.max_concurrent_requests! <= 5 && m.max_concurrent_requests! >= 4, `peak concurrency ${m.max_concurrent_requests}`);
    const stats = await server.stats();
    assert.equal(stats.maxInflight <= 5, true, `server saw ${stats.maxInflight} streams at once`);
    const body = stats.lastBody!;
    assert.equal(body['ignore_eos'], true, 'random forces ignore_eos');
    assert.deepEqual(body['stream_options'], { include_usage: true });
    assert.equal(body['max_completion_tokens'], 10);
    assert.equal(body['stream'], true);
    assert.deepEqual(Object.keys((body['messages'] as Array<{ content: Array<Record<string, unknown>> }>)[0]!.content[0]!), ['type', 'text']);
    assert.equal(run.provenance.exact_lengths, true);
    assert.equal(run.provenance.token_counts, 'server-tokenizer');
    assert.equal(events.length, 20);
    for (const e of events) {
      assert.deepEqual(Object.keys(e), ['index', 'start', 'ttft', 'itls', 'latency', 'prompt_len', 'output_len', 'success', 'error']);
      assert.equal(e.itls.length, 9);
    }
    assert.deepEqual(events.map((e) => e.index).sort((a, b) => a - b), [...Array(20).keys()]);
    const [reparsed] = parseBenchmarkOutput(run.rawOutput);
    assert.equal(reparsed!.metrics.completed, 20);
  });

  test('--backend openai sends completions requests the way vLLM does', async () => {
    const run = await runBenchmark(baseOptions(server.baseUrl, { backend: 'openai', endpoint: '/v1/completions', numPrompts: 3 }));
    assert.equal(run.metrics.completed, 3);
    assert.equal(run.metrics.total_output_tokens, 30);
    const body = (await server.stats()).lastBody!;
    assert.equal(typeof body['prompt'], 'string');
    assert.equal(body['max_tokens'], 10);
    assert.equal(body['repetition_penalty'], 1);
    assert.equal(body['logprobs'], null);
    assert.equal('messages' in body, false);
  });

  test('a finite request rate spreads sends over about N/rate seconds', async () => {
    const run = await runBenchmark(baseOptions(server.baseUrl, { numPrompts: 12, requestRate: 40, dataset: { kind: 'random', inputLen: 8, outputLen: 2, rangeRatio: { input: 0.5, output: 0 }, prefixLen: 4 } }));
    const starts = run.outputs.map((o) => o.startTime);
    const last = Math.max(...starts);
    assert.ok(last > 0.2 && last < 1, `last send at ${last}s, expected ≈ 12/40 = 0.3 s`);
    assert.match(run.rawOutput, /Request rate configured \(RPS\):\s+40\.00/);
    // vLLM's window: 7 body tokens (8 minus the BOS) × [0.5, 1.5] → [3, 11], plus the 4-token prefix and the BOS.
    for (const o of run.outputs) assert.ok(o.promptLen >= 3 + 4 + 1 && o.promptLen <= 11 + 4 + 1, `prompt ${o.promptLen} within prefix + [3, 11] + BOS`);
    assert.ok(new Set(run.outputs.map((o) => o.promptLen)).size > 1, 'the range ratio varies the lengths');
  });

  test('the CLI prints the block, writes vLLM-keyed JSON and --events lines', () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'bench', '--base-url', server.baseUrl, '--model', 'test-model', '--num-prompts', '8', '--random-input-len', '20', '--random-output-len', '5',
        '--max-concurrency', '4', '--percentile-metrics', 'ttft,tpot,itl,e2el', '--metric-percentiles', '50,99', '--goodput', 'ttft:5000', 'tpot:1000',
        '--save-result', '--save-detailed', '--result-dir', tmp, '--result-filename', 'r.json', '--metadata', 'gpu=A100', 'run=1', '--events', 'events.jsonl'],
      { cwd: tmp, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Starting initial single prompt test run/);
    const [printed] = parseBenchmarkOutput(r.stdout);
    assert.equal(printed!.blockStyle, 'current');
    assert.equal(printed!.setup.maxConcurrency, 4);
    assert.equal(printed!.metrics.request_goodput !== null, true);
    const saved = JSON.parse(readFileSync(join(tmp, 'r.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(saved).slice(0, 23), [
      'date', 'endpoint_type', 'backend', 'label', 'model_id', 'tokenizer_id', 'num_prompts', 'gpu', 'run', 'request_rate', 'burstiness', 'max_concurrency',
      'duration', 'completed', 'failed', 'total_input_tokens', 'total_output_tokens', 'request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput',
      'input_lens', 'output_lens',
    ]);
    assert.equal(saved['request_rate'], 'inf');
    assert.equal(saved['completed'], 8);
    assert.equal((saved['itls'] as number[][])[0]!.length, 4);
    assert.ok((saved['ttfts'] as number[])[0]! > 0.09 && (saved['ttfts'] as number[])[0]! < 1, 'per-request arrays in seconds');
    assert.equal((saved['generated_texts'] as string[])[0], 'tok tok tok tok tok ');
    assert.equal(saved['p50_ttft_ms'] !== undefined && saved['std_e2el_ms'] !== undefined, true);
    assert.equal((saved['serving_lab'] as { exact_lengths: boolean }).exact_lengths, true);
    assert.equal(pyRound(saved['total_token_throughput'] as number), printed!.metrics.total_token_throughput, 'the block shows the saved value rounded');
    const events = readFileSync(join(tmp, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestEvent);
    assert.equal(events.length, 8);
    assert.ok(events.every((e) => e.success && e.output_len === 5));
  });

  test('--events - keeps stdout to JSON lines; --json ends with the BenchmarkResult', async () => {
    const r = spawnSync(
      process.execPath,
      [CLI, 'bench', '--port', String(server.port), '--num-prompts', '3', '--random-input-len', '99', '--input-len', '10', '--output-len', '2', '--temperature', '0', '--events', '-', '--json', '--block-style', 'v0.11'],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 4);
    const result = BenchmarkResult.parse(lines[3]);
    assert.equal(result.runner, 'native');
    assert.equal(result.metrics.completed, 3);
    assert.deepEqual(result.workload?.dataset, { kind: 'random', inputLen: 10, outputLen: 2, rangeRatio: 0, prefixLen: 0 }, '--input-len/--output-len override');
    assert.equal(((await server.stats()).lastBody as { temperature?: number }).temperature, 0);
    const [block] = parseBenchmarkOutput(r.stderr);
    assert.equal(block!.blockStyle, 'v0.11', 'the block goes to stderr, with vLLM 0.11 labels');
    assert.match(r.stderr, /^Total Token throughput \(tok\/s\): /m);
  });

  test('Ctrl-C stops sending, cuts in-flight requests after the grace period and still writes the result marked interrupted', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'bench', '--base-url', server.baseUrl, '--num-prompts', '40', '--max-concurrency', '4', '--random-input-len', '10', '--random-output-len', '400',
        '--interrupt-grace', '0.3', '--save-result', '--result-dir', tmp, '--result-filename', 'interrupted.json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stderr.includes('Maximum request concurrency')) {
          clearInterval(poll);
          setTimeout(resolve, 500);
        }
      }, 20);
    });
    const sent = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.ok(Date.now() - sent < 5000, 'exits promptly');
    assert.equal(code, 1, stderr);
    assert.match(stderr, /interrupted/);
    const [p] = parseBenchmarkOutput(stdout);
    assert.equal(p!.metrics.completed, 0, 'every request needed 8 s, so none finished');
    assert.equal(p!.metrics.failed, 4, 'the four in flight were cut; the 36 never sent are not counted');
    assert.match(stdout, /Error 0: interrupted before the response completed/);
    const saved = JSON.parse(readFileSync(join(tmp, 'interrupted.json'), 'utf8')) as { serving_lab: { status: string } };
    assert.equal(saved.serving_lab.status, 'interrupted');
  });
});

/** Python's round-to-2 as printed by the block. */
const pyRound = (x: number) => Number(x.toFixed(2));

describe('failure modes', () => {
  let server: StreamServer;
  before(async () => {
    server = await startStreamServer(['--ttft-ms', '5', '--itl-ms', '2']);
  });
  after(() => server.stop());

  test('each broken response fails only its own request, with a useful error', async () => {
    const replay = join(tmp, 'failures.jsonl');
    const prompts = ['fine one', 'FAIL:400 please', 'FAIL:500 please', 'FAIL:reset please', 'FAIL:stop please', 'FAIL:hang please', 'FAIL:malformed please', 'FAIL:nochoices please', 'fine two'];
    writeFileSync(replay, prompts.map((p) => JSON.stringify({ prompt: p, prompt_len: 2, output_len: 6 })).join('\n'));
    const run = await runBenchmark(baseOptions(server.baseUrl, { dataset: { kind: 'replay', path: replay }, numPrompts: prompts.length, requestTimeoutS: 1.5 }));
    assert.equal(run.metrics.completed, 2);
    assert.equal(run.metrics.failed, 7);
    const errors = run.outputs.map((o) => o.error ?? 'ok');
    assert.equal(errors[0], 'ok');
    assert.match(errors[1]!, /^HTTP 400 Bad Request: .*prompt rejected/);
    assert.match(errors[2]!, /^HTTP 500 Internal Server Error/);
    assert.match(errors[3]!, /reset the connection|closed the connection mid-stream/);
    assert.match(errors[4]!, /without "data: \[DONE\]"; the server stopped mid-stream/);
    assert.match(errors[5]!, /no complete response within 1\.5 s/);
    assert.match(errors[6]!, /malformed SSE message \(not JSON\)/);
    assert.match(errors[7]!, /Never received a valid chunk to calculate TTFT/);
    assert.equal(errors[8], 'ok');
    assert.equal(run.metrics.total_output_tokens, 12, 'failed requests add nothing');
    assert.match(run.failedRequestsText, /^Failed requests during benchmark run detected \(capping to 10\):\nError 0: HTTP 400/);
  });

  test('a server that is not there fails the initial test run with a message naming the URL', () => {
    const r = spawnSync(process.execPath, [CLI, 'bench', '--port', '1', '--model', 'm', '--num-prompts', '1', '--ready-check-timeout-sec', '0.2', '--dataset-name', 'replay', '--dataset-path', join(tmp, 'failures.jsonl')], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Initial test run failed against http:\/\/127\.0\.0\.1:1\/v1\/chat\/completions: connection refused/);
  });

  test('usage errors name the flag (exit 2)', () => {
    const sharegpt = spawnSync(process.execPath, [CLI, 'bench', '--dataset-name', 'sharegpt'], { encoding: 'utf8' });
    assert.equal(sharegpt.status, 2);
    assert.match(sharegpt.stderr, /--dataset-name sharegpt needs --dataset-path FILE/);
    const goodput = spawnSync(process.execPath, [CLI, 'bench', '--goodput', 'speed:3'], { encoding: 'utf8' });
    assert.equal(goodput.status, 2);
    assert.match(goodput.stderr, /invalid goodput SLO name "speed"/);
    const ratio = spawnSync(process.execPath, [CLI, 'bench', '--random-range-ratio', '1.5'], { encoding: 'utf8' });
    assert.equal(ratio.status, 2);
    assert.match(ratio.stderr, /--random-range-ratio must be in \[0, 1\)/);
  });
});

describe('datasets', () => {
  test("ShareGPT follows vLLM's filter with the server's token counts, and oversamples when short", async () => {
    const server = await startStreamServer(['--bos']);
    try {
      const run = await runBenchmark(
        baseOptions(server.baseUrl, { dataset: { kind: 'sharegpt', path: 'test/fixtures/bench/sharegpt-small.json' }, numPrompts: 20, keepGeneratedText: true }),
      );
      assert.equal(run.metrics.completed, 20);
      for (const o of run.outputs) {
        assert.ok(o.promptLen >= 4 && o.promptLen <= 1024, `prompt ${o.promptLen}`);
        assert.ok(o.outputLen >= 4 && o.promptLen + o.outputLen <= 2048);
      }
      const lengths = new Set(run.outputs.map((o) => o.promptLen));
      assert.ok(lengths.size <= 12, 'only the 12 valid conversations are used');
      assert.match(run.notes.join('\n'), /only 12 ShareGPT prompts pass the filter; oversampled to 20/);
      const stats = await server.stats();
      assert.equal((stats.lastBody as { ignore_eos?: boolean }).ignore_eos, undefined, 'ShareGPT does not force ignore_eos');
    } finally {
      await server.stop();
    }
  });

  test('without /tokenize, random lengths are calibrated from prompt_tokens and marked approximate', async () => {
    const server = await startStreamServer(['--no-tokenize', '--chat-overhead', '7']);
    try {
      const run = await runBenchmark(baseOptions(server.baseUrl, { numPrompts: 5, dataset: { kind: 'random', inputLen: 200, outputLen: 3, rangeRatio: { input: 0, output: 0 }, prefixLen: 0 } }));
      assert.equal(run.provenance.exact_lengths, false);
      assert.equal(run.provenance.token_counts, 'approximate');
      assert.match(run.notes.join('\n'), /random prompt lengths are approximate: the server has no \/tokenize/);
      for (const o of run.outputs) assert.equal(o.promptLen, 200 + 7, 'one word per token here, plus the chat template the server reports');
    } finally {
      await server.stop();
    }
  });
});

test('serving-lab parse: the reference blocks as BenchmarkResult JSON; a non-result file is exit 1 with what was expected', () => {
  const dir = 'test/fixtures/bench/reference';
  const files = readdirSync(dir).map((f) => join(dir, f));
  const r = spawnSync(process.execPath, [CLI, 'parse', '--json', ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const results = (JSON.parse(r.stdout) as unknown[]).map((x) => BenchmarkResult.parse(x));
  assert.equal(results.length, 14);
  assert.deepEqual(results[0]!.source, { kind: 'vllm-text', file: files[0] });
  const text = spawnSync(process.execPath, [CLI, 'parse', files[7]!], { encoding: 'utf8' });
  assert.match(text.stdout.split('\n')[3]!, /#4 \(random 128 input\): vllm-text, 1000 ok \/ 0 failed, 10\.14 s, total 13012\.20 tok\/s/);
  const bad = spawnSync(process.execPath, [CLI, 'parse', 'package.json'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /package\.json: no result of a known shape; known shapes: .*--save-result. JSON.*GuideLLM/);
});
