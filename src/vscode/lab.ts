// What the commands and views share: the log, the results store (re-opened when its setting changes, watched for
// writes instead of polled), the hosts, the runs in progress, the dashboard and the status-bar item.
import * as vscode from 'vscode';
import type { HostFacts, HostSpec } from '../core/plan/schema';
import type { Transport } from '../core/remote/transport';
import type { ListedHost } from '../core/remote/hosts';
import type { ResultsStore } from '../core/results/store';
import type { Logger } from '../core/logger';
import { baseDir, readSettings, SECTION, type Settings } from './config';
import type { Dashboard } from './dashboard/panel';
import { ModalHostKeyPrompter, SecretStorageCredentials } from './secrets';

// The core modules below build zod schemas and load yaml when evaluated (about 200 ms in an extension host): they are
// required on first use, so activation evaluates none of them. esbuild turns each require into a lazy module init.
function hostsModule(): typeof import('../core/remote/hosts') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../core/remote/hosts');
}
function storeModule(): typeof import('../core/results/store') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../core/results/store');
}
function dashboardModule(): typeof import('./dashboard/panel') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./dashboard/panel');
}

/** A benchmark or tuning run started from this window. */
export interface ActiveRun {
  id: string;
  kind: 'benchmark' | 'plan';
  title: string;
  host: string;
  abort: AbortController;
  startedAt: number;
  /** The engine runs up for this run now (one per host of a pool; each one's log channel is `engineLog(id)`). */
  engineRunIds: Set<string>;
}

/** An engine run this window knows about: started here, or listed on a host by Check Host / the Hosts view. */
export interface KnownEngineRun {
  id: string;
  host: string;
  engine: string;
  state: string;
  command: string;
  port?: number;
}

export function loggerOf(channel: vscode.LogOutputChannel): Logger {
  return {
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
  };
}

export class Lab implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  private dashboardInstance: Dashboard | undefined;
  readonly credentials: SecretStorageCredentials;
  readonly hostKeys = new ModalHostKeyPrompter();
  readonly runs = new Map<string, ActiveRun>();
  readonly engineRuns = new Map<string, KnownEngineRun>();
  readonly hostFacts = new Map<string, HostFacts>();
  private readonly engineLogs = new Map<string, vscode.LogOutputChannel>();
  private readonly resultsChanged = new vscode.EventEmitter<void>();
  private readonly hostsChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeResults = this.resultsChanged.event;
  readonly onDidChangeHosts = this.hostsChanged.event;
  private opened: { dir: string; store: ResultsStore; watcher: { dispose(): void } } | undefined;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private lastHost: string | undefined;

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Serving Lab', { log: true });
    this.credentials = new SecretStorageCredentials(context.secrets, context.globalState);
    this.statusBar = vscode.window.createStatusBarItem('servingLab.status', vscode.StatusBarAlignment.Left, 10);
    this.statusBar.name = 'Serving Lab';
    this.statusBar.command = 'servingLab.openDashboard';
    this.disposables.push(
      this.log,
      { dispose: () => this.dashboardInstance?.dispose() },
      this.statusBar,
      this.resultsChanged,
      this.hostsChanged,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.resultsDirectory`)) {
          this.closeStore();
          this.resultsChanged.fire();
        }
        if (e.affectsConfiguration(`${SECTION}.hosts`) || e.affectsConfiguration(`${SECTION}.hostsFile`) || e.affectsConfiguration(`${SECTION}.sshConfigFile`)) {
          this.hostsChanged.fire();
        }
      }),
    );
    this.updateStatusBar();
  }

  /** The dashboard's extension side, created on first use. */
  get dashboard(): Dashboard {
    this.dashboardInstance ??= new (dashboardModule().Dashboard)(this.context.extensionUri, {
      stop: (runId) => this.stopRun(runId),
      refreshMs: () => readSettings().dashboardRefreshMs,
      log: this.log,
    });
    return this.dashboardInstance;
  }

  settings(): Settings {
    return readSettings();
  }

  /** The results store; opened on first use and watched so views refresh when anything (CLI included) writes it. */
  store(): ResultsStore {
    const dir = readSettings().resultsDirectory;
    if (this.opened?.dir !== dir) {
      this.closeStore();
      const store = storeModule().openResultsStore(dir);
      const watcher = store.watch(() => this.resultsChanged.fire());
      this.opened = { dir, store, watcher };
    }
    return this.opened.store;
  }

  /** Tells the views the store changed (after our own writes; the watcher catches everyone else's). */
  resultsUpdated(): void {
    this.resultsChanged.fire();
  }

  hostsUpdated(): void {
    this.hostsChanged.fire();
  }

  private closeStore(): void {
    this.opened?.watcher.dispose();
    this.opened = undefined;
  }

  /** Every host the user can pick: the simulated host, settings entries, the hosts file, ssh config aliases. */
  hosts(): ListedHost[] {
    const settings = readSettings();
    for (const problem of settings.hostProblems) this.log.warn(`ignored a host setting: ${problem}`);
    const listed = hostsModule().listHosts({ cwd: baseDir(), hostsFile: settings.hostsFile, sshConfig: settings.sshConfigFile });
    const fromSettings: ListedHost[] = settings.hosts.map((spec) => ({ name: spec.name, source: 'hosts-file', origin: 'settings (servingLab.hosts)', spec }));
    const names = new Set(fromSettings.map((h) => h.name));
    return [...fromSettings, ...listed.filter((h) => !names.has(h.name))].map((h) => ({ ...h, spec: this.withSimSpeedup(h.spec) }));
  }

  resolveHost(name: string): HostSpec {
    const settings = readSettings();
    const configured = settings.hosts.find((h) => h.name === name);
    const spec = configured ?? hostsModule().resolveHost(name, { cwd: baseDir(), hostsFile: settings.hostsFile, sshConfig: settings.sshConfigFile });
    return this.withSimSpeedup(spec);
  }

  private withSimSpeedup(spec: HostSpec): HostSpec {
    if (spec.transport.kind !== 'sim') return spec;
    const speedup = readSettings().simulatedHostSpeedup;
    return speedup === spec.transport.speedup ? spec : { ...spec, transport: { ...spec.transport, speedup } };
  }

  /** Opens a transport; ssh2 and the connection code load on first use, not at activation. */
  async connect(host: HostSpec, signal?: AbortSignal): Promise<Transport> {
    const { connect } = await import('../core/remote/connect');
    return connect(host, {
      credentials: this.credentials,
      hostKeys: this.hostKeys,
      log: loggerOf(this.log),
      signal,
      sshConfig: readSettings().sshConfigFile,
      simCliPath: vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'cli.js').fsPath,
    });
  }

  /** One LogOutputChannel per engine run, so an engine's output never drowns the extension's own log. */
  engineLog(runId: string): vscode.LogOutputChannel {
    let channel = this.engineLogs.get(runId);
    if (!channel) {
      channel = vscode.window.createOutputChannel(`Serving Lab: engine ${runId}`, { log: true });
      this.engineLogs.set(runId, channel);
      this.disposables.push(channel);
    }
    return channel;
  }

  hasEngineLog(runId: string): boolean {
    return this.engineLogs.has(runId);
  }

  trackEngineRun(run: KnownEngineRun): void {
    this.engineRuns.set(run.id, run);
    this.hostsChanged.fire();
  }

  beginRun(run: Omit<ActiveRun, 'abort' | 'startedAt' | 'engineRunIds'>): ActiveRun {
    const active: ActiveRun = { ...run, abort: new AbortController(), startedAt: Date.now(), engineRunIds: new Set() };
    this.runs.set(run.id, active);
    this.lastHost = run.host;
    this.updateStatusBar();
    return active;
  }

  endRun(id: string): void {
    this.runs.delete(id);
    this.updateStatusBar();
  }

  stopRun(id: string): void {
    const run = this.runs.get(id);
    if (!run) return;
    this.log.info(`stopping ${run.title} on ${run.host}`);
    run.abort.abort(new Error('stopped from Serving Lab'));
  }

  updateStatusBar(): void {
    const running = [...this.runs.values()];
    const host = running[0]?.host ?? this.lastHost;
    if (running.length === 0 && !host) {
      this.statusBar.hide();
      return;
    }
    this.statusBar.text = running.length
      ? `$(sync~spin) ${running[0]!.title} on ${running[0]!.host}${running.length > 1 ? ` (+${running.length - 1})` : ''}`
      : `$(server) ${host}`;
    this.statusBar.tooltip = running.length ? 'Serving Lab: a run is in progress. Click to open the dashboard.' : `Serving Lab: last host ${host}. Click to open the dashboard.`;
    this.statusBar.show();
  }

  dispose(): void {
    for (const run of this.runs.values()) run.abort.abort(new Error('VS Code is closing the window'));
    this.closeStore();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
