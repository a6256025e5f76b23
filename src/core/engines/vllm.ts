// vLLM (`vllm serve MODEL …`), flags as of 0.11 (research/engines.md §1.1). 0.11 has no --attention-backend flag:
// the backend is the VLLM_ATTENTION_BACKEND environment variable; later versions take the flag.
import type { EngineVariant } from '../plan/schema';
import { parseWithRules, pushFlag, VariantError, type EngineAdapter, type FlagRule } from './adapter';

const VLLM_ATTENTION_ENV = 'VLLM_ATTENTION_BACKEND';

/** True for vLLM versions that take --attention-backend (after 0.11, PR #26315). Unknown version → 0.11 spelling. */
function hasAttentionBackendFlag(version: string | undefined): boolean {
  const m = version?.match(/^(\d+)\.(\d+)/);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 0 || minor >= 12;
}

const rules: FlagRule[] = [
  { names: ['--model'], kind: 'string', apply: (d, v) => void (d.model = String(v)) },
  { names: ['--served-model-name'], kind: 'string', apply: (d, v) => void (d.servedModelName = String(v)) },
  { names: ['--host'], kind: 'string', apply: (_d, v, p) => void (p.bindHost = String(v)) },
  { names: ['--port'], kind: 'int', apply: (_d, v, p) => void (p.port = Number(v)) },
  { names: ['-tp', '--tensor-parallel-size'], kind: 'int', apply: (d, v) => void (d.parallel.tp = Number(v)) },
  { names: ['-pp', '--pipeline-parallel-size'], kind: 'int', apply: (d, v) => void (d.parallel.pp = Number(v)) },
  { names: ['-dp', '--data-parallel-size'], kind: 'int', apply: (d, v) => void (d.parallel.dp = Number(v)) },
  // EP spans TP×DP in vLLM; the size is filled in once all flags are read.
  { names: ['--enable-expert-parallel', '-ep'], kind: 'none', apply: (d) => void (d.parallel.ep = -1) },
  { names: ['--quantization', '-q'], kind: 'string', apply: (d, v) => void (d.quantization = String(v)) },
  { names: ['--kv-cache-dtype'], kind: 'string', apply: (d, v) => void (d.kvCacheDtype = String(v)) },
  { names: ['--attention-backend'], kind: 'string', apply: (d, v) => void (d.attentionBackend = String(v)) },
  { names: ['--max-model-len'], kind: 'int', apply: (d, v) => void (d.maxModelLen = Number(v)) },
  { names: ['--enforce-eager'], kind: 'none', apply: (d) => void (d.cudaGraph.disabled = true) },
  { names: ['--max-num-seqs'], kind: 'int', apply: (d, v) => void (d.batching.maxNumSeqs = Number(v)) },
  { names: ['--max-num-batched-tokens'], kind: 'int', apply: (d, v) => void (d.batching.maxNumBatchedTokens = Number(v)) },
  { names: ['--gpu-memory-utilization'], kind: 'float', apply: (d, v) => void (d.batching.memFraction = Number(v)) },
  { names: ['--tool-call-parser'], kind: 'string', apply: (d, v) => void (d.parsers.toolCall = String(v)) },
  { names: ['--reasoning-parser'], kind: 'string', apply: (d, v) => void (d.parsers.reasoning = String(v)) },
  // Rendered together with --tool-call-parser, so it carries no information of its own.
  { names: ['--enable-auto-tool-choice'], kind: 'none', apply: () => {} },
];

export const vllmAdapter: EngineAdapter = {
  engine: 'vllm',
  defaultCommand: ['vllm', 'serve'],
  dockerCommand: [],
  dockerOptions: [],
  defaultPort: 8000,

  render(v: EngineVariant, o) {
    const args: string[] = [v.model];
    const env: Record<string, string> = { ...v.env };
    pushFlag(args, '--served-model-name', v.servedModelName);
    if (v.parallel.tp > 1) args.push('-tp', String(v.parallel.tp));
    if (v.parallel.pp > 1) args.push('-pp', String(v.parallel.pp));
    if (v.parallel.dp > 1) args.push('-dp', String(v.parallel.dp));
    if (v.parallel.ep > 1) {
      const span = v.parallel.tp * v.parallel.dp;
      if (v.parallel.ep !== span) {
        throw new VariantError(`vLLM's expert parallelism spans TP×DP = ${span} GPUs (--enable-expert-parallel); set ep to 1 or ${span}, got ${v.parallel.ep}`);
      }
      args.push('--enable-expert-parallel');
    }
    pushFlag(args, '--quantization', v.quantization);
    pushFlag(args, '--kv-cache-dtype', v.kvCacheDtype);
    if (v.attentionBackend !== undefined) {
      if (hasAttentionBackendFlag(o.engineVersion)) args.push('--attention-backend', v.attentionBackend);
      else env[VLLM_ATTENTION_ENV] = v.attentionBackend;
    }
    pushFlag(args, '--max-model-len', v.maxModelLen);
    if (v.cudaGraph.disabled) args.push('--enforce-eager');
    if (v.cudaGraph.maxBatchSize !== undefined) args.push('--cuda-graph-sizes', String(v.cudaGraph.maxBatchSize));
    pushFlag(args, '--max-num-seqs', v.batching.maxNumSeqs);
    pushFlag(args, '--max-num-batched-tokens', v.batching.maxNumBatchedTokens);
    if (v.batching.chunkedPrefillSize !== undefined) {
      throw new VariantError('vLLM has no chunked-prefill size apart from --max-num-batched-tokens: set batching.maxNumBatchedTokens instead');
    }
    pushFlag(args, '--gpu-memory-utilization', v.batching.memFraction);
    if (v.parsers.toolCall !== undefined) args.push('--tool-call-parser', v.parsers.toolCall, '--enable-auto-tool-choice');
    pushFlag(args, '--reasoning-parser', v.parsers.reasoning);
    args.push(...v.extraArgs, '--host', o.bindHost ?? '127.0.0.1', '--port', String(o.port));
    return { args, env, files: [] };
  },

  parse(args, env) {
    // `--cuda-graph-sizes` takes a list; one value is the largest captured batch size.
    const pre: string[] = [];
    let graphMax: number | undefined;
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--cuda-graph-sizes') {
        const values: string[] = [];
        while (i + 1 < args.length && /^\d+$/.test(args[i + 1]!)) values.push(args[++i]!);
        if (values.length === 1) graphMax = Number(values[0]);
        else pre.push('--cuda-graph-sizes', ...values);
      } else pre.push(args[i]!);
    }
    const result = parseWithRules('vllm', pre, rules, (d, word) => {
      if (d.model !== undefined) return false;
      d.model = word;
      return true;
    });
    const { draft } = result;
    if (graphMax !== undefined) draft.cudaGraph.maxBatchSize = graphMax;
    if (draft.parallel.ep === -1) draft.parallel.ep = (draft.parallel.tp ?? 1) * (draft.parallel.dp ?? 1);
    const { [VLLM_ATTENTION_ENV]: backend, ...rest } = env;
    if (backend !== undefined && draft.attentionBackend === undefined) draft.attentionBackend = backend;
    draft.env = rest;
    return result;
  },
};
