// TensorRT-LLM (`trtllm-serve MODEL …`, click options with underscores; research/engines.md §1.3). Settings without a
// flag (KV dtype, attention backend, CUDA graphs) and the perf metrics switches go to an --extra_llm_api_options YAML
// written into the run directory.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { EngineVariant, SpeculativeDecoding } from '../plan/schema';
import { catalogModel } from '../sim/models/drafts';
import { parseWithRules, pushFlag, VariantError, type EngineAdapter, type FlagRule, type VariantDraft } from './adapter';
import { draftCheckpoint, refuseTree } from './speculative';

const TRTLLM_OPTIONS_FILE = 'extra_llm_api_options.yaml';

const rules: FlagRule[] = [
  { names: ['--host'], kind: 'string', apply: (_d, v, p) => void (p.bindHost = String(v)) },
  { names: ['--port'], kind: 'int', apply: (_d, v, p) => void (p.port = Number(v)) },
  { names: ['--tp_size', '--tensor_parallel_size'], kind: 'int', apply: (d, v) => void (d.parallel.tp = Number(v)) },
  { names: ['--pp_size', '--pipeline_parallel_size'], kind: 'int', apply: (d, v) => void (d.parallel.pp = Number(v)) },
  { names: ['--ep_size', '--moe_expert_parallel_size'], kind: 'int', apply: (d, v) => void (d.parallel.ep = Number(v)) },
  { names: ['--max_batch_size'], kind: 'int', apply: (d, v) => void (d.batching.maxNumSeqs = Number(v)) },
  { names: ['--max_num_tokens'], kind: 'int', apply: (d, v) => void (d.batching.maxNumBatchedTokens = Number(v)) },
  { names: ['--max_seq_len'], kind: 'int', apply: (d, v) => void (d.maxModelLen = Number(v)) },
  {
    names: ['--kv_cache_free_gpu_memory_fraction', '--free_gpu_memory_fraction'],
    kind: 'float',
    apply: (d, v) => void (d.batching.memFraction = Number(v)),
  },
  { names: ['--tool_parser'], kind: 'string', apply: (d, v) => void (d.parsers.toolCall = String(v)) },
  { names: ['--reasoning_parser'], kind: 'string', apply: (d, v) => void (d.parsers.reasoning = String(v)) },
  { names: ['--extra_llm_api_options', '--config'], kind: 'string', apply: (_d, v, p) => void (p.configFile = String(v)) },
];

interface ExtraOptions {
  enable_iter_perf_stats?: boolean;
  return_perf_metrics?: boolean;
  kv_cache_config?: { dtype?: string };
  attn_backend?: string;
  cuda_graph_config?: { max_batch_size?: number } | null;
  speculative_config?: SpeculativeConfig;
  [key: string]: unknown;
}

/** The LLM API's speculative_config (PyTorch backend): EAGLE-3 heads, DeepSeek's MTP, n-gram lookup, a draft model. */
interface SpeculativeConfig {
  decoding_type: 'Eagle' | 'MTP' | 'NGram' | 'DraftTarget';
  max_draft_len?: number;
  num_nextn_predict_layers?: number;
  speculative_model_dir?: string;
  max_matching_ngram_size?: number;
}

/** TensorRT-LLM implements MTP in its DeepSeek-V3 model only (the one-model drafter of DeepseekV3ForCausalLM). */
const MTP_ARCHITECTURES = ['DeepseekV3ForCausalLM'];

function speculativeConfig(v: EngineVariant, spec: SpeculativeDecoding): SpeculativeConfig {
  refuseTree(spec, 'trtllm');
  const draft = draftCheckpoint(v.model, spec, 'trtllm');
  const k = spec.numSpeculativeTokens;
  if (spec.method === 'eagle') throw new VariantError('TensorRT-LLM drafts with EAGLE-3 heads only (decoding_type Eagle): use method eagle3');
  if (spec.method === 'mtp') {
    const arch = catalogModel(v.model)?.architecture;
    if (arch !== undefined && !MTP_ARCHITECTURES.includes(arch)) throw new VariantError(`TensorRT-LLM implements MTP for DeepSeek-V3/R1 only, not ${arch}: use vLLM or SGLang for ${v.model}'s MTP layers, or method ngram`);
    return { decoding_type: 'MTP', num_nextn_predict_layers: k };
  }
  if (spec.method === 'ngram') {
    if (spec.promptLookupMin !== undefined) throw new VariantError('TensorRT-LLM matches n-grams of up to max_matching_ngram_size tokens (promptLookupMax): leave speculative.promptLookupMin unset');
    return { decoding_type: 'NGram', max_draft_len: k, ...(spec.promptLookupMax !== undefined ? { max_matching_ngram_size: spec.promptLookupMax } : {}) };
  }
  return { decoding_type: spec.method === 'eagle3' ? 'Eagle' : 'DraftTarget', max_draft_len: k, speculative_model_dir: draft! };
}

const DECODING_METHODS: Record<SpeculativeConfig['decoding_type'], SpeculativeDecoding['method']> = { Eagle: 'eagle3', MTP: 'mtp', NGram: 'ngram', DraftTarget: 'draft_model' };

function parseSpeculativeConfig(d: VariantDraft, c: SpeculativeConfig): void {
  const method = DECODING_METHODS[c.decoding_type];
  if (!method) throw new VariantError(`speculative_config.decoding_type ${String(c.decoding_type)} is not one Serving Lab knows: use ${Object.keys(DECODING_METHODS).join(', ')}`);
  d.speculative = {
    method,
    numSpeculativeTokens: (method === 'mtp' ? c.num_nextn_predict_layers : c.max_draft_len) ?? 1,
    ...(c.speculative_model_dir !== undefined ? { draftModel: c.speculative_model_dir } : {}),
    ...(c.max_matching_ngram_size !== undefined ? { promptLookupMax: c.max_matching_ngram_size } : {}),
  };
}

export const trtllmAdapter: EngineAdapter = {
  engine: 'trtllm',
  defaultCommand: ['trtllm-serve'],
  dockerCommand: ['trtllm-serve'],
  dockerOptions: ['--ulimit', 'memlock=-1', '--ulimit', 'stack=67108864'],
  defaultPort: 8000,

  render(v: EngineVariant, o) {
    if (v.quantization !== undefined) {
      throw new VariantError('TensorRT-LLM takes quantization from the checkpoint: choose a quantized checkpoint as the model instead of setting quantization');
    }
    if (v.parallel.dp > 1) throw new VariantError('TensorRT-LLM has no data-parallel size flag: use attention DP (enable_attention_dp) through extraArgs, or dp 1');
    if (v.batching.chunkedPrefillSize !== undefined) {
      throw new VariantError('TensorRT-LLM chunks prefill by --max_num_tokens: set batching.maxNumBatchedTokens instead of chunkedPrefillSize');
    }
    if (v.servedModelName !== undefined) throw new VariantError('trtllm-serve has no served-model-name option: leave servedModelName unset');
    const args: string[] = [v.model];
    if (v.parallel.tp > 1) args.push('--tp_size', String(v.parallel.tp));
    if (v.parallel.pp > 1) args.push('--pp_size', String(v.parallel.pp));
    if (v.parallel.ep > 1) args.push('--ep_size', String(v.parallel.ep));
    pushFlag(args, '--max_batch_size', v.batching.maxNumSeqs);
    pushFlag(args, '--max_num_tokens', v.batching.maxNumBatchedTokens);
    pushFlag(args, '--max_seq_len', v.maxModelLen);
    pushFlag(args, '--kv_cache_free_gpu_memory_fraction', v.batching.memFraction);
    pushFlag(args, '--tool_parser', v.parsers.toolCall);
    pushFlag(args, '--reasoning_parser', v.parsers.reasoning);
    const extra: ExtraOptions = { enable_iter_perf_stats: true, return_perf_metrics: true };
    if (v.kvCacheDtype !== undefined) extra.kv_cache_config = { dtype: v.kvCacheDtype };
    if (v.attentionBackend !== undefined) extra.attn_backend = v.attentionBackend;
    if (v.cudaGraph.disabled) extra.cuda_graph_config = null;
    else if (v.cudaGraph.maxBatchSize !== undefined) extra.cuda_graph_config = { max_batch_size: v.cudaGraph.maxBatchSize };
    if (v.speculative) extra.speculative_config = speculativeConfig(v, v.speculative);
    const file = `${o.configDir ?? '.'}/${TRTLLM_OPTIONS_FILE}`;
    args.push('--extra_llm_api_options', file, ...v.extraArgs, '--host', o.bindHost ?? '127.0.0.1', '--port', String(o.port));
    return { args, env: { ...v.env }, files: [{ path: file, content: stringifyYaml(extra) }] };
  },

  parse(args, env, files) {
    const words = args[0] === 'serve' ? args.slice(1) : args;
    const result = parseWithRules('trtllm', words, rules, (d, word) => {
      if (d.model !== undefined) return false;
      d.model = word;
      return true;
    });
    const { draft, parsed } = result;
    draft.env = { ...env };
    if (parsed.configFile !== undefined) {
      const text = files?.[parsed.configFile];
      if (text === undefined) {
        // Without its content the file stays an opaque argument, so rendering the variant names it again.
        draft.extraArgs.unshift('--extra_llm_api_options', parsed.configFile);
      } else {
        const extra = (parseYaml(text) ?? {}) as ExtraOptions;
        if (extra.kv_cache_config?.dtype !== undefined) draft.kvCacheDtype = extra.kv_cache_config.dtype;
        if (extra.attn_backend !== undefined) draft.attentionBackend = extra.attn_backend;
        if (extra.cuda_graph_config === null) draft.cudaGraph.disabled = true;
        else if (extra.cuda_graph_config?.max_batch_size !== undefined) draft.cudaGraph.maxBatchSize = extra.cuda_graph_config.max_batch_size;
        if (extra.speculative_config) parseSpeculativeConfig(draft, extra.speculative_config);
      }
    }
    return result;
  },
};
