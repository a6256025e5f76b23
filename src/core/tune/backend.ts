// What an experiment runs against (issue 6): a TuneBackend launches and benchmarks engine variants on a real host, a
// pool of hosts, or a prediction. The experiment runner and the point measurer only speak this interface.
import type { RequestOutput } from '../bench/metrics';
import type { BenchmarkMetrics, BenchmarkResult, Crash, EngineName, EngineVariant, HostFacts, Runner, Workload } from '../plan/schema';
import type { HostModelConfig } from '../remote/modelConfig';
import type { LiveSample, RequestSample } from '../telemetry/samples';
import type { Placement, RunPosition } from './observer';

/** A launched engine that is ready to serve. */
export interface EngineSession {
  runId: string;
  /** The exact command that was launched (including what the runner added, such as SGLang's --enable-metrics). */
  command: string;
  variant: EngineVariant;
  /** A simulated engine runs this many times faster than its own clock (its live samples arrive on the wall clock). */
  speedup?: number;
}

/**
 * `hostS`: seconds the launch held the GPUs on the host's own clock (to ready, or to the crash), where the backend
 * knows it better than the wall clock (a prediction at a simulated speedup does).
 */
export type LaunchOutcome = { ok: true; session: EngineSession; startupS: number; hostS?: number } | { ok: false; crash: Crash; runId?: string; command: string; hostS?: number };

export interface LaunchOptions {
  signal: AbortSignal;
  onLog(line: string): void;
  /** Where the engine goes, as soon as it is known and whenever it changes (a pool's host; a Slurm job's queue state). */
  onPlace?(place: Placement): void;
}

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
  /** Where it was measured (a pool host, a Slurm node and job), kept on the result. */
  place?: BenchmarkResult['place'];
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
  launch(variant: EngineVariant, options: LaunchOptions): Promise<LaunchOutcome>;
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
  /**
   * The config.json of `model` where the host's `engine` would load it (a model directory, or the host's Hugging
   * Face cache under the engine's environment), for forecasts of models the simulator's catalog does not know.
   */
  modelConfig?(model: string, engine: EngineName, signal: AbortSignal): Promise<HostModelConfig | undefined>;
}

export class ExperimentError extends Error {}

/** The engine died while a benchmark ran (e.g. out of memory under load): the option's result is this crash. */
export class EngineCrashedError extends Error {
  constructor(readonly crash: Crash) {
    super(`the engine crashed during the benchmark (${crash.reason}): ${crash.rootCause}`);
  }
}
