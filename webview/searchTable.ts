// The predicted search's ranking while it runs: one row per candidate, as the extension ranked them.
import type { SearchView } from '../src/shared/protocol';

const fmt = (v: number | undefined) => (v === undefined ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 }));

const STATUS: Record<SearchView['rows'][number]['state'], string> = { measured: 'measured', measuring: 'measuring…', open: 'not measured yet', 'ruled-out': 'ruled out' };

function cell(text: string, cls?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

/** The header, the baseline, then the candidates in the extension's order. */
export function searchRows(view: SearchView): HTMLTableRowElement[] {
  const head = document.createElement('tr');
  for (const h of ['Candidate', `Forecast (${view.metric})`, '95% range', 'Measured', 'Status']) {
    const th = document.createElement('th');
    th.textContent = h;
    head.append(th);
  }
  const rows = view.rows.map((r) => {
    const tr = document.createElement('tr');
    tr.dataset['state'] = r.state;
    tr.append(
      cell(r.name),
      cell(fmt(r.forecast)),
      cell(r.low === undefined ? '-' : `${fmt(r.low)} – ${fmt(r.high)}`),
      cell(fmt(r.measured), r.measured !== undefined && view.baseline && r.measured > view.baseline.value ? 'better' : undefined),
      cell(r.why ? `${STATUS[r.state]}: ${r.why}` : STATUS[r.state], r.state === 'ruled-out' ? 'worse' : undefined),
    );
    return tr;
  });
  if (!view.baseline) return [head, ...rows];
  const base = document.createElement('tr');
  base.append(cell(`${view.baseline.name} (baseline)`), cell('-'), cell('-'), cell(fmt(view.baseline.value)), cell('measured'));
  return [head, base, ...rows];
}
