// The predicted search's scatter (issue 14): each measured candidate's forecast (made before it was measured)
// against what the host measured, with the diagonal where they agree, as a self-contained SVG like the other charts.
import { escapeXml, niceStep, svgHeader } from './chart';

export interface ScatterPoint {
  label: string;
  /** The simulator's forecast, uncorrected. */
  predicted: number;
  /** The forecast corrected by the measurements before it. */
  corrected?: number;
  measured: number;
}

const SEARCH_STYLES = {
  light: ['  .diag { stroke: #8c959f; stroke-dasharray: 5 4; }', '  .raw { fill: none; stroke: #9a6700; stroke-width: 1.5; } .fit { fill: #0969da; }'],
  dark: [],
};

const SIZE = { width: 560, height: 420, left: 72, right: 24, top: 64, bottom: 56 };

export function renderSearchScatter(points: readonly ScatterPoint[], title: string, unit: string): string {
  const { width, height, left, right, top, bottom } = SIZE;
  const values = points.flatMap((p) => [p.predicted, p.measured, ...(p.corrected !== undefined ? [p.corrected] : [])]);
  const step = niceStep(Math.max(1e-9, ...values) * 1.05);
  const max = Math.ceil((Math.max(1e-9, ...values) * 1.05) / step) * step;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const px = (v: number) => left + (v / max) * plotW;
  const py = (v: number) => top + plotH - (v / max) * plotH;
  const out = [
    ...svgHeader(width, height, title, 'search-title', SEARCH_STYLES),
    `<circle class="raw" cx="24" cy="44" r="4"/><text class="muted" x="32" y="48">simulator, uncorrected</text>`,
    `<circle class="fit" cx="184" cy="44" r="4"/><text class="muted" x="192" y="48">corrected by the measurements before it</text>`,
  ];
  for (let v = 0; v <= max + 1e-9; v += step) {
    out.push(`<line class="grid" x1="${left}" y1="${py(v).toFixed(1)}" x2="${left + plotW}" y2="${py(v).toFixed(1)}"/>`);
    out.push(`<text class="muted" x="${left - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end">${Math.round(v)}</text>`);
    out.push(`<text class="muted" x="${px(v).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${Math.round(v)}</text>`);
  }
  out.push(`<line class="diag" x1="${px(0)}" y1="${py(0)}" x2="${px(max).toFixed(1)}" y2="${py(max).toFixed(1)}"/>`);
  out.push(`<text class="muted" x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle">predicted (${escapeXml(unit)})</text>`);
  out.push(`<text class="muted" transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">measured (${escapeXml(unit)})</text>`);
  for (const p of points) {
    out.push(`<circle class="raw" cx="${px(p.predicted).toFixed(1)}" cy="${py(p.measured).toFixed(1)}" r="4"><title>${escapeXml(`${p.label}: predicted ${p.predicted.toFixed(1)}, measured ${p.measured.toFixed(1)}`)}</title></circle>`);
    if (p.corrected !== undefined) {
      out.push(`<circle class="fit" cx="${px(p.corrected).toFixed(1)}" cy="${py(p.measured).toFixed(1)}" r="4"><title>${escapeXml(`${p.label}: corrected ${p.corrected.toFixed(1)}, measured ${p.measured.toFixed(1)}`)}</title></circle>`);
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
