// How an experiment reports progress. The CLI (progress line / plain lines) and the extension (live dashboard) both
// implement RunObserver; the runner calls it, never the other way round. Every method is optional.
import type { BenchmarkResult, Crash, Experiment, ObjectiveMetric, StageDecision } from '../plan/schema';
import type { LiveSample, RequestSample } from '../telemetry/samples';
import type { CurveProgress } from './curve';

/** Where the experiment is: which stage, option (variant), workload and repeat is being measured. */
export interface RunPosition {
  experimentId: string;
  /** "Baseline", a stage name, or "Generalization". */
  stage: string;
  /** 0-based index among the plan's stages; -1 for the baseline, stages.length for the generalization step. */
  stageIndex: number;
  stageCount: number;
  option: string;
  /** The launch command of the variant, as a user would type it. */
  command: string;
  workload: string;
  /** 1-based. */
  repeat: number;
  repeats: number;
  /** The offered load, on a point of a load sweep or capacity search. */
  load?: { by: 'request_rate' | 'concurrency'; value: number | 'inf' };
  /** Where the point runs, when the backend places engines (a pool's host, a Slurm job). */
  place?: Placement;
}

/**
 * Where one engine runs, on a backend that places them: the pool host that took it, or its Slurm job as squeue
 * shows it. Events of a run with several engines at once carry it, so a UI can tell them apart (one lane each).
 */
export interface Placement {
  host: string;
  job?: { id: string; state: string; reason?: string; node?: string };
  /** The host stopped answering and takes no more points: why. */
  down?: string;
}

export interface EtaInfo {
  /** Benchmark runs finished (or skipped by resume) so far, and the total planned. */
  runsDone: number;
  runsTotal: number;
  elapsedS: number;
  /** Estimated seconds left; absent until one run has been timed. */
  remainingS?: number;
}

/** `placed`: the launch went to a host, or its Slurm job changed queue state (PENDING with a reason, RUNNING). */
export type EngineEvent = (
  | { state: 'launching'; option: string; command: string }
  | { state: 'placed'; option: string }
  | { state: 'ready'; option: string; startupS: number }
  | { state: 'crashed'; option: string; crash: Crash }
  | { state: 'stopped'; option: string }
) & { place?: Placement };

/** One candidate of a running predicted search: its forecast now, its measurement, or why it is ruled out. */
export interface SearchCandidateProgress {
  name: string;
  /** The forecast under the host corrections fitted so far, with its ~95% range. */
  forecast?: { value: number; low: number; high: number };
  measured?: number;
  measuring?: boolean;
  ruledOut?: string;
}

export interface SearchProgress {
  metric: ObjectiveMetric;
  baseline?: { name: string; value: number };
  candidates: SearchCandidateProgress[];
  /** Why the search stopped, once it has. */
  stopped?: string;
}

export interface RunObserver {
  /** The experiment (re)started; `resumed` lists how many benchmark runs were already done. */
  experimentStarted?(experiment: Experiment, info: { resumed: boolean; runsDone: number; runsTotal: number }): void;
  /** A benchmark point begins (after its engine is ready). */
  point?(position: RunPosition): void;
  engine?(event: EngineEvent): void;
  /** `place`: which of several engines running at once it comes from (absent when the backend places nothing). */
  sample?(sample: LiveSample, place?: Placement): void;
  request?(sample: RequestSample, place?: Placement): void;
  /** A log line from the engine, the benchmark client, or the tuner itself. */
  log?(line: string, source: 'engine' | 'bench' | 'tune', place?: Placement): void;
  eta?(eta: EtaInfo): void;
  resultSaved?(result: BenchmarkResult, position: RunPosition): void;
  /** A load curve started, got a point, or ended: its points so far and the capacity bracket. */
  curve?(experimentId: string, progress: CurveProgress): void;
  decision?(stage: string, decision: StageDecision): void;
  /** A predicted search ranked its candidates (before each measurement, and when it stops). */
  search?(experimentId: string, progress: SearchProgress): void;
  /** The manifest was written (after every change), so a UI can re-render from it. */
  experimentSaved?(experiment: Experiment): void;
  experimentFinished?(experiment: Experiment): void;
}

/** Fans every call out to several observers (e.g. the progress line and a JSONL event log). */
export function combineObservers(...observers: RunObserver[]): RunObserver {
  const call =
    <K extends keyof RunObserver>(key: K) =>
    (...args: Parameters<NonNullable<RunObserver[K]>>) => {
      for (const o of observers) (o[key] as ((...a: unknown[]) => void) | undefined)?.(...args);
    };
  return {
    experimentStarted: call('experimentStarted'),
    point: call('point'),
    engine: call('engine'),
    sample: call('sample'),
    request: call('request'),
    log: call('log'),
    eta: call('eta'),
    resultSaved: call('resultSaved'),
    curve: call('curve'),
    decision: call('decision'),
    search: call('search'),
    experimentSaved: call('experimentSaved'),
    experimentFinished: call('experimentFinished'),
  };
}
