// How each tool defines the latency metrics stored under vLLM's names (research/bench-tools.md §2, §4.3, §4.5), so a
// comparison across tools can say where two results do not measure the same thing.
import type { BenchmarkResult } from '../plan/schema';

type Kind = BenchmarkResult['source']['kind'];
type Metric = 'TPOT' | 'ITL' | 'E2EL' | 'output tokens';

const VLLM: Record<Metric, string> = {
  TPOT: 'mean over requests of (latency − TTFT) / (output tokens − 1)',
  ITL: 'every gap between streamed chunks',
  E2EL: 'request sent → last token',
  'output tokens': 'counted from the stream (or the server usage)',
};

const BY_TOOL: Record<string, { tool: string; definitions: Record<Metric, string> }> = {
  vllm: { tool: 'vllm bench serve', definitions: VLLM },
  sglang: {
    tool: 'SGLang bench_serving',
    definitions: { ...VLLM, E2EL: 'request sent → the final [DONE] line', 'output tokens': 'server usage, else the requested length' },
  },
  guidellm: {
    tool: 'GuideLLM',
    definitions: {
      TPOT: 'inter_token_latency: (last − first token) / (output tokens − 1) per request, mean weighted by tokens',
      ITL: 'not measured',
      E2EL: VLLM.E2EL,
      'output tokens': VLLM['output tokens'],
    },
  },
  aiperf: {
    tool: 'AIPerf',
    definitions: { ...VLLM, TPOT: 'inter_token_latency: (request latency − TTFT) / (output tokens − 1)', ITL: 'inter_chunk_latency: gaps between chunks' },
  },
};

function familyOf(kind: Kind): keyof typeof BY_TOOL {
  if (kind.startsWith('sglang')) return 'sglang';
  if (kind === 'guidellm-json') return 'guidellm';
  if (kind.startsWith('aiperf')) return 'aiperf';
  return 'vllm'; // native, simulator, vLLM text/JSON/sweep, GPUStack's blocks (printed like vLLM's)
}

/** One line per metric the two results' tools define differently; empty when they agree. */
export function definitionDifferences(a: BenchmarkResult['source'], b: BenchmarkResult['source']): string[] {
  const x = BY_TOOL[familyOf(a.kind)]!;
  const y = BY_TOOL[familyOf(b.kind)]!;
  if (x === y) return [];
  return (Object.keys(VLLM) as Metric[])
    .filter((m) => x.definitions[m] !== y.definitions[m])
    .map((m) => `${m} is defined differently — ${x.tool}: ${x.definitions[m]}; ${y.tool}: ${y.definitions[m]}`);
}
