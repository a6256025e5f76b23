// The startup log of a vLLM V1 engine from a resolved config: API server, engine core and worker lines in time
// order, ending at "Application startup complete." or at the worker's root-cause error (research/engines.md §4).
import type { MemoryPlan, SimEngineConfig } from '../../config';
import { EventList, loadSeconds, pad, type LaunchPlan } from '../launch';

const stamp = (d: Date) => `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
/** One vLLM log line: `(APIServer pid=N) INFO 12-07 15:04:05 [file.py:1] text`. */
export const vllmLine = (process: string, now: Date, tag: string, text: string): string => `(${process}) ${tag || 'INFO'} ${stamp(now)} ${text}`;

const BACKEND_NAMES: Readonly<Record<string, string>> = { FLASH_ATTN: 'Flash Attention', FLASHINFER: 'FlashInfer', TRITON_ATTN: 'Triton', FLEX_ATTENTION: 'FlexAttention', XFORMERS: 'XFormers' };
const ROUTES = ['/health', '/v1/models', '/tokenize', '/detokenize', '/v1/chat/completions', '/v1/completions', '/metrics', '/reset_prefix_cache', '/version'];

/** Engine core and worker 0 failed: the worker's lines, then the core's traceback with the root cause, then the API server's wrapper. */
function crashPlan(config: SimEngineConfig, memory: MemoryPlan, lists: EventList[], w0: EventList, lines: string[]): LaunchPlan {
  const pid = process.pid;
  for (const l of lines) w0.log(l, 'ERROR');
  const rootCause = lines[lines.length - 1]!;
  const tail = new EventList(() => '');
  tail.t = w0.t + 1;
  tail.raw(vllmLine(`EngineCore_DP0 pid=${pid + 1}`, new Date(), 'ERROR', '[core.py:708] EngineCore failed to start.'));
  tail.raw('Traceback (most recent call last):');
  tail.raw('  File "/usr/local/lib/python3.12/dist-packages/vllm/v1/engine/core.py", line 699, in run_engine_core');
  tail.raw(rootCause);
  tail.raw(`(APIServer pid=${pid}) RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}`);
  tail.exit(1);
  const events = [...lists.flatMap((l) => l.events), ...w0.events].sort((a, b) => a.at - b.at);
  return { engine: 'vllm', config, memory, events: [...events, ...tail.events], bindFailure: ['OSError: [Errno 98] Address already in use'], crash: { rootCause, exitCode: 1 } };
}

/** What the worker hits while loading and profiling; undefined when it gets through. */
function workerFailure(config: SimEngineConfig, memory: MemoryPlan, w0: EventList, fp8OnAmpere: boolean): string | undefined {
  if (fp8OnAmpere) {
    w0.log(
      '[marlin_utils_fp8.py:60] Your GPU does not have native support for FP8 computation but FP8 quantization is being used. Weight-only FP8 compression will be used leveraging the Marlin kernel. This may degrade performance for compute-heavy workloads.',
      'WARNING',
    );
    const sizeN = (2 * config.model.denseIntermediate) / config.tp;
    if (sizeN % 64 !== 0) {
      w0.wait(loadSeconds(memory) * 0.5);
      return `RuntimeError: size_n = ${sizeN} is not divisible by tile_n_size = 64`;
    }
  }
  if (memory.weightsGiBPerGpu > config.gpu.usableGiB * config.memoryFraction) {
    w0.wait(loadSeconds(memory) * 0.8);
    return `torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.27 GiB. GPU 0 has a total capacity of ${config.gpu.usableGiB.toFixed(2)} GiB of which 412.00 MiB is free. Including non-PyTorch memory, this process has ${(config.gpu.usableGiB - 0.4).toFixed(2)} GiB memory in use.`;
  }
  const load = loadSeconds(memory);
  w0.wait(load).log(`[default_loader.py:267] Loading weights took ${load.toFixed(2)} seconds`);
  w0.wait(1).log(`[gpu_model_runner.py:2653] Model loading took ${memory.weightsGiBPerGpu.toFixed(4)} GiB and ${(load + 1.2).toFixed(6)} seconds`);
  w0.wait(6).log(`[gpu_worker.py:298] Available KV cache memory: ${memory.kvGiBPerGpu.toFixed(2)} GiB`);
  if (memory.kvGiBPerGpu <= 0) return 'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.';
  if (memory.kvCapacityTokens < config.maxModelLen) {
    const needed = (config.maxModelLen * memory.kvBytesPerTokenPerGpu) / 1024 ** 3;
    const estimated = Math.floor(memory.kvCapacityTokens / 16) * 16;
    return `ValueError: To serve at least one request with the models's max seq len (${config.maxModelLen}), (${needed.toFixed(2)} GiB KV cache is needed, which is larger than the available KV cache memory (${memory.kvGiBPerGpu.toFixed(2)} GiB). Based on the available memory, the estimated maximum model length is ${estimated}. Try increasing \`gpu_memory_utilization\` or decreasing \`max_model_len\` when initializing the engine.`;
  }
  return undefined;
}

export function vllmStartup(api: EventList, config: SimEngineConfig, memory: MemoryPlan, facts: { fp8OnAmpere: boolean }): LaunchPlan {
  const pid = process.pid;
  const { modelArg, tp, pp, dp } = config;
  api.log(config.chunkedPrefill ? `[scheduler.py:205] Chunked prefill is enabled with max_num_batched_tokens=${config.tokenBudget}.` : '[scheduler.py:205] Chunked prefill is disabled.');
  if (config.cudaGraphMaxBatch === 0) api.log('[__init__.py:3795] Cudagraph is disabled under eager mode', 'WARNING');
  // vLLM binds the API socket before the engine starts (research/engines.md §2).
  api.mark('bind');
  const core = new EventList((now, text, tag) => vllmLine(`EngineCore_DP0 pid=${pid + 1}`, now, tag, text));
  core.t = api.t + 2;
  core.log('[core.py:644] Waiting for init message from front-end.');
  const spec = config.speculative ? `{'method': '${config.speculative.method}', 'num_spec_tokens': ${config.speculative.draftTokens}}` : 'None';
  core.log(
    `[core.py:77] Initializing a V1 LLM engine (v${config.version}) with config: model='${modelArg}', speculative_config=${spec}, tokenizer='${modelArg}', dtype=torch.bfloat16, max_seq_len=${config.maxModelLen}, tensor_parallel_size=${tp}, pipeline_parallel_size=${pp}, data_parallel_size=${dp}, quantization=${config.fp8 ? 'fp8' : 'None'}, enforce_eager=${config.cudaGraphMaxBatch === 0 ? 'True' : 'False'}, kv_cache_dtype=${config.kvDtypeBytes === 1 ? 'fp8' : 'auto'}, served_model_name=${config.servedModelName}, enable_prefix_caching=${config.prefixCaching ? 'True' : 'False'}, chunked_prefill_enabled=${config.chunkedPrefill ? 'True' : 'False'}`,
  );
  const w0 = new EventList((now, text, tag) => vllmLine(`Worker_TP0 pid=${pid + 2}`, now, tag, text));
  w0.t = core.t + 3;
  w0.log(`[parallel_state.py:1208] rank 0 in world size ${tp * pp * dp} is assigned as DP rank 0, PP rank 0, TP rank 0, EP rank 0`);
  w0.log(`[cuda.py:366] Using ${BACKEND_NAMES[config.attentionBackend] ?? config.attentionBackend} backend on V1 engine.`);
  w0.log(`[gpu_model_runner.py:2602] Starting to load model ${modelArg}...`);
  const failure = workerFailure(config, memory, w0, facts.fp8OnAmpere);
  if (failure) return crashPlan(config, memory, [api, core], w0, [failure]);
  core.t = w0.t + 0.5;
  core.log(`[kv_cache_utils.py:1087] GPU KV cache size: ${memory.kvCapacityTokens.toLocaleString('en-US')} tokens`);
  core.log(`[kv_cache_utils.py:1091] Maximum concurrency for ${config.maxModelLen.toLocaleString('en-US')} tokens per request: ${(memory.kvCapacityTokens / config.maxModelLen).toFixed(2)}x`);
  if (config.cudaGraphMaxBatch > 0) {
    const graphs = Math.ceil(config.cudaGraphMaxBatch / 8) + 3;
    w0.t = core.t;
    w0.log(`[gpu_model_runner.py:3402] Capturing CUDA graphs (mixed prefill-decode, PIECEWISE) for ${graphs} batch sizes`);
    w0.wait(12).log(`[gpu_model_runner.py:3480] Graph capturing finished in 12 secs, took ${memory.cudaGraphGiBPerGpu.toFixed(2)} GiB`);
    w0.log(`[gpu_model_runner.py:3434] Captured ${graphs} CUDA graphs for sizes up to ${config.cudaGraphMaxBatch}`);
    core.t = w0.t;
  }
  core.wait(1).log(`[core.py:210] init engine (profile, create kv cache, warmup model) took ${(core.t - 5).toFixed(2)} seconds`);
  api.t = core.t + 1;
  api.log(`[api_server.py:1634] Supported_tasks: ['generate']`);
  api.log(`[api_server.py:1912] Starting vLLM API server 0 on http://${config.host}:${config.port}`);
  api.log('[launcher.py:34] Available routes are:');
  for (const route of ROUTES) api.log(`[launcher.py:42] Route: ${route}, Methods: ${route.startsWith('/v1/c') || route.includes('tokenize') || route.startsWith('/reset') ? 'POST' : 'GET'}`);
  api.raw(`INFO:     Started server process [${pid}]`, 'stdout');
  api.raw('INFO:     Waiting for application startup.', 'stdout');
  api.mark('serve').mark('ready');
  api.raw('INFO:     Application startup complete.', 'stdout');
  const events = [...api.events, ...core.events, ...w0.events].sort((a, b) => a.at - b.at);
  return { engine: 'vllm', config, memory, events, bindFailure: ['OSError: [Errno 98] Address already in use'] };
}
