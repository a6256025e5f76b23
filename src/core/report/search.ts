// The report's "How the search spent its time" section (issue 14), from a predicted search's record: what it
// measured against what it predicted (a table and a scatter chart), the host corrections it fitted, what it skipped
// and why, and the GPU-hours it spent against a full grid's estimate.
import type { Experiment, PredictedSearchRecord, SearchCandidateRecord } from '../plan/schema';
import { objectiveUnit } from '../tune/search';
import type { ReportAsset } from './capacity';
import { plainText, table } from './markdown';
import { renderSearchScatter, type ScatterPoint } from './searchChart';

const f1 = (x: number) => x.toFixed(1);
const pct = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(1)}%`);
const hours = (s: number) => (s / 3600).toFixed(s < 36 ? 3 : 2);
const unitOf = (s: PredictedSearchRecord) => objectiveUnit(s.metric);

const SKIP_TITLES: Record<NonNullable<SearchCandidateRecord['skipped']>['kind'], string> = {
  'does-not-fit': 'needs more GPUs than the host has',
  'same-launch': 'launches what another candidate launches (flags at the engine’s defaults)',
  'not-applicable': 'the engine or the model cannot run it (no such setting, no such draft)',
  'predicted-crash': 'the simulator predicts a crash',
  'learned-crash': 'ruled out by a crash measured on this host',
  'cannot-win': 'its upper bound is within noise of the best measured',
  budget: 'the budget ran out',
};

/** At most this many skipped candidates of one kind are listed by name. */
const LISTED = 8;

function correctionsText(s: PredictedSearchRecord): string {
  const c = s.corrections;
  if (!c) return '';
  const engines = Object.entries(c.engineTimeScale).map(([e, v]) => `${e} steps ×${v.toFixed(3)}`);
  const memory = `memory traffic ×${c.memoryTimeScale.toFixed(3)} the datasheet's time (≈ ${f1(100 / c.memoryTimeScale)}% of its bandwidth)`;
  const residual = c.residual === null ? 'too few measurements for a residual yet' : `residual ±${f1(c.residual * 100)}%`;
  const text = `Fitted host corrections (${c.points} measurements): ${memory}; ${engines.length > 0 ? engines.join(', ') : 'no engine measured'}; ${residual}; run-to-run noise allowed ${f1((s.noise ?? 0) * 100)}%.`;
  // Without repeats the noise is assumed; a residual well above it says the host varies more than that (or the
  // simulator misses something), so a gain below the residual is not evidence.
  const caution =
    c.residual !== null && c.residual > 2 * (s.noise ?? 0)
      ? ` The residual is well above the noise allowed: measurements on this host vary more than assumed, so treat differences below ±${f1(c.residual * 100)}% as unproven and measure again with \`repeats: 2\` or more.`
      : '';
  return text + caution;
}

function skippedText(s: PredictedSearchRecord): string {
  const parts: string[] = [];
  for (const kind of Object.keys(SKIP_TITLES) as Array<keyof typeof SKIP_TITLES>) {
    const of = s.candidates.filter((c) => c.skipped?.kind === kind).sort((a, b) => (b.corrected?.value ?? 0) - (a.corrected?.value ?? 0));
    if (of.length === 0) continue;
    const rows = of.slice(0, LISTED).map((c) => [plainText(c.name), c.corrected ? `${f1(c.corrected.value)} (${f1(c.corrected.low)}–${f1(c.corrected.high)})` : '—', plainText(c.skipped!.why)]);
    parts.push(`**${of.length} ${of.length === 1 ? 'candidate' : 'candidates'}: ${SKIP_TITLES[kind]}**${of.length > LISTED ? ` (the ${LISTED} best forecast shown)` : ''}`, table(['Candidate', `Forecast (${unitOf(s)}, 95%)`, 'Why'], rows));
  }
  return parts.join('\n\n');
}

/** The section and its scatter chart, or undefined when the experiment ran no predicted search. */
export function searchSection(x: Experiment, link: (fileName: string) => string): { markdown: string; assets: ReportAsset[] } | undefined {
  const s = x.search;
  if (!s) return undefined;
  const unit = unitOf(s);
  const byName = new Map(s.candidates.map((c) => [c.name, c]));
  const measured = s.steps.filter((st) => st.measured !== undefined || st.crashed !== undefined);
  const points: ScatterPoint[] = measured.flatMap((st) => {
    const predicted = byName.get(st.candidate)?.predicted;
    return st.measured !== undefined && predicted !== undefined ? [{ label: st.candidate, predicted, corrected: st.forecast, measured: st.measured }] : [];
  });
  const file = `${x.id}-search.svg`;
  const ruledOut = s.candidates.filter((c) => c.skipped?.kind === 'predicted-crash' || c.skipped?.kind === 'does-not-fit').length;
  const ratio = s.gridGpuSeconds > 0 ? ` (${f1((s.gpuSeconds / s.gridGpuSeconds) * 100)}% of it)` : '';
  const parts = [
    '## How the search spent its time',
    `The space has ${s.candidates.length} candidates on ${s.gpuCount}× ${s.gpu}. The simulator forecast each one's ${plainText(s.metric.replace(/_/g, ' '))} on ${plainText(s.workload)} and ruled out ${ruledOut} before anything ran; ` +
      `${measured.length} were measured after the baseline, each chosen for the best upper bound after refitting the host's corrections to every measurement so far. ` +
      `They took ${hours(s.gpuSeconds)} GPU-hours, against an estimated ${hours(s.gridGpuSeconds)} GPU-hours to measure every candidate that fits${ratio} (the simulator's time for each, scaled by how long the measured ones took on this host).` +
      (s.stopped ? ` The search stopped because ${plainText(s.stopped)}.` : ''),
  ];
  if (points.length > 0) parts.push(`![Predicted against measured ${unit}](${link(file)})`);
  const rows = measured.map((st) => {
    const c = byName.get(st.candidate);
    return [
      plainText(st.candidate),
      c?.predicted !== undefined ? f1(c.predicted) : '—',
      `${f1(st.forecast)} (≤ ${f1(st.upper)})`,
      st.measured !== undefined ? f1(st.measured) : `crashed: ${plainText(st.crashed ?? '')}`,
      (st.gpuSeconds / 3600).toFixed(3),
    ];
  });
  if (rows.length > 0) parts.push(table(['Candidate (in the order measured)', `Simulator (${unit})`, 'Forecast when picked (upper bound)', `Measured (${unit})`, 'GPU-hours'], rows));
  parts.push(
    `Prediction error over the measured candidates: ${pct(s.errorBeforePct)} from the simulator alone, ${pct(s.errorOutOfSamplePct)} for each forecast made just before its candidate was measured, ${pct(s.errorAfterPct)} after the final fit.`,
  );
  const corrections = correctionsText(s);
  if (corrections) parts.push(corrections);
  const skipped = skippedText(s);
  if (skipped) parts.push(skipped);
  const open = s.candidates.filter((c) => c.skipped?.kind === 'cannot-win' || c.skipped?.kind === 'budget').length;
  parts.push(
    `The recommendation is a measured configuration; ${open} ${open === 1 ? 'candidate was' : 'candidates were'} only predicted${open > 0 ? ' (their forecasts are above, with intervals)' : ''}. On a real host, confirm a predicted-only candidate by measuring it before relying on it.`,
  );
  const assets = points.length > 0 ? [{ fileName: file, svg: renderSearchScatter(points, `${s.workload}: predicted against measured ${unit}`, unit) }] : [];
  return { markdown: parts.join('\n\n'), assets };
}

/** `tune --dry-run`'s account of a predicted search: the predicted ranking, the launches it expects, GPU-hours against a grid. */
export function searchDryRunLines(s: PredictedSearchRecord, top = 10): string[] {
  const unit = unitOf(s);
  const ranked = s.candidates.filter((c) => c.predicted !== undefined).sort((a, b) => b.predicted! - a.predicted!);
  const measured = new Set(s.steps.map((st) => st.candidate));
  const fits = s.candidates.filter((c) => c.skipped?.kind !== 'does-not-fit' && c.skipped?.kind !== 'not-applicable' && c.skipped?.kind !== 'same-launch').length;
  const lines = [`predicted ranking (${ranked.length} of ${s.candidates.length} candidates; ${s.candidates.length - ranked.length} ruled out before measuring):`];
  ranked.slice(0, top).forEach((c, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${f1(c.predicted!).padStart(9)} ${unit}  ${c.name}${measured.has(c.name) ? '  ← measured' : c.baseline ? '  ← the baseline' : ''}`));
  if (ranked.length > top) lines.push(`  … ${ranked.length - top} more`);
  lines.push(
    `expected: ${s.steps.length + 1} launches (the baseline and ${s.steps.length} candidates) against ${fits} for a grid; ${hours(s.gpuSeconds)} GPU-hours of measuring against ${hours(s.gridGpuSeconds)} for a grid` +
      (s.gridGpuSeconds > 0 ? ` (${f1((s.gpuSeconds / s.gridGpuSeconds) * 100)}%)` : ''),
    'on the host, measurements that differ from the forecasts refit the corrections and can change which candidates are measured',
  );
  return lines;
}

/** One paragraph on what a predicted search measured and spent (the Results view's tooltip). */
export function searchSummary(s: PredictedSearchRecord): string {
  const ruledOut = s.candidates.filter((c) => c.skipped && c.skipped.kind !== 'cannot-win' && c.skipped.kind !== 'budget').length;
  const grid = s.gridGpuSeconds > 0 ? ` of about ${hours(s.gridGpuSeconds)} a grid would take` : '';
  return `Predicted search: measured ${s.steps.length} of ${s.candidates.length} candidates (${ruledOut} ruled out before or by a crash), ${hours(s.gpuSeconds)} GPU-hours${grid}. Prediction error ${pct(s.errorBeforePct)} before the host fit, ${pct(s.errorAfterPct)} after.${s.stopped ? ` Stopped: ${s.stopped}.` : ''}`;
}
