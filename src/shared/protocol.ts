// Messages between the extension (src/vscode/dashboard) and the dashboard webview (webview/). Versioned, and
// validated with zod on receipt on both sides: the extension owns all state and sends snapshots plus sample batches;
// the webview renders them and asks for a snapshot whenever it (re)appears.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
const v = z.literal(PROTOCOL_VERSION);

/** Points kept per series on both sides: an hour at one sample a second, twice over. */
export const MAX_SAMPLES = 7200;
/** Engine log lines kept for the tail. */
export const MAX_LOG_LINES = 300;

const finite = z.number().finite();

/** Engine-side latency of the requests finished between two scrapes (from the engine's histograms), in ms. */
export const LatencyBand = z.strictObject({ meanMs: finite.nonnegative(), p50Ms: finite.nonnegative(), p99Ms: finite.nonnegative() });
export type LatencyBand = z.infer<typeof LatencyBand>;

export const ENGINE_LATENCY_METRICS = ['ttft', 'tpot', 'itl', 'e2e', 'queue'] as const;

/** One live observation, `t` seconds after the run started. Absent fields were not measured at that moment. */
export const LiveSample = z.strictObject({
  t: finite.nonnegative(),
  totalTokensPerS: finite.nonnegative().optional(),
  outputTokensPerS: finite.nonnegative().optional(),
  running: finite.nonnegative().optional(),
  waiting: finite.nonnegative().optional(),
  /** KV-cache usage, 0..1. */
  kvCacheUsage: finite.min(0).max(1).optional(),
  ttftMs: finite.nonnegative().optional(),
  tpotMs: finite.nonnegative().optional(),
  itlMs: finite.nonnegative().optional(),
  /** Bands from the engine's histograms, any runner; `tpot` only where the engine has a per-request TPOT histogram. */
  engineLatency: z.partialRecord(z.enum(ENGINE_LATENCY_METRICS), LatencyBand).optional(),
  /** Preemptions since the previous scrape (vLLM) or requests retracted now (SGLang). */
  preempted: finite.nonnegative().optional(),
  /** Prefix-cache hit rate, 0..1. */
  prefixHitRate: finite.min(0).max(1).optional(),
  /** Why the latency chart stays empty for this engine; shown in the chart. */
  latencyNote: z.string().max(400).optional(),
});
export type LiveSample = z.infer<typeof LiveSample>;

export const RUN_PHASES = ['launching', 'waiting-ready', 'warmup', 'benchmarking', 'stopping', 'completed', 'failed', 'stopped'] as const;
export const RunPhase = z.enum(RUN_PHASES);
export type RunPhase = z.infer<typeof RunPhase>;

export const RunProgress = z.strictObject({
  phase: RunPhase,
  /** What is happening, for people: "benchmarking ShareGPT (412/1000 requests)". */
  label: z.string(),
  completed: finite.nonnegative().optional(),
  total: finite.nonnegative().optional(),
  etaSeconds: finite.nonnegative().optional(),
});
export type RunProgress = z.infer<typeof RunProgress>;

/** Lanes a run shows: the hosts of a pool, a Slurm host's jobs. */
export const MAX_LANES = 16;

/** A lane's state: idle, its Slurm job queued, its engine starting, benchmarking, or its host down. */
export const LANE_STATES = ['idle', 'queued', 'starting', 'benchmarking', 'down'] as const;

/** A Slurm job as squeue shows it: PENDING with the scheduler's reason, RUNNING on a node. */
export const SlurmJobView = z.strictObject({ id: z.string().min(1), state: z.string(), reason: z.string().optional(), node: z.string().optional() });
export type SlurmJobView = z.infer<typeof SlurmJobView>;

/** One of the engines a parallel run drives at once (a pool's host, a Slurm job): what it measures now, and its state. */
export const LaneStatus = z.strictObject({
  /** Stable for the run: the host, or the host and its Slurm job. */
  key: z.string().min(1).max(200),
  host: z.string(),
  state: z.enum(LANE_STATES),
  option: z.string().optional(),
  stage: z.string().optional(),
  workload: z.string().optional(),
  /** The offered load of a load-curve point: "8 req/s", "concurrency 64". */
  load: z.string().optional(),
  /** Why the host is down, or the last crash; for people. */
  detail: z.string().max(400).optional(),
  job: SlurmJobView.optional(),
});
export type LaneStatus = z.infer<typeof LaneStatus>;

export const LaneView = LaneStatus.extend({ samples: z.array(LiveSample).max(MAX_SAMPLES) });
export type LaneView = z.infer<typeof LaneView>;

/** The final metrics once the benchmark finished: label → formatted value. */
export const SummaryRows = z.array(z.strictObject({ label: z.string(), value: z.string() }));

export const LiveRun = z.strictObject({
  id: z.string().min(1),
  title: z.string(),
  host: z.string(),
  /** The launch command as the user would type it. */
  command: z.string().optional(),
  startedAt: z.string(),
  progress: RunProgress,
  samples: z.array(LiveSample).max(MAX_SAMPLES),
  log: z.array(z.string()).max(MAX_LOG_LINES),
  summary: SummaryRows,
  /** A run of several engines at once, one lane each, with its own samples; empty on a one-engine run. */
  lanes: z.array(LaneView).max(MAX_LANES).optional(),
});
export type LiveRun = z.infer<typeof LiveRun>;

export const ComparisonRow = z.strictObject({
  workload: z.string(),
  baseline: finite.nonnegative().nullable(),
  optimized: finite.nonnegative().nullable(),
  /** Secondary metric shown in the table (mean TPOT by default); lower is better. */
  baselineLatencyMs: finite.nonnegative().nullable(),
  optimizedLatencyMs: finite.nonnegative().nullable(),
});
export type ComparisonRow = z.infer<typeof ComparisonRow>;

export const Comparison = z.strictObject({
  title: z.string(),
  metricLabel: z.string(),
  latencyLabel: z.string(),
  baselineLabel: z.string(),
  optimizedLabel: z.string(),
  rows: z.array(ComparisonRow),
  /** Where the compared results' tools define a metric differently (imported results), shown under the table. */
  notes: z.array(z.string().max(400)).max(20).optional(),
});
export type Comparison = z.infer<typeof Comparison>;

// ---------------------------------------------------------------- load curves and the Pareto front (issue 13)

/** Points a curve may carry, and curves a view may show. */
export const MAX_CURVE_POINTS = 200;
export const MAX_CURVES = 40;

const loadValue = z.union([finite.positive(), z.literal('inf')]);

/** One measured load point as the charts plot it; `x` is the offered load (for the unbounded point, what it achieved). */
export const CurvePointView = z.strictObject({
  load: loadValue,
  x: finite.nonnegative(),
  /** Achieved requests per second. */
  requestRate: finite.nonnegative().optional(),
  goodput: finite.nonnegative().optional(),
  tokensPerGpu: finite.nonnegative().optional(),
  p99TtftMs: finite.nonnegative().optional(),
  p99TpotMs: finite.nonnegative().optional(),
  meetsSlo: z.boolean().optional(),
  saturated: z.boolean(),
});
export type CurvePointView = z.infer<typeof CurvePointView>;

export const CurveView = z.strictObject({
  /** Stable across updates of the same curve. */
  key: z.string().min(1),
  /** The variant, as the legend shows it. */
  label: z.string(),
  workload: z.string(),
  by: z.enum(['request_rate', 'concurrency']),
  gpus: z.number().int().positive(),
  slo: z.strictObject({ p99TtftMs: finite.positive().optional(), p99TpotMs: finite.positive().optional(), minSuccess: finite.min(0).max(1) }).optional(),
  /** In load order. */
  points: z.array(CurvePointView).max(MAX_CURVE_POINTS),
  /** Where the capacity lies as far as the points tell: the highest load that met the SLO, the lowest that broke it. */
  bracket: z.strictObject({ lo: finite.positive().optional(), hi: finite.positive().optional() }),
  capacity: z.strictObject({ load: finite.positive(), requestRate: finite.nonnegative(), perGpu: finite.nonnegative() }).optional(),
  /** The capacity and where the SLO breaks, in words. */
  summary: z.string(),
  done: z.boolean(),
});
export type CurveView = z.infer<typeof CurveView>;

export const PARETO_AXES = ['p99_tpot_ms', 'p99_ttft_ms'] as const;

export const ParetoPointView = z.strictObject({ label: z.string(), load: loadValue, throughputPerGpu: finite.nonnegative(), latencyMs: finite.nonnegative(), front: z.boolean() });
export type ParetoPointView = z.infer<typeof ParetoPointView>;

/** Every measured point against one tail latency; `front` marks the ones no other point beats on both. */
export const ParetoView = z.strictObject({ axis: z.enum(PARETO_AXES), points: z.array(ParetoPointView).max(MAX_CURVES * MAX_CURVE_POINTS) });
export type ParetoView = z.infer<typeof ParetoView>;

export const CurvesView = z.strictObject({
  title: z.string(),
  curves: z.array(CurveView).max(MAX_CURVES),
  pareto: z.array(ParetoView).max(PARETO_AXES.length),
});
export type CurvesView = z.infer<typeof CurvesView>;

export const MAX_SEARCH_ROWS = 500;

/** A candidate of a running predicted search: forecast with its ~95% range, measurement, or why it is ruled out. */
export const SearchRowView = z.strictObject({
  name: z.string(),
  state: z.enum(['measured', 'measuring', 'open', 'ruled-out']),
  forecast: finite.nonnegative().optional(),
  low: finite.nonnegative().optional(),
  high: finite.nonnegative().optional(),
  measured: finite.nonnegative().optional(),
  why: z.string().optional(),
});
export type SearchRowView = z.infer<typeof SearchRowView>;

/** A predicted search's ranking, best first, ruled-out candidates last. */
export const SearchView = z.strictObject({
  title: z.string(),
  metric: z.string(),
  baseline: z.strictObject({ name: z.string(), value: finite.nonnegative() }).optional(),
  rows: z.array(SearchRowView).max(MAX_SEARCH_ROWS),
  stopped: z.string().optional(),
});
export type SearchView = z.infer<typeof SearchView>;

export const DashboardState = z.strictObject({
  run: LiveRun.nullable(),
  comparison: Comparison.nullable(),
  /** Load curves: of the run in progress (building point by point), or of the results being compared. */
  curves: CurvesView.nullable().default(null),
  /** The ranking of the predicted search in progress. */
  search: SearchView.nullable().default(null),
});
export type DashboardState = z.infer<typeof DashboardState>;

// ---------------------------------------------------------------- extension → webview

export const ToWebview = z.discriminatedUnion('type', [
  z.strictObject({ v, type: z.literal('snapshot'), state: DashboardState }),
  /** `lane`: the samples of one lane of a parallel run (its key); absent, the run's own. */
  z.strictObject({ v, type: z.literal('samples'), runId: z.string(), lane: z.string().optional(), samples: z.array(LiveSample).max(MAX_SAMPLES) }),
  /** A lane of a parallel run changed: what it measures, its state, its Slurm job (its samples come as `samples`). */
  z.strictObject({ v, type: z.literal('lane'), runId: z.string(), lane: LaneStatus }),
  z.strictObject({ v, type: z.literal('log'), runId: z.string(), lines: z.array(z.string()).max(MAX_LOG_LINES) }),
  z.strictObject({ v, type: z.literal('progress'), runId: z.string(), progress: RunProgress, summary: SummaryRows.optional() }),
  /** The run's load curves after a point was measured (small: sent whole). */
  z.strictObject({ v, type: z.literal('curves'), runId: z.string(), curves: CurvesView }),
  /** The predicted search re-ranked its candidates (before each measurement, and when it stopped). */
  z.strictObject({ v, type: z.literal('search'), runId: z.string(), search: SearchView }),
  z.strictObject({ v, type: z.literal('exported'), chart: z.string(), path: z.string() }),
  z.strictObject({ v, type: z.literal('error'), message: z.string() }),
]);
export type ToWebview = z.infer<typeof ToWebview>;

// ---------------------------------------------------------------- webview → extension

export const CHART_IDS = ['throughput', 'latency', 'requests', 'kvCache', 'comparison', 'curveThroughput', 'curveTtft', 'curveTpot', 'paretoTpot', 'paretoTtft'] as const;
export const ChartId = z.enum(CHART_IDS);
export type ChartId = z.infer<typeof ChartId>;

export const FromWebview = z.discriminatedUnion('type', [
  /** The page loaded (or reappeared) and wants the full state. */
  z.strictObject({ v, type: z.literal('ready') }),
  z.strictObject({ v, type: z.literal('stop'), runId: z.string() }),
  /** A chart rendered to PNG, as a data URL, to be written into the docs' assets folder. */
  z.strictObject({ v, type: z.literal('exportChart'), chart: ChartId, pngDataUrl: z.string().regex(/^data:image\/png;base64,[A-Za-z0-9+/=]+$/) }),
  /** Reported after charts drew a batch: lets tests and the extension know rendering works. */
  z.strictObject({ v, type: z.literal('rendered'), charts: z.record(z.string(), z.number().int().nonnegative()) }),
]);
export type FromWebview = z.infer<typeof FromWebview>;

export type ParseOutcome<T> = { ok: true; message: T } | { ok: false; error: string };

function describeProblems(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
    .join('; ');
}

function parseWith<T>(schema: z.ZodType<T>, data: unknown, direction: string): ParseOutcome<T> {
  if (data && typeof data === 'object' && 'v' in data && (data as { v: unknown }).v !== PROTOCOL_VERSION) {
    return { ok: false, error: `${direction} message has protocol version ${String((data as { v: unknown }).v)}, expected ${PROTOCOL_VERSION}; reload the dashboard` };
  }
  const parsed = schema.safeParse(data);
  return parsed.success ? { ok: true, message: parsed.data } : { ok: false, error: `invalid ${direction} message: ${describeProblems(parsed.error)}` };
}

export function parseToWebview(data: unknown): ParseOutcome<ToWebview> {
  return parseWith(ToWebview, data, 'extension→dashboard');
}

export function parseFromWebview(data: unknown): ParseOutcome<FromWebview> {
  return parseWith(FromWebview, data, 'dashboard→extension');
}

/** Relative change in percent, or null when either side is missing or the baseline is zero. */
export function percentChange(baseline: number | null, value: number | null): number | null {
  if (baseline === null || value === null || baseline === 0) return null;
  return ((value - baseline) / baseline) * 100;
}

/** "+12.3%" / "-4.0%" / "-" as the comparison table shows it. */
export function formatPercentChange(change: number | null): string {
  if (change === null) return '-';
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`;
}
