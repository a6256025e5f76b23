// `serving-lab parse FILE…`: benchmark output (vLLM or SGLang text, vLLM --save-result JSON, SGLang JSONL) into
// normalized BenchmarkResult JSON.
import { BenchmarkParseError, type ParsedBenchmark } from '../../core/bench/parse';
import { parseImportPath, parseImportText, toImportedBatch } from '../../core/imports';
import { pyFixed2 } from '../../core/bench/format';
import type { BenchmarkResult } from '../../core/plan/schema';
import { CliError } from '../args';
import { jsonFlag, type CliCommand } from '../command';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function parseInput(file: string): Promise<ParsedBenchmark[]> {
  try {
    return file === '-' ? parseImportText(await readStdin(), 'stdin') : await parseImportPath(file);
  } catch (err) {
    if (err instanceof BenchmarkParseError) throw new CliError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function summary(file: string, index: number, total: number, r: BenchmarkResult): string {
  const m = r.metrics;
  const title = r.notes.find((n) => n.startsWith('title: '))?.slice(7);
  const where = `${file}${total > 1 ? ` #${index + 1}` : ''}${title ? ` (${title})` : ''}`;
  const stat = (key: string) => (typeof m[key] === 'number' ? pyFixed2(m[key] as number) : m[key] === null ? 'n/a' : '-');
  return (
    `${where}: ${r.source.kind}${r.source.version ? ` (${r.source.tool} ${r.source.version})` : ''}, ${m.completed} ok / ${m.failed ?? 'n/a'} failed, ${pyFixed2(m.duration)} s, ` +
    `total ${pyFixed2(m.total_token_throughput)} tok/s, output ${pyFixed2(m.output_throughput)} tok/s, ` +
    `TTFT mean ${stat('mean_ttft_ms')} ms, TPOT mean ${stat('mean_tpot_ms')} ms, ITL mean ${stat('mean_itl_ms')} ms`
  );
}

export const parse: CliCommand = {
  path: ['parse'],
  summary: 'Read benchmark output (vLLM/SGLang/GPUStack text, vLLM JSON, SGLang JSONL, GuideLLM JSON, AIPerf JSON/CSV, a vllm bench sweep directory) into normalized results.',
  flags: [jsonFlag],
  positionals: [{ name: 'file', description: 'files or sweep directories to read (- = stdin)', variadic: true }],
  async run({ args, stdout }) {
    const all: BenchmarkResult[] = [];
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const file of args.positionals) {
      const parsed = await parseInput(file);
      const batch = toImportedBatch(parsed, file === '-' ? 'stdin' : file, seen);
      if (batch.problems.length > 0) throw new CliError(batch.problems.join('\n'));
      batch.results.forEach((result, i) => {
        all.push(result);
        lines.push(summary(file, i, batch.results.length, result));
      });
      if (batch.duplicates > 0) lines.push(`${file}: ${batch.duplicates} identical result${batch.duplicates === 1 ? '' : 's'} skipped (same block read before)`);
    }
    stdout(args.flags['json'] ? `${JSON.stringify(all, null, 2)}\n` : `${lines.join('\n')}\n`);
  },
};
