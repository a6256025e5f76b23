import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newStoreId, openResultsStore, StoreError } from '../../../src/core/results/store';
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
