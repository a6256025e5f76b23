// `trtllm-serve MODEL …` on the simulated host: click options, the extra LLM API options YAML, the release's
// architecture list and refusals, then the PyTorch backend's startup log (research/engines.md §1.3).
import { parse as parseYaml } from 'yaml';
import { EngineArgError, optionsFor, parseEngineArgs } from '../../argparse';
import { memoryPlan, type SimEngineConfig } from '../../config';
import { supportsFp8 } from '../../gpus';
import { findModel, type ModelSpec } from '../../models';
import { EventList, failedPlan, gpuIndices, loadSeconds, modelLookup, notInCatalog, pad, simulatedNotice, servingFields, type LaunchPlan, type PlanOptions, type SimHost } from '../launch';
import { SpeculativeSettingsError, speculativeSettings, type SpeculativeSettings } from '../speculative';
import { trtllmSupports } from '../support';
import { engineVersion } from '../versions';
import { TRTLLM_OPTIONS, TRTLLM_USAGE } from './args';

/** cuda_graph_config is on unless set to null; its max_batch_size 0 means the default list up to 128. */
const TRTLLM_CUDA_GRAPH_MAX_BS = 128;

/** click's usage error: usage, hint, blank line, message; exit 2. */
function usageError(log: EventList, message: string): LaunchPlan {
  log.raw(TRTLLM_USAGE).raw("Try 'trtllm-serve serve --help' for help.").raw('').raw(message);
  return failedPlan('trtllm', log, message, 2);
}

function refuse(log: EventList, where: string[], rootCause: string): LaunchPlan {
  log.raw('Traceback (most recent call last):');
  for (const w of where) log.raw(w);
  log.raw(rootCause);
  return failedPlan('trtllm', log, rootCause);
}

type ExtraOptions = Record<string, unknown>;

function readExtraOptions(path: string | undefined, readFile: (path: string) => string | undefined): ExtraOptions | string {
  if (path === undefined) return {};
  const text = readFile(path);
  if (text === undefined) return `Error: Invalid value for '--extra_llm_api_options': Path '${path}' does not exist.`;
  try {
    const doc = parseYaml(text) as unknown;
    return doc && typeof doc === 'object' ? (doc as ExtraOptions) : {};
  } catch (err) {
    return `Error: Invalid value for '--extra_llm_api_options': ${(err as Error).message.split('\n')[0]}`;
  }
}

function refusal(model: ModelSpec, tp: number, pp: number, host: SimHost, version: string): { where: string[]; line: string } | undefined {
  if (!trtllmSupports(version, model.architecture)) {
    return { where: ['  File "/usr/local/lib/python3.12/dist-packages/tensorrt_llm/_torch/models/modeling_auto.py", line 27, in from_config'], line: `ValueError: Unknown architecture for AutoModelForCausalLM: ${model.architecture}` };
  }
  if (tp * pp > host.count) return { where: [], line: `RuntimeError: Only ${host.count} GPUs are available, but the requested world size is ${tp * pp}.` };
  if (model.weightDtype === 'fp8' && !supportsFp8(host.gpu)) {
    return { where: ['  File "/usr/local/lib/python3.12/dist-packages/tensorrt_llm/_torch/modules/linear.py", line 640, in apply'], line: 'RuntimeError: Unsupported SM version for FP8 block scaling GEMM' };
  }
  return undefined;
}

/** The LLM API's speculative_config: an EAGLE-3 head (Eagle/Eagle3), DeepSeek's MTP, n-gram lookup or a draft model. */
function speculative(extra: ExtraOptions, env: Readonly<Record<string, string | undefined>>): SpeculativeSettings | undefined {
  const spec = extra['speculative_config'] as Record<string, unknown> | undefined;
  const type = spec?.['decoding_type'];
  if (!spec || typeof type !== 'string') return undefined;
  const k = Number((type === 'MTP' ? spec['num_nextn_predict_layers'] : spec['max_draft_len']) ?? 1);
  const draft = type === 'DraftTarget' ? ((spec['speculative_model_dir'] ?? spec['speculative_model']) as string | undefined) : undefined;
  return speculativeSettings(type, Number.isInteger(k) && k > 0 ? k : 1, draft, env);
}

function trtllmConfig(v: Record<string, unknown>, extra: ExtraOptions, modelArg: string, model: ModelSpec, host: SimHost, env: Readonly<Record<string, string | undefined>>, version: string, notModelled: string[]): SimEngineConfig {
  const tp = (v['tp_size'] as number | undefined) ?? 1;
  const pp = (v['pp_size'] as number | undefined) ?? 1;
  const graphs = extra['cuda_graph_config'] as Record<string, unknown> | null | undefined;
  const graphSizes = graphs?.['batch_sizes'] as number[] | undefined;
  const kvConfig = (extra['kv_cache_config'] ?? {}) as Record<string, unknown>;
  return {
    ...servingFields('trtllm', version, host, { arg: modelArg, spec: model }, v, { host: 'localhost', port: 8000 }),
    tp,
    pp,
    dp: 1,
    expertParallel: ((v['ep_size'] as number | undefined) ?? 1) > 1,
    fp8: model.weightDtype === 'fp8',
    kvDtypeBytes: String(kvConfig['dtype'] ?? 'auto').startsWith('fp8') ? 1 : 2,
    attentionBackend: 'TRTLLM',
    maxRunning: (v['max_batch_size'] as number | undefined) ?? 2048,
    tokenBudget: (v['max_num_tokens'] as number | undefined) ?? 8192,
    maxModelLen: (v['max_seq_len'] as number | undefined) ?? model.maxPositionEmbeddings,
    memoryFraction: (v['kv_cache_free_gpu_memory_fraction'] as number | undefined) ?? Number(kvConfig['free_gpu_memory_fraction'] ?? 0.9),
    cudaGraphMaxBatch: graphs === null ? 0 : graphSizes?.length ? Math.max(...graphSizes) : Number(graphs?.['max_batch_size'] || TRTLLM_CUDA_GRAPH_MAX_BS),
    chunkedPrefill: v['enable_chunked_prefill'] === true || extra['enable_chunked_prefill'] === true,
    mixedChunk: true,
    prefixCaching: kvConfig['enable_block_reuse'] !== false,
    blockSize: Number(kvConfig['tokens_per_block'] ?? 32),
    schedulePolicy: 'fcfs',
    speculative: speculative(extra, env),
    notModelled,
    reasoningParser: v['reasoning_parser'] as string | undefined,
    toolCallParser: v['tool_parser'] as string | undefined,
    enableMetrics: extra['return_perf_metrics'] === true,
    showHiddenMetrics: false,
    iterPerfStats: extra['enable_iter_perf_stats'] === true,
    nonDefaultArgs: v,
    gpuIndices: gpuIndices(tp * pp, env),
  };
}

export function trtllmPlan(argv: readonly string[], host: SimHost, options: PlanOptions): LaunchPlan {
  const env = options.env ?? {};
  const version = engineVersion('trtllm', env);
  const log = new EventList((now, text, tag) => `[${pad(now.getMonth() + 1)}/${pad(now.getDate())}/${now.getFullYear()}-${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}] [TRT-LLM] [${tag || 'I'}] ${text}`);
  let parsed;
  try {
    parsed = parseEngineArgs(argv, optionsFor(TRTLLM_OPTIONS, version), { underscoresAsDashes: false, allowPositional: 1 });
  } catch (err) {
    if (!(err instanceof EngineArgError)) throw err;
    const unknown = /^unrecognized arguments: (\S+)/.exec(err.message);
    return usageError(log, unknown ? `Error: No such option: ${unknown[1]}` : `Error: Invalid value: ${err.message}`);
  }
  const v = parsed.values;
  const modelArg = parsed.positionals[0];
  if (modelArg === undefined) return usageError(log, "Error: Missing argument 'MODEL'.");
  const bindFailure = [`RuntimeError: Failed to bind socket to ${(v['host'] as string | undefined) ?? 'localhost'}:${(v['port'] as number | undefined) ?? 8000}: [Errno 98] Address already in use`];
  log.mark('bind');
  log.raw(`[TensorRT-LLM] TensorRT-LLM version: ${version}`, 'stdout');
  log.log(`[sim] ${simulatedNotice(host)}`, 'W');
  const model = findModel(modelArg, modelLookup(host, env));
  if (!model) {
    log.log(`[sim] ${notInCatalog(modelArg, env)}`, 'W');
    return { ...refuse(log, ['  File "/usr/local/bin/trtllm-serve", line 8, in <module>'], `OSError: ${modelArg} is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'`), bindFailure };
  }
  const denied = refusal(model, (v['tp_size'] as number | undefined) ?? 1, (v['pp_size'] as number | undefined) ?? 1, host, version);
  if (denied) return { ...refuse(log.wait(4), denied.where, denied.line), bindFailure };
  const extra = readExtraOptions(v['extra_llm_api_options'] as string | undefined, options.readFile ?? (() => undefined));
  if (typeof extra === 'string') return usageError(log, extra);
  let config: SimEngineConfig;
  try {
    config = trtllmConfig(v, extra, modelArg, model, host, env, version, parsed.notModelled);
  } catch (err) {
    if (err instanceof SpeculativeSettingsError) return { ...refuse(log, err.explanation, err.rootCause), bindFailure };
    throw err;
  }
  const memory = memoryPlan(config);
  const load = loadSeconds(memory);
  log.wait(load).log(`Loaded ${model.architecture} weights in ${load.toFixed(2)} s`);
  log.wait(2).log(`[MemUsageChange] Allocated ${memory.kvGiBPerGpu.toFixed(2)} GiB for max tokens in paged KV cache (${memory.kvCapacityTokens}).`);
  log.wait(1).raw(`INFO:     Started server process [${process.pid}]`);
  log.raw('INFO:     Waiting for application startup.');
  log.mark('serve').mark('ready');
  log.raw('INFO:     Application startup complete.');
  log.raw(`INFO:     Uvicorn running on http://${config.host}:${config.port} (Press CTRL+C to quit)`);
  return { engine: 'trtllm', config, memory, events: log.events, bindFailure };
}
