// Results as CSV, for spreadsheets: shared by `serving-lab results export --csv` and the extension's Export Results.
import type { BenchmarkResult } from '../plan/schema';

const CSV_COLUMNS = ['id', 'createdAt', 'status', 'experimentId', 'stage', 'option', 'repeat', 'engine', 'model', 'tp', 'pp', 'dp', 'ep', 'workload', 'runner', 'serveCommand'] as const;

/** A spreadsheet reads a cell starting with one of these as a formula (`=HYPERLINK(…)`, `@SUM(…)`, DDE via `+`/`-`). */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  // OWASP's CSV-injection advice: text that would start a formula gets a leading ' (numbers stay numbers).
  const s = typeof v === 'string' && FORMULA_START.test(v) ? `'${v}` : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per result: provenance columns, then every metric key any result has (vLLM --save-result names). */
export function resultsToCsv(results: readonly BenchmarkResult[]): string {
  const metricKeys: string[] = [];
  for (const r of results) for (const k of Object.keys(r.metrics)) if (!metricKeys.includes(k)) metricKeys.push(k);
  const rows = [[...CSV_COLUMNS, ...metricKeys].join(',')];
  for (const r of results) {
    const info: Record<(typeof CSV_COLUMNS)[number], unknown> = {
      id: r.id,
      createdAt: r.createdAt,
      status: r.status,
      experimentId: r.experimentId,
      stage: r.stage,
      option: r.option,
      repeat: r.repeat,
      engine: r.variant?.engine,
      model: r.variant?.model,
      tp: r.variant?.parallel.tp,
      pp: r.variant?.parallel.pp,
      dp: r.variant?.parallel.dp,
      ep: r.variant?.parallel.ep,
      workload: r.workload?.name,
      runner: r.runner,
      serveCommand: r.commands.serve,
    };
    rows.push([...CSV_COLUMNS.map((c) => csvCell(info[c])), ...metricKeys.map((k) => csvCell(r.metrics[k]))].join(','));
  }
  return `${rows.join('\n')}\n`;
}
