// Benchmark GLM config and Run Tuning Plan. A benchmark is a one-point experiment (the variant as baseline, one
// workload), so both go through the core's experiment runner on the host backend: launch, readiness, warmup,
// benchmark, result saved, engine stopped. Progress goes to a cancellable notification (Cancel aborts the remote
// benchmark and stops the engine), the live dashboard, the status bar and one log channel per engine run.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineVariant, Experiment, TuningPlan, WorkloadSpec } from '../../core/plan/schema';
import type { LiveSample as CoreSample, RequestSample } from '../../core/telemetry/samples';
import type { RunObserver } from '../../core/tune/observer';
import type { EngineSession, LaunchOutcome, TuneBackend } from '../../core/tune/experiment';
import type { LiveSample } from '../../shared/protocol';
import { engineSampleFields } from '../dashboard/engineSample';
import { baseDir } from '../config';
import { loggerOf, type ActiveRun, type Lab } from '../lab';
import { summaryOf } from './results';

/** The reference study's configurations, as serve commands (parsed and shown back before use). */
export const VARIANT_PRESETS: ReadonlyArray<{ label: string; detail: string; command: string }> = [
  { label: 'vLLM, TP4 (the study\'s baseline)', detail: '3903 tok/s total on ShareGPT in the study', command: 'vllm serve zai-org/GLM-4.5-Air -tp 4' },
  { label: 'SGLang, TP4', detail: 'the engine stage\'s winner', command: 'python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4' },
  { label: 'SGLang, TP4 + EP4 (the study\'s recommendation)', detail: 'expert parallelism on top of TP4', command: 'python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4 --ep-size 4' },
  { label: 'SGLang, TP4 + EP4, cuda-graph-max-bs 512', detail: 'the CUDA graph stage (within noise in the study)', command: 'python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4 --ep-size 4 --cuda-graph-max-bs 512' },
  { label: 'vLLM, FP8 weights, TP4', detail: 'crashes on A100: FP8 needs compute capability 8.9', command: 'vllm serve zai-org/GLM-4.5-Air-FP8 -tp 4' },
];

const WORKLOAD_LABELS: Record<string, string> = {
  sharegpt: 'ShareGPT, 1000 prompts',
  'very-long-prompt': 'Very long prompt: random 32000 in / 100 out, 100 prompts',
  'long-prompt': 'Long prompt: random 4000 in / 200 out, 500 prompts',
  'medium-prompt': 'Medium prompt: random 2000 in / 100 out, 500 prompts',
  'short-prompt': 'Short prompt: random 128 in / 4 out, 1000 prompts',
};

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

const LAST_COMMAND_KEY = 'servingLab.lastServeCommand';

/** The command once the user has seen what it parses to, or undefined when they cancel. */
async function confirmVariant(command: string, variant: EngineVariant, title: string): Promise<string | undefined> {
  const confirm = await vscode.window.showQuickPick(
    [
      { label: '$(check) Use this variant', description: describeVariant(variant), ok: true },
      { label: '$(close) Cancel', ok: false },
    ],
    { title: `${title}: ${describeVariant(variant)}`, placeHolder: command.trim().split('\n')[0], ignoreFocusOut: true },
  );
  return confirm?.ok ? command : undefined;
}

function describeVariant(v: EngineVariant): string {
  const p = v.parallel;
  const parallel = [`TP${p.tp}`, p.pp > 1 ? `PP${p.pp}` : '', p.ep > 1 ? `EP${p.ep}` : '', p.dp > 1 ? `DP${p.dp}` : ''].filter(Boolean).join(' + ');
  const extras = [v.quantization && `quantization ${v.quantization}`, v.attentionBackend && `attention ${v.attentionBackend}`, v.cudaGraph.maxBatchSize && `cuda-graph-max-bs ${v.cudaGraph.maxBatchSize}`, v.kvCacheDtype && `kv-cache ${v.kvCacheDtype}`]
    .filter(Boolean)
    .join(', ');
  const engine = { vllm: 'vLLM', sglang: 'SGLang', trtllm: 'TensorRT-LLM' }[v.engine];
  return `${engine} ${v.model}, ${parallel}${extras ? `, ${extras}` : ''}`;
}

/** A workload as the user typed it: a preset id, `random:IN:OUT:N` or `sharegpt:N`. */
async function workloadFromText(text: string): Promise<WorkloadSpec> {
  const { WORKLOAD_PRESETS } = await import('../../core/plan/presets');
  if (text in WORKLOAD_PRESETS) return text;
  const { parseWorkloadSpec } = await import('../../core/sim/predict');
  const w = parseWorkloadSpec(text);
  return w.kind === 'sharegpt' ? { preset: 'sharegpt', numPrompts: w.count } : { dataset: { kind: 'random', inputLen: w.input, outputLen: w.output }, numPrompts: w.count, seed: 42 };
}

export class RunCommands {
  constructor(private readonly lab: Lab) {}

  private requireTrust(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(`Serving Lab: ${what} launches commands on a host, which Restricted Mode does not allow. Trust this workspace to run it.`, 'Manage Workspace Trust').then((a) => {
      if (a) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  async benchmark(args: BenchmarkArgs = {}): Promise<Experiment | undefined> {
    if (!this.requireTrust('Benchmark GLM config')) return undefined;
    const host = args.host ?? (await this.pickHost());
    if (!host) return undefined;
    const command = args.command ?? (await this.pickVariant());
    if (!command) return undefined;
    const { parseServeCommand } = await import('../../core/engines/index');
    const variant = parseServeCommand(command);
    const workload = args.workload === undefined ? await this.pickWorkload() : typeof args.workload === 'string' ? await workloadFromText(args.workload) : args.workload;
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

  private async pickHost(): Promise<string | undefined> {
    const hosts = this.lab.hosts();
    const picked = await vscode.window.showQuickPick(
      hosts.map((h) => ({
        label: h.name,
        description: h.spec.transport.kind === 'sim' ? `simulated ${h.spec.transport.count}×${h.spec.transport.gpu}` : h.source,
        detail: h.origin,
      })),
      { title: 'Benchmark GLM config (1/3): host', placeHolder: 'Where to launch the engine', ignoreFocusOut: true },
    );
    return picked?.label;
  }

  /** Presets, the last used command, or a pasted one — parsed and shown back before it is used. */
  private async pickVariant(): Promise<string | undefined> {
    const { parseServeCommand } = await import('../../core/engines/index');
    const last = this.lab.context.globalState.get<string>(LAST_COMMAND_KEY);
    type Item = vscode.QuickPickItem & { command?: string; paste?: boolean; fromClipboard?: boolean };
    const items: Item[] = [];
    if (last) items.push({ label: '$(history) Last used', description: last, command: last });
    items.push({ label: 'Presets from the GLM-4.5-Air study', kind: vscode.QuickPickItemKind.Separator });
    items.push(...VARIANT_PRESETS.map((p) => ({ label: p.label, description: p.command, detail: p.detail, command: p.command })));
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    // A serving script of several lines cannot go through the one-line input box, so it comes from the clipboard —
    // read only when the user asks: a browser-hosted VS Code asks for permission and may refuse.
    items.push({ label: '$(clippy) Serving script on the clipboard', detail: 'Copy a script of several lines (comments, export lines, backslash continuations) first', fromClipboard: true });
    items.push({ label: '$(edit) Paste a serve command…', detail: 'vllm serve …, python3 -m sglang.launch_server …, trtllm-serve …, or docker run … IMAGE …', paste: true });
    const picked = await vscode.window.showQuickPick(items, { title: 'Benchmark GLM config (2/3): engine variant', matchOnDescription: true, ignoreFocusOut: true });
    if (!picked) return undefined;
    if (picked.fromClipboard) return this.scriptFromClipboard(parseServeCommand);
    if (!picked.paste) return picked.command;
    const pasted = await vscode.window.showInputBox({
      title: 'Benchmark GLM config (2/3): paste a serve command',
      placeHolder: 'vllm serve zai-org/GLM-4.5-Air -tp 4 (for a script of several lines, copy it and pick "Serving script on the clipboard")',
      ignoreFocusOut: true,
      validateInput: (text) => {
        if (!text.trim()) return undefined;
        try {
          parseServeCommand(text);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    if (!pasted?.trim()) return undefined;
    return confirmVariant(pasted, parseServeCommand(pasted), 'Parsed');
  }

  /** The clipboard's serving script once the user has seen what it parses to, or undefined (with the reason shown). */
  private async scriptFromClipboard(parseServeCommand: (text: string) => EngineVariant): Promise<string | undefined> {
    let text: string;
    try {
      text = await vscode.env.clipboard.readText();
    } catch (err) {
      void vscode.window.showErrorMessage(`Serving Lab: could not read the clipboard (${(err as Error).message}). Allow clipboard access for this window, or pick "Paste a serve command…" and paste one line.`);
      return undefined;
    }
    let variant: EngineVariant;
    try {
      variant = parseServeCommand(text);
    } catch (err) {
      void vscode.window.showErrorMessage(`Serving Lab: the clipboard does not hold a serving script: ${(err as Error).message}`);
      return undefined;
    }
    return confirmVariant(text, variant, 'Parsed from the clipboard');
  }

  private async pickWorkload(): Promise<WorkloadSpec | undefined> {
    const preferred = this.lab.settings().defaultWorkloads;
    const ids = [...preferred.filter((id) => id in WORKLOAD_LABELS), ...Object.keys(WORKLOAD_LABELS).filter((id) => !preferred.includes(id))];
    const picked = await vscode.window.showQuickPick(
      [...ids.map((id) => ({ label: id, description: WORKLOAD_LABELS[id], custom: false })), { label: 'Custom…', description: 'random:IN:OUT:N or sharegpt:N', custom: true }],
      { title: 'Benchmark GLM config (3/3): workload', ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    if (!picked.custom) return picked.label;
    const { parseWorkloadSpec } = await import('../../core/sim/predict');
    const text = await vscode.window.showInputBox({
      title: 'Benchmark GLM config (3/3): custom workload',
      placeHolder: 'random:2000:100:200',
      ignoreFocusOut: true,
      validateInput: (value) => {
        try {
          parseWorkloadSpec(value.trim());
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    return text ? workloadFromText(text.trim()) : undefined;
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
  async run(plan: TuningPlan, options: { kind: ActiveRun['kind']; title: string; planPath?: string; openDashboard: boolean }): Promise<Experiment | undefined> {
    const lab = this.lab;
    const active = lab.beginRun({ id: `${options.kind}-${Date.now().toString(36)}`, kind: options.kind, title: options.title, host: plan.host });
    const dashboard = lab.dashboard;
    if (options.openDashboard) dashboard.show(true);
    dashboard.startRun({ id: active.id, title: options.title, host: plan.host });
    lab.log.info(`${options.title}: starting on ${plan.host}`);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Serving Lab: ${options.title}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => lab.stopRun(active.id));
          const signal = active.abort.signal;
          const settings = lab.settings();
          progress.report({ message: `connecting to ${plan.host}…` });
          const { openHostBackend } = await import('../../core/tune/hostBackend');
          const { runExperiment } = await import('../../core/tune/experiment');
          const { parseServeCommand } = await import('../../core/engines/index');
          const backend = await openHostBackend(
            {
              hostName: plan.host,
              // Hosts from the servingLab.hosts setting are known only to the extension.
              hostSpec: lab.resolveHost(plan.host),
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
            },
            signal,
          );
          try {
            const experiment = await runExperiment({
              plan,
              ...(options.planPath ? { planPath: options.planPath } : {}),
              backend: this.observedBackend(backend, active),
              store: lab.store(),
              observer: this.observer(active, progress),
              signal,
              parseCommand: parseServeCommand,
              notes: backend.notes,
            });
            this.finish(active, experiment);
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

  private finish(active: ActiveRun, experiment: Experiment): void {
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
    const recommendation = !single && experiment.recommendation ? ` Recommended: ${experiment.recommendation.command}` : '';
    void vscode.window.showInformationMessage(`Serving Lab: ${active.title} ${phase === 'stopped' ? 'was stopped; what was measured is saved' : 'completed'}.${recommendation}`, 'Insert Findings').then((a) => {
      if (a) void vscode.commands.executeCommand('servingLab.insertFindings', experiment.id);
    });
  }

  /** The backend with each launch recorded: the run's engine, its log channel, the Hosts view's entry. */
  private observedBackend(backend: TuneBackend, active: ActiveRun): TuneBackend {
    const lab = this.lab;
    const record = (outcome: LaunchOutcome, engine: string) => {
      const runId = outcome.ok ? outcome.session.runId : outcome.runId;
      if (!runId) return;
      active.engineRunId = runId;
      lab.trackEngineRun({ id: runId, host: active.host, engine, state: outcome.ok ? 'ready' : 'crashed', command: outcome.ok ? outcome.session.command : outcome.command });
      if (!outcome.ok) lab.engineLog(runId).error(`crashed (${outcome.crash.reason}): ${outcome.crash.rootCause}`);
    };
    // Everything else is the backend's own: the wrapper inherits it, so the TuneBackend interface can grow freely.
    const observed = Object.create(backend) as TuneBackend;
    observed.launch = async (variant, options) => {
      active.engineRunId = undefined;
      const pending: string[] = [];
      const outcome = await backend.launch(variant, {
        signal: options.signal,
        onLog: (line) => {
          // Lines arrive before the run id is known: keep them for the engine's channel.
          pending.push(line);
          options.onLog(line);
        },
      });
      record(outcome, variant.engine);
      if (active.engineRunId) for (const line of pending) lab.engineLog(active.engineRunId).info(line);
      return outcome;
    };
    observed.stop = async (session: EngineSession) => {
      try {
        await backend.stop(session);
      } finally {
        const known = lab.engineRuns.get(session.runId);
        if (known) lab.trackEngineRun({ ...known, state: 'stopped' });
      }
    };
    return observed;
  }

  private observer(active: ActiveRun, progress: vscode.Progress<{ message?: string; increment?: number }>): RunObserver {
    const lab = this.lab;
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
        position = `${p.stage === 'Baseline' && p.stageCount === 0 ? '' : `${p.stage} · ${p.option} · `}${p.workload}${p.repeats > 1 ? ` (repeat ${p.repeat}/${p.repeats})` : ''}`;
        dashboard.updateCommand(active.id, p.command);
        dashboard.setProgress(active.id, { phase: 'benchmarking', label: `benchmarking ${position}` });
        progress.report({ message: `benchmarking ${position}` });
      },
      engine: (event) => {
        const label =
          event.state === 'launching' ? `launching ${event.option}` : event.state === 'ready' ? `${event.option} ready after ${event.startupS.toFixed(0)} s` : event.state === 'crashed' ? `${event.option} crashed (${event.crash.reason}): ${event.crash.rootCause}` : `${event.option} stopped`;
        if (event.state === 'launching') {
          dashboard.updateCommand(active.id, event.command);
          dashboard.setProgress(active.id, { phase: 'launching', label });
        } else if (event.state === 'ready') dashboard.setProgress(active.id, { phase: 'warmup', label });
        dashboard.addLog(active.id, [`[serving-lab] ${label}`]);
        progress.report({ message: label });
        lab.log.info(`${active.title}: ${label}`);
        lab.hostsUpdated();
      },
      sample: (s) => dashboard.addSamples(active.id, [live(s)]),
      request: (r) => {
        if (r.success) dashboard.addSamples(active.id, [latency(r)]);
      },
      log: (line, source) => {
        if (source === 'engine') {
          if (active.engineRunId) lab.engineLog(active.engineRunId).info(line);
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
    };
  }
}
