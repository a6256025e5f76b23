// The report's chart: baseline vs optimized throughput per workload as a self-contained SVG (no fonts, scripts or
// native renderers). It paints its own background and switches palette with prefers-color-scheme, so it reads on a
// light page and on a dark one alike.
import { pyFixed2 } from '../bench/format';
import { signedPercent, relativeChangePct } from './markdown';

export interface ChartGroup {
  label: string;
  baseline: number;
  optimized: number;
}

export interface ThroughputChartInput {
  title: string;
  baselineLabel: string;
  optimizedLabel: string;
  groups: readonly ChartGroup[];
}

const GROUP_WIDTH = 150;
const PLOT = { left: 70, right: 20, top: 78, bottom: 40, height: 260 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round axis step (1, 2, 2.5 or 5 × 10^k) giving about five gridlines up to max. */
export function niceStep(max: number): number {
  if (!(max > 0)) return 1;
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  return step ?? 10 * magnitude;
}

/**
 * The opening of a report chart: the svg element, its title, the shared light and dark palette plus the chart's own
 * `styles`, the background and the title line. The caller closes the svg.
 */
export function svgHeader(width: number, height: number, title: string, id: string, styles: { light: readonly string[]; dark: readonly string[] }, titleAt = { x: 16, y: 26 }): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}">`,
    `<title id="${id}">${escapeXml(title)}</title>`,
    '<style>',
    '  .bg { fill: #ffffff; stroke: #d0d7de; }',
    '  text { fill: #1f2328; font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; font-size: 12px; }',
    '  .title { font-size: 15px; font-weight: 600; }',
    '  .muted { fill: #59636e; font-size: 11px; }',
    '  .grid { stroke: #d8dee4; stroke-width: 1; }',
    ...styles.light,
    '  @media (prefers-color-scheme: dark) {',
    '    .bg { fill: #0d1117; stroke: #3d444d; }',
    '    text { fill: #e6edf3; }',
    '    .muted { fill: #9198a1; }',
    '    .grid { stroke: #2f353d; }',
    ...styles.dark,
    '  }',
    '</style>',
    `<rect class="bg" x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="8"/>`,
    `<text class="title" x="${titleAt.x}" y="${titleAt.y}">${escapeXml(title)}</text>`,
  ];
}

export function renderThroughputChart(input: ThroughputChartInput): string {
  const width = PLOT.left + PLOT.right + GROUP_WIDTH * Math.max(2, input.groups.length);
  const height = PLOT.top + PLOT.height + PLOT.bottom;
  // No comparison yet (a failed or interrupted run): an empty plot that says so, never a broken image.
  const max = Math.max(0, ...input.groups.flatMap((g) => [g.baseline, g.optimized]));
  const step = niceStep(max * 1.12);
  const top = Math.max(step, Math.ceil((max * 1.12) / step) * step);
  const y = (value: number) => PLOT.top + PLOT.height - (value / top) * PLOT.height;
  const round = (n: number) => Math.round(n * 10) / 10;

  const out: string[] = [];
  out.push(
    ...svgHeader(
      width,
      height,
      input.title,
      'chart-title',
      {
        light: ['  .axis { stroke: #59636e; stroke-width: 1; }', '  .baseline { fill: #8c959f; }', '  .optimized { fill: #1f883d; }', '  .gain { fill: #1a7f37; font-weight: 600; }', '  .loss { fill: #cf222e; font-weight: 600; }'],
        dark: ['    .axis { stroke: #9198a1; }', '    .baseline { fill: #6e7681; }', '    .optimized { fill: #3fb950; }', '    .gain { fill: #3fb950; }', '    .loss { fill: #f85149; }'],
      },
      { x: PLOT.left, y: 28 },
    ),
  );
  // Legend.
  const legendY = 50;
  out.push(
    `<rect class="baseline" x="${PLOT.left}" y="${legendY - 10}" width="12" height="12" rx="2"/>`,
    `<text x="${PLOT.left + 18}" y="${legendY}">${escapeXml(input.baselineLabel)}</text>`,
    `<rect class="optimized" x="${PLOT.left + 18 + 8 * input.baselineLabel.length + 24}" y="${legendY - 10}" width="12" height="12" rx="2"/>`,
    `<text x="${PLOT.left + 18 + 8 * input.baselineLabel.length + 42}" y="${legendY}">${escapeXml(input.optimizedLabel)}</text>`,
  );
  // Gridlines and y-axis labels.
  for (let value = 0; value <= top + step / 1e6; value += step) {
    const gy = round(y(value));
    out.push(`<line class="grid" x1="${PLOT.left}" y1="${gy}" x2="${width - PLOT.right}" y2="${gy}"/>`);
    out.push(`<text class="muted" x="${PLOT.left - 8}" y="${round(gy + 4)}" text-anchor="end">${Math.round(value)}</text>`);
  }
  out.push(`<line class="axis" x1="${PLOT.left}" y1="${PLOT.top + PLOT.height}" x2="${width - PLOT.right}" y2="${PLOT.top + PLOT.height}"/>`);
  // Bars: baseline and optimized side by side, values on top, the change above the optimized bar.
  const barWidth = 50;
  input.groups.forEach((group, i) => {
    const x0 = PLOT.left + i * GROUP_WIDTH + (GROUP_WIDTH - 2 * barWidth - 6) / 2;
    const bars: Array<[number, string, number]> = [
      [x0, 'baseline', group.baseline],
      [x0 + barWidth + 6, 'optimized', group.optimized],
    ];
    for (const [x, cls, value] of bars) {
      const top = round(y(value));
      out.push(`<rect class="${cls}" x="${x}" y="${top}" width="${barWidth}" height="${round(PLOT.top + PLOT.height - top)}"><title>${escapeXml(`${group.label}, ${cls}: ${pyFixed2(value)} tok/s`)}</title></rect>`);
      out.push(`<text class="muted" x="${x + barWidth / 2}" y="${round(top - 5)}" text-anchor="middle">${pyFixed2(value)}</text>`);
    }
    const change = relativeChangePct(group.baseline, group.optimized);
    const optimizedTop = y(group.optimized);
    out.push(
      `<text class="${change >= 0 ? 'gain' : 'loss'}" x="${x0 + barWidth * 1.5 + 6}" y="${round(optimizedTop - 20)}" text-anchor="middle">${signedPercent(change)}</text>`,
    );
    out.push(`<text x="${PLOT.left + i * GROUP_WIDTH + GROUP_WIDTH / 2}" y="${PLOT.top + PLOT.height + 22}" text-anchor="middle">${escapeXml(group.label)}</text>`);
  });
  if (input.groups.length === 0) {
    out.push(`<text class="muted" x="${width / 2}" y="${PLOT.top + PLOT.height / 2}" text-anchor="middle">No baseline vs optimized measurement yet</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
