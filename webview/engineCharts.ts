// What the dashboard adds for engine telemetry and imported results. Latency chart: the engine's histogram bands
// (p50 → p99 filled, mean as a line) for TTFT (left axis) and TPOT (right axis; the per-token ITL histogram where the
// engine has no per-request TPOT one), E2E mean dashed, and the native runner's per-request points as dots. Queue
// and KV-cache series, and the comparison's notes on metric definitions.
import type { LiveSample } from '../src/shared/protocol';
import type { SeriesSpec } from './charts';

const TTFT = 0;
const TPOT = 1;
const E2E = 2;

/** The engine's per-request TPOT band, else its inter-token latency band (the token-weighted TPOT). */
const tpotBand = (s: LiveSample) => s.engineLatency?.tpot ?? s.engineLatency?.itl;

export const LATENCY_SERIES: SeriesSpec[] = [
  { label: 'TTFT p50', pick: (s) => s.engineLatency?.ttft?.p50Ms, colour: TTFT, unlabelled: true },
  { label: 'TTFT p50–p99', pick: (s) => s.engineLatency?.ttft?.p99Ms, colour: TTFT, bandToPrevious: true },
  // Markers: TTFT is observed only in the intervals where requests got their first token (e.g. one wave at a burst).
  { label: 'TTFT mean', pick: (s) => s.engineLatency?.ttft?.meanMs, colour: TTFT, markers: true },
  { label: 'TPOT p50', pick: (s) => tpotBand(s)?.p50Ms, colour: TPOT, axis: 'y1', unlabelled: true },
  { label: 'TPOT p50–p99', pick: (s) => tpotBand(s)?.p99Ms, colour: TPOT, axis: 'y1', bandToPrevious: true },
  { label: 'TPOT mean', pick: (s) => tpotBand(s)?.meanMs, colour: TPOT, axis: 'y1', markers: true },
  { label: 'E2E mean', pick: (s) => s.engineLatency?.e2e?.meanMs, colour: E2E, dashed: true },
  { label: 'TTFT per request', pick: (s) => s.ttftMs, colour: TTFT, points: true },
  { label: 'TPOT per request', pick: (s) => s.tpotMs, colour: TPOT, axis: 'y1', points: true },
  { label: 'ITL per request', pick: (s) => s.itlMs, colour: 3, axis: 'y1', points: true },
];

export const QUEUE_SERIES: SeriesSpec[] = [
  { label: 'running', pick: (s) => s.running },
  { label: 'waiting', pick: (s) => s.waiting },
  { label: 'preempted', pick: (s) => s.preempted, colour: 4 },
];

export const KV_SERIES: SeriesSpec[] = [
  { label: 'KV cache usage %', pick: (s) => (s.kvCacheUsage === undefined ? undefined : s.kvCacheUsage * 100) },
  { label: 'prefix-cache hit %', pick: (s) => (s.prefixHitRate === undefined ? undefined : s.prefixHitRate * 100), colour: 2 },
];

/** The latest note on why the latency chart has nothing to draw, if the samples carry one. */
export function latencyNoteOf(samples: readonly LiveSample[], previous: string | undefined): string | undefined {
  let note = previous;
  for (const s of samples) if (s.latencyNote !== undefined) note = s.latencyNote;
  return note;
}

/** The comparison's definition notes (tools that define a metric differently), one list item each. */
export function showComparisonNotes(list: HTMLElement, notes: readonly string[]): void {
  list.replaceChildren(
    ...notes.map((note) => {
      const item = document.createElement('li');
      item.textContent = note;
      return item;
    }),
  );
  list.hidden = notes.length === 0;
}
