// `serving-lab parse FILE…`: benchmark output (vLLM or SGLang text, vLLM --save-result JSON, SGLang JSONL) into
// normalized BenchmarkResult JSON.
import { readFile } from 'node:fs/promises';
import { BenchmarkParseError, parseBenchmarkOutput, toBenchmarkResult } from '../../core/bench/parse';
import { pyFixed2 } from '../../core/bench/format';
import type { BenchmarkResult } from '../../core/plan/schema';
import { CliError } from '../args';
import { jsonFlag, type CliCommand } from '../command';

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function summary(file: string, index: number, total: number, r: BenchmarkResult): string {
  const m = r.metrics;
  const title = r.notes.find((n) => n.startsWith('title: '))?.slice(7);
  const where = `${file}${total > 1 ? ` #${index + 1}` : ''}${title ? ` (${title})` : ''}`;
  const stat = (key: string) => (typeof m[key] === 'number' ? pyFixed2(m[key] as number) : '-');
  return (
    `${where}: ${r.source.kind}, ${m.completed} ok / ${m.failed} failed, ${pyFixed2(m.duration)} s, ` +
    `total ${pyFixed2(m.total_token_throughput)} tok/s, output ${pyFixed2(m.output_throughput)} tok/s, ` +
    `TTFT mean ${stat('mean_ttft_ms')} ms, TPOT mean ${stat('mean_tpot_ms')} ms, ITL mean ${stat('mean_itl_ms')} ms`
  );
}

export const parse: CliCommand = {
  path: ['parse'],
  summary: 'Read benchmark output (vLLM/SGLang text blocks, vLLM --save-result JSON, SGLang JSONL) into normalized results.',
  flags: [jsonFlag],
  positionals: [{ name: 'file', description: 'files to read (- = stdin)', variadic: true }],
  async run({ args, stdout }) {
    const all: BenchmarkResult[] = [];
    const lines: string[] = [];
    for (const file of args.positionals) {
      const text = await readInput(file);
      let parsed;
      try {
        parsed = parseBenchmarkOutput(text, file === '-' ? 'stdin' : file);
      } catch (err) {
        if (err instanceof BenchmarkParseError) throw new CliError(err.message);
        throw err;
      }
      parsed.forEach((p, i) => {
        const result = toBenchmarkResult(p);
        all.push(result);
        lines.push(summary(file, i, parsed.length, result));
      });
    }
    stdout(args.flags['json'] ? `${JSON.stringify(all, null, 2)}\n` : `${lines.join('\n')}\n`);
  },
};
