// Pages for experiments that did not go like the reference: repeats, constraint violations, skipped options, an
// interrupted run, a simulated host. Each starts from the reference fixture and changes what the case needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import MarkdownIt from 'markdown-it';
import { admonitionPlugin } from '../../../src/core/report/markdownIt';
import { renderReport } from '../../../src/core/report/render';
import type { BenchmarkResult, Experiment, OptionRecord } from '../../../src/core/plan/schema';
import { CHART_LINK, loadFixture } from './fixture';

function option(experiment: Experiment, stage: string, name: string): OptionRecord {
  return experiment.stages.find((s) => s.name === stage)!.options.find((o) => o.name === name)!;
}

test('repeats: the objective shows mean ± stdev and n, every repeat block is labelled, noise is judged per stage', () => {
  const { experiment, results } = loadFixture();
  const exp: Experiment = structuredClone(experiment);
  exp.plan.repeats = 2;
  const first = results.get('r-attention-fa3-sharegpt')!;
  const second: BenchmarkResult = {
    ...first,
    id: 'r-attention-fa3-sharegpt-1',
    repeat: 1,
    metrics: { ...first.metrics, total_token_throughput: 6100 },
    rawOutput: first.rawOutput!.replace('6123.98', '6100.00'),
  };
  option(exp, 'Attention backend', 'fa3').outcome = {
    kind: 'measured',
    resultIds: [first.id, second.id],
    objective: { metric: 'total_token_throughput', mean: 6111.99, stdev: 16.96, n: 2 },
  };
  const { markdown } = renderReport({ experiment: exp, results: new Map(results).set(second.id, second), chartPath: CHART_LINK });
  assert.match(markdown, /^Result: TP4\+EP4 \(incumbent, 6245\.77 tok\/s\) > fa3 \(6111\.99 ± 16\.96 tok\/s, n=2\) > triton \(6019\.69 tok\/s\)$/m);
  assert.match(markdown, / {4}# repeat 1\n {4}=+ Serving Benchmark Result =+\n[\s\S]*?6123\.98[\s\S]*?\n\n {4}# repeat 2\n {4}=+ Serving Benchmark Result =+\n[\s\S]*?6100\.00/);
  assert.doesNotMatch(markdown, /measured once/);
  assert.match(markdown, /The Parallelism gain \(\+1\.4%\) is within run-to-run noise: it may not be a real improvement\./);
});

test('constraint violations and skipped options are shown and ranked after the valid measurements', () => {
  const { experiment, results } = loadFixture();
  const exp: Experiment = structuredClone(experiment);
  option(exp, 'Attention backend', 'triton').outcome = {
    kind: 'violates-constraints',
    resultIds: ['r-attention-triton-sharegpt'],
    objective: { metric: 'total_token_throughput', mean: 6019.69, n: 1 },
    violations: ['p99_tpot_ms 2701.08 > 2500'],
  };
  option(exp, 'CUDA graph', 'cuda-graph-max-bs 512').outcome = { kind: 'skipped', why: 'the run budget (maxRuns 8) was used up' };
  const { markdown } = renderReport({ experiment: exp, results, chartPath: CHART_LINK });
  assert.match(markdown, /^Violates the constraints: p99_tpot_ms 2701\.08 > 2500\.$/m);
  assert.match(markdown, /^Result: TP4\+EP4 \(incumbent, 6245\.77 tok\/s\) > fa3 \(6123\.98 tok\/s\) > triton \(6019\.69 tok\/s, violates the constraints\)$/m);
  assert.match(markdown, /^Skipped: the run budget \(maxRuns 8\) was used up$/m);
  assert.match(markdown, /^Result: TP4\+EP4 \(incumbent, 6245\.77 tok\/s\) > cuda-graph-max-bs 512 \(skipped: the run budget \(maxRuns 8\) was used up\)$/m);
  assert.ok(!markdown.includes('r-cudagraph'), 'a skipped option prints no result');
});

test('an interrupted experiment still renders: no recommendation, the unrun option and the missing decision said plainly', () => {
  const { experiment, results } = loadFixture();
  const exp: Experiment = structuredClone(experiment);
  exp.status = 'interrupted';
  delete exp.recommendation;
  exp.generalization = [];
  const last = exp.stages[exp.stages.length - 1]!;
  delete last.decision;
  delete last.options[1]!.outcome;
  const { markdown, chartSvg } = renderReport({ experiment: exp, results, chartPath: CHART_LINK });
  assert.match(markdown, /^No configuration was recommended: the experiment was interrupted\.$/m);
  assert.ok(!markdown.includes('???+ tip'));
  assert.match(markdown, /^Not run: the experiment ended before this option\.$/m);
  assert.match(markdown, /^No decision was recorded for this stage \(the experiment was interrupted\)\.$/m);
  assert.ok(!markdown.includes('### Other Benchmark Cases'));
  // The primary workload is still compared: the baseline against the best configuration so far.
  assert.match(markdown, /^\| \*\*ShareGPT\*\* \| Total TPS: 3903\.44<br>Mean TPOT\(ms\): 104\.59 \| Total TPS: 6245\.77 /m);
  assert.equal((chartSvg.match(/<rect class="optimized" [^>]*width="50"/g) ?? []).length, 1);
});

test('a simulated host and the experiment\'s own notes are caveats a reader cannot miss', () => {
  const { experiment, results } = loadFixture();
  const exp: Experiment = structuredClone(experiment);
  exp.host.simulated = true;
  exp.host.driverVersion = '550.54.15';
  exp.host.cudaVersion = '12.4';
  exp.notes = ['simulated at speedup 20: one simulated hour took three minutes'];
  const { markdown } = renderReport({ experiment: exp, results, chartPath: CHART_LINK });
  const note = markdown.slice(markdown.indexOf('!!! note'), markdown.indexOf('## Optimization Objective'));
  assert.match(note, /^ {4}\d\. These numbers come from Serving Lab's simulated host \(a performance model of the GPUs\), not from real hardware\.$/m);
  assert.match(note, /^ {4}\d\. simulated at speedup 20: one simulated hour took three minutes$/m);
  assert.match(markdown, /^4 × NVIDIA A100-SXM4-80GB GPUs \(80 GB each\) on a single node \(host `a100-node`; driver 550\.54\.15, CUDA 12\.4\)\. Simulated by Serving Lab, not real GPUs\.$/m);
});

test('names that look like markdown stay text, and a custom title replaces the generated one', () => {
  const { experiment, results } = loadFixture();
  const exp: Experiment = structuredClone(experiment);
  option(exp, 'Attention backend', 'fa3').name = '# fa3';
  option(exp, 'Attention backend', 'triton').name = '2. triton';
  const { markdown } = renderReport({ experiment: exp, results, chartPath: CHART_LINK, title: 'GLM on A100: what we learned' });
  assert.match(markdown, /^# GLM on A100: what we learned\n/);
  assert.match(markdown, /^\\# fa3$/m);
  assert.match(markdown, /^2\\\. triton$/m);
  const html = admonitionPlugin(new MarkdownIt({ html: true })).render(markdown);
  assert.ok(html.includes('<p># fa3</p>') && html.includes('<p>2. triton</p>'));
});

test('a failed experiment (the baseline crashed) still renders, with an empty chart that says so', () => {
  const { experiment, results } = loadFixture();
  const exp: Experiment = structuredClone(experiment);
  exp.status = 'failed';
  exp.error = 'the baseline crashed (oom: torch.OutOfMemoryError: CUDA out of memory)';
  exp.baseline.outcome = { kind: 'crashed', crash: { reason: 'oom', rootCause: 'torch.OutOfMemoryError: CUDA out of memory', logExcerpt: [] } };
  exp.stages = [];
  exp.generalization = [];
  delete exp.recommendation;
  const { markdown, chartSvg } = renderReport({ experiment: exp, results, chartPath: CHART_LINK });
  assert.match(markdown, /^No configuration was recommended: the experiment failed \(the baseline crashed \(oom: torch\.OutOfMemoryError: CUDA out of memory\)\)\.$/m);
  assert.ok(!markdown.includes('![')); // nothing to compare, so no image link
  assert.ok(!markdown.includes('| Benchmark Case |'));
  assert.match(chartSvg, /No baseline vs optimized measurement yet/);
});
