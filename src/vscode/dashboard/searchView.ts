// A running predicted search as the dashboard shows it: candidates best first — measured by their measurement, the
// rest by their forecast — and the ruled-out ones last with their reason.
import type { SearchProgress } from '../../core/tune/observer';
import { objectiveLabel } from '../../core/tune/search';
import { MAX_SEARCH_ROWS, type SearchRowView, type SearchView } from '../../shared/protocol';

const order: Record<SearchRowView['state'], number> = { measured: 0, measuring: 0, open: 0, 'ruled-out': 1 };

function rowOf(c: SearchProgress['candidates'][number]): SearchRowView {
  const state: SearchRowView['state'] = c.ruledOut !== undefined ? 'ruled-out' : c.measured !== undefined ? 'measured' : c.measuring ? 'measuring' : 'open';
  return {
    name: c.name,
    state,
    ...(c.forecast ? { forecast: c.forecast.value, low: c.forecast.low, high: c.forecast.high } : {}),
    ...(c.measured !== undefined ? { measured: c.measured } : {}),
    ...(c.ruledOut !== undefined ? { why: c.ruledOut } : {}),
  };
}

export function searchView(title: string, progress: SearchProgress): SearchView {
  const rank = (r: SearchRowView) => r.measured ?? r.forecast ?? -1;
  const rows = progress.candidates.map(rowOf).sort((a, b) => order[a.state] - order[b.state] || rank(b) - rank(a));
  return {
    title,
    metric: objectiveLabel(progress.metric),
    ...(progress.baseline ? { baseline: progress.baseline } : {}),
    rows: rows.slice(0, MAX_SEARCH_ROWS),
    ...(progress.stopped ? { stopped: progress.stopped } : {}),
  };
}
