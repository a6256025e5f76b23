// The report's "Capacity under SLO" section (issue 13), from the experiment's stored curves: the SLO, each variant's
// curve with the limits drawn, the Pareto front, capacities per GPU, the SLO-based recommendation beside the
// max-throughput one, and for each variant the load at which it breaks the SLO and which limit breaks first.
import type { CurveRecord, Experiment } from '../plan/schema';
import { capacitySentence, loadText, paretoCandidates, paretoFront, primaryCurves, recommendations, sloText } from '../results/curves';
import { renderCurvesChart, renderParetoChart } from './capacityChart';
import { admonition, table } from './markdown';

export interface ReportAsset {
  /** File name next to the page's chart, e.g. `x-…-capacity.svg`. */
  fileName: string;
  svg: string;
}

const f2 = (x: number) => x.toFixed(2);

function pointRuns(c: CurveRecord): number {
  return c.points.filter((p) => p.resultId !== undefined || p.saturated !== undefined).length;
}

/** Why the two recommendations differ, in the figures of the two curves. */
function whyDifferent(maxCurve: CurveRecord, sloCurve: CurveRecord): string {
  const peak = (c: CurveRecord) => Math.max(...c.points.map((p) => p.metrics['request_throughput'] ?? 0));
  const broken = maxCurve.breaksAt;
  const where = broken ? ` it breaks the SLO from ${loadText(maxCurve.by, broken.load)} on, ${broken.limit} first (${broken.breaks[0] ?? ''})` : ' it does not meet the SLO at the loads measured';
  return (
    `${maxCurve.option} reaches the most throughput when saturated (${f2(peak(maxCurve))} req/s), but${where}, ` +
    `so within the SLO it serves ${maxCurve.capacity ? `${f2(maxCurve.capacity.perGpu)} req/s per GPU` : 'nothing'}, against ${f2(sloCurve.capacity!.perGpu)} for ${sloCurve.option}.`
  );
}

/**
 * The section and its two charts, or undefined when the experiment measured no curve. `link(fileName)` is how the
 * page links a file written next to its chart.
 */
export function capacitySection(x: Experiment, link: (fileName: string) => string): { markdown: string; assets: ReportAsset[] } | undefined {
  const curves = primaryCurves(x);
  if (curves.length === 0) return undefined;
  const first = curves[0]!;
  const curvesFile = `${x.id}-capacity.svg`;
  const paretoFile = `${x.id}-pareto.svg`;
  const candidates = paretoCandidates(curves, 'p99_tpot_ms');
  const front = paretoFront(candidates);
  const assets: ReportAsset[] = [
    { fileName: curvesFile, svg: renderCurvesChart(curves, `${first.workload}: tail latency against load`) },
    { fileName: paretoFile, svg: renderParetoChart(candidates, front, `${first.workload}: throughput per GPU against p99 TPOT`, first.slo?.p99_tpot_ms) },
  ];
  const parts = ['## Capacity under SLO'];
  const search = x.plan.load && 'capacity' in x.plan.load ? x.plan.load.capacity : undefined;
  parts.push(
    `SLO on ${first.workload}: ${sloText(first.slo)}, over each point's steady-state window (its warm-up excluded). ` +
      (first.mode === 'capacity'
        ? `Each variant's capacity was searched on one launch: the saturated point first, then bracketing and bisection${search ? ` to ${typeof search.tolerance === 'number' ? `${search.tolerance * 100}%` : search.tolerance}` : ''}; a point that could not keep up was marked saturated.`
        : 'Each variant ran the sweep on one launch, with the prefix cache reset between points.'),
    `![Tail latency against load, SLO limits dashed](${link(curvesFile)})`,
    `![Pareto front: throughput per GPU against p99 TPOT](${link(paretoFile)})`,
  );
  const rows = curves.map((c) => [
    c.option,
    String(c.gpus),
    c.capacity ? loadText(c.by, c.capacity.load) : '-',
    c.capacity ? f2(c.capacity.requestRate) : '-',
    c.capacity ? `**${f2(c.capacity.perGpu)}**` : '-',
    f2(Math.max(...c.points.map((p) => (p.metrics['total_token_throughput'] ?? 0) / c.gpus))),
    c.breaksAt ? loadText(c.by, c.breaksAt.load) : '-',
    c.breaksAt ? c.breaksAt.limit : '-',
    String(pointRuns(c)),
  ]);
  parts.push(table(['Variant', 'GPUs', 'Capacity', 'Req/s within SLO', 'Req/s per GPU', 'Max tok/s per GPU', 'Breaks SLO at', 'Limit broken first', 'Runs'], rows));
  const rec = recommendations(curves);
  const byOption = (o: string | undefined) => curves.find((c) => c.option === o);
  if (rec.slo) {
    const sloCurve = byOption(rec.slo.option)!;
    const maxCurve = byOption(rec.maxThroughput?.option);
    const same = !maxCurve || maxCurve.option === sloCurve.option;
    parts.push(
      admonition(
        '!!!',
        'tip',
        'SLO-based recommendation',
        `**${sloCurve.option}**: ${f2(rec.slo.requestRate)} req/s within the SLO, ${f2(rec.slo.perGpu)} req/s per GPU.` +
          (same ? ' It is also the max-throughput choice.' : `\n\nMax-throughput choice: **${maxCurve.option}** (${f2(rec.maxThroughput!.perGpu)} tok/s per GPU saturated). ${whyDifferent(maxCurve, sloCurve)}`),
      ),
    );
  } else {
    parts.push(admonition('!!!', 'warning', 'No variant met the SLO', 'No measured load of any variant met the SLO: relax the limits or try smaller loads (`load.capacity.start`).'));
  }
  parts.push(curves.map((c) => `- **${c.option}**: ${capacitySentence(c)}.`).join('\n'));
  return { markdown: parts.join('\n\n'), assets };
}
