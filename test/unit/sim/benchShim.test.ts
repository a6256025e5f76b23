import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translateSglangBench } from '../../../src/core/sim/exec';

const translate = (args: string[]) => {
  const notes: string[] = [];
  const out = translateSglangBench(args, { stderr: (s) => notes.push(s) });
  return { out, notes: notes.join('') };
};

const flag = (out: string[] | number, name: string) => (Array.isArray(out) ? out[out.indexOf(name) + 1] : undefined);

test("SGLang's --random-range-ratio 1 (fixed lengths) becomes vLLM's 0", () => {
  const { out } = translate(['--backend', 'sglang-oai-chat', '--dataset-name', 'random', '--random-input-len', '4000', '--random-output-len', '200', '--random-range-ratio', '1', '--num-prompts', '5']);
  assert.equal(flag(out, '--random-input-len'), '4000');
  assert.equal(flag(out, '--random-output-len'), '200');
  assert.equal(flag(out, '--random-range-ratio'), '0');
  assert.equal(flag(out, '--backend'), 'openai-chat');
});

test("a partial SGLang window [L·r, L] becomes the same window centred the way vLLM draws it", () => {
  const { out, notes } = translate(['--dataset-name', 'random', '--random-input-len', '1000', '--random-output-len', '100', '--random-range-ratio', '0.5']);
  // [500, 1000] = 750 ± 250 → vLLM ratio 1/3.
  assert.equal(flag(out, '--random-input-len'), '750');
  assert.equal(flag(out, '--random-output-len'), '75');
  assert.equal(Number(flag(out, '--random-range-ratio')).toFixed(4), '0.3333');
  assert.match(notes, /centred window/);
});

test("SGLang's defaults (1024/1024, ratio 0) are applied when the flags are absent, and bad values are usage errors", () => {
  const { out } = translate(['--dataset-name', 'random']);
  assert.equal(flag(out, '--random-input-len'), '512');
  assert.ok(Number(flag(out, '--random-range-ratio')) < 1);
  assert.equal(translate(['--dataset-name', 'random', '--random-input-len', 'lots']).out, 2);
});
