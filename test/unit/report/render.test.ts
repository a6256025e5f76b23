import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport, ReportError } from '../../../src/core/report/render';
import { referencedResultIds } from '../../../src/core/report/write';
import type { BenchmarkResult } from '../../../src/core/plan/schema';
import { CHART_LINK, GOLDEN_DIR, loadFixture } from './fixture';

const reference = readFileSync('/work/shared/reference/000_50023698dff9d396.txt', 'utf8');

function render() {
  const { experiment, results } = loadFixture();
  return { experiment, results, ...renderReport({ experiment, results, chartPath: CHART_LINK }) };
}

/** Compares with the committed golden file; SERVING_LAB_UPDATE_GOLDEN=1 rewrites it (review the diff). */
function assertGolden(name: string, actual: string) {
  const file = join(GOLDEN_DIR, name);
  if (process.env['SERVING_LAB_UPDATE_GOLDEN'] === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, actual);
  }
  assert.ok(existsSync(file), `${file} is missing; create it with SERVING_LAB_UPDATE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${file} differs; if the change is intended, rerun with SERVING_LAB_UPDATE_GOLDEN=1 and review the diff`);
}

test('the fixture is valid against the data model and every referenced result is stored', () => {
  const { experiment, results } = loadFixture();
  const ids = referencedResultIds(experiment);
  assert.equal(ids.length, 14);
  for (const id of ids) assert.ok(results.has(id), `result ${id} is referenced but not stored`);
});

test('golden: the reference study renders to the committed page and chart', () => {
  const { markdown, chartSvg } = render();
  assertGolden('report.md', markdown);
  assertGolden('chart.svg', chartSvg);
});

test('every benchmark block in the page is a stored rawOutput, byte for byte, and all 14 of the reference blocks appear', () => {
  const { markdown, results } = render();
  const refBlocks = [...reference.matchAll(/ {4}(============ Serving Benchmark Result =+\n(?: {4}.*\n)*? {4}=+)\n/g)].map((m) => m[1]!.replace(/^ {4}/gm, ''));
  assert.equal(refBlocks.length, 14);
  const pageBlocks = [...markdown.matchAll(/ {4}(============ Serving Benchmark Result =+\n(?: {4}.*\n)*? {4}=+)\n/g)].map((m) => m[1]!.replace(/^ {4}/gm, ''));
  const raw = new Set([...results.values()].map((r) => r.rawOutput));
  assert.equal(pageBlocks.length, 14);
  for (const block of pageBlocks) assert.ok(raw.has(block), `a block in the page is not a stored rawOutput:\n${block.slice(0, 200)}`);
  assert.deepEqual(new Set(pageBlocks), new Set(refBlocks));
});

test('structure and admonition rules: title, sections in the reference order, quoted titles, four-space bodies, no tabs', () => {
  const { markdown } = render();
  assert.match(markdown, /^# Optimizing GLM-4\.5-Air Throughput on NVIDIA A100 GPUs\n/);
  const headings = [...markdown.matchAll(/^(#{2,3}) (.+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(headings, [
    '## Conclusion',
    '## Optimization Objective',
    '## Experimental Setup',
    '### Model',
    '### Hardware',
    '### Engine Version',
    '### Benchmark Dataset',
    '### Benchmark Script',
    '## Experiment Results',
    '### 1. Engine',
    '### 2. Quantization in SGLang',
    '### 3. Parallelism in SGLang',
    '### 4. Attention backend in SGLang',
    '### 5. CUDA graph in SGLang',
    '### Summary of Optimization Options',
    '### Other Benchmark Cases',
  ]);
  assert.ok(!markdown.includes('\t'));
  const lines = markdown.split('\n');
  lines.forEach((line, i) => {
    if (!/^(!!!|\?\?\?\+?) /.test(line)) return;
    assert.match(line, /^(!!! note|\?\?\? info "[^"]+"|\?\?\?\+ tip "Serving Command")$/, `line ${i + 1}`);
    assert.equal(lines[i - 1], '', `a blank line precedes the block on line ${i + 1}`);
    let j = i + 1;
    for (; j < lines.length && (lines[j] === '' ? lines[j + 1]?.startsWith('    ') : true) && lines[j] !== undefined; j++) {
      if (lines[j] === '') continue;
      if (!lines[j]!.startsWith('    ')) break;
    }
    assert.ok(j > i + 1, `block on line ${i + 1} has a body`);
  });
  // The tip, the crashes and the stage decisions, as the issue spells them.
  assert.ok(
    markdown.includes(
      '???+ tip "Serving Command"\n    ```bash\n    python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4 \\\n        --ep-size 4 --tool-call-parser glm --reasoning-parser glm45\n    ```\n',
    ),
  );
  assert.match(markdown, /\?\?\? info "Benchmark result"\n {4}```\n {4}# Crash\. AssertionError: fp8e4nv data type is not supported on CUDA arch < 89\n {4}```/);
  assert.match(markdown, /\?\?\? info "Benchmark result"\n {4}```\n {4}# Crash\. NotImplementedError: Pipeline parallelism is not supported for this model\.\n {4}```/);
  assert.match(markdown, /^Result: SGLang \(6160\.72 tok\/s\) > Baseline \(3903\.44 tok\/s\) > TensorRT-LLM \(crash: .+\)$/m);
  assert.match(markdown, /^Result: TP4\+EP4 \(6245\.77 tok\/s\) > SGLang \(incumbent, 6160\.72 tok\/s\) > PP4 \(crash: pipeline parallelism not supported\)$/m);
  assert.match(markdown, /^TP4\+EP4 carries forward: \+1\.4% total token throughput over SGLang, within run-to-run noise\.$/m);
});

test('the comparison table shows the gains highlighted and marks the latency regressions instead of hiding them', () => {
  const { markdown } = render();
  const row = (name: string) => markdown.split('\n').find((l) => l.startsWith(`| **${name}** |`)) ?? assert.fail(`no row ${name}`);
  assert.match(row('ShareGPT'), /Total TPS: 3903\.44<br>Mean TPOT\(ms\): 104\.59 \| Total TPS: 6245\.77 <span style="background-color:lightgreen;[^"]*">\(\+60\.0%\)<\/span><br>Mean TPOT\(ms\): 309\.31 <span style="background-color:lightsalmon;[^"]*">\(\+195\.7%, regression\)<\/span> \|$/);
  assert.match(row('Short Prompt'), /Total TPS: 13012\.20 <span[^>]*>\(\+107\.5%\)<\/span><br>Mean TPOT\(ms\): 1246\.57 <span style="background-color:lightsalmon;[^"]*">\(\+714\.8%, regression\)/);
  assert.match(row('Long Prompt'), /Mean TPOT\(ms\): 124\.68 <span style="background-color:lightgreen;[^"]*">\(-53\.4%\)/);
  const note = markdown.slice(markdown.indexOf('!!! note'), markdown.indexOf('## Optimization Objective'));
  assert.match(note, /Latency regression: Mean TPOT got worse .* on ShareGPT \(104\.59 → 309\.31 ms, \+195\.7%\) and Short Prompt \(153\.00 → 1246\.57 ms, \+714\.8%\)/);
  assert.match(note, /local optimum/);
  assert.match(note, /gains below 2%, such as Parallelism \+1\.4%, may be noise/);
  assert.match(markdown, /\| Engine \| <span[^>]*>\+57\.8%<\/span> \|\n\| Quantization \| - \|\n\| Parallelism \| <span[^>]*>\+1\.4% \(within noise\)<\/span> \|\n\| Attention backend \| - \|\n\| CUDA graph \| - \|/);
});

/** Every number printed outside code blocks, with two decimals or as a signed percentage. */
function reportedNumbers(markdown: string): { values: string[]; percents: string[] } {
  const prose = markdown.replace(/^( {4})?(`{3,})[^\n]*\n[\s\S]*?^\1?\2$/gm, '');
  return {
    values: [...prose.matchAll(/(?<![\d.])\d+\.\d{2}(?![\d.])/g)].map((m) => m[0]),
    percents: [...prose.matchAll(/[+-]\d+\.\d%/g)].map((m) => m[0]),
  };
}

test('every number in the page is traceable to a stored result: values are stored metrics, percentages are changes between them', () => {
  const { markdown, experiment, results } = render();
  const referenced = referencedResultIds(experiment).map((id) => results.get(id)!);
  const stored = new Set<string>();
  const byKey = new Map<string, number[]>();
  for (const r of referenced) {
    for (const [key, value] of Object.entries(r.metrics)) {
      if (typeof value !== 'number') continue;
      stored.add(value.toFixed(2));
      byKey.set(key, [...(byKey.get(key) ?? []), value]);
    }
  }
  const changes = new Set<string>();
  for (const values of byKey.values()) {
    for (const a of values) for (const b of values) if (a !== 0) changes.add(`${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)}%`);
  }
  const { values, percents } = reportedNumbers(markdown);
  assert.ok(values.length >= 30, `found only ${values.length} numbers`);
  assert.ok(percents.length >= 15, `found only ${percents.length} percentages`);
  for (const v of values) assert.ok(stored.has(v), `${v} in the page is not a stored metric`);
  for (const p of percents) assert.ok(changes.has(p), `${p} in the page is not the change between two stored values of one metric`);

  // Setup facts: the dataset list comes from the stored workloads, the hardware line from the host's GPU inventory.
  const section = (from: string, to: string) => markdown.slice(markdown.indexOf(from), markdown.indexOf(to));
  const workloadNumbers = new Set(
    referenced.flatMap((r) => {
      const w = r.workload!;
      return [w.numPrompts, w.seed, ...(w.dataset.kind === 'random' ? [w.dataset.inputLen, w.dataset.outputLen] : [])].map(String);
    }),
  );
  const datasetText = section('### Benchmark Dataset', '### Benchmark Script').replace(/^\d+\. /gm, '');
  const datasetNumbers = [...datasetText.matchAll(/(?<![\w.])\d+(?![\w.])/g)].map((m) => m[0]);
  for (const n of datasetNumbers) assert.ok(workloadNumbers.has(n), `${n} in the dataset list is not a stored workload parameter`);
  assert.ok(datasetNumbers.includes('32000') && datasetNumbers.includes('1000'));
  const gpus = experiment.host.gpus;
  assert.match(section('### Hardware', '### Engine Version'), new RegExp(`^${gpus.length} × ${gpus[0]!.name} GPUs \\(${gpus[0]!.memoryTotalMiB / 1024} GB each\\)`, 'm'));
});

test('the numbers come from the results, not from the experiment summary: changing a stored result changes the page', () => {
  const { experiment, results } = loadFixture();
  const original = results.get('r-recommended-short')!;
  const changed: BenchmarkResult = { ...original, metrics: { ...original.metrics, total_token_throughput: 12000, mean_tpot_ms: 100 } };
  const page = renderReport({ experiment, results: new Map(results).set(changed.id, changed), chartPath: CHART_LINK });
  const row = page.markdown.split('\n').find((l) => l.startsWith('| **Short Prompt** |'))!;
  assert.match(row, /Total TPS: 12000\.00 <span[^>]*>\(\+91\.3%\)<\/span><br>Mean TPOT\(ms\): 100\.00 <span style="background-color:lightgreen;[^"]*">\(-34\.6%\)/);
  assert.doesNotMatch(page.markdown, /Short Prompt \(153\.00 → /);
  assert.match(page.chartSvg, />12000\.00</);
});

test('a throughput loss is a regression too, and a missing result is an error that says what to do', () => {
  const { experiment, results } = loadFixture();
  const original = results.get('r-recommended-vlong')!;
  const worse: BenchmarkResult = { ...original, metrics: { ...original.metrics, total_token_throughput: 6000 } };
  const page = renderReport({ experiment, results: new Map(results).set(worse.id, worse), chartPath: CHART_LINK });
  assert.match(page.markdown, /Total TPS: 6000\.00 <span style="background-color:lightsalmon;[^"]*">\(-6\.8%, regression\)/);
  assert.match(page.markdown, /Throughput regression: total token throughput got worse on Very Long Prompt \(6435\.97 → 6000\.00 tok\/s, -6\.8%\)/);
  assert.match(page.chartSvg, /class="loss"[^>]*>-6\.8%</);

  const missing = new Map(results);
  missing.delete('r-attention-fa3-sharegpt');
  assert.throws(
    () => renderReport({ experiment, results: missing, chartPath: CHART_LINK }),
    (err: Error) => err instanceof ReportError && /refers to result "r-attention-fa3-sharegpt", which is not in the results store; restore the result file or rerun/.test(err.message),
  );
});

test('a result without printed output gets a block printed from its metrics, labelled as such', () => {
  const { experiment, results } = loadFixture();
  const original = results.get('r-attention-triton-sharegpt')!;
  const imported: BenchmarkResult = { ...original, rawOutput: undefined };
  const page = renderReport({ experiment, results: new Map(results).set(imported.id, imported), chartPath: CHART_LINK });
  assert.match(page.markdown, / {4}# printed from the stored metrics \(the client's own output was not stored\)\n {4}=+ Serving Benchmark Result =+\n/);
  assert.match(page.markdown, /Total token throughput \(tok\/s\): +6019\.69/);
  assert.match(page.markdown, /P99 ITL \(ms\): +413\.30/);
});

test('the chart: one pair of bars per workload, heights proportional to the stored throughput, light and dark palettes', () => {
  const { chartSvg } = render();
  assert.match(chartSvg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(chartSvg, /@media \(prefers-color-scheme: dark\)/);
  const bars = [...chartSvg.matchAll(/<rect class="(baseline|optimized)" x="[\d.]+" y="([\d.]+)" width="50" height="([\d.]+)"><title>([^<]+)<\/title>/g)];
  assert.equal(bars.length, 10);
  const scale = Number(bars[0]![3]) / 3903.44;
  const expected = [3903.44, 6245.77, 6435.97, 7945.66, 6975.1, 9100.71, 8643.75, 10956.49, 6271.24, 13012.2];
  bars.forEach((bar, i) => assert.ok(Math.abs(Number(bar[3]) - expected[i]! * scale) <= 0.2, `bar ${bar[4]}: height ${bar[3]}`));
  assert.match(bars[9]![4]!, /Short Prompt, optimized: 13012\.20 tok\/s/);
  assert.ok(!/[<>&](?![a-z#/!?]|amp;|lt;|gt;|quot;)/.test(chartSvg.replace(/<[^>]+>/g, '')), 'text content is escaped');
});

test('HTML in plan strings is escaped outside code; commands in code keep their characters', () => {
  const { experiment, results } = loadFixture();
  experiment.plan.description = '<script>alert(1)</script> & <b>more</b>';
  experiment.stages[3]!.options[1]!.name = '<img src=x onerror=alert(2)>';
  experiment.stages[3]!.options[1]!.command = 'vllm serve M --arg "<kept>" && echo ok';
  const { markdown } = renderReport({ experiment, results, chartPath: CHART_LINK });
  assert.match(markdown, /^&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &lt;b&gt;more&lt;\/b&gt;$/m);
  assert.match(markdown, /^&lt;img src=x onerror=alert\(2\)&gt;$/m);
  assert.match(markdown, /Result: .*&lt;img src=x onerror=alert\(2\)&gt; \(/);
  assert.ok(markdown.includes('    vllm serve M --arg "<kept>" && echo ok'), 'the serving script is code, as it ran');
  assert.ok(!/<(script|img|b)\b/.test(markdown.replace(/```[\s\S]*?```/g, '')), 'no tag outside code');
});

test('a pool experiment names each result\'s host (or Slurm node and job) in the comparison table and beside each block; one host names none', () => {
  const { experiment, results } = loadFixture();
  const hosts = ['gpu1', 'gpu2', 'gpu3'];
  const ids = referencedResultIds(experiment);
  const placed = new Map([...results].map(([id, r]) => [id, { ...r, place: { host: hosts[ids.indexOf(id) % 3]! } }]));
  const baselineIds = experiment.baseline.outcome && 'resultIds' in experiment.baseline.outcome ? experiment.baseline.outcome.resultIds : [];
  const baselineHost = placed.get(baselineIds[0]!)!.place.host;
  const { markdown } = renderReport({ experiment, results: placed, chartPath: CHART_LINK });
  const firstRow = markdown.split('\n').find((l) => l.startsWith('| **'))!;
  assert.match(firstRow, new RegExp(`Mean TPOT\\(ms\\): [\\d.]+<br>Measured on: ${baselineHost} \\|`));
  const blocks = [...markdown.matchAll(/# (?:.*, )?measured on (gpu\d)\n/g)].map((m) => m[1]);
  assert.equal(blocks.length, 14, 'every result block names its host');
  assert.deepEqual(new Set(blocks), new Set(hosts));

  // A Slurm cluster: two jobs on two nodes of one host name node and job; results sharing a host's GPUs say so.
  const slurm = new Map([...results].map(([id, r]) => [id, { ...r, place: ids.indexOf(id) % 2 ? { host: 'cluster', node: 'n2', job: '41' } : { host: 'cluster', node: 'n1', job: '40', sharedGpus: true } }]));
  const onCluster = renderReport({ experiment, results: slurm, chartPath: CHART_LINK }).markdown;
  assert.match(onCluster, /measured on cluster node n2, job 41\n/);
  assert.match(onCluster, /measured on cluster node n1, job 40 \(shared GPUs\)\n/);

  // Every result on one host: nothing to tell apart.
  const oneHost = new Map([...results].map(([id, r]) => [id, { ...r, place: { host: 'gpu1' } }]));
  assert.doesNotMatch(renderReport({ experiment, results: oneHost, chartPath: CHART_LINK }).markdown, /Measured on:|measured on gpu1|on gpu1\)/);
});
