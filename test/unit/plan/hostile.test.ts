// Plans as a hostile or unlucky user writes them (issue 16): errors in every section positioned, oversized files,
// huge scalars, alias bombs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../../../src/cli/args';
import { planValidate } from '../../../src/cli/commands/plan';
import { formatProblem, loadPlanFile, MAX_PLAN_BYTES, parsePlan } from '../../../src/core/plan/load';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const example = readFileSync('examples/glm-4.5-air-a100.plan.yaml', 'utf8');

/** One planted error per top-level section: [text in the example, replacement, where the error is, its path]. */
const PLANTED: Array<{ from: string; to: string; at: string; path: string }> = [
  { from: 'name: GLM-4.5-Air on 4×A100 — throughput', to: 'name: 5', at: '5', path: 'name' },
  { from: 'description: Achieve high', to: 'description: [Achieve high]\n#', at: '[Achieve', path: 'description' },
  { from: 'host: sim ', to: 'host: [sim]', at: '[sim]', path: 'host' },
  { from: 'model: zai-org/GLM-4.5-Air\n', to: 'model: 7\n', at: '7', path: 'model' },
  { from: '  parallel: { tp: 4 }\n', to: '  parallel: { tp: four }\n', at: 'four', path: 'baseline.parallel.tp' },
  { from: 'patch: { parallel: { tp: 1, pp: 4 } }', to: 'patch: { parallel: { tp: 1, pp: "q" } }', at: '"q"', path: 'stages[2].options[0].patch.parallel.pp' },
  { from: '    - long-prompt ', to: '    - long-promt ', at: 'long-promt', path: 'workloads.generalization[1]' },
  { from: 'objective: total_token_throughput', to: 'objective: { metric: total_token_throughput, extra: 1 }', at: 'extra', path: 'objective.extra' },
  { from: 'runner: vllm-bench', to: 'runner: x', at: 'x', path: 'runner' },
  { from: 'strategy: staged', to: 'strategy: q', at: 'q', path: 'strategy' },
  { from: 'repeats: 1', to: 'repeats: 0', at: '0', path: 'repeats' },
];

test('an error in each top-level section of the example plan carries its own line:col and full path', () => {
  let source = example;
  for (const p of PLANTED) {
    assert.ok(source.includes(p.from), `the example plan no longer has "${p.from}"`);
    source = source.replace(p.from, p.to);
  }
  const r = parsePlan(source, 'planted.plan.yaml');
  assert.equal(r.ok, false);
  const problems = r.ok ? [] : r.problems;
  assert.deepEqual(
    problems.map((p) => p.path),
    PLANTED.map((p) => p.path),
    problems.map(formatProblem).join('\n'),
  );
  const lines = source.split('\n');
  for (const [i, p] of problems.entries()) {
    const text = lines[p.line - 1]!.slice(p.column - 1);
    assert.ok(text.startsWith(PLANTED[i]!.at), `${formatProblem(p)} points at "${text}", not at "${PLANTED[i]!.at}"`);
  }
});

test('a plan past the size limit is refused with a sentence, from a file and from an editor buffer', async () => {
  const file = join(tempDir('sl-plan-big-'), 'big.plan.yaml');
  writeFileSync(file, `${example}\n# ${'x'.repeat(MAX_PLAN_BYTES)}\n`);
  const r = await loadPlanFile(file);
  assert.deepEqual(r.ok ? [] : r.problems.map((p) => [p.line, p.message.replace(/[\d.]+ MiB;/, 'N MiB;')]), [[1, 'the file is N MiB; a plan is a few KB and at most 1 MiB — is this the right file?']]);
  const buffer = parsePlan(readFileSync(file, 'utf8'), file);
  assert.match(buffer.ok ? '' : buffer.problems[0]!.message, /at most 1 MiB/);
});

test('thousands of unknown keys are each reported at their own key', () => {
  const keys = Array.from({ length: 3000 }, (_, i) => `unknown_${i}: 1`);
  const r = parsePlan(`${example}\n${keys.join('\n')}\n`, 'p.yaml');
  const problems = r.ok ? [] : r.problems;
  assert.equal(problems.length, 3000);
  const firstLine = example.split('\n').length + 1;
  assert.deepEqual([problems[0]!.line, problems[0]!.path], [firstLine, 'unknown_0']);
  assert.deepEqual([problems[2999]!.line, problems[2999]!.path], [firstLine + 2999, 'unknown_2999']);
});

test('a huge scalar or key is quoted by its start and length, never whole', () => {
  const huge = 'y'.repeat(400_000);
  const value = parsePlan(example.replace('runner: vllm-bench', `runner: ${huge}`), 'p.yaml');
  const key = parsePlan(`${example}\n? ${huge}\n: 1\n`, 'p.yaml');
  const preset = parsePlan(example.replace('primary: sharegpt', `primary: ${huge}`), 'p.yaml');
  for (const r of [value, key, preset]) {
    assert.equal(r.ok, false);
    const text = r.ok ? '' : r.problems.map(formatProblem).join('\n');
    assert.ok(text.length < 1200, `a message of ${text.length} characters`);
    assert.match(text, /400,000 characters/);
  }
});

test('an alias bomb is a problem of its file: multi-file validate goes on, --json stays JSON', async () => {
  const dir = tempDir('sl-plan-bomb-');
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
  const bomb = join(dir, 'bomb.plan.yaml');
  writeFileSync(bomb, `${levels.join('\n')}\n`);
  const good = join(dir, 'good.plan.yaml');
  writeFileSync(good, example);

  const direct = await loadPlanFile(bomb);
  assert.match(direct.ok ? '' : formatProblem(direct.problems[0]!), /bomb\.plan\.yaml:1:1: cannot load plan: .*alias/i);

  let out = '';
  const args = parseArgs([bomb, good, '--json'], planValidate.flags, planValidate.positionals, 'plan validate');
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const code = await planValidate.run({ args, stdout: (t) => (out += t), log, signal: new AbortController().signal, interactive: false, cwd: process.cwd() });
  assert.equal(code, 1);
  const reports = JSON.parse(out) as Array<{ file: string; ok: boolean; problems: Array<{ message: string }> }>;
  assert.deepEqual(
    reports.map((r) => [r.file, r.ok]),
    [
      [bomb, false],
      [good, true],
    ],
  );
  assert.match(reports[0]!.problems[0]!.message, /alias/i);
});
