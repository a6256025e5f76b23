import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDatasetSize, DatasetError, forEachJsonArrayElement, loadDataset, MAX_NUM_PROMPTS, parseRangeRatio, type TokenCounter } from '../../../src/core/bench/datasets';
import { arrivalTimes, SeededRandom } from '../../../src/core/bench/random';
import { defaultResultFileName, parseMetadata, pythonFloat } from '../../../src/core/bench/saveResult';

/** A whitespace tokenizer with one BOS, standing in for a server's /tokenize (no network in unit tests). */
function wordTokenizer(): TokenCounter & { decode: NonNullable<TokenCounter['decode']> } {
  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const encode = async (text: string) =>
    (text.match(/\S+/g) ?? []).map((w) => {
      if (!ids.has(w)) {
        vocab.push(w);
        ids.set(w, vocab.length - 1);
      }
      return ids.get(w)!;
    });
  return {
    kind: 'server',
    specialTokens: 1,
    encode,
    decode: async (tokens) => tokens.map((t) => vocab[t]).join(' '),
    count: async (text) => (await encode(text)).length + 1,
  };
}

test('arrival times: Poisson gaps rescaled so the last send is at N/rate; inf sends at once; seeded', () => {
  const times = arrivalTimes(200, 10, 1, 42);
  assert.equal(times.length, 200);
  assert.ok(Math.abs(times[199]! - 20) < 1e-9, `last at ${times[199]}`);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!);
  assert.deepEqual(arrivalTimes(200, 10, 1, 42), times, 'same seed, same schedule');
  assert.notDeepEqual(arrivalTimes(200, 10, 1, 43), times);
  assert.deepEqual(arrivalTimes(3, Infinity, 1, 0), [0, 0, 0]);
  const uniform = arrivalTimes(4, 2, Infinity, 0);
  assert.deepEqual(uniform.map((t) => Math.round(t * 1000) / 1000), [0.5, 1, 1.5, 2], 'burstiness inf = constant gaps');
  // Burstiness < 1 is burstier: a larger coefficient of variation of the gaps.
  const cv = (b: number) => {
    const t = arrivalTimes(4000, 100, b, 7);
    const gaps = t.map((x, i) => x - (i ? t[i - 1]! : 0));
    const m = gaps.reduce((a, g) => a + g, 0) / gaps.length;
    return Math.sqrt(gaps.reduce((a, g) => a + (g - m) ** 2, 0) / gaps.length) / m;
  };
  assert.ok(Math.abs(cv(1) - 1) < 0.1, `Poisson CV ${cv(1)}`);
  assert.ok(cv(0.25) > 1.6, `gamma(0.25) CV ${cv(0.25)}`);
});

test('SeededRandom gamma has the requested mean', () => {
  const rng = new SeededRandom(1);
  let sum = 0;
  for (let i = 0; i < 20000; i++) sum += rng.gamma(0.5, 4);
  assert.ok(Math.abs(sum / 20000 - 2) < 0.1, `mean ${sum / 20000}`);
});

test('--random-range-ratio: one number or JSON per direction, in [0, 1)', () => {
  assert.deepEqual(parseRangeRatio('0.25'), { input: 0.25, output: 0.25 });
  assert.deepEqual(parseRangeRatio('{"input": 0.1, "output": 0.5}'), { input: 0.1, output: 0.5 });
  assert.throws(() => parseRangeRatio('1'), /must be in \[0, 1\)/);
  assert.throws(() => parseRangeRatio('{"input": 0.1'), /not valid JSON/);
});

test("random prompts hit their token lengths exactly with the server's tokenizer, vLLM's window and shared prefix", async () => {
  const spec = { kind: 'random' as const, inputLen: 33, outputLen: 10, rangeRatio: { input: 0.5, output: 0.2 }, prefixLen: 5 };
  const tokens = wordTokenizer();
  const data = await loadDataset(spec, 50, 3, tokens);
  assert.equal(data.exactLengths, true);
  // real_in = 33 − 1 special = 32 → [16, 48] body tokens; plus the 5-token prefix and the BOS.
  for (const r of data.requests) {
    assert.equal((await tokens.count(r.prompt)), r.promptLen, 'the prompt really has promptLen tokens');
    assert.ok(r.promptLen >= 16 + 5 + 1 && r.promptLen <= 48 + 5 + 1, `prompt ${r.promptLen}`);
    assert.ok(r.expectedOutputLen >= 8 && r.expectedOutputLen <= 12);
  }
  const prefixes = new Set(data.requests.map((r) => r.prompt.split(' ').slice(0, 5).join(' ')));
  assert.equal(prefixes.size, 1, 'one shared prefix');
  const again = await loadDataset(spec, 50, 3, wordTokenizer());
  assert.deepEqual(again.requests, data.requests, 'seeded');
  await assert.rejects(loadDataset({ ...spec, inputLen: 1, prefixLen: 0, rangeRatio: { input: 0, output: 0 } }, 1, 0, tokens), DatasetError);
  // A tokenizer whose decode always adds a word never round-trips: the result must not claim exact lengths.
  const lossy = wordTokenizer();
  const decode = lossy.decode!;
  lossy.decode = async (ids) => `${await decode(ids)} extra`;
  const approx = await loadDataset(spec, 3, 3, lossy);
  assert.equal(approx.exactLengths, false);
  assert.match(approx.notes[0]!, /3 random prompt\(s\) could not be made exactly their target length/);
});

test('replay files: JSONL lines, cycled to --num-prompts, positioned errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  try {
    const file = join(dir, 'r.jsonl');
    writeFileSync(file, '{"prompt":"a b","prompt_len":2,"output_len":3}\n\n{"prompt":"c","prompt_len":1,"output_len":1}\n');
    const data = await loadDataset({ kind: 'replay', path: file }, 5, 0);
    assert.deepEqual(data.requests.map((r) => r.prompt), ['a b', 'c', 'a b', 'c', 'a b']);
    assert.match(data.notes[0]!, /has 2 requests; --num-prompts 5 cycles/);
    writeFileSync(file, '{"prompt":"a","prompt_len":1,"output_len":1}\n{"prompt":"b"}\n');
    await assert.rejects(loadDataset({ kind: 'replay', path: file }, 1, 0), /r\.jsonl:2: expected \{"prompt"/);
    await assert.rejects(loadDataset({ kind: 'sharegpt', path: join(dir, 'missing.json') }, 1, 0, wordTokenizer()), /does not exist; download ShareGPT_V3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("result file names and metadata as vLLM writes them", () => {
  const date = new Date(2026, 0, 2, 3, 4, 5);
  assert.equal(defaultResultFileName({ backend: 'openai-chat', requestRate: Infinity }, 'zai-org/GLM-4.5-Air', date), 'openai-chat-infqps-GLM-4.5-Air-20260102-030405.json');
  assert.equal(defaultResultFileName({ backend: 'openai', requestRate: 10, maxConcurrency: 64 }, 'm', date, 'run1'), 'run1-10.0qps-concurrency64-m-20260102-030405.json');
  assert.equal(pythonFloat(2.5), '2.5');
  assert.deepEqual(parseMetadata(['a=b', 'c=d=e']), { a: 'b', c: 'd=e' });
  assert.throws(() => parseMetadata(['novalue']), /expected KEY=VALUE/);
});

test('the streaming JSON-array reader gives the same entries as JSON.parse, across 1 MB read boundaries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sharegpt-'));
  try {
    const entries = [
      { id: 'a', conversations: [{ from: 'human', value: 'quotes " and \\ backslash } ] { [' }, { from: 'gpt', value: 'ünïcødé €' }] },
      { id: 'big', conversations: [{ value: 'x'.repeat(1_500_000) + '"}]' }, { value: 'y' }] },
      { id: 'nested', conversations: [{ value: 'p', extra: [[1, 2], { k: [] }] }, { value: 'q' }] },
    ];
    const file = join(dir, 's.json');
    writeFileSync(file, `\ufeff  ${JSON.stringify(entries, null, 1)}\n`);
    const seen: unknown[] = [];
    await forEachJsonArrayElement(file, (v) => seen.push(v));
    assert.deepEqual(seen, entries);
    for (const [text, problem] of [
      ['{"a": 1}', /does not start with "\["/],
      ['[{"a": 1}, 5]', /entry 2 is not an object/],
      ['[{"a": 1}', /ends before the closing "\]"/],
      ['[{"a": tru}]', /entry 1 is not valid JSON/],
      ['[] x', /text after the closing/],
    ] as const) {
      writeFileSync(file, text);
      await assert.rejects(forEachJsonArrayElement(file, () => {}), problem, text);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NUL bytes are not JSON whitespace: a ShareGPT file of zeros fails at its first byte instead of being skipped to the end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sharegpt-'));
  try {
    const file = join(dir, 'zeros.json');
    writeFileSync(file, Buffer.alloc(3 * 1024 * 1024));
    let elements = 0;
    await assert.rejects(forEachJsonArrayElement(file, () => elements++), /does not start with "\["/);
    writeFileSync(file, Buffer.concat([Buffer.from('[{"a":1}'), Buffer.alloc(16), Buffer.from(']')]));
    await assert.rejects(forEachJsonArrayElement(file, () => elements++), /entry 2 is not an object/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dataset load ends when its signal aborts, with an error saying nothing was sent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sharegpt-'));
  try {
    const file = join(dir, 'many.json');
    const conversation = { conversations: [{ value: 'a question of some words' }, { value: 'an answer of some words' }] };
    writeFileSync(file, JSON.stringify(Array.from({ length: 5000 }, () => conversation)));
    // A slow tokenizer: counting all 5000 conversations would take minutes; the abort comes after 200 ms.
    let counted = 0;
    const slow: TokenCounter = { kind: 'approximate', specialTokens: 0, count: (text) => new Promise((resolve) => setTimeout(() => resolve((counted++, text.split(' ').length)), 20)) };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    await assert.rejects(loadDataset({ kind: 'sharegpt', path: file }, 5000, 0, slow, controller.signal), (err: Error) => err instanceof DatasetError && /^interrupted while loading the dataset; nothing was sent$/.test(err.message));
    assert.ok(counted < 2000, `stopped after ${counted} of 10000 counts`);
    assert.ok(performance.now() - started < 60_000);
    // Aborted before it starts: not even the file is read.
    await assert.rejects(loadDataset({ kind: 'replay', path: join(dir, 'absent.jsonl') }, 1, 0, undefined, AbortSignal.abort()), /interrupted while loading/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run size bounds: prompts and total random prompt tokens are refused past the limits, naming them', () => {
  const random = (inputLen: number) => ({ kind: 'random' as const, inputLen, outputLen: 1, rangeRatio: { input: 0.5, output: 0 }, prefixLen: 0 });
  assert.doesNotThrow(() => checkDatasetSize(random(1024), 10_000));
  assert.throws(() => checkDatasetSize({ kind: 'replay', path: 'x' }, MAX_NUM_PROMPTS + 1), /--num-prompts 1000001 is more than one run can hold in memory \(at most 1,000,000\)/);
  assert.throws(() => checkDatasetSize(random(1000), 200_000), /200000 random prompts of up to 1500 tokens are 3\.00e\+8 prompt tokens/);
  assert.throws(() => checkDatasetSize({ kind: 'replay', path: 'x' }, 1.5), /must be a positive integer/);
});
