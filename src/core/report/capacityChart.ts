// The report's capacity charts (issue 13) as self-contained SVG, like the throughput chart: each variant's curve of
// p99 TPOT and p99 TTFT against the offered load with the SLO limits drawn, and the Pareto front of throughput per
// GPU against p99 TPOT. Values past the top of a panel are drawn on its edge (the axis is clipped at 2× the limit).
import type { CurveRecord } from '../plan/schema';
import type { ParetoPoint } from '../results/curves';
import { escapeXml, niceStep, svgHeader } from './chart';

const COLORS = ['#0969da', '#1f883d', '#bf3989', '#9a6700', '#8250df', '#cf222e', '#1b7c83', '#57606a'];
const PANEL = { width: 380, height: 240, left: 64, right: 16, top: 70, bottom: 46 };

const r1 = (n: number) => Math.round(n * 10) / 10;

const CAPACITY_STYLES = {
  light: ['  .limit { stroke: #cf222e; stroke-width: 1.5; stroke-dasharray: 6 4; }', '  .limit-text { fill: #cf222e; font-size: 11px; }', '  .cloud { fill: #afb8c1; }'],
  dark: ['    .cloud { fill: #484f58; }'],
};

interface Series {
  label: string;
  color: string;
  points: Array<{ x: number; y: number; title: string }>;
}

interface Panel {
  svg: string[];
  /** The panel's scales, for drawing more on it. */
  px(v: number): number;
  py(v: number): number;
  xTop: number;
}

/** One panel: axes, grid, an optional horizontal limit, series as lines with markers. */
function panel(x0: number, title: string, xLabel: string, yLabel: string, series: Series[], limit?: number, connect = true): Panel {
  const out: string[] = [];
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xMax = Math.max(1e-9, ...xs) * 1.05;
  const yCap = limit !== undefined ? 2 * limit : Infinity;
  const yMax = Math.max(limit !== undefined ? limit * 1.2 : 0, Math.min(yCap, Math.max(1e-9, ...ys) * 1.1));
  const xStep = niceStep(xMax);
  const yStep = niceStep(yMax);
  const xTop = Math.ceil(xMax / xStep) * xStep;
  const yTop = Math.ceil(yMax / yStep) * yStep;
  const left = x0 + PANEL.left;
  const plotW = PANEL.width - PANEL.left - PANEL.right;
  const bottom = PANEL.top + PANEL.height;
  const px = (v: number) => r1(left + (v / xTop) * plotW);
  const py = (v: number) => r1(bottom - (Math.min(v, yTop) / yTop) * PANEL.height);
  out.push(`<text x="${left}" y="${PANEL.top - 12}">${escapeXml(title)}</text>`);
  for (let v = 0; v <= yTop + yStep / 1e6; v += yStep) {
    out.push(`<line class="grid" x1="${left}" y1="${py(v)}" x2="${left + plotW}" y2="${py(v)}"/>`, `<text class="muted" x="${left - 6}" y="${py(v) + 4}" text-anchor="end">${r1(v)}</text>`);
  }
  for (let v = 0; v <= xTop + xStep / 1e6; v += xStep) out.push(`<text class="muted" x="${px(v)}" y="${bottom + 16}" text-anchor="middle">${r1(v)}</text>`);
  out.push(`<text class="muted" x="${left + plotW / 2}" y="${bottom + 34}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text class="muted" x="${x0 + 14}" y="${PANEL.top + PANEL.height / 2}" transform="rotate(-90 ${x0 + 14} ${PANEL.top + PANEL.height / 2})" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  if (limit !== undefined) {
    out.push(`<line class="limit" x1="${left}" y1="${py(limit)}" x2="${left + plotW}" y2="${py(limit)}"/>`, `<text class="limit-text" x="${left + plotW}" y="${py(limit) - 4}" text-anchor="end">SLO ${limit} ms</text>`);
  }
  for (const s of series) {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (connect && pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${px(p.x)},${py(p.y)}`).join(' ')}"/>`);
    for (const p of pts) out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3.5" fill="${s.color}"><title>${escapeXml(`${s.label}: ${p.title}`)}</title></circle>`);
  }
  return { svg: out, px, py, xTop };
}

function legend(labels: Array<{ label: string; color: string }>, y: number): string[] {
  let x = 16;
  return labels.flatMap(({ label, color }) => {
    const item = [`<rect x="${x}" y="${y - 10}" width="12" height="12" rx="2" fill="${color}"/>`, `<text x="${x + 18}" y="${y}">${escapeXml(label)}</text>`];
    x += 18 + 7 * label.length + 24;
    return item;
  });
}

/** p99 TPOT and p99 TTFT against the offered load, one line per variant, the SLO limits dashed. */
export function renderCurvesChart(curves: readonly CurveRecord[], title: string): string {
  const colored = curves.map((c, i) => ({ c, color: COLORS[i % COLORS.length]! }));
  const unit = curves[0]?.by === 'concurrency' ? 'concurrency' : 'offered request rate (req/s)';
  const seriesOf = (key: 'p99_tpot_ms' | 'p99_ttft_ms'): Series[] =>
    colored.map(({ c, color }) => ({
      label: c.option,
      color,
      points: c.points.flatMap((p) => (p.value === 'inf' || p.metrics[key] === undefined ? [] : [{ x: p.value, y: p.metrics[key]!, title: `${p.value} → ${key} ${p.metrics[key]!.toFixed(1)} ms${p.meetsSlo === false ? ' (breaks the SLO)' : ''}` }])),
    }));
  const slo = curves[0]?.slo;
  const width = 2 * PANEL.width + 16;
  const height = PANEL.top + PANEL.height + PANEL.bottom + 10;
  const out = svgHeader(width, height, title, 'capacity-curves', CAPACITY_STYLES);
  out.push(...legend(colored.map(({ c, color }) => ({ label: c.option, color })), 48));
  out.push(...panel(0, 'p99 TPOT (ms)', unit, 'ms', seriesOf('p99_tpot_ms'), slo?.p99_tpot_ms).svg);
  out.push(...panel(PANEL.width, 'p99 TTFT (ms)', unit, 'ms', seriesOf('p99_ttft_ms'), slo?.p99_ttft_ms).svg);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Throughput per GPU against p99 TPOT: every unsaturated point, the front connected. */
export function renderParetoChart(candidates: readonly ParetoPoint[], front: readonly ParetoPoint[], title: string, limit?: number): string {
  const options = [...new Set(candidates.map((p) => p.option))];
  const color = (o: string) => COLORS[options.indexOf(o) % COLORS.length]!;
  const width = PANEL.width + 16;
  const height = PANEL.top + PANEL.height + PANEL.bottom + 10;
  const out = svgHeader(width, height, title, 'capacity-pareto', CAPACITY_STYLES);
  out.push(...legend(options.map((o) => ({ label: o, color: color(o) })), 48));
  const series: Series[] = options.map((o) => ({
    label: o,
    color: color(o),
    points: candidates.filter((p) => p.option === o).map((p) => ({ x: p.latencyMs, y: p.throughputPerGpu, title: `${p.load} → ${p.throughputPerGpu.toFixed(1)} tok/s/GPU at ${p.latencyMs.toFixed(1)} ms` })),
  }));
  const { svg, px, py, xTop } = panel(0, 'total tok/s per GPU against p99 TPOT (ms); the front is the line', 'p99 TPOT (ms)', 'tok/s per GPU', series, undefined, false);
  out.push(...svg);
  if (front.length > 1) out.push(`<polyline fill="none" stroke="#57606a" stroke-width="1.5" points="${front.map((p) => `${px(p.latencyMs)},${py(p.throughputPerGpu)}`).join(' ')}"/>`);
  if (limit !== undefined && limit <= xTop) out.push(`<line class="limit" x1="${px(limit)}" y1="${PANEL.top}" x2="${px(limit)}" y2="${PANEL.top + PANEL.height}"/>`, `<text class="limit-text" x="${px(limit) + 4}" y="${PANEL.top + 12}">SLO ${limit} ms</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
