import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from '../../../src/cli/args';
import type { CliCommand } from '../../../src/cli/command';
import { resultsExport, resultsImport, resultsList, resultsShow } from '../../../src/cli/commands/results';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

async function run(command: CliCommand, argv: string[], cwd: string) {
  let out = '';
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m) };
  const args = parseArgs(argv, command.flags, command.positionals, command.path.join(' '));
  // Like process.stdout.write, the writer returns true: a command must not pass that on as its exit code.
  const stdout = (t: string) => {
    out += t;
    return true;
  };
  const code = await command.run({ args, stdout, log, signal: new AbortController().signal, interactive: false, cwd });
  assert.ok(code === undefined || typeof code === 'number', `exit code ${String(code)}`);
  return { code: code ?? 0, out, warnings };
}

test('results import → list → show → export, with a corrupt file named and skipped', async () => {
  const cwd = tempDir('sl-results-cli-');
  const imported = await run(resultsImport, ['test/fixtures/bench/vllm-save-result.json', 'test/fixtures/bench/sglang.txt', '--results', join(cwd, 'store'), '--json'], process.cwd());
  assert.equal(imported.code, 0);
  const ids = (JSON.parse(imported.out) as Array<{ id: string }>).map((r) => r.id);
  assert.equal(ids.length, 2);
  writeFileSync(join(cwd, 'store', 'results', 'torn.json'), '{"schemaVersion":1,');

  const list = await run(resultsList, ['--results', 'store'], cwd);
  assert.equal(list.code, 0);
  assert.match(list.out, /3903\.44/);
  assert.match(list.out, /6160\.72/);
  assert.equal(list.warnings.length, 1);
  assert.match(list.warnings[0]!, /torn\.json: not valid JSON/);

  const show = await run(resultsShow, [ids[1]!, '--results', 'store'], cwd);
  assert.match(show.out, /Serving Benchmark Result/);
  const listJson = await run(resultsList, ['--results', 'store', '--json'], cwd);
  assert.equal(listJson.code, 0);
  assert.equal((JSON.parse(listJson.out) as unknown[]).length, 2);
  await assert.rejects(run(resultsShow, ['torn', '--results', 'store'], cwd), /torn\.json: not valid JSON/);
  await assert.rejects(run(resultsShow, ['nope', '--results', 'store'], cwd), /no result or experiment "nope"/);

  const csv = await run(resultsExport, ['--csv', '--results', 'store'], cwd);
  const lines = csv.out.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^id,createdAt,status,.*,total_token_throughput/);
  await assert.rejects(run(resultsExport, ['--results', 'store'], cwd), /exactly one of --csv or --json/);

  const bad = await run(resultsImport, ['test/fixtures/plans/broken.plan.yaml', '--results', join(cwd, 'store')], process.cwd());
  assert.equal(bad.code, 1);
  assert.match(bad.warnings.join('\n'), /broken\.plan\.yaml: no result of a known shape; known shapes: /);
});

test('results import: a bad value names file and field and the other files still import; identical blocks are stored once; a sweep directory imports', async () => {
  const cwd = tempDir('sl-results-import-');
  const negative = join(cwd, 'negative.json');
  writeFileSync(negative, JSON.stringify({ completed: 3, duration: 1, total_input_tokens: 30, total_output_tokens: 3, request_throughput: 3, output_throughput: 3, total_token_throughput: -33 }));
  const block = readFileSync('test/fixtures/bench/imports/gpustack-na.md', 'utf8');
  const repeated = join(cwd, 'repeated.md');
  writeFileSync(repeated, `${block}\n${block}`);
  const r = await run(resultsImport, [negative, repeated, 'test/fixtures/bench/imports/sweep', '--results', join(cwd, 'store'), '--json'], process.cwd());
  assert.equal(r.code, 1, 'one file failed');
  assert.match(r.warnings.join('\n'), /negative\.json: "total_token_throughput" is -33; a benchmark metric is a finite number ≥ 0/);
  assert.doesNotMatch(r.warnings.join('\n'), /ZodError|"code":/);
  assert.match(r.warnings.join('\n'), /repeated\.md: 1 result is identical to one already read; stored once/);
  const imported = JSON.parse(r.out) as Array<{ source: { kind: string } }>;
  assert.deepEqual(imported.map((x) => x.source.kind), ['gpustack-text', 'vllm-sweep', 'vllm-sweep', 'vllm-sweep']);
});
