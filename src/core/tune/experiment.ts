// The experiment runner (issue 6): baseline → stages (staged greedy, or one grid) → recommendation → generalization,
// against a TuneBackend (a real host, or a prediction). Every result and every change of the manifest is saved at
// once, so an interrupted experiment resumes without re-running a finished point.
import type { RequestOutput } from '../bench/metrics';
import type {
  BenchmarkMetrics,
  BenchmarkResult,
  Crash,
  CurveRecord,
  EngineVariant,
  Experiment,
  HostFacts,
  OptionOutcome,
  OptionRecord,
  Runner,
  LoadPlan,
  LoadPointRecord,
  StageRecord,
  TuningPlan,
  Workload,
} from '../plan/schema';
import { resolveWorkload } from '../plan/presets';
import { newStoreId, type ResultsStore } from '../results/store';
import { HostBusyError } from '../remote/hostUse';
import { ExperimentBusyError, takeExperiment, type OwnerLease } from './owner';
import type { LiveSample, RequestSample } from '../telemetry/samples';
import { curveObjective, plannedPoints, runLoadPlan, variantGpus, workloadLoads, type PointDone, type PointRequest } from './curve';
import type { RunObserver, RunPosition } from './observer';
import {
  baselineVariant,
  budgetExhausted,
  decideStage,
  gridCombinations,
  measuredOutcome,
  objectiveMetric,
  optionVariant,
  outcomeOf,
  signedPct,
  variantKey,
  type Contender,
} from './search';

/** A launched engine that is ready to serve. */
export interface EngineSession {
  runId: string;
  /** The exact command that was launched (including what the runner added, such as SGLang's --enable-metrics). */
  command: string;
  variant: EngineVariant;
  /** A simulated engine runs this many times faster than its own clock (its live samples arrive on the wall clock). */
  speedup?: number;
}

export type LaunchOutcome = { ok: true; session: EngineSession; startupS: number } | { ok: false; crash: Crash; runId?: string; command: string };

export interface BenchmarkRequest {
  session: EngineSession;
  workload: Workload;
  position: RunPosition;
  signal: AbortSignal;
  onSample(sample: LiveSample): void;
  onRequest(sample: RequestSample): void;
  onLog(line: string): void;
}

export interface BenchmarkOutcome {
  metrics: BenchmarkMetrics;
  rawOutput?: string;
  benchCommand: string;
  sourceKind: BenchmarkResult['source']['kind'];
  /** True when the run was stopped before it finished (Ctrl-C): the metrics cover what was measured. */
  interrupted: boolean;
  startedAt: string;
  endedAt: string;
  notes: string[];
  /** Per-request records (seconds from the first send, on the simulated clock) when the runner provides them. */
  requests?: readonly RequestOutput[];
}

/** Where an experiment's launches and benchmarks happen. The real one drives a host; a predicting one forecasts. */
export interface TuneBackend {
  readonly runner: Runner;
  /** Variants it can measure at once (several hosts of a pool, a Slurm host's jobs); absent = one. */
  readonly parallelism?: number;
  facts(signal: AbortSignal): Promise<HostFacts>;
  /** The launch command of a variant as a user would type it (what the report shows). */
  launchCommand(variant: EngineVariant): string;
  /** The benchmark command for a workload (dry runs print it). */
  benchCommand(variant: EngineVariant, workload: Workload): string;
  launch(variant: EngineVariant, options: { signal: AbortSignal; onLog(line: string): void }): Promise<LaunchOutcome>;
  /** One tiny request so JIT/autotune warmup is not measured. */
  warmup(session: EngineSession, signal: AbortSignal): Promise<void>;
  /** Clears the engine's prefix cache; false when the engine refused (then the runner varies the seed instead). */
  resetPrefixCache(session: EngineSession, signal: AbortSignal): Promise<boolean>;
  benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome>;
  /** Stops the engine and waits until its port and GPU memory are released. */
  stop(session: EngineSession): Promise<void>;
  /**
   * Stops engines an interrupted experiment left running: the runs it recorded, and any run of one of its variants
   * launched since it started (a kill during start-up happens before the run id is known). Returns the ids stopped.
   */
  stopLeftovers(runIds: readonly string[], match: { since: string; variants: readonly EngineVariant[] }): Promise<string[]>;
  /**
   * Holds the host for this experiment until the returned release runs, refusing (with who holds it and how to stop
   * that) while another experiment or engine start uses it. Backends that launch nothing have no host to hold.
   */
  holdHost?(purpose: string): Promise<() => Promise<void>>;
}

export class ExperimentError extends Error {}

/** The engine died while a benchmark ran (e.g. out of memory under load): the option's result is this crash. */
export class EngineCrashedError extends Error {
  constructor(readonly crash: Crash) {
    super(`the engine crashed during the benchmark (${crash.reason}): ${crash.rootCause}`);
  }
}

export interface RunExperimentOptions {
  plan: TuningPlan;
  planPath?: string;
  backend: TuneBackend;
  store: ResultsStore;
  observer?: RunObserver;
  signal: AbortSignal;
  /** Continue this stored experiment instead of starting a new one. */
  resumeId?: string;
  /** Reads a pasted serve command line into a variant (the engines module's parseServeCommand). */
  parseCommand(line: string): EngineVariant;
  /** Facts recorded on the experiment, e.g. "simulated host at speedup 40×". */
  notes?: string[];
  now?: () => number;
}

const BASELINE = 'Baseline';
/** Launch attempts when the engine's port was taken by someone else in the meantime. */
const PORT_RETRIES = 3;
const GENERALIZATION = 'Generalization';
const RECOMMENDED = 'Recommended';

const pointKey = (stage: string, option: string, workload: string, repeat: number) => `${stage}\u0000${option}\u0000${workload}\u0000${repeat}`;

/** Benchmark runs a plan needs (at most for plain points, an estimate for capacity searches). */
export function plannedRuns(plan: TuningPlan, optionCount: number): number {
  const loads = workloadLoads(plan);
  const runsOf = (spec: TuningPlan['workloads']['primary']) => plannedPoints(loads.get(spec), plan.repeats);
  const primary = runsOf(plan.workloads.primary);
  const generalization = plan.workloads.generalization.reduce((n, w) => n + runsOf(w), 0);
  return primary * (1 + optionCount) + 2 * generalization;
}

export async function runExperiment(options: RunExperimentOptions): Promise<Experiment> {
  const runner = new ExperimentRunner(options);
  return runner.run();
}

class ExperimentRunner {
  private readonly plan: TuningPlan;
  private readonly backend: TuneBackend;
  private readonly store: ResultsStore;
  private readonly observer: RunObserver;
  private readonly signal: AbortSignal;
  private readonly now: () => number;
  private experiment!: Experiment;
  /** This process's claim on the experiment (its owner file), and on the host while it runs. */
  private lease: OwnerLease | undefined;
  private releaseHost: (() => Promise<void>) | undefined;
  /** Finished (complete) results of this experiment by point. */
  private readonly done = new Map<string, BenchmarkResult>();
  /** Outcomes by variant, so an option that launches an already measured variant is not measured again. */
  private readonly byVariant = new Map<string, OptionOutcome>();
  private readonly primary: Workload;
  private readonly generalization: Workload[];
  /** Load plans by workload name (a workload's own, else the plan's). */
  private readonly loads = new Map<string, LoadPlan>();
  private runsDone = 0;
  private runsTotal = 0;
  private searchRuns = 0;
  private readonly startedAtMs: number;
  private measuredSeconds = 0;
  private measuredRuns = 0;

  constructor(private readonly options: RunExperimentOptions) {
    this.plan = options.plan;
    this.backend = options.backend;
    this.store = options.store;
    this.observer = options.observer ?? {};
    this.signal = options.signal;
    this.now = options.now ?? Date.now;
    this.startedAtMs = this.now();
    this.primary = resolveWorkload(this.plan.workloads.primary);
    this.generalization = this.plan.workloads.generalization.map(resolveWorkload);
    for (const [spec, load] of workloadLoads(this.plan)) this.loads.set(resolveWorkload(spec).name, load);
    const names = [this.primary, ...this.generalization].map((w) => w.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new ExperimentError(`two workloads are both named "${duplicate}"; give each workload a distinct "name" in the plan`);
  }

  async run(): Promise<Experiment> {
    try {
      await this.open();
      return await this.runOpened();
    } finally {
      await this.releaseHost?.();
      await this.lease?.release();
    }
  }

  /** Takes the experiment or the host; "in use by …" is an ExperimentError like any other reason not to run. */
  private async claim<T>(take: () => Promise<T>): Promise<T> {
    try {
      return await take();
    } catch (err) {
      if (err instanceof ExperimentBusyError || err instanceof HostBusyError) throw new ExperimentError(err.message);
      throw err;
    }
  }

  private async runOpened(): Promise<Experiment> {
    try {
      const baseline = await this.measureBaseline();
      let incumbent = { name: BASELINE, variant: baseline.variant, outcome: baseline.outcome! };
      if (this.plan.strategy === 'grid') incumbent = await this.grid(incumbent);
      else for (const [index, stage] of this.plan.stages.entries()) incumbent = await this.stage(index, stage, incumbent);
      await this.recommend(incumbent);
      await this.generalize(baseline, incumbent);
      this.experiment.status = 'completed';
      this.experiment.endedAt = new Date(this.now()).toISOString();
      await this.save();
      this.observer.experimentFinished?.(this.experiment);
      return this.experiment;
    } catch (err) {
      if (this.signal.aborted || err instanceof Interrupted) {
        this.experiment.status = 'interrupted';
        this.experiment.endedAt = new Date(this.now()).toISOString();
        await this.save();
        this.observer.experimentFinished?.(this.experiment);
        return this.experiment;
      }
      this.experiment.status = 'failed';
      this.experiment.error = (err as Error).message;
      this.experiment.endedAt = new Date(this.now()).toISOString();
      await this.save();
      throw err;
    }
  }

  // ------------------------------------------------------------ state

  private async open(): Promise<void> {
    const { resumeId } = this.options;
    const optionCount = this.plan.strategy === 'grid' ? gridCombinations(this.plan, baselineVariant(this.plan, this.options.parseCommand), this.options.parseCommand).length : this.plan.stages.reduce((n, s) => n + s.options.length, 0);
    this.runsTotal = plannedRuns(this.plan, optionCount);
    if (resumeId) {
      // Before anything else: a live run of this experiment must not have its engines stopped or its manifest replaced.
      this.lease = await this.claim(() => takeExperiment(this.store.root, resumeId));
      const stored = await this.store.loadExperiment(resumeId);
      if (JSON.stringify(stored.plan) !== JSON.stringify(this.plan)) {
        throw new ExperimentError(`the plan differs from the one experiment ${resumeId} started with; resume with the same plan file, or start a new experiment without --resume`);
      }
      if (stored.status === 'completed') throw new ExperimentError(`experiment ${resumeId} already completed; nothing to resume (\`serving-lab results show ${resumeId}\` shows it)`);
      const facts = await this.backend.facts(this.signal);
      if (facts.name !== stored.host.name) {
        throw new ExperimentError(`experiment ${resumeId} ran on host "${stored.host.name}", not "${facts.name}": resume it with --host ${stored.host.name} so all its results come from one host`);
      }
      this.experiment = stored;
      this.releaseHost = await this.claim(async () => this.backend.holdHost?.(`tune --resume ${resumeId}`));
      // An interrupted run may have left an engine running (killed before it could stop it): stop it first.
      const variants = [stored.baseline, ...stored.stages.flatMap((s) => s.options)].map((o) => o.variant);
      if (stored.recommendation) variants.push(stored.recommendation.variant);
      const stopped = await this.backend.stopLeftovers(stored.engineRunIds, { since: stored.startedAt, variants });
      for (const id of stopped) this.log(`stopped engine run ${id} left behind by the interrupted run`);
      const { results } = await this.store.listResults();
      for (const r of results) {
        if (r.experimentId !== resumeId || r.status !== 'complete' || r.stage === undefined || r.option === undefined || !r.workload || r.repeat === undefined) continue;
        this.done.set(pointKey(r.stage, r.option, r.load ? curvePointName(r.workload.name, r.load) : r.workload.name, r.repeat), r);
      }
      this.runsDone = this.done.size;
      this.experiment.status = 'running';
      delete this.experiment.error;
      delete this.experiment.endedAt;
      this.experiment.notes = [...this.experiment.notes, `resumed at ${new Date(this.now()).toISOString()} (${this.done.size} finished benchmark runs kept)`];
    } else {
      const facts = await this.backend.facts(this.signal);
      const variant = baselineVariant(this.plan, this.options.parseCommand);
      const id = newStoreId('x', new Date(this.now()));
      this.lease = await this.claim(() => takeExperiment(this.store.root, id));
      this.releaseHost = await this.claim(async () => this.backend.holdHost?.(`tune ${id} (${this.plan.name})`));
      this.experiment = {
        schemaVersion: 1,
        id,
        ...(this.options.planPath ? { planPath: this.options.planPath } : {}),
        plan: this.plan,
        host: facts,
        status: 'running',
        startedAt: new Date(this.now()).toISOString(),
        baseline: { name: BASELINE, variant, command: this.backend.launchCommand(variant), incumbent: false },
        stages: [],
        generalization: [],
        curves: [],
        engineRunIds: [],
        notes: [...(this.options.notes ?? [])],
      };
    }
    await this.save();
    this.observer.experimentStarted?.(this.experiment, { resumed: Boolean(resumeId), runsDone: this.runsDone, runsTotal: this.runsTotal });
  }

  private async save(): Promise<void> {
    // Re-read first: a copy this process holds must never replace what another process saved since (a resume that
    // finished the experiment, or took it over from this one).
    const id = this.experiment.id;
    if (this.lease && !(await this.lease.held())) throw new ExperimentError(`experiment ${id} was taken over by another process; this one stops without saving its copy`);
    const stored = await this.store.loadExperiment(id).catch(() => undefined);
    if (stored?.status === 'completed' && this.experiment.status !== 'completed') {
      throw new ExperimentError(`experiment ${id} was completed by another process meanwhile; this process's older copy is not saved (\`serving-lab results show ${id}\`)`);
    }
    await this.store.saveExperiment(this.experiment);
    this.observer.experimentSaved?.(this.experiment);
  }

  private log(line: string): void {
    this.observer.log?.(line, 'tune');
  }

  private checkAbort(): void {
    if (this.signal.aborted) throw new Interrupted();
  }

  // ------------------------------------------------------------ steps

  private async measureBaseline(): Promise<OptionRecord> {
    const record = this.experiment.baseline;
    if (!record.outcome) {
      // The baseline launch also runs the generalization workloads: one launch instead of two.
      const outcome = await this.measure({ stage: BASELINE, stageIndex: -1, option: BASELINE, record, workloads: [this.primary, ...this.generalization], countsForBudget: false });
      record.outcome = outcome.primary;
      await this.save();
    }
    if (record.outcome.kind === 'crashed') {
      throw new ExperimentError(`the baseline crashed (${record.outcome.crash.reason}: ${record.outcome.crash.rootCause}); fix the baseline variant in the plan, then run again`);
    }
    if (record.outcome.kind === 'skipped') throw new ExperimentError(`the baseline was not measured: ${record.outcome.why}`);
    this.byVariant.set(variantKey(record.variant), record.outcome);
    return record;
  }

  private async stage(index: number, stage: TuningPlan['stages'][number], incumbent: { name: string; variant: EngineVariant; outcome: OptionOutcome }) {
    let record = this.experiment.stages[index];
    if (!record) {
      record = { name: stage.name, kind: stage.kind, options: [] };
      this.experiment.stages[index] = record;
    }
    if (!record.options.some((o) => o.incumbent)) {
      record.options.unshift({ name: incumbent.name, variant: incumbent.variant, command: this.backend.launchCommand(incumbent.variant), incumbent: true, outcome: incumbent.outcome });
    }
    const pending: OptionRecord[] = [];
    for (const option of stage.options) {
      let optionRecord = record.options.find((o) => !o.incumbent && o.name === option.name);
      if (!optionRecord) {
        let variant: EngineVariant;
        try {
          variant = optionVariant(option, incumbent.variant, this.plan.model, this.options.parseCommand);
        } catch (err) {
          throw new ExperimentError(`stage "${stage.name}", option "${option.name}": ${(err as Error).message}`);
        }
        optionRecord = { name: option.name, variant, command: this.backend.launchCommand(variant), incumbent: false };
        record.options.push(optionRecord);
      }
      pending.push(optionRecord);
    }
    await this.measureOptions(stage.name, index, pending);
    return this.decide(record, incumbent);
  }

  private async grid(incumbent: { name: string; variant: EngineVariant; outcome: OptionOutcome }) {
    let record = this.experiment.stages[0];
    if (!record) {
      record = { name: 'Grid', kind: 'other', options: [] };
      this.experiment.stages[0] = record;
      record.options.push({ name: incumbent.name, variant: incumbent.variant, command: this.backend.launchCommand(incumbent.variant), incumbent: true, outcome: incumbent.outcome });
      for (const combo of gridCombinations(this.plan, incumbent.variant, this.options.parseCommand)) {
        if (variantKey(combo.variant) === variantKey(incumbent.variant)) continue;
        record.options.push({ name: combo.name, variant: combo.variant, command: this.backend.launchCommand(combo.variant), incumbent: false });
      }
      await this.save();
    }
    await this.measureOptions(record.name, 0, record.options.filter((o) => !o.incumbent));
    return this.decide(record, incumbent);
  }

  /** A stage's options are independent: measured `backend.parallelism` at a time, in the plan's order. */
  private async measureOptions(stage: string, stageIndex: number, records: OptionRecord[]): Promise<void> {
    const queue = [...records];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        this.checkAbort();
        await this.measureOption(stage, stageIndex, next);
      }
    };
    const workers = Math.max(1, Math.min(this.backend.parallelism ?? 1, queue.length));
    const settled = await Promise.allSettled(Array.from({ length: workers }, worker));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async measureOption(stage: string, stageIndex: number, record: OptionRecord): Promise<void> {
    if (record.outcome) {
      this.byVariant.set(variantKey(record.variant), record.outcome);
      return;
    }
    const known = this.byVariant.get(variantKey(record.variant));
    if (known && known.kind !== 'skipped') {
      // The same launch was measured earlier in this experiment (e.g. the engine stage's vLLM = the baseline).
      record.outcome = known;
    } else {
      const budget = budgetExhausted(this.plan, { runsDone: this.searchRuns, startedAtMs: Date.parse(this.experiment.startedAt), nowMs: this.now() });
      record.outcome = budget
        ? { kind: 'skipped', why: budget }
        : (await this.measure({ stage, stageIndex, option: record.name, record, workloads: [this.primary], countsForBudget: true })).primary;
      if (budget) this.log(`${stage} / ${record.name}: skipped, ${budget}`);
    }
    this.byVariant.set(variantKey(record.variant), record.outcome);
    await this.save();
  }

  private async decide(record: StageRecord, incumbent: { name: string; variant: EngineVariant; outcome: OptionOutcome }) {
    if (!record.decision) {
      const contenders: Contender[] = record.options.filter((o) => !o.incumbent).map((o) => ({ name: o.name, outcome: o.outcome! }));
      record.decision = decideStage({ name: incumbent.name, outcome: incumbent.outcome }, contenders);
      await this.save();
      this.observer.decision?.(record.name, record.decision);
      this.log(`${record.name}: ${record.decision.why}`);
    }
    const winner = record.options.find((o) => !o.incumbent && o.name === record.decision!.winner);
    return winner ? { name: winner.name, variant: winner.variant, outcome: winner.outcome! } : incumbent;
  }

  private async recommend(incumbent: { name: string; variant: EngineVariant; outcome: OptionOutcome }): Promise<void> {
    const gains = this.experiment.stages
      .filter((s) => s.decision && s.decision.gainPct !== 0)
      .map((s) => `${s.name}: ${s.decision!.winner} ${signedPct(s.decision!.gainPct)}${s.decision!.withinNoise ? ' (within noise)' : ''}`);
    const base = this.experiment.baseline.outcome;
    const total =
      base && (base.kind === 'measured' || base.kind === 'violates-constraints') && (incumbent.outcome.kind === 'measured' || incumbent.outcome.kind === 'violates-constraints')
        ? ` Overall ${signedPct(((incumbent.outcome.objective.mean - base.objective.mean) / base.objective.mean) * 100)} over the baseline on ${this.primary.name}.`
        : '';
    this.experiment.recommendation = {
      variant: incumbent.variant,
      command: this.backend.launchCommand(incumbent.variant),
      why: gains.length > 0 ? `Kept gains — ${gains.join('; ')}.${total}` : `No option beat the baseline.${total}`,
    };
    await this.save();
  }

  private async generalize(baseline: OptionRecord, incumbent: { name: string; variant: EngineVariant; outcome: OptionOutcome }): Promise<void> {
    const sameAsBaseline = variantKey(incumbent.variant) === variantKey(baseline.variant);
    const idsOf = (outcome: OptionOutcome | undefined) => (outcome && (outcome.kind === 'measured' || outcome.kind === 'violates-constraints') ? outcome.resultIds : []);
    let recommended: Map<string, string[]> = new Map();
    if (this.generalization.length > 0 && !sameAsBaseline) {
      const record: OptionRecord = { name: RECOMMENDED, variant: incumbent.variant, command: this.backend.launchCommand(incumbent.variant), incumbent: false };
      recommended = (await this.measure({ stage: GENERALIZATION, stageIndex: this.plan.stages.length, option: RECOMMENDED, record, workloads: this.generalization, countsForBudget: false })).byWorkload;
    }
    const baselineIds = (w: Workload) => this.idsFor(BASELINE, BASELINE, w);
    this.experiment.generalization = [
      { workload: this.primary, baselineResultIds: idsOf(baseline.outcome), recommendedResultIds: idsOf(incumbent.outcome) },
      ...this.generalization.map((w) => ({ workload: w, baselineResultIds: baselineIds(w), recommendedResultIds: sameAsBaseline ? baselineIds(w) : (recommended.get(w.name) ?? []) })),
    ];
    await this.save();
  }

  private idsFor(stage: string, option: string, workload: Workload): string[] {
    const ids: string[] = [];
    for (let r = 0; r < this.plan.repeats; r++) {
      const result = this.done.get(pointKey(stage, option, workload.name, r));
      if (result) ids.push(result.id);
    }
    return ids;
  }

  // ------------------------------------------------------------ one launch, several workloads × repeats

  /** Measures once more (only what is missing) when the place went away under the engine: a scheduler kill, a lost host. */
  private async measure(args: MeasureArgs): Promise<{ primary: OptionOutcome; byWorkload: Map<string, string[]> }> {
    const first = await this.measureOnce(args);
    if (first.primary.kind !== 'crashed' || first.primary.crash.reason !== 'place-lost') return first;
    this.experiment.notes.push(`${args.stage} / ${args.option}: ${first.primary.crash.rootCause}; measured again`);
    this.log(`${args.option}: ${first.primary.crash.rootCause}; measuring it again`);
    return this.measureOnce(args);
  }

  private async measureOnce(args: MeasureArgs): Promise<{ primary: OptionOutcome; byWorkload: Map<string, string[]> }> {
    const { stage, option, record, workloads } = args;
    const repeats = this.plan.repeats;
    const plain = workloads.filter((w) => !this.loads.has(w.name));
    const curves = workloads.filter((w) => this.loads.has(w.name) && !this.curveOf(stage, option, w.name));
    const missing = plain.flatMap((w) => Array.from({ length: repeats }, (_, r) => ({ w, r }))).filter(({ w, r }) => !this.done.has(pointKey(stage, option, w.name, r)));

    if (missing.length > 0 || curves.length > 0) {
      this.checkAbort();
      const launched = await this.launch(record);
      if (!launched.ok) return { primary: { kind: 'crashed', crash: launched.crash }, byWorkload: new Map() };
      const session = launched.session;
      try {
        await this.backend.warmup(session, this.signal);
        let first = true;
        // Each run after the first on this launch starts from an empty prefix cache, so no run measures a warm one.
        const prepare = async (w: Workload, r: number) => {
          const notes: string[] = [];
          let workload = w;
          if (!first && !(await this.backend.resetPrefixCache(session, this.signal))) {
            workload = { ...w, seed: w.seed + r };
            notes.push(`the engine refused a prefix-cache reset; seed ${workload.seed} used instead of ${w.seed} so the prompts differ`);
          }
          first = false;
          return { workload, notes };
        };
        for (const w of workloads) {
          this.checkAbort();
          if (curves.includes(w)) {
            await this.measureCurve({ ...args, session, workload: w, prepare });
            continue;
          }
          for (const { r } of missing.filter((m) => m.w === w)) {
            this.checkAbort();
            const { workload, notes } = await prepare(w, r);
            await this.benchmarkPoint({ ...args, session, workload, baseWorkload: w, repeat: r, notes });
          }
        }
      } catch (err) {
        if (this.signal.aborted || err instanceof Interrupted) throw err;
        // The engine died or the client failed mid-run: a result of this option, not the end of the experiment.
        const crash: Crash = err instanceof EngineCrashedError ? err.crash : { reason: 'unknown', rootCause: `benchmark failed: ${(err as Error).message}`, logExcerpt: [] };
        this.observer.engine?.({ state: 'crashed', option, crash });
        this.log(`${option}: ${crash.rootCause}`);
        return { primary: { kind: 'crashed', crash }, byWorkload: new Map() };
      } finally {
        await this.backend.stop(session);
        this.observer.engine?.({ state: 'stopped', option });
      }
    }

    const byWorkload = new Map(workloads.map((w) => [w.name, this.loads.has(w.name) ? this.curveIds(stage, option, w.name) : this.idsFor(stage, option, w)]));
    const primary = workloads[0]!;
    if (this.loads.has(primary.name)) return { primary: this.curveOutcome(stage, option, primary.name), byWorkload };
    const primaryResults = Array.from({ length: repeats }, (_, r) => this.done.get(pointKey(stage, option, primary.name, r))).filter((x): x is BenchmarkResult => x !== undefined);
    if (primaryResults.length === 0) return { primary: { kind: 'skipped', why: 'no benchmark finished' }, byWorkload };
    return {
      primary: measuredOutcome(
        primaryResults.map((r) => r.id),
        primaryResults.map((r) => r.metrics),
        this.plan,
        variantGpus(record.variant.parallel),
      ),
      byWorkload,
    };
  }

  // ------------------------------------------------------------ load curves (issue 13)

  private curveOf(stage: string, option: string, workload: string): CurveRecord | undefined {
    return this.experiment.curves.find((c) => c.stage === stage && c.option === option && c.workload === workload);
  }

  private curveIds(stage: string, option: string, workload: string): string[] {
    return (this.curveOf(stage, option, workload)?.points ?? []).flatMap((p) => (p.resultId ? [p.resultId] : []));
  }

  /** The option's outcome read off its curve: the objective, and the constraints checked on the points that define it. */
  private curveOutcome(stage: string, option: string, workload: string): OptionOutcome {
    const curve = this.curveOf(stage, option, workload);
    if (!curve || curve.points.length === 0) return { kind: 'skipped', why: curve?.stoppedEarly ?? 'no load point finished' };
    const { summary, points } = curveObjective(curve, objectiveMetric(this.plan));
    const defining = points.flatMap((p) => (p.resultId ? [this.resultById(p.resultId)] : [])).filter((r): r is BenchmarkResult => r !== undefined);
    return outcomeOf(this.curveIds(stage, option, workload), summary, defining.map((r) => r.load?.window?.metrics ?? r.metrics), this.plan);
  }

  private resultById(id: string): BenchmarkResult | undefined {
    for (const r of this.done.values()) if (r.id === id) return r;
    return undefined;
  }

  private async measureCurve(args: MeasureArgs & { session: EngineSession; workload: Workload; prepare(w: Workload, r: number): Promise<{ workload: Workload; notes: string[] }> }): Promise<void> {
    const { stage, option, workload, session } = args;
    const objective = this.plan.objective;
    const curve = await runLoadPlan({
      run: (point) => this.runCurvePoint(args, point),
      workload,
      load: this.loads.get(workload.name)!,
      stage,
      option,
      repeats: this.plan.repeats,
      gpus: variantGpus(session.variant.parallel),
      signal: this.signal,
      ...(session.speedup !== undefined ? { speedup: session.speedup } : {}),
      ...(typeof objective === 'object' && objective.slo ? { goodput: objective.slo } : {}),
    });
    this.experiment.curves = [...this.experiment.curves.filter((c) => !(c.stage === stage && c.option === option && c.workload === workload.name)), curve];
    await this.save();
    const capacity = curve.capacity ? `capacity ${curve.capacity.load} (${curve.capacity.requestRate.toFixed(2)} req/s, ${curve.capacity.perGpu.toFixed(2)} per GPU)` : 'no capacity under the SLO';
    this.log(`${option} / ${workload.name}: ${curve.points.length} load points; ${curve.slo ? capacity : 'curve measured'}${curve.stoppedEarly ? ` (${curve.stoppedEarly})` : ''}`);
  }

  private async runCurvePoint(args: MeasureArgs & { session: EngineSession; workload: Workload; prepare(w: Workload, r: number): Promise<{ workload: Workload; notes: string[] }> }, point: PointRequest): Promise<PointDone | undefined> {
    const name = `${args.workload.name}\u0000${point.key}`;
    const cached = this.done.get(pointKey(args.stage, args.option, name, 0));
    if (cached?.load) return { resultId: cached.id, record: cached.load, metrics: cached.metrics };
    if (args.countsForBudget && budgetExhausted(this.plan, { runsDone: this.searchRuns, startedAtMs: Date.parse(this.experiment.startedAt), nowMs: this.now() })) return undefined;
    const index = Number(point.key.split('#')[1]);
    const { workload, notes } = await args.prepare(point.workload, index);
    const { result, record } = await this.benchmarkPoint({ ...args, workload, baseWorkload: args.workload, repeat: 0, notes, point, doneName: name });
    return { ...(result ? { resultId: result.id } : {}), record: record!, metrics: result?.metrics ?? NO_METRICS };
  }

  // ------------------------------------------------------------ one launch

  private async launch(record: OptionRecord): Promise<LaunchOutcome> {
    this.observer.engine?.({ state: 'launching', option: record.name, command: record.command });
    this.log(`launching ${record.name}: ${record.command}`);
    // On disk before the launch: if this process is killed while the engine starts (before its run id is known),
    // a resume still finds the variant and stops the engine by it.
    await this.save();
    let outcome: LaunchOutcome;
    for (let attempt = 1; ; attempt++) {
      outcome = await this.backend.launch(record.variant, { signal: this.signal, onLog: (line) => this.observer.log?.(line, 'engine') });
      const runId = outcome.ok ? outcome.session.runId : outcome.runId;
      if (runId) {
        record.engineRunId = runId;
        this.experiment.engineRunIds.push(runId);
        await this.save();
      }
      // Another process took the free port between the pick and the bind: not the variant's fault, so try again.
      if (outcome.ok || outcome.crash.reason !== 'port-in-use' || attempt >= PORT_RETRIES) break;
      this.log(`${record.name}: ${outcome.crash.rootCause}; launching again on another port`);
    }
    if (!outcome.ok) {
      this.checkAbort();
      this.observer.engine?.({ state: 'crashed', option: record.name, crash: outcome.crash });
      this.log(`${record.name} crashed (${outcome.crash.reason}): ${outcome.crash.rootCause}`);
    } else {
      this.observer.engine?.({ state: 'ready', option: record.name, startupS: outcome.startupS });
    }
    return outcome;
  }

  private async benchmarkPoint(args: {
    stage: string;
    stageIndex: number;
    option: string;
    record: OptionRecord;
    session: EngineSession;
    workload: Workload;
    baseWorkload: Workload;
    repeat: number;
    notes: string[];
    countsForBudget: boolean;
    /** Set for a point of a load curve: its own signal (stopped early when saturated), hooks and record. */
    point?: PointRequest;
    /** The point's name among finished points (a curve point's includes its load). */
    doneName?: string;
  }): Promise<{ result?: BenchmarkResult; record?: LoadPointRecord }> {
    const { point } = args;
    const position: RunPosition = {
      experimentId: this.experiment.id,
      stage: args.stage,
      stageIndex: args.stageIndex,
      stageCount: this.plan.strategy === 'grid' ? 1 : this.plan.stages.length,
      option: args.option,
      command: args.record.command,
      workload: args.baseWorkload.name,
      repeat: args.repeat + 1,
      repeats: this.plan.repeats,
      ...(point ? { load: { by: point.workload.maxConcurrency !== undefined ? 'concurrency' : 'request_rate', value: point.workload.maxConcurrency ?? point.workload.requestRate } } : {}),
    };
    this.observer.point?.(position);
    const started = this.now();
    const stoppedEarly = () => point !== undefined && point.signal.aborted && !this.signal.aborted;
    let outcome: BenchmarkOutcome;
    try {
      outcome = await this.backend.benchmark({
        session: args.session,
        workload: args.workload,
        position,
        signal: point?.signal ?? this.signal,
        onSample: (s) => {
          this.observer.sample?.(s);
          point?.onSample(s);
        },
        onRequest: (s) => {
          this.observer.request?.(s);
          point?.onRequest(s);
        },
        onLog: (line) => this.observer.log?.(line, 'bench'),
      });
    } catch (err) {
      // A saturated point stopped before its client reported anything: the curve records it without a result.
      if (!stoppedEarly()) throw err;
      this.log(`${args.option}: ${(point!.signal.reason as Error).message}; stopped early`);
      return { record: point!.assess({ metrics: NO_METRICS }) };
    }
    const record: LoadPointRecord | undefined = point?.assess({ metrics: outcome.metrics, ...(outcome.requests ? { requests: outcome.requests } : {}) });
    const partial = outcome.interrupted && !stoppedEarly();
    const result: BenchmarkResult = {
      schemaVersion: 1,
      id: newStoreId('r', new Date(this.now())),
      createdAt: new Date(this.now()).toISOString(),
      status: partial ? 'interrupted' : 'complete',
      metrics: outcome.metrics,
      ...(outcome.rawOutput !== undefined ? { rawOutput: outcome.rawOutput } : {}),
      variant: args.session.variant,
      workload: args.workload,
      host: this.experiment.host,
      ...(this.experiment.host.engineVersions[args.session.variant.engine] ? { engineVersion: this.experiment.host.engineVersions[args.session.variant.engine] } : {}),
      runner: this.backend.runner,
      source: { kind: outcome.sourceKind },
      commands: { serve: args.session.command, bench: outcome.benchCommand },
      startedAt: outcome.startedAt,
      endedAt: outcome.endedAt,
      experimentId: this.experiment.id,
      stage: args.stage,
      option: args.option,
      repeat: args.repeat,
      ...(record ? { load: record } : {}),
      notes: [...(this.options.notes ?? []), ...args.notes, ...outcome.notes, ...(stoppedEarly() ? [`stopped early, saturated: ${record?.saturated?.reasons.join('; ') ?? ''}`] : [])],
    };
    await this.store.saveResult(result);
    this.observer.resultSaved?.(result, position);
    if (partial) throw new Interrupted();
    // The point is finished only once its complete result is on disk.
    this.done.set(pointKey(args.stage, args.option, args.doneName ?? args.baseWorkload.name, args.repeat), result);
    this.runsDone++;
    if (args.countsForBudget) this.searchRuns++;
    this.measuredRuns++;
    this.measuredSeconds += (this.now() - started) / 1000;
    const remainingRuns = Math.max(0, this.runsTotal - this.runsDone);
    this.observer.eta?.({
      runsDone: this.runsDone,
      runsTotal: this.runsTotal,
      elapsedS: (this.now() - this.startedAtMs) / 1000,
      remainingS: (this.measuredSeconds / this.measuredRuns) * remainingRuns,
    });
    return { result, ...(record ? { record } : {}) };
  }
}

interface MeasureArgs {
  stage: string;
  stageIndex: number;
  option: string;
  record: OptionRecord;
  workloads: Workload[];
  countsForBudget: boolean;
}

/** A point stopped before its client reported: nothing measured. */
const NO_METRICS: BenchmarkMetrics = { duration: 0, completed: 0, failed: 0, total_input_tokens: 0, total_output_tokens: 0, request_throughput: 0, output_throughput: 0, total_token_throughput: 0 };

/** The finished-point name of a curve point, as its result's load record gives it. */
function curvePointName(workload: string, load: LoadPointRecord): string {
  return `${workload}\u0000${load.by}=${load.value}#${load.index}`;
}

class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}
