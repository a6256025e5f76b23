// A simulated engine process: plays the launch plan's log lines at their (speedup-scaled) times, binds the port
// when the engine would, serves HTTP once ready, records its GPU memory for the nvidia-smi shim, and shuts down
// cleanly on SIGTERM like the engines' uvicorn servers do.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { LaunchPlan } from './engines/index';
import { claimsDir, memoryHeldByOthers, type GpuClaim } from './nvidiaSmi';
import { RealtimeEngine } from './realtime';
import { createSimServer, type ServerState } from './server';

export interface EngineIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborted on SIGTERM/SIGINT: shut down. */
  signal: AbortSignal;
  /** Where the nvidia-smi shim reads which simulated GPUs are in use. */
  stateDir?: string;
}

/** Waits `ms`, or less when `signal` aborts: the caller checks the signal itself. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => delay(Math.max(0, ms), undefined, { signal }).catch(() => undefined);

export async function runSimEngine(plan: LaunchPlan, io: EngineIo): Promise<number> {
  const config = plan.config;
  const speedup = config?.speedup ?? 1;
  const write = (stream: 'stdout' | 'stderr', text: string) => (stream === 'stdout' ? io.stdout(`${text}\n`) : io.stderr(`${text}\n`));
  const started = Date.now();
  const refusal = io.stateDir ? memoryTakenRefusal(plan, io.stateDir) : undefined;
  if (refusal) {
    for (const line of refusal) write('stderr', line);
    return 1;
  }
  let server: http.Server | undefined;
  let engine: RealtimeEngine | undefined;
  const state: ServerState = { ready: false };
  let serving = false;
  let claimFile: string | undefined;
  let claimTimer: NodeJS.Timeout | undefined;

  const writeClaim = (utilization: number) => {
    if (!claimFile || !config || !plan.memory) return;
    const m = plan.memory;
    const usedGiB = m.weightsGiBPerGpu + Math.max(0, m.kvGiBPerGpu) + m.cudaGraphGiBPerGpu + m.activationGiBPerGpu + 0.6;
    const claim: GpuClaim = {
      pid: process.pid,
      engine: config.engine,
      processName: config.engine === 'sglang' ? 'sglang::scheduler' : config.engine === 'vllm' ? 'VLLM::Worker' : 'trtllm-serve',
      gpuIndices: config.gpuIndices,
      memoryUsedMiB: Math.round(usedGiB * 1024),
      utilization,
      updatedAt: Date.now(),
    };
    try {
      writeFileSync(claimFile, JSON.stringify(claim));
    } catch {
      // The state directory vanished (host torn down): nothing to report to.
    }
  };
  const removeClaim = () => {
    if (claimTimer) clearInterval(claimTimer);
    if (claimFile) rmSync(claimFile, { force: true });
    claimFile = undefined;
  };
  if (io.stateDir && config) {
    mkdirSync(claimsDir(io.stateDir), { recursive: true });
    claimFile = join(claimsDir(io.stateDir), `${process.pid}.json`);
    writeClaim(0);
    let lastBusy = 0;
    claimTimer = setInterval(() => {
      const busy = engine?.busyMs() ?? 0;
      writeClaim(Math.min(100, Math.round(((busy - lastBusy) / 1000) * 100)));
      lastBusy = busy;
    }, 1000);
    claimTimer.unref();
  }
  process.once('exit', removeClaim);

  const shutdown = async (): Promise<number> => {
    if (config?.engine === 'vllm') write('stdout', 'INFO:     Shutting down');
    write(config?.engine === 'vllm' ? 'stdout' : 'stderr', 'INFO:     Waiting for application shutdown.');
    write(config?.engine === 'vllm' ? 'stdout' : 'stderr', 'INFO:     Application shutdown complete.');
    write(config?.engine === 'vllm' ? 'stdout' : 'stderr', `INFO:     Finished server process [${process.pid}]`);
    engine?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
    removeClaim();
    return 0;
  };

  for (const event of plan.events) {
    await sleep(started + (event.at * 1000) / speedup - Date.now(), io.signal);
    if (io.signal.aborted) return shutdown();
    switch (event.kind) {
      case 'log':
        write(event.stream, event.render ? event.render(new Date()) : event.text);
        break;
      case 'exit':
        // A crash after the port was bound (vLLM binds early): the socket goes with the process.
        engine?.close();
        if (server) {
          server.closeAllConnections();
          server.close();
        }
        removeClaim();
        return event.code;
      case 'bind': {
        if (!config) break;
        engine = new RealtimeEngine(config, (line) => write(config.engine === 'vllm' ? 'stdout' : 'stderr', formatRuntimeLine(config.engine, line)));
        server = createSimServer(config, engine, state);
        // Until the engine serves, connections are dropped: vLLM's socket is bound but uvicorn is not answering yet.
        server.on('connection', (socket) => {
          if (!serving) socket.destroy();
        });
        const bound = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
          server!.once('error', resolve);
          server!.listen(config.port, config.host === 'localhost' ? '127.0.0.1' : config.host, () => resolve(undefined));
        });
        if (bound) {
          for (const line of bound.code === 'EADDRINUSE' ? plan.bindFailure : [`OSError: [Errno 99] ${bound.message}`]) write('stderr', line);
          engine.close();
          removeClaim();
          return 1;
        }
        break;
      }
      case 'serve':
        serving = true;
        break;
      case 'ready':
        state.ready = true;
        break;
    }
  }
  if (!server) {
    removeClaim();
    return 1;
  }
  while (!io.signal.aborted) await sleep(2 ** 31 - 1, io.signal);
  return shutdown();
}

const pad = (n: number) => String(n).padStart(2, '0');

function formatRuntimeLine(engine: string, line: string): string {
  const d = new Date();
  if (engine === 'vllm') return `(APIServer pid=${process.pid}) INFO ${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} [loggers.py:123] ${line}`;
  if (engine === 'sglang') return `[${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} TP0] ${line}`;
  return `[TRT-LLM] [I] ${line}`;
}

/**
 * The engines' start-up checks against GPU memory other processes hold (research/engines.md §4.2), read from the
 * simulated GPUs' ledger. vLLM refuses when a GPU's free memory is below gpu_memory_utilization × total; SGLang when
 * its TP ranks see unbalanced memory (its KV pool, a fraction of what is free minus the weights, is planned smaller).
 * TensorRT-LLM sizes its KV cache from what is free, so it only fails when the weights do not fit.
 */
function memoryTakenRefusal(plan: LaunchPlan, stateDir: string): string[] | undefined {
  const { config, memory } = plan;
  if (!config || !memory) return undefined;
  const held = memoryHeldByOthers(stateDir, config.gpuIndices, process.pid);
  if (held.every((mib) => mib === 0)) return undefined;
  const total = config.gpu.usableGiB;
  const free = held.map((mib) => Math.max(0, total - mib / 1024));
  const gib = (x: number) => x.toFixed(2);
  if (config.engine === 'vllm') {
    const wanted = config.memoryFraction * total;
    const rank = free.findIndex((f) => f < wanted);
    if (rank < 0) return undefined;
    return [
      `(EngineCore_DP0 pid=${process.pid}) ERROR [core.py:708] EngineCore failed to start.`,
      `ValueError: Free memory on device cuda:${rank} (${gib(free[rank]!)}/${gib(total)} GiB) on startup is less than desired GPU memory utilization (${config.memoryFraction}, ${gib(wanted)} GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.`,
      `(APIServer pid=${process.pid}) RuntimeError: Engine core initialization failed. See root cause above. Failed core proc(s): {}`,
    ];
  }
  const least = Math.min(...free);
  if (config.engine === 'sglang') {
    const local = free[0]!;
    if (config.tp > 1 && least < local * 0.9) {
      return [`RuntimeError: The memory capacity is unbalanced. Some GPUs may be occupied by other processes. min_per_gpu_memory=${least}, local_gpu_memory=${local}, local_gpu_memory * 0.9=${local * 0.9}`];
    }
    // The KV pool is sized from the memory free at start (config.heldGiBPerGpu): the plan itself shrinks it, or ends
    // in SGLang's "Not enough memory" when nothing is left.
    return undefined;
  }
  if (least >= memory.weightsGiBPerGpu + 1) return undefined;
  return [`torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.27 GiB. GPU 0 has a total capacity of ${gib(total)} GiB of which ${gib(least)} GiB is free.`];
}
