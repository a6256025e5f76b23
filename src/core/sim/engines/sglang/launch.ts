// `python3 -m sglang.launch_server …` on the simulated host: server_args resolved against the GPU, the launcher's
// refusals, then the scheduler's startup log (research/engines.md §1.2, §4).
import { EngineArgError, optionsFor, parseEngineArgs } from '../../argparse';
import { memoryPlan, type SimEngineConfig } from '../../config';
import type { GpuSpec } from '../../gpus';
import { findModel, type ModelSpec } from '../../models';
import type { SchedulePolicy } from '../../scheduler';
import { EventList, failedPlan, gpuIndices, modelLookup, notInCatalog, pythonRepr, simulatedNotice, servingFields, type LaunchPlan, type PlanOptions, type SimHost } from '../launch';
import { SpeculativeSettingsError, speculativeSettings } from '../speculative';
import { pipelineParallelSupported } from '../support';
import { engineVersion } from '../versions';
import { SGLANG_OPTIONS, SGLANG_USAGE } from './args';
import {
  SGLANG_MAX_PREFILL_TOKENS,
  SGLANG_NGRAM_MAX_WINDOW,
  SGLANG_OWN_DRAFT_ARCHITECTURES,
  SGLANG_SPEC_MAX_RUNNING,
  sglangAutoSpeculativeParams,
  sglangMemFractionStatic,
  sglangMemoryDefaults,
} from './defaults';
import { schedulerCrash, sglangStamp, sglangStartup } from './startup';

const COMPATIBILITY = '  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 1120, in _handle_attention_backend_compatibility';

/** The launcher's traceback: where it was raised, then the root-cause line. */
function refuse(log: EventList, where: string[], rootCause: string): LaunchPlan {
  log.raw('Traceback (most recent call last):').raw('  File "<frozen runpy>", line 198, in _run_module_as_main').raw('  File "/sgl-workspace/sglang/python/sglang/launch_server.py", line 24, in <module>');
  for (const w of where) log.raw(w);
  log.raw(rootCause);
  return failedPlan('sglang', log, rootCause);
}

function attentionRefusal(backend: string, model: ModelSpec, gpu: GpuSpec): string | undefined {
  const sm = gpu.computeCapability[0];
  if (backend === 'fa4') return 'AssertionError: FA4 backend is only supported for prefill. Please use --prefill-attention-backend fa4 instead.';
  if (['flashmla', 'cutlass_mla', 'trtllm_mla', 'nsa'].includes(backend)) {
    return `ValueError: ${backend} attention backend requires an MLA model (DeepSeek-style); ${model.architecture} uses grouped-query attention. Please use --attention-backend flashinfer.`;
  }
  if (backend === 'trtllm_mha' && sm < 10) return 'ValueError: TRTLLM MHA backend is only supported on Blackwell GPUs (SM100). Please use a different backend.';
  if (backend === 'fa3' && (sm < 8 || sm > 9)) return 'AssertionError: FlashAttention v3 Backend requires SM>=80 and SM<=90. Please use `--attention-backend flashinfer`.';
  if (['aiter', 'wave', 'intel_amx', 'ascend', 'intel_xpu', 'dual_chunk_flash_attn'].includes(backend)) return `ValueError: Attention backend ${backend} is not supported on CUDA device ${gpu.smiName}.`;
  return undefined;
}

/**
 * `_handle_speculative_decoding`: NEXTN runs as EAGLE; the draft path defaults to the model's own for checkpoints with
 * MTP layers; without a path (or with the model's own on a checkpoint that has no MTP layers) the target itself is
 * loaded again as the draft. Steps, top-k and draft tokens are auto-chosen by architecture; with top-k 1 the tree is
 * one chain of steps + 1 tokens. NGRAM verifies num_draft_tokens looked-up tokens (default: the lookup window).
 */
function speculative(v: Record<string, unknown>, modelArg: string, model: ModelSpec, env: Readonly<Record<string, string | undefined>>) {
  const algorithm = v['speculative_algorithm'] as string | undefined;
  if (algorithm === undefined) return undefined;
  if (algorithm === 'NGRAM') {
    const verify = (v['speculative_num_draft_tokens'] as number | undefined) ?? (v['speculative_ngram_max_match_window_size'] as number | undefined) ?? SGLANG_NGRAM_MAX_WINDOW;
    return speculativeSettings(algorithm, verify - 1, undefined, env, verify);
  }
  const [autoSteps, autoTopk, autoTokens] = sglangAutoSpeculativeParams(model.architecture);
  const steps = (v['speculative_num_steps'] as number | undefined) ?? autoSteps;
  const topk = (v['speculative_eagle_topk'] as number | undefined) ?? autoTopk;
  const verify = topk === 1 ? steps + 1 : ((v['speculative_num_draft_tokens'] as number | undefined) ?? autoTokens);
  const path = (v['speculative_draft_model_path'] as string | undefined) ?? (SGLANG_OWN_DRAFT_ARCHITECTURES.includes(model.architecture) ? modelArg : undefined);
  if (algorithm === 'STANDALONE') return speculativeSettings(algorithm, steps, path ?? modelArg, env, verify);
  const ownLayers = path === modelArg && model.mtpLayers > 0;
  // An EAGLE head from its own repository drafts as one layer; the target loaded as its own draft drafts as itself.
  const draft = ownLayers || (path !== undefined && path !== modelArg) ? undefined : model;
  return speculativeSettings(ownLayers && algorithm === 'EAGLE' ? 'NEXTN' : algorithm, steps, draft, env, verify);
}

function sglangConfig(v: Record<string, unknown>, modelArg: string, model: ModelSpec, host: SimHost, env: Readonly<Record<string, string | undefined>>, version: string, notModelled: string[]): SimEngineConfig {
  const tp = (v['tp_size'] as number | undefined) ?? 1;
  const pp = (v['pp_size'] as number | undefined) ?? 1;
  // With DP attention the dp ranks share the TP group's GPUs (one engine); without it each is a full replica.
  const dp = v['enable_dp_attention'] === true ? 1 : ((v['dp_size'] as number | undefined) ?? 1);
  const memDefaults = sglangMemoryDefaults(host.gpu, tp);
  const chunkedPrefillSize = (v['chunked_prefill_size'] as number | undefined) ?? memDefaults.chunkedPrefillSize;
  const graphBs = v['cuda_graph_bs'] as string[] | undefined;
  const cudaGraphMaxBs = (v['cuda_graph_max_bs'] as number | undefined) ?? (graphBs ? Math.max(...graphBs.map(Number)) : memDefaults.cudaGraphMaxBs);
  const spec = speculative(v, modelArg, model, env);
  const quantization = v['quantization'] as string | undefined;
  return {
    ...servingFields('sglang', version, host, { arg: modelArg, spec: model }, v, { host: '127.0.0.1', port: 30000 }),
    tp,
    pp,
    dp,
    expertParallel: ((v['ep_size'] as number | undefined) ?? 1) > 1,
    fp8: model.weightDtype === 'fp8' || (quantization !== undefined && quantization.includes('fp8')),
    kvDtypeBytes: ((v['kv_cache_dtype'] as string | undefined) ?? 'auto').startsWith('fp8') ? 1 : 2,
    attentionBackend: (v['attention_backend'] as string | undefined) ?? (v['decode_attention_backend'] as string | undefined) ?? 'flashinfer',
    maxRunning: 0,
    // SGLang reads 0 and -1 alike: chunking off.
    tokenBudget: chunkedPrefillSize,
    maxModelLen: (v['context_length'] as number | undefined) ?? model.maxPositionEmbeddings,
    memoryFraction: (v['mem_fraction_static'] as number | undefined) ?? sglangMemFractionStatic(host.gpu, tp, pp, chunkedPrefillSize, cudaGraphMaxBs, spec !== undefined),
    maxTotalTokens: v['max_total_tokens'] as number | undefined,
    cudaGraphMaxBatch: v['disable_cuda_graph'] === true ? 0 : cudaGraphMaxBs,
    chunkedPrefill: chunkedPrefillSize > 0,
    maxPrefillTokens: (v['max_prefill_tokens'] as number | undefined) ?? SGLANG_MAX_PREFILL_TOKENS,
    // Speculative decoding turns mixed chunked prefill off.
    mixedChunk: v['enable_mixed_chunk'] === true && spec === undefined,
    prefixCaching: v['disable_radix_cache'] !== true,
    blockSize: (v['page_size'] as number | undefined) ?? 1,
    schedulePolicy: (v['schedule_policy'] as SchedulePolicy | undefined) ?? 'fcfs',
    ...(spec ? { speculative: spec } : {}),
    notModelled,
    reasoningParser: v['reasoning_parser'] as string | undefined,
    toolCallParser: v['tool_call_parser'] as string | undefined,
    enableMetrics: v['enable_metrics'] === true,
    showHiddenMetrics: false,
    iterPerfStats: false,
    nonDefaultArgs: v,
    gpuIndices: gpuIndices(tp * pp * dp, env),
  };
}

/** The `server_args=ServerArgs(…)` dump: the fields a user checks the defaults by. */
function serverArgsLine(config: SimEngineConfig, v: Record<string, unknown>): string {
  const fields: Record<string, unknown> = {
    model_path: config.modelArg,
    tokenizer_path: config.modelArg,
    host: config.host,
    port: config.port,
    served_model_name: config.servedModelName,
    tp_size: config.tp,
    pp_size: config.pp,
    dp_size: config.dp,
    ep_size: (v['ep_size'] as number | undefined) ?? 1,
    quantization: (v['quantization'] as string | undefined) ?? null,
    mem_fraction_static: config.memoryFraction,
    max_running_requests: (v['max_running_requests'] as number | undefined) ?? (config.speculative ? SGLANG_SPEC_MAX_RUNNING : null),
    chunked_prefill_size: config.tokenBudget,
    max_prefill_tokens: config.maxPrefillTokens,
    schedule_policy: config.schedulePolicy,
    attention_backend: config.attentionBackend,
    cuda_graph_max_bs: v['cuda_graph_max_bs'] ?? (config.cudaGraphMaxBatch || null),
    disable_cuda_graph: config.cudaGraphMaxBatch === 0,
    disable_radix_cache: !config.prefixCaching,
    enable_mixed_chunk: config.mixedChunk,
    speculative_algorithm: config.speculative ? (config.speculative.method === 'NEXTN' ? 'EAGLE' : config.speculative.method) : null,
    tool_call_parser: config.toolCallParser === 'glm45' ? 'glm' : (config.toolCallParser ?? null),
    reasoning_parser: config.reasoningParser ?? null,
    enable_metrics: config.enableMetrics,
  };
  return `server_args=ServerArgs(${Object.entries(fields).map(([k, val]) => `${k}=${pythonRepr(val)}`).join(', ')})`;
}

export function sglangPlan(argv: readonly string[], host: SimHost, options: PlanOptions): LaunchPlan {
  const env = options.env ?? {};
  const version = engineVersion('sglang', env);
  const log = new EventList((now, text, tag) => `[${sglangStamp(now)}${tag ? ` ${tag}` : ''}] ${text}`);
  let parsed;
  try {
    parsed = parseEngineArgs(argv, optionsFor(SGLANG_OPTIONS, version), { underscoresAsDashes: false, allowPositional: 0 });
  } catch (err) {
    if (!(err instanceof EngineArgError)) throw err;
    log.raw(SGLANG_USAGE).raw(`launch_server.py: error: ${err.message}`);
    return failedPlan('sglang', log, `launch_server.py: error: ${err.message}`, 2);
  }
  const v = parsed.values;
  const modelArg = v['model_path'] as string | undefined;
  if (modelArg === undefined) {
    const message = 'launch_server.py: error: the following arguments are required: --model-path/--model';
    log.raw(SGLANG_USAGE).raw(message);
    return failedPlan('sglang', log, message, 2);
  }
  const model = findModel(modelArg, modelLookup(host, env));
  if (!model) {
    log.log(`[sim] ${notInCatalog(modelArg, env)}`, '', 'stderr');
    return refuse(
      log,
      ['  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 3150, in prepare_server_args', '  File "/sgl-workspace/sglang/python/sglang/srt/utils/hf_transformers_utils.py", line 190, in get_config'],
      `OSError: ${modelArg} is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'`,
    );
  }
  let config: SimEngineConfig;
  try {
    config = sglangConfig(v, modelArg, model, host, env, version, parsed.notModelled);
  } catch (err) {
    if (err instanceof SpeculativeSettingsError) return refuse(log, err.explanation, err.rootCause);
    throw err;
  }
  if (config.toolCallParser === 'glm45') log.log("The tool_call_parser 'glm45' is deprecated. Please use 'glm' instead.", '', 'stderr');
  log.log(serverArgsLine(config, v), '', 'stderr');
  log.log(`[sim] ${simulatedNotice(host)}`, '', 'stderr');
  const backendRefusal = attentionRefusal(config.attentionBackend, model, host.gpu);
  if (backendRefusal) return refuse(log, [COMPATIBILITY], backendRefusal);
  // Every rank binds its GPU first: ranks past the host's last GPU fail before any model code runs.
  if (config.tp * config.pp * config.dp > host.count) {
    log.wait(3);
    const line = schedulerCrash(log, `TP${host.count}`, ['RuntimeError: CUDA error: invalid device ordinal'], 'CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.');
    return failedPlan('sglang', log, line);
  }
  if (config.pp > 1 && !pipelineParallelSupported('sglang', model.architecture)) {
    log.wait(4);
    const line = schedulerCrash(log, 'TP0', [
      '  File "/sgl-workspace/sglang/python/sglang/srt/model_executor/model_runner.py", line 298, in __init__',
      '    assert self.support_pp, "Pipeline Parallel is not compatible with this model."',
      'AssertionError: Pipeline Parallel is not compatible with this model.',
    ]);
    return failedPlan('sglang', log, line);
  }
  const heldMiB = Math.max(0, ...(options.memoryHeldMiB?.(config.gpuIndices) ?? []));
  if (heldMiB > 0) config.heldGiBPerGpu = heldMiB / 1024;
  const memory = memoryPlan(config);
  const maxRunning = v['max_running_requests'] as number | undefined;
  config.maxRunning = maxRunning ?? (config.speculative ? SGLANG_SPEC_MAX_RUNNING : Math.min(Math.floor(memory.kvCapacityTokens / 2), 2048));
  return sglangStartup(log, config, memory);
}
