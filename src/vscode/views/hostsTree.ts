// The Hosts view: host → GPUs, engines with versions (after Check Host), and engine runs with their state (a Slurm
// host: its jobs, running on a node or pending with squeue's reason); inline actions check / stop (scancel) / logs. Refreshed on host setting changes, checks and run events — never polled.
import * as vscode from 'vscode';
import type { ListedHost } from '../../core/remote/hosts';
import type { HostCheck } from '../../core/remote/check';
import type { KnownEngineRun, Lab } from '../lab';
import { slurmSummary, type JobInfo } from '../../core/remote/slurm';

export type HostsNode =
  | { kind: 'host'; host: ListedHost }
  | { kind: 'gpu'; host: string; label: string; detail: string }
  | { kind: 'engine'; host: string; label: string; detail: string; usable: boolean }
  | { kind: 'engineRun'; run: KnownEngineRun }
  | { kind: 'hint'; host: string; label: string }
  | { kind: 'problem'; message: string };

const ACTIVE_STATES = new Set(['starting', 'ready']);

export class HostsTreeProvider implements vscode.TreeDataProvider<HostsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HostsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Full results of Check Host by host name (GPUs, engines, problems). */
  readonly checks = new Map<string, HostCheck>();
  /** Slurm jobs of engine runs by run id, as squeue showed them at the last check or stop. */
  readonly jobs = new Map<string, JobInfo>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly lab: Lab) {
    this.subscription = lab.onDidChangeHosts(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: HostsNode): HostsNode[] {
    if (!node) {
      try {
        return this.lab.hosts().map((host) => ({ kind: 'host', host }));
      } catch (err) {
        return [{ kind: 'problem', message: (err as Error).message }];
      }
    }
    if (node.kind !== 'host') return [];
    const name = node.host.name;
    const out: HostsNode[] = [];
    const check = this.checks.get(name);
    if (check) {
      for (const gpu of check.gpus) {
        out.push({ kind: 'gpu', host: name, label: `GPU ${gpu.index}: ${gpu.name}`, detail: `${Math.round(gpu.memoryTotalMiB / 1024)} GiB${gpu.memoryUsedMiB !== undefined ? `, ${Math.round(gpu.memoryUsedMiB / 1024)} GiB used` : ''}` });
      }
      for (const engine of check.engines) {
        out.push({ kind: 'engine', host: name, label: engine.engine, detail: engine.usable ? `${engine.version ?? 'version unknown'} (${engine.via}: ${engine.target})` : `unusable: ${engine.problem ?? ''}`, usable: engine.usable });
      }
    } else {
      out.push({ kind: 'hint', host: name, label: 'Check this host to list its GPUs and engines' });
    }
    for (const run of this.lab.engineRuns.values()) if (run.host === name) out.push({ kind: 'engineRun', run });
    return out;
  }

  getTreeItem(node: HostsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'host': {
        const { host } = node;
        const item = new vscode.TreeItem(host.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `host:${host.name}`;
        item.contextValue = 'host';
        const t = host.spec.transport;
        item.description = t.kind === 'sim' ? `simulated ${t.count}×${t.gpu}${t.speedup !== 1 ? ` at ${t.speedup}×` : ''}` : t.kind === 'local' ? 'this machine' : t.kind === 'slurm' ? slurmSummary(t) : host.origin ?? 'ssh';
        item.iconPath = new vscode.ThemeIcon(t.kind === 'sim' ? 'vm' : t.kind === 'slurm' ? 'server-environment' : 'server');
        const active = [...this.lab.engineRuns.values()].filter((r) => r.host === host.name && ACTIVE_STATES.has(r.state));
        const pending = active.filter((r) => this.jobs.get(r.id)?.state === 'PENDING').length;
        const running = active.length - pending;
        if (running) item.description += ` · ${running} ${t.kind === 'slurm' ? 'job' : 'engine'}${running > 1 ? 's' : ''} running`;
        if (pending) item.description += ` · ${pending} pending`;
        item.tooltip = `${host.name} — ${host.source}${host.origin ? ` (${host.origin})` : ''}`;
        return item;
      }
      case 'gpu': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.detail;
        item.iconPath = new vscode.ThemeIcon('circuit-board');
        return item;
      }
      case 'engine': {
        const item = new vscode.TreeItem(node.label);
        item.description = node.detail;
        item.iconPath = new vscode.ThemeIcon(node.usable ? 'package' : 'warning');
        return item;
      }
      case 'engineRun': {
        const { run } = node;
        const item = new vscode.TreeItem(`${run.engine} ${run.id}`);
        item.id = `engineRun:${run.host}/${run.id}`;
        item.contextValue = ACTIVE_STATES.has(run.state) ? 'engineRun.running' : 'engineRun.ended';
        const job = this.jobs.get(run.id);
        // A Slurm job says where it is in the queue: "job 42 PENDING (Resources)", "job 41 RUNNING on n1".
        const queue = job && ACTIVE_STATES.has(run.state) ? `job ${job.id} ${job.state}${job.reason && job.state === 'PENDING' ? ` (${job.reason})` : ''}${job.node && job.state === 'RUNNING' ? ` on ${job.node}` : ''} · ` : '';
        item.description = `${queue}${run.state}${run.port ? ` · port ${run.port}` : ''}`;
        item.tooltip = job ? `${run.command}\nSlurm job ${job.id}: stopping it cancels the job (scancel)` : run.command;
        item.iconPath = new vscode.ThemeIcon(run.state === 'ready' ? 'play-circle' : run.state === 'starting' ? 'loading~spin' : run.state === 'crashed' ? 'error' : 'circle-slash');
        return item;
      }
      case 'hint': {
        const item = new vscode.TreeItem(node.label);
        item.iconPath = new vscode.ThemeIcon('info');
        item.command = { command: 'servingLab.checkHost', title: 'Check Host', arguments: [node.host] };
        return item;
      }
      case 'problem': {
        const item = new vscode.TreeItem('Hosts could not be listed');
        item.description = node.message;
        item.tooltip = node.message;
        item.iconPath = new vscode.ThemeIcon('warning');
        return item;
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
