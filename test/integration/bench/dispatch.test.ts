// How the load generator dispatches (issue 16): at --request-rate inf every request leaves in one turn of the event
// loop, as vLLM's get_request yields them without sleeping; --max-concurrency is a semaphore the server sees
// filled and never exceeded; usage counts that are not non-negative integers are ignored and reported.
// The servers run in this process over real HTTP on loopback, so "before any response" is an ordering fact.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark, type BenchmarkOptions } from '../../../src/core/bench/client';

const CLI = join(process.cwd(), 'dist/cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'serving-lab-dispatch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const chunk = '{"choices":[{"index":0,"delta":{"content":"tok "}}]}';

/** A streaming chat server; `hold` decides when a request may be answered; `usage` is what it reports. */
function startServer(opts: { hold?: (inflight: number, request: number) => Promise<void>; usage?: string } = {}) {
  const stats = { requests: 0, inflight: 0, maxInflight: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      stats.requests += 1;
      stats.inflight += 1;
      stats.maxInflight = Math.max(stats.maxInflight, stats.inflight);
      await opts.hold?.(stats.inflight, stats.requests);
      stats.inflight -= 1;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${chunk}\n\ndata: ${chunk}\n\ndata: {"choices":[],"usage":${opts.usage ?? '{"prompt_tokens":3,"completion_tokens":2}'}}\n\ndata: [DONE]\n\n`);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise<{ url: string; stats: typeof stats; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        stats,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

let replay: string;
before(() => {
  replay = join(tmp, 'prompts.jsonl');
  writeFileSync(replay, Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `prompt ${i}`, prompt_len: 3, output_len: 2 })).join('\n'));
});

const options = (baseUrl: string, overrides: Partial<BenchmarkOptions>): BenchmarkOptions => ({
  baseUrl,
  endpoint: '/v1/chat/completions',
  backend: 'openai-chat',
  model: 'm',
  dataset: { kind: 'replay', path: replay },
  numPrompts: 1000,
  requestRate: Infinity,
  burstiness: 1,
  seed: 0,
  numWarmups: 0,
  ignoreEos: false,
  percentileMetrics: ['ttft'],
  percentiles: [99],
  readyCheckTimeoutS: 5,
  requestTimeoutS: 60,
  interruptGraceS: 1,
  ...overrides,
});

test('at --request-rate inf, all 1000 requests are sent before the first response is read', async () => {
  const server = await startServer();
  try {
    const run = await runBenchmark(options(server.url, {}));
    assert.equal(run.metrics.completed, 1000);
    const lastSend = Math.max(...run.outputs.map((o) => o.startTime));
    const firstToken = Math.min(...run.outputs.map((o) => o.startTime + o.ttft));
    // A timer per request (the old dispatch) let responses in between sends: the first came back long before the last left.
    assert.ok(lastSend < firstToken, `last request sent at ${lastSend.toFixed(4)} s, first token read at ${firstToken.toFixed(4)} s`);
  } finally {
    await server.close();
  }
});

test('--max-concurrency 64: the server holds 64 requests at once and never more; the rest queue in order', async () => {
  const cap = 64;
  // Nothing is answered until the server holds `cap` requests at once: a client that never fills its cap stalls here
  // (and fails by request timeout); one that exceeds it shows in maxInflight.
  let release!: () => void;
  const filled = new Promise<void>((resolve) => (release = resolve));
  const server = await startServer({
    hold: (inflight, request) => {
      if (request === 1) return Promise.resolve(); // the initial test request
      if (inflight >= cap) release();
      return filled;
    },
  });
  try {
    const run = await runBenchmark(options(server.url, { numPrompts: 600, maxConcurrency: cap, requestTimeoutS: 20 }));
    assert.equal(run.metrics.completed, 600, run.failedRequestsText);
    assert.equal(server.stats.maxInflight, cap, 'filled to the cap, never past it');
    assert.ok((run.metrics.max_concurrent_requests ?? 0) <= cap, 'the client-side peak agrees');
    assert.ok(run.queueTimes.slice(cap).every((q) => q > 0), 'requests past the cap waited for a slot');
  } finally {
    await server.close();
  }
});

test('a negative or infinite usage count is ignored, counted from the stream instead, and said in the notes', async () => {
  for (const usage of ['{"prompt_tokens":3,"completion_tokens":-5}', '{"prompt_tokens":1e999,"completion_tokens":2}']) {
    const server = await startServer({ usage });
    try {
      const run = await runBenchmark(options(server.url, { numPrompts: 5 }));
      assert.equal(run.metrics.completed, 5);
      assert.equal(run.metrics.total_output_tokens, 10, 'two streamed chunks per request, never a negative total');
      assert.equal(run.metrics.total_input_tokens, 15, "the dataset's prompt_len (3), never Infinity");
      const note = run.notes.find((n) => n.includes('usage count'));
      assert.match(note ?? '', /^5 request\(s\) got a usage count that is not a non-negative integer \(first: usage\.(completion_tokens -5|prompt_tokens Infinity)\); it was ignored/);
    } finally {
      await server.close();
    }
  }
});

test('--num-prompts 1e8 is refused before anything is allocated, naming the bound (exit 2)', () => {
  const r = spawnSync(process.execPath, [CLI, 'bench', '--port', '1', '--model', 'm', '--num-prompts', '1e8'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--num-prompts 100000000 is more than one run can hold in memory \(at most 1,000,000\); split it into several runs/);
  const tokens = spawnSync(process.execPath, [CLI, 'bench', '--port', '1', '--model', 'm', '--num-prompts', '500000', '--random-input-len', '8192'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(tokens.status, 2, tokens.stderr);
  assert.match(tokens.stderr, /500000 random prompts of up to 8192 tokens .* lower --num-prompts or --random-input-len/);
});

test('a device as --dataset-path (/dev/zero) is refused at once instead of read forever', async () => {
  const server = await startServer();
  try {
    for (const name of ['sharegpt', 'replay']) {
      // Not spawnSync: the server answering the CLI's /tokenize lives in this process.
      const r = await new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
        const args = [CLI, 'bench', '--base-url', server.url, '--model', 'm', '--num-prompts', '2', '--dataset-name', name, '--dataset-path', '/dev/zero'];
        const child = execFile(process.execPath, args, { timeout: 60_000 }, (_err, _stdout, stderr) => resolve({ code: child.exitCode, signal: child.signalCode, stderr }));
      });
      assert.equal(r.signal, null, `${name}: still reading /dev/zero after 60 s`);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /\/dev\/zero is not a regular file \(a device, FIFO or directory cannot be a dataset\)/);
    }
  } finally {
    await server.close();
  }
});
