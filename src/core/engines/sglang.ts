// SGLang (`python3 -m sglang.launch_server --model-path MODEL …`), flags as of 0.5.4 (research/engines.md §1.2).
// /metrics only exists with --enable-metrics, so it is always rendered (and dropped again when parsing).
import type { EngineVariant, SpeculativeDecoding } from '../plan/schema';
import { parseWithRules, pushFlag, VariantError, type EngineAdapter, type FlagRule, type VariantDraft } from './adapter';
import { draftCheckpoint } from './speculative';

/** --speculative-algorithm by method: NEXTN is SGLang's name for a model's own MTP layers, STANDALONE a draft model. */
const ALGORITHMS: Record<SpeculativeDecoding['method'], string> = { eagle3: 'EAGLE3', eagle: 'EAGLE', mtp: 'NEXTN', ngram: 'NGRAM', draft_model: 'STANDALONE' };
const METHODS = Object.fromEntries(Object.entries(ALGORITHMS).map(([m, a]) => [a, m])) as Record<string, SpeculativeDecoding['method']>;

/**
 * The --speculative-* flags. SGLang drafts `num_steps` tokens per chain and verifies `num_draft_tokens` (the tree's
 * nodes, root included: steps + 1 for one chain); n-gram lookup verifies `num_draft_tokens` matched tokens.
 */
function speculativeArgs(v: EngineVariant, spec: SpeculativeDecoding): string[] {
  const draft = draftCheckpoint(v.model, spec, 'sglang');
  const args = ['--speculative-algorithm', ALGORITHMS[spec.method]];
  pushFlag(args, '--speculative-draft-model-path', draft);
  const k = spec.numSpeculativeTokens;
  if (spec.method === 'ngram') {
    args.push('--speculative-num-draft-tokens', String(spec.numDraftTokens ?? k + 1));
    pushFlag(args, '--speculative-ngram-min-match-window-size', spec.promptLookupMin);
    pushFlag(args, '--speculative-ngram-max-match-window-size', spec.promptLookupMax);
    return args;
  }
  const topk = spec.topk ?? 1;
  if (topk > 1 && spec.numDraftTokens === undefined) {
    throw new VariantError('with speculative.topk above 1 SGLang drafts a tree: set speculative.numDraftTokens too (its size, e.g. 8 for 5 steps of top-4)');
  }
  args.push('--speculative-num-steps', String(k), '--speculative-eagle-topk', String(topk), '--speculative-num-draft-tokens', String(spec.numDraftTokens ?? k + 1));
  return args;
}

/** The flags read back: defaults SGLang would derive (topk 1, steps + 1 draft tokens) are left out of the variant. */
function finishSpeculative(d: VariantDraft): void {
  const s = d.speculative;
  if (!s) return;
  if (s.method === 'ngram') {
    if (s.numDraftTokens === undefined) throw new VariantError('--speculative-algorithm NGRAM needs --speculative-num-draft-tokens (how many looked-up tokens each step verifies)');
    s.numSpeculativeTokens = s.numDraftTokens - 1;
  } else if (s.numSpeculativeTokens === undefined) {
    throw new VariantError(`--speculative-algorithm ${ALGORITHMS[s.method!]} needs --speculative-num-steps (SGLang would choose it from the model's architecture)`);
  }
  if (s.topk === 1) delete s.topk;
  if (s.numDraftTokens === s.numSpeculativeTokens! + 1) delete s.numDraftTokens;
}

const speculativeRule = (names: string[], set: (s: Partial<SpeculativeDecoding>, value: string) => void, kind: FlagRule['kind'] = 'int'): FlagRule => ({
  names,
  kind,
  apply: (d, v) => set((d.speculative ??= {}), String(v)),
});

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
  speculativeRule(['--speculative-algorithm', '--speculative-algo'], (s, v) => {
    const method = METHODS[v];
    if (!method) throw new VariantError(`--speculative-algorithm ${v} is not one Serving Lab knows: use ${Object.keys(METHODS).join(', ')}`);
    s.method = method;
  }, 'string'),
  speculativeRule(['--speculative-draft-model-path', '--speculative-draft-model'], (s, v) => void (s.draftModel = v), 'string'),
  speculativeRule(['--speculative-num-steps'], (s, v) => void (s.numSpeculativeTokens = Number(v))),
  speculativeRule(['--speculative-eagle-topk'], (s, v) => void (s.topk = Number(v))),
  speculativeRule(['--speculative-num-draft-tokens'], (s, v) => void (s.numDraftTokens = Number(v))),
  speculativeRule(['--speculative-ngram-min-match-window-size'], (s, v) => void (s.promptLookupMin = Number(v))),
  speculativeRule(['--speculative-ngram-max-match-window-size'], (s, v) => void (s.promptLookupMax = Number(v))),
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
    if (v.speculative) args.push(...speculativeArgs(v, v.speculative));
    pushFlag(args, '--tool-call-parser', v.parsers.toolCall);
    pushFlag(args, '--reasoning-parser', v.parsers.reasoning);
    args.push(...v.extraArgs, '--enable-metrics', '--host', o.bindHost ?? '127.0.0.1', '--port', String(o.port));
    return { args, env: { ...v.env }, files: [] };
  },

  parse(args, env) {
    const result = parseWithRules('sglang', args, rules, () => false);
    finishSpeculative(result.draft);
    result.draft.env = { ...env };
    return result;
  },
};
