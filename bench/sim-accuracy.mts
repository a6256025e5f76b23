// How accurate is the simulator on measured results? Run by hand:
//   node --import tsx bench/sim-accuracy.mts            per-page fit errors and leave-one-page-out errors
//   node --import tsx bench/sim-accuracy.mts --write    also refit and rewrite src/core/sim/calibration/fitted.ts
// Cases: test/fixtures/sim-calibration.json (the reference page and four pages of the same lab). Each case runs once
// through the simulator (its schedule does not depend on step times, every request being sent at once); the fit
// then re-times the recorded steps. "Fit" = efficiencies fitted on every page; "LOPO" = each page predicted by
// efficiencies fitted on the other pages only, which is what a model/GPU the simulator never saw gets.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCalibrationCases, traceCase, type TracedCase } from '../src/core/sim/calibration/cases';
import { caseErrors, fitAll, leaveOnePageOut, stageWinners, summarize, type CaseError } from '../src/core/sim/calibration/fit';
import { FITTED_EFFICIENCY, type FittedEngine } from '../src/core/sim/calibration/fitted';
import type { EngineEfficiency } from '../src/core/sim/perf';

const write = process.argv.includes('--write');
const fixture = fileURLToPath(new URL('../test/fixtures/sim-calibration.json', import.meta.url));
const started = Date.now();
const traced: TracedCase[] = [];
for (const c of loadCalibrationCases(fixture)) {
  const t = traceCase(c);
  if ('crash' in t) console.log(`${c.id.padEnd(36)} simulated crash: ${t.crash.slice(0, 110)}${c.crash ? `  (page: ${c.crash})` : '  (page: measured, NOT a crash)'}`);
  else if (c.crash) console.log(`${c.id.padEnd(36)} page crashed (${c.crash}) but the simulator runs it`);
  else traced.push(t);
}
const traceSeconds = (Date.now() - started) / 1000;

const params = fitAll(traced, FITTED_EFFICIENCY);
const fit = caseErrors(traced, params);
const lopo = leaveOnePageOut(traced);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
function table(title: string, errors: readonly CaseError[]): void {
  console.log(`\n${title}: |predicted/measured − 1|, median / p90 (worst) per page`);
  console.log(`${'page'.padEnd(30)}${'cases'.padStart(6)}${'throughput'.padStart(26)}${'mean TTFT'.padStart(26)}${'mean TPOT'.padStart(26)}`);
  for (const s of summarize(errors)) {
    const cell = (k: 'tput' | 'ttft' | 'tpot') => `${pct(s.median[k])} / ${pct(s.p90[k])} (${pct(s.worst[k])})`.padStart(26);
    console.log(`${s.page.padEnd(30)}${String(s.cases).padStart(6)}${cell('tput')}${cell('ttft')}${cell('tpot')}`);
  }
  const stages = stageWinners(errors);
  console.log(`stage winners: ${stages.filter((s) => s.agree).length}/${stages.length} as measured${stages.some((s) => !s.agree) ? ` (differ: ${stages.filter((s) => !s.agree).map((s) => `${s.stage} → predicted ${s.predicted}, measured ${s.measured}`).join('; ')})` : ''}`);
}

console.log('\nper case (fit on all pages): predicted vs measured total token throughput, Δ TTFT, Δ TPOT');
for (const e of fit) {
  console.log(`${e.case.id.padEnd(36)}${e.engine.padEnd(8)}${e.case.workload.padEnd(22)}${e.predicted.tput.toFixed(0).padStart(8)}${e.case.measured!.tput.toFixed(0).padStart(8)}${pct(e.error.tput).padStart(9)}${pct(e.error.ttft).padStart(9)}${pct(e.error.tpot).padStart(9)}${e.case.skip ? `  (not fitted: ${e.case.skip})` : ''}`);
}
table('Fit (efficiencies fitted on all pages)', fit);
table('Leave one page out (fitted on the other pages)', lopo);
console.log(`\n${traced.length} cases simulated in ${traceSeconds.toFixed(1)} s; fit and leave-one-page-out in ${((Date.now() - started) / 1000 - traceSeconds).toFixed(1)} s`);

const format = (e: EngineEfficiency) => `{ ${Object.entries(e).map(([k, v]) => `${k}: ${Number(v.toPrecision(3))}`).join(', ')} }`;
for (const engine of Object.keys(params) as FittedEngine[]) console.log(`${engine}: ${format(params[engine])}`);
if (write) {
  const path = fileURLToPath(new URL('../src/core/sim/calibration/fitted.ts', import.meta.url));
  writeFileSync(
    path,
    `// Per-engine efficiencies of the step-time model (perf.ts), fitted on the reference page and the calibration
// pages (test/fixtures/sim-calibration.json). Regenerate with \`node --import tsx bench/sim-accuracy.mts --write\`
// (it prints the per-page and leave-one-page-out errors this table gives).
import type { EngineEfficiency } from '../perf';

export type FittedEngine = 'vllm' | 'sglang' | 'trtllm';

export const FITTED_EFFICIENCY: Readonly<Record<FittedEngine, EngineEfficiency>> = {
${(Object.keys(params) as FittedEngine[]).map((k) => `  ${k}: ${format(params[k])},`).join('\n')}
};
`,
  );
  console.log(`wrote ${path}`);
}
