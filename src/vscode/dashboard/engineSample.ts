// The engine-side parts of a live sample (queue, prefix cache, latency bands from the engine's histograms) in the
// dashboard protocol's shape.
import type { LiveSample as CoreSample } from '../../core/telemetry/samples';
import { ENGINE_LATENCY_METRICS, type LiveSample } from '../../shared/protocol';

type EngineFields = Pick<LiveSample, 'engineLatency' | 'preempted' | 'prefixHitRate' | 'latencyNote'>;

export function engineSampleFields(s: CoreSample): EngineFields {
  const out: EngineFields = {};
  if (s.preempted !== undefined) out.preempted = s.preempted;
  if (s.prefixHitRate !== undefined) out.prefixHitRate = Math.min(1, Math.max(0, s.prefixHitRate));
  if (s.latencyNote !== undefined) out.latencyNote = s.latencyNote.slice(0, 400);
  for (const metric of ENGINE_LATENCY_METRICS) {
    const band = s.latency?.[metric];
    if (band) (out.engineLatency ??= {})[metric] = { meanMs: band.meanMs, p50Ms: band.p50Ms, p99Ms: band.p99Ms };
  }
  return out;
}
