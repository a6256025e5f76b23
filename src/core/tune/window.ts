// One load point's steady state (issue 13): the requests sent after the warm-up, their metrics computed the way
// `vllm bench serve` computes a whole run's, and the signs that the engine could not keep up with the offered load —
// completions falling behind arrivals, the queue of requests waiting for their first token growing through the
// window, TTFT rising with time. The same signs, read from live samples, stop a hopeless point early.
import { computeMetrics, type GoodputSlo, type RequestOutput } from '../bench/metrics';
import type { BenchmarkMetrics } from '../plan/schema';

export interface WindowSpec {
  /** Seconds from the first send that are excluded (the engine filling up). */
  warmupS: number;
  windowS: number;
}

export interface SteadyState {
  startS: number;
  endS: number;
  requests: number;
  metrics: BenchmarkMetrics;
  /** Succeeded / sent, in the window. */
  success: number;
  /** Why the point could not keep up; empty when it could. */
  saturation: string[];
}

/** Completions below this share of arrivals over the window mean the engine fell behind. */
const ACHIEVED_SHARE = 0.85;
/** Fewer requests than this in the window: too few to read a steady state from, so the whole run is used. */
const MIN_WINDOW_REQUESTS = 10;

/** Least-squares slope of y over x (0 for fewer than two points or no spread in x). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) * (xs[i]! - mx);
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/**
 * Whether a series rose through the whole window: each third's mean above the previous one's, and the rise over the
 * window larger than `minRise`. A queue that merely fluctuates around a level does not qualify.
 */
export function risingThroughout(ts: readonly number[], values: readonly number[], minRise: number): boolean {
  if (ts.length < 6) return false;
  const t0 = ts[0]!;
  const span = ts[ts.length - 1]! - t0;
  if (span <= 0) return false;
  const thirds = [0, 0, 0];
  const counts = [0, 0, 0];
  for (let i = 0; i < ts.length; i++) {
    const k = Math.min(2, Math.floor(((ts[i]! - t0) / span) * 3));
    thirds[k]! += values[i]!;
    counts[k]! += 1;
  }
  if (counts.some((c) => c === 0)) return false;
  const [a, b, c] = thirds.map((s, k) => s / counts[k]!) as [number, number, number];
  return a < b && b < c && slope(ts, values) * span > minRise;
}

/** Requests waiting for their first token at each send time (the engine's waiting queue, as the client sees it). */
function waitingAtSends(outputs: readonly RequestOutput[]): { ts: number[]; waiting: number[] } {
  const firsts = outputs.filter((o) => o.success).map((o) => o.startTime + o.ttft).sort((a, b) => a - b);
  const starts = outputs.map((o) => o.startTime).sort((a, b) => a - b);
  const ts: number[] = [];
  const waiting: number[] = [];
  let served = 0;
  for (let i = 0; i < starts.length; i++) {
    const t = starts[i]!;
    while (served < firsts.length && firsts[served]! <= t) served++;
    ts.push(t);
    waiting.push(i + 1 - served);
  }
  return { ts, waiting };
}

/**
 * The steady state of one point from the client's per-request records (times in seconds from the first send).
 * `offeredRate` is the request rate the client was asked for (undefined for concurrency-limited or rate-inf points).
 */
export function steadyState(outputs: readonly RequestOutput[], spec: WindowSpec, offeredRate?: number, goodput?: GoodputSlo): SteadyState {
  const t0 = outputs.reduce((m, o) => Math.min(m, o.startTime), Infinity);
  const lastSend = outputs.reduce((m, o) => Math.max(m, o.startTime), -Infinity);
  let startS = t0 + spec.warmupS;
  let inWindow = outputs.filter((o) => o.startTime >= startS);
  if (inWindow.length < MIN_WINDOW_REQUESTS) {
    startS = t0;
    inWindow = [...outputs];
  }
  const endS = Math.max(startS, lastSend);
  const finish = (o: RequestOutput) => o.startTime + o.latency;
  // Rates are per second of the window: what was sent in it and served, over its length. (Until the last request
  // finished would count the drain, when nothing more arrives, and understate a steady state.) When the sends took
  // less than half the time the engine needed to serve them — all at once (rate inf), or a queue that could not
  // keep up — the rate is what was served until the last one finished: over the sends alone it would be the
  // client's sending rate, not what the engine achieved.
  const sendSpan = endS - startS;
  const servedSpan = inWindow.reduce((m, o) => Math.max(m, finish(o)), startS) - startS;
  const durationS = sendSpan > 0 && sendSpan >= servedSpan / 2 ? sendSpan : servedSpan;
  const metrics = computeMetrics(inWindow, { durationS: Math.max(durationS, 1e-9), percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'], percentiles: [50, 99], ...(goodput ? { goodput } : {}) });
  const success = inWindow.length === 0 ? 0 : inWindow.filter((o) => o.success).length / inWindow.length;

  const saturation: string[] = [];
  const span = endS - startS;
  if (offeredRate !== undefined && span > 0) {
    const arrived = outputs.filter((o) => o.startTime >= startS && o.startTime <= endS).length;
    const completed = outputs.filter((o) => o.success && finish(o) >= startS && finish(o) <= endS).length;
    if (arrived > 0 && completed < ACHIEVED_SHARE * arrived) {
      saturation.push(`achieved ${(completed / span).toFixed(2)} req/s, below the offered ${offeredRate} req/s`);
    }
  }
  const queue = waitingAtSends(outputs);
  const fromWindow = queue.ts.findIndex((t) => t >= startS);
  if (fromWindow >= 0) {
    const ts = queue.ts.slice(fromWindow);
    const waiting = queue.waiting.slice(fromWindow);
    if (risingThroughout(ts, waiting, Math.max(5, 0.1 * ts.length))) saturation.push(`the waiting queue grew through the window (${waiting[0]} → ${waiting[waiting.length - 1]} requests)`);
  }
  const served = inWindow.filter((o) => o.success).sort((a, b) => a.startTime - b.startTime);
  const ttfts = served.map((o) => o.ttft);
  const median = [...ttfts].sort((a, b) => a - b)[Math.floor(ttfts.length / 2)] ?? 0;
  if (risingThroughout(served.map((o) => o.startTime), ttfts, Math.max(1, median))) {
    saturation.push(`TTFT rose with time (${(ttfts[0]! * 1000).toFixed(0)} → ${(ttfts[ttfts.length - 1]! * 1000).toFixed(0)} ms over the window)`);
  }
  // Completions lagging alone can be the pipeline still filling; with a rising queue or TTFT it is saturation.
  const verdict = saturation.length >= 2 || saturation.some((s) => !s.startsWith('achieved')) ? saturation : [];
  return { startS, endS, requests: inWindow.length, metrics, success, saturation: verdict };
}

/**
 * Watches a running point (live engine samples and finished requests) and says when it is hopeless: after the
 * warm-up plus at least `minWindowS`, the waiting queue has risen through everything seen so far, or TTFT has.
 * Times are seconds on the point's own clock.
 */
export class SaturationMonitor {
  private readonly queue: { t: number; v: number }[] = [];
  private readonly ttft: { t: number; v: number }[] = [];

  constructor(
    private readonly spec: WindowSpec,
    private readonly minWindowS = Math.min(30, spec.windowS / 2),
  ) {}

  waiting(tS: number, waiting: number): void {
    if (tS >= this.spec.warmupS) this.queue.push({ t: tS, v: waiting });
  }

  request(startS: number, ttftS: number): void {
    if (startS >= this.spec.warmupS) this.ttft.push({ t: startS, v: ttftS });
  }

  /** Reasons to stop now, or an empty list. */
  verdict(nowS: number): string[] {
    if (nowS < this.spec.warmupS + this.minWindowS) return [];
    const reasons: string[] = [];
    const q = this.queue;
    if (risingThroughout(q.map((p) => p.t), q.map((p) => p.v), 5)) reasons.push(`the waiting queue grew for the whole window so far (${q[0]!.v} → ${q[q.length - 1]!.v} requests)`);
    const r = [...this.ttft].sort((a, b) => a.t - b.t);
    const median = [...r].sort((a, b) => a.v - b.v)[Math.floor(r.length / 2)]?.v ?? 0;
    if (risingThroughout(r.map((p) => p.t), r.map((p) => p.v), Math.max(1, median))) reasons.push('TTFT rose with time for the whole window so far');
    return reasons;
  }
}
