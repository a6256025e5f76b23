// Hosts commands: add, check, stop one engine (cancel its job on a Slurm host), stop all engines on a host, show an
// engine's log.
import * as vscode from 'vscode';
import type { HostSpec } from '../../core/plan/schema';
import type { HostCheck } from '../../core/remote/check';
import { SECTION } from '../config';
import { loggerOf, type Lab } from '../lab';
import type { HostsNode, HostsTreeProvider } from '../views/hostsTree';

export type HostTarget = HostsNode | string | undefined;
type EngineRunTarget = HostsNode | { host: string; runId: string } | undefined;

export class HostCommands {
  constructor(
    private readonly lab: Lab,
    private readonly tree: HostsTreeProvider,
  ) {}

  private async hostName(target: HostTarget, title: string): Promise<string | undefined> {
    if (typeof target === 'string') return target;
    if (target?.kind === 'host') return target.host.name;
    const picked = await vscode.window.showQuickPick(this.lab.hosts().map((h) => ({ label: h.name, description: h.source })), { title });
    return picked?.label;
  }

  private async withHost<T>(name: string, title: string, work: (transport: import('../../core/remote/transport').Transport, host: HostSpec, signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Serving Lab: ${title}`, cancellable: true }, async (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort(new Error('cancelled')));
      const host = this.lab.resolveHost(name);
      let transport;
      try {
        transport = await this.lab.connect(host, controller.signal);
        return await work(transport, host, controller.signal);
      } catch (err) {
        if (controller.signal.aborted) return undefined;
        this.lab.log.error(`${title}: ${(err as Error).message}`);
        void vscode.window.showErrorMessage(`Serving Lab: ${title} failed: ${(err as Error).message}`, 'Show Logs').then((a) => a && this.lab.log.show());
        return undefined;
      } finally {
        await transport?.close().catch(() => {});
      }
    });
  }

  async check(target: HostTarget): Promise<HostCheck | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Serving Lab: checking a host runs commands on it, which Restricted Mode does not allow. Trust this workspace first.');
      return undefined;
    }
    const name = await this.hostName(target, 'Serving Lab: check which host?');
    if (!name) return undefined;
    const check = await this.withHost(name, `checking ${name}`, async (transport, host) => {
      const { checkHost } = await import('../../core/remote/check');
      const result = await checkHost(transport, host);
      await this.learnRuns(transport, host);
      return result;
    });
    if (!check) return undefined;
    this.tree.checks.set(name, check);
    this.lab.hostFacts.set(name, check);
    this.tree.refresh();
    const usable = check.engines.filter((e) => e.usable).map((e) => `${e.engine} ${e.version ?? ''}`.trim());
    const gpus = check.gpus.length ? `${check.gpus.length}× ${check.gpus[0]!.name}` : 'no GPUs found';
    this.lab.log.info(`${name}: ${gpus}; engines: ${usable.join(', ') || 'none usable'}${check.problems.length ? `; problems: ${check.problems.join('; ')}` : ''}`);
    void vscode.window.showInformationMessage(`Serving Lab: ${name}: ${gpus}; engines: ${usable.join(', ') || 'none usable'}.${check.problems.length ? ` ${check.problems.length} problem(s), see the log.` : ''}`);
    return check;
  }

  /** The host's engine runs (a Slurm host: its jobs, pending ones with their reason) into the view. */
  private async learnRuns(transport: import('../../core/remote/transport').Transport, host: HostSpec): Promise<void> {
    const { listPlacedRuns } = await import('../../core/remote/place');
    const placed = await listPlacedRuns(transport, host);
    for (const { run, job } of placed) {
      this.lab.engineRuns.set(run.id, { id: run.id, host: host.name, engine: run.engine, state: run.status.state, command: run.argv.join(' '), port: run.port });
      if (job) this.tree.jobs.set(run.id, job);
    }
    // Jobs that left the queue since the last look are no longer the host's.
    for (const [runId] of this.tree.jobs) if (this.lab.engineRuns.get(runId)?.host === host.name && !placed.some((p) => p.run.id === runId)) this.tree.jobs.delete(runId);
  }

  async add(): Promise<HostSpec | undefined> {
    const destination = await vscode.window.showInputBox({
      title: 'Serving Lab: Add Host (1/2)',
      prompt: 'How ssh reaches the GPU host: an alias from ~/.ssh/config, a host name, or user@host',
      placeHolder: 'gpubox  or  ubuntu@10.0.0.5',
      ignoreFocusOut: true,
      validateInput: (v) => (/^([A-Za-z0-9._-]+@)?[A-Za-z0-9._:[\]-]+$/.test(v.trim()) ? undefined : 'Use an ssh alias, a host name, or user@host (no spaces or shell characters)'),
    });
    if (!destination) return undefined;
    const at = destination.indexOf('@');
    const hostPart = at > 0 ? destination.slice(at + 1) : destination;
    const name = await vscode.window.showInputBox({
      title: 'Serving Lab: Add Host (2/2)',
      prompt: 'A name for this host in plans and views',
      value: hostPart,
      ignoreFocusOut: true,
      validateInput: (v) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) && !/^sim(:|$)/.test(v) ? undefined : 'Letters, digits, ".", "_" and "-"; "sim" is the simulated host'),
    });
    if (!name) return undefined;
    const { HostSpec } = await import('../../core/plan/schema');
    const spec = HostSpec.parse({ name, transport: { kind: 'ssh', alias: hostPart, ...(at > 0 ? { user: destination.slice(0, at) } : {}) } });
    const config = vscode.workspace.getConfiguration(SECTION);
    const existing = (config.get<unknown[]>('hosts') ?? []).filter((h) => (h as { name?: string }).name !== name);
    await config.update('hosts', [...existing, { name: spec.name, transport: spec.transport }], vscode.ConfigurationTarget.Global);
    this.lab.hostsUpdated();
    const answer = await vscode.window.showInformationMessage(`Serving Lab: added host "${name}". Check it now (connects over ssh and lists GPUs and engines)?`, 'Check Host');
    if (answer) await this.check(name);
    return spec;
  }

  private engineRunOf(target: EngineRunTarget): { host: string; runId: string } | undefined {
    if (!target) return undefined;
    if ('kind' in target) return target.kind === 'engineRun' ? { host: target.run.host, runId: target.run.id } : undefined;
    return target;
  }

  async stopEngine(target: EngineRunTarget): Promise<boolean> {
    let run = this.engineRunOf(target);
    if (!run) {
      const running = [...this.lab.engineRuns.values()].filter((r) => r.state === 'ready' || r.state === 'starting');
      const picked = await vscode.window.showQuickPick(running.map((r) => ({ label: `${r.engine} ${r.id}`, description: r.host, detail: r.command, run: { host: r.host, runId: r.id } })), {
        title: 'Serving Lab: stop which engine?',
        placeHolder: running.length ? undefined : 'No running engine known: check a host to list its engines',
      });
      run = picked?.run;
    }
    if (!run) return false;
    const { host, runId } = run;
    // An engine a run of this window is using: stop the run too, so it records the interruption instead of failing.
    for (const active of this.lab.runs.values()) if (active.engineRunIds.has(runId)) this.lab.stopRun(active.id);
    const job = this.tree.jobs.get(runId);
    const what = job ? `cancelling Slurm job ${job.id} (${runId}) on ${host}` : `stopping ${runId} on ${host}`;
    const stopped = await this.withHost(host, what, async (transport, spec) => {
      const { stopPlacedRun } = await import('../../core/remote/place');
      return stopPlacedRun(transport, spec, runId, { log: loggerOf(this.lab.log) });
    });
    if (!stopped) return false;
    this.tree.jobs.delete(runId);
    const known = this.lab.engineRuns.get(runId);
    this.lab.trackEngineRun({ ...(known ?? { id: runId, host, engine: stopped.engine, command: stopped.argv.join(' ') }), state: stopped.status.state });
    void vscode.window.showInformationMessage(`Serving Lab: ${job ? `Slurm job ${job.id} cancelled; ` : ''}engine ${runId} on ${host} is ${stopped.status.state}.`);
    return true;
  }

  async stopAll(target: HostTarget): Promise<number> {
    const name = await this.hostName(target, 'Serving Lab: stop every engine on which host?');
    if (!name) return 0;
    const answer = await vscode.window.showWarningMessage(`Stop every engine Serving Lab started on ${name}?`, { modal: true }, 'Stop All');
    if (answer !== 'Stop All') return 0;
    for (const active of this.lab.runs.values()) if (active.host === name) this.lab.stopRun(active.id);
    const count = await this.withHost(name, `stopping all engines on ${name}`, async (transport, host) => {
      const { listPlacedRuns, stopPlacedRun } = await import('../../core/remote/place');
      let n = 0;
      for (const { run } of await listPlacedRuns(transport, host)) {
        if (run.status.state !== 'starting' && run.status.state !== 'ready') continue;
        const stopped = await stopPlacedRun(transport, host, run.id, { log: loggerOf(this.lab.log) });
        this.tree.jobs.delete(run.id);
        this.lab.engineRuns.set(run.id, { id: run.id, host: name, engine: run.engine, state: stopped.status.state, command: run.argv.join(' '), port: run.port });
        n++;
      }
      return n;
    });
    this.lab.hostsUpdated();
    void vscode.window.showInformationMessage(`Serving Lab: stopped ${count ?? 0} engine(s) on ${name}.`);
    return count ?? 0;
  }

  async showEngineLog(target: EngineRunTarget): Promise<void> {
    const run = this.engineRunOf(target);
    if (!run) {
      this.lab.log.show();
      return;
    }
    const startedHere = this.lab.hasEngineLog(run.runId);
    const channel = this.lab.engineLog(run.runId);
    channel.show(true);
    if (startedHere) return;
    // An engine started elsewhere (the CLI, another window): read its log from the host once.
    await this.withHost(run.host, `reading the log of ${run.runId}`, async (transport, host) => {
      const { followLogs } = await import('../../core/remote/runs');
      let partial = '';
      await followLogs(transport, host, run.runId, {
        onText: (text) => {
          const lines = (partial + text).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) channel.info(line);
        },
      });
      if (partial) channel.info(partial);
    });
  }
}
