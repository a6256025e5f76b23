// The dashboard page: renders what the extension sends (snapshots, sample batches, log lines, progress) and sends back
// only requests (ready, stop, export). It never computes metrics and keeps no state the extension does not own.
import './zodSetup';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import {
  formatPercentChange,
  MAX_LOG_LINES,
  parseToWebview,
  percentChange,
  PROTOCOL_VERSION,
  type ChartId,
  type Comparison,
  type CurvesView,
  type DashboardState,
  type FromWebview,
  type LaneStatus,
  type LaneView,
  type LiveRun,
  type LiveSample,
  type RunProgress,
  type SearchView,
} from '../src/shared/protocol';
import { ComparisonChart, LiveChart, readTheme, setTheme } from './charts';
import { KV_SERIES, LATENCY_SERIES, latencyNoteOf, QUEUE_SERIES, showComparisonNotes } from './engineCharts';
import { searchRows } from './searchTable';
import { CURVE_CHART_IDS, CurveCharts, curveRows, type CurveChartId } from './curveCharts';
import { LanePanel } from './lanes';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
function send(message: FromWebview): void {
  vscode.postMessage(message);
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`dashboard page is missing #${id}`);
  return found as T;
}

setTheme(readTheme());
const live = {
  throughput: new LiveChart(element('chart-throughput'), 'tokens/s', [
    { label: 'total tok/s', pick: (s) => s.totalTokensPerS },
    { label: 'output tok/s', pick: (s) => s.outputTokensPerS },
  ]),
  latency: new LiveChart(element('chart-latency'), 'TTFT, E2E ms', LATENCY_SERIES, 'TPOT, ITL ms'),
  requests: new LiveChart(element('chart-requests'), 'requests', QUEUE_SERIES),
  kvCache: new LiveChart(element('chart-kvCache'), '%', KV_SERIES),
};
const comparisonChart = new ComparisonChart(element('chart-comparison'));
const curveCharts = new CurveCharts((id) => element(`chart-${id}`));
const lanePanel = new LanePanel(element('lanes'), element<HTMLTableElement>('queue'));

let currentRunId: string | null = null;
let latencyNote: string | undefined;
let logLines: string[] = [];
let redrawPending = false;
let lastRenderedReport = 0;

/** Coalesces every update that arrives within a frame into one redraw, without animation. */
function scheduleRedraw(): void {
  if (redrawPending) return;
  redrawPending = true;
  requestAnimationFrame(() => {
    redrawPending = false;
    for (const [id, chart] of Object.entries(live)) {
      chart.draw();
      element(`chart-${id}`).dataset['points'] = String(chart.pointCount());
      element(`chart-${id}`).dataset['series'] = JSON.stringify(chart.pointsBySeries());
      // The plot area in canvas pixels, so a test can count drawn pixels without the legend's colour boxes.
      const area = chart.chart.chartArea;
      const scale = chart.chart.canvas.width / (chart.chart.width || 1);
      if (area) element(`chart-${id}`).dataset['plotArea'] = [area.left, area.top, area.right, area.bottom].map((v) => Math.round(v * scale)).join(',');
    }
    const note = element('latency-note');
    note.textContent = latencyNote ?? '';
    note.hidden = latencyNote === undefined || live.latency.pointCount() > 0;
    element('chart-comparison').dataset['points'] = String(comparisonChart.pointCount());
    for (const [id, n] of Object.entries(curveCharts.pointCounts())) element(`chart-${id}`).dataset['points'] = String(n);
    lanePanel.draw();
    reportRendered();
  });
}

let trailingReport: ReturnType<typeof setTimeout> | undefined;

/**
 * Tells the extension what was drawn; at most every two seconds so long runs do not flood the channel, with a
 * trailing report so the last batch of a run is always reported.
 */
function reportRendered(force = false): void {
  const now = Date.now();
  if (!force && now - lastRenderedReport < 2000) {
    trailingReport ??= setTimeout(() => {
      trailingReport = undefined;
      reportRendered(true);
    }, 2000 - (now - lastRenderedReport));
    return;
  }
  clearTimeout(trailingReport);
  trailingReport = undefined;
  lastRenderedReport = now;
  const charts: Record<string, number> = { comparison: comparisonChart.pointCount(), ...curveCharts.pointCounts(), ...lanePanel.pointCounts() };
  for (const [id, chart] of Object.entries(live)) charts[id] = chart.pointCount();
  send({ v: PROTOCOL_VERSION, type: 'rendered', charts });
}

function showProgress(progress: RunProgress): void {
  element('phase').textContent = progress.phase;
  element('phase').className = `badge phase-${progress.phase}`;
  element('progress-label').textContent = progress.label + (progress.etaSeconds !== undefined ? ` — about ${formatDuration(progress.etaSeconds)} left` : '');
  const bar = element<HTMLElement & { value?: number; max: number; indeterminate: boolean }>('progress-bar');
  const active = !['completed', 'failed', 'stopped'].includes(progress.phase);
  if (progress.total && progress.completed !== undefined) {
    bar.indeterminate = false;
    bar.max = progress.total;
    bar.value = progress.completed;
  } else {
    bar.indeterminate = active;
    bar.max = 1;
    bar.value = active ? undefined : 1;
  }
  const stop = element<HTMLElement & { disabled: boolean }>('stop');
  stop.disabled = !active;
}

function formatDuration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function showSummary(summary: LiveRun['summary']): void {
  const table = element<HTMLTableElement>('summary');
  table.replaceChildren(
    ...summary.map(({ label, value }) => {
      const row = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = label;
      const td = document.createElement('td');
      td.textContent = value;
      row.append(th, td);
      return row;
    }),
  );
  element('summary-section').hidden = summary.length === 0;
}

function appendLog(lines: readonly string[]): void {
  logLines = logLines.concat(lines);
  if (logLines.length > MAX_LOG_LINES) logLines = logLines.slice(-MAX_LOG_LINES);
  const pre = element('log');
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent = logLines.join('\n');
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

function showRun(run: LiveRun | null): void {
  element('run-section').hidden = run === null;
  currentRunId = run?.id ?? null;
  if (!run) return;
  element('run-title').textContent = run.title;
  element('run-host').textContent = `on ${run.host}, started ${new Date(run.startedAt).toLocaleTimeString()}`;
  element('run-command').textContent = run.command ?? '';
  element('run-command').hidden = !run.command;
  showProgress(run.progress);
  showSummary(run.summary);
  logLines = [];
  appendLog(run.log);
  for (const chart of Object.values(live)) chart.replace(run.samples);
  latencyNote = latencyNoteOf(run.samples, undefined);
  showLanes(run.lanes ?? []);
}

/** A parallel run shows its lanes (each with its own charts) instead of the one engine's charts. */
function showLanes(lanes: readonly LaneView[]): void {
  lanePanel.show(lanes);
  element('lanes-section').hidden = lanes.length === 0;
  element('live-charts').hidden = lanes.length > 0;
}

function updateLane(lane: LaneStatus): void {
  lanePanel.update(lane);
  element('lanes-section').hidden = false;
  element('live-charts').hidden = true;
  scheduleRedraw();
}

function showComparison(comparison: Comparison | null): void {
  element('comparison-section').hidden = comparison === null;
  if (!comparison) return;
  element('comparison-title').textContent = comparison.title;
  comparisonChart.show(comparison);
  const head = document.createElement('tr');
  for (const text of ['Workload', `${comparison.baselineLabel} ${comparison.metricLabel}`, `${comparison.optimizedLabel} ${comparison.metricLabel}`, 'Change', `${comparison.baselineLabel} ${comparison.latencyLabel}`, `${comparison.optimizedLabel} ${comparison.latencyLabel}`, 'Change']) {
    const th = document.createElement('th');
    th.textContent = text;
    head.append(th);
  }
  const rows = comparison.rows.map((r) => {
    const tr = document.createElement('tr');
    const throughputChange = percentChange(r.baseline, r.optimized);
    const latencyChange = percentChange(r.baselineLatencyMs, r.optimizedLatencyMs);
    const cells: Array<[string, string?]> = [
      [r.workload],
      [formatNumber(r.baseline)],
      [formatNumber(r.optimized)],
      [formatPercentChange(throughputChange), throughputChange === null ? undefined : throughputChange >= 0 ? 'better' : 'worse'],
      [formatNumber(r.baselineLatencyMs)],
      [formatNumber(r.optimizedLatencyMs)],
      // Latency: lower is better, so a rise is a regression and is marked as one.
      [formatPercentChange(latencyChange), latencyChange === null ? undefined : latencyChange <= 0 ? 'better' : 'worse'],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  });
  element<HTMLTableElement>('comparison-table').replaceChildren(head, ...rows);
  showComparisonNotes(element('comparison-notes'), comparison.notes ?? []);
}

function showCurves(curves: CurvesView | null): void {
  element('curves-section').hidden = curves === null;
  if (!curves) return;
  element('curves-title').textContent = curves.title;
  curveCharts.show(curves);
  element<HTMLTableElement>('curves-table').replaceChildren(...curveRows(curves));
  scheduleRedraw();
}

function showSearch(search: SearchView | null): void {
  element('search-section').hidden = search === null;
  if (!search) return;
  element('search-title').textContent = search.title;
  element('search-stopped').hidden = search.stopped === undefined;
  element('search-stopped').textContent = search.stopped ? `Stopped: ${search.stopped}` : '';
  element<HTMLTableElement>('search-table').replaceChildren(...searchRows(search));
}

function formatNumber(value: number | null): string {
  return value === null ? '-' : value.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
}

function showState(state: DashboardState): void {
  showRun(state.run);
  showComparison(state.comparison);
  showCurves(state.curves);
  showSearch(state.search);
  element('empty').hidden = state.run !== null || state.comparison !== null || state.curves !== null || state.search !== null;
  scheduleRedraw();
  reportRendered(true);
}

function appendSamples(runId: string, samples: readonly LiveSample[], lane: string | undefined): void {
  if (runId !== currentRunId) return; // a batch from a run this page no longer shows
  if (lane !== undefined) {
    lanePanel.append(lane, samples);
    scheduleRedraw();
    return;
  }
  for (const chart of Object.values(live)) chart.append(samples);
  latencyNote = latencyNoteOf(samples, latencyNote);
  scheduleRedraw();
}

function showError(message: string): void {
  const banner = element('error');
  banner.textContent = message;
  banner.hidden = false;
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = parseToWebview(event.data);
  if (!parsed.ok) {
    showError(`Serving Lab dashboard ignored a message: ${parsed.error}`);
    return;
  }
  const message = parsed.message;
  switch (message.type) {
    case 'snapshot':
      showState(message.state);
      break;
    case 'samples':
      appendSamples(message.runId, message.samples, message.lane);
      break;
    case 'lane':
      if (message.runId === currentRunId) updateLane(message.lane);
      break;
    case 'log':
      if (message.runId === currentRunId) appendLog(message.lines);
      break;
    case 'progress':
      if (message.runId === currentRunId) {
        showProgress(message.progress);
        if (message.summary) showSummary(message.summary);
      }
      break;
    case 'curves':
      if (message.runId === currentRunId) showCurves(message.curves);
      break;
    case 'search':
      if (message.runId === currentRunId) showSearch(message.search);
      break;
    case 'exported':
      element('status').textContent = `Saved ${message.chart} chart to ${message.path}`;
      break;
    case 'error':
      showError(message.message);
      break;
  }
});

element('stop').addEventListener('click', () => {
  if (currentRunId) send({ v: PROTOCOL_VERSION, type: 'stop', runId: currentRunId });
});

for (const button of Array.from(document.querySelectorAll<HTMLElement>('[data-export]'))) {
  button.addEventListener('click', () => {
    const chart = button.dataset['export'] as ChartId;
    const instance = chart === 'comparison' ? comparisonChart.chart : (CURVE_CHART_IDS as readonly string[]).includes(chart) ? curveCharts.charts[chart as CurveChartId] : live[chart as keyof typeof live].chart;
    send({ v: PROTOCOL_VERSION, type: 'exportChart', chart, pngDataUrl: instance.toBase64Image('image/png') });
  });
}

// Theme switches (light, dark, high contrast) change the body class; re-read the colours and redraw.
new MutationObserver(() => {
  setTheme(readTheme());
  scheduleRedraw();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

send({ v: PROTOCOL_VERSION, type: 'ready' });
