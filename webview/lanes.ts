// The lanes of a parallel run (issue 17): one card per host of a pool (or Slurm job slot) with what it measures now,
// its state, and its own small throughput and latency charts in its own colour; and the Slurm queue of the jobs
// still queued or running. Renders what the extension sends; computes nothing itself.
import { LANE_STATES, type LaneStatus, type LaneView, type LiveSample } from '../src/shared/protocol';
import { LiveChart, type SeriesSpec } from './charts';

const STATE_LABEL: Record<(typeof LANE_STATES)[number], string> = { idle: 'idle', queued: 'queued', starting: 'starting engine', benchmarking: 'benchmarking', down: 'down' };

/** What a lane measures now, in one line: "Stage 1 · tp4 · sharegpt · 8 req/s". */
export function laneActivity(lane: LaneStatus): string {
  if (lane.state === 'down' || lane.state === 'idle') return lane.detail ?? '';
  const parts = [lane.stage && lane.stage !== 'Baseline' ? lane.stage : lane.stage === 'Baseline' ? 'baseline' : undefined, lane.option, lane.workload, lane.load];
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

function throughputSeries(host: string, colour: number): SeriesSpec[] {
  return [
    { label: `${host} total tok/s`, pick: (s) => s.totalTokensPerS, colour },
    { label: `${host} output tok/s`, pick: (s) => s.outputTokensPerS, colour, dashed: true },
  ];
}

function latencySeries(host: string, colour: number): SeriesSpec[] {
  return [
    { label: `${host} TTFT mean`, pick: (s) => s.engineLatency?.ttft?.meanMs, colour, markers: true },
    { label: `${host} TPOT mean`, pick: (s) => (s.engineLatency?.tpot ?? s.engineLatency?.itl)?.meanMs, colour, axis: 'y1', dashed: true },
    { label: `${host} TTFT per request`, pick: (s) => s.ttftMs, colour, points: true },
  ];
}

interface Lane {
  status: LaneStatus;
  card: HTMLElement;
  charts: { throughput: LiveChart; latency: LiveChart };
}

function child<T extends HTMLElement>(parent: HTMLElement, tag: string, className: string, text = ''): T {
  const el = document.createElement(tag) as T;
  el.className = className;
  el.textContent = text;
  parent.append(el);
  return el;
}

export class LanePanel {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly container: HTMLElement,
    private readonly queue: HTMLTableElement,
  ) {}

  /** Replaces every lane (a snapshot): a one-engine run has none. */
  show(lanes: readonly LaneView[]): void {
    for (const lane of this.lanes.values()) for (const chart of Object.values(lane.charts)) chart.chart.destroy();
    this.lanes.clear();
    this.container.replaceChildren();
    for (const lane of lanes) {
      this.update(lane);
      this.append(lane.key, lane.samples);
    }
    this.showQueue();
  }

  get size(): number {
    return this.lanes.size;
  }

  private create(status: LaneStatus): Lane {
    const colour = this.lanes.size;
    const card = child<HTMLElement>(this.container, 'article', 'lane chart-card');
    card.dataset['lane'] = status.key;
    const header = child<HTMLElement>(card, 'header', '');
    child(header, 'h3', 'lane-host', status.key);
    child(header, 'span', 'badge lane-state');
    child(card, 'p', 'lane-activity');
    child(card, 'p', 'lane-job muted');
    const box = (title: string) => {
      const chartBox = child<HTMLElement>(child<HTMLElement>(card, 'div', 'lane-chart'), 'div', 'chart-box small');
      const canvas = child<HTMLCanvasElement>(chartBox, 'canvas', '');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${status.key}: ${title}`);
      return canvas;
    };
    const throughputCanvas = box('token throughput');
    throughputCanvas.dataset['chart'] = 'throughput';
    const latencyCanvas = box('TTFT and TPOT');
    latencyCanvas.dataset['chart'] = 'latency';
    const lane = {
      status,
      card,
      charts: {
        throughput: new LiveChart(throughputCanvas, 'tokens/s', throughputSeries(status.key, colour)),
        latency: new LiveChart(latencyCanvas, 'TTFT ms', latencySeries(status.key, colour), 'TPOT ms'),
      },
    };
    this.lanes.set(status.key, lane);
    return lane;
  }

  /** A lane changed state or what it measures (a new lane appears). */
  update(status: LaneStatus): void {
    const lane = this.lanes.get(status.key) ?? this.create(status);
    lane.status = status;
    const { card } = lane;
    card.dataset['state'] = status.state;
    const badge = card.querySelector<HTMLElement>('.lane-state')!;
    badge.textContent = STATE_LABEL[status.state];
    badge.className = `badge lane-state lane-${status.state}`;
    card.querySelector<HTMLElement>('.lane-activity')!.textContent = laneActivity(status);
    const job = status.job;
    card.querySelector<HTMLElement>('.lane-job')!.textContent = job ? `Slurm job ${job.id} ${job.state}${job.reason && job.state === 'PENDING' ? ` (${job.reason})` : ''}${job.node ? ` on ${job.node}` : ''}` : '';
    this.showQueue();
  }

  append(key: string, samples: readonly LiveSample[]): void {
    const lane = this.lanes.get(key);
    if (!lane) return;
    for (const chart of Object.values(lane.charts)) chart.append(samples);
  }

  draw(): void {
    for (const { card, charts } of this.lanes.values()) {
      for (const [id, chart] of Object.entries(charts)) {
        chart.draw();
        const canvas = card.querySelector<HTMLElement>(`canvas[data-chart="${id}"]`)!;
        canvas.dataset['points'] = String(chart.pointCount());
        canvas.dataset['series'] = JSON.stringify(chart.pointsBySeries());
      }
    }
  }

  /** Points drawn per lane chart, for the page's render report ("lane gpu1 throughput"). */
  pointCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [key, { charts }] of this.lanes) for (const [id, chart] of Object.entries(charts)) counts[`lane ${key} ${id}`] = chart.pointCount();
    return counts;
  }

  /** The Slurm jobs still queued or running, with the scheduler's reason for a pending one and the node of a running one. */
  private showQueue(): void {
    const jobs = [...this.lanes.values()]
      .map((l) => l.status)
      .filter((s): s is LaneStatus & { job: NonNullable<LaneStatus['job']> } => s.job !== undefined && s.state !== 'idle' && s.state !== 'down');
    const section = this.queue.closest<HTMLElement>('section');
    if (section) section.hidden = jobs.length === 0;
    const row = (cells: string[], tag: 'th' | 'td') => {
      const tr = document.createElement('tr');
      for (const text of cells) child(tr, tag, '', text);
      return tr;
    };
    this.queue.replaceChildren(
      row(['Job', 'Host', 'Variant', 'State', 'Reason', 'Node'], 'th'),
      ...jobs.map((s) => {
        const tr = row([s.job.id, s.host, s.option ?? '', s.job.state, s.job.state === 'PENDING' ? (s.job.reason ?? '') : '', s.job.node ?? ''], 'td');
        tr.dataset['job'] = s.job.id;
        tr.dataset['state'] = s.job.state;
        return tr;
      }),
    );
  }
}
