// A `vllm bench sweep serve` output directory (vllm/benchmarks/sweep/serve.py): one sub-directory per serve × bench
// combination, named "SERVE--<serve params>-BENCH--<bench params>" (either part absent when not swept), holding
// run=N.json — a `vllm bench serve --save-result` JSON with the run number and the combination's parameters merged
// in — plus summary.json (the same runs again), warmup.json and *.failure.json, which are not results.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BenchmarkParseError, parseBenchmarkOutput, type ParsedBenchmark } from '../bench/parse';

const RUN_FILE = /^run=(\d+)\.json$/;
const COMBINATION_DIR = /^(?:SERVE-(.*?))?-?(?:BENCH-(.*))?$/;

/** True when `dir` looks like a sweep: at least one sub-directory holding a run=N.json. */
export async function isSweepDirectory(dir: string): Promise<boolean> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const files = await readdir(join(dir, entry.name)).catch(() => []);
    if (files.some((f) => RUN_FILE.test(f))) return true;
  }
  return false;
}

/** A combination's parameters with the values the run's JSON carries ("max_num_seqs=64" → {max_num_seqs: 64}). */
function paramsOf(text: string, combination: string): Record<string, unknown> {
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // The run parsed as a result above; without a JSON object the names alone are known.
  }
  const names = [...combination.matchAll(/([A-Za-z_][A-Za-z0-9_.]*)=/g)].map((m) => m[1]!);
  return Object.fromEntries(names.filter((n) => n in json).map((n) => [n, json[n]]));
}

/** "SERVE--max_num_seqs=64-BENCH--max_concurrency=8" → serve "max_num_seqs=64", bench "max_concurrency=8". */
export function combinationOf(name: string): { serve: string; bench: string } {
  const m = COMBINATION_DIR.exec(name);
  const clean = (s: string | undefined) => (s ?? '').replace(/^-+|-+$/g, '');
  return { serve: clean(m?.[1]) || 'default', bench: clean(m?.[2]) || 'default' };
}

/** One run of a sweep: its result, the serve configuration it ran on and the parameters that configuration set. */
export interface SweepPoint {
  parsed: ParsedBenchmark;
  /** The configuration's name ("max_num_seqs=64", or "default"). */
  serve: string;
  bench: string;
  /** The serve parameters with their values, as `vllm bench sweep` merged them into the run's JSON. */
  serveParams: Record<string, unknown>;
  /** The bench parameters (load, dataset lengths, …) the same way. */
  benchParams: Record<string, unknown>;
}

export async function parseSweepDirectory(dir: string): Promise<ParsedBenchmark[]> {
  return (await parseSweepPoints(dir)).map((p) => p.parsed);
}

export async function parseSweepPoints(dir: string): Promise<SweepPoint[]> {
  const out: SweepPoint[] = [];
  const combos = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const combo of combos) {
    const runs = (await readdir(join(dir, combo))).filter((f) => RUN_FILE.test(f)).sort((a, b) => Number(RUN_FILE.exec(a)![1]) - Number(RUN_FILE.exec(b)![1]));
    const { serve, bench } = combinationOf(combo);
    for (const run of runs) {
      const path = join(dir, combo, run);
      if (!(await stat(path)).isFile()) continue;
      const where = `${basename(dir)}/${combo}/${run}`;
      const text = await readFile(path, 'utf8');
      const [parsed] = parseBenchmarkOutput(text, where);
      if (!parsed) throw new BenchmarkParseError(`${where}: empty run file`);
      // The combination's parameters are merged into the run's JSON; they are settings, not metrics.
      const params = new Set([...combo.matchAll(/([A-Za-z_][A-Za-z0-9_.]*)=/g)].map((m) => m[1]!).concat('run_number'));
      const metrics = Object.fromEntries(Object.entries(parsed.metrics).filter(([k]) => !params.has(k))) as typeof parsed.metrics;
      out.push({
        parsed: {
          ...parsed,
          metrics,
          source: { ...parsed.source, kind: 'vllm-sweep', tool: 'vllm bench sweep' },
          title: `serve ${serve} · bench ${bench} · run ${RUN_FILE.exec(run)![1]}`,
          notes: [...parsed.notes, `vllm bench sweep serve configuration: ${serve}`, `vllm bench sweep bench parameters: ${bench}`],
        },
        serve,
        bench,
        serveParams: paramsOf(text, serve),
        benchParams: paramsOf(text, bench),
      });
    }
  }
  if (out.length === 0) throw new BenchmarkParseError(`${dir}: no run=N.json in any SERVE-…/BENCH-… sub-directory; is it a \`vllm bench sweep serve\` output directory?`);
  return out;
}
