// Load curves as the dashboard draws them (issue 13): a curve record (measured, being measured, or imported) becomes
// chart-ready points with the SLO limits and the capacity bracket, and a set of curves gets the Pareto front of
// throughput per GPU against p99 TPOT and p99 TTFT — computed by the same core functions `results pareto` uses.
// Free of the `vscode` module, so it is unit-tested directly.
import type { CurveRecord, Experiment } from '../../core/plan/schema';
import { capacitySentence, paretoCandidates, paretoFront, primaryCurves } from '../../core/results/curves';
import { capacityBracket, type CapacityBracket } from '../../core/tune/curve';
import { MAX_CURVE_POINTS, MAX_CURVES, PARETO_AXES, type CurvePointView, type CurvesView, type CurveView, type ParetoView } from '../../shared/protocol';

export interface LabelledCurve {
  curve: CurveRecord;
  /** The legend's name for it; the curve's option by default (prefix the experiment when comparing several). */
  label?: string;
  /** The search's bracket while it runs; read off the points otherwise. */
  bracket?: CapacityBracket;
  /** False while the curve is still being measured. */
  done?: boolean;
}

const finiteOrUndefined = (x: number | undefined) => (x !== undefined && Number.isFinite(x) && x >= 0 ? x : undefined);

function pointView(curve: CurveRecord, p: CurveRecord['points'][number]): CurvePointView {
  const m = p.metrics;
  // The unbounded point sits where it got: the rate it achieved, or the concurrency it reached.
  const x = p.value !== 'inf' ? p.value : ((curve.by === 'request_rate' ? m['request_throughput'] : m['max_concurrent_requests']) ?? 0);
  const view: CurvePointView = { load: p.value, x: finiteOrUndefined(x) ?? 0, saturated: p.saturated !== undefined && p.saturated.length > 0 };
  const set = (key: keyof CurvePointView, value: number | undefined) => {
    const v = finiteOrUndefined(value);
    if (v !== undefined) (view as Record<string, unknown>)[key] = v;
  };
  set('requestRate', m['request_throughput']);
  set('goodput', m['request_goodput']);
  set('tokensPerGpu', m['total_token_throughput'] === undefined ? undefined : m['total_token_throughput'] / curve.gpus);
  set('p99TtftMs', m['p99_ttft_ms']);
  set('p99TpotMs', m['p99_tpot_ms']);
  if (p.meetsSlo !== undefined) view.meetsSlo = p.meetsSlo;
  return view;
}

export function curveKey(curve: Pick<CurveRecord, 'stage' | 'option' | 'workload'>, scope = ''): string {
  return [scope, curve.stage, curve.option, curve.workload].join('\u241f');
}

export function curveView(entry: LabelledCurve, scope = ''): CurveView {
  const { curve } = entry;
  const order = (v: number | 'inf') => (v === 'inf' ? Infinity : v);
  const points = [...curve.points].sort((a, b) => order(a.value) - order(b.value) || a.index - b.index).slice(-MAX_CURVE_POINTS);
  const bracket = entry.bracket ?? capacityBracket(curve.points);
  return {
    key: curveKey(curve, scope),
    label: entry.label ?? curve.option,
    workload: curve.workload,
    by: curve.by,
    gpus: curve.gpus,
    ...(curve.slo
      ? { slo: { ...(curve.slo.p99_ttft_ms !== undefined ? { p99TtftMs: curve.slo.p99_ttft_ms } : {}), ...(curve.slo.p99_tpot_ms !== undefined ? { p99TpotMs: curve.slo.p99_tpot_ms } : {}), minSuccess: curve.slo.min_success } }
      : {}),
    points: points.map((p) => pointView(curve, p)),
    bracket: { ...(bracket.lo !== undefined ? { lo: bracket.lo } : {}), ...(bracket.hi !== undefined ? { hi: bracket.hi } : {}) },
    ...(curve.capacity ? { capacity: curve.capacity } : {}),
    summary: capacitySentence(curve) || `${curve.points.length} load point${curve.points.length === 1 ? '' : 's'} measured`,
    done: entry.done ?? true,
  };
}

/** The Pareto front across the curves, one chart per tail latency, every candidate point kept (the front marked). */
export function paretoViews(entries: readonly LabelledCurve[]): ParetoView[] {
  const labelled = entries.map((e) => ({ ...e.curve, option: e.label ?? e.curve.option }));
  return PARETO_AXES.map((axis) => {
    const candidates = paretoCandidates(labelled, axis);
    const front = new Set(paretoFront(candidates));
    return { axis, points: candidates.map((p) => ({ label: p.option, load: p.load, throughputPerGpu: p.throughputPerGpu, latencyMs: p.latencyMs, front: front.has(p) })) };
  });
}

/** What the dashboard's curves section shows; `scope` keeps keys apart when curves of several experiments are shown. */
export function curvesView(title: string, entries: ReadonlyArray<LabelledCurve & { scope?: string }>): CurvesView {
  const shown = entries.slice(0, MAX_CURVES);
  return { title, curves: shown.map((e) => curveView(e, e.scope)), pareto: paretoViews(shown) };
}

/**
 * The stored curves of one or more experiments, for Compare and the Results tree: each experiment's curves on its
 * primary workload (or on `workload`), one per variant; labelled with the experiment's name when there are several.
 */
export function experimentsCurvesView(experiments: readonly Experiment[], workload?: string): CurvesView | undefined {
  const several = experiments.length > 1;
  const entries = experiments.flatMap((x) => {
    const curves = workload === undefined ? primaryCurves(x) : latestPerOption(x.curves.filter((c) => c.workload === workload));
    return curves.map((curve) => ({ curve, scope: x.id, ...(several ? { label: `${x.plan.name}: ${curve.option}` } : {}) }));
  });
  if (entries.length === 0) return undefined;
  const title = several ? `Load curves of ${experiments.length} experiments` : `Load curves — ${experiments[0]!.plan.name}`;
  return curvesView(title, entries);
}

function latestPerOption(curves: readonly CurveRecord[]): CurveRecord[] {
  return [...new Map(curves.map((c) => [`${c.stage}\u0000${c.option}`, c])).values()];
}
