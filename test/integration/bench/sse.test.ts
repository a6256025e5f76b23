// SSE framing corner cases through streamRequest, over real HTTP on loopback: the server here writes exact bytes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgent, streamRequest, type StreamOutcome } from '../../../src/core/bench/http';

let server: http.Server;
let base: string;
const scripts = new Map<string, Array<string | Buffer | number>>();

before(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const script = scripts.get(req.url ?? '') ?? [];
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const step of script) {
        if (typeof step === 'number') await new Promise((r) => setTimeout(r, step));
        else res.write(step);
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const chunk = (content: string) => `data: {"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}]}\n\n`;

async function run(path: string, script: Array<string | Buffer | number>): Promise<StreamOutcome> {
  scripts.set(path, script);
  const url = new URL(path, base);
  const t0 = performance.now();
  return streamRequest({ url, body: '{}', headers: { 'content-type': 'application/json' }, agent: createAgent(url, 4), clock: () => (performance.now() - t0) / 1000, timeoutS: 10, chat: true, keepText: true });
}

test('a role-only first chunk starts TTFT; pings and [DONE] are skipped; usage gives the counts; the usage chunk does not extend latency', async () => {
  const o = await run('/basic', [
    ': ping\n\n',
    'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
    30,
    chunk('Hello'),
    30,
    chunk(' world'),
    80,
    'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\n',
    'data: [DONE]\n\n',
  ]);
  assert.equal(o.success, true, o.error);
  assert.equal(o.itl.length, 2, 'one ITL per later choices-message');
  assert.ok(o.itl[0]! >= 0.025 && o.itl[1]! >= 0.025);
  assert.ok(Math.abs(o.latency - (o.ttft + o.itl[0]! + o.itl[1]!)) < 1e-9, 'latency ends at the last choices-message, not at the usage chunk 80 ms later');
  assert.equal(o.promptTokens, 7);
  assert.equal(o.completionTokens, 3);
  assert.equal(o.generatedText, 'Hello world');
});

test('CRLF framing, multi-line data, other fields, a UTF-8 character split across writes, and a final message without a blank line', async () => {
  const euro = Buffer.from(chunk('€uro'));
  const split = euro.indexOf(0xe2) + 1;
  const o = await run('/framing', [
    'event: message\r\nid: 1\r\ndata: {"choices":[{"index":0,\r\ndata: "delta":{"content":"a"}}]}\r\n\r\n',
    euro.subarray(0, split),
    20,
    euro.subarray(split),
    'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n',
    'data: [DONE]',
  ]);
  assert.equal(o.success, true, o.error);
  assert.equal(o.generatedText, 'a€uro');
  assert.equal(o.itl.length, 1);
  assert.equal(o.completionTokens, 2);
});

test('an error object in the stream fails the request with its message', async () => {
  const o = await run('/error', [chunk('x'), 'data: {"error":{"message":"KV cache exhausted","code":500}}\n\n', 'data: [DONE]\n\n']);
  assert.equal(o.success, false);
  assert.equal(o.error, 'the server sent an error in the stream: KV cache exhausted');
});

test('a blank line split across writes, and CRLF split between "\\r" and "\\n", still frame one message each', async () => {
  const o = await run('/split', [
    'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n',
    5,
    '\n',
    'data: {"choices":[{"index":0,\r',
    5,
    '\ndata: "delta":{"content":"b"}}]}\r\n\r\n',
    'data: [DONE]\n\n',
  ]);
  assert.equal(o.success, true, o.error);
  assert.equal(o.generatedText, 'ab', 'the CRLF split across writes stays one line break inside a two-line message');
  assert.equal(o.itl.length, 1);
});

test('one SSE message may be large (8 MiB in 64 KiB writes) but not endless: past 16 MiB the request fails, saying why', async () => {
  const piece = 'x'.repeat(64 * 1024);
  const big = `data: {"choices":[{"index":0,"delta":{"content":"${'y'.repeat(8 * 1024 * 1024)}"}}]}\n\n`;
  const ok = await run('/big', [...Array.from({ length: Math.ceil(big.length / piece.length) }, (_, i) => big.slice(i * piece.length, (i + 1) * piece.length)), 'data: [DONE]\n\n']);
  assert.equal(ok.success, true, ok.error);
  assert.equal(ok.generatedText.length, 8 * 1024 * 1024);
  const endless = await run('/endless', [chunk('a'), 'data: {"choices":', ...Array.from({ length: 17 * 16 }, () => piece), 'data: [DONE]\n\n']);
  assert.equal(endless.success, false);
  assert.equal(endless.error, "one SSE message exceeded 16 MiB without ending (no blank line after 1 chunk(s)); the server's stream is not valid SSE");
});

test('usage counts that are not non-negative integers are not taken; the outcome names the first one', async () => {
  const o = await run('/usage', [chunk('a'), chunk('b'), 'data: {"choices":[],"usage":{"prompt_tokens":-3,"completion_tokens":1e999}}\n\n', 'data: [DONE]\n\n']);
  assert.equal(o.success, true, o.error);
  assert.equal(o.completionTokens, undefined);
  assert.equal(o.promptTokens, undefined);
  assert.match(o.invalidUsage ?? '', /^usage\.(prompt_tokens -3|completion_tokens Infinity)$/);
});

test('one abort signal cuts every request listening on it, including one given an already-aborted signal; URL credentials are sent', async () => {
  const seenAuth: Array<string | undefined> = [];
  const slow = http.createServer((req, res) => {
    seenAuth.push(req.headers.authorization);
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk('a'));
  });
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  try {
    const url = new URL(`http://user:p%40ss@127.0.0.1:${(slow.address() as AddressInfo).port}/v1/chat/completions`);
    const agent = createAgent(url, 300);
    const controller = new AbortController();
    const send = (signal: AbortSignal) => streamRequest({ url, body: '{}', headers: {}, agent, clock: () => performance.now() / 1000, timeoutS: 30, chat: true, keepText: false, signal });
    const outcomes = Array.from({ length: 200 }, () => send(controller.signal));
    while (seenAuth.length < 200) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    const cut = await Promise.all(outcomes);
    assert.ok(cut.every((o) => !o.success && o.error === 'interrupted before the response completed'));
    const early = await send(AbortSignal.abort());
    assert.equal(early.error, 'interrupted before the response completed');
    assert.equal(seenAuth[0], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    agent.destroy();
  } finally {
    slow.closeAllConnections();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
  }
});
