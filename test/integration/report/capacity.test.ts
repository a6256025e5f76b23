// Capacity under SLO from plan to page: the capacity plan runs in the simulator's virtual time into a real results
// store, `serving-lab results show` / `results pareto` read the curves back, `serving-lab report latest` writes the
// "Capacity under SLO" section with its two charts, and mkdocs-material builds it in --strict mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseServeCommand, renderVariant } from '../../../src/core/engines/index';
import { loadPlanFile } from '../../../src/core/plan/load';
import { TuningPlan } from '../../../src/core/plan/schema';
import { openResultsStore } from '../../../src/core/results/store';
import { runExperiment } from '../../../src/core/tune/experiment';
import { PredictingBackend } from '../../../src/core/tune/predict';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

test('a capacity experiment reads back as curves, a Pareto front and a report section mkdocs builds strictly', async () => {
  const dir = tempDir('serving-lab-capacity-');
  const loaded = await loadPlanFile('examples/glm-4.5-air-a100.capacity.plan.yaml');
  assert.ok(loaded.ok);
  // The reference's baseline and recommendation only, to keep the test short.
  const plan = TuningPlan.parse({ ...loaded.plan, stages: [{ name: 'Engine', kind: 'engine', options: [{ name: 'SGLang TP4+EP4', variant: { engine: 'sglang', parallel: { tp: 4, ep: 4 } } }] }] });
  const backend = new PredictingBackend(
    { runner: 'native', launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: (_v, w) => `serving-lab bench --request-rate ${w.requestRate}` },
    { facts: { name: 'sim', gpus: [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 })), engineVersions: { vllm: '0.11.0', sglang: '0.5.4.post2' }, simulated: true }, gpu: 'A100-SXM4-80GB', count: 4, speedup: 1 },
  );
  const x = await runExperiment({ plan, backend, store: openResultsStore(join(dir, '.serving-lab')), signal: new AbortController().signal, parseCommand: parseServeCommand });
  assert.equal(x.status, 'completed');
  const cli = (...args: string[]) => spawnSync(process.execPath, [resolve('dist/cli.js'), ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });

  const show = cli('results', 'show', x.id);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /Curve Baseline · ShareGPT \(capacity by request_rate, 4 GPUs; p99 TTFT ≤ 3000 ms, p99 TPOT ≤ 100 ms, success ≥ 99%\):/);
  assert.match(show.stdout, /^LOAD +REQ\/S +TOK\/S +TOK\/S\/GPU/m);
  assert.match(show.stdout, /capacity \d+(\.\d+)? req\/s: .* req\/s per GPU \(4 GPUs\); breaks the SLO at .*, p99_tpot_ms first/);
  assert.match(show.stdout, /^SLO-based choice: +Baseline/m);
  assert.match(show.stdout, /^Max-throughput choice: SGLang TP4\+EP4/m);

  const pareto = cli('results', 'pareto', x.id, '--json');
  assert.equal(pareto.status, 0, pareto.stderr);
  const fronts = JSON.parse(pareto.stdout).fronts as Record<string, Array<{ throughputPerGpu: number; latencyMs: number }>>;
  for (const axis of ['p99_tpot_ms', 'p99_ttft_ms']) {
    const front = fronts[axis]!;
    assert.ok(front.length >= 2, axis);
    // Along the front, more latency buys more throughput per GPU.
    for (let i = 1; i < front.length; i++) assert.ok(front[i]!.latencyMs >= front[i - 1]!.latencyMs && front[i]!.throughputPerGpu > front[i - 1]!.throughputPerGpu);
  }

  mkdirSync(join(dir, 'docs'));
  const report = cli('report', 'latest', '--out', 'docs/index.md');
  assert.equal(report.status, 0, report.stderr);
  const markdown = readFileSync(join(dir, 'docs/index.md'), 'utf8');
  assert.match(markdown, /^## Capacity under SLO$/m);
  assert.match(markdown, /^SLO on ShareGPT: p99 TTFT ≤ 3000 ms, p99 TPOT ≤ 100 ms, success ≥ 99%/m);
  assert.match(markdown, /^!!! tip "SLO-based recommendation"\n {4}\*\*Baseline\*\*/m);
  assert.match(markdown, /Max-throughput choice: \*\*SGLang TP4\+EP4\*\*.*breaks the SLO from .* on, p99_tpot_ms first/);
  assert.match(markdown, /^- \*\*SGLang TP4\+EP4\*\*: capacity .* breaks the SLO at .*, p99_tpot_ms first/m);
  for (const chart of ['capacity', 'pareto']) assert.match(readFileSync(join(dir, 'docs', `${x.id}-${chart}.svg`), 'utf8'), /^<svg [\s\S]*SLO 100 ms/);

  writeFileSync(join(dir, 'mkdocs.yml'), 'site_name: capacity\ntheme:\n  name: material\n  font: false\nplugins: []\nmarkdown_extensions:\n  - admonition\n  - pymdownx.details\n  - pymdownx.superfences\n  - tables\n');
  const build = spawnSync('mkdocs', ['build', '--strict'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  assert.ifError(build.error && new Error(`cannot run mkdocs (${build.error.message}); install the Debian packages mkdocs, mkdocs-material and python3-pymdownx (.ci/run does)`));
  assert.equal(build.status, 0, `${build.stdout}\n${build.stderr}`);
  assert.doesNotMatch(build.stderr, /^WARNING/m);
  const html = readFileSync(join(dir, 'site/index.html'), 'utf8');
  assert.match(html, /<h2 id="capacity-under-slo">Capacity under SLO/);
  assert.match(html, /<div class="admonition tip">\s*<p class="admonition-title">SLO-based recommendation<\/p>/);
  assert.match(html, /<th>Req\/s per GPU<\/th>/);
  for (const chart of ['capacity', 'pareto']) {
    assert.match(html, new RegExp(`<img alt="[^"]+" src="${x.id}-${chart}\\.svg" />`));
    assert.ok(existsSync(join(dir, 'site', `${x.id}-${chart}.svg`)));
  }
});
