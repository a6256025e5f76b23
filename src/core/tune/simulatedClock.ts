// A simulated engine run at speedup K finishes K× sooner than the engine it models, so a client measuring wall time
// sees K× the throughput and 1/K of every latency. Converting back to the engine's own (simulated) clock makes a
// quick demo's numbers comparable with real hosts and with the reference; every converted result says so.
import type { RequestOutput } from '../bench/metrics';
import type { BenchmarkMetrics } from '../plan/schema';
import type { LiveSample, RequestSample } from '../telemetry/samples';

/** Keys that are rates per second (divide by K); every `*_ms` key and `duration` are times (multiply by K). */
const RATE_KEYS = new Set(['request_throughput', 'request_goodput', 'output_throughput', 'total_token_throughput', 'max_output_tokens_per_s', 'request_rate']);

export function metricsToSimulatedClock(metrics: BenchmarkMetrics, speedup: number): BenchmarkMetrics {
  if (speedup === 1) return metrics;
  const out: Record<string, number | null | undefined> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') out[key] = value;
    else if (key === 'duration' || key.endsWith('_ms')) out[key] = value * speedup;
    else if (RATE_KEYS.has(key)) out[key] = value / speedup;
    else out[key] = value;
  }
  return out as BenchmarkMetrics;
}

export function sampleToSimulatedClock(sample: LiveSample, speedup: number): LiveSample {
  if (speedup === 1) return sample;
  const out = { ...sample };
  if (out.totalTokS !== undefined) out.totalTokS /= speedup;
  if (out.outputTokS !== undefined) out.outputTokS /= speedup;
  return out;
}

export function requestToSimulatedClock(sample: RequestSample, speedup: number): RequestSample {
  if (speedup === 1) return sample;
  const out = { ...sample, ttftMs: sample.ttftMs * speedup, e2elMs: sample.e2elMs * speedup };
  if (out.tpotMs !== undefined) out.tpotMs *= speedup;
  if (out.itlMs !== undefined) out.itlMs *= speedup;
  return out;
}

export function outputToSimulatedClock(output: RequestOutput, speedup: number): RequestOutput {
  if (speedup === 1) return output;
  const { chunkTimes, ...rest } = output;
  return {
    ...rest,
    ttft: output.ttft * speedup,
    latency: output.latency * speedup,
    startTime: output.startTime * speedup,
    itl: output.itl.map((g) => g * speedup),
    ...(chunkTimes ? { chunkTimes: chunkTimes.map((t) => t * speedup) } : {}),
  };
}

export function simulatedClockNote(speedup: number): string {
  return `the simulated engine ran ${speedup}× faster than real time; times and rates are converted to the simulated clock (wall-clock throughput was ${speedup}× these figures)`;
}
