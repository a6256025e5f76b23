// The startup log of an SGLang scheduler from a resolved config: weights, KV pool, CUDA graphs, the summary line,
// then uvicorn and the warmup request; or the scheduler's crash (research/engines.md §4).
import type { MemoryPlan, SimEngineConfig } from '../../config';
import { supportsFp8 } from '../../gpus';
import { EventList, failedPlan, loadSeconds, pad, type LaunchPlan } from '../launch';

const TAG = 'TP0';

export const sglangStamp = (d: Date): string => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

/** A scheduler process died: its exception, then the launcher noticing. */
export function schedulerCrash(log: EventList, tag: string, lines: string[], footer = 'Received sigquit from a child process. It usually means the child failed.'): string {
  log.log('Scheduler hit an exception: Traceback (most recent call last):', tag, 'stderr');
  log.raw('  File "/sgl-workspace/sglang/python/sglang/srt/managers/scheduler.py", line 2853, in run_scheduler_process');
  for (const l of lines) log.raw(l);
  log.raw(footer);
  return lines[lines.length - 1]!;
}


function crash(log: EventList, config: SimEngineConfig, memory: MemoryPlan, lines: string[]): LaunchPlan {
  const rootCause = schedulerCrash(log, TAG, lines);
  return { ...failedPlan('sglang', log, rootCause), config, memory };
}

export function sglangStartup(log: EventList, config: SimEngineConfig, memory: MemoryPlan): LaunchPlan {
  const { gpu } = config;
  const bindFailure = [`[${sglangStamp(new Date())}] ERROR:    [Errno 98] error while attempting to bind on address ('${config.host}', ${config.port}): address already in use`];
  // What torch sees free once the distributed runtime is up: the GPU less what other processes hold.
  const freeAtStart = gpu.usableGiB - (config.heldGiBPerGpu ?? 0) - 0.8;
  const freeAfterStatic = (freeAtStart + 0.8) * (1 - config.memoryFraction);
  log.wait(3).log('Init torch distributed begin.', TAG, 'stderr');
  log.wait(2).log(`Load weight begin. avail mem=${freeAtStart.toFixed(2)} GB`, TAG, 'stderr');
  if (memory.weightsGiBPerGpu > freeAtStart - 0.2) {
    log.wait(loadSeconds(memory) * 0.8);
    return crash(log, config, memory, [`torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.27 GiB. GPU 0 has a total capacity of ${gpu.usableGiB.toFixed(2)} GiB of which 412.00 MiB is free.`]);
  }
  const load = loadSeconds(memory);
  log.wait(load).log(`Load weight end. elapsed=${load.toFixed(2)} s, type=${config.model.architecture}, dtype=torch.bfloat16, avail mem=${(freeAtStart - memory.weightsGiBPerGpu).toFixed(2)} GB, mem usage=${memory.weightsGiBPerGpu.toFixed(2)} GB.`, TAG, 'stderr');
  if (memory.kvCapacityTokens <= 0) return crash(log, config, memory, ['RuntimeError: Not enough memory. Please try to increase --mem-fraction-static.']);
  const kvSideGb = (memory.kvCapacityTokens * memory.kvBytesPerTokenPerGpu) / 2 / 1024 ** 3;
  log.wait(1).log(`KV Cache is allocated. #tokens: ${memory.kvCapacityTokens}, K size: ${kvSideGb.toFixed(2)} GB, V size: ${kvSideGb.toFixed(2)} GB`, TAG, 'stderr');
  if (config.fp8 && !supportsFp8(gpu)) {
    log.wait(3).log(`Capture cuda graph begin. This can take up to several minutes. avail mem=${freeAfterStatic.toFixed(2)} GB`, TAG, 'stderr');
    return crash(log, config, memory, [
      '  File "/usr/local/lib/python3.12/dist-packages/triton/compiler/compiler.py", line 300, in compile',
      "    type fp8e4nv not supported in this architecture. The supported fp8 dtypes are ('fp8e4b15', 'fp8e5')",
      'AssertionError: fp8e4nv data type is not supported on CUDA arch < 89',
    ]);
  }
  if (config.cudaGraphMaxBatch > 0) {
    const seconds = 10 + config.cudaGraphMaxBatch / 64;
    log.wait(1).log(`Capture cuda graph begin. This can take up to several minutes. avail mem=${freeAfterStatic.toFixed(2)} GB`, TAG, 'stderr');
    log.wait(seconds).log(`Capture cuda graph end. Time elapsed: ${seconds.toFixed(2)} s. mem usage=${memory.cudaGraphGiBPerGpu.toFixed(2)} GB. avail mem=${(freeAfterStatic - memory.cudaGraphGiBPerGpu).toFixed(2)} GB.`, TAG, 'stderr');
  }
  log.wait(1).log(
    `max_total_num_tokens=${memory.kvCapacityTokens}, chunked_prefill_size=${config.tokenBudget}, max_prefill_tokens=${config.maxPrefillTokens}, max_running_requests=${config.maxRunning}, context_len=${config.maxModelLen}, available_gpu_mem=${(freeAfterStatic - memory.cudaGraphGiBPerGpu).toFixed(2)} GB`,
    TAG,
    'stderr',
  );
  // SGLang binds only after the model is loaded, so a busy port costs a full load (research/engines.md §4.2).
  log.wait(1).mark('bind');
  log.raw(`INFO:     Started server process [${process.pid}]`).raw('INFO:     Waiting for application startup.').raw('INFO:     Application startup complete.');
  log.raw(`INFO:     Uvicorn running on http://${config.host}:${config.port} (Press CTRL+C to quit)`);
  log.mark('serve');
  log.wait(2).raw('INFO:     127.0.0.1:45678 - "GET /get_model_info HTTP/1.1" 200 OK');
  log.log('Prefill batch. #new-seq: 1, #new-token: 6, #cached-token: 0, token usage: 0.00, #running-req: 0, #queue-req: 0,', TAG, 'stderr');
  log.wait(1).raw('INFO:     127.0.0.1:45684 - "POST /generate HTTP/1.1" 200 OK');
  log.mark('ready');
  log.log('The server is fired up and ready to roll!', '', 'stderr');
  return { engine: 'sglang', config, memory, events: log.events, bindFailure };
}
