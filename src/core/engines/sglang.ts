// SGLang (`python3 -m sglang.launch_server --model-path MODEL …`), flags as of 0.5.4 (research/engines.md §1.2).
// /metrics only exists with --enable-metrics, so it is always rendered (and dropped again when parsing).
import type { EngineVariant } from '../plan/schema';
import { parseWithRules, pushFlag, type EngineAdapter, type FlagRule } from './adapter';

const rules: FlagRule[] = [
  { names: ['--model-path', '--model'], kind: 'string', apply: (d, v) => void (d.model = String(v)) },
  { names: ['--served-model-name'], kind: 'string', apply: (d, v) => void (d.servedModelName = String(v)) },
  { names: ['--host'], kind: 'string', apply: (_d, v, p) => void (p.bindHost = String(v)) },
  { names: ['--port'], kind: 'int', apply: (_d, v, p) => void (p.port = Number(v)) },
  { names: ['--tp-size', '--tp'], kind: 'int', apply: (d, v) => void (d.parallel.tp = Number(v)) },
  { names: ['--pp-size'], kind: 'int', apply: (d, v) => void (d.parallel.pp = Number(v)) },
  { names: ['--dp-size', '--dp'], kind: 'int', apply: (d, v) => void (d.parallel.dp = Number(v)) },
  { names: ['--ep-size', '--ep'], kind: 'int', apply: (d, v) => void (d.parallel.ep = Number(v)) },
  { names: ['--quantization'], kind: 'string', apply: (d, v) => void (d.quantization = String(v)) },
  { names: ['--kv-cache-dtype'], kind: 'string', apply: (d, v) => void (d.kvCacheDtype = String(v)) },
  { names: ['--attention-backend'], kind: 'string', apply: (d, v) => void (d.attentionBackend = String(v)) },
  { names: ['--context-length'], kind: 'int', apply: (d, v) => void (d.maxModelLen = Number(v)) },
  { names: ['--disable-cuda-graph'], kind: 'none', apply: (d) => void (d.cudaGraph.disabled = true) },
  { names: ['--cuda-graph-max-bs'], kind: 'int', apply: (d, v) => void (d.cudaGraph.maxBatchSize = Number(v)) },
  { names: ['--max-running-requests'], kind: 'int', apply: (d, v) => void (d.batching.maxNumSeqs = Number(v)) },
  { names: ['--max-prefill-tokens'], kind: 'int', apply: (d, v) => void (d.batching.maxNumBatchedTokens = Number(v)) },
  { names: ['--chunked-prefill-size'], kind: 'int', apply: (d, v) => void (d.batching.chunkedPrefillSize = Number(v)) },
  { names: ['--mem-fraction-static'], kind: 'float', apply: (d, v) => void (d.batching.memFraction = Number(v)) },
  { names: ['--tool-call-parser'], kind: 'string', apply: (d, v) => void (d.parsers.toolCall = String(v)) },
  { names: ['--reasoning-parser'], kind: 'string', apply: (d, v) => void (d.parsers.reasoning = String(v)) },
  { names: ['--enable-metrics'], kind: 'none', apply: () => {} },
];

export const sglangAdapter: EngineAdapter = {
  engine: 'sglang',
  defaultCommand: ['python3', '-m', 'sglang.launch_server'],
  dockerCommand: ['python3', '-m', 'sglang.launch_server'],
  dockerOptions: ['--shm-size', '32g'],
  defaultPort: 30000,

  render(v: EngineVariant, o) {
    const args: string[] = ['--model-path', v.model];
    pushFlag(args, '--served-model-name', v.servedModelName);
    if (v.parallel.tp > 1) args.push('--tp-size', String(v.parallel.tp));
    if (v.parallel.pp > 1) args.push('--pp-size', String(v.parallel.pp));
    if (v.parallel.dp > 1) args.push('--dp-size', String(v.parallel.dp));
    if (v.parallel.ep > 1) args.push('--ep-size', String(v.parallel.ep));
    pushFlag(args, '--quantization', v.quantization);
    pushFlag(args, '--kv-cache-dtype', v.kvCacheDtype);
    pushFlag(args, '--attention-backend', v.attentionBackend);
    pushFlag(args, '--context-length', v.maxModelLen);
    if (v.cudaGraph.disabled) args.push('--disable-cuda-graph');
    pushFlag(args, '--cuda-graph-max-bs', v.cudaGraph.maxBatchSize);
    pushFlag(args, '--max-running-requests', v.batching.maxNumSeqs);
    pushFlag(args, '--max-prefill-tokens', v.batching.maxNumBatchedTokens);
    pushFlag(args, '--chunked-prefill-size', v.batching.chunkedPrefillSize);
    pushFlag(args, '--mem-fraction-static', v.batching.memFraction);
    pushFlag(args, '--tool-call-parser', v.parsers.toolCall);
    pushFlag(args, '--reasoning-parser', v.parsers.reasoning);
    args.push(...v.extraArgs, '--enable-metrics', '--host', o.bindHost ?? '127.0.0.1', '--port', String(o.port));
    return { args, env: { ...v.env }, files: [] };
  },

  parse(args, env) {
    const result = parseWithRules('sglang', args, rules, () => false);
    result.draft.env = { ...env };
    return result;
  },
};
