// Live telemetry while a benchmark runs (design doc §6): scrape the engine's /metrics about once a second, derive
// token throughput from counter deltas and latency bands from histogram deltas, and merge in the native runner's
// per-request events, as RunObserver samples.
import type { RequestOutput } from '../bench/metrics';
import type { LiveSample, RequestSample } from './samples';
import type { EngineName } from '../plan/schema';
import { histogramDelta, latencyBand } from './histogram';
import { LATENCY_METRICS, readEngineMetrics, type EngineMetricsSnapshot } from './prometheus';

/** What the latency chart says when an engine's scrape carries no latency histograms. */
export function latencyUnavailableNote(engine: EngineName, problem?: string): string {
  if (engine === 'trtllm') {
    return 'TensorRT-LLM: trtllm-serve exports no latency histograms unless its extra options set return_perf_metrics: true (then /prometheus/metrics has TTFT and TPOT); no live latency for this run';
  }
  const name = engine === 'vllm' ? 'vLLM' : 'SGLang';
  if (problem) return `${name}'s /metrics cannot be read (${problem}); no live latency until it answers`;
  return `${name}'s /metrics has no latency histograms${engine === 'sglang' ? ' (the launch needs --enable-metrics)' : ''}; no live latency for this run`;
}

interface Reading {
  t: number;
  snapshot: EngineMetricsSnapshot;
}

/** Turns successive scrapes into samples: rates from counter deltas, gauges as read. */
export class ThroughputDeriver {
  private previous: Reading | undefined;

  next(t: number, snapshot: EngineMetricsSnapshot): LiveSample {
    const sample: LiveSample = { t };
    if (snapshot.running !== undefined) sample.running = snapshot.running;
    if (snapshot.waiting !== undefined) sample.waiting = snapshot.waiting;
    if (snapshot.kvUsage !== undefined) sample.kvUsage = snapshot.kvUsage;
    if (snapshot.retracted !== undefined) sample.preempted = snapshot.retracted;
    if (snapshot.prefixHitRate !== undefined) sample.prefixHitRate = snapshot.prefixHitRate;
    const prev = this.previous;
    this.previous = { t, snapshot };
    if (!prev || t <= prev.t) return sample;
    const seconds = (t - prev.t) / 1000;
    const delta = (key: 'promptTokens' | 'generationTokens' | 'preemptionsTotal' | 'prefixQueries' | 'prefixHits') => {
      const a = prev.snapshot[key];
      const b = snapshot[key];
      // A counter that went down means the engine restarted: no rate for this interval.
      return a === undefined || b === undefined || b < a ? undefined : b - a;
    };
    const generated = delta('generationTokens');
    const prompt = delta('promptTokens');
    if (generated !== undefined) sample.outputTokS = generated / seconds;
    if (generated !== undefined && prompt !== undefined) sample.totalTokS = (generated + prompt) / seconds;
    const preemptions = delta('preemptionsTotal');
    if (preemptions !== undefined) sample.preempted = preemptions;
    const queries = delta('prefixQueries');
    const hits = delta('prefixHits');
    if (queries !== undefined && hits !== undefined && queries > 0) sample.prefixHitRate = Math.min(1, hits / queries);
    for (const metric of LATENCY_METRICS) {
      const before = prev.snapshot.latency?.[metric];
      const after = snapshot.latency?.[metric];
      const d = before && after ? histogramDelta(before, after) : undefined;
      const band = d ? latencyBand(d) : undefined;
      if (band) (sample.latency ??= {})[metric] = band;
    }
    return sample;
  }
}

/** One finished request from the native runner, as a sample for per-request charts. */
export function requestSample(output: RequestOutput, benchmarkStartMs: number): RequestSample {
  const outputTokens = Math.max(output.outputLen, 0);
  const sample: RequestSample = {
    t: benchmarkStartMs + (output.startTime + output.latency) * 1000,
    success: output.success,
    ttftMs: output.ttft * 1000,
    e2elMs: output.latency * 1000,
    outputTokens,
  };
  if (outputTokens > 1) sample.tpotMs = ((output.latency - output.ttft) / (outputTokens - 1)) * 1000;
  if (output.itl.length > 0) sample.itlMs = (output.itl.reduce((a, b) => a + b, 0) / output.itl.length) * 1000;
  return sample;
}

export interface TelemetryOptions {
  engine: EngineName;
  /** GETs the engine's metrics path through the host's transport and returns the body. */
  fetchMetrics(signal: AbortSignal): Promise<string>;
  onSample(sample: LiveSample): void;
  /** Called once when scraping fails, and once when it recovers, so a log is not flooded. */
  onProblem?(message: string): void;
  intervalMs?: number;
  now?: () => number;
}

export interface TelemetryHandle {
  /** Stops scraping after one last reading (so the tail of the benchmark is in the series). */
  stop(): Promise<void>;
  /** How many scrapes succeeded. */
  readonly scrapes: number;
}

/** Scrapes on a fixed cadence until stopped; never throws into the benchmark it observes. */
export function startTelemetry(options: TelemetryOptions): TelemetryHandle {
  const intervalMs = options.intervalMs ?? 1000;
  const now = options.now ?? Date.now;
  const deriver = new ThroughputDeriver();
  const controller = new AbortController();
  let scrapes = 0;
  let failing = false;
  let latencyNoted = false;
  const noteLatency = (problem?: string) => {
    if (latencyNoted) return;
    latencyNoted = true;
    options.onSample({ t: now(), latencyNote: latencyUnavailableNote(options.engine, problem) });
  };
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const scrape = async () => {
    try {
      const text = await options.fetchMetrics(controller.signal);
      const snapshot = readEngineMetrics(text, options.engine);
      const sample = deriver.next(now(), snapshot);
      scrapes++;
      if (failing) options.onProblem?.('engine /metrics answers again');
      failing = false;
      if (!snapshot.latency) noteLatency();
      options.onSample(sample);
    } catch (err) {
      if (controller.signal.aborted) return;
      if (!failing) options.onProblem?.(`cannot read the engine's /metrics (${(err as Error).message}); live charts pause until it answers`);
      if (scrapes === 0) noteLatency((err as Error).message);
      failing = true;
    }
  };
  let stopping = false;
  const tick = () => {
    inFlight = scrape().finally(() => {
      if (!stopping) timer = setTimeout(tick, intervalMs);
    });
  };
  tick();
  return {
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      // The last reading: a benchmark shorter than one interval still gets a start and an end, hence a throughput.
      await scrape();
      controller.abort();
    },
    get scrapes() {
      return scrapes;
    },
  };
}
