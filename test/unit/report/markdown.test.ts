import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitShellWords } from '../../../src/core/shell';
import { admonition, codeFence, signedPercent, table, wrapCommand } from '../../../src/core/report/markdown';

test('admonition: quoted title with quotes escaped, four-space body, blank lines kept empty, tabs never emitted', () => {
  assert.equal(admonition('???', 'info', 'Say "hi"', 'a\n\n\tb\n'), '??? info "Say &quot;hi&quot;"\n    a\n\n        b');
  assert.equal(admonition('!!!', 'note', undefined, '1. x'), '!!! note\n    1. x');
  assert.throws(() => admonition('!!!', 'not "a" type', undefined, 'x'), /admonition type/);
});

test('codeFence: a fence longer than any backtick run in the content', () => {
  assert.equal(codeFence('bash', 'echo hi\n'), '```bash\necho hi\n```');
  assert.equal(codeFence('', 'a ```` b'), '`````\na ```` b\n`````');
});

test('table: pipes escaped, rows must match the header', () => {
  assert.equal(table(['a', 'b'], [['x|y', 'z']]), '| a | b |\n|---|---|\n| x\\|y | z |');
  assert.throws(() => table(['a', 'b'], [['x']]), /1 cells, the header has 2/);
});

test('signedPercent: sign and one decimal, no negative zero', () => {
  assert.deepEqual([60.0, 1.38, -53.37, 0.04, -0.04, 714.75].map(signedPercent), ['+60.0%', '+1.4%', '-53.4%', '0.0%', '0.0%', '+714.8%']);
});

test('wrapCommand: long canonical commands wrap between flags and keep every word; others stay as they are', () => {
  const long = "VLLM_ATTENTION_BACKEND=FLASHINFER vllm serve zai-org/GLM-4.5-Air -tp 4 --served-model-name 'GLM 4.5' --max-num-seqs 512 --host 127.0.0.1 --port 8000";
  const wrapped = wrapCommand(long);
  assert.equal(wrapped, "VLLM_ATTENTION_BACKEND=FLASHINFER vllm serve zai-org/GLM-4.5-Air -tp 4 \\\n    --served-model-name 'GLM 4.5' --max-num-seqs 512 --host 127.0.0.1 --port 8000");
  for (const line of wrapped.split('\n')) assert.ok(line.length <= 82, line);
  assert.deepEqual(splitShellWords(wrapped), splitShellWords(long));
  assert.equal(wrapCommand('vllm serve m -tp 4'), 'vllm serve m -tp 4');
  // Not in canonical quoting ("…" where shellJoin writes '…'): wrapping could change a word, so it is left alone.
  const odd = 'vllm serve zai-org/GLM-4.5-Air --served-model-name "GLM 4.5" --max-num-seqs 512 --host 127.0.0.1 --port 8000';
  assert.equal(wrapCommand(odd), odd);
});
