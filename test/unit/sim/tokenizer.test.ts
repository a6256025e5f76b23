// The simulator's tokenizer and synthetic ShareGPT data.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isValidShareGptPair, syntheticShareGptRequests, writeSyntheticShareGpt } from '../../../src/core/sim/sharegpt';
import { chatPromptTokens, countTokens, detokenize, promptTokens, tokenize, VOCAB_SIZE, wordText } from '../../../src/core/sim/tokenizer';

test('tokenize/detokenize round-trip any text, including non-ASCII, and stay inside the vocabulary', () => {
  for (const text of ['Hello, world!', '  two  spaces\n\nand newlines\t', 'Ünïcödé ✓ 😀 中文', '', 'x'.repeat(50)]) {
    const ids = tokenize(text);
    assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < VOCAB_SIZE));
    assert.equal(detokenize(ids), text);
  }
  assert.deepEqual(tokenize('same input'), tokenize('same input'));
  assert.throws(() => detokenize([VOCAB_SIZE]), /out of vocabulary/);
});

test('generated word text has exactly the requested number of tokens', () => {
  for (const n of [1, 7, 214, 2000]) assert.equal(countTokens(wordText(n, n)), n);
});

test('prompt and chat token counts include the GLM special tokens', () => {
  assert.equal(promptTokens('hello world').length, tokenize('hello world').length + 2);
  assert.equal(promptTokens('hello world', false).length, tokenize('hello world').length);
  const content = wordText(3, 10);
  // [gMASK] <sop> <|user|> "\n" + 10 words + <|assistant|>
  assert.equal(chatPromptTokens([{ role: 'user', content }]).length, 2 + 1 + 1 + 10 + 1);
});

test('synthetic ShareGPT: after vLLM’s filter, ~214 input and ~200 output tokens per request, deterministic', () => {
  const requests = syntheticShareGptRequests(1000, 0);
  const meanIn = requests.reduce((a, r) => a + r.input, 0) / 1000;
  const meanOut = requests.reduce((a, r) => a + r.output, 0) / 1000;
  assert.ok(Math.abs(meanIn - 214.5) < 5, `mean input ${meanIn}`);
  assert.ok(Math.abs(meanOut - 199.9) < 5, `mean output ${meanOut}`);
  assert.ok(requests.every((r) => isValidShareGptPair(r.input, r.output)));
  assert.deepEqual(syntheticShareGptRequests(50, 0), requests.slice(0, 50));
  assert.notDeepEqual(syntheticShareGptRequests(50, 1), requests.slice(0, 50));
});

test('writeSyntheticShareGpt writes ShareGPT-format conversations whose texts have the generated lengths', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sharegpt-'));
  try {
    const file = join(dir, 'synthetic.json');
    await writeSyntheticShareGpt(file, { count: 30, seed: 0 });
    const data = JSON.parse(readFileSync(file, 'utf8')) as Array<{ id: string; conversations: Array<{ from: string; value: string }> }>;
    assert.equal(data.length, 30);
    assert.match(data[0]!.id, /^synthetic-/);
    assert.deepEqual(data[0]!.conversations.map((c) => c.from), ['human', 'gpt']);
    const kept = data.map((d) => ({ input: countTokens(d.conversations[0]!.value), output: countTokens(d.conversations[1]!.value) })).filter((p) => isValidShareGptPair(p.input, p.output));
    assert.deepEqual(kept.slice(0, 10), syntheticShareGptRequests(10, 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
