// The predicted search's ranking as the dashboard receives it: best first by measurement or forecast, ruled-out last
// with their reason, and messages that pass (or fail) the protocol's validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SearchProgress } from '../../../src/core/tune/observer';
import { parseToWebview, PROTOCOL_VERSION } from '../../../src/shared/protocol';
import { searchView } from '../../../src/vscode/dashboard/searchView';

const progress: SearchProgress = {
  metric: 'total_token_throughput_per_gpu',
  baseline: { name: 'Baseline', value: 400 },
  candidates: [
    { name: 'vLLM TP2', forecast: { value: 520, low: 430, high: 630 } },
    { name: 'SGLang TP4 kv fp8', ruledOut: 'the simulator predicts a crash: invalid choice' },
    { name: 'SGLang TP4', forecast: { value: 600, low: 500, high: 720 }, measured: 450 },
    { name: 'vLLM TP4', forecast: { value: 480, low: 400, high: 580 }, measuring: true },
  ],
};

test('candidates are ranked by their measurement where measured, else by forecast; ruled-out ones last with why', () => {
  const view = searchView('Predicted search', progress);
  assert.deepEqual(view.rows.map((r) => [r.name, r.state]), [
    ['vLLM TP2', 'open'],
    ['vLLM TP4', 'measuring'],
    ['SGLang TP4', 'measured'],
    ['SGLang TP4 kv fp8', 'ruled-out'],
  ]);
  assert.deepEqual(view.rows[0], { name: 'vLLM TP2', state: 'open', forecast: 520, low: 430, high: 630 });
  assert.equal(view.rows[3]!.why, 'the simulator predicts a crash: invalid choice');
  assert.equal(view.metric, 'total token throughput per GPU (tok/s per GPU)', 'the heading names the objective and its unit');
});

test('a search message passes the protocol; a negative forecast or an unknown state does not', () => {
  const search = searchView('Predicted search', { ...progress, stopped: 'every candidate was measured or ruled out' });
  const ok = parseToWebview({ v: PROTOCOL_VERSION, type: 'search', runId: 'run-1', search });
  assert.ok(ok.ok, ok.ok ? '' : ok.error);
  const negative = parseToWebview({ v: PROTOCOL_VERSION, type: 'search', runId: 'run-1', search: { ...search, rows: [{ ...search.rows[0]!, forecast: -1 }] } });
  assert.ok(!negative.ok && /rows\.0\.forecast/.test(negative.error), negative.ok ? 'accepted' : negative.error);
  const unknown = parseToWebview({ v: PROTOCOL_VERSION, type: 'search', runId: 'run-1', search: { ...search, rows: [{ ...search.rows[0]!, state: 'pending' }] } });
  assert.ok(!unknown.ok && /rows\.0\.state/.test(unknown.error));
});
