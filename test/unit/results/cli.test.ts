import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
  assert.match(bad.warnings.join('\n'), /no benchmark result found/);
});
