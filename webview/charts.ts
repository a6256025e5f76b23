// Chart.js setup for the dashboard: tree-shaken registration, colours from the VS Code theme, live line charts with
// bounded buffers, min-max decimation and no animation, and the grouped-bar comparison chart.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Plugin,
} from 'chart.js';
import { MAX_SAMPLES, type Comparison, type LiveSample } from '../src/shared/protocol';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, BarController, BarElement, Legend, Tooltip, Decimation, Filler);

type Point = { x: number; y: number };

export interface Theme {
  foreground: string;
  grid: string;
  background: string;
  series: string[];
}

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** Reads the theme's chart colours (they change with light, dark and high-contrast themes). */
export function readTheme(): Theme {
  return {
    foreground: cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', '#cccccc')),
    grid: cssVar('--vscode-charts-lines', 'rgba(128,128,128,0.35)'),
    background: cssVar('--vscode-editor-background', '#1e1e1e'),
    series: [
      cssVar('--vscode-charts-blue', '#3794ff'),
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-yellow', '#cca700'),
    ],
  };
}

let activeTheme: Theme = { foreground: '#cccccc', grid: 'rgba(128,128,128,0.35)', background: '#1e1e1e', series: ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'] };

/**
 * Makes `theme` the colours of every chart: text and grid through Chart.js's global defaults, series colours through
 * scriptable options that read the active theme. Charts pick it up on their next update.
 */
export function setTheme(theme: Theme): void {
  activeTheme = theme;
  Chart.defaults.color = theme.foreground;
  Chart.defaults.borderColor = theme.grid;
}

export const seriesColour = (index: number) => () => activeTheme.series[index % activeTheme.series.length]!;

/** A CSS colour at `alpha` opacity, as rgba(); the canvas resolves whatever syntax the theme used. */
export function withAlpha(colour: string, alpha: number): string {
  const probe = document.createElement('canvas').getContext('2d');
  if (!probe) return colour;
  probe.fillStyle = colour;
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
const translucentColour = (index: number) => () => withAlpha(seriesColour(index)(), 0.18);

/** Paints the theme background under the chart so an exported PNG reads like the dashboard. */
export const backgroundPlugin: Plugin = {
  id: 'servingLabBackground',
  beforeDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    ctx.fillStyle = activeTheme.background;
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

export interface SeriesSpec {
  label: string;
  pick(sample: LiveSample): number | undefined;
  /** Theme colour index; the series' position by default. */
  colour?: number;
  /** 'y1': the right-hand axis (needs a second axis label). */
  axis?: 'y' | 'y1';
  /** Fill down to the previous series, making a band (e.g. p50 → p99). */
  bandToPrevious?: boolean;
  /** Dots without a line (per-request points). */
  points?: boolean;
  /** A line with a dot at each point, so an interval between gaps still shows. */
  markers?: boolean;
  dashed?: boolean;
  /** Left out of the legend (a band's lower edge). */
  unlabelled?: boolean;
}

/**
 * One live line chart. Points live in our own buffers (at most MAX_SAMPLES per series, oldest dropped first) and are
 * handed to Chart.js before each redraw: the decimation plugin swaps a dataset's `data` for its decimated copy, so
 * reading points back from the chart would return the copy.
 */
export class LiveChart {
  readonly chart: Chart<'line', Point[]>;
  private readonly series: SeriesSpec[];
  private buffers: Point[][];

  constructor(canvas: HTMLCanvasElement, yLabel: string, series: SeriesSpec[], y1Label?: string) {
    this.series = series;
    this.buffers = series.map(() => []);
    const datasets: ChartDataset<'line', Point[]>[] = series.map((s, i) => ({
      label: s.label,
      data: [],
      yAxisID: s.axis ?? 'y',
      borderColor: seriesColour(s.colour ?? i),
      backgroundColor: s.bandToPrevious ? translucentColour(s.colour ?? i) : seriesColour(s.colour ?? i),
      fill: s.bandToPrevious ? '-1' : false,
      borderWidth: s.bandToPrevious || s.unlabelled ? 0.5 : 1.5,
      borderDash: s.dashed ? [4, 3] : [],
      showLine: !s.points,
      pointRadius: s.points ? 1.5 : s.markers ? 2 : 0,
      spanGaps: true,
    }));
    this.chart = new Chart<'line', Point[]>(canvas, {
      type: 'line',
      data: { datasets },
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: 'seconds' }, ticks: { maxRotation: 0, minRotation: 0, sampleSize: 8 } },
          y: { beginAtZero: true, title: { display: true, text: yLabel } },
          ...(y1Label ? { y1: { beginAtZero: true, position: 'right' as const, grid: { drawOnChartArea: false }, title: { display: true, text: y1Label } } } : {}),
        },
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12, filter: (item, data) => !series[item.datasetIndex ?? 0]?.unlabelled && (data.datasets[item.datasetIndex ?? 0]?.data.length ?? 0) > 0 } },
          // min-max keeps latency spikes visible when an hour of points is drawn into a few hundred pixels.
          decimation: { enabled: true, algorithm: 'min-max' },
          tooltip: { enabled: true },
        },
      },
      plugins: [backgroundPlugin],
    });
  }

  replace(samples: readonly LiveSample[]): void {
    this.buffers = this.series.map(() => []);
    this.append(samples);
  }

  append(samples: readonly LiveSample[]): void {
    this.series.forEach((spec, i) => {
      const buffer = this.buffers[i]!;
      for (const s of samples) {
        const y = spec.pick(s);
        if (y !== undefined) buffer.push({ x: s.t, y });
      }
      if (buffer.length > MAX_SAMPLES) buffer.splice(0, buffer.length - MAX_SAMPLES);
    });
  }

  /** Redraws without animation. */
  draw(): void {
    this.chart.data.datasets.forEach((dataset, i) => (dataset.data = this.buffers[i]!));
    this.chart.update('none');
  }

  pointCount(): number {
    return this.buffers.reduce((n, b) => n + b.length, 0);
  }

  /** Points per series label (a band's edges count under their own labels). */
  pointsBySeries(): Record<string, number> {
    return Object.fromEntries(this.series.map((s, i) => [s.label, this.buffers[i]!.length]));
  }
}

/** Grouped bars, baseline vs optimized per workload, like the reference's chart. */
export class ComparisonChart {
  readonly chart: Chart<'bar', (number | null)[], string>;

  constructor(canvas: HTMLCanvasElement) {
    this.chart = new Chart<'bar', (number | null)[], string>(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { type: 'category' }, y: { beginAtZero: true, title: { display: true, text: '' } } },
        plugins: { legend: { position: 'bottom' } },
      },
      plugins: [backgroundPlugin],
    });
  }

  show(comparison: Comparison): void {
    this.chart.data.labels = comparison.rows.map((r) => r.workload);
    this.chart.data.datasets = [
      { label: comparison.baselineLabel, data: comparison.rows.map((r) => r.baseline), backgroundColor: seriesColour(1) },
      { label: comparison.optimizedLabel, data: comparison.rows.map((r) => r.optimized), backgroundColor: seriesColour(0) },
    ];
    const y = this.chart.options.scales?.['y'];
    if (y && 'title' in y && y.title) y.title.text = comparison.metricLabel;
    this.chart.update('none');
  }

  pointCount(): number {
    return this.chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0);
  }
}
