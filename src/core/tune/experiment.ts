// The experiment runner (issue 6): baseline → stages (staged greedy, or one grid) → recommendation → generalization,
// against a TuneBackend (a real host, or a prediction). Every result and every change of the manifest is saved at
// once, so an interrupted experiment resumes without re-running a finished point.
import { planStrategy, type EngineVariant, type Experiment, type OptionOutcome, type OptionRecord, type StageRecord, type TuningPlan, type Workload } from '../plan/schema';
import { resolveWorkload } from '../plan/presets';
import { newStoreId, type ResultsStore } from '../results/store';
import { HostBusyError } from '../remote/hostUse';
import type { ModelSpec } from '../sim/models/index';
import { ExperimentError, type TuneBackend } from './backend';
import { plannedPoints, workloadLoads } from './curve';
import { curvePointName, Interrupted, pointKey, PointMeasurer } from './measure';
import type { RunObserver } from './observer';
import { ExperimentBusyError, takeExperiment, type OwnerLease } from './owner';
import { hostModelConfigs } from './hostModels';
import { runPredictedSearch } from './predicted';
import { baselineVariant, budgetExhausted, decideStage, gridCombinations, optionVariant, signedPct, variantKey, type Contender } from './search';
import { distinctLaunches, launchHostOf } from './sameLaunch';
import { enumerateSpace, runnable } from './space';

export type { BenchmarkOutcome, BenchmarkRequest, EngineSession, LaunchOutcome, TuneBackend } from './backend';
export { EngineCrashedError, ExperimentError } from './backend';

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
const GENERALIZATION = 'Generalization';
const RECOMMENDED = 'Recommended';

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
  /** Configs of searched models the simulator's catalog does not know, read from the host (forecasts need them). */
  private hostModels: ModelSpec[] = [];
  /** Outcomes by variant, so an option that launches an already measured variant is not measured again. */
  private readonly byVariant = new Map<string, OptionOutcome>();
  private readonly primary: Workload;
  private readonly generalization: Workload[];
  private readonly points: PointMeasurer;

  constructor(private readonly options: RunExperimentOptions) {
    this.plan = options.plan;
    this.backend = options.backend;
    this.store = options.store;
    this.observer = options.observer ?? {};
    this.signal = options.signal;
    this.now = options.now ?? Date.now;
    this.points = new PointMeasurer({
      plan: this.plan,
      backend: this.backend,
      store: this.store,
      observer: this.observer,
      signal: this.signal,
      now: this.now,
      notes: options.notes ?? [],
      experiment: () => this.experiment,
      save: () => this.save(),
    });
    this.primary = resolveWorkload(this.plan.workloads.primary);
    this.generalization = this.plan.workloads.generalization.map(resolveWorkload);
    for (const [spec, load] of workloadLoads(this.plan)) this.points.loads.set(resolveWorkload(spec).name, load);
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
      const strategy = planStrategy(this.plan);
      if (strategy === 'grid') incumbent = await this.grid(incumbent);
      else if (strategy === 'predicted') incumbent = await this.predicted(incumbent);
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
    if (this.plan.space) this.hostModels = await hostModelConfigs(baselineVariant(this.plan, this.options.parseCommand), this.plan.space, this.backend, this.signal, (line) => this.log(line));
    this.points.runsTotal = plannedRuns(this.plan, await this.optionCount());
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
        this.points.done.set(pointKey(r.stage, r.option, r.load ? curvePointName(r.workload.name, r.load) : r.workload.name, r.repeat), r);
      }
      this.points.runsDone = this.points.done.size;
      this.experiment.status = 'running';
      delete this.experiment.error;
      delete this.experiment.endedAt;
      this.experiment.notes = [...this.experiment.notes, `resumed at ${new Date(this.now()).toISOString()} (${this.points.done.size} finished benchmark runs kept)`];
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
    this.observer.experimentStarted?.(this.experiment, { resumed: Boolean(resumeId), runsDone: this.points.runsDone, runsTotal: this.points.runsTotal });
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
    this.points.checkAbort();
  }

  // ------------------------------------------------------------ steps

  private async measureBaseline(): Promise<OptionRecord> {
    const record = this.experiment.baseline;
    if (!record.outcome) {
      // The baseline launch also runs the generalization workloads: one launch instead of two.
      const outcome = await this.points.measure({ stage: BASELINE, stageIndex: -1, option: BASELINE, record, workloads: [this.primary, ...this.generalization], countsForBudget: false });
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

  /** Options the plan measures (at most): every grid point, every stage option, or the predicted search's budget. */
  private async optionCount(): Promise<number> {
    const strategy = planStrategy(this.plan);
    if (strategy === 'staged') return this.plan.stages.reduce((n, s) => n + s.options.length, 0);
    const base = baselineVariant(this.plan, this.options.parseCommand);
    if (!this.plan.space) return gridCombinations(this.plan, base, this.options.parseCommand).length;
    const facts = await this.backend.facts(this.signal);
    const fitting = distinctLaunches(base, enumerateSpace(this.plan.space, base, facts.gpus.length || Infinity).filter(runnable), launchHostOf(facts, this.hostModels)).kept.length;
    return strategy === 'predicted' ? Math.min(fitting, this.plan.budget.maxRuns ?? fitting) : fitting;
  }

  /** The grid's points: the stages' combinations, or every candidate of the space that fits the host and launches something new. */
  private gridPoints(base: EngineVariant): Array<{ name: string; variant: EngineVariant }> {
    if (!this.plan.space) return gridCombinations(this.plan, base, this.options.parseCommand);
    const candidates = enumerateSpace(this.plan.space, base, this.experiment.host.gpus.length || Infinity);
    for (const c of candidates) if (c.unsupported && !c.doesNotFit) this.log(`Grid / ${c.name}: not measured, ${c.unsupported}`);
    const { kept, same } = distinctLaunches(base, candidates.filter(runnable), launchHostOf(this.experiment.host, this.hostModels));
    for (const s of same) this.log(`Grid / ${s.candidate.name}: not measured, it ${s.why}`);
    return kept;
  }

  private async predicted(incumbent: { name: string; variant: EngineVariant; outcome: OptionOutcome }) {
    let record = this.experiment.stages[0];
    if (!record) {
      record = { name: 'Predicted search', kind: 'other', options: [] };
      this.experiment.stages[0] = record;
      record.options.push({ name: incumbent.name, variant: incumbent.variant, command: this.backend.launchCommand(incumbent.variant), incumbent: true, outcome: incumbent.outcome });
    }
    const stage = record;
    await runPredictedSearch({
      plan: this.plan,
      host: this.experiment.host,
      models: this.hostModels,
      primary: this.primary,
      baseline: this.experiment.baseline,
      stage,
      record: this.experiment.search,
      measure: async (option) => {
        await this.measureOption(stage.name, 0, option);
        return this.points.gpuSecondsOf(stage.name, option.name);
      },
      launchCommand: (variant) => this.backend.launchCommand(variant),
      budget: (gpuSeconds) => budgetExhausted(this.plan, { runsDone: this.points.searchRuns, startedAtMs: Date.parse(this.experiment.startedAt), nowMs: this.now(), gpuSeconds }),
      save: async (search) => {
        this.experiment.search = search;
        await this.save();
      },
      log: (line) => this.log(line),
      progress: (progress) => this.observer.search?.(this.experiment.id, progress),
      parallelism: this.backend.parallelism ?? 1,
    });
    return this.decide(record, incumbent);
  }

  private async grid(incumbent: { name: string; variant: EngineVariant; outcome: OptionOutcome }) {
    let record = this.experiment.stages[0];
    if (!record) {
      record = { name: 'Grid', kind: 'other', options: [] };
      this.experiment.stages[0] = record;
      record.options.push({ name: incumbent.name, variant: incumbent.variant, command: this.backend.launchCommand(incumbent.variant), incumbent: true, outcome: incumbent.outcome });
      for (const combo of this.gridPoints(incumbent.variant)) {
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
      const budget = budgetExhausted(this.plan, { runsDone: this.points.searchRuns, startedAtMs: Date.parse(this.experiment.startedAt), nowMs: this.now() });
      record.outcome = budget
        ? { kind: 'skipped', why: budget }
        : (await this.points.measure({ stage, stageIndex, option: record.name, record, workloads: [this.primary], countsForBudget: true })).primary;
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
      recommended = (await this.points.measure({ stage: GENERALIZATION, stageIndex: this.plan.stages.length, option: RECOMMENDED, record, workloads: this.generalization, countsForBudget: false })).byWorkload;
    }
    const baselineIds = (w: Workload) => this.points.idsFor(BASELINE, BASELINE, w);
    this.experiment.generalization = [
      { workload: this.primary, baselineResultIds: idsOf(baseline.outcome), recommendedResultIds: idsOf(incumbent.outcome) },
      ...this.generalization.map((w) => ({ workload: w, baselineResultIds: baselineIds(w), recommendedResultIds: sameAsBaseline ? baselineIds(w) : (recommended.get(w.name) ?? []) })),
    ];
    await this.save();
  }
}
