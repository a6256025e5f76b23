// A simulated engine process: plays the launch plan's log lines at their (speedup-scaled) times, binds the port
// when the engine would, serves HTTP once ready, records its GPU memory for the nvidia-smi shim, and shuts down
// cleanly on SIGTERM like the engines' uvicorn servers do.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { LaunchPlan } from './engines/index';
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

/** One running simulated engine, as the nvidia-smi shim reads it. */
export interface GpuClaim {
  pid: number;
  engine: string;
  processName: string;
  gpuIndices: number[];
  memoryUsedMiB: number;
  /** 0-100, over the last second. */
  utilization: number;
  updatedAt: number;
}

export const claimsDir = (stateDir: string) => join(stateDir, 'engines');

/** Waits `ms`, or less when `signal` aborts: the caller checks the signal itself. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => delay(Math.max(0, ms), undefined, { signal }).catch(() => undefined);

export async function runSimEngine(plan: LaunchPlan, io: EngineIo): Promise<number> {
  const config = plan.config;
  const speedup = config?.speedup ?? 1;
  const write = (stream: 'stdout' | 'stderr', text: string) => (stream === 'stdout' ? io.stdout(`${text}\n`) : io.stderr(`${text}\n`));
  const started = Date.now();
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
