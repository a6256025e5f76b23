import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressObserver } from '../../../src/cli/commands/tune';
import type { RunPosition } from '../../../src/core/tune/observer';

const position: RunPosition = { experimentId: 'x-1', stage: 'Parallelism', stageIndex: 2, stageCount: 5, option: 'TP4+EP4', command: 'python3 -m sglang.launch_server …', workload: 'ShareGPT', repeat: 1, repeats: 1 };

test('in CI: plain lines for launches, benchmarks, crashes, decisions, and live throughput at most every 10 s', () => {
  let out = '';
  const p = progressObserver((t) => (out += t), false);
  p.engine!({ state: 'launching', option: 'TP4+EP4', command: 'python3 -m sglang.launch_server --tp-size 4 --ep-size 4' });
  p.point!(position);
  p.sample!({ t: 10_000, totalTokS: 6245.8, running: 412, waiting: 0, kvUsage: 0.41 });
  p.sample!({ t: 11_000, totalTokS: 6000 });
  p.engine!({ state: 'crashed', option: 'PP4', crash: { reason: 'pp-unsupported', rootCause: 'Pipeline Parallel is not compatible with this model.', logExcerpt: [] } });
  p.decision!('Parallelism', { winner: 'TP4+EP4', gainPct: 1.4, withinNoise: true, why: 'TP4+EP4 beats SGLang by +1.4%.' });
  p.close();
  assert.doesNotMatch(out, /\r|\x1b/);
  assert.match(out, /^launch  TP4\+EP4: python3 -m sglang\.launch_server/m);
  assert.match(out, /^bench   TP4\+EP4 · ShareGPT$/m);
  assert.match(out, /live 6246 tok\/s, 412 running, 0 waiting, KV 41%/);
  assert.doesNotMatch(out, /live 6000/);
  assert.match(out, /^crash   PP4 \(pp-unsupported\): Pipeline Parallel/m);
  assert.match(out, /^decide  Parallelism: TP4\+EP4 beats/m);
});

test('on a terminal: one redrawn status line with stage, variant, workload, live throughput, a bar and the ETA', () => {
  let out = '';
  const p = progressObserver((t) => (out += t), true);
  p.point!(position);
  p.sample!({ t: 1, totalTokS: 6245.8, running: 412, waiting: 3, kvUsage: 0.41 });
  p.eta!({ runsDone: 7, runsTotal: 14, elapsedS: 100, remainingS: 95 });
  p.close();
  const last = out.split('\r\x1b[2K').filter(Boolean).at(-1)!;
  assert.ok(last.startsWith('[stage 3/5 Parallelism] TP4+EP4 · ShareGPT · 6246 tok/s · run 412 wait 3 · KV 41% · [######------] 7/14 runs · ETA 1m'), last);
  assert.ok(last.length <= (process.stderr.columns ?? 120), 'cut to the terminal width');
});

test('a capacity search: each point says its load and SLO verdict, the status line the bracket, the end the capacity', () => {
  let out = '';
  const p = progressObserver((t) => (out += t), false);
  const slo = { p99_ttft_ms: 2000, min_success: 0.99 };
  const curve = { stage: 'Baseline', option: 'TP4', workload: 'ShareGPT', mode: 'capacity' as const, by: 'request_rate' as const, slo, gpus: 4, points: [] as never[] };
  const at = (value: number, meetsSlo: boolean, breaks: string[] = []) => ({ value, index: 0, role: 'bracket' as const, meetsSlo, breaks, metrics: {} });
  p.point!({ ...position, option: 'TP4', load: { by: 'request_rate', value: 4 } });
  p.curve!('x-1', { curve: { ...curve, points: [at(4, true)] as never[] }, bracket: { lo: 4 }, done: false });
  p.curve!('x-1', { curve: { ...curve, points: [at(4, true), at(8, false, ['p99_ttft_ms 2511 > 2000'])] as never[] }, bracket: { lo: 4, hi: 8 }, done: false });
  const capacity = { load: 6, requestRate: 5.9, perGpu: 1.475 };
  p.curve!('x-1', { curve: { ...curve, points: [at(4, true), at(8, false), at(6, true)] as never[], capacity }, bracket: { lo: 6, hi: 8 }, done: true });
  p.close();
  assert.match(out, /^bench   TP4 · ShareGPT · 4 req\/s$/m);
  assert.match(out, /^point   TP4 · 4 req\/s: meets the SLO; capacity ≥ 4 req\/s$/m);
  assert.match(out, /^point   TP4 · 8 req\/s: breaks the SLO \(p99_ttft_ms 2511 > 2000\); capacity between 4 and 8 req\/s$/m);
  assert.match(out, /^curve   TP4 · ShareGPT: capacity 6 req\/s: 5\.90 req\/s served within the SLO, 1\.48 req\/s per GPU \(4 GPUs\)$/m);
});

test('on a terminal the status line carries the capacity bracket while the search runs', () => {
  let out = '';
  const p = progressObserver((t) => (out += t), true);
  p.point!({ ...position, load: { by: 'concurrency', value: 64 } });
  p.curve!('x-1', { curve: { stage: 'Baseline', option: 'TP4+EP4', workload: 'ShareGPT', mode: 'capacity', by: 'concurrency', slo: { p99_tpot_ms: 100, min_success: 0.99 }, gpus: 4, points: [{ value: 64, index: 0, role: 'bracket', meetsSlo: false, breaks: ['p99_tpot_ms 130 > 100'], metrics: {} }] }, bracket: { hi: 64 }, done: false });
  p.close();
  const lines = out.split('\r\x1b[2K').filter(Boolean);
  assert.ok(lines.some((l) => l.startsWith('[stage 3/5 Parallelism] TP4+EP4 · ShareGPT · concurrency 64 · capacity < concurrency 64')), lines.join('\n'));
});
