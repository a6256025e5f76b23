// Measuring one option (issue 6, load curves issue 13): launch it once, warm it up, run each workload × repeat (or a
// workload's load curve) on a fresh prefix cache, save every result at once, stop the engine. Also the bookkeeping
// of finished points, so a resumed experiment measures only what is missing.
import { planStrategy, type BenchmarkMetrics, type BenchmarkResult, type Crash, type CurveRecord, type Experiment, type LoadPlan, type LoadPointRecord, type OptionOutcome, type OptionRecord, type TuningPlan, type Workload } from '../plan/schema';
import { newStoreId, type ResultsStore } from '../results/store';
import { EngineCrashedError, type BenchmarkOutcome, type EngineSession, type LaunchOutcome, type TuneBackend } from './backend';
import { curveObjective, runLoadPlan, variantGpus, type PointDone, type PointRequest } from './curve';
import type { Placement, RunObserver, RunPosition } from './observer';
import { budgetExhausted, measuredOutcome, objectiveMetric, outcomeOf } from './search';

/** Launch attempts when the engine's port was taken by someone else in the meantime. */
const PORT_RETRIES = 3;

export const pointKey = (stage: string, option: string, workload: string, repeat: number) => `${stage}\u0000${option}\u0000${workload}\u0000${repeat}`;

/** What the measurer shares with the experiment runner: the plan, the host, the store and the manifest. */
export interface MeasureContext {
  plan: TuningPlan;
  backend: TuneBackend;
  store: ResultsStore;
  observer: RunObserver;
  signal: AbortSignal;
  now: () => number;
  /** Facts recorded on every result (the run's notes). */
  notes: readonly string[];
  experiment(): Experiment;
  save(): Promise<void>;
}

export interface MeasureArgs {
  stage: string;
  /** Where the option's engine runs, once the backend placed it (filled in by the launch). */
  where?: { place?: Placement };
  stageIndex: number;
  option: string;
  record: OptionRecord;
  workloads: Workload[];
  countsForBudget: boolean;
}

export class PointMeasurer {
  /** Finished (complete) results of this experiment by point. */
  readonly done = new Map<string, BenchmarkResult>();
  /** Load plans by workload name (a workload's own, else the plan's). */
  readonly loads = new Map<string, LoadPlan>();
  runsDone = 0;
  runsTotal = 0;
  /** Benchmark runs that count against the plan's budget (the search's, not the baseline's or generalization's). */
  searchRuns = 0;
  /** GPU-seconds each option's launches and benchmarks held the host for (time × the variant's GPUs), by stage and option. */
  readonly gpuSeconds = new Map<string, number>();
  private readonly startedAtMs: number;
  private measuredSeconds = 0;
  private measuredRuns = 0;

  constructor(private readonly ctx: MeasureContext) {
    this.startedAtMs = ctx.now();
  }

  private get plan(): TuningPlan {
    return this.ctx.plan;
  }
  private get backend(): TuneBackend {
    return this.ctx.backend;
  }
  private get store(): ResultsStore {
    return this.ctx.store;
  }
  private get observer(): RunObserver {
    return this.ctx.observer;
  }
  private get signal(): AbortSignal {
    return this.ctx.signal;
  }
  private get experiment(): Experiment {
    return this.ctx.experiment();
  }
  private now(): number {
    return this.ctx.now();
  }
  private save(): Promise<void> {
    return this.ctx.save();
  }
  private log(line: string): void {
    this.observer.log?.(line, 'tune');
  }
  checkAbort(): void {
    if (this.signal.aborted) throw new Interrupted();
  }

  /** GPU-seconds of one option so far. */
  gpuSecondsOf(stage: string, option: string): number {
    return this.gpuSeconds.get(`${stage}\u0000${option}`) ?? 0;
  }

  private addGpuTime(stage: string, option: string, record: OptionRecord, seconds: number): void {
    const key = `${stage}\u0000${option}`;
    this.gpuSeconds.set(key, (this.gpuSeconds.get(key) ?? 0) + seconds * variantGpus(record.variant.parallel));
  }

  idsFor(stage: string, option: string, workload: Workload): string[] {
    const ids: string[] = [];
    for (let r = 0; r < this.plan.repeats; r++) {
      const result = this.done.get(pointKey(stage, option, workload.name, r));
      if (result) ids.push(result.id);
    }
    return ids;
  }

  // ------------------------------------------------------------ one launch, several workloads × repeats

  /** Measures once more (only what is missing) when the place went away under the engine: a scheduler kill, a lost host. */
  async measure(args: MeasureArgs): Promise<{ primary: OptionOutcome; byWorkload: Map<string, string[]> }> {
    const first = await this.measureOnce(args);
    if (first.primary.kind !== 'crashed' || first.primary.crash.reason !== 'place-lost') return first;
    this.experiment.notes.push(`${args.stage} / ${args.option}: ${first.primary.crash.rootCause}; measured again`);
    this.log(`${args.option}: ${first.primary.crash.rootCause}; measuring it again`);
    return this.measureOnce(args);
  }

  private async measureOnce(args: MeasureArgs): Promise<{ primary: OptionOutcome; byWorkload: Map<string, string[]> }> {
    const { stage, option, record, workloads } = args;
    // Each measurement places its own engine: a point measured again may land on another host.
    const where: { place?: Placement } = {};
    args = { ...args, where };
    const repeats = this.plan.repeats;
    const plain = workloads.filter((w) => !this.loads.has(w.name));
    const curves = workloads.filter((w) => this.loads.has(w.name) && !this.curveOf(stage, option, w.name));
    const missing = plain.flatMap((w) => Array.from({ length: repeats }, (_, r) => ({ w, r }))).filter(({ w, r }) => !this.done.has(pointKey(stage, option, w.name, r)));

    if (missing.length > 0 || curves.length > 0) {
      this.checkAbort();
      const launchedAt = this.now();
      const launched = await this.launch(record, where);
      // The GPUs are held from the launch to ready (or to the crash), on the host's clock: as the backend says, else
      // the wall time at the simulated engine's speedup.
      const launchS = launched.hostS ?? (launched.ok ? launched.startupS * (launched.session.speedup ?? 1) : ((this.now() - launchedAt) / 1000) * (this.plan.simulator?.speedup ?? 1));
      this.addGpuTime(stage, option, record, launchS);
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
        this.observer.engine?.({ state: 'crashed', option, crash, ...placed(where) });
        this.log(`${option}: ${crash.rootCause}`);
        return { primary: { kind: 'crashed', crash }, byWorkload: new Map() };
      } finally {
        await this.backend.stop(session);
        this.observer.engine?.({ state: 'stopped', option, ...placed(where) });
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
      onProgress: (progress) => this.observer.curve?.(this.experiment.id, progress),
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

  private async launch(record: OptionRecord, where: { place?: Placement }): Promise<LaunchOutcome> {
    this.observer.engine?.({ state: 'launching', option: record.name, command: record.command });
    this.log(`launching ${record.name}: ${record.command}`);
    // On disk before the launch: if this process is killed while the engine starts (before its run id is known),
    // a resume still finds the variant and stops the engine by it.
    await this.save();
    let outcome: LaunchOutcome;
    for (let attempt = 1; ; attempt++) {
      outcome = await this.backend.launch(record.variant, {
        signal: this.signal,
        onLog: (line) => this.observer.log?.(line, 'engine', where.place),
        onPlace: (place) => {
          where.place = place;
          this.observer.engine?.({ state: 'placed', option: record.name, place });
        },
      });
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
      this.observer.engine?.({ state: 'crashed', option: record.name, crash: outcome.crash, ...placed(where) });
      this.log(`${record.name} crashed (${outcome.crash.reason}): ${outcome.crash.rootCause}`);
    } else {
      this.observer.engine?.({ state: 'ready', option: record.name, startupS: outcome.startupS, ...placed(where) });
    }
    return outcome;
  }

  private async benchmarkPoint(args: {
    stage: string;
    where?: { place?: Placement };
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
      stageCount: planStrategy(this.plan) === 'staged' ? this.plan.stages.length : 1,
      option: args.option,
      command: args.record.command,
      workload: args.baseWorkload.name,
      repeat: args.repeat + 1,
      repeats: this.plan.repeats,
      ...(point ? { load: { by: point.workload.maxConcurrency !== undefined ? 'concurrency' : 'request_rate', value: point.workload.maxConcurrency ?? point.workload.requestRate } } : {}),
      ...placed(args.where ?? {}),
    };
    const place = position.place;
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
          this.observer.sample?.(s, place);
          point?.onSample(s);
        },
        onRequest: (s) => {
          this.observer.request?.(s, place);
          point?.onRequest(s);
        },
        onLog: (line) => this.observer.log?.(line, 'bench', place),
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
      ...(outcome.place ? { place: outcome.place } : {}),
      notes: [...(this.ctx.notes ?? []), ...args.notes, ...outcome.notes, ...(stoppedEarly() ? [`stopped early, saturated: ${record?.saturated?.reasons.join('; ') ?? ''}`] : [])],
    };
    await this.store.saveResult(result);
    this.observer.resultSaved?.(result, position);
    this.addGpuTime(args.stage, args.option, args.record, outcome.metrics.duration);
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

/** The `place` field of an event, when the backend placed the engine. */
const placed = (where: { place?: Placement }): { place?: Placement } => (where.place ? { place: where.place } : {});

/** A point stopped before its client reported: nothing measured. */
const NO_METRICS: BenchmarkMetrics = { duration: 0, completed: 0, failed: 0, total_input_tokens: 0, total_output_tokens: 0, request_throughput: 0, output_throughput: 0, total_token_throughput: 0 };

/** The finished-point name of a curve point, as its result's load record gives it. */
export function curvePointName(workload: string, load: LoadPointRecord): string {
  return `${workload}\u0000${load.by}=${load.value}#${load.index}`;
}

export class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}
