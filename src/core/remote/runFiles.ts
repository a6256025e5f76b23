// A run's files on its host, the layer under the run supervisor (runs.ts): where they are (the work dir,
// <workDir>/runs/<id>/, run ids), the run.json record, and the probe that reads a run's liveness and new log bytes in
// one round trip.
import { randomBytes } from 'node:crypto';
import { EngineRun, type EngineName, type HostSpec } from '../plan/schema';
import type { Transport } from './transport';

export class EngineRunError extends Error {}

// ---------------------------------------------------------------- host paths

const homes = new WeakMap<Transport, Promise<string>>();

/** The host user's home directory (asked once per transport). */
export function remoteHome(transport: Transport): Promise<string> {
  let home = homes.get(transport);
  if (!home) {
    home = transport.exec(['sh', '-c', 'printf %s "$HOME"']).then((r) => {
      if (r.exitCode !== 0 || !r.stdout.startsWith('/')) throw new EngineRunError(`${transport.description}: cannot find the home directory ($HOME is "${r.stdout}")`);
      return r.stdout;
    });
    home.catch(() => homes.delete(transport));
    homes.set(transport, home);
  }
  return home;
}

/** The host's work dir as an absolute path (`~/` expanded on the host). */
export async function workDirOf(transport: Transport, host: HostSpec): Promise<string> {
  const dir = host.workDir;
  if (dir === '~') return remoteHome(transport);
  if (dir.startsWith('~/')) return `${await remoteHome(transport)}/${dir.slice(2)}`;
  if (!dir.startsWith('/')) throw new EngineRunError(`host ${host.name}: workDir "${dir}" must be absolute or start with ~/`);
  return dir;
}

export const runDirOf = (workDir: string, id: string) => `${workDir}/runs/${id}`;

export function checkRunId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new EngineRunError(`"${id}" is not a run id: run ids look like vllm-20251020-091200-ab12`);
}

export function newRunId(engine: EngineName): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${engine}-${t}-${randomBytes(2).toString('hex')}`;
}

/** Prints "exit N" | "alive" | "gone", then "size N", then the log bytes from offset $2 up to that size. */
const PROBE = `dir=$1; off=$2
if [ -f "$dir/exit" ]; then echo "exit $(cat "$dir/exit")"
elif pid=$(cat "$dir/pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo alive
else echo gone; fi
size=$(wc -c < "$dir/engine.log" 2>/dev/null || echo 0); size=$((size+0))
echo "size $size"
if [ "$size" -gt "$off" ]; then tail -c +$((off+1)) "$dir/engine.log" | head -c $((size-off)); fi`;

// ---------------------------------------------------------------- probe

export type Liveness = { state: 'alive' } | { state: 'exited'; exitCode: number | null } | { state: 'gone' };

export interface Probe {
  liveness: Liveness;
  size: number;
  text: string;
}

export function parseLiveness(word: string): Liveness {
  if (word === 'alive') return { state: 'alive' };
  if (word.startsWith('exit ')) {
    const code = Number(word.slice(5));
    return { state: 'exited', exitCode: Number.isInteger(code) ? code : null };
  }
  return { state: 'gone' };
}

export async function probeRun(transport: Transport, runDir: string, offset: number, signal?: AbortSignal): Promise<Probe | undefined> {
  let r;
  try {
    r = await transport.exec(['sh', '-c', PROBE, 'sh', runDir, String(offset)], { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    return undefined; // connection trouble: the caller tries again (the transport reconnects)
  }
  if (r.connectionLost || r.exitCode !== 0) return undefined;
  const first = r.stdout.indexOf('\n');
  const second = r.stdout.indexOf('\n', first + 1);
  const size = Number(r.stdout.slice(first + 1, second).replace(/^size /, ''));
  return { liveness: parseLiveness(r.stdout.slice(0, first)), size, text: r.stdout.slice(second + 1) };
}

// ---------------------------------------------------------------- run records

export async function readRun(transport: Transport, runDir: string, id: string, hostName: string): Promise<EngineRun> {
  let text: string;
  try {
    text = await transport.readFile(`${runDir}/run.json`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EngineRunError(`no engine run "${id}" on ${hostName} (looked for ${runDir}/run.json): see \`serving-lab engine list --host ${hostName}\``);
    }
    throw new EngineRunError(`cannot read run ${id} on ${hostName}: ${(err as Error).message}`);
  }
  return EngineRun.parse(JSON.parse(text));
}

export async function saveRun(transport: Transport, run: EngineRun): Promise<void> {
  await transport.writeFile(`${run.runDir}/run.json`, `${JSON.stringify(run, null, 2)}\n`);
}

export const nowIso = () => new Date().toISOString();

export function splitLines(buffer: { partial: string }, text: string): string[] {
  const all = (buffer.partial + text).split('\n');
  buffer.partial = all.pop() ?? '';
  return all;
}
