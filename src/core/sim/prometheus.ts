// /metrics of the simulated engines, in each engine's own names, types, labels and buckets
// (research/engines.md §3), rendered in the Prometheus text format.

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]! += 1;
  }
}

export type Labels = Record<string, string>;

const renderLabels = (labels: Labels) => {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
};

const num = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

export class Exposition {
  private readonly lines: string[] = [];
  header(name: string, type: 'gauge' | 'counter' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  gauge(name: string, help: string, labels: Labels, value: number): this {
    this.header(name, 'gauge', help);
    this.lines.push(`${name}${renderLabels(labels)} ${num(value)}`);
    return this;
  }
  /** A counter as prometheus_client exposes it: `<name>_total` plus `<name>_created`. */
  counter(name: string, help: string, series: ReadonlyArray<{ labels: Labels; value: number }>, createdAt: number): this {
    this.header(`${name}_total`, 'counter', help);
    for (const s of series) this.lines.push(`${name}_total${renderLabels(s.labels)} ${num(s.value)}`);
    for (const s of series) this.lines.push(`${name}_created${renderLabels(s.labels)} ${createdAt}`);
    return this;
  }
  histogram(name: string, help: string, labels: Labels, h: Histogram): this {
    this.header(name, 'histogram', help);
    h.buckets.forEach((b, i) => this.lines.push(`${name}_bucket${renderLabels({ ...labels, le: num(b) })} ${num(h.counts[i]!)}`));
    this.lines.push(`${name}_bucket${renderLabels({ ...labels, le: '+Inf' })} ${num(h.count)}`);
    this.lines.push(`${name}_count${renderLabels(labels)} ${num(h.count)}`);
    this.lines.push(`${name}_sum${renderLabels(labels)} ${num(h.sum)}`);
    return this;
  }
  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export const VLLM_BUCKETS = {
  ttft: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0],
  itl: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0],
  request: [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0],
  iterationTokens: [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
} as const;

export const SGLANG_BUCKETS = {
  ttft: [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400],
  itl: [0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.06, 0.08, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8],
  e2e: [0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6, 8, 10, 20, 40, 60, 80, 100, 200, 400, 800, 1200, 1800, 2400],
  queue: [0, 0.1, 0.2, 0.5, 1, 2, 3, 4, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1400, 1600, 1800, 2000, 2500, 3000],
} as const;
