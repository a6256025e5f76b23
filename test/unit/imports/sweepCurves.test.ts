// A `vllm bench sweep serve` directory imported as load curves: one curve per serve configuration, stored in the
// shape a measured sweep has, so `results show`, `results pareto`, the report and the dashboard read it the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseServeCommand } from '../../../src/core/engines/index';
import { importSweepCurves } from '../../../src/core/imports';
import { Experiment } from '../../../src/core/plan/schema';
import { paretoCandidates, paretoFront, primaryCurves } from '../../../src/core/results/curves';
import { openResultsStore } from '../../../src/core/results/store';
import { capacitySection } from '../../../src/core/report/capacity';
import { useTempDirs } from '../../support/tempDirs';

const DIR = join(__dirname, '../../fixtures/bench/imports/sweep-curves');
const tempDir = useTempDirs();

test('one curve per serve configuration over the swept concurrencies, each point a stored result on its curve', async () => {
  const sweep = (await importSweepCurves(DIR, { parseCommand: parseServeCommand }))!;
  assert.ok(sweep, 'the directory is a sweep');
  assert.deepEqual(sweep.problems, []);
  const x = Experiment.parse(sweep.experiment);
  assert.deepEqual(x.curves.map((c) => [c.option, c.by, c.mode, c.points.map((p) => p.value)]), [
    ['max_num_seqs=256', 'concurrency', 'sweep', [1, 8, 32]],
    ['max_num_seqs=64', 'concurrency', 'sweep', [1, 8, 32]],
  ]);
  assert.equal(x.baseline.command, 'vllm serve zai-org/GLM-4.5-Air --max-num-seqs 256');
  assert.equal(x.baseline.variant.batching.maxNumSeqs, 256, 'the serve parameters become the variant');
  assert.deepEqual(x.stages[0]!.options.map((o) => o.name), ['max_num_seqs=64']);
  assert.equal(x.curves[1]!.points[2]!.metrics['request_throughput'], 12.5);
  assert.equal(sweep.results.length, 6);
  for (const c of x.curves) {
    for (const p of c.points) {
      const r = sweep.results.find((s) => s.id === p.resultId)!;
      assert.equal(r.experimentId, x.id);
      assert.equal(r.option, c.option);
      assert.equal(r.load?.value, p.value);
      assert.equal(r.commands.serve, c.option === 'max_num_seqs=64' ? 'vllm serve zai-org/GLM-4.5-Air --max-num-seqs 64' : x.baseline.command);
    }
  }
  // The store takes both, and reads them back as a measured sweep is read.
  const store = openResultsStore(tempDir('sl-sweepc-'));
  for (const r of sweep.results) await store.saveResult(r);
  await store.saveExperiment(sweep.experiment);
  const back = await store.loadExperiment(x.id);
  assert.equal(primaryCurves(back).length, 2);
  const front = paretoFront(paretoCandidates(back.curves, 'p99_tpot_ms'));
  assert.ok(front.length >= 2 && front.every((p) => p.throughputPerGpu > 0));
  // Re-importing the same directory gives the same experiment and result ids (nothing doubles in the store).
  const again = (await importSweepCurves(DIR, { parseCommand: parseServeCommand }))!;
  assert.equal(again.experiment.id, x.id);
  assert.deepEqual(again.results.map((r) => r.id), sweep.results.map((r) => r.id));
});

test('with the base serve command and an SLO: GPUs from the command, each curve\'s capacity and first broken limit, the report section', async () => {
  const sweep = (await importSweepCurves(DIR, {
    parseCommand: parseServeCommand,
    serveCommand: 'vllm serve zai-org/GLM-4.5-Air -tp 4',
    slo: { p99_ttft_ms: 3000, p99_tpot_ms: 40, min_success: 0.99 },
  }))!;
  const [big, small] = sweep.experiment.curves;
  assert.equal(big!.gpus, 4);
  assert.equal(sweep.experiment.baseline.command, 'vllm serve zai-org/GLM-4.5-Air -tp 4 --max-num-seqs 256');
  // max_num_seqs=256 at concurrency 32: p99 TPOT 52 ms > 40: capacity at 8. max_num_seqs=64 meets 40 ms at 32 (38 ms).
  assert.deepEqual(big!.capacity, { load: 8, requestRate: 5.9, perGpu: 5.9 / 4 });
  assert.deepEqual(big!.breaksAt, { load: 32, limit: 'p99_tpot_ms', breaks: ['p99_tpot_ms 52.0 > 40'] });
  assert.equal(small!.capacity?.load, 32);
  assert.equal(small!.breaksAt, undefined);
  const section = capacitySection(sweep.experiment, (f) => f);
  assert.ok(section);
  assert.match(section.markdown, /max_num_seqs=64/);
});

test('bench parameters swept besides the load are separate workloads, each its own curve and capacity', async () => {
  const sweep = (await importSweepCurves(join(__dirname, '../../fixtures/bench/imports/sweep-lengths'), { parseCommand: parseServeCommand, slo: { p99_ttft_ms: 2000, min_success: 0.99 } }))!;
  const x = Experiment.parse(sweep.experiment);
  assert.deepEqual(x.curves.map((c) => [c.option, c.workload, c.by, c.points.map((p) => p.value), c.capacity?.load]), [
    ['default', 'sweep-lengths (vllm bench sweep) · random_input_len=1024', 'request_rate', [2, 8], 8],
    ['default', 'sweep-lengths (vllm bench sweep) · random_input_len=4096', 'request_rate', [2, 8], 2],
  ]);
  const primary = x.plan.workloads.primary as { name: string; dataset: { inputLen: number } };
  assert.equal(primary.dataset.inputLen, 1024);
  assert.deepEqual((x.plan.workloads.generalization as Array<{ name: string; dataset: { inputLen: number } }>).map((w) => [w.name, w.dataset.inputLen]), [['sweep-lengths (vllm bench sweep) · random_input_len=4096', 4096]]);
  assert.deepEqual(primaryCurves(x).map((c) => c.workload), [primary.name], 'the primary workload\'s curve stands apart from the other lengths');
  assert.equal(x.baseline.outcome?.kind === 'measured' ? x.baseline.outcome.resultIds.length : 0, 4, 'every run is kept under its configuration');
});

test('a directory that is not a sweep is left to the file importers', async () => {
  assert.equal(await importSweepCurves(join(__dirname, '../../fixtures/bench'), { parseCommand: parseServeCommand }), undefined);
});

test('`results import DIR --serve-cmd … --slo …` stores the experiment; `results show` and `results pareto` read it as a measured sweep', async () => {
  const { parseArgs } = await import('../../../src/cli/args');
  const { resultsImport, resultsPareto, resultsShow } = await import('../../../src/cli/commands/results');
  const store = tempDir('sl-sweepcli-');
  const run = async (command: typeof resultsImport, argv: string[]) => {
    let out = '';
    const errors: string[] = [];
    const log = { debug() {}, info() {}, warn: (m: string) => errors.push(m), error: (m: string) => errors.push(m) };
    const args = parseArgs(argv, command.flags, command.positionals, command.path.join(' '));
    const code = await command.run({ args, stdout: (t: string) => ((out += t), true), log, signal: new AbortController().signal, interactive: false, cwd: process.cwd() });
    return { code: code ?? 0, out, errors };
  };
  const imported = await run(resultsImport, [DIR, '--serve-cmd', 'vllm serve zai-org/GLM-4.5-Air -tp 4', '--slo', 'p99_ttft_ms=3000,p99_tpot_ms=40', '--results', store]);
  assert.equal(imported.code, 0, imported.errors.join('\n'));
  const id = /^(x-sweep-[0-9a-f]{12})\t.*\t2 curves, 6 points/.exec(imported.out)?.[1];
  assert.ok(id, imported.out);
  const shown = await run(resultsShow, [id, '--results', store]);
  assert.match(shown.out, /capacity concurrency 8: 5\.90 req\/s served within the SLO, 1\.48 req\/s per GPU \(4 GPUs\); breaks the SLO at concurrency 32, p99_tpot_ms first/);
  const pareto = JSON.parse((await run(resultsPareto, [id, '--json', '--results', store])).out) as { fronts: Record<string, Array<{ option: string }>> };
  assert.ok(pareto.fronts['p99_tpot_ms']!.length >= 2);
  const bad = await run(resultsImport, [DIR, '--slo', 'p99_ttft=3000', '--results', store]).catch((err: Error) => err);
  assert.match(String(bad instanceof Error ? bad.message : bad), /--slo expects KEY=VALUE pairs/);
});
