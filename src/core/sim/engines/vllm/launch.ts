// `vllm serve …` on the simulated host: the command line resolved against the release's defaults and refusals, then
// the startup log of a V1 engine (research/engines.md §1.1, §4).
import { EngineArgError, optionsFor, parseEngineArgs } from '../../argparse';
import { memoryPlan, type SimEngineConfig } from '../../config';
import { supportsFp8 } from '../../gpus';
import { findModel, type ModelSpec } from '../../models';
import { EventList, failedPlan, gpuIndices, modelLookup, notInCatalog, pythonRepr, simulatedNotice, servingFields, type LaunchPlan, type PlanOptions, type SimHost } from '../launch';
import { SpeculativeSettingsError, type SpeculativeSettings } from '../speculative';
import { atLeast, engineVersion } from '../versions';
import { VLLM_ATTENTION_BACKENDS, VLLM_SERVE_OPTIONS, VLLM_USAGE } from './args';
import { unchunkedTokenBudget, vllmBatchDefaults, vllmCudaGraphMax } from './defaults';
import { vllmSpeculative } from './speculative';
import { vllmLine, vllmStartup } from './startup';

const QUANTIZATION_METHODS = ['aqlm', 'awq', 'deepspeedfp', 'tpu_int8', 'fp8', 'ptpc_fp8', 'fbgemm_fp8', 'modelopt', 'modelopt_fp4', 'marlin', 'bitblas', 'gguf', 'gptq_marlin_24', 'gptq_marlin', 'gptq_bitblas', 'awq_marlin', 'gptq', 'compressed-tensors', 'bitsandbytes', 'qqq', 'hqq', 'experts_int8', 'neuron_quant', 'ipex', 'quark', 'moe_wna16', 'torchao', 'auto-round', 'rtn', 'inc', 'mxfp4'];
const SUPPORTED_HERE = new Set(['FLASH_ATTN', 'FLASHINFER', 'TRITON_ATTN', 'FLEX_ATTENTION', 'XFORMERS']);


/** The front end's Python traceback, printed once per refusal with the root-cause line (and its explanation) after it. */
function refuse(api: EventList, rootCause: string, explanation: string[] = []): LaunchPlan {
  api.raw('Traceback (most recent call last):').raw('  File "/usr/local/bin/vllm", line 10, in <module>').raw('    sys.exit(main())').raw(rootCause);
  for (const line of explanation) api.raw(line);
  return failedPlan('vllm', api, rootCause);
}

/** Checks vLLM makes while building its config, before any worker starts; the first that fails is the root cause. */
function configRefusal(v: Record<string, unknown>, model: ModelSpec, host: SimHost, env: Readonly<Record<string, string | undefined>>, version: string): string | undefined {
  const tp = (v['tensor_parallel_size'] as number | undefined) ?? 1;
  const pp = (v['pipeline_parallel_size'] as number | undefined) ?? 1;
  const dp = (v['data_parallel_size'] as number | undefined) ?? 1;
  const quantization = v['quantization'] as string | undefined;
  const backend = (v['attention_backend'] as string | undefined) ?? env['VLLM_ATTENTION_BACKEND'];
  if (quantization !== undefined && !QUANTIZATION_METHODS.includes(quantization)) {
    return `ValueError: Unknown quantization method: ${quantization}. Must be one of [${QUANTIZATION_METHODS.map((q) => `'${q}'`).join(', ')}].`;
  }
  // A known method the checkpoint was not quantized with (the simulated catalog has BF16 and FP8 checkpoints).
  if (quantization !== undefined && quantization !== 'fp8') return `ValueError: Cannot find the config file for ${quantization}`;
  if (backend !== undefined && !(VLLM_ATTENTION_BACKENDS as readonly string[]).includes(backend)) {
    return `ValueError: Invalid attention backend: '${backend}'. Valid backends are: [${VLLM_ATTENTION_BACKENDS.map((b) => `'${b}'`).join(', ')}]`;
  }
  if (model.heads % tp !== 0) return `ValueError: Total number of attention heads (${model.heads}) must be divisible by tensor parallel size (${tp}).`;
  if (tp * pp * dp > host.count) {
    return `ValueError: World size (${tp * pp * dp}) is larger than the number of available GPUs (${host.count}) in this node. If this is intentional and you are using: - ray, set '--distributed-executor-backend ray'. - multiprocessing, set '--nnodes' appropriately.`;
  }
  if (backend !== undefined && !SUPPORTED_HERE.has(backend)) {
    return `ValueError: Selected backend AttentionBackendEnum.${backend} is not valid for this configuration. Reason: ['compute capability not supported', 'head_size not supported']`;
  }
  const maxModelLen = (v['max_model_len'] as number | undefined) ?? model.maxPositionEmbeddings;
  const budget = v['max_num_batched_tokens'] as number | undefined;
  if (v['enable_chunked_prefill'] === false && budget !== undefined && budget < maxModelLen) {
    return `ValueError: max_num_batched_tokens (${budget}) is smaller than max_model_len (${maxModelLen}). This effectively limits the maximum sequence length to max_num_batched_tokens and makes vLLM reject longer sequences. Please increase max_num_batched_tokens or decrease max_model_len.`;
  }
  if (v['kv_cache_dtype'] === 'fp8_ds_mla' && !atLeast(version, '0.11.0')) return "ValueError: Unknown kv cache dtype 'fp8_ds_mla'";
  return undefined;
}

function vllmConfig(
  v: Record<string, unknown>,
  modelArg: string,
  model: ModelSpec,
  host: SimHost,
  env: Readonly<Record<string, string | undefined>>,
  version: string,
  notModelled: string[],
  speculative: SpeculativeSettings | undefined,
): SimEngineConfig {
  const tp = (v['tensor_parallel_size'] as number | undefined) ?? 1;
  const pp = (v['pipeline_parallel_size'] as number | undefined) ?? 1;
  const dp = (v['data_parallel_size'] as number | undefined) ?? 1;
  const defaults = vllmBatchDefaults(host.gpu);
  const maxModelLen = (v['max_model_len'] as number | undefined) ?? model.maxPositionEmbeddings;
  const chunkedPrefill = v['enable_chunked_prefill'] !== false;
  const maxNumSeqs = (v['max_num_seqs'] as number | undefined) ?? defaults.maxNumSeqs;
  const kvCacheDtype = (v['kv_cache_dtype'] as string | undefined) ?? 'auto';
  return {
    ...servingFields('vllm', version, host, { arg: modelArg, spec: model }, v, { host: '0.0.0.0', port: 8000 }),
    tp,
    pp,
    dp,
    expertParallel: v['enable_expert_parallel'] === true,
    fp8: model.weightDtype === 'fp8' || v['quantization'] === 'fp8',
    kvDtypeBytes: kvCacheDtype.startsWith('fp8') ? 1 : 2,
    attentionBackend: (v['attention_backend'] as string | undefined) ?? env['VLLM_ATTENTION_BACKEND'] ?? 'FLASH_ATTN',
    maxRunning: maxNumSeqs,
    tokenBudget: (v['max_num_batched_tokens'] as number | undefined) ?? (chunkedPrefill ? defaults.maxNumBatchedTokens : unchunkedTokenBudget(maxModelLen)),
    maxModelLen,
    memoryFraction: (v['gpu_memory_utilization'] as number | undefined) ?? 0.9,
    cudaGraphMaxBatch: vllmCudaGraphMax(v, maxNumSeqs),
    chunkedPrefill,
    mixedChunk: true,
    prefixCaching: v['enable_prefix_caching'] !== false,
    blockSize: Number(v['block_size'] ?? 16),
    schedulePolicy: (v['scheduling_policy'] as 'fcfs' | 'priority' | undefined) ?? 'fcfs',
    speculative,
    notModelled,
    reasoningParser: v['reasoning_parser'] as string | undefined,
    toolCallParser: v['tool_call_parser'] as string | undefined,
    enableMetrics: true,
    showHiddenMetrics: v['show_hidden_metrics_for_version'] === '0.10',
    iterPerfStats: false,
    nonDefaultArgs: { model_tag: modelArg, ...v, ...('model' in v ? {} : { model: modelArg }) },
    gpuIndices: gpuIndices(tp * pp * dp, env),
  };
}

export function vllmPlan(argv: readonly string[], host: SimHost, options: PlanOptions): LaunchPlan {
  const env = options.env ?? {};
  const version = engineVersion('vllm', env);
  const api = new EventList((now, text, tag) => vllmLine(`APIServer pid=${process.pid}`, now, tag, text));
  let parsed;
  try {
    parsed = parseEngineArgs(argv, optionsFor(VLLM_SERVE_OPTIONS, version), { underscoresAsDashes: true, allowPositional: 1 });
  } catch (err) {
    if (!(err instanceof EngineArgError)) throw err;
    const message = `vllm serve: error: ${err.message}`;
    api.raw(VLLM_USAGE).raw(message);
    return failedPlan('vllm', api, message, 2);
  }
  const v = parsed.values;
  const modelArg = parsed.positionals[0] ?? (v['model'] as string | undefined) ?? 'Qwen/Qwen3-0.6B';
  api.log(`[api_server.py:1839] vLLM API server version ${version}`);
  api.log(`[utils.py:233] non-default args: ${pythonRepr({ model_tag: modelArg, ...v, ...('model' in v ? {} : { model: modelArg }) })}`);
  api.log(`[sim] ${simulatedNotice(host)}`, 'WARNING');
  const model = findModel(modelArg, modelLookup(host, env));
  if (!model) {
    api.log(`[sim] ${notInCatalog(modelArg, env)}`, 'WARNING');
    return refuse(api, `ValueError: Invalid repository ID or local directory specified: '${modelArg}'.`, [
      'Please verify the following requirements:',
      '1. Provide a valid Hugging Face repository ID.',
      '2. Specify a local directory that contains a recognized configuration file.',
      "   - For Hugging Face models: ensure the presence of a 'config.json'.",
      "   - For Mistral models: ensure the presence of a 'params.json'.",
    ]);
  }
  api.log(`[model.py:547] Resolved architecture: ${model.architecture}`);
  api.log(`[model.py:1510] Using max model len ${(v['max_model_len'] as number | undefined) ?? model.maxPositionEmbeddings}`);
  const refusal = configRefusal(v, model, host, env, version);
  if (refusal) return refuse(api, refusal);
  let speculative: SpeculativeSettings | undefined;
  try {
    speculative = vllmSpeculative(v['speculative_config'] as Record<string, unknown> | undefined, model, version, env, (line) => api.log(`[speculative.py:212] ${line}`, 'WARNING'));
  } catch (err) {
    if (err instanceof SpeculativeSettingsError) return refuse(api, err.rootCause, err.explanation);
    throw err;
  }
  const config = vllmConfig(v, modelArg, model, host, env, version, parsed.notModelled, speculative);
  return vllmStartup(api, config, memoryPlan(config), { fp8OnAmpere: config.fp8 && !supportsFp8(host.gpu) });
}
