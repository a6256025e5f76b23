// Benchmark GLM config and Run Tuning Plan. A benchmark is a one-point experiment (the variant as baseline, one
// workload), so both go through the core's experiment runner on the host backend: launch, readiness, warmup,
// benchmark, result saved, engine stopped. Progress goes to a cancellable notification (Cancel aborts the remote
// benchmark and stops the engine), the live dashboard, the status bar and one log channel per engine run.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Experiment, TuningPlan, WorkloadSpec } from '../../core/plan/schema';
import type { LiveSample as CoreSample, RequestSample } from '../../core/telemetry/samples';
import type { CurveProgress } from '../../core/tune/curve';
import type { EngineEvent, RunObserver } from '../../core/tune/observer';
import type { EngineSession, LaunchOutcome, TuneBackend } from '../../core/tune/experiment';
import type { LiveSample } from '../../shared/protocol';
import { engineSampleFields } from '../dashboard/engineSample';
import { LaneTracker } from '../dashboard/lanes';
import { searchView } from '../dashboard/searchView';
import { baseDir } from '../config';
import { loggerOf, type ActiveRun, type Lab } from '../lab';
import { describeVariant, LAST_COMMAND_KEY, pickHost, pickVariant, pickWorkload, workloadFromText } from './pickers';
import { summaryOf } from './results';

const BENCHMARK_STEPS = (n: number) => `Benchmark GLM config (${n}/3)`;

/** Arguments that skip the quick-picks (tests, re-run, walkthrough links). */
export interface BenchmarkArgs {
  host?: string;
  /** A serve command line, as pasted. */
  command?: string;
  /** A workload preset id, `random:IN:OUT:N`, `sharegpt:N`, or a workload mapping as in a plan. */
  workload?: string | WorkloadSpec;
  runner?: TuningPlan['runner'];
  /** Do not open the dashboard (it is opened by default). */
  noDashboard?: boolean;
}

export class RunCommands {
  constructor(private readonly lab: Lab) {}

  requireTrust(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(`Serving Lab: ${what} launches commands on a host, which Restricted Mode does not allow. Trust this workspace to run it.`, 'Manage Workspace Trust').then((a) => {
      if (a) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  async benchmark(args: BenchmarkArgs = {}): Promise<Experiment | undefined> {
    if (!this.requireTrust('Benchmark GLM config')) return undefined;
    const host = args.host ?? (await pickHost(this.lab, BENCHMARK_STEPS(1)));
    if (!host) return undefined;
    const command = args.command ?? (await pickVariant(this.lab, BENCHMARK_STEPS(2)));
    if (!command) return undefined;
    const { parseServeCommand } = await import('../../core/engines/index');
    const variant = parseServeCommand(command);
    const workload = args.workload === undefined ? await pickWorkload(this.lab, BENCHMARK_STEPS(3)) : typeof args.workload === 'string' ? await workloadFromText(args.workload) : args.workload;
    if (workload === undefined) return undefined;
    await this.lab.context.globalState.update(LAST_COMMAND_KEY, command);
    const { TuningPlan } = await import('../../core/plan/schema');
    const { resolveWorkload } = await import('../../core/plan/presets');
    const workloadName = resolveWorkload(workload).name;
    const plan = TuningPlan.parse({
      name: `${describeVariant(variant)} — ${workloadName}`,
      host,
      model: variant.model,
      baseline: { command },
      workloads: { primary: workload },
      runner: args.runner ?? this.lab.settings().defaultRunner,
    });
    return this.run(plan, { kind: 'benchmark', title: `Benchmark ${describeVariant(variant)}`, openDashboard: !args.noDashboard });
  }

  async runPlan(target?: vscode.Uri | string): Promise<Experiment | undefined> {
    if (!this.requireTrust('Run Tuning Plan')) return undefined;
    let uri = typeof target === 'string' ? vscode.Uri.file(path.resolve(baseDir(), target)) : target;
    uri ??= vscode.window.activeTextEditor && /\.plan\.(ya?ml|json)$/.test(vscode.window.activeTextEditor.document.uri.path) ? vscode.window.activeTextEditor.document.uri : undefined;
    if (!uri) {
      const found = await vscode.workspace.findFiles('**/*.plan.{yaml,yml,json}', '**/node_modules/**', 50);
      // The quick demo of the reference study ships with the extension, so a new user can run a plan at once.
      const sample = vscode.Uri.joinPath(this.lab.context.extensionUri, 'examples', 'glm-4.5-air-a100.quick.plan.yaml');
      const picked = await vscode.window.showQuickPick(
        [
          ...found.map((f) => ({ label: vscode.workspace.asRelativePath(f), description: '', uri: f })),
          { label: 'Sample: GLM-4.5-Air on 4×A100 (quick demo)', description: 'the reference study on the simulated host, a few minutes', uri: sample },
        ],
        { title: 'Serving Lab: pick a tuning plan' },
      );
      uri = picked?.uri;
    }
    if (!uri) return undefined;
    const document = await vscode.workspace.openTextDocument(uri);
    const { parsePlan, formatProblem } = await import('../../core/plan/load');
    const loaded = parsePlan(document.getText(), uri.fsPath);
    if (!loaded.ok) {
      void vscode.window.showErrorMessage(`Serving Lab: the plan has ${loaded.problems.length} problem(s); the first: ${formatProblem(loaded.problems[0]!)}. They are listed in the Problems panel.`);
      return undefined;
    }
    return this.run(loaded.plan, { kind: 'plan', title: loaded.plan.name, planPath: uri.fsPath, openDashboard: true });
  }

  /** Runs a plan through the core's experiment runner on the plan's host, with everything wired to the UI. */
  async run(
    plan: TuningPlan,
    options: { kind: ActiveRun['kind']; title: string; planPath?: string; openDashboard: boolean; /** What the finished notification says it found. */ outcome?(experiment: Experiment): string | undefined },
  ): Promise<Experiment | undefined> {
    const lab = this.lab;
    // A plan's `hosts` pool, as `serving-lab tune` runs it: independent points in parallel, one engine per host.
    const hostNames = plan.hosts ?? [plan.host];
    const where = hostNames.join('+');
    const active = lab.beginRun({ id: `${options.kind}-${Date.now().toString(36)}`, kind: options.kind, title: options.title, host: where });
    const dashboard = lab.dashboard;
    if (options.openDashboard) dashboard.show(true);
    // A pool shows one lane per host from the start; a Slurm host's jobs get theirs as they are submitted.
    const lanes = new LaneTracker(hostNames.length > 1 ? hostNames : []);
    dashboard.startRun({ id: active.id, title: options.title, host: where }, lanes.all);
    lab.log.info(`${options.title}: starting on ${where}`);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Serving Lab: ${options.title}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => lab.stopRun(active.id));
          const signal = active.abort.signal;
          progress.report({ message: `connecting to ${hostNames.join(', ')}…` });
          const { runExperiment } = await import('../../core/tune/experiment');
          const { splitRunId } = await import('../../core/tune/pool');
          const { parseServeCommand } = await import('../../core/engines/index');
          const backend = await this.openBackend(plan, hostNames, signal);
          try {
            const experiment = await runExperiment({
              plan,
              ...(options.planPath ? { planPath: options.planPath } : {}),
              backend: this.observedBackend(backend, active, splitRunId),
              store: lab.store(),
              // Lanes only where engines run side by side: a pool, a Slurm host of max_parallel > 1.
              observer: this.observer(active, progress, options.title, hostNames.length > 1 || (backend.parallelism ?? 1) > 1 ? lanes : undefined),
              signal,
              parseCommand: parseServeCommand,
              notes: backend.notes,
            });
            this.finish(active, experiment, options.outcome?.(experiment));
            return experiment;
          } finally {
            await backend.close().catch(() => {});
          }
        },
      );
    } catch (err) {
      const stopped = active.abort.signal.aborted;
      const message = (err as Error).message ?? String(err);
      dashboard.setProgress(active.id, { phase: stopped ? 'stopped' : 'failed', label: stopped ? 'stopped; the engine was stopped' : message });
      if (stopped) {
        lab.log.info(`${options.title}: stopped`);
        void vscode.window.showInformationMessage(`Serving Lab: ${options.title} was stopped; what was measured is saved.`);
      } else {
        lab.log.error(`${options.title}: ${message}`);
        void vscode.window.showErrorMessage(`Serving Lab: ${options.title} failed: ${message}`, 'Show Logs').then((a) => a && lab.log.show());
      }
      return undefined;
    } finally {
      lab.endRun(active.id);
      lab.resultsUpdated();
      lab.hostsUpdated();
    }
  }

  /** The plan's host, or its `hosts` pool as `serving-lab tune` opens it. */
  private async openBackend(plan: TuningPlan, hostNames: readonly string[], signal: AbortSignal): Promise<TuneBackend & { notes: string[]; close(): Promise<void> }> {
    const lab = this.lab;
    const settings = lab.settings();
    const { openHostBackend } = await import('../../core/tune/hostBackend');
    const { openPoolBackend } = await import('../../core/tune/pool');
    const options = {
      cwd: baseDir(),
      ...(settings.hostsFile ? { hostsFile: settings.hostsFile } : {}),
      ...(settings.sshConfigFile ? { sshConfig: settings.sshConfigFile } : {}),
      ...(typeof plan.objective === 'object' && plan.objective.slo ? { goodput: plan.objective.slo } : {}),
      credentials: lab.credentials,
      hostKeys: lab.hostKeys,
      // A plan's own `simulator.speedup` wins over the setting, as on the command line.
      speedup: plan.simulator?.speedup ?? settings.simulatedHostSpeedup,
      runner: plan.runner,
      ...(plan.shareGpus ? { shareGpus: true } : {}),
      scrapeIntervalMs: settings.metricsScrapeIntervalS * 1000,
      cliPath: vscode.Uri.joinPath(lab.context.extensionUri, 'dist', 'cli.js').fsPath,
      log: loggerOf(lab.log),
    };
    // Hosts from the servingLab.hosts setting are known only to the extension.
    if (hostNames.length > 1) return openPoolBackend(hostNames, { ...options, hostSpecOf: (name) => lab.resolveHost(name), ...(plan.allowMixed !== undefined ? { allowMixed: plan.allowMixed } : {}) }, signal);
    return openHostBackend({ ...options, hostName: plan.host, hostSpec: lab.resolveHost(plan.host) }, signal);
  }

  private finish(active: ActiveRun, experiment: Experiment, found?: string): void {
    const outcome = experiment.baseline.outcome;
    const single = experiment.stages.length === 0;
    let phase: 'completed' | 'failed' | 'stopped' = 'completed';
    let label = 'completed; the results are saved';
    if (experiment.status === 'interrupted') {
      phase = 'stopped';
      label = 'stopped; what was measured is saved';
    } else if (experiment.status !== 'completed') {
      phase = 'failed';
      label = `failed${experiment.error ? `: ${experiment.error}` : ''}`;
    } else if (single && outcome?.kind === 'crashed') {
      phase = 'failed';
      label = `the engine crashed (${outcome.crash.reason}): ${outcome.crash.rootCause}`;
    }
    this.lab.dashboard.setProgress(active.id, { phase, label });
    if (phase === 'failed') {
      void vscode.window.showWarningMessage(`Serving Lab: ${active.title}: ${label}`, 'Show Logs').then((a) => a && this.lab.log.show());
      return;
    }
    const recommendation = found ? ` ${found}` : !single && experiment.recommendation ? ` Recommended: ${experiment.recommendation.command}` : '';
    void vscode.window.showInformationMessage(`Serving Lab: ${active.title} ${phase === 'stopped' ? 'was stopped; what was measured is saved' : 'completed'}.${recommendation}`, 'Insert Findings').then((a) => {
      if (a) void vscode.commands.executeCommand('servingLab.insertFindings', experiment.id);
    });
  }

  /** The backend with each launch recorded: the run's engine, its log channel, the Hosts view's entry. */
  private observedBackend(backend: TuneBackend, active: ActiveRun, splitPoolRunId: (id: string) => { runId: string; member: string } | undefined): TuneBackend {
    const lab = this.lab;
    // A pool's engine is listed (and stopped, and its log shown) under its own host with the id that host knows.
    const onHost = (sessionRunId: string) => {
      const split = splitPoolRunId(sessionRunId);
      return split && active.host.split('+').includes(split.member) ? { id: split.runId, host: split.member } : { id: sessionRunId, host: active.host };
    };
    const record = (outcome: LaunchOutcome, engine: string): string | undefined => {
      const sessionRunId = outcome.ok ? outcome.session.runId : outcome.runId;
      if (!sessionRunId) return undefined;
      const { id: runId, host } = onHost(sessionRunId);
      if (outcome.ok) active.engineRunIds.add(runId);
      lab.trackEngineRun({ id: runId, host, engine, state: outcome.ok ? 'ready' : 'crashed', command: outcome.ok ? outcome.session.command : outcome.command });
      if (!outcome.ok) lab.engineLog(runId).error(`crashed (${outcome.crash.reason}): ${outcome.crash.rootCause}`);
      return runId;
    };
    // Everything else is the backend's own: the wrapper inherits it, so the TuneBackend interface can grow freely.
    const observed = Object.create(backend) as TuneBackend;
    observed.launch = async (variant, options) => {
      const pending: string[] = [];
      const outcome = await backend.launch(variant, {
        ...options,
        onLog: (line) => {
          // Lines arrive before the run id is known: keep them for the engine's channel.
          pending.push(line);
          options.onLog(line);
        },
      });
      const runId = record(outcome, variant.engine);
      if (runId) for (const line of pending) lab.engineLog(runId).info(line);
      return outcome;
    };
    observed.stop = async (session: EngineSession) => {
      try {
        await backend.stop(session);
      } finally {
        const runId = onHost(session.runId).id;
        active.engineRunIds.delete(runId);
        const known = lab.engineRuns.get(runId);
        if (known) lab.trackEngineRun({ ...known, state: 'stopped' });
      }
    };
    return observed;
  }

  private observer(active: ActiveRun, progress: vscode.Progress<{ message?: string; increment?: number }>, title: string, lanes?: LaneTracker): RunObserver {
    const lab = this.lab;
    // Every curve of the run so far, so the dashboard's Pareto front spans the variants measured.
    const curves = new Map<string, CurveProgress>();
    const dashboard = lab.dashboard;
    const since = (t: number) => Math.max(0, (t - active.startedAt) / 1000);
    const live = (s: CoreSample): LiveSample => {
      const out: LiveSample = { t: since(s.t) };
      if (s.totalTokS !== undefined) out.totalTokensPerS = s.totalTokS;
      if (s.outputTokS !== undefined) out.outputTokensPerS = s.outputTokS;
      if (s.running !== undefined) out.running = s.running;
      if (s.waiting !== undefined) out.waiting = s.waiting;
      if (s.kvUsage !== undefined) out.kvCacheUsage = Math.min(1, Math.max(0, s.kvUsage));
      return { ...out, ...engineSampleFields(s) };
    };
    const latency = (r: RequestSample): LiveSample => {
      const out: LiveSample = { t: since(r.t), ttftMs: r.ttftMs };
      if (r.tpotMs !== undefined) out.tpotMs = r.tpotMs;
      if (r.itlMs !== undefined) out.itlMs = r.itlMs;
      return out;
    };
    let lastPercent = 0;
    let position = '';
    return {
      experimentStarted: () => lab.resultsUpdated(),
      point: (p) => {
        const lane = lanes?.point(p);
        if (lane) dashboard.updateLane(active.id, lane);
        position = `${p.stage === 'Baseline' && p.stageCount === 0 ? '' : `${p.stage} · ${p.option} · `}${p.workload}${p.repeats > 1 ? ` (repeat ${p.repeat}/${p.repeats})` : ''}`;
        // A parallel run's lanes say what each host measures; one command line in the header would flip between them.
        if (!lanes) dashboard.updateCommand(active.id, p.command);
        dashboard.setProgress(active.id, { phase: 'benchmarking', label: `benchmarking ${position}` });
        progress.report({ message: `benchmarking ${position}` });
      },
      engine: (event) => {
        const lane = lanes?.engine(event);
        if (lane) dashboard.updateLane(active.id, lane);
        const label = engineLabel(event);
        if (event.state === 'launching') {
          if (!lanes) dashboard.updateCommand(active.id, event.command);
          dashboard.setProgress(active.id, { phase: 'launching', label });
        } else if (event.state === 'ready') dashboard.setProgress(active.id, { phase: 'warmup', label });
        dashboard.addLog(active.id, [`[serving-lab] ${label}`]);
        progress.report({ message: label });
        lab.log.info(`${active.title}: ${label}`);
        lab.hostsUpdated();
      },
      sample: (s, place) => dashboard.addSamples(active.id, [live(s)], lanes?.keyOf(place)),
      request: (r, place) => {
        if (r.success) dashboard.addSamples(active.id, [latency(r)], lanes?.keyOf(place));
      },
      log: (line, source) => {
        if (source === 'engine') {
          // The engine's own channel gets its lines from the observed launch, which knows whose they are (several
          // engines start at once on a pool).
          dashboard.addLog(active.id, [line]);
        } else {
          lab.log.info(`[${source}] ${line}`);
          if (source === 'tune') dashboard.addLog(active.id, [`[serving-lab] ${line}`]);
        }
      },
      eta: (eta) => {
        const percent = eta.runsTotal ? (100 * eta.runsDone) / eta.runsTotal : 0;
        progress.report({ increment: Math.max(0, percent - lastPercent), message: `${eta.runsDone}/${eta.runsTotal} benchmark runs${eta.remainingS !== undefined ? `, about ${Math.ceil(eta.remainingS / 60)} min left` : ''}` });
        lastPercent = percent;
        dashboard.setProgress(active.id, {
          phase: 'benchmarking',
          label: position ? `benchmarking ${position}` : 'benchmarking',
          completed: eta.runsDone,
          total: eta.runsTotal,
          ...(eta.remainingS !== undefined ? { etaSeconds: eta.remainingS } : {}),
        });
      },
      resultSaved: (result) => {
        dashboard.setProgress(active.id, { phase: 'benchmarking', label: `saved ${result.workload?.name ?? 'result'} (${result.metrics.total_token_throughput.toFixed(2)} tok/s total)` }, summaryOf(result));
        lab.resultsUpdated();
      },
      decision: (stage, decision) => {
        dashboard.addLog(active.id, [`[serving-lab] ${stage}: ${decision.winner} — ${decision.why}`]);
        lab.log.info(`${stage}: ${decision.winner} (${decision.why})`);
      },
      experimentSaved: () => lab.resultsUpdated(),
      search: (_experimentId, progress) => dashboard.updateSearch(active.id, searchView(`Predicted search — ${title}`, progress)),
      curve: (_experimentId, update) => {
        curves.set([update.curve.stage, update.curve.option, update.curve.workload].join('\u0000'), update);
        const shown = [...curves.values()];
        void import('../dashboard/curveView').then(({ curvesView }) => dashboard.updateCurves(active.id, curvesView(`Load curves — ${title}`, shown)));
      },
    };
  }
}

/** An engine event as the progress notification and the dashboard's log say it. */
function engineLabel(event: EngineEvent): string {
  const where = event.place ? ` on ${event.place.host}` : '';
  switch (event.state) {
    case 'launching':
      return `launching ${event.option}`;
    case 'placed': {
      const job = event.place?.job;
      if (event.place?.down) return `${event.place.host} is down (${event.place.down}); ${event.option} goes to another host`;
      return job ? `${event.option}: Slurm job ${job.id} ${job.state}${job.reason && job.state === 'PENDING' ? ` (${job.reason})` : ''}${job.node ? ` on ${job.node}` : ''}` : `${event.option} placed${where}`;
    }
    case 'ready':
      return `${event.option} ready${where} after ${event.startupS.toFixed(0)} s`;
    case 'crashed':
      return `${event.option} crashed${where} (${event.crash.reason}): ${event.crash.rootCause}`;
    case 'stopped':
      return `${event.option} stopped${where}`;
  }
}
