// The dashboard's extension side. It owns all state (the webview only renders), keeps it bounded, sends sample
// batches at the configured refresh rate while the panel is visible, and re-sends a full snapshot whenever the page
// says it is ready (first load, or re-shown after being hidden: the page is not retained while hidden).
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  MAX_LANES,
  MAX_LOG_LINES,
  MAX_SAMPLES,
  parseFromWebview,
  PROTOCOL_VERSION,
  type Comparison,
  type CurvesView,
  type DashboardState,
  type LaneStatus,
  type LiveRun,
  type LiveSample,
  type RunProgress,
  type SearchView,
  type ToWebview,
} from '../../shared/protocol';
import { baseDir } from '../config';
import { dashboardHtml } from './html';

export interface DashboardHooks {
  /** The Stop button: abort the run (benchmark and engine). */
  stop(runId: string): void;
  refreshMs(): number;
  log: vscode.LogOutputChannel;
}

function pushBounded<T>(target: T[], items: readonly T[], max: number): void {
  target.push(...items);
  if (target.length > max) target.splice(0, target.length - max);
}

export class Dashboard implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private state: DashboardState = { run: null, comparison: null, curves: null, search: null };
  private pendingSamples: LiveSample[] = [];
  /** Samples of each lane of a parallel run not sent yet, by lane key. */
  private pendingLaneSamples = new Map<string, LiveSample[]>();
  private pendingLog: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private ready = false;
  private readonly rendered = new vscode.EventEmitter<Record<string, number>>();
  /** What the page last reported as drawn (points per chart); tests and the status of the page. */
  lastRendered: Record<string, number> | undefined;
  readonly onDidRender = this.rendered.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hooks: DashboardHooks,
  ) {}

  get current(): DashboardState {
    return this.state;
  }

  show(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const panel = vscode.window.createWebviewPanel('servingLab.dashboard', 'Serving Lab Dashboard', { viewColumn: vscode.ViewColumn.Active, preserveFocus }, {
      enableScripts: true,
      localResourceRoots: [media],
      // Not retained while hidden: the page asks for a snapshot when it is shown again, which is cheaper than keeping
      // an hour of chart data alive in a hidden page.
      retainContextWhenHidden: false,
    });
    panel.iconPath = vscode.Uri.joinPath(media, 'serving-lab.svg');
    panel.webview.html = dashboardHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard.css')).toString(),
    });
    panel.webview.onDidReceiveMessage((data: unknown) => this.receive(data));
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.stopFlushing();
    });
    this.panel = panel;
    this.ready = false;
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** `lanes`: a parallel run's lanes known from the start (a pool's hosts); a one-engine run has none. */
  startRun(run: Pick<LiveRun, 'id' | 'title' | 'host' | 'command'>, lanes: readonly LaneStatus[] = []): void {
    this.state = {
      ...this.state,
      curves: null,
      search: null,
      run: {
        ...run,
        startedAt: new Date().toISOString(),
        progress: { phase: 'launching', label: 'launching the engine' },
        samples: [],
        log: [],
        summary: [],
        ...(lanes.length > 0 ? { lanes: lanes.map((l) => ({ ...l, samples: [] })) } : {}),
      },
    };
    this.sendSnapshot();
  }

  /** `lane`: the samples come from that lane of a parallel run; else from the run's one engine. */
  addSamples(runId: string, samples: readonly LiveSample[], lane?: string): void {
    const run = this.runOf(runId);
    if (!run || samples.length === 0) return;
    const target = lane === undefined ? run.samples : run.lanes?.find((l) => l.key === lane)?.samples;
    if (!target) return;
    pushBounded(target, samples, MAX_SAMPLES);
    if (lane === undefined) pushBounded(this.pendingSamples, samples, MAX_SAMPLES);
    else pushBounded(this.pendingLaneSamples.get(lane) ?? this.pendingLaneSamples.set(lane, []).get(lane)!, samples, MAX_SAMPLES);
    this.scheduleFlush();
  }

  /** A lane of the run changed (what it measures, its state, its Slurm job): kept for snapshots, sent at once. */
  updateLane(runId: string, status: LaneStatus): void {
    const run = this.runOf(runId);
    if (!run) return;
    const lanes = (run.lanes ??= []);
    const known = lanes.find((l) => l.key === status.key);
    if (known) Object.assign(known, status, { samples: known.samples });
    else if (lanes.length < MAX_LANES) lanes.push({ ...status, samples: [] });
    else return;
    // Samples sent before this change keep their order with it.
    this.flush();
    this.post({ v: PROTOCOL_VERSION, type: 'lane', runId, lane: status });
  }

  addLog(runId: string, lines: readonly string[]): void {
    const run = this.runOf(runId);
    if (!run || lines.length === 0) return;
    pushBounded(run.log, lines, MAX_LOG_LINES);
    pushBounded(this.pendingLog, lines, MAX_LOG_LINES);
    this.scheduleFlush();
  }

  setProgress(runId: string, progress: RunProgress, summary?: LiveRun['summary']): void {
    const run = this.runOf(runId);
    if (!run) return;
    run.progress = progress;
    if (summary) run.summary = summary;
    this.flush();
    this.post({ v: PROTOCOL_VERSION, type: 'progress', runId, progress, summary });
  }

  updateCommand(runId: string, command: string): void {
    const run = this.runOf(runId);
    if (!run || run.command === command) return;
    run.command = command;
    this.sendSnapshot();
  }

  showComparison(comparison: Comparison): void {
    this.state = { ...this.state, comparison };
    this.sendSnapshot();
  }

  /** The run's load curves as they stand (after each point): kept for snapshots, sent whole (they are small). */
  updateCurves(runId: string, curves: CurvesView): void {
    if (!this.runOf(runId)) return;
    this.state = { ...this.state, curves };
    this.post({ v: PROTOCOL_VERSION, type: 'curves', runId, curves });
  }

  /** The predicted search's ranking as it stands: kept for snapshots, sent whole. */
  updateSearch(runId: string, search: SearchView): void {
    if (!this.runOf(runId)) return;
    this.state = { ...this.state, search };
    this.post({ v: PROTOCOL_VERSION, type: 'search', runId, search });
  }

  /** Curves of stored results (Compare, a Results tree curve): replaces the curves shown. */
  showCurves(curves: CurvesView): void {
    this.state = { ...this.state, curves };
    this.sendSnapshot();
  }

  private runOf(runId: string): LiveRun | undefined {
    return this.state.run?.id === runId ? this.state.run : undefined;
  }

  private receive(data: unknown): void {
    const parsed = parseFromWebview(data);
    if (!parsed.ok) {
      this.hooks.log.warn(`dashboard: ${parsed.error}`);
      this.post({ v: PROTOCOL_VERSION, type: 'error', message: `The extension could not read a message from this page (${parsed.error}). Close and reopen the dashboard.` });
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendSnapshot();
        break;
      case 'stop':
        this.hooks.stop(message.runId);
        break;
      case 'exportChart':
        void this.exportChart(message.chart, message.pngDataUrl);
        break;
      case 'rendered':
        this.lastRendered = message.charts;
        this.rendered.fire(message.charts);
        break;
    }
  }

  private async exportChart(chart: string, dataUrl: string): Promise<void> {
    const assets = path.join(baseDir(), 'docs', 'assets');
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const file = path.join(assets, `serving-lab-${chart}-${stamp}.png`);
    try {
      await vscode.workspace.fs.createDirectory(vscode.Uri.file(assets));
      await vscode.workspace.fs.writeFile(vscode.Uri.file(file), Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
      const shown = path.relative(baseDir(), file);
      this.post({ v: PROTOCOL_VERSION, type: 'exported', chart, path: shown });
      this.hooks.log.info(`dashboard: saved the ${chart} chart to ${file}`);
      void vscode.window.showInformationMessage(`Serving Lab: saved the ${chart} chart to ${shown}.`);
    } catch (err) {
      const message = `Could not save the chart to ${file}: ${(err as Error).message}. Check that the folder is writable.`;
      this.post({ v: PROTOCOL_VERSION, type: 'error', message });
      void vscode.window.showErrorMessage(`Serving Lab: ${message}`);
    }
  }

  private sendSnapshot(): void {
    this.pendingSamples = [];
    this.pendingLaneSamples.clear();
    this.pendingLog = [];
    this.post({ v: PROTOCOL_VERSION, type: 'snapshot', state: this.state });
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
    }, this.hooks.refreshMs());
  }

  private stopFlushing(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private flush(): void {
    this.stopFlushing();
    const runId = this.state.run?.id;
    if (!runId) return;
    if (this.pendingSamples.length) this.post({ v: PROTOCOL_VERSION, type: 'samples', runId, samples: this.pendingSamples });
    for (const [lane, samples] of this.pendingLaneSamples) this.post({ v: PROTOCOL_VERSION, type: 'samples', runId, lane, samples });
    if (this.pendingLog.length) this.post({ v: PROTOCOL_VERSION, type: 'log', runId, lines: this.pendingLog });
    this.pendingSamples = [];
    this.pendingLaneSamples.clear();
    this.pendingLog = [];
  }

  /** Posts only to a visible, ready page: a hidden page gets the whole state as a snapshot when it is shown again. */
  private post(message: ToWebview): void {
    if (!this.panel || !this.ready || !this.panel.visible) return;
    void this.panel.webview.postMessage(message);
  }

  dispose(): void {
    this.stopFlushing();
    this.panel?.dispose();
    this.rendered.dispose();
  }
}
