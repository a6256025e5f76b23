// `serving-lab tune PLAN`: run a tuning plan on a host (or predict it with --dry-run), with a progress line on a
// terminal and plain lines elsewhere. Ctrl-C stops the benchmark and the engine and keeps what was measured.
import { searchDryRunLines } from '../../core/report/search';
import { resolve } from 'node:path';
import { parseServeCommand } from '../../core/engines/index';
import { formatProblem, loadPlanFile } from '../../core/plan/load';
import type { Experiment, HostFacts, LoadAxis, TuningPlan } from '../../core/plan/schema';
import { openMemoryStore } from '../../core/results/memory';
import { findGpu, GPUS } from '../../core/sim/gpus';
import { EngineRunError } from '../../core/remote/runFiles';
import { openResultsStore, StoreError } from '../../core/results/store';
import { ExperimentError, runExperiment } from '../../core/tune/experiment';
import { commandRenderer } from '../../core/tune/hostCommands';
import { hostSpecFor, openHostBackend, type HostBackendOptions } from '../../core/tune/hostBackend';
import type { LiveSample } from '../../core/telemetry/samples';
import { openPoolBackend } from '../../core/tune/pool';
import type { RunObserver, RunPosition } from '../../core/tune/observer';
import { PredictingBackend } from '../../core/tune/predict';
import { capacitySentence, loadText } from '../../core/results/curves';
import type { CapacityBracket } from '../../core/tune/curve';
import { CliError } from '../args';
import { jsonFlag, type CliCommand, type CommandContext } from '../command';
import { HOST_FLAGS, ttyCredentials, ttyHostKeys } from './hosts';
import { describeExperiment, resultsDirFlag } from './results';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The CLI's RunObserver: one redrawn status line on a terminal; plain, timestamp-free lines in CI and logs. */
export function progressObserver(write: (text: string) => void, interactive: boolean): RunObserver & { close(): void } {
  let position: RunPosition | undefined;
  let sample: LiveSample | undefined;
  let eta = '';
  let runs = '';
  let drawn = false;
  let lastPlainSample = 0;
  let bracket = '';
  const status = () => {
    if (!position) return '';
    const stage = position.stageIndex < 0 ? 'baseline' : position.stageIndex >= position.stageCount ? 'generalization' : `stage ${position.stageIndex + 1}/${position.stageCount} ${position.stage}`;
    const live = sample
      ? ` · ${sample.totalTokS !== undefined ? `${sample.totalTokS.toFixed(0)} tok/s` : '… tok/s'}${sample.running !== undefined ? ` · run ${sample.running}` : ''}${sample.waiting !== undefined ? ` wait ${sample.waiting}` : ''}${sample.kvUsage !== undefined ? ` · KV ${(sample.kvUsage * 100).toFixed(0)}%` : ''}`
      : '';
    return `[${stage}] ${pointText(position)}${live}${bracket}${runs}${eta}`;
  };
  const clear = () => {
    if (interactive && drawn) write('\r\x1b[2K');
    drawn = false;
  };
  const redraw = () => {
    if (!interactive) return;
    const cols = process.stderr.columns ?? 120;
    const line = status();
    write(`\r\x1b[2K${line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line}`);
    drawn = line !== '';
  };
  const say = (line: string) => {
    clear();
    write(`${line}\n`);
    redraw();
  };
  return {
    experimentStarted(x, info) {
      say(`${info.resumed ? 'resuming' : 'starting'} experiment ${x.id}: ${x.plan.name} on ${x.host.name}${x.host.simulated ? ' (simulated)' : ''}${info.resumed ? ` — ${info.runsDone} runs already done` : ''}`);
    },
    engine(event) {
      if (event.state === 'launching') say(`launch  ${event.option}: ${event.command}`);
      else if (event.state === 'ready') say(`ready   ${event.option} after ${duration(event.startupS)}`);
      else if (event.state === 'crashed') say(`crash   ${event.option} (${event.crash.reason}): ${event.crash.rootCause}`);
    },
    point(p) {
      position = p;
      sample = undefined;
      if (!interactive) say(`bench   ${pointText(p)}`);
      else redraw();
    },
    sample(s) {
      sample = s;
      if (interactive) redraw();
      else if (s.t - lastPlainSample >= 10_000 && s.totalTokS !== undefined) {
        lastPlainSample = s.t;
        say(`        live ${s.totalTokS.toFixed(0)} tok/s${s.running !== undefined ? `, ${s.running} running` : ''}${s.waiting !== undefined ? `, ${s.waiting} waiting` : ''}${s.kvUsage !== undefined ? `, KV ${(s.kvUsage * 100).toFixed(0)}%` : ''}`);
      }
    },
    resultSaved(r) {
      const m = r.metrics;
      const tpot = m['mean_tpot_ms'];
      say(`result  ${r.option} · ${r.workload?.name ?? ''}: ${m.total_token_throughput.toFixed(2)} tok/s total${typeof tpot === 'number' ? `, mean TPOT ${tpot.toFixed(2)} ms` : ''}${r.status === 'interrupted' ? ' (interrupted)' : ''} → ${r.id}`);
    },
    curve(_experimentId, { curve, bracket: b, done }) {
      const last = curve.points.at(-1);
      if (done) {
        bracket = '';
        say(`curve   ${curve.option} · ${curve.workload}: ${capacitySentence(curve) || `${curve.points.length} load points`}`);
        return;
      }
      bracket = curve.slo && (b.lo !== undefined || b.hi !== undefined) ? ` · capacity ${bracketText(curve.by, b)}` : '';
      if (last && last.meetsSlo !== undefined) {
        say(`point   ${curve.option} · ${loadText(curve.by, last.value)}: ${last.meetsSlo ? 'meets the SLO' : `breaks the SLO (${last.breaks.join(', ')})`}${bracket ? `; capacity ${bracketText(curve.by, b)}` : ''}`);
      }
    },
    decision(stage, d) {
      say(`decide  ${stage}: ${d.why}`);
    },
    eta(e) {
      const width = 12;
      const filled = e.runsTotal > 0 ? Math.min(width, Math.round((e.runsDone / e.runsTotal) * width)) : 0;
      runs = interactive ? ` · [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${e.runsDone}/${e.runsTotal} runs` : ` · ${e.runsDone}/${e.runsTotal} runs`;
      eta = e.remainingS !== undefined ? ` · ETA ${duration(e.remainingS)}` : '';
      redraw();
    },
    log(line, source) {
      if (source === 'tune' && /stopped engine run|skipped|measuring it again/.test(line)) say(`note    ${line}`);
      // Where a variant runs: its pool host, its Slurm job's queue state (PENDING with the scheduler's reason).
      const placement = source === 'engine' ? /^(\[[^\]]+\] )?\[serving-lab\] (.*)$/.exec(line) : null;
      if (placement) say(`place   ${placement[1] ?? ''}${placement[2]}`);
    },
    close() {
      clear();
    },
  };
}

/** "TP4 · ShareGPT · 4 req/s · repeat 2/3": what a benchmark point measures. */
function pointText(p: RunPosition): string {
  const load = p.load ? ` · ${loadText(p.load.by, p.load.value)}` : '';
  return `${p.option} · ${p.workload}${load}${p.repeats > 1 ? ` · repeat ${p.repeat}/${p.repeats}` : ''}`;
}

/** Where a capacity search's bracket stands: "between 4 and 6 req/s", "≥ 4 req/s", "< 6 req/s". */
function bracketText(by: LoadAxis, b: CapacityBracket): string {
  if (b.lo !== undefined && b.hi !== undefined) return by === 'request_rate' ? `between ${b.lo} and ${b.hi} req/s` : `between concurrency ${b.lo} and ${b.hi}`;
  if (b.lo !== undefined) return `≥ ${loadText(by, b.lo)}`;
  return `< ${loadText(by, b.hi!)}`;
}

function summaryLines(x: Experiment): string {
  return describeExperiment(x);
}

async function loadPlan(file: string): Promise<TuningPlan> {
  const loaded = await loadPlanFile(file);
  if (!loaded.ok) throw new CliError(`the plan has problems:\n${loaded.problems.map(formatProblem).join('\n')}`);
  return loaded.plan;
}

export const tune: CliCommand = {
  path: ['tune'],
  savesOnInterrupt: true,
  summary: 'Run a tuning plan: launch each engine variant on the host, benchmark it, keep every result, and recommend a configuration.',
  flags: [
    { name: 'host', type: 'string', metavar: 'NAME[,NAME…]', description: "host to run on: sim, sim:GPU:COUNT, a hosts-file entry or an ssh alias; several (comma-separated) run independent points in parallel (default: the plan's hosts or host)" },
    { name: 'dry-run', type: 'boolean', description: 'print every launch and benchmark command and a time estimate (from the simulator model); run nothing' },
    { name: 'resume', type: 'string', metavar: 'ID', description: 'continue an interrupted experiment without re-running finished points' },
    resultsDirFlag,
    { name: 'speedup', type: 'number', metavar: 'K', description: "simulated hosts: run engines K× faster than real time (default: the plan's simulator.speedup, else 1)" },
    ...HOST_FLAGS,
    jsonFlag,
  ],
  positionals: [{ name: 'plan', description: 'a *.plan.yaml or *.plan.json file' }],
  async run(ctx: CommandContext) {
    const planPath = resolve(ctx.cwd, ctx.args.positionals[0]!);
    const plan = await loadPlan(planPath);
    const flags = ctx.args.flags;
    const hostNames = typeof flags['host'] === 'string' ? flags['host'].split(',').map((h) => h.trim()).filter(Boolean) : (plan.hosts ?? [plan.host]);
    if (hostNames.length === 0) throw new CliError('--host names no host: give NAME or NAME,NAME,…');
    const hostName = hostNames.join(',');
    const planHosts = (plan.hosts ?? [plan.host]).join(',');
    const speedupFlag = typeof flags['speedup'] === 'number' ? flags['speedup'] : undefined;
    if (speedupFlag !== undefined && !(speedupFlag > 0)) throw new CliError('--speedup must be a positive number');
    const backendOptions: HostBackendOptions = {
      hostName: hostNames[0]!,
      cwd: ctx.cwd,
      ...(typeof flags['hostsFile'] === 'string' ? { hostsFile: resolve(ctx.cwd, flags['hostsFile']) } : {}),
      ...(typeof flags['sshConfig'] === 'string' ? { sshConfig: resolve(ctx.cwd, flags['sshConfig']) } : {}),
      speedup: speedupFlag ?? plan.simulator?.speedup,
      goodput: typeof plan.objective === 'object' ? plan.objective.slo : undefined,
      runner: plan.runner,
      ...(plan.shareGpus ? { shareGpus: true } : {}),
      log: ctx.log,
      credentials: ttyCredentials(ctx.interactive),
      hostKeys: ttyHostKeys(ctx.interactive, Boolean(flags['acceptNewHostKey'])),
    };
    const json = Boolean(flags['json']);

    if (flags['dryRun']) {
      const host = hostSpecFor(backendOptions);
      const runner = plan.runner;
      let facts: HostFacts;
      let model: { gpu: string; count: number; speedup: number };
      if (host.transport.kind === 'sim') {
        const t = host.transport;
        facts = { name: host.name, gpus: Array.from({ length: t.count }, (_, index) => ({ index, name: t.gpu, memoryTotalMiB: 0 })), engineVersions: {}, simulated: true };
        model = { gpu: t.gpu, count: t.count, speedup: t.speedup };
      } else {
        // A real host: read its GPUs, then model them with the simulator (only GPUs the simulator knows).
        const connected = await openHostBackend(backendOptions, ctx.signal);
        try {
          facts = await connected.facts(ctx.signal);
        } finally {
          await connected.close();
        }
        const gpuName = facts.gpus[0]?.name ?? '';
        const gpu = findGpu(gpuName) ?? GPUS.find((g) => g.smiName === gpuName);
        if (!gpu) throw new CliError(`--dry-run: the simulator has no model of "${gpuName || "this host's GPUs"}" to estimate times with; known GPUs: ${GPUS.map((g) => g.id).join(', ')}`);
        ctx.log.warn(`the time estimate models ${facts.gpus.length}× ${gpu.id} with the simulator; real engines differ`);
        model = { gpu: gpu.id, count: facts.gpus.length, speedup: 1 };
      }
      const backend = new PredictingBackend(commandRenderer(host, runner, backendOptions.goodput), { facts, ...model, ...(backendOptions.goodput ? { goodput: backendOptions.goodput } : {}) });
      const x = await runExperiment({ plan, planPath, backend, store: openMemoryStore(), signal: ctx.signal, parseCommand: parseServeCommand });
      if (json) {
        ctx.stdout(`${JSON.stringify({ steps: backend.steps, estimatedSeconds: backend.totalSeconds, predicted: x }, null, 2)}\n`);
        return 0;
      }
      for (const step of backend.steps) ctx.stdout(`${step.kind === 'benchmark' ? '    ' : ''}${step.command}\n`);
      ctx.stdout(`\n# ${backend.steps.filter((s) => s.kind !== 'benchmark').length} launches, ${backend.steps.filter((s) => s.kind === 'benchmark').length} benchmark runs; estimated ${duration(backend.totalSeconds)} on ${hostName}${model.speedup !== 1 ? ` at speedup ${model.speedup}×` : ''} (engine start-up, benchmarks and stops; the client's own set-up not included)\n`);
      ctx.stdout(`# predicted recommendation: ${x.recommendation?.command ?? '(none)'}\n`);
      if (x.search) for (const line of searchDryRunLines(x.search)) ctx.stdout(`# ${line}\n`);
      for (const c of x.curves) ctx.stdout(`# predicted ${c.option} · ${c.workload}: ${c.points.length} load points; ${capacitySentence(c) || 'curve only'}\n`);
      return 0;
    }

    const store = openResultsStore(resolve(ctx.cwd, String(flags['results'])));
    const progress = progressObserver((text) => process.stderr.write(text), ctx.interactive);
    let backend;
    try {
      backend = hostNames.length > 1 ? await openPoolBackend(hostNames, { ...backendOptions, ...(plan.allowMixed !== undefined ? { allowMixed: plan.allowMixed } : {}) }, ctx.signal) : await openHostBackend(backendOptions, ctx.signal);
    } catch (err) {
      if (err instanceof ExperimentError) throw new CliError(err.message);
      throw err;
    }
    let experiment: Experiment;
    try {
      experiment = await runExperiment({
        plan,
        planPath,
        backend,
        store,
        observer: progress,
        signal: ctx.signal,
        ...(typeof flags['resume'] === 'string' ? { resumeId: flags['resume'] } : {}),
        parseCommand: parseServeCommand,
        notes: backend.notes,
      });
    } catch (err) {
      if (err instanceof ExperimentError || err instanceof StoreError || err instanceof EngineRunError) throw new CliError(err.message);
      throw err;
    } finally {
      progress.close();
      await backend.close();
    }
    if (json) ctx.stdout(`${JSON.stringify(experiment, null, 2)}\n`);
    else ctx.stdout(summaryLines(experiment));
    if (experiment.status === 'interrupted') {
      ctx.log.warn(`interrupted; what was measured is saved. Continue with: serving-lab tune ${ctx.args.positionals[0]} --resume ${experiment.id}${hostName !== planHosts ? ` --host ${hostName}` : ''}`);
      return 1;
    }
    ctx.log.info(`experiment ${experiment.id} ${experiment.status}; results in ${store.root} (\`serving-lab results show ${experiment.id}\`)`);
    return 0;
  },
};
