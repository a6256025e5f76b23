// `tune --dry-run`: the experiment runs against the simulator's virtual-time model instead of a host, so it follows
// the decisions the model predicts, prints every launch and benchmark command the real run would issue, and sums
// a time estimate. Nothing is launched and nothing is written to the user's store.
import { classifyCrash } from '../engines/crash';
import { renderVariant } from '../engines/index';
import type { GoodputSlo } from '../bench/metrics';
import type { EngineVariant, HostFacts, Runner, Workload } from '../plan/schema';
import { planLaunch, splitServeCommand } from '../sim/engines/index';
import { resolveGpu } from '../sim/gpus';
import type { HostProfile } from '../sim/hostProfile';
import type { ModelSpec } from '../sim/models/index';
import { predictBenchmark, type PredictOptions, type SimWorkload } from '../sim/predict';
import type { BenchmarkOutcome, BenchmarkRequest, EngineSession, LaunchOutcome, TuneBackend } from './experiment';

/** How the real backend renders commands, so the dry run prints exactly what the real run would. */
export interface CommandRenderer {
  readonly runner: Runner;
  launchCommand(variant: EngineVariant): string;
  benchCommand(variant: EngineVariant, workload: Workload): string;
}

export interface DryRunStep {
  kind: 'launch' | 'benchmark' | 'crash';
  command: string;
  /** Predicted seconds of wall time on the host (after the simulator's speedup, if any). */
  seconds: number;
}

/** A plan's workload as the simulator's prediction takes it: the requests, their seed and how they are sent. */
export function predictOptionsOf(w: Workload): Pick<PredictOptions, 'workload' | 'seed' | 'requestRate' | 'burstiness' | 'maxConcurrency'> {
  const d = w.dataset;
  const workload: SimWorkload = d.kind === 'random' ? { kind: 'random', input: d.inputLen, output: d.outputLen, count: w.numPrompts } : { kind: 'sharegpt', count: w.numPrompts };
  return {
    workload,
    seed: w.seed,
    ...(w.requestRate !== 'inf' ? { requestRate: w.requestRate } : {}),
    burstiness: w.burstiness,
    ...(w.maxConcurrency !== undefined ? { maxConcurrency: w.maxConcurrency } : {}),
  };
}

/** Seconds to stop an engine and see its GPU memory released; a fixed allowance per launch. */
const STOP_ALLOWANCE_S = 5;

export class PredictingBackend implements TuneBackend {
  readonly steps: DryRunStep[] = [];
  private sessions = 0;
  /** The launch number of each session: a profile's noise is drawn once per launch. */
  private readonly launches = new Map<string, number>();

  constructor(
    private readonly commands: CommandRenderer,
    private readonly host: {
      facts: HostFacts;
      gpu: string;
      count: number;
      speedup: number;
      /** Measures a host with these hidden deviations (virtual-time tests and the bench of the predicted search). */
      profile?: HostProfile;
      /** The objective's per-request limits: `request_goodput` is computed as the runner's --goodput would. */
      goodput?: GoodputSlo;
      /** Models the host holds besides the simulator's catalog (their config.json). */
      models?: readonly ModelSpec[];
    },
  ) {
    resolveGpu(host.gpu);
  }

  private get models(): { models?: readonly ModelSpec[] } {
    return this.host.models ? { models: this.host.models } : {};
  }

  get runner(): Runner {
    return this.commands.runner;
  }

  get totalSeconds(): number {
    return this.steps.reduce((s, x) => s + x.seconds, 0);
  }

  async facts(): Promise<HostFacts> {
    return this.host.facts;
  }

  launchCommand(variant: EngineVariant): string {
    return this.commands.launchCommand(variant);
  }

  benchCommand(variant: EngineVariant, workload: Workload): string {
    return this.commands.benchCommand(variant, workload);
  }

  private argv(variant: EngineVariant): string[] {
    return renderVariant(variant, { port: 8000 }).argv;
  }

  async launch(variant: EngineVariant): Promise<LaunchOutcome> {
    const command = this.launchCommand(variant);
    const { engine, args } = splitServeCommand(this.argv(variant));
    const launch = this.sessions + 1;
    const profile = this.host.profile ? { profile: this.host.profile, launch } : {};
    const plan = planLaunch(engine, args, { gpu: resolveGpu(this.host.gpu), count: this.host.count, speedup: 1, ...profile, ...this.models }, { env: variant.env });
    const ready = plan.events.find((e) => e.kind === 'ready');
    const end = plan.events.reduce((t, e) => Math.max(t, e.at), 0);
    if (plan.crash || !ready) {
      const log = plan.events.flatMap((e) => (e.kind === 'log' ? [e.text] : []));
      const crash = classifyCrash(log, { exitCode: plan.crash?.exitCode ?? 1 });
      this.steps.push({ kind: 'crash', command: `${command}   # predicted crash: ${crash.rootCause}`, seconds: this.wall(end) });
      return { ok: false, crash, command, hostS: end };
    }
    this.steps.push({ kind: 'launch', command, seconds: this.wall(ready.at) + STOP_ALLOWANCE_S });
    const runId = `dry-run-${++this.sessions}`;
    this.launches.set(runId, launch);
    return { ok: true, session: { runId, command, variant }, startupS: this.wall(ready.at), hostS: ready.at };
  }

  async warmup(): Promise<void> {}

  async resetPrefixCache(): Promise<boolean> {
    return true;
  }

  async benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome> {
    const w = request.workload;
    const prediction = predictBenchmark({
      gpu: this.host.gpu,
      count: this.host.count,
      ...this.models,
      argv: this.argv(request.session.variant),
      ...predictOptionsOf(w),
      percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'],
      ...(this.host.goodput ? { goodput: this.host.goodput } : {}),
      ...(this.host.profile ? { profile: this.host.profile, launch: this.launches.get(request.session.runId) ?? 0 } : {}),
    });
    if (!prediction.metrics) throw new Error(`the model predicts a crash during the benchmark: ${prediction.crash?.rootCause ?? 'unknown'}`);
    const benchCommand = this.benchCommand(request.session.variant, w);
    this.steps.push({ kind: 'benchmark', command: benchCommand, seconds: this.wall(prediction.metrics.duration) });
    const now = new Date().toISOString();
    return {
      metrics: prediction.metrics,
      ...(prediction.block ? { rawOutput: prediction.block } : {}),
      benchCommand,
      sourceKind: 'simulator',
      interrupted: false,
      startedAt: now,
      endedAt: now,
      notes: ['predicted by the simulator in virtual time (dry run)'],
      ...(prediction.outputs ? { requests: prediction.outputs } : {}),
    };
  }

  async stop(_session: EngineSession): Promise<void> {}

  async stopLeftovers(_runIds: readonly string[], _match: { since: string; variants: readonly EngineVariant[] }): Promise<string[]> {
    return [];
  }

  private wall(seconds: number): number {
    return seconds / this.host.speedup;
  }
}
