// Serving scripts as people paste them, through the one parser every entry point uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseServeCommand, parseServeCommandDetailed, VariantError } from '../../../src/core/engines/index';
import { parseServingScript } from '../../../src/core/engines/script';

interface Published {
  id: string;
  engine: string;
  gpu_count: number;
  serve_command: string;
}
const published = (JSON.parse(readFileSync(join(__dirname, '../../fixtures/gpustack-serve-commands.json'), 'utf8')) as { commands: Published[] }).commands;

test('every serving script of the calibration pages parses: its engine, and the GPUs its parallel flags take', () => {
  assert.equal(published.length, 60);
  for (const p of published) {
    const v = parseServeCommand(p.serve_command);
    assert.equal(v.engine, p.engine, p.id);
    assert.equal(v.parallel.tp * v.parallel.pp * v.parallel.dp, p.gpu_count, `${p.id}: ${p.serve_command}`);
  }
  // Page 316: a comment line above the command; page 075: a continuation.
  const commented = published.find((p) => p.id === '316')!;
  assert.deepEqual(parseServeCommand(commented.serve_command).parallel, { tp: 8, pp: 1, dp: 1, ep: 8 });
  assert.deepEqual(parseServeCommand(published.find((p) => p.id === '075')!.serve_command).parsers, { toolCall: 'glm', reasoning: 'glm45' });
});

test('comments, exports, env prefixes, continuations with stray spaces and CRLF, and the commands around the serve command', () => {
  const script = [
    '#!/bin/bash',
    '# serve GLM on 4 GPUs',
    'pip install "vllm==0.11.0"',
    'export VLLM_ATTENTION_BACKEND=FLASHINFER  # faster here',
    'export HF_HOME=/data/hf NCCL_DEBUG=WARN',
    'PORT=9000',
    'CUDA_VISIBLE_DEVICES=0,1,2,3 vllm serve zai-org/GLM-4.5-Air \\  ',
    '    -tp 4 \\',
    "    --max-num-seqs 512   # more sequences\\",
    '',
  ].join('\r\n');
  const s = parseServingScript(script);
  assert.deepEqual(s.argv, ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--max-num-seqs', '512']);
  assert.deepEqual(s.env, { VLLM_ATTENTION_BACKEND: 'FLASHINFER', HF_HOME: '/data/hf', NCCL_DEBUG: 'WARN', CUDA_VISIBLE_DEVICES: '0,1,2,3' });
  assert.deepEqual(s.ignored, ['line 3: pip install "vllm==0.11.0"']);
  const v = parseServeCommandDetailed(script).variant;
  assert.deepEqual([v.parallel.tp, v.attentionBackend, v.batching.maxNumSeqs, v.env['CUDA_VISIBLE_DEVICES']], [4, 'FLASHINFER', 512, '0,1,2,3']);
  // A variable set without export stays in the shell, until exported.
  assert.deepEqual(parseServingScript('A=1\nvllm serve m').env, {});
  assert.deepEqual(parseServingScript('A=1\nexport A\nenv B=2 vllm serve m').env, { A: '1', B: '2' });
  // A quoted argument may span lines, and a quote inside a comment opens nothing.
  assert.deepEqual(parseServingScript(`# don't\nvllm serve m --speculative-config '{"method": "ngram",\n "num_speculative_tokens": 3}'`).argv.slice(3), ['--speculative-config', '{"method": "ngram",\n "num_speculative_tokens": 3}']);
});

test('scripts that cannot be run as one serve command say why, with the line', () => {
  const refused = (text: string, pattern: RegExp) => assert.throws(() => parseServeCommand(text), (e: Error) => e instanceof VariantError && pattern.test(e.message), text);
  refused('vllm serve a\nvllm serve b', /2 serve commands \(lines 1, 2\): paste the one to run/);
  refused('pip install vllm\nnvidia-smi', /no serve command found \(only: line 1: pip install vllm; line 2: nvidia-smi\)/);
  refused('# nothing here\n\n', /has no command/);
  refused('export -S=1\nvllm serve m', /line 1: "-S" is not a valid environment variable name/);
  refused('vllm serve m\nls; rm -rf /', /line 2: unquoted ";"/);
  refused('ollama run m', /is not a serve command Serving Lab knows/);
});
