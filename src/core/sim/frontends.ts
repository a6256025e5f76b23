// The engines' front ends: each real command line (`vllm serve …`, `python3 -m sglang.launch_server …`,
// `trtllm-serve …`) becomes a launch plan — the engine config plus the timed log lines the real engine prints on
// its way to ready, or to the crash a real GPU host would give (research/engines.md §1, §4).
import { opt, parseEngineArgs, type OptionSpec } from './argparse';
import {
  ENGINE_VERSIONS,
  memoryPlan,
  sglangMemFractionStatic,
  sglangMemoryDefaults,
  vllmBatchDefaults,
  type MemoryPlan,
  type SimEngineConfig,
  type SimEngineKind,
} from './config';
import { supportsFp8, type GpuSpec } from './hardware';
import { findModel, MODELS } from './models';

export interface SimHost {
  gpu: GpuSpec;
  count: number;
  speedup: number;
}

export type LaunchEvent =
  /** `text` as formatted when planned; `render` re-formats it with the time it is actually printed. */
  | { at: number; kind: 'log'; stream: 'stdout' | 'stderr'; text: string; render?: (now: Date) => string }
  /** Bind the HTTP port now; a failure prints `bindFailure` and exits 1. */
  | { at: number; kind: 'bind' }
  /** The HTTP server answers from here on (SGLang still reports 503 on /health until `ready`). */
  | { at: number; kind: 'serve' }
  | { at: number; kind: 'ready' }
  | { at: number; kind: 'exit'; code: number };

export interface LaunchPlan {
  engine: SimEngineKind;
  /** Absent when the command line itself is rejected. */
  config?: SimEngineConfig;
  memory?: MemoryPlan;
  events: LaunchEvent[];
  /** Lines printed when the port cannot be bound. */
  bindFailure: string[];
  /** The crash the plan ends in, if any: the root-cause line. */
  crash?: { rootCause: string; exitCode: number };
}

// ---------------------------------------------------------------- log formatting

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const vllmStamp = (d: Date) => `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
const sglangStamp = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

class EventList {
  readonly events: LaunchEvent[] = [];
  t = 0;
  constructor(private readonly format: (now: Date, text: string, tag: string) => string) {}
  wait(seconds: number): this {
    this.t += seconds;
    return this;
  }
  log(text: string, tag = '', stream: 'stdout' | 'stderr' = 'stdout'): this {
    const render = (now: Date) => this.format(now, text, tag);
    this.events.push({ at: this.t, kind: 'log', stream, text: render(new Date()), render });
    return this;
  }
  raw(text: string, stream: 'stdout' | 'stderr' = 'stderr'): this {
    this.events.push({ at: this.t, kind: 'log', stream, text });
    return this;
  }
  mark(kind: 'bind' | 'serve' | 'ready'): this {
    this.events.push({ at: this.t, kind });
    return this;
  }
  exit(code: number): this {
    this.events.push({ at: this.t, kind: 'exit', code });
    return this;
  }
}

const simulatedNotice = (host: SimHost) =>
  `SIMULATED ENGINE on a simulated ${host.count}x ${host.gpu.id} host (serving-lab sim), real-time speedup ${host.speedup}x: timings are modelled, not measured.`;

function pythonRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `'${k}': ${pythonRepr(v)}`).join(', ')}}`;
  return String(value);
}

const notInCatalog = (model: string) =>
  `the simulated host has no model "${model}"; it simulates ${MODELS.map((m) => m.id).join(', ')} (or a local directory named like one of them)`;

/** Seconds to read the weights (page cache / NVMe at ~2 GB/s per GPU) and to warm up; scales with model size. */
const loadSeconds = (memory: MemoryPlan) => memory.weightsGiBPerGpu / 1.9;

// ---------------------------------------------------------------- vLLM 0.11

const VLLM_ATTENTION_BACKENDS = ['FLASH_ATTN', 'TRITON_ATTN', 'XFORMERS', 'ROCM_FLASH', 'ROCM_AITER_MLA', 'ROCM_AITER_FA', 'TORCH_SDPA', 'FLASHINFER', 'FLASHINFER_MLA', 'TRITON_MLA', 'CUTLASS_MLA', 'FLASHMLA', 'FLASH_ATTN_MLA', 'PALLAS', 'IPEX', 'NO_ATTENTION', 'FLEX_ATTENTION', 'TREE_ATTN', 'XFORMERS_VLLM_V1'] as const;
const VLLM_SUPPORTED_HERE = new Set(['FLASH_ATTN', 'FLASHINFER', 'TRITON_ATTN', 'FLEX_ATTENTION', 'XFORMERS']);

const VLLM_SERVE_OPTIONS: OptionSpec[] = [
  opt('--model', 'str'),
  opt('--host', 'str'),
  opt('--port', 'int'),
  opt('--served-model-name', 'list'),
  opt(['--tensor-parallel-size', '-tp'], 'int'),
  opt(['--pipeline-parallel-size', '-pp'], 'int'),
  opt(['--data-parallel-size', '-dp'], 'int'),
  opt('--data-parallel-size-local', 'int'),
  opt(['--enable-expert-parallel', '-ep'], 'flag', { negatable: true }),
  opt(['--quantization', '-q'], 'str'),
  opt('--kv-cache-dtype', 'str', { choices: ['auto', 'fp8', 'fp8_e4m3', 'fp8_e5m2', 'fp8_inc'] }),
  opt('--dtype', 'str', { choices: ['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'] }),
  opt('--max-model-len', 'int'),
  opt('--gpu-memory-utilization', 'float'),
  opt('--max-num-seqs', 'int'),
  opt('--max-num-batched-tokens', 'int'),
  opt('--enable-chunked-prefill', 'flag', { negatable: true }),
  opt('--enable-prefix-caching', 'flag', { negatable: true }),
  opt('--enforce-eager', 'flag', { negatable: true }),
  opt(['--compilation-config', '-O'], 'json'),
  opt('--cuda-graph-sizes', 'list'),
  opt('--async-scheduling', 'flag', { negatable: true }),
  opt('--scheduling-policy', 'str', { choices: ['fcfs', 'priority'] }),
  opt('--tool-call-parser', 'str'),
  opt('--enable-auto-tool-choice', 'flag'),
  opt('--reasoning-parser', 'str'),
  opt('--show-hidden-metrics-for-version', 'str'),
  opt('--disable-log-stats', 'flag'),
  opt('--disable-log-requests', 'flag'),
  opt('--enable-log-requests', 'flag', { negatable: true }),
  opt('--trust-remote-code', 'flag', { negatable: true }),
  opt('--seed', 'int'),
  opt('--block-size', 'int', { choices: ['1', '8', '16', '32', '64', '128'] }),
  opt('--swap-space', 'float'),
  opt('--cpu-offload-gb', 'float'),
  opt('--download-dir', 'str'),
  opt('--load-format', 'str'),
  opt('--revision', 'str'),
  opt('--tokenizer', 'str'),
  opt('--tokenizer-mode', 'str'),
  opt('--chat-template', 'str'),
  opt('--api-key', 'str'),
  opt('--uvicorn-log-level', 'str', { choices: ['debug', 'info', 'warning', 'error', 'critical', 'trace'] }),
  opt('--max-logprobs', 'int'),
  opt('--distributed-executor-backend', 'str', { choices: ['ray', 'mp', 'uni', 'external_launcher'] }),
  opt('--disable-custom-all-reduce', 'flag'),
  opt('--generation-config', 'str'),
  opt('--override-generation-config', 'json'),
  opt('--hf-overrides', 'json'),
  opt('--speculative-config', 'json'),
  opt('--kv-transfer-config', 'json'),
  opt('--limit-mm-per-prompt', 'json'),
  opt('--root-path', 'str'),
  opt('--disable-fastapi-docs', 'flag'),
  opt('--enable-sleep-mode', 'flag'),
  opt('--api-server-count', 'int'),
  opt('--disable-cascade-attn', 'flag', { negatable: true }),
  opt('--max-num-partial-prefills', 'int'),
  opt('--long-prefill-token-threshold', 'int'),
  opt('--config', 'str'),
  opt('--allowed-origins', 'json'),
  opt('--response-role', 'str'),
  opt('--enable-prompt-tokens-details', 'flag'),
  opt('--enable-force-include-usage', 'flag'),
  opt('--enable-server-load-tracking', 'flag'),
  opt('--disable-frontend-multiprocessing', 'flag'),
  opt('--ssl-keyfile', 'str'),
  opt('--ssl-certfile', 'str'),
  opt('--max-seq-len-to-capture', 'int'),
];

const VLLM_USAGE = 'usage: vllm serve [model_tag] [options]';

function vllmPlan(argv: readonly string[], host: SimHost, env: Readonly<Record<string, string | undefined>>): LaunchPlan {
  const pid = process.pid;
  const api = new EventList((now, text, tag) => `(APIServer pid=${pid}) ${tag || 'INFO'} ${vllmStamp(now)} ${text}`);
  const fail = (rootCause: string, exitCode = 1): LaunchPlan => ({ engine: 'vllm', events: api.exit(exitCode).events, bindFailure: [], crash: { rootCause, exitCode } });
  let parsed;
  try {
    parsed = parseEngineArgs(argv, VLLM_SERVE_OPTIONS, { underscoresAsDashes: true, allowPositional: 1 });
  } catch (err) {
    const message = `vllm serve: error: ${(err as Error).message}`;
    api.raw(VLLM_USAGE).raw(message);
    return fail(message, 2);
  }
  const v = parsed.values;
  const modelArg = parsed.positionals[0] ?? (v['model'] as string | undefined) ?? 'Qwen/Qwen3-0.6B';
  const tp = (v['tensor_parallel_size'] as number | undefined) ?? 1;
  const pp = (v['pipeline_parallel_size'] as number | undefined) ?? 1;
  const dp = (v['data_parallel_size'] as number | undefined) ?? 1;
  const defaults = vllmBatchDefaults(host.gpu);
  const nonDefault: Record<string, unknown> = { model_tag: modelArg, ...v };
  if (!('model' in v)) nonDefault['model'] = modelArg;
  api.log(`[api_server.py:1839] vLLM API server version ${ENGINE_VERSIONS.vllm}`);
  api.log(`[utils.py:233] non-default args: ${pythonRepr(nonDefault)}`);
  api.log(`[sim] ${simulatedNotice(host)}`, 'WARNING');

  const model = findModel(modelArg);
  const traceback = (lines: string[]) => {
    api.raw('Traceback (most recent call last):');
    api.raw('  File "/usr/local/bin/vllm", line 10, in <module>');
    api.raw('    sys.exit(main())');
    for (const l of lines) api.raw(l);
  };
  if (!model) {
    api.log(`[sim] ${notInCatalog(modelArg)}`, 'WARNING');
    const line = `ValueError: Invalid repository ID or local directory specified: '${modelArg}'.`;
    traceback([
      `${line}`,
      'Please verify the following requirements:',
      '1. Provide a valid Hugging Face repository ID.',
      '2. Specify a local directory that contains a recognized configuration file.',
      '   - For Hugging Face models: ensure the presence of a \'config.json\'.',
      '   - For Mistral models: ensure the presence of a \'params.json\'.',
    ]);
    return fail(line);
  }
  api.log(`[model.py:547] Resolved architecture: ${model.architecture}`);
  const maxModelLen = (v['max_model_len'] as number | undefined) ?? model.maxPositionEmbeddings;
  api.log(`[model.py:1510] Using max model len ${maxModelLen}`);
  const quantization = v['quantization'] as string | undefined;
  const fp8 = model.weightDtype === 'fp8' || quantization === 'fp8';
  if (quantization !== undefined && !['fp8', 'awq', 'gptq', 'bitsandbytes', 'compressed-tensors', 'marlin', 'awq_marlin', 'gptq_marlin', 'modelopt', 'fbgemm_fp8', 'experts_int8'].includes(quantization)) {
    const line = `ValueError: Unknown quantization method: ${quantization}. Must be one of ['aqlm', 'awq', 'deepspeedfp', 'tpu_int8', 'fp8', 'ptpc_fp8', 'fbgemm_fp8', 'modelopt', 'modelopt_fp4', 'marlin', 'bitblas', 'gguf', 'gptq_marlin_24', 'gptq_marlin', 'gptq_bitblas', 'awq_marlin', 'gptq', 'compressed-tensors', 'bitsandbytes', 'qqq', 'hqq', 'experts_int8', 'neuron_quant', 'ipex', 'quark', 'moe_wna16', 'torchao', 'auto-round', 'rtn', 'inc', 'mxfp4'].`;
    traceback([line]);
    return fail(line);
  }
  if (quantization !== undefined && quantization !== 'fp8') {
    // A known method the checkpoint was not quantized with (the simulated catalog has BF16 and FP8 checkpoints).
    const line = `ValueError: Cannot find the config file for ${quantization}`;
    traceback([line]);
    return fail(line);
  }
  const backend = env['VLLM_ATTENTION_BACKEND'];
  if (backend !== undefined && !(VLLM_ATTENTION_BACKENDS as readonly string[]).includes(backend)) {
    const line = `ValueError: Invalid attention backend: '${backend}'. Valid backends are: [${VLLM_ATTENTION_BACKENDS.map((b) => `'${b}'`).join(', ')}]`;
    traceback([line]);
    return fail(line);
  }
  if (model.heads % tp !== 0) {
    const line = `ValueError: Total number of attention heads (${model.heads}) must be divisible by tensor parallel size (${tp}).`;
    traceback([line]);
    return fail(line);
  }
  if (pp > 1 && !model.pipelineParallel.vllm) {
    const line = 'NotImplementedError: Pipeline parallelism is not supported for this model. Supported models implement the `SupportsPP` interface.';
    traceback([line]);
    return fail(line);
  }
  const worldSize = tp * pp * dp;
  if (worldSize > host.count) {
    const line = `ValueError: World size (${worldSize}) is larger than the number of available GPUs (${host.count}) in this node. If this is intentional and you are using: - ray, set '--distributed-executor-backend ray'. - multiprocessing, set '--nnodes' appropriately.`;
    traceback([line]);
    return fail(line);
  }
  if (backend !== undefined && !VLLM_SUPPORTED_HERE.has(backend)) {
    const line = `ValueError: Selected backend AttentionBackendEnum.${backend} is not valid for this configuration. Reason: ['compute capability not supported', 'head_size not supported']`;
    traceback([line]);
    return fail(line);
  }
  const maxNumBatchedTokens = (v['max_num_batched_tokens'] as number | undefined) ?? defaults.maxNumBatchedTokens;
  const maxNumSeqs = (v['max_num_seqs'] as number | undefined) ?? defaults.maxNumSeqs;
  const enforceEager = v['enforce_eager'] === true;
  const compilation = (v['compilation_config'] as Record<string, unknown> | undefined) ?? {};
  const captureSizes = (compilation['cudagraph_capture_sizes'] as number[] | undefined) ?? (v['cuda_graph_sizes'] as string[] | undefined)?.map(Number);
  const graphsOff = enforceEager || compilation['cudagraph_mode'] === 'NONE' || compilation['level'] === 0;
  const cudaGraphMaxBatch = graphsOff ? 0 : captureSizes && captureSizes.length > 0 ? Math.max(...captureSizes) : Math.min(2 * maxNumSeqs, 512);
  const kvCacheDtype = (v['kv_cache_dtype'] as string | undefined) ?? 'auto';
  const served = (v['served_model_name'] as string[] | undefined)?.[0] ?? modelArg;
  const config: SimEngineConfig = {
    engine: 'vllm',
    gpu: host.gpu,
    gpuCount: host.count,
    speedup: host.speedup,
    modelArg,
    model,
    servedModelName: served,
    host: (v['host'] as string | undefined) ?? '0.0.0.0',
    port: (v['port'] as number | undefined) ?? 8000,
    tp,
    pp,
    dp,
    expertParallel: v['enable_expert_parallel'] === true,
    fp8,
    kvDtypeBytes: kvCacheDtype === 'auto' ? 2 : 1,
    attentionBackend: backend ?? 'FLASH_ATTN',
    maxRunning: maxNumSeqs,
    tokenBudget: maxNumBatchedTokens,
    maxModelLen,
    memoryFraction: (v['gpu_memory_utilization'] as number | undefined) ?? 0.9,
    cudaGraphMaxBatch,
    mixedChunk: true,
    reasoningParser: v['reasoning_parser'] as string | undefined,
    toolCallParser: v['tool_call_parser'] as string | undefined,
    enableMetrics: true,
    showHiddenMetrics: v['show_hidden_metrics_for_version'] === '0.10',
    iterPerfStats: false,
    nonDefaultArgs: nonDefault,
    gpuIndices: gpuIndices(worldSize, env),
  };
  const memory = memoryPlan(config);
  api.log(`[scheduler.py:205] Chunked prefill is enabled with max_num_batched_tokens=${maxNumBatchedTokens}.`);
  if (enforceEager) api.log('[__init__.py:3795] Cudagraph is disabled under eager mode', 'WARNING');
  // vLLM binds the API socket before the engine starts (research/engines.md §2).
  api.mark('bind');
  const bindFailure = ['OSError: [Errno 98] Address already in use'];
  const core = new EventList((now, text, tag) => `(EngineCore_DP0 pid=${pid + 1}) ${tag || 'INFO'} ${vllmStamp(now)} ${text}`);
  core.t = api.t + 2;
  core.log(`[core.py:644] Waiting for init message from front-end.`);
  core.log(`[core.py:77] Initializing a V1 LLM engine (v${ENGINE_VERSIONS.vllm}) with config: model='${modelArg}', speculative_config=None, tokenizer='${modelArg}', dtype=torch.bfloat16, max_seq_len=${maxModelLen}, tensor_parallel_size=${tp}, pipeline_parallel_size=${pp}, data_parallel_size=${dp}, quantization=${fp8 ? 'fp8' : 'None'}, enforce_eager=${enforceEager ? 'True' : 'False'}, kv_cache_dtype=${kvCacheDtype}, served_model_name=${served}, enable_prefix_caching=True, chunked_prefill_enabled=True`);
  const worker = (rank: number) =>
    new EventList((now, text, tag) => `(Worker_TP${rank} pid=${pid + 2 + rank}) ${tag || 'INFO'} ${vllmStamp(now)} ${text}`);
  const w0 = worker(0);
  w0.t = core.t + 3;
  w0.log(`[parallel_state.py:1208] rank 0 in world size ${worldSize} is assigned as DP rank 0, PP rank 0, TP rank 0, EP rank 0`);
  const backendName = { FLASH_ATTN: 'Flash Attention', FLASHINFER: 'FlashInfer', TRITON_ATTN: 'Triton', FLEX_ATTENTION: 'FlexAttention', XFORMERS: 'XFormers' }[config.attentionBackend] ?? config.attentionBackend;
  w0.log(`[cuda.py:366] Using ${backendName} backend on V1 engine.`);
  w0.log(`[gpu_model_runner.py:2602] Starting to load model ${modelArg}...`);
  const crashCore = (lines: string[]): LaunchPlan => {
    for (const l of lines) w0.log(l, 'ERROR');
    const all = [...api.events, ...core.events, ...w0.events].sort((a, b) => a.at - b.at);
    const tail = new EventList(() => '');
    tail.t = w0.t + 1;
    tail.raw(`(EngineCore_DP0 pid=${pid + 1}) ERROR ${vllmStamp(new Date())} [core.py:708] EngineCore failed to start.`);
    tail.raw('Traceback (most recent call last):');
    tail.raw('  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 699, in run_engine_core');
    tail.raw(`${lines[lines.length - 1]}`);
    tail.raw(`(APIServer pid=${pid}) RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}`);
    tail.exit(1);
    return { engine: 'vllm', config, memory, events: [...all, ...tail.events], bindFailure, crash: { rootCause: lines[lines.length - 1]!, exitCode: 1 } };
  };
  if (fp8 && !supportsFp8(host.gpu)) {
    w0.log(
      '[marlin_utils_fp8.py:60] Your GPU does not have native support for FP8 computation but FP8 quantization is being used. Weight-only FP8 compression will be used leveraging the Marlin kernel. This may degrade performance for compute-heavy workloads.',
      'WARNING',
    );
    const sizeN = (2 * model.denseIntermediate) / tp;
    if (sizeN % 64 !== 0) {
      w0.wait(loadSeconds(memory) * 0.5);
      return crashCore([`RuntimeError: size_n = ${sizeN} is not divisible by tile_n_size = 64`]);
    }
  }
  if (memory.weightsGiBPerGpu > host.gpu.usableGiB * config.memoryFraction) {
    w0.wait(loadSeconds(memory) * 0.8);
    return crashCore([
      `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.27 GiB. GPU 0 has a total capacity of ${host.gpu.usableGiB.toFixed(2)} GiB of which 412.00 MiB is free. Including non-PyTorch memory, this process has ${(host.gpu.usableGiB - 0.4).toFixed(2)} GiB memory in use.`,
    ]);
  }
  const load = loadSeconds(memory);
  w0.wait(load).log(`[default_loader.py:267] Loading weights took ${load.toFixed(2)} seconds`);
  w0.wait(1).log(`[gpu_model_runner.py:2653] Model loading took ${memory.weightsGiBPerGpu.toFixed(4)} GiB and ${(load + 1.2).toFixed(6)} seconds`);
  w0.wait(6).log(`[gpu_worker.py:298] Available KV cache memory: ${memory.kvGiBPerGpu.toFixed(2)} GiB`);
  if (memory.kvGiBPerGpu <= 0) return crashCore(['ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.']);
  core.t = w0.t + 0.5;
  if (memory.kvCapacityTokens < maxModelLen) {
    const needed = (maxModelLen * memory.kvBytesPerTokenPerGpu) / 1024 ** 3;
    const estimated = Math.floor(memory.kvCapacityTokens / 16) * 16;
    return crashCore([
      `ValueError: To serve at least one request with the models's max seq len (${maxModelLen}), (${needed.toFixed(2)} GiB KV cache is needed, which is larger than the available KV cache memory (${memory.kvGiBPerGpu.toFixed(2)} GiB). Based on the available memory, the estimated maximum model length is ${estimated}. Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.`,
    ]);
  }
  core.log(`[kv_cache_utils.py:1087] GPU KV cache size: ${memory.kvCapacityTokens.toLocaleString('en-US')} tokens`);
  core.log(`[kv_cache_utils.py:1091] Maximum concurrency for ${maxModelLen.toLocaleString('en-US')} tokens per request: ${(memory.kvCapacityTokens / maxModelLen).toFixed(2)}x`);
  if (cudaGraphMaxBatch > 0) {
    const graphs = Math.ceil(cudaGraphMaxBatch / 8) + 3;
    w0.t = core.t;
    w0.log(`[gpu_model_runner.py:3402] Capturing CUDA graphs (mixed prefill-decode, PIECEWISE) for ${graphs} batch sizes`);
    w0.wait(12).log(`[gpu_model_runner.py:3480] Graph capturing finished in 12 secs, took ${memory.cudaGraphGiBPerGpu.toFixed(2)} GiB`);
    w0.log(`[gpu_model_runner.py:3434] Captured ${graphs} CUDA graphs for sizes up to ${cudaGraphMaxBatch}`, 'INFO');
    core.t = w0.t;
  }
  core.wait(1).log(`[core.py:210] init engine (profile, create kv cache, warmup model) took ${(core.t - 5).toFixed(2)} seconds`);
  api.t = core.t + 1;
  api.log(`[api_server.py:1634] Supported_tasks: ['generate']`);
  api.log(`[api_server.py:1912] Starting vLLM API server 0 on http://${config.host}:${config.port}`);
  api.log('[launcher.py:34] Available routes are:');
  for (const route of ['/health', '/v1/models', '/tokenize', '/detokenize', '/v1/chat/completions', '/v1/completions', '/metrics', '/reset_prefix_cache', '/version']) {
    api.log(`[launcher.py:42] Route: ${route}, Methods: ${route.startsWith('/v1/c') || route.includes('tokenize') || route.startsWith('/reset') ? 'POST' : 'GET'}`);
  }
  api.raw(`INFO:     Started server process [${pid}]`, 'stdout');
  api.raw('INFO:     Waiting for application startup.', 'stdout');
  api.mark('serve').mark('ready');
  api.raw('INFO:     Application startup complete.', 'stdout');
  const events = [...api.events, ...core.events, ...w0.events].sort((a, b) => a.at - b.at);
  return { engine: 'vllm', config, memory, events, bindFailure };
}

function gpuIndices(count: number, env: Readonly<Record<string, string | undefined>>): number[] {
  const visible = env['CUDA_VISIBLE_DEVICES']?.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n));
  const pool = visible && visible.length > 0 ? visible : Array.from({ length: count }, (_, i) => i);
  return pool.slice(0, count);
}

// ---------------------------------------------------------------- SGLang 0.5.4.post2

const SGLANG_ATTENTION_BACKENDS = ['triton', 'torch_native', 'flex_attention', 'nsa', 'cutlass_mla', 'fa3', 'fa4', 'flashinfer', 'flashmla', 'trtllm_mla', 'trtllm_mha', 'dual_chunk_flash_attn', 'aiter', 'wave', 'intel_amx', 'ascend', 'intel_xpu'] as const;

const SGLANG_OPTIONS: OptionSpec[] = [
  { ...opt('--model-path', 'str'), names: ['--model-path', '--model'] },
  opt('--tokenizer-path', 'str'),
  opt('--host', 'str'),
  opt('--port', 'int'),
  opt('--served-model-name', 'str'),
  { ...opt('--tp-size', 'int'), names: ['--tp-size', '--tp', '--tensor-parallel-size'] },
  { ...opt('--pp-size', 'int'), names: ['--pp-size', '--pipeline-parallel-size'] },
  { ...opt('--dp-size', 'int'), names: ['--dp-size', '--dp', '--data-parallel-size'] },
  { ...opt('--ep-size', 'int'), names: ['--ep-size', '--ep', '--expert-parallel-size'] },
  opt('--enable-dp-attention', 'flag'),
  opt('--moe-a2a-backend', 'str', { choices: ['none', 'deepep', 'mooncake'] }),
  opt('--moe-runner-backend', 'str'),
  opt('--quantization', 'str', { choices: ['awq', 'fp8', 'gptq', 'marlin', 'gptq_marlin', 'awq_marlin', 'bitsandbytes', 'gguf', 'modelopt', 'modelopt_fp8', 'modelopt_fp4', 'petit_nvfp4', 'w8a8_int8', 'w8a8_fp8', 'moe_wna16', 'qoq', 'w4afp8', 'mxfp4', 'compressed-tensors'] }),
  opt('--kv-cache-dtype', 'str', { choices: ['auto', 'fp8_e5m2', 'fp8_e4m3', 'bf16', 'bfloat16'] }),
  opt('--dtype', 'str', { choices: ['auto', 'half', 'float16', 'bfloat16', 'float', 'float32'] }),
  opt('--context-length', 'int'),
  opt('--mem-fraction-static', 'float'),
  opt('--max-running-requests', 'int'),
  opt('--max-total-tokens', 'int'),
  opt('--chunked-prefill-size', 'int'),
  opt('--max-prefill-tokens', 'int'),
  opt('--cuda-graph-max-bs', 'int'),
  opt('--cuda-graph-bs', 'list'),
  opt('--disable-cuda-graph', 'flag'),
  opt('--disable-cuda-graph-padding', 'flag'),
  opt('--enable-piecewise-cuda-graph', 'flag'),
  opt('--schedule-policy', 'str', { choices: ['lpm', 'random', 'fcfs', 'dfs-weight', 'lof', 'priority'] }),
  opt('--enable-priority-scheduling', 'flag'),
  opt('--schedule-conservativeness', 'float'),
  opt('--disable-radix-cache', 'flag'),
  opt('--enable-mixed-chunk', 'flag'),
  opt('--disable-overlap-schedule', 'flag'),
  opt('--attention-backend', 'str', { choices: SGLANG_ATTENTION_BACKENDS }),
  opt('--prefill-attention-backend', 'str', { choices: SGLANG_ATTENTION_BACKENDS }),
  opt('--decode-attention-backend', 'str', { choices: SGLANG_ATTENTION_BACKENDS }),
  opt('--tool-call-parser', 'str'),
  opt('--reasoning-parser', 'str'),
  opt('--enable-metrics', 'flag'),
  opt('--enable-metrics-for-all-schedulers', 'flag'),
  opt('--log-requests', 'flag'),
  opt('--log-level', 'str'),
  opt('--decode-log-interval', 'int'),
  opt('--trust-remote-code', 'flag'),
  opt('--random-seed', 'int'),
  opt('--chat-template', 'str'),
  opt('--enable-torch-compile', 'flag'),
  opt('--torch-compile-max-bs', 'int'),
  opt('--api-key', 'str'),
  opt('--watchdog-timeout', 'float'),
  opt('--download-dir', 'str'),
  opt('--revision', 'str'),
  opt('--load-format', 'str'),
  opt('--device', 'str'),
  opt('--stream-interval', 'int'),
  opt('--nnodes', 'int'),
  opt('--node-rank', 'int'),
  opt('--dist-init-addr', 'str'),
  opt('--speculative-algorithm', 'str'),
  opt('--speculative-num-steps', 'int'),
  opt('--speculative-eagle-topk', 'int'),
  opt('--speculative-num-draft-tokens', 'int'),
  opt('--show-time-cost', 'flag'),
  opt('--skip-server-warmup', 'flag'),
  opt('--enable-cache-report', 'flag'),
  opt('--grammar-backend', 'str'),
];

const SGLANG_USAGE = 'usage: launch_server.py [-h] --model-path MODEL_PATH [--tokenizer-path TOKENIZER_PATH] [--host HOST] [--port PORT] ... (run with --help for the full list)';

function sglangPlan(argv: readonly string[], host: SimHost, env: Readonly<Record<string, string | undefined>>): LaunchPlan {
  const log = new EventList((now, text, tag) => `[${sglangStamp(now)}${tag ? ` ${tag}` : ''}] ${text}`);
  const fail = (rootCause: string, exitCode = 1): LaunchPlan => ({ engine: 'sglang', events: log.exit(exitCode).events, bindFailure: [], crash: { rootCause, exitCode } });
  const traceback = (where: string[], line: string) => {
    log.raw('Traceback (most recent call last):');
    log.raw('  File "<frozen runpy>", line 198, in _run_module_as_main');
    log.raw('  File "/sgl-workspace/sglang/python/sglang/launch_server.py", line 24, in <module>');
    for (const w of where) log.raw(w);
    log.raw(line);
  };
  let parsed;
  try {
    parsed = parseEngineArgs(argv, SGLANG_OPTIONS, { underscoresAsDashes: false, allowPositional: 0 });
  } catch (err) {
    const message = `launch_server.py: error: ${(err as Error).message}`;
    log.raw(SGLANG_USAGE).raw(message);
    return fail(message, 2);
  }
  const v = parsed.values;
  const modelArg = v['model_path'] as string | undefined;
  if (modelArg === undefined) {
    const message = 'launch_server.py: error: the following arguments are required: --model-path/--model';
    log.raw(SGLANG_USAGE).raw(message);
    return fail(message, 2);
  }
  const tp = (v['tp_size'] as number | undefined) ?? 1;
  const pp = (v['pp_size'] as number | undefined) ?? 1;
  // With DP attention the dp ranks share the TP group's GPUs (one engine); without it each is a full replica.
  const dp = v['enable_dp_attention'] === true ? 1 : ((v['dp_size'] as number | undefined) ?? 1);
  const ep = (v['ep_size'] as number | undefined) ?? 1;
  const model = findModel(modelArg);
  if (!model) {
    log.log(`[sim] ${notInCatalog(modelArg)}`, '', 'stderr');
    const line = `OSError: ${modelArg} is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'`;
    traceback(['  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 3150, in prepare_server_args', '  File "/sgl-workspace/sglang/python/sglang/srt/utils/hf_transformers_utils.py", line 190, in get_config'], line);
    return fail(line);
  }
  const memDefaults = sglangMemoryDefaults(host.gpu, tp);
  const chunkedPrefillSize = (v['chunked_prefill_size'] as number | undefined) ?? memDefaults.chunkedPrefillSize;
  const graphsOff = v['disable_cuda_graph'] === true;
  const cudaGraphMaxBs = (v['cuda_graph_max_bs'] as number | undefined) ?? ((v['cuda_graph_bs'] as string[] | undefined) ? Math.max(...(v['cuda_graph_bs'] as string[]).map(Number)) : memDefaults.cudaGraphMaxBs);
  const memFraction = (v['mem_fraction_static'] as number | undefined) ?? sglangMemFractionStatic(host.gpu, tp, pp, chunkedPrefillSize, cudaGraphMaxBs);
  const backend = (v['attention_backend'] as string | undefined) ?? (v['decode_attention_backend'] as string | undefined) ?? 'flashinfer';
  const hostName = (v['host'] as string | undefined) ?? '127.0.0.1';
  const port = (v['port'] as number | undefined) ?? 30000;
  const toolParser = v['tool_call_parser'] as string | undefined;
  const quantization = v['quantization'] as string | undefined;
  const fp8 = model.weightDtype === 'fp8' || (quantization !== undefined && quantization.includes('fp8'));
  const served = (v['served_model_name'] as string | undefined) ?? modelArg;
  const fields: Record<string, unknown> = {
    model_path: modelArg,
    tokenizer_path: modelArg,
    host: hostName,
    port,
    served_model_name: served,
    tp_size: tp,
    pp_size: pp,
    dp_size: dp,
    ep_size: ep,
    quantization: quantization ?? null,
    mem_fraction_static: memFraction,
    max_running_requests: (v['max_running_requests'] as number | undefined) ?? null,
    chunked_prefill_size: chunkedPrefillSize,
    max_prefill_tokens: (v['max_prefill_tokens'] as number | undefined) ?? 16384,
    schedule_policy: (v['schedule_policy'] as string | undefined) ?? 'fcfs',
    attention_backend: backend,
    cuda_graph_max_bs: cudaGraphMaxBs,
    disable_cuda_graph: graphsOff,
    enable_mixed_chunk: v['enable_mixed_chunk'] === true,
    tool_call_parser: toolParser === 'glm45' ? 'glm' : (toolParser ?? null),
    reasoning_parser: (v['reasoning_parser'] as string | undefined) ?? null,
    enable_metrics: v['enable_metrics'] === true,
  };
  if (toolParser === 'glm45') log.log("The tool_call_parser 'glm45' is deprecated. Please use 'glm' instead.", '', 'stderr');
  log.log(`server_args=ServerArgs(${Object.entries(fields).map(([k, val]) => `${k}=${pythonRepr(val)}`).join(', ')})`, '', 'stderr');
  log.log(`[sim] ${simulatedNotice(host)}`, '', 'stderr');
  if (backend === 'fa4') {
    const line = 'AssertionError: FA4 backend is only supported for prefill. Please use --prefill-attention-backend fa4 instead.';
    traceback(['  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 1120, in _handle_attention_backend_compatibility'], line);
    return fail(line);
  }
  if (['flashmla', 'cutlass_mla', 'trtllm_mla', 'nsa'].includes(backend)) {
    const line = `ValueError: ${backend} attention backend requires an MLA model (DeepSeek-style); ${model.architecture} uses grouped-query attention. Please use --attention-backend flashinfer.`;
    traceback(['  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 1120, in _handle_attention_backend_compatibility'], line);
    return fail(line);
  }
  if (backend === 'trtllm_mha' && host.gpu.computeCapability[0] < 10) {
    const line = 'ValueError: TRTLLM MHA backend is only supported on Blackwell GPUs (SM100). Please use a different backend.';
    traceback(['  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 1120, in _handle_attention_backend_compatibility'], line);
    return fail(line);
  }
  if (backend === 'fa3' && (host.gpu.computeCapability[0] < 8 || host.gpu.computeCapability[0] > 9)) {
    const line = 'AssertionError: FlashAttention v3 Backend requires SM>=80 and SM<=90. Please use `--attention-backend flashinfer`.';
    traceback(['  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 1120, in _handle_attention_backend_compatibility'], line);
    return fail(line);
  }
  if (['aiter', 'wave', 'intel_amx', 'ascend', 'intel_xpu', 'dual_chunk_flash_attn'].includes(backend)) {
    const line = `ValueError: Attention backend ${backend} is not supported on CUDA device ${host.gpu.smiName}.`;
    traceback(['  File "/sgl-workspace/sglang/python/sglang/srt/server_args.py", line 1120, in _handle_attention_backend_compatibility'], line);
    return fail(line);
  }
  const tag = 'TP0';
  if (pp > 1 && !model.pipelineParallel.sglang) {
    log.wait(4);
    const line = 'AssertionError: Pipeline Parallel is not compatible with this model.';
    log.log(`Scheduler hit an exception: Traceback (most recent call last):`, tag, 'stderr');
    log.raw('  File "/sgl-workspace/sglang/python/sglang/srt/managers/scheduler.py", line 2853, in run_scheduler_process');
    log.raw('  File "/sgl-workspace/sglang/python/sglang/srt/model_executor/model_runner.py", line 298, in __init__');
    log.raw('    assert self.support_pp, "Pipeline Parallel is not compatible with this model."');
    log.raw(line);
    log.raw('Received sigquit from a child process. It usually means the child failed.');
    return fail(line);
  }
  const worldSize = tp * pp * dp;
  if (worldSize > host.count) {
    log.wait(3);
    const line = 'RuntimeError: CUDA error: invalid device ordinal';
    log.log('Scheduler hit an exception: Traceback (most recent call last):', `TP${host.count}`, 'stderr');
    log.raw('  File "/sgl-workspace/sglang/python/sglang/srt/managers/scheduler.py", line 2853, in run_scheduler_process');
    log.raw(line);
    log.raw('CUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.');
    return fail(line);
  }
  const config: SimEngineConfig = {
    engine: 'sglang',
    gpu: host.gpu,
    gpuCount: host.count,
    speedup: host.speedup,
    modelArg,
    model,
    servedModelName: served,
    host: hostName,
    port,
    tp,
    pp,
    dp,
    expertParallel: ep > 1,
    fp8,
    kvDtypeBytes: ((v['kv_cache_dtype'] as string | undefined) ?? 'auto').startsWith('fp8') ? 1 : 2,
    attentionBackend: backend,
    maxRunning: 0,
    tokenBudget: chunkedPrefillSize,
    maxModelLen: (v['context_length'] as number | undefined) ?? model.maxPositionEmbeddings,
    memoryFraction: memFraction,
    maxTotalTokens: v['max_total_tokens'] as number | undefined,
    cudaGraphMaxBatch: graphsOff ? 0 : cudaGraphMaxBs,
    mixedChunk: v['enable_mixed_chunk'] === true,
    reasoningParser: v['reasoning_parser'] as string | undefined,
    toolCallParser: toolParser,
    enableMetrics: v['enable_metrics'] === true,
    showHiddenMetrics: false,
    iterPerfStats: false,
    nonDefaultArgs: v,
    gpuIndices: gpuIndices(worldSize, env),
  };
  const memory = memoryPlan(config);
  config.maxRunning = (v['max_running_requests'] as number | undefined) ?? Math.min(Math.floor(memory.kvCapacityTokens / 2), 2048);
  const bindFailure = [`[${sglangStamp(new Date())}] ERROR:    [Errno 98] error while attempting to bind on address ('${hostName}', ${port}): address already in use`];
  log.wait(3).log(`Init torch distributed begin.`, tag, 'stderr');
  log.wait(2).log(`Load weight begin. avail mem=${(host.gpu.usableGiB - 0.8).toFixed(2)} GB`, tag, 'stderr');
  const crash = (lines: string[]): LaunchPlan => {
    log.log('Scheduler hit an exception: Traceback (most recent call last):', tag, 'stderr');
    log.raw('  File "/sgl-workspace/sglang/python/sglang/srt/managers/scheduler.py", line 2853, in run_scheduler_process');
    for (const l of lines) log.raw(l);
    log.raw('Received sigquit from a child process. It usually means the child failed.');
    return { engine: 'sglang', config, memory, events: log.exit(1).events, bindFailure, crash: { rootCause: lines[lines.length - 1]!, exitCode: 1 } };
  };
  if (memory.weightsGiBPerGpu > host.gpu.usableGiB - 1) {
    log.wait(loadSeconds(memory) * 0.8);
    return crash([`torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.27 GiB. GPU 0 has a total capacity of ${host.gpu.usableGiB.toFixed(2)} GiB of which 412.00 MiB is free.`]);
  }
  const load = loadSeconds(memory);
  log.wait(load).log(`Load weight end. elapsed=${load.toFixed(2)} s, type=${model.architecture}, dtype=torch.bfloat16, avail mem=${(host.gpu.usableGiB - 0.8 - memory.weightsGiBPerGpu).toFixed(2)} GB, mem usage=${memory.weightsGiBPerGpu.toFixed(2)} GB.`, tag, 'stderr');
  if (memory.kvCapacityTokens <= 0) {
    return crash(['RuntimeError: Not enough memory. Please try to increase --mem-fraction-static.']);
  }
  const kvSideGb = (memory.kvCapacityTokens * memory.kvBytesPerTokenPerGpu) / 2 / 1024 ** 3;
  log.wait(1).log(`KV Cache is allocated. #tokens: ${memory.kvCapacityTokens}, K size: ${kvSideGb.toFixed(2)} GB, V size: ${kvSideGb.toFixed(2)} GB`, tag, 'stderr');
  if (fp8 && !supportsFp8(host.gpu)) {
    log.wait(3).log(`Capture cuda graph begin. This can take up to several minutes. avail mem=${(host.gpu.usableGiB * (1 - memFraction)).toFixed(2)} GB`, tag, 'stderr');
    return crash([
      '  File "/usr/local/lib/python3.12/dist-packages/triton/compiler/compiler.py", line 300, in compile',
      "    type fp8e4nv not supported in this architecture. The supported fp8 dtypes are ('fp8e4b15', 'fp8e5')",
      'AssertionError: fp8e4nv data type is not supported on CUDA arch < 89',
    ]);
  }
  if (!graphsOff) {
    log.wait(1).log(`Capture cuda graph begin. This can take up to several minutes. avail mem=${(host.gpu.usableGiB * (1 - memFraction)).toFixed(2)} GB`, tag, 'stderr');
    log.wait(10 + cudaGraphMaxBs / 64).log(`Capture cuda graph end. Time elapsed: ${(10 + cudaGraphMaxBs / 64).toFixed(2)} s. mem usage=${memory.cudaGraphGiBPerGpu.toFixed(2)} GB. avail mem=${(host.gpu.usableGiB * (1 - memFraction) - memory.cudaGraphGiBPerGpu).toFixed(2)} GB.`, tag, 'stderr');
  }
  log.wait(1).log(
    `max_total_num_tokens=${memory.kvCapacityTokens}, chunked_prefill_size=${chunkedPrefillSize}, max_prefill_tokens=${fields['max_prefill_tokens']}, max_running_requests=${config.maxRunning}, context_len=${config.maxModelLen}, available_gpu_mem=${(host.gpu.usableGiB * (1 - memFraction) - memory.cudaGraphGiBPerGpu).toFixed(2)} GB`,
    tag,
    'stderr',
  );
  // SGLang binds only after the model is loaded, so a busy port costs a full load (research/engines.md §4.2).
  log.wait(1).mark('bind');
  log.raw(`INFO:     Started server process [${process.pid}]`);
  log.raw('INFO:     Waiting for application startup.');
  log.raw('INFO:     Application startup complete.');
  log.raw(`INFO:     Uvicorn running on http://${hostName}:${port} (Press CTRL+C to quit)`);
  log.mark('serve');
  log.wait(2).raw(`INFO:     127.0.0.1:45678 - "GET /get_model_info HTTP/1.1" 200 OK`);
  log.log(`Prefill batch. #new-seq: 1, #new-token: 6, #cached-token: 0, token usage: 0.00, #running-req: 0, #queue-req: 0,`, tag, 'stderr');
  log.wait(1).raw(`INFO:     127.0.0.1:45684 - "POST /generate HTTP/1.1" 200 OK`);
  log.mark('ready');
  log.log('The server is fired up and ready to roll!', '', 'stderr');
  return { engine: 'sglang', config, memory, events: log.events, bindFailure };
}

// ---------------------------------------------------------------- TensorRT-LLM 1.2.0rc1

const TRTLLM_OPTIONS: OptionSpec[] = [
  opt('--host', 'str'),
  opt('--port', 'int'),
  opt('--backend', 'str', { choices: ['pytorch', 'tensorrt', 'trt', '_autodeploy'] }),
  { ...opt('--tp_size', 'int'), names: ['--tp_size', '--tensor_parallel_size'] },
  opt('--pp_size', 'int'),
  { ...opt('--ep_size', 'int'), names: ['--ep_size', '--moe_expert_parallel_size'] },
  opt('--cluster_size', 'int'),
  opt('--cp_size', 'int'),
  opt('--gpus_per_node', 'int'),
  opt('--max_batch_size', 'int'),
  opt('--max_num_tokens', 'int'),
  opt('--max_seq_len', 'int'),
  opt('--max_beam_width', 'int'),
  { ...opt('--kv_cache_free_gpu_memory_fraction', 'float'), names: ['--kv_cache_free_gpu_memory_fraction', '--free_gpu_memory_fraction'] },
  opt('--enable_chunked_prefill', 'flag'),
  { ...opt('--extra_llm_api_options', 'str'), names: ['--extra_llm_api_options', '--config'] },
  opt('--reasoning_parser', 'str'),
  opt('--tool_parser', 'str'),
  opt('--trust_remote_code', 'flag'),
  opt('--num_postprocess_workers', 'int'),
  opt('--log_level', 'str', { choices: ['internal_error', 'error', 'warning', 'info', 'verbose', 'debug', 'trace'] }),
  opt('--tokenizer', 'str'),
  opt('--served_model_name', 'str'),
];

function trtllmPlan(argv: readonly string[], host: SimHost, env: Readonly<Record<string, string | undefined>>, readFile: (path: string) => string | undefined): LaunchPlan {
  const log = new EventList((now, text, tag) => `[${pad(now.getMonth() + 1)}/${pad(now.getDate())}/${now.getFullYear()}-${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}] [TRT-LLM] [${tag || 'I'}] ${text}`);
  const fail = (rootCause: string, exitCode = 1): LaunchPlan => ({ engine: 'trtllm', events: log.exit(exitCode).events, bindFailure: [], crash: { rootCause, exitCode } });
  let parsed;
  try {
    parsed = parseEngineArgs(argv, TRTLLM_OPTIONS, { underscoresAsDashes: false, allowPositional: 1 });
  } catch (err) {
    const text = (err as Error).message;
    const unknown = /^unrecognized arguments: (\S+)/.exec(text);
    const message = unknown ? `Error: No such option: ${unknown[1]}` : `Error: Invalid value: ${text}`;
    log.raw('Usage: trtllm-serve serve [OPTIONS] MODEL').raw("Try 'trtllm-serve serve --help' for help.").raw('').raw(message);
    return fail(message, 2);
  }
  const v = parsed.values;
  const modelArg = parsed.positionals[0];
  if (modelArg === undefined) {
    const message = "Error: Missing argument 'MODEL'.";
    log.raw('Usage: trtllm-serve serve [OPTIONS] MODEL').raw("Try 'trtllm-serve serve --help' for help.").raw('').raw(message);
    return fail(message, 2);
  }
  const hostName = (v['host'] as string | undefined) ?? 'localhost';
  const port = (v['port'] as number | undefined) ?? 8000;
  const bindFailure = [`RuntimeError: Failed to bind socket to ${hostName}:${port}: [Errno 98] Address already in use`];
  log.mark('bind');
  log.raw(`[TensorRT-LLM] TensorRT-LLM version: ${ENGINE_VERSIONS.trtllm}`, 'stdout');
  log.log(`[sim] ${simulatedNotice(host)}`, 'W');
  const model = findModel(modelArg);
  if (!model) {
    log.log(`[sim] ${notInCatalog(modelArg)}`, 'W');
    const line = `OSError: ${modelArg} is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'`;
    log.raw('Traceback (most recent call last):').raw('  File "/usr/local/bin/trtllm-serve", line 8, in <module>').raw(line);
    return fail(line);
  }
  const tp = (v['tp_size'] as number | undefined) ?? 1;
  const pp = (v['pp_size'] as number | undefined) ?? 1;
  const ep = (v['ep_size'] as number | undefined) ?? 1;
  if (!model.trtllmSupported) {
    log.wait(4);
    const line = `ValueError: Unknown architecture for AutoModelForCausalLM: ${model.architecture}`;
    log.raw('Traceback (most recent call last):').raw('  File "/usr/local/lib/python3.12/dist-packages/tensorrt_llm/_torch/models/modeling_auto.py", line 27, in from_config').raw(line);
    return fail(line);
  }
  if (tp * pp > host.count) {
    const line = `RuntimeError: Only ${host.count} GPUs are available, but the requested world size is ${tp * pp}.`;
    log.raw('Traceback (most recent call last):').raw(line);
    return fail(line);
  }
  let extra: Record<string, unknown> = {};
  const extraPath = v['extra_llm_api_options'] as string | undefined;
  if (extraPath !== undefined) {
    const text = readFile(extraPath);
    if (text === undefined) {
      const message = `Error: Invalid value for '--extra_llm_api_options': Path '${extraPath}' does not exist.`;
      log.raw('Usage: trtllm-serve serve [OPTIONS] MODEL').raw(message);
      return fail(message, 2);
    }
    extra = parseSimpleYaml(text);
  }
  const cudaGraphConfig = extra['cuda_graph_config'] as Record<string, unknown> | undefined | null;
  const maxBatch = (v['max_batch_size'] as number | undefined) ?? 2048;
  const config: SimEngineConfig = {
    engine: 'trtllm',
    gpu: host.gpu,
    gpuCount: host.count,
    speedup: host.speedup,
    modelArg,
    model,
    servedModelName: (v['served_model_name'] as string | undefined) ?? modelArg,
    host: hostName,
    port,
    tp,
    pp,
    dp: 1,
    expertParallel: ep > 1,
    fp8: model.weightDtype === 'fp8',
    kvDtypeBytes: 2,
    attentionBackend: 'TRTLLM',
    maxRunning: maxBatch,
    tokenBudget: (v['max_num_tokens'] as number | undefined) ?? 8192,
    maxModelLen: (v['max_seq_len'] as number | undefined) ?? model.maxPositionEmbeddings,
    memoryFraction: (v['kv_cache_free_gpu_memory_fraction'] as number | undefined) ?? 0.9,
    cudaGraphMaxBatch: cudaGraphConfig ? Number(cudaGraphConfig['max_batch_size'] ?? 128) : 0,
    mixedChunk: true,
    reasoningParser: v['reasoning_parser'] as string | undefined,
    toolCallParser: v['tool_parser'] as string | undefined,
    enableMetrics: extra['return_perf_metrics'] === true,
    showHiddenMetrics: false,
    iterPerfStats: extra['enable_iter_perf_stats'] === true,
    nonDefaultArgs: v,
    gpuIndices: gpuIndices(tp * pp, env),
  };
  const memory = memoryPlan(config);
  const load = loadSeconds(memory);
  log.wait(load).log(`Loaded ${model.architecture} weights in ${load.toFixed(2)} s`);
  log.wait(2).log(`[MemUsageChange] Allocated ${memory.kvGiBPerGpu.toFixed(2)} GiB for max tokens in paged KV cache (${memory.kvCapacityTokens}).`);
  log.wait(1).raw(`INFO:     Started server process [${process.pid}]`);
  log.raw('INFO:     Waiting for application startup.');
  log.mark('serve').mark('ready');
  log.raw('INFO:     Application startup complete.');
  log.raw(`INFO:     Uvicorn running on http://${hostName}:${port} (Press CTRL+C to quit)`);
  return { engine: 'trtllm', config, memory, events: log.events, bindFailure };
}

/** Enough YAML for the extra-options file: `key: value` lines and one level of nested mappings. */
function parseSimpleYaml(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let current: Record<string, unknown> | undefined;
  const scalar = (s: string): unknown => {
    const t = s.trim();
    if (t === 'true' || t === 'True') return true;
    if (t === 'false' || t === 'False') return false;
    if (t === '' || t === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    return t.replace(/^["']|["']$/g, '');
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '');
    if (!line.trim()) continue;
    const m = /^(\s*)([\w.-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, indent, key, value] = m;
    if (indent!.length === 0) {
      if (value!.trim() === '') {
        current = {};
        root[key!] = current;
      } else {
        current = undefined;
        const inline = /^\{(.*)\}$/.exec(value!.trim());
        root[key!] = inline ? Object.fromEntries(inline[1]!.split(',').map((kv) => kv.split(':').map((s) => s.trim())).map(([k, val]) => [k, scalar(val ?? '')])) : scalar(value!);
      }
    } else if (current) {
      current[key!] = scalar(value!);
    }
  }
  return root;
}

// ---------------------------------------------------------------- entry

export interface PlanOptions {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string | undefined;
}

/**
 * Plans the launch of `argv` as the engine would run it. `argv` is the engine's own argument list: for vLLM what
 * follows `vllm serve`, for SGLang what follows `-m sglang.launch_server`, for TRT-LLM what follows `trtllm-serve`.
 */
export function planLaunch(engine: SimEngineKind, argv: readonly string[], host: SimHost, options: PlanOptions = {}): LaunchPlan {
  const env = options.env ?? {};
  if (argv.includes('--help') || argv.includes('-h')) return helpPlan(engine);
  if (engine === 'vllm') return vllmPlan(argv, host, env);
  if (engine === 'sglang') return sglangPlan(argv, host, env);
  return trtllmPlan(argv, host, env, options.readFile ?? (() => undefined));
}

export class NotAServeCommandError extends Error {}

/** Splits a full serve command line (`vllm serve …`, `python3 -m sglang.launch_server …`, `trtllm-serve …`). */
export function splitServeCommand(argv: readonly string[]): { engine: SimEngineKind; args: string[] } {
  const [head, ...rest] = argv;
  const base = head?.split('/').pop() ?? '';
  if (base === 'vllm' && rest[0] === 'serve') return { engine: 'vllm', args: rest.slice(1) };
  if (/^python(3(\.\d+)?)?$/.test(base) && rest[0] === '-m' && rest[1] === 'sglang.launch_server') return { engine: 'sglang', args: rest.slice(2) };
  if (base === 'trtllm-serve') return { engine: 'trtllm', args: rest[0] === 'serve' ? rest.slice(1) : rest };
  throw new NotAServeCommandError(
    `"${argv.join(' ')}" is not an engine serve command; expected \`vllm serve MODEL …\`, \`python3 -m sglang.launch_server --model-path MODEL …\` or \`trtllm-serve MODEL …\``,
  );
}

/** `--help`: the engine's usage and the options the simulated engine accepts, exit 0. */
function helpPlan(engine: SimEngineKind): LaunchPlan {
  const specs = engine === 'vllm' ? VLLM_SERVE_OPTIONS : engine === 'sglang' ? SGLANG_OPTIONS : TRTLLM_OPTIONS;
  const usage = engine === 'vllm' ? VLLM_USAGE : engine === 'sglang' ? SGLANG_USAGE : 'Usage: trtllm-serve serve [OPTIONS] MODEL';
  const lines = [usage, '', engine === 'trtllm' ? 'Options:' : 'options:', '  -h, --help            show this help message and exit'];
  for (const spec of specs) {
    const choices = spec.choices ? ` {${spec.choices.join(',')}}` : spec.kind === 'flag' ? '' : ` ${spec.dest.toUpperCase()}`;
    lines.push(`  ${spec.names.join(', ')}${choices}`);
  }
  const events: LaunchEvent[] = [...lines.map((text) => ({ at: 0, kind: 'log' as const, stream: 'stdout' as const, text })), { at: 0, kind: 'exit', code: 0 }];
  return { engine, events, bindFailure: [] };
}
