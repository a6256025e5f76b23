// How plan loading scales with the number of unknown keys (issue 16: it was quadratic, 32k keys took 23 s), as
// `serving-lab plan validate` and the editor diagnostics run it. Run by hand: `node --import tsx bench/plan-load.mts`.
// Prints, per size, the milliseconds to load and the ratio to the previous size (linear: about 2 per doubling).
import { readFileSync } from 'node:fs';
import { parsePlan } from '../src/core/plan/load';

const example = readFileSync('examples/glm-4.5-air-a100.plan.yaml', 'utf8');
let previous: number | undefined;
for (const keys of [4000, 8000, 16000, 32000]) {
  const source = `${example}\n${Array.from({ length: keys }, (_, i) => `unknown_${i}: 1`).join('\n')}\n`;
  const started = performance.now();
  const result = parsePlan(source, 'bench.plan.yaml');
  const ms = performance.now() - started;
  const problems = result.ok ? 0 : result.problems.length;
  console.log(`${String(keys).padStart(6)} unknown keys (${(source.length / 1024).toFixed(0)} KiB): ${ms.toFixed(0).padStart(6)} ms, ${problems} problems${previous ? `, ×${(ms / previous).toFixed(2)} the previous size` : ''}`);
  previous = ms;
}
