// vLLM (`vllm serve MODEL …`), flags as of 0.11 (research/engines.md §1.1). 0.11 has no --attention-backend flag:
// the backend is the VLLM_ATTENTION_BACKEND environment variable; later versions take the flag.
import type { EngineVariant, SpeculativeDecoding } from '../plan/schema';
import { parseWithRules, pushFlag, VariantError, type EngineAdapter, type FlagRule, type VariantDraft } from './adapter';
import { draftCheckpoint, refuseTree } from './speculative';

const VLLM_ATTENTION_ENV = 'VLLM_ATTENTION_BACKEND';

/** The 0.x minor release of a version string ("0.11.0" → 11); a 1.x or later release → Infinity; unknown → undefined. */
function minorRelease(version: string | undefined): number | undefined {
  const m = version?.match(/^v?(\d+)\.(\d+)/);
  if (!m) return undefined;
  return Number(m[1]) > 0 ? Infinity : Number(m[2]);
}

/** True for vLLM versions that take --attention-backend (after 0.11, PR #26315). Unknown version → 0.11 spelling. */
function hasAttentionBackendFlag(version: string | undefined): boolean {
  return (minorRelease(version) ?? 11) >= 12;
}

// vLLM's SpeculativeConfig: the MTP method is "deepseek_mtp" before 0.11 (PR #25232 named it "mtp"; the per-model
// names still parse as aliases), and 0.10–0.13 raise NotImplementedError for a separate draft model (PR #24322
// brought it back in January 2026).
const MTP_ALIASES = ['deepseek_mtp', 'mimo_mtp', 'glm4_moe_mtp', 'ernie_mtp', 'qwen3_next_mtp', 'longcat_flash_mtp'];
const SPECULATIVE_KEYS = new Set(['method', 'model', 'num_speculative_tokens', 'prompt_lookup_max', 'prompt_lookup_min']);

/** The `--speculative-config` JSON, keys in vLLM's documented order. */
function speculativeConfig(v: EngineVariant, spec: SpeculativeDecoding, version: string | undefined): string {
  refuseTree(spec, 'vllm');
  const release = minorRelease(version);
  if (spec.method === 'draft_model' && release !== undefined && release <= 13) {
    throw new VariantError(`vLLM ${version} has no draft-model speculative decoding (it raises NotImplementedError): use method eagle3, mtp or ngram, or SGLang, which loads a draft model as STANDALONE`);
  }
  const draft = draftCheckpoint(v.model, spec, 'vllm');
  const method = spec.method === 'mtp' && (release ?? 11) < 11 ? 'deepseek_mtp' : spec.method;
  return JSON.stringify({
    method,
    ...(draft !== undefined ? { model: draft } : {}),
    num_speculative_tokens: spec.numSpeculativeTokens,
    ...(spec.promptLookupMax !== undefined ? { prompt_lookup_max: spec.promptLookupMax } : {}),
    ...(spec.promptLookupMin !== undefined ? { prompt_lookup_min: spec.promptLookupMin } : {}),
  });
}

/** `--speculative-config` back into the variant field; a config with keys the field has no place for stays an extra argument. */
function parseSpeculativeConfig(d: VariantDraft, text: string): void {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new VariantError(`--speculative-config expects JSON such as '{"method": "ngram", "num_speculative_tokens": 3}', got ${text} (${(err as Error).message})`);
  }
  const k = config['num_speculative_tokens'];
  if (Object.keys(config).some((key) => !SPECULATIVE_KEYS.has(key)) || typeof k !== 'number') {
    d.extraArgs.push('--speculative-config', text);
    return;
  }
  const draft = typeof config['model'] === 'string' ? config['model'] : undefined;
  const named = typeof config['method'] === 'string' ? config['method'] : undefined;
  // vLLM's own detection when no method is named: an "eagle3"/"eagle-" repository is a head, any other a draft model.
  const method = named === undefined ? (draft === undefined ? 'ngram' : /eagle3/i.test(draft) ? 'eagle3' : /eagle-/i.test(draft) ? 'eagle' : 'draft_model') : MTP_ALIASES.includes(named) ? 'mtp' : named;
  d.speculative = {
    method: method as SpeculativeDecoding['method'],
    ...(draft !== undefined && method !== 'mtp' ? { draftModel: draft } : {}),
    numSpeculativeTokens: k,
    ...(typeof config['prompt_lookup_max'] === 'number' ? { promptLookupMax: config['prompt_lookup_max'] } : {}),
    ...(typeof config['prompt_lookup_min'] === 'number' ? { promptLookupMin: config['prompt_lookup_min'] } : {}),
  };
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
  { names: ['--speculative-config'], kind: 'string', apply: (d, v) => parseSpeculativeConfig(d, String(v)) },
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
    if (v.speculative) args.push('--speculative-config', speculativeConfig(v, v.speculative, o.engineVersion));
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
