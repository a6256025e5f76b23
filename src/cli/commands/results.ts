// `serving-lab results list|show|export|import`: the results store from a terminal.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BenchmarkParseError } from '../../core/bench/parse';
import { parseServeCommand } from '../../core/engines/index';
import { speculativeLabel } from '../../core/engines/speculative';
import { importSweepCurves, parseImportPath, toImportedBatch, type SweepCurvesOptions } from '../../core/imports';
import { CapacitySlo } from '../../core/plan/schema';
import type { BenchmarkResult, EngineVariant, Experiment } from '../../core/plan/schema';
import { openResultsStore, StoreError, type ResultsStore } from '../../core/results/store';
import { resultsToCsv } from '../../core/results/csv';
import { runningState } from '../../core/tune/owner';
import { capacitySentence, curveRows, LATENCY_AXES, loadText, paretoCandidates, paretoFront, primaryCurves, recommendations, sloText } from '../../core/results/curves';
import { CliError, UsageError, type FlagSpec } from '../args';
import { jsonFlag, type CliCommand, type CommandContext } from '../command';

export const resultsDirFlag: FlagSpec = { name: 'results', type: 'string', metavar: 'DIR', description: 'results store directory', default: '.serving-lab' };

export function storeFrom(ctx: CommandContext): ResultsStore {
  return openResultsStore(resolve(ctx.cwd, String(ctx.args.flags['results'])));
}

/** "sglang tp4 ep4 fa3" — a variant in a few words, for tables. */
export function variantLabel(v: EngineVariant | undefined): string {
  if (!v) return '-';
  const p = v.parallel;
  const parts = [v.engine, `tp${p.tp}`];
  if (p.pp > 1) parts.push(`pp${p.pp}`);
  if (p.dp > 1) parts.push(`dp${p.dp}`);
  if (p.ep > 1) parts.push(`ep${p.ep}`);
  if (v.quantization) parts.push(v.quantization);
  if (/fp8/i.test(v.model)) parts.push('FP8');
  if (v.attentionBackend) parts.push(v.attentionBackend);
  if (v.cudaGraph.maxBatchSize) parts.push(`cg${v.cudaGraph.maxBatchSize}`);
  if (v.speculative) parts.push(speculativeLabel(v.speculative));
  return parts.join(' ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

const fixed = (x: number | null | undefined, digits = 2) => (typeof x === 'number' ? x.toFixed(digits) : '-');

/** "running" says whether it still runs: in which process, or left behind (stale) and how to continue it. */
async function statusWithOwner(store: ResultsStore, x: Experiment): Promise<string> {
  const running = await runningState(store.root, x);
  if (!running) return x.status;
  if (running.state === 'stale') return `running — stale (${running.detail}): continue with \`serving-lab tune PLAN --resume ${x.id}\``;
  return `running (${running.detail})`;
}

function reportProblems(ctx: CommandContext, problems: Array<{ file: string; message: string }>): void {
  for (const p of problems) ctx.log.warn(`skipped unreadable file: ${p.message}`);
}

export const resultsList: CliCommand = {
  path: ['results', 'list'],
  summary: 'List stored benchmark results (or experiments with --experiments), oldest first.',
  flags: [jsonFlag, resultsDirFlag, { name: 'experiments', type: 'boolean', description: 'list experiments instead of results' }],
  positionals: [],
  async run(ctx) {
    const store = storeFrom(ctx);
    if (ctx.args.flags['experiments']) {
      const { experiments, problems } = await store.listExperiments();
      reportProblems(ctx, problems);
      if (ctx.args.flags['json']) ctx.stdout(`${JSON.stringify(experiments, null, 2)}\n`);
      else if (experiments.length === 0) ctx.log.info(`no experiments in ${store.root}; run \`serving-lab tune PLAN\``);
      else {
        const statuses = await Promise.all(experiments.map((x) => statusWithOwner(store, x)));
        ctx.stdout(table([['ID', 'STARTED', 'STATUS', 'PLAN', 'RECOMMENDATION'], ...experiments.map((x, i) => [x.id, x.startedAt.slice(0, 19), statuses[i]!, x.plan.name, variantLabel(x.recommendation?.variant)])]));
      }
      return 0;
    }
    const { results, problems } = await store.listResults();
    reportProblems(ctx, problems);
    if (ctx.args.flags['json']) {
      ctx.stdout(`${JSON.stringify(results, null, 2)}\n`);
      return 0;
    }
    if (results.length === 0) {
      ctx.log.info(`no results in ${store.root}; run \`serving-lab tune PLAN\` or \`serving-lab results import FILE\``);
      return 0;
    }
    ctx.stdout(
      table([
        ['ID', 'CREATED', 'STATUS', 'VARIANT', 'WORKLOAD', 'TOTAL TOK/S', 'MEAN TPOT MS', 'STAGE/OPTION'],
        ...results.map((r) => [
          r.id,
          r.createdAt.slice(0, 19),
          r.status,
          variantLabel(r.variant),
          r.workload?.name ?? '-',
          fixed(r.metrics.total_token_throughput),
          fixed(r.metrics['mean_tpot_ms']),
          r.stage ? `${r.stage}/${r.option ?? ''}${r.repeat !== undefined && r.repeat > 0 ? ` #${r.repeat + 1}` : ''}` : '-',
        ]),
      ]),
    );
  },
};

function describeResult(r: BenchmarkResult): string {
  const lines = [
    `Result ${r.id} (${r.status}), created ${r.createdAt}`,
    `  variant:  ${variantLabel(r.variant)}${r.variant ? ` — ${r.variant.model}` : ''}`,
    `  workload: ${r.workload?.name ?? '-'}`,
    `  runner:   ${r.runner} (${r.source.kind}${r.source.file ? `, ${r.source.file}` : ''})`,
  ];
  if (r.host) lines.push(`  host:     ${r.host.name}${r.host.simulated ? ' (simulated)' : ''}, ${r.host.gpus.length}× ${r.host.gpus[0]?.name ?? 'GPU'}`);
  if (r.experimentId) lines.push(`  experiment: ${r.experimentId} / ${r.stage ?? ''} / ${r.option ?? ''}${r.repeat !== undefined ? ` / repeat ${r.repeat + 1}` : ''}`);
  if (r.load) {
    const l = r.load;
    const verdict = l.meetsSlo === undefined ? '' : l.meetsSlo ? ', meets the SLO' : `, breaks the SLO (${l.breaks.join(', ')})`;
    lines.push(`  load:     ${l.mode} point ${l.index + 1}: ${loadText(l.by, l.value)}${verdict}${l.saturated ? `; saturated${l.saturated.stoppedEarly ? ', stopped early' : ''}: ${l.saturated.reasons.join('; ')}` : ''}`);
    if (l.window) lines.push(`  window:   ${l.window.startS.toFixed(1)}–${l.window.endS.toFixed(1)} s, ${l.window.requests} requests: ${fixed(l.window.metrics.request_throughput)} req/s, p99 TTFT ${fixed(l.window.metrics['p99_ttft_ms'])} ms, p99 TPOT ${fixed(l.window.metrics['p99_tpot_ms'])} ms`);
  }
  if (r.commands.serve) lines.push(`  serve:    ${r.commands.serve}`);
  if (r.commands.bench) lines.push(`  bench:    ${r.commands.bench}`);
  for (const n of r.notes) lines.push(`  note:     ${n}`);
  lines.push('');
  lines.push(r.rawOutput ?? Object.entries(r.metrics).map(([k, v]) => `${k}: ${v}`).join('\n'));
  return `${lines.join('\n')}\n`;
}

export function describeExperiment(x: Experiment): string {
  const outcome = (o: Experiment['baseline']) => {
    const out = o.outcome;
    if (!out) return 'not measured yet';
    if (out.kind === 'crashed') return `crashed (${out.crash.reason}): ${out.crash.rootCause}`;
    if (out.kind === 'skipped') return `skipped: ${out.why}`;
    const v = `${out.objective.mean.toFixed(2)}${out.objective.stdev !== undefined ? ` ± ${out.objective.stdev.toFixed(2)}` : ''} ${out.objective.metric}`;
    return out.kind === 'violates-constraints' ? `${v}, violates ${out.violations.join(', ')}` : v;
  };
  const lines = [`Experiment ${x.id} (${x.status}) — ${x.plan.name}`, `  host: ${x.host.name}${x.host.simulated ? ' (simulated)' : ''}; started ${x.startedAt}${x.endedAt ? `, ended ${x.endedAt}` : ''}`];
  for (const n of x.notes) lines.push(`  note: ${n}`);
  lines.push('', `Baseline: ${x.baseline.command}`, `  ${outcome(x.baseline)}`);
  for (const s of x.stages) {
    lines.push('', `${s.name}:`);
    for (const o of s.options) lines.push(`  ${o.incumbent ? '(incumbent) ' : ''}${o.name}: ${outcome(o)}`, `      ${o.command}`);
    if (s.decision) lines.push(`  → ${s.decision.winner}${s.decision.withinNoise ? ' (gain within noise)' : ''}: ${s.decision.why}`);
  }
  if (x.recommendation) lines.push('', `Recommendation: ${x.recommendation.command}`, `  ${x.recommendation.why}`);
  if (x.generalization.length > 0) {
    lines.push('', 'Generalization (result ids, baseline → recommended):');
    for (const g of x.generalization) lines.push(`  ${g.workload.name}: ${g.baselineResultIds.join(',') || '-'} → ${g.recommendedResultIds.join(',') || '-'}`);
  }
  if (x.error) lines.push('', `Error: ${x.error}`);
  return `${lines.join('\n')}\n${describeCurves(x)}`;
}

/** Each curve as a table with its capacity, then the two recommendations when they can differ. */
export function describeCurves(x: Experiment): string {
  if (x.curves.length === 0) return '';
  const lines: string[] = [];
  for (const c of x.curves) {
    lines.push('', `Curve ${c.option} · ${c.workload} (${c.mode} by ${c.by}, ${c.gpus} GPUs; ${sloText(c.slo)}):`, table(curveRows(c)).trimEnd());
    const sentence = capacitySentence(c);
    if (sentence) lines.push(`  ${sentence}`);
  }
  const rec = recommendations(primaryCurves(x));
  if (rec.maxThroughput) lines.push('', `Max-throughput choice: ${rec.maxThroughput.option} (${fixed(rec.maxThroughput.perGpu, 1)} tok/s per GPU)`);
  if (rec.slo) lines.push(`SLO-based choice:      ${rec.slo.option} (${fixed(rec.slo.perGpu)} req/s per GPU within the SLO)`);
  return `${lines.join('\n')}\n`;
}

export const resultsPareto: CliCommand = {
  path: ['results', 'pareto'],
  summary: "The Pareto front of an experiment's load curves: throughput per GPU against p99 TPOT and against p99 TTFT.",
  flags: [jsonFlag, resultsDirFlag],
  positionals: [{ name: 'experiment', description: 'an experiment id with load curves (see `serving-lab results list --experiments`)' }],
  async run(ctx) {
    const store = storeFrom(ctx);
    const id = ctx.args.positionals[0]!;
    let x: Experiment;
    try {
      x = await store.loadExperiment(id);
    } catch (err) {
      if (err instanceof StoreError) throw new CliError(err.code === 'not-found' ? `no experiment "${id}" in ${store.root}; \`serving-lab results list --experiments\` shows the ids` : err.message);
      throw err;
    }
    const curves = primaryCurves(x);
    if (curves.length === 0) throw new CliError(`experiment ${id} measured no load curve; give its plan a load plan (load: {sweep: …} or {capacity: …})`);
    const fronts = Object.fromEntries(LATENCY_AXES.map((axis) => [axis, paretoFront(paretoCandidates(curves, axis))]));
    if (ctx.args.flags['json']) {
      ctx.stdout(`${JSON.stringify({ experiment: id, workload: curves[0]!.workload, fronts }, null, 2)}\n`);
      return 0;
    }
    for (const axis of LATENCY_AXES) {
      ctx.stdout(`Pareto front on ${curves[0]!.workload}: total tok/s per GPU against ${axis}\n`);
      ctx.stdout(table([['VARIANT', 'LOAD', 'TOK/S/GPU', axis.toUpperCase()], ...fronts[axis]!.map((p) => [p.option, loadText(p.by, p.load), fixed(p.throughputPerGpu, 1), fixed(p.latencyMs, 1)])]));
      ctx.stdout('\n');
    }
    return 0;
  },
};

export const resultsShow: CliCommand = {
  path: ['results', 'show'],
  summary: 'Show one stored result (its benchmark block and provenance) or one experiment (stages, decisions, recommendation).',
  flags: [jsonFlag, resultsDirFlag],
  positionals: [{ name: 'id', description: 'a result id or an experiment id (see `serving-lab results list`)' }],
  async run(ctx) {
    const store = storeFrom(ctx);
    const id = ctx.args.positionals[0]!;
    // Experiment ids start with x-, result ids with r-; anything else (imported results) may be either.
    const loaders = id.startsWith('x-') ? [() => store.loadExperiment(id), () => store.loadResult(id)] : [() => store.loadResult(id), () => store.loadExperiment(id)];
    let item: BenchmarkResult | Experiment | undefined;
    let problem: StoreError | undefined;
    for (const load of loaders) {
      try {
        item = await load();
        break;
      } catch (err) {
        if (!(err instanceof StoreError)) throw err;
        // A corrupt file says more than "not found" from the other kind.
        if (!problem || problem.code === 'not-found') problem = err;
      }
    }
    if (!item) {
      throw new CliError(problem && problem.code !== 'not-found' ? problem.message : `no result or experiment "${id}" in ${store.root}; \`serving-lab results list\` shows the ids`);
    }
    if (ctx.args.flags['json']) ctx.stdout(`${JSON.stringify(item, null, 2)}\n`);
    else ctx.stdout('plan' in item ? describeExperiment(item) : describeResult(item));
    return 0;
  },
};

export const resultsExport: CliCommand = {
  path: ['results', 'export'],
  summary: 'Export every stored result as CSV (one row per result) or JSON (an array), to stdout or --out FILE.',
  flags: [
    { name: 'csv', type: 'boolean', description: 'CSV: provenance columns, then vLLM --save-result metric keys' },
    { name: 'json', type: 'boolean', description: 'JSON: the stored results as an array' },
    { name: 'out', type: 'string', metavar: 'FILE', description: 'write to FILE instead of stdout' },
    resultsDirFlag,
  ],
  positionals: [],
  async run(ctx) {
    const csv = Boolean(ctx.args.flags['csv']);
    const json = Boolean(ctx.args.flags['json']);
    if (csv === json) throw new UsageError('results export: give exactly one of --csv or --json');
    const store = storeFrom(ctx);
    const { results, problems } = await store.listResults();
    reportProblems(ctx, problems);
    const text = csv ? resultsToCsv(results) : `${JSON.stringify(results, null, 2)}\n`;
    const out = ctx.args.flags['out'];
    if (typeof out === 'string') {
      await writeFile(resolve(ctx.cwd, out), text);
      ctx.log.info(`wrote ${results.length} results to ${out}`);
    } else {
      ctx.stdout(text);
    }
  },
};

/** `--serve-cmd` and `--slo` of `results import`, checked before anything is read. */
function sweepOptionsFrom(flags: Record<string, unknown>): SweepCurvesOptions {
  const serveCommand = typeof flags['serveCmd'] === 'string' ? flags['serveCmd'] : undefined;
  if (serveCommand !== undefined) {
    try {
      parseServeCommand(serveCommand);
    } catch (err) {
      throw new UsageError(`results import: --serve-cmd is not a serve command: ${(err as Error).message}`);
    }
  }
  let slo: CapacitySlo | undefined;
  if (typeof flags['slo'] === 'string') {
    const pairs = flags['slo'].split(',').map((kv) => kv.trim().split('='));
    const limits = Object.fromEntries(pairs.map(([k, v]) => [k, Number(v)]));
    const checked = CapacitySlo.safeParse(limits);
    if (pairs.some((p) => p.length !== 2) || !checked.success) {
      throw new UsageError(`results import: --slo expects KEY=VALUE pairs of p99_ttft_ms, p99_tpot_ms, p99_itl_ms, p99_e2el_ms, min_success (e.g. p99_ttft_ms=3000,p99_tpot_ms=100)${checked.success ? '' : `: ${checked.error.issues[0]!.message}`}`);
    }
    slo = checked.data;
  }
  return { ...(serveCommand !== undefined ? { serveCommand } : {}), ...(slo ? { slo } : {}), parseCommand: parseServeCommand };
}

export const resultsImport: CliCommand = {
  path: ['results', 'import'],
  summary: 'Import benchmark results into the store: vLLM/SGLang/GPUStack text, vLLM JSON, SGLang JSONL, GuideLLM JSON, AIPerf JSON/CSV, a `vllm bench sweep` directory.',
  flags: [
    jsonFlag,
    resultsDirFlag,
    { name: 'serve-cmd', type: 'string', metavar: 'CMD', description: "a sweep directory's base serve command (vllm bench sweep's --serve-cmd, which the directory does not record): each curve's command and GPUs" },
    { name: 'slo', type: 'string', metavar: 'LIMITS', description: 'mark the points of a sweep directory against limits and read each curve\'s capacity, e.g. p99_ttft_ms=3000,p99_tpot_ms=100,min_success=0.99' },
  ],
  positionals: [{ name: 'file', description: 'files or sweep directories to import (a sweep directory becomes an experiment with one load curve per serve configuration)', variadic: true }],
  async run(ctx) {
    const store = storeFrom(ctx);
    const imported: BenchmarkResult[] = [];
    const seen = new Set<string>();
    let failed = 0;
    let duplicates = 0;
    const sweepOptions = sweepOptionsFrom(ctx.args.flags);
    for (const file of ctx.args.positionals) {
      let parsed;
      try {
        const sweep = await importSweepCurves(resolve(ctx.cwd, file), sweepOptions);
        if (sweep) {
          for (const problem of sweep.problems) ctx.log.error(problem);
          failed += sweep.problems.length;
          for (const result of sweep.results) {
            await store.saveResult(result);
            imported.push(result);
          }
          await store.saveExperiment(sweep.experiment);
          if (!ctx.args.flags['json']) ctx.stdout(`${sweep.experiment.id}\t${file}\t${sweep.experiment.curves.length} curve${sweep.experiment.curves.length === 1 ? '' : 's'}, ${sweep.results.length} points (\`serving-lab results show ${sweep.experiment.id}\`)\n`);
          continue;
        }
        parsed = await parseImportPath(resolve(ctx.cwd, file), file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        ctx.log.error(err instanceof BenchmarkParseError ? err.message : `${file}: cannot read (${code ?? (err as Error).message}); check the path`);
        failed++;
        continue;
      }
      const batch = toImportedBatch(parsed, file, seen);
      for (const problem of batch.problems) ctx.log.error(problem);
      failed += batch.problems.length;
      duplicates += batch.duplicates;
      if (batch.duplicates > 0) ctx.log.warn(`${file}: ${batch.duplicates} result${batch.duplicates === 1 ? ' is' : 's are'} identical to one already read; stored once`);
      for (const result of batch.results) {
        await store.saveResult(result);
        imported.push(result);
        if (!ctx.args.flags['json']) ctx.stdout(`${result.id}\t${file}\t${fixed(result.metrics.total_token_throughput)} tok/s\n`);
      }
    }
    if (ctx.args.flags['json']) ctx.stdout(`${JSON.stringify(imported, null, 2)}\n`);
    ctx.log.info(`imported ${imported.length} result${imported.length === 1 ? '' : 's'} into ${store.root}${duplicates ? ` (${duplicates} duplicate${duplicates === 1 ? '' : 's'} skipped)` : ''}`);
    return failed > 0 ? 1 : 0;
  },
};
