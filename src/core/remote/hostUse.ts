// Sharing a GPU host (issue 16): which process holds the host (a lock file on the host while an experiment or an
// engine start runs), and whether the GPUs a launch needs have the memory it will claim. Two experiments on one host
// would otherwise stop each other's engines or launch into memory another engine holds, and on a real GPU the
// second launch fails out of memory and is recorded as a crash of a valid variant.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { EngineName, EngineRun, HostSpec } from '../plan/schema';
import type { Transport } from './transport';

// ---------------------------------------------------------------- processes

/** A process as another one can check it: a pid is reused, a pid with its start time is not. */
export interface ProcessIdentity {
  pid: number;
  /** The machine (os.hostname()) the process runs on. */
  machine: string;
  /** When the process started (ms since the epoch). */
  processStartMs: number;
  /** When it took what it holds. */
  since: string;
}

export function thisProcess(): ProcessIdentity {
  return { pid: process.pid, machine: hostname(), processStartMs: Math.round(Date.now() - process.uptime() * 1000), since: new Date().toISOString() };
}

export const sameProcess = (a: ProcessIdentity, b: ProcessIdentity) => a.pid === b.pid && a.machine === b.machine && Math.abs(a.processStartMs - b.processStartMs) < 5000;

/** Start time of a local process from /proc (Linux); undefined without /proc. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, clock ticks since boot), counted after the ")" that ends the command name.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootS = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    return Number.isFinite(ticks) && Number.isFinite(bootS) ? bootS * 1000 + ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

export type Holder = { state: 'live' } | { state: 'gone'; why: string } | { state: 'elsewhere' };

/** Whether a process still runs. Only this machine's processes can be checked; another machine's is "elsewhere". */
export function processHolder(p: ProcessIdentity): Holder {
  if (p.machine !== hostname()) return { state: 'elsewhere' };
  try {
    process.kill(p.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return { state: 'gone', why: `process ${p.pid} has ended` };
  }
  const started = processStartMs(p.pid);
  // /proc counts whole boot seconds and clock ticks: some slack.
  if (started !== undefined && Math.abs(started - p.processStartMs) > 5000) return { state: 'gone', why: `pid ${p.pid} now belongs to another process` };
  return { state: 'live' };
}

/** "process 123 on this machine (since …)" */
export function describeProcess(p: ProcessIdentity): string {
  return `process ${p.pid} on ${p.machine === hostname() ? 'this machine' : p.machine} (since ${p.since})`;
}

/** How to stop a process that holds something, as the end of a sentence. */
export function howToStop(p: ProcessIdentity): string {
  return `stop it with Ctrl-C in its terminal or \`kill -INT ${p.pid}\`${p.machine === hostname() ? '' : ` on ${p.machine}`} (it saves what it measured and stops its engines)`;
}

export function parseIdentity(text: string): ProcessIdentity | undefined {
  try {
    const o = JSON.parse(text) as Partial<ProcessIdentity>;
    if (typeof o.pid === 'number' && typeof o.machine === 'string' && typeof o.processStartMs === 'number' && typeof o.since === 'string') return o as ProcessIdentity;
  } catch {
    // torn or foreign
  }
  return undefined;
}

// ---------------------------------------------------------------- the host lock

export class HostBusyError extends Error {}

interface LockRecord extends ProcessIdentity {
  /** What holds the host, e.g. "tune x-20261207-101010-ab12" or "engine start". */
  what: string;
}

/** Prints "acquired", or "held" and the holder's record. noclobber makes the create exclusive (O_EXCL). */
const ACQUIRE = `f=$1; mkdir -p "\${f%/*}" || exit 3
if ( set -C; printf '%s\\n' "$2" > "$f" ) 2>/dev/null; then echo acquired; else echo held; cat "$f" 2>/dev/null; fi`;
/** Removes the lock only while it still holds $2 (a lock taken over meanwhile is someone else's). */
const RELEASE = `[ "$(cat "$1" 2>/dev/null)" = "$2" ] && rm -f "$1"; exit 0`;

/** Locks this process holds, by transport and path: an experiment's engine starts run under the experiment's lock. */
const held = new WeakMap<Transport, Map<string, number>>();

export interface HostLock {
  release(): Promise<void>;
}

/**
 * Takes the host for `what` until release(): a lock file in the host's work dir, created exclusively. Held by a live
 * process, it refuses with who holds it and how to stop that; held by a process that ended (killed with -9), it is
 * taken over. Re-entrant within this process.
 */
export async function lockHost(transport: Transport, host: HostSpec, workDir: string, what: string): Promise<HostLock> {
  const path = `${workDir}/host.lock`;
  const mine = held.get(transport) ?? new Map<string, number>();
  held.set(transport, mine);
  const count = mine.get(path) ?? 0;
  const release = async () => {
    const left = (mine.get(path) ?? 1) - 1;
    if (left > 0) return void mine.set(path, left);
    mine.delete(path);
    await transport.exec(['sh', '-c', RELEASE, 'sh', path, record]).catch(() => undefined);
  };
  const record = JSON.stringify({ ...thisProcess(), what } satisfies LockRecord);
  if (count > 0) {
    mine.set(path, count + 1);
    return { release };
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await transport.exec(['sh', '-c', ACQUIRE, 'sh', path, record]);
    const [first, ...rest] = r.stdout.split('\n');
    if (first === 'acquired') {
      mine.set(path, 1);
      return { release };
    }
    if (first !== 'held') throw new HostBusyError(`${host.name}: cannot create the host lock ${path}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    const holderText = rest.join('\n').trim();
    const holder = parseIdentity(holderText) as LockRecord | undefined;
    // This process already holds it through another connection (two pool members sharing one work dir).
    if (holder && sameProcess(holder, thisProcess())) return { release: async () => undefined };
    const state = holder ? processHolder(holder) : { state: 'gone' as const, why: 'its lock file is unreadable' };
    if (holder && state.state === 'live') {
      throw new HostBusyError(`${host.name} is in use by ${holder.what} in ${describeProcess(holder)}: wait for it, or ${howToStop(holder)}`);
    }
    if (holder && state.state === 'elsewhere') {
      throw new HostBusyError(`${host.name} is in use by ${holder.what} in ${describeProcess(holder)}: wait for it, or ${howToStop(holder)}; if that machine no longer uses the host, remove ${path} on ${host.name}`);
    }
    // The holder is gone: remove its lock (only if it is still that one) and try again.
    await transport.exec(['sh', '-c', RELEASE, 'sh', path, holderText]);
  }
  throw new HostBusyError(`${host.name}: the host lock ${path} keeps changing hands; is another tune or engine start starting right now?`);
}

// ---------------------------------------------------------------- GPU memory before a launch

/** Share of each GPU an engine claims when its variant does not say (vLLM's gpu_memory_utilization; SGLang's
 * smallest automatic mem_fraction_static on 80 GB GPUs). TensorRT-LLM takes a fraction of what is free, so it is not
 * checked. */
const DEFAULT_FRACTION: Partial<Record<EngineName, number>> = { vllm: 0.9, sglang: 0.8 };

export interface LaunchNeeds {
  engine: EngineName;
  /** GPU indices the engine will use. */
  gpus: number[];
  /** The variant's memory fraction, if it sets one. */
  fraction?: number;
}

/** The GPUs a launch uses: CUDA_VISIBLE_DEVICES when set, else the first tp·pp·dp. */
export function gpusOf(parallel: { tp: number; pp: number; dp: number } | undefined, env: Record<string, string>): number[] {
  const visible = env['CUDA_VISIBLE_DEVICES'];
  if (visible !== undefined && /^\d+(,\d+)*$/.test(visible.trim())) return visible.trim().split(',').map(Number);
  const world = parallel ? parallel.tp * parallel.pp * parallel.dp : 1;
  return Array.from({ length: world }, (_, i) => i);
}

/** `engine stop` for a run, as the user types it. */
export const stopCommand = (run: EngineRun) => `serving-lab engine stop ${run.id} --host ${run.host}`;

export function describeLiveRuns(runs: readonly EngineRun[]): string {
  return runs.map((r) => `${r.id} (${r.engine} ${r.variant?.model ?? ''}, port ${r.port}, ${r.status.state} since ${r.timings.launchedAt}): \`${stopCommand(r)}\``).join('; ');
}

/**
 * Why a launch would not get the GPU memory it claims, or undefined when it would (or when the host has no
 * nvidia-smi to ask). Names the live engine runs on the host with the command that stops each.
 */
export async function gpuMemoryProblem(transport: Transport, host: HostSpec, needs: LaunchNeeds, live: readonly EngineRun[]): Promise<string | undefined> {
  const fraction = needs.fraction ?? DEFAULT_FRACTION[needs.engine];
  if (fraction === undefined) return undefined;
  const r = await transport.exec(['nvidia-smi', '--query-gpu=index,memory.used,memory.total', '--format=csv,noheader,nounits']).catch(() => undefined);
  if (!r || r.exitCode !== 0) return undefined;
  const short: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const [index, used, total] = line.split(',').map((s) => Number(s.trim()));
    if (index === undefined || used === undefined || total === undefined || !needs.gpus.includes(index) || [index, used, total].some((n) => !Number.isFinite(n))) continue;
    const need = Math.ceil(total * fraction);
    if (total - used < need) short.push(`GPU ${index} has ${total - used} MiB free of ${total} (${used} in use), the ${needs.engine} engine claims ${need} (fraction ${fraction})`);
  }
  if (short.length === 0) return undefined;
  const who = live.length > 0 ? `engine runs still live on ${host.name}: ${describeLiveRuns(live)}` : `no engine run Serving Lab started holds it: see \`nvidia-smi\` on ${host.name}`;
  return `${host.name}: not launching, the GPU memory is taken — ${short.join('; ')}. ${who}`;
}
