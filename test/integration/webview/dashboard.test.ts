// The dashboard page (media/dashboard.js, built from webview/) with its real HTML and CSP, in Debian chromium via
// playwright-core. The VS Code webview API is replaced by a recorder of posted messages; messages from the extension
// are delivered with window.postMessage, as VS Code delivers them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dashboardHtml } from '../../../src/vscode/dashboard/html';
import { parseFromWebview, parseToWebview, PROTOCOL_VERSION, type DashboardState, type LaneStatus, type LiveSample, type ToWebview } from '../../../src/shared/protocol';
import { curvesView } from '../../../src/vscode/dashboard/curveView';
import { searchView } from '../../../src/vscode/dashboard/searchView';
import type { CurveRecord } from '../../../src/core/plan/schema';

const repo = join(__dirname, '../../..');
const screenshots = join(repo, 'test-output/webview');
let server: Server;
let origin: string;
let browser: Browser;

before(async () => {
  const bundle = join(repo, 'media/dashboard.js');
  assert.ok(existsSync(bundle), 'media/dashboard.js is missing: run `npm run build` first');
  mkdirSync(screenshots, { recursive: true });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(dashboardHtml({ cspSource: origin, scriptUri: `${origin}/media/dashboard.js`, styleUri: `${origin}/media/dashboard.css` }));
      return;
    }
    const file = join(repo, url.pathname);
    if (!url.pathname.startsWith('/media/') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

const DARK_THEME = `
  document.body.classList.add('vscode-dark');
  for (const [k, v] of Object.entries({
    '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1e1e1e', '--vscode-charts-foreground': '#cccccc',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7', '--vscode-charts-red': '#f14c4c', '--vscode-charts-lines': '#444444',
  })) document.documentElement.style.setProperty(k, v);`;

interface Loaded {
  page: Page;
  posted(): Promise<unknown[]>;
  deliver(message: ToWebview | Record<string, unknown>): Promise<void>;
  cspViolations: string[];
}

async function load(): Promise<Loaded> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1100 } });
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => console.error(`dashboard page error: ${e.message}`));
  // A string, not a function: tsx would compile a function with helpers (__name) that do not exist in the page.
  await page.addInitScript(`
    window.__posted = [];
    window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => {} });
    document.addEventListener('securitypolicyviolation', (e) => console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));
  `);
  await page.goto(origin);
  await page.evaluate(DARK_THEME);
  return {
    page,
    cspViolations,
    // Strings, not functions: this file is type-checked without DOM types, and tsx adds helpers the page lacks.
    posted: () => page.evaluate('window.__posted') as Promise<unknown[]>,
    deliver: (message) => page.evaluate(`window.postMessage(${JSON.stringify(message)}, '*')`),
  };
}

function samples(count: number, start = 0): LiveSample[] {
  return Array.from({ length: count }, (_, i) => {
    const t = start + i;
    return {
      t,
      totalTokensPerS: 4000 + 800 * Math.sin(t / 5),
      outputTokensPerS: 1900 + 300 * Math.cos(t / 7),
      running: 200 + (t % 40),
      waiting: Math.max(0, 30 - t),
      kvCacheUsage: Math.min(0.95, 0.2 + t / 200),
      ttftMs: 300 + 20 * (t % 9),
      tpotMs: 90 + (t % 5),
      itlMs: 85 + (t % 7),
    };
  });
}

function state(sampleCount: number): DashboardState {
  return {
    run: {
      id: 'run-1',
      title: 'vLLM tp4 — ShareGPT',
      host: 'sim',
      command: 'vllm serve zai-org/GLM-4.5-Air -tp 4',
      startedAt: new Date().toISOString(),
      progress: { phase: 'benchmarking', label: 'benchmarking ShareGPT (412/1000 requests)', completed: 412, total: 1000, etaSeconds: 75 },
      samples: samples(sampleCount),
      log: ['INFO:     Started server process [1234]', 'INFO:     Application startup complete.'],
      summary: [],
    },
    comparison: null,
    curves: null,
    search: null,
  };
}

/** Counts pixels of the canvas that carry the given colour (±tolerance per channel): proof a series was drawn. */
async function pixelsOfColour(page: Page, canvasSelector: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(`(() => {
    const canvas = document.querySelector(${JSON.stringify(canvasSelector)});
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const [r, g, b] = ${JSON.stringify(rgb)};
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40) n++;
    }
    return n;
  })()`) as Promise<number>;
}

test('the page says ready, draws a snapshot and then appended sample batches, without CSP violations', async () => {
  const { page, posted, deliver, cspViolations } = await load();
  assert.deepEqual((await posted())[0], { v: PROTOCOL_VERSION, type: 'ready' });
  assert.equal(await page.locator('#empty').isVisible(), true);

  await deliver({ v: 1, type: 'snapshot', state: state(60) });
  await page.locator('#chart-throughput[data-points="120"]').waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#empty').isVisible(), false);
  assert.equal(await page.locator('#run-title').textContent(), 'vLLM tp4 — ShareGPT');
  assert.match((await page.locator('#progress-label').textContent()) ?? '', /412\/1000 requests.*about 75 s left/);
  assert.match((await page.locator('#log').textContent()) ?? '', /Application startup complete/);

  await deliver({ v: 1, type: 'samples', runId: 'run-1', samples: samples(30, 60) });
  await page.locator('#chart-throughput[data-points="180"]').waitFor({ timeout: 5000 });
  await page.locator('#chart-kvCache[data-points="90"]').waitFor({ timeout: 5000 });
  // A batch for a run the page does not show is ignored.
  await deliver({ v: 1, type: 'samples', runId: 'another-run', samples: samples(5, 90) });
  await deliver({ v: 1, type: 'log', runId: 'run-1', lines: ['INFO 12-01 10:00:00 metrics: Avg prompt throughput: 12000 tokens/s'] });
  await page.waitForTimeout(100);
  assert.equal(await page.locator('#chart-throughput').getAttribute('data-points'), '180');
  assert.match((await page.locator('#log').textContent()) ?? '', /Avg prompt throughput/);

  assert.ok((await pixelsOfColour(page, '#chart-throughput', [0x37, 0x94, 0xff])) > 200, 'the blue total-throughput line is drawn');
  assert.ok((await pixelsOfColour(page, '#chart-latency', [0x37, 0x94, 0xff])) > 200, 'the TTFT line is drawn');
  assert.ok((await pixelsOfColour(page, '#chart-requests', [0xd1, 0x86, 0x16])) > 50, 'the waiting-requests line is drawn');
  await page.screenshot({ path: join(screenshots, 'dashboard-live.png'), fullPage: true });

  // One engine: its charts, no lanes (as before lanes existed).
  assert.equal(await page.locator('#lanes-section').isVisible(), false);
  const rendered = (await posted()).filter((m) => (m as { type: string }).type === 'rendered');
  assert.ok(rendered.length > 0, 'the page reports what it drew');
  assert.deepEqual(cspViolations, []);
  await page.close();
});

test('a long run keeps at most MAX_SAMPLES points per series', async () => {
  const { page, deliver } = await load();
  await deliver({ v: 1, type: 'snapshot', state: state(7000) });
  await deliver({ v: 1, type: 'samples', runId: 'run-1', samples: samples(1000, 7000) });
  await page.locator('#chart-kvCache[data-points="7200"]').waitFor({ timeout: 10_000 });
  await page.close();
});

test('Stop and Export post valid messages; an invalid message shows an error instead of breaking the page', async () => {
  const { page, posted, deliver } = await load();
  await deliver({ v: 1, type: 'snapshot', state: state(20) });
  await page.locator('#chart-throughput[data-points="40"]').waitFor({ timeout: 5000 });
  await page.locator('#stop').click();
  await page.locator('[data-export="throughput"]').click();
  const messages = (await posted()).map((m) => parseFromWebview(m));
  for (const m of messages) assert.ok(m.ok, JSON.stringify(m));
  const types = messages.map((m) => (m.ok ? m.message.type : 'invalid'));
  assert.ok(types.includes('stop'));
  const exported = messages.find((m) => m.ok && m.message.type === 'exportChart');
  assert.ok(exported?.ok && exported.message.type === 'exportChart');
  assert.equal(exported.message.chart, 'throughput');
  assert.ok(Buffer.from(exported.message.pngDataUrl.split(',')[1]!, 'base64').subarray(1, 4).toString() === 'PNG');

  await deliver({ v: 2, type: 'snapshot', state: state(1) });
  await page.locator('#error', { hasText: 'protocol version 2' }).waitFor({ timeout: 5000 });
  await deliver({ v: 1, type: 'samples', runId: 'run-1', samples: [{ t: -1 }] });
  await page.locator('#error', { hasText: 'invalid extension→dashboard message' }).waitFor({ timeout: 5000 });
  // The page still works after bad messages.
  await deliver({ v: 1, type: 'progress', runId: 'run-1', progress: { phase: 'completed', label: 'done' }, summary: [{ label: 'Total token throughput (tok/s)', value: '3903.44' }] });
  await page.locator('#summary', { hasText: '3903.44' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#stop').getAttribute('disabled'), '');
  // A later progress message without a summary keeps the one shown.
  await deliver({ v: 1, type: 'progress', runId: 'run-1', progress: { phase: 'completed', label: 'completed; the result is saved' } });
  await page.locator('#progress-label', { hasText: 'the result is saved' }).waitFor({ timeout: 5000 });
  assert.match((await page.locator('#summary').textContent()) ?? '', /3903\.44/);
  await page.close();
});

test('the comparison view draws grouped bars and a table with +x.x% changes, latency regressions marked', async () => {
  const { page, deliver } = await load();
  await deliver({
    v: 1,
    type: 'snapshot',
    state: {
      run: null,
      comparison: {
        title: 'Baseline vs optimized',
        metricLabel: 'Total TPS',
        latencyLabel: 'Mean TPOT (ms)',
        baselineLabel: 'Baseline',
        optimizedLabel: 'Optimized',
        rows: [
          { workload: 'ShareGPT', baseline: 3903.44, optimized: 6160.72, baselineLatencyMs: 104.59, optimizedLatencyMs: 309.31 },
          { workload: 'Short Prompt', baseline: 25000, optimized: 27500, baselineLatencyMs: 20, optimizedLatencyMs: 18 },
        ],
      },
    },
  });
  await page.locator('#chart-comparison[data-points="4"]').waitFor({ timeout: 5000 });
  const cells = await page.locator('#comparison-table tr').nth(1).locator('td').allTextContents();
  assert.deepEqual(cells, ['ShareGPT', '3,903.44', '6,160.72', '+57.8%', '104.59', '309.31', '+195.7%']);
  assert.equal(await page.locator('#comparison-table tr').nth(1).locator('td').nth(6).getAttribute('class'), 'worse');
  assert.equal(await page.locator('#comparison-table tr').nth(2).locator('td').nth(6).getAttribute('class'), 'better');
  assert.ok((await pixelsOfColour(page, '#chart-comparison', [0x37, 0x94, 0xff])) > 500, 'optimized bars drawn');
  assert.ok((await pixelsOfColour(page, '#chart-comparison', [0xd1, 0x86, 0x16])) > 500, 'baseline bars drawn');
  await page.screenshot({ path: join(screenshots, 'dashboard-comparison.png'), fullPage: true });
  await page.close();
});

/** Samples as the engine's histograms give them with any runner: bands only, no per-request points. */
function engineSamples(count: number): LiveSample[] {
  return Array.from({ length: count }, (_, t) => ({
    t,
    running: 100,
    preempted: t % 10 === 0 ? 3 : 0,
    prefixHitRate: 0.25,
    engineLatency: {
      ttft: { meanMs: 900 + 10 * t, p50Ms: 700 + 10 * t, p99Ms: 2400 + 10 * t },
      itl: { meanMs: 40, p50Ms: 35 + (t % 4), p99Ms: 95 },
      e2e: { meanMs: 9000, p50Ms: 8500, p99Ms: 15000 },
    },
  }));
}

test('engine latency bands: TTFT and TPOT (from the ITL histogram) are drawn as bands; a TRT-LLM note shows instead of an empty chart', async () => {
  const { page, deliver } = await load();
  const s = state(0);
  s.run!.samples = engineSamples(40);
  await deliver({ v: 1, type: 'snapshot', state: s });
  await page.locator('#chart-latency[data-points]').waitFor({ timeout: 5000 });
  await page.waitForFunction(`Number(document.getElementById('chart-latency').dataset.points) > 0`, undefined, { timeout: 5000 });
  const series = JSON.parse((await page.locator('#chart-latency').getAttribute('data-series')) ?? '{}') as Record<string, number>;
  assert.equal(series['TTFT p50–p99'], 40);
  assert.equal(series['TPOT mean'], 40, 'TPOT falls back to the engine ITL histogram');
  assert.equal(series['TTFT per request'], 0);
  assert.ok((await pixelsOfColour(page, '#chart-latency', [0x37, 0x94, 0xff])) > 200, 'the TTFT band and mean are drawn');
  assert.ok((await pixelsOfColour(page, '#chart-latency', [0xd1, 0x86, 0x16])) > 200, 'the TPOT band and mean are drawn');
  assert.ok((await pixelsOfColour(page, '#chart-requests', [0xf1, 0x4c, 0x4c])) > 20, 'preempted requests are drawn');
  assert.equal(await page.locator('#latency-note').isVisible(), false);
  await page.locator('#chart-latency').screenshot({ path: join(screenshots, 'dashboard-latency-bands.png') });

  const trt = state(0);
  trt.run!.samples = [{ t: 0, latencyNote: 'TensorRT-LLM: trtllm-serve exports no latency histograms unless …' }, { t: 1, running: 3 }];
  await deliver({ v: 1, type: 'snapshot', state: trt });
  await page.locator('#latency-note', { hasText: 'TensorRT-LLM: trtllm-serve exports no latency histograms' }).waitFor({ timeout: 5000 });
  await page.close();
});

/** A capacity search's curve after `n` of its points: saturated point, bracketing, bisection. */
function searchCurve(n: number): CurveRecord {
  const runs: Array<[number | 'inf', boolean, number, number, number]> = [
    // load, meets, achieved req/s, p99 TTFT, p99 TPOT
    ['inf', false, 8.4, 42000, 180],
    [8.4, false, 7.9, 9000, 140],
    [4.2, true, 4.2, 900, 70],
    [6.3, false, 6.2, 2500, 112],
    [5.25, true, 5.2, 1300, 92],
    [5.78, true, 5.7, 1700, 98],
  ];
  return {
    stage: 'Baseline', option: 'vLLM TP4', workload: 'ShareGPT', mode: 'capacity', by: 'request_rate', gpus: 4,
    slo: { p99_ttft_ms: 3000, p99_tpot_ms: 100, min_success: 0.99 },
    ...(n === runs.length ? { capacity: { load: 5.78, requestRate: 5.7, perGpu: 5.7 / 4 } } : {}),
    points: runs.slice(0, n).map(([value, meets, rps, ttft, tpot], index) => ({
      value, index, role: index === 0 ? 'saturated' : 'bisect', meetsSlo: meets, breaks: meets ? [] : [`p99_tpot_ms ${tpot} > 100`],
      ...(value === 'inf' ? { saturated: ['the waiting queue grew'] } : {}),
      metrics: { request_throughput: rps, request_goodput: meets ? rps : rps / 2, total_token_throughput: rps * 460, p99_ttft_ms: ttft, p99_tpot_ms: tpot },
    })),
  };
}

test('load curves build point by point with the SLO lines and the bracket narrowing; the Pareto front is drawn', async () => {
  const { page, deliver } = await load();
  const s = state(0);
  await deliver({ v: 1, type: 'snapshot', state: { ...s, curves: curvesView('Capacity under SLO', [{ curve: searchCurve(0), done: false }]) } });
  await page.locator('#curves-section').waitFor({ state: 'visible', timeout: 5000 });
  const brackets: string[] = [];
  for (const n of [2, 3, 4, 6]) {
    await deliver({ v: 1, type: 'curves', runId: 'run-1', curves: curvesView('Capacity under SLO', [{ curve: searchCurve(n), done: n === 6 }]) });
    await page.locator(`#chart-curveTtft[data-points="${n}"]`).waitFor({ timeout: 5000 });
    brackets.push((await page.locator('#curves-table tr').nth(1).locator('td').nth(3).textContent()) ?? '');
  }
  assert.deepEqual(brackets, ['[?, 8.4]', '[4.2, 8.4]', '[4.2, 6.3]', '[5.78, 6.3]']);
  // A curve from another run is not drawn over this one.
  await deliver({ v: 1, type: 'curves', runId: 'other-run', curves: curvesView('x', [{ curve: searchCurve(1) }]) });
  // The limit lines are drawn in the theme's red; the p99 TPOT series crosses it.
  assert.ok((await pixelsOfColour(page, '#chart-curveTpot', [0xf1, 0x4c, 0x4c])) > 100, 'the SLO line is drawn');
  assert.ok((await pixelsOfColour(page, '#chart-curveTpot', [0x37, 0x94, 0xff])) > 50, 'the curve is drawn');
  assert.equal(await page.locator('#chart-curveTtft').getAttribute('data-points'), '6');
  // Pareto: every unsaturated point is a candidate; the front is drawn on top.
  await page.waitForFunction(`Number(document.getElementById('chart-paretoTpot').dataset.points) > 5`, undefined, { timeout: 5000 });
  assert.ok((await pixelsOfColour(page, '#chart-paretoTpot', [0xcc, 0xa7, 0x00])) > 30, 'the front is drawn');
  assert.match((await page.locator('#curves-table').textContent()) ?? '', /capacity 5\.78 req\/s/);
  await page.locator('#curves-section').screenshot({ path: join(screenshots, 'dashboard-curves.png') });
  await page.close();
});

test('the predicted search table fills in as measurements arrive; ruled-out candidates show why', async () => {
  const { page, deliver } = await load();
  await deliver({ v: 1, type: 'snapshot', state: state(0) });
  const candidates = [
    { name: 'SGLang TP4', forecast: { value: 1800, low: 1400, high: 2300 }, measuring: true },
    { name: 'vLLM TP4 kv fp8', forecast: { value: 1700, low: 1300, high: 2200 } },
    { name: 'SGLang TP4 kv fp8', ruledOut: 'the simulator predicts a crash: invalid choice' },
  ];
  const progress = (measured?: number) => ({
    metric: 'total_token_throughput' as const,
    baseline: { name: 'Baseline', value: 1500 },
    candidates: measured === undefined ? candidates : [{ ...candidates[0]!, measuring: false, measured }, ...candidates.slice(1)],
  });
  await deliver({ v: 1, type: 'search', runId: 'run-1', search: searchView('Predicted search', progress()) });
  await page.locator('#search-section').waitFor({ state: 'visible', timeout: 5000 });
  const rowText = async (n: number) => (await page.locator('#search-table tr').nth(n).textContent()) ?? '';
  assert.match(await rowText(2), /SGLang TP41,800\.01,400\.0 – 2,300\.0-measuring…/);
  await deliver({ v: 1, type: 'search', runId: 'run-1', search: searchView('Predicted search', progress(1650)) });
  await page.locator('#search-table tr', { hasText: '1,650.0' }).waitFor({ timeout: 5000 });
  // Measured below the other's forecast, it moves down a row.
  assert.match(await rowText(3), /^SGLang TP4.*1,650\.0measured$/);
  assert.match(await rowText(1), /^Baseline \(baseline\).*1,500\.0measured$/);
  assert.match(await rowText(4), /SGLang TP4 kv fp8.*ruled out: the simulator predicts a crash/);
  await page.close();
});

/** A lane message, checked against the protocol's schema as the extension would send it. */
function laneMessage(lane: LaneStatus): ToWebview {
  const message = { v: PROTOCOL_VERSION, type: 'lane', runId: 'run-1', lane } as const;
  assert.ok(parseToWebview(message).ok, JSON.stringify(parseToWebview(message)));
  return message;
}

test('a pool run shows one lane per host with its own state, activity and series; a host going down says why', async () => {
  const { page, deliver } = await load();
  const s = state(0);
  s.run!.host = 'gpu1+gpu2+gpu3';
  s.run!.lanes = ['gpu1', 'gpu2', 'gpu3'].map((host) => ({ key: host, host, state: 'idle' as const, samples: [] }));
  await deliver({ v: 1, type: 'snapshot', state: s });
  await page.locator('#lanes-section').waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('.lane').count(), 3);
  assert.equal(await page.locator('#live-charts').isVisible(), false, 'the one-engine charts give way to the lanes');

  await deliver(laneMessage({ key: 'gpu1', host: 'gpu1', state: 'benchmarking', stage: 'Stage 1', option: 'tp4 fp8', workload: 'ShareGPT', load: '8 req/s' }));
  await deliver(laneMessage({ key: 'gpu2', host: 'gpu2', state: 'starting', option: 'tp2 x2' }));
  await deliver(laneMessage({ key: 'gpu3', host: 'gpu3', state: 'benchmarking', stage: 'Stage 1', option: 'tp4 bf16', workload: 'ShareGPT' }));
  await deliver({ v: 1, type: 'samples', runId: 'run-1', lane: 'gpu1', samples: samples(30) });
  await deliver({ v: 1, type: 'samples', runId: 'run-1', lane: 'gpu3', samples: samples(20) });
  const lane = (host: string) => page.locator(`.lane[data-lane="${host}"]`);
  await lane('gpu1').locator('canvas[data-chart="throughput"][data-points="60"]').waitFor({ timeout: 5000 });
  await lane('gpu3').locator('canvas[data-chart="throughput"][data-points="40"]').waitFor({ timeout: 5000 });
  assert.equal(await lane('gpu2').locator('canvas[data-chart="throughput"]').getAttribute('data-points'), '0');
  assert.deepEqual(await Promise.all(['gpu1', 'gpu2', 'gpu3'].map((host) => lane(host).getAttribute('data-state'))), ['benchmarking', 'starting', 'benchmarking']);
  assert.equal(await lane('gpu1').locator('.lane-activity').textContent(), 'Stage 1 · tp4 fp8 · ShareGPT · 8 req/s');
  assert.equal(await lane('gpu2').locator('.lane-state').textContent(), 'starting engine');
  // Each host's series carry its name and its own colour: gpu1 blue, gpu3 green (the third theme colour).
  const series = JSON.parse((await lane('gpu1').locator('canvas[data-chart="latency"]').getAttribute('data-series')) ?? '{}') as Record<string, number>;
  assert.equal(series['gpu1 TTFT per request'], 30);
  const laneCanvasPixels = (host: string, rgb: [number, number, number]) => pixelsOfColour(page, `.lane[data-lane="${host}"] canvas[data-chart="throughput"]`, rgb);
  assert.ok((await laneCanvasPixels('gpu1', [0x37, 0x94, 0xff])) > 100, 'gpu1 draws in blue');
  assert.ok((await laneCanvasPixels('gpu3', [0x89, 0xd1, 0x85])) > 100, 'gpu3 draws in green');
  assert.equal(await laneCanvasPixels('gpu3', [0x37, 0x94, 0xff]), 0, "gpu1's colour is not in gpu3's chart");

  await deliver(laneMessage({ key: 'gpu2', host: 'gpu2', state: 'down', detail: 'tp2 x2: host gpu2 stopped answering during the benchmark (ssh: connection refused)' }));
  await lane('gpu2').locator('.lane-state', { hasText: 'down' }).waitFor({ timeout: 5000 });
  assert.match((await lane('gpu2').locator('.lane-activity').textContent()) ?? '', /stopped answering.*connection refused/);
  assert.equal(await lane('gpu1').getAttribute('data-state'), 'benchmarking', 'the other lanes carry on');
  assert.equal(await page.locator('#queue-section').isVisible(), false, 'no Slurm host, no queue');
  await page.locator('#lanes-section').screenshot({ path: join(screenshots, 'dashboard-lanes.png') });

  // A snapshot (the panel shown again) brings the lanes back with their samples.
  const again = state(0);
  again.run!.lanes = [{ key: 'gpu1', host: 'gpu1', state: 'benchmarking', option: 'tp4 fp8', samples: samples(10) }];
  await deliver({ v: 1, type: 'snapshot', state: again });
  await page.locator('.lane[data-lane="gpu1"] canvas[data-chart="throughput"][data-points="20"]').waitFor({ timeout: 5000 });
  assert.equal(await page.locator('.lane').count(), 1);
  await page.close();
});

test('a Slurm host running jobs side by side shows its queue: a pending job with the reason, a running one on its node', async () => {
  const { page, deliver } = await load();
  await deliver({ v: 1, type: 'snapshot', state: state(0) });
  await page.locator('#run-section').waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('#lanes-section').isVisible(), false);
  await deliver(laneMessage({ key: 'cluster #1', host: 'cluster', state: 'benchmarking', option: 'tp4', workload: 'ShareGPT', job: { id: '41', state: 'RUNNING', node: 'n1' } }));
  await deliver(laneMessage({ key: 'cluster #2', host: 'cluster', state: 'queued', option: 'tp4 fp8', job: { id: '42', state: 'PENDING', reason: 'Resources' } }));
  await page.locator('#queue-section').waitFor({ state: 'visible', timeout: 5000 });
  const rows = await page.locator('#queue tr').allTextContents();
  assert.deepEqual(rows, ['JobHostVariantStateReasonNode', '41clustertp4RUNNINGn1', '42clustertp4 fp8PENDINGResources']);
  assert.equal(await page.locator('.lane[data-lane="cluster #2"] .lane-job').textContent(), 'Slurm job 42 PENDING (Resources)');
  // The job ends: its slot is idle and it leaves the queue.
  await deliver(laneMessage({ key: 'cluster #1', host: 'cluster', state: 'idle', detail: 'last measured tp4', job: { id: '41', state: 'RUNNING', node: 'n1' } }));
  await page.locator('#queue tr[data-job="41"]').waitFor({ state: 'detached', timeout: 5000 });
  await page.locator('#lanes-section').screenshot({ path: join(screenshots, 'dashboard-slurm-queue.png') });
  await page.close();
});
