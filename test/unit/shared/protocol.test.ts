import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPercentChange, MAX_SAMPLES, parseFromWebview, parseToWebview, percentChange, PROTOCOL_VERSION } from '../../../src/shared/protocol';

test('messages of this protocol version parse; another version is refused with what to do', () => {
  const ok = parseFromWebview({ v: PROTOCOL_VERSION, type: 'stop', runId: 'r1' });
  assert.deepEqual(ok, { ok: true, message: { v: 1, type: 'stop', runId: 'r1' } });
  const old = parseToWebview({ v: 0, type: 'snapshot', state: { run: null, comparison: null } });
  assert.equal(old.ok, false);
  assert.match(old.ok ? '' : old.error, /protocol version 0, expected 1; reload the dashboard/);
});

test('invalid messages are refused with the path of the first problem', () => {
  const unknownType = parseFromWebview({ v: 1, type: 'runShell', command: 'rm -rf /' });
  assert.equal(unknownType.ok, false);
  const badSample = parseToWebview({ v: 1, type: 'samples', runId: 'r', samples: [{ t: 1, kvCacheUsage: 1.5 }] });
  assert.match(badSample.ok ? '' : badSample.error, /samples\.0\.kvCacheUsage/);
  const extraKey = parseToWebview({ v: 1, type: 'log', runId: 'r', lines: [], html: '<script>' });
  assert.equal(extraKey.ok, false, 'strict objects: unknown keys are refused');
  const notPng = parseFromWebview({ v: 1, type: 'exportChart', chart: 'throughput', pngDataUrl: 'data:text/html;base64,PHNjcmlwdD4=' });
  assert.equal(notPng.ok, false);
});

test('sample batches are bounded', () => {
  const samples = Array.from({ length: MAX_SAMPLES + 1 }, (_, t) => ({ t }));
  assert.equal(parseToWebview({ v: 1, type: 'samples', runId: 'r', samples }).ok, false);
  assert.equal(parseToWebview({ v: 1, type: 'samples', runId: 'r', samples: samples.slice(1) }).ok, true);
});

test('a progress message without a summary stays without one (the shown summary is kept)', () => {
  const parsed = parseToWebview({ v: 1, type: 'progress', runId: 'r', progress: { phase: 'completed', label: 'done' } });
  assert.ok(parsed.ok && parsed.message.type === 'progress');
  assert.equal(parsed.message.summary, undefined);
});

test('percent changes as the comparison table shows them', () => {
  assert.equal(formatPercentChange(percentChange(3903.44, 6160.72)), '+57.8%');
  assert.equal(formatPercentChange(percentChange(104.59, 309.31)), '+195.7%');
  assert.equal(formatPercentChange(percentChange(20, 18)), '-10.0%');
  assert.equal(formatPercentChange(percentChange(0, 5)), '-');
  assert.equal(formatPercentChange(percentChange(null, 5)), '-');
});
