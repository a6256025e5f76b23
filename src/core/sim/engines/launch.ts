// What every simulated engine front end produces: a launch plan — the engine config plus the timed log lines the real
// engine prints on its way to ready, or to the crash a real GPU host would give (research/engines.md §1, §4).
import type { MemoryPlan, SimEngineConfig, SimEngineKind } from '../config';
import type { GpuSpec } from '../gpus';
import type { HostProfile } from '../hostProfile';
import { modelNotFoundHint, type ModelLookup, type ModelSpec } from '../models';

export interface SimHost {
  gpu: GpuSpec;
  count: number;
  speedup: number;
  /** Model configs this host has besides the catalog and its Hugging Face cache (`sim predict --model-config`). */
  models?: readonly ModelSpec[];
  /** The host's hidden deviations from the simulator's defaults (`sim:GPU:COUNT?profile=FILE`). */
  profile?: HostProfile;
  /** Numbers this launch, so a profile's noise is reproducible; absent: a random draw. */
  launch?: number;
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

export interface PlanOptions {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string | undefined;
  /** MiB other processes hold on each of these GPUs (the simulated host's ledger); engines that size from free memory read it. */
  memoryHeldMiB?: (gpuIndices: readonly number[]) => number[];
}

export const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Log lines in order of planned time; `log` lines get the engine's prefix and timestamp when printed. */
export class EventList {
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

/** A plan that ends at `list`'s current time with exit `exitCode`, `rootCause` being the line that explains why. */
export function failedPlan(engine: SimEngineKind, list: EventList, rootCause: string, exitCode = 1): LaunchPlan {
  return { engine, events: list.exit(exitCode).events, bindFailure: [], crash: { rootCause, exitCode } };
}

export const simulatedNotice = (host: SimHost): string =>
  `SIMULATED ENGINE on a simulated ${host.count}x ${host.gpu.id} host (serving-lab sim), real-time speedup ${host.speedup}x: timings are modelled, not measured.`;

export function pythonRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `'${k}': ${pythonRepr(v)}`).join(', ')}}`;
  return String(value);
}

/** The line after the engine's own "unknown model" error: how to give the simulator the model's config. */
export const notInCatalog = (model: string, env: Readonly<Record<string, string | undefined>>): string => modelNotFoundHint(model, { env });

/** Where a simulated engine on this host finds models: explicit configs, the catalog, the host's paths and HF cache. */
export const modelLookup = (host: SimHost, env: Readonly<Record<string, string | undefined>>): ModelLookup => ({ ...(host.models ? { models: host.models } : {}), env });

/** The config fields every engine fills alike: the host it runs on, the model, where it listens (by its own defaults). */
export function servingFields(
  engine: SimEngineKind,
  version: string,
  host: SimHost,
  model: { arg: string; spec: ModelSpec },
  v: Record<string, unknown>,
  listen: { host: string; port: number },
): Pick<SimEngineConfig, 'engine' | 'version' | 'gpu' | 'gpuCount' | 'speedup' | 'modelArg' | 'model' | 'servedModelName' | 'host' | 'port'> {
  // vLLM's --served-model-name takes several names (the first is reported); SGLang's and TRT-LLM's one.
  const served = v['served_model_name'] as string | string[] | undefined;
  return {
    engine,
    version,
    gpu: host.gpu,
    gpuCount: host.count,
    speedup: host.speedup,
    modelArg: model.arg,
    model: model.spec,
    servedModelName: (Array.isArray(served) ? served[0] : served) ?? model.arg,
    host: (v['host'] as string | undefined) ?? listen.host,
    port: (v['port'] as number | undefined) ?? listen.port,
  };
}

/** Seconds to read the weights (page cache / NVMe at ~2 GB/s per GPU) and to warm up; scales with model size. */
export const loadSeconds = (memory: MemoryPlan): number => memory.weightsGiBPerGpu / 1.9;

/** The GPUs an engine of `count` devices takes: CUDA_VISIBLE_DEVICES order when set. */
export function gpuIndices(count: number, env: Readonly<Record<string, string | undefined>>): number[] {
  const visible = env['CUDA_VISIBLE_DEVICES']?.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n));
  const pool = visible && visible.length > 0 ? visible : Array.from({ length: count }, (_, i) => i);
  return pool.slice(0, count);
}
