// The dashboard's load curves (issue 13): per variant, offered load → achieved req/s and goodput, p99 TTFT and p99
// TPOT with the SLO limits dashed, the capacity bracket [lo, hi] shaded as it narrows; and the Pareto front of total
// tokens/s per GPU against p99 TPOT and p99 TTFT. Renders what the extension computed; computes nothing itself.
import { Chart, type ChartDataset, type Plugin, type PointStyle } from 'chart.js';
import type { CurvePointView, CurvesView, CurveView, ParetoView } from '../src/shared/protocol';
import { backgroundPlugin, seriesColour, withAlpha } from './charts';

type Point = { x: number; y: number };
type Dataset = ChartDataset<'line', Point[]>;

export const CURVE_CHART_IDS = ['curveThroughput', 'curveTtft', 'curveTpot', 'paretoTpot', 'paretoTtft'] as const;
export type CurveChartId = (typeof CURVE_CHART_IDS)[number];

const SLO_COLOUR = 4; // the theme's red
const FRONT_COLOUR = 5;

interface Band {
  lo?: number;
  hi?: number;
  colour: number;
}
/** The capacity brackets each curve chart shades, by chart. */
const bands = new WeakMap<Chart, Band[]>();

/** Shades [lo, hi] of each curve on the load axis (a line where only one end is known yet). */
const bracketPlugin: Plugin = {
  id: 'servingLabBracket',
  beforeDatasetsDraw(chart) {
    const x = chart.scales['x'];
    const area = chart.chartArea;
    if (!x || !area) return;
    const { ctx } = chart;
    ctx.save();
    for (const band of bands.get(chart) ?? []) {
      const colour = seriesColour(band.colour)();
      if (band.lo !== undefined && band.hi !== undefined) {
        const left = x.getPixelForValue(band.lo);
        ctx.fillStyle = withAlpha(colour, 0.15);
        ctx.fillRect(left, area.top, x.getPixelForValue(band.hi) - left, area.bottom - area.top);
      }
      ctx.strokeStyle = colour;
      ctx.setLineDash([2, 2]);
      for (const edge of [band.lo, band.hi]) {
        if (edge === undefined) continue;
        const px = x.getPixelForValue(edge);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
      }
    }
    ctx.restore();
  },
};

function newChart(canvas: HTMLCanvasElement, xLabel: string, yLabel: string): Chart<'line', Point[]> {
  return new Chart<'line', Point[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      parsing: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { type: 'linear', beginAtZero: true, title: { display: true, text: xLabel } }, y: { beginAtZero: true, title: { display: true, text: yLabel } } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } }, tooltip: { enabled: true } },
    },
    plugins: [backgroundPlugin, bracketPlugin],
  });
}

/** Meets the SLO: a dot; breaks it: a cross; saturated: a triangle. */
function styleOf(p: CurvePointView): PointStyle {
  return p.saturated ? 'triangle' : p.meetsSlo === false ? 'crossRot' : 'circle';
}

function series(curve: CurveView, colour: number, pick: (p: CurvePointView) => number | undefined, label: string, dashed = false): Dataset {
  const shown = curve.points.filter((p) => pick(p) !== undefined);
  return {
    label,
    data: shown.map((p) => ({ x: p.x, y: pick(p)! })),
    borderColor: seriesColour(colour),
    backgroundColor: seriesColour(colour),
    borderWidth: 1.5,
    borderDash: dashed ? [5, 4] : [],
    pointStyle: shown.map(styleOf),
    pointRadius: shown.map((p) => (p.meetsSlo === false || p.saturated ? 5 : 3)),
  };
}

function limitLine(label: string, limit: number, xs: readonly number[]): Dataset {
  const max = Math.max(1, ...xs);
  return { label, data: [{ x: 0, y: limit }, { x: max * 1.05, y: limit }], borderColor: seriesColour(SLO_COLOUR), borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0 };
}

function axisLabel(curves: readonly CurveView[]): string {
  const axes = new Set(curves.map((c) => c.by));
  return axes.size === 1 && axes.has('concurrency') ? 'concurrency' : 'offered load (req/s)';
}

export class CurveCharts {
  readonly charts: Record<CurveChartId, Chart<'line', Point[]>>;

  constructor(canvas: (id: CurveChartId) => HTMLCanvasElement) {
    this.charts = {
      curveThroughput: newChart(canvas('curveThroughput'), 'offered load (req/s)', 'req/s'),
      curveTtft: newChart(canvas('curveTtft'), 'offered load (req/s)', 'p99 TTFT (ms)'),
      curveTpot: newChart(canvas('curveTpot'), 'offered load (req/s)', 'p99 TPOT (ms)'),
      paretoTpot: newChart(canvas('paretoTpot'), 'p99 TPOT (ms)', 'total tok/s per GPU'),
      paretoTtft: newChart(canvas('paretoTtft'), 'p99 TTFT (ms)', 'total tok/s per GPU'),
    };
  }

  show(view: CurvesView): void {
    const curves = view.curves;
    const xs = curves.flatMap((c) => c.points.map((p) => p.x));
    const throughput: Dataset[] = [];
    const ttft: Dataset[] = [];
    const tpot: Dataset[] = [];
    curves.forEach((c, i) => {
      throughput.push(series(c, i, (p) => p.requestRate, `${c.label} req/s`));
      if (c.points.some((p) => p.goodput !== undefined)) throughput.push(series(c, i, (p) => p.goodput, `${c.label} goodput`, true));
      ttft.push(series(c, i, (p) => p.p99TtftMs, c.label));
      tpot.push(series(c, i, (p) => p.p99TpotMs, c.label));
    });
    // One limit line per distinct limit (curves of one experiment share their SLO).
    for (const limit of new Set(curves.flatMap((c) => (c.slo?.p99TtftMs !== undefined ? [c.slo.p99TtftMs] : [])))) ttft.push(limitLine(`SLO ${limit} ms`, limit, xs));
    for (const limit of new Set(curves.flatMap((c) => (c.slo?.p99TpotMs !== undefined ? [c.slo.p99TpotMs] : [])))) tpot.push(limitLine(`SLO ${limit} ms`, limit, xs));
    const xLabel = axisLabel(curves);
    const curveBands = curves.map((c, i) => ({ ...c.bracket, colour: i }));
    for (const [chart, datasets] of [[this.charts.curveThroughput, throughput], [this.charts.curveTtft, ttft], [this.charts.curveTpot, tpot]] as const) {
      chart.data.datasets = datasets;
      const x = chart.options.scales?.['x'];
      if (x && 'title' in x && x.title) x.title.text = xLabel;
      bands.set(chart, curveBands);
      chart.update('none');
    }
    const labels = curves.map((c) => c.label);
    for (const pareto of view.pareto) this.showPareto(pareto.axis === 'p99_tpot_ms' ? this.charts.paretoTpot : this.charts.paretoTtft, pareto, labels);
  }

  private showPareto(chart: Chart<'line', Point[]>, pareto: ParetoView, labels: readonly string[]): void {
    const byLabel = new Map<string, Point[]>();
    for (const p of pareto.points) byLabel.set(p.label, [...(byLabel.get(p.label) ?? []), { x: p.latencyMs, y: p.throughputPerGpu }]);
    const datasets: Dataset[] = [...byLabel].map(([label, points]) => {
      const colour = Math.max(0, labels.indexOf(label));
      return { label, data: points, showLine: false, pointRadius: 3, borderColor: seriesColour(colour), backgroundColor: () => withAlpha(seriesColour(colour)(), 0.5) };
    });
    const front = pareto.points.filter((p) => p.front).sort((a, b) => a.latencyMs - b.latencyMs);
    datasets.push({ label: 'Pareto front', data: front.map((p) => ({ x: p.latencyMs, y: p.throughputPerGpu })), borderColor: seriesColour(FRONT_COLOUR), backgroundColor: seriesColour(FRONT_COLOUR), stepped: 'before', pointRadius: 4, borderWidth: 2 });
    chart.data.datasets = datasets;
    chart.update('none');
  }

  /** Points drawn per chart (the limit lines not counted), for the page's render report. */
  pointCounts(): Record<CurveChartId, number> {
    const count = (chart: Chart<'line', Point[]>) => chart.data.datasets.filter((d) => !String(d.label).startsWith('SLO ')).reduce((n, d) => n + d.data.length, 0);
    return Object.fromEntries(CURVE_CHART_IDS.map((id) => [id, count(this.charts[id])])) as Record<CurveChartId, number>;
  }
}

/** The table under the charts: each curve's bracket, capacity and where it breaks. */
export function curveRows(view: CurvesView): HTMLTableRowElement[] {
  const head = document.createElement('tr');
  for (const text of ['Variant', 'Workload', 'Points', 'Bracket [lo, hi]', 'Capacity req/s', 'Per GPU', '']) {
    const th = document.createElement('th');
    th.textContent = text;
    head.append(th);
  }
  const fmt = (x: number | undefined) => (x === undefined ? '?' : x.toLocaleString('en-US', { maximumFractionDigits: 2 }));
  const rows = view.curves.map((c) => {
    const tr = document.createElement('tr');
    tr.dataset['key'] = c.key;
    tr.dataset['bracket'] = JSON.stringify(c.bracket);
    const cells = [
      c.label,
      c.workload,
      String(c.points.length),
      c.bracket.lo === undefined && c.bracket.hi === undefined ? '-' : `[${fmt(c.bracket.lo)}, ${fmt(c.bracket.hi)}]`,
      c.capacity ? fmt(c.capacity.requestRate) : '-',
      c.capacity ? fmt(c.capacity.perGpu) : '-',
      c.done ? c.summary : `measuring… ${c.summary}`,
    ];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  });
  return [head, ...rows];
}
