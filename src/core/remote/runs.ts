// Detached engine runs on a host. Each run lives in <workDir>/runs/<id>/: run.json (the EngineRun record), engine.log,
// pid (the engine), pgid (its session/process group), exit (its exit code, written when it ends) and command.txt.
// The engine is started under `setsid` with its output in files, so it outlives the SSH connection and the client;
// anyone can re-attach by run id. All shell snippets below are constants that take paths and argv as "$@". A run's
// files and the probe that reads them are in runFiles.ts; this machine's index of the runs it started in runIndex.ts.
import { classifyCrash, hasFatalLine } from '../engines/crash';
import { ADAPTERS, commandLineOf, parseServeCommandDetailed, renderVariant, type RenderedCommand } from '../engines/index';
import { DEFAULT_READINESS_TIMEOUT_S, READINESS } from '../engines/readiness';
import { silentLogger, type Logger } from '../logger';
import { EngineRun, EngineVariant, type Crash, type EngineName, type EngineVariantInput, type HostSpec } from '../plan/schema';
import { describeLiveRuns, gpuMemoryProblem, gpusOf, HostBusyError, lockHost } from './hostUse';
import { httpRequest } from './http';
import { checkRunId, EngineRunError, newRunId, nowIso, parseLiveness, probeRun, readRun, remoteHome, runDirOf, saveRun, splitLines, workDirOf, type Liveness } from './runFiles';
import { recordRun } from './runIndex';
import type { Transport } from './transport';
import type { JobInfo } from './slurm';
import { envArgv } from '../shell';

// ---------------------------------------------------------------- shell snippets (constants; arguments via "$@")

/** Starts "$@" detached: setsid wrapper records pgid/pid, waits for the engine and writes its exit code. */
const LAUNCH = `dir=$1; shift
cd "$dir" || exit 90
setsid sh -c '
dir=$1; shift
echo $$ > "$dir/pgid"
trap "" HUP
trap ":" TERM INT
"$@" < /dev/null >> "$dir/engine.log" 2>&1 &
child=$!
echo "$child" > "$dir/pid"
while :; do
  wait "$child"; code=$?
  kill -0 "$child" 2>/dev/null || break
done
echo "$code" > "$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
' serving-lab-run "$dir" "$@" < /dev/null > /dev/null 2>&1 &
i=0
while [ ! -s "$dir/pid" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
printf '%s %s\\n' "$(cat "$dir/pgid" 2>/dev/null)" "$(cat "$dir/pid" 2>/dev/null)"`;

/** The host's ephemeral port range ("range LOW HIGH"), then "STATE HEXPORT" for every TCP socket (IPv4 and IPv6). */
const PORTS = `awk '{print "range", $1, $2}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$2 ~ /:/ {split($2,a,":"); print $4, a[2]}'`;

/**
 * Stops process group $1: SIGTERM, up to $2 seconds for it to go, then SIGKILL. Uses the shell's own kill
 * (/usr/bin/kill from procps would read "-PGID" as an option). Prints "killed" when SIGKILL was needed and
 * "survived" when even that did not end the group. One round trip, however slow the host's login shell is.
 */
const STOP = `pgid=$1; grace=$2
alive() { kill -s 0 -- "-$pgid" 2>/dev/null; }
alive || exit 0
kill -s TERM -- "-$pgid" 2>/dev/null
i=0; while alive && [ $i -lt $((grace*10)) ]; do sleep 0.1; i=$((i+1)); done
if alive; then
  echo killed
  kill -s KILL -- "-$pgid" 2>/dev/null
  i=0; while alive && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  if alive; then echo survived; fi
fi`;

/** Prints every run.json under <workDir>/runs, each followed by a line with the run's liveness. */
const LIST = `for f in "$1"/runs/*/run.json; do
  [ -f "$f" ] || continue
  d=\${f%/run.json}
  cat "$f"; echo
  if [ -f "$d/exit" ]; then echo "@@serving-lab exit $(cat "$d/exit")"
  elif pid=$(cat "$d/pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "@@serving-lab alive"
  else echo "@@serving-lab gone"; fi
done`;

interface PortUse {
  listening: Set<number>;
  /** Local ports of every TCP socket (connections included: a port held by one cannot be bound). */
  used: Set<number>;
  ephemeral: [number, number];
}

async function portUse(transport: Transport): Promise<PortUse> {
  const r = await transport.exec(['sh', '-c', PORTS]);
  const use: PortUse = { listening: new Set(), used: new Set(), ephemeral: [32768, 60999] };
  for (const line of r.stdout.split('\n')) {
    const [a, b, c] = line.trim().split(/\s+/);
    if (a === 'range') use.ephemeral = [Number(b), Number(c)];
    else if (a && b) {
      const port = parseInt(b, 16);
      use.used.add(port);
      if (a === '0A') use.listening.add(port);
    }
  }
  return use;
}

export async function listeningPorts(transport: Transport): Promise<Set<number>> {
  return (await portUse(transport)).listening;
}

/**
 * A port no socket uses on the host, below the kernel's ephemeral range (outgoing connections take ports from that
 * range at any moment, so a port picked there can be taken before the engine binds it).
 */
async function pickFreePort(transport: Transport): Promise<number> {
  const { used, ephemeral } = await portUse(transport);
  const [low, high] = ephemeral[0] > 12000 ? [10000, ephemeral[0] - 1] : [ephemeral[1] + 1, 65535];
  for (let i = 0; i < 500; i++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!used.has(port)) return port;
  }
  throw new EngineRunError(`${transport.description}: found no free port between ${low} and ${high}`);
}

async function healthy(transport: Transport, engine: EngineName, port: number): Promise<boolean> {
  try {
    const res = await httpRequest(transport, { port, path: READINESS[engine].healthPath, timeoutMs: 5000 });
    return res.status === 200;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- start

export interface StartEngineOptions {
  /** A port on the host; default: a free one. */
  port?: number;
  signal?: AbortSignal;
  /** Every log line of the engine while it starts. */
  onLog?: (line: string) => void;
  /** A Slurm job's queue state whenever it changes while the engine starts (places that are Slurm jobs). */
  onJob?: (job: JobInfo) => void;
  /** Seconds to wait for readiness; default 1800. */
  readinessTimeoutS?: number;
  /** Seconds between readiness probes; default 1. */
  pollIntervalS?: number;
  /** Engine version on the host (from `hosts check`): picks version-dependent spellings. */
  engineVersion?: string;
  log?: Logger;
}

interface LaunchSpec {
  engine: EngineName;
  variant?: EngineVariant;
  argv: string[];
  env: Record<string, string>;
  files: RenderedCommand['files'];
  docker?: { container: string; image: string };
  port: number;
}

async function launchSpec(
  transport: Transport,
  host: HostSpec,
  what: EngineVariant | EngineVariantInput | readonly string[],
  id: (engine: EngineName) => string,
  runDir: (id: string) => string,
  options: StartEngineOptions,
): Promise<LaunchSpec & { id: string }> {
  if (Array.isArray(what)) {
    // A pasted command runs as written; only the engine's bare command name is replaced by the host's install path.
    const argv = [...(what as readonly string[])];
    const parsed = parseServeCommandDetailed(argv);
    const engine = parsed.variant.engine;
    const runId = id(engine);
    let words = argv;
    const env: Record<string, string> = {};
    while (words[0] !== undefined && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) {
      const w = words[0];
      env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
      words = words.slice(1);
    }
    const install = host.engines[engine];
    Object.assign(env, install?.env);
    if (install?.command && !parsed.docker && words[0] === ADAPTERS[engine].defaultCommand[0]) words = [install.command, ...words.slice(1)];
    let port = parsed.port;
    if (port === undefined) {
      port = options.port ?? (parsed.docker ? ADAPTERS[engine].defaultPort : await pickFreePort(transport));
      if (!parsed.docker) words = [...words, '--port', String(port)];
    } else if (options.port !== undefined && options.port !== port) {
      throw new EngineRunError(`the command says --port ${port} but --port ${options.port} was given: drop one of them`);
    }
    return { id: runId, engine, variant: parsed.variant, argv: words, env, files: [], port };
  }
  const variant = EngineVariant.parse(what);
  const runId = id(variant.engine);
  const install = host.engines[variant.engine];
  const port = options.port ?? (await pickFreePort(transport));
  const rendered = renderVariant(variant, {
    port,
    install,
    configDir: runDir(runId),
    containerName: `serving-lab-${runId}`,
    home: install?.docker ? await remoteHome(transport) : undefined,
    engineVersion: options.engineVersion,
  });
  return { id: runId, engine: variant.engine, variant, argv: rendered.argv, env: rendered.env, files: rendered.files, docker: rendered.docker, port };
}

/**
 * Starts an engine detached on the host and waits for its readiness signal. Resolves with the run in state "ready",
 * or "crashed" (with the classified Crash) when it dies, prints a fatal line or misses the readiness timeout (then it
 * is stopped so it holds no GPU). Aborting the signal stops the engine and rejects.
 */
export async function startEngine(
  transport: Transport,
  host: HostSpec,
  variantOrArgv: EngineVariant | EngineVariantInput | readonly string[],
  options: StartEngineOptions = {},
): Promise<EngineRun> {
  const log = options.log ?? silentLogger;
  const workDir = await workDirOf(transport, host);
  const spec = await launchSpec(transport, host, variantOrArgv, newRunId, (id) => runDirOf(workDir, id), options);
  // Held until the engine is ready (or crashed): two starts at once would both see the GPUs free.
  const lock = await lockHost(transport, host, workDir, `engine start ${spec.id}`).catch((err: Error) => {
    throw err instanceof HostBusyError ? new EngineRunError(err.message) : err;
  });
  try {
    await checkGpuRoom(transport, host, spec, log);
    return await launchAndWait(transport, host, workDir, spec, options);
  } finally {
    await lock.release();
  }
}

/**
 * Before a launch: the host's live engine runs, named with the command that stops each, and a refusal when the GPUs
 * the engine uses lack the memory it claims (it would fail out of memory and look like a broken variant).
 */
async function checkGpuRoom(transport: Transport, host: HostSpec, spec: LaunchSpec, log: Logger): Promise<void> {
  const live = (await listEngineRuns(transport, host)).filter((r) => r.status.state === 'starting' || r.status.state === 'ready');
  const fraction = spec.variant?.batching.memFraction;
  const problem = await gpuMemoryProblem(transport, host, { engine: spec.engine, gpus: gpusOf(spec.variant?.parallel, spec.env), ...(fraction !== undefined ? { fraction } : {}) }, live);
  if (problem) throw new EngineRunError(problem);
  if (live.length > 0) log.warn(`${host.name}: engine runs still live (they share the host's GPUs): ${describeLiveRuns(live)}`);
}

async function launchAndWait(transport: Transport, host: HostSpec, workDir: string, spec: LaunchSpec & { id: string }, options: StartEngineOptions): Promise<EngineRun> {
  const log = options.log ?? silentLogger;
  const runDir = runDirOf(workDir, spec.id);
  const commandLine = commandLineOf(spec.argv, spec.env);
  let run: EngineRun = EngineRun.parse({
    schemaVersion: 1,
    id: spec.id,
    host: host.name,
    engine: spec.engine,
    variant: spec.variant,
    argv: spec.argv,
    env: spec.env,
    status: { state: 'starting' },
    port: spec.port,
    runDir,
    logPath: `${runDir}/engine.log`,
    docker: spec.docker,
    engineVersion: options.engineVersion,
    timings: { launchedAt: nowIso() },
  });
  const mk = await transport.exec(['mkdir', '-p', runDir]);
  if (mk.exitCode !== 0) throw new EngineRunError(`cannot create the run directory ${runDir} on ${host.name}: ${mk.stderr.trim() || 'mkdir failed'}; check workDir in the hosts file`);
  for (const f of spec.files) await transport.writeFile(f.path, f.content);
  await transport.writeFile(`${runDir}/command.txt`, `${commandLine}\n`);
  recordRun(spec.id, host.name, runDir, log);

  if ((await listeningPorts(transport)).has(spec.port)) {
    run = {
      ...run,
      status: { state: 'crashed', crash: { reason: 'port-in-use', rootCause: `port ${spec.port} is already in use on ${host.name}: stop what listens there (\`serving-lab engine list --host ${host.name}\`) or pick another --port`, logExcerpt: [] } },
      timings: { ...run.timings, endedAt: nowIso() },
    };
    await saveRun(transport, run);
    return run;
  }
  await saveRun(transport, run);

  const argv = envArgv(spec.env, spec.argv);
  log.info(`${host.name}: starting ${spec.engine} as run ${spec.id} on port ${spec.port}: ${commandLine}`);
  const launched = await transport.exec(['sh', '-c', LAUNCH, 'sh', runDir, ...argv]);
  const [pgid, pid] = launched.stdout.trim().split(/\s+/).map(Number);
  if (launched.exitCode !== 0 || !pid || !pgid) {
    throw new EngineRunError(`${host.name}: could not launch the engine (exit ${launched.exitCode}): ${launched.stderr.trim() || 'no pid recorded'}; is setsid installed on the host (util-linux)?`);
  }
  run = { ...run, pid, pgid };
  await saveRun(transport, run);
  return waitForReady(transport, host, run, options);
}

async function waitForReady(transport: Transport, host: HostSpec, initial: EngineRun, options: StartEngineOptions): Promise<EngineRun> {
  let run = initial;
  const log = options.log ?? silentLogger;
  const timeoutS = options.readinessTimeoutS ?? DEFAULT_READINESS_TIMEOUT_S;
  const pollMs = (options.pollIntervalS ?? 1) * 1000;
  const started = Date.now();
  const lines: string[] = [];
  const buffer = { partial: '' };
  let offset = 0;
  let fatalSince: number | undefined;
  const signal = options.signal;
  const crash = async (c: Crash, stop: boolean): Promise<EngineRun> => {
    if (stop) await stopEngine(transport, host, run.id, { graceS: 10 }).catch((err: Error) => log.warn(`could not stop run ${run.id}: ${err.message}`));
    run = { ...(await readRun(transport, run.runDir, run.id, host.name).catch(() => run)), status: { state: 'crashed', crash: c }, timings: { ...run.timings, endedAt: nowIso() } };
    await saveRun(transport, run);
    log.warn(`${host.name}: run ${run.id} crashed (${c.reason}): ${c.rootCause}`);
    return run;
  };
  const readyLine = READINESS[run.engine].readyLine;
  for (;;) {
    if (signal?.aborted) {
      log.warn(`${host.name}: start of run ${run.id} interrupted: stopping the engine`);
      await stopEngine(transport, host, run.id, { graceS: 10 });
      throw signal.reason instanceof Error ? signal.reason : new EngineRunError('interrupted');
    }
    const p = await probeRun(transport, run.runDir, offset, signal);
    // No answer: a connection blip is retried on the next poll; a host that is gone ends the start now (a pool then
    // starts the variant on another host) instead of at the readiness timeout.
    if (!p && transport.probe && !(await transport.probe())) throw new EngineRunError(`${host.name} stopped answering while run ${run.id} started: the host accepts no new connection`);
    if (p) {
      offset = p.size;
      for (const line of splitLines(buffer, p.text)) {
        lines.push(line);
        options.onLog?.(line);
      }
      if (lines.length > 5000) lines.splice(0, lines.length - 5000);
      const sawReadyLine = readyLine !== undefined && lines.some((l) => readyLine.test(l));
      if (p.liveness.state !== 'alive') {
        const exitCode = p.liveness.state === 'exited' ? p.liveness.exitCode : null;
        const all = buffer.partial ? [...lines, buffer.partial] : lines;
        // The main process is gone, but workers of its group may linger holding GPU memory: stop the group too.
        return crash({ ...classifyCrash(all, { exitCode }), exitCode }, true);
      }
      if (sawReadyLine || (await healthy(transport, run.engine, run.port))) {
        const readyAt = nowIso();
        run = { ...run, status: { state: 'ready' }, timings: { ...run.timings, readyAt, startupSeconds: (Date.now() - Date.parse(run.timings.launchedAt)) / 1000 } };
        await saveRun(transport, run);
        log.info(`${host.name}: run ${run.id} is ready on port ${run.port} after ${run.timings.startupSeconds!.toFixed(1)} s`);
        return run;
      }
      // A fatal line while the process lingers (other ranks still tearing down): give it a moment to exit on its own.
      if (hasFatalLine(lines)) {
        fatalSince ??= Date.now();
        if (Date.now() - fatalSince > 15_000) return crash(classifyCrash(lines), true);
      }
    }
    if ((Date.now() - started) / 1000 > timeoutS) {
      return crash({ reason: 'readiness-timeout', rootCause: `not ready after ${timeoutS} s (no ${READINESS[run.engine].healthPath} 200${readyLine ? ' and no ready line' : ''}); raise the readiness timeout for large models`, logExcerpt: lines.slice(-40) }, true);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

// ---------------------------------------------------------------- status, list, logs

/** Re-reads a run on its host; a run whose process ended since is marked stopped or crashed (and saved). */
export async function engineStatus(transport: Transport, host: HostSpec, runId: string): Promise<EngineRun> {
  checkRunId(runId);
  const runDir = runDirOf(await workDirOf(transport, host), runId);
  const run = await readRun(transport, runDir, runId, host.name);
  if (run.status.state !== 'starting' && run.status.state !== 'ready') return run;
  let p = await probeRun(transport, runDir, Number.MAX_SAFE_INTEGER);
  // One retry: a probe sent just as the connection dropped comes back empty; the transport reconnects.
  p ??= await probeRun(transport, runDir, Number.MAX_SAFE_INTEGER);
  if (!p) throw new EngineRunError(`${host.name}: cannot read the state of run ${runId} (connection trouble); try again`);
  return refresh(transport, host, run, p.liveness);
}

async function refresh(transport: Transport, host: HostSpec, run: EngineRun, liveness: Liveness): Promise<EngineRun> {
  if (liveness.state === 'alive') {
    if (run.status.state === 'starting' && (await healthy(transport, run.engine, run.port))) {
      const updated: EngineRun = { ...run, status: { state: 'ready' }, timings: { ...run.timings, readyAt: run.timings.readyAt ?? nowIso() } };
      await saveRun(transport, updated);
      return updated;
    }
    return run;
  }
  const exitCode = liveness.state === 'exited' ? liveness.exitCode : null;
  const tail = await transport.exec(['tail', '-n', '400', run.logPath]);
  const lines = tail.stdout.split('\n');
  const crashed = run.status.state === 'starting' || hasFatalLine(lines) || (exitCode !== 0 && exitCode !== null && exitCode < 128);
  const updated: EngineRun = {
    ...run,
    status: crashed ? { state: 'crashed', crash: { ...classifyCrash(lines, { exitCode }), exitCode } } : { state: 'stopped', exitCode },
    timings: { ...run.timings, endedAt: nowIso() },
  };
  await saveRun(transport, updated);
  return updated;
}

/** Every run recorded on the host, newest first, with states brought up to date. */
export async function listEngineRuns(transport: Transport, host: HostSpec): Promise<EngineRun[]> {
  const workDir = await workDirOf(transport, host);
  const r = await transport.exec(['sh', '-c', LIST, 'sh', workDir]);
  const runs: EngineRun[] = [];
  const chunks = r.stdout.split(/^@@serving-lab (.*)$/m);
  for (let i = 0; i + 1 < chunks.length; i += 2) {
    const json = chunks[i]!.trim();
    if (!json) continue;
    let run: EngineRun;
    try {
      run = EngineRun.parse(JSON.parse(json));
    } catch {
      continue; // a run.json being written right now, or from another version
    }
    const liveness = parseLiveness(chunks[i + 1]!.trim());
    runs.push(run.status.state === 'starting' || run.status.state === 'ready' ? await refresh(transport, host, run, liveness) : run);
  }
  return runs.sort((a, b) => b.timings.launchedAt.localeCompare(a.timings.launchedAt));
}

export interface FollowLogsOptions {
  /** Byte offset to start from (0 = the beginning); a resumed follow passes what it had. */
  fromOffset?: number;
  /** Keep reading until the run ends (or the signal aborts). */
  follow?: boolean;
  signal?: AbortSignal;
  pollIntervalS?: number;
  log?: Logger;
  onText(text: string): void;
}

/**
 * Prints a run's log from an offset; with `follow`, keeps reading until the engine ends. A dropped connection is
 * retried (the transport reconnects with backoff) and reading resumes at the last byte received.
 * Resolves with the final offset.
 */
export async function followLogs(transport: Transport, host: HostSpec, runId: string, options: FollowLogsOptions): Promise<number> {
  checkRunId(runId);
  const runDir = runDirOf(await workDirOf(transport, host), runId);
  await readRun(transport, runDir, runId, host.name);
  let offset = options.fromOffset ?? 0;
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) return offset;
    const p = await probeRun(transport, runDir, offset, options.signal).catch((err: Error) => {
      if (options.signal?.aborted) return undefined;
      throw err;
    });
    if (!p) {
      if (options.signal?.aborted) return offset;
      failures++;
      if (failures > 8) throw new EngineRunError(`${host.name}: lost the connection while reading the log of ${runId} and could not get it back; run \`serving-lab engine logs ${runId}\` again later`);
      options.log?.warn(`${host.name}: connection trouble while following ${runId}; resuming at byte ${offset}`);
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    failures = 0;
    if (p.text) options.onText(p.text);
    offset = p.size;
    if (!options.follow || p.liveness.state !== 'alive') return offset;
    await new Promise((r) => setTimeout(r, (options.pollIntervalS ?? 1) * 1000));
  }
}

// ---------------------------------------------------------------- stop

export interface StopEngineOptions {
  /** Seconds between SIGTERM and SIGKILL; default 30. */
  graceS?: number;
  log?: Logger;
}

/** SIGTERM to the run's process group (docker stop for containers), SIGKILL after the grace period; confirms the
 * processes are gone and the port is closed. */
export async function stopEngine(transport: Transport, host: HostSpec, runId: string, options: StopEngineOptions = {}): Promise<EngineRun> {
  checkRunId(runId);
  const grace = options.graceS ?? 30;
  const runDir = runDirOf(await workDirOf(transport, host), runId);
  const run = await readRun(transport, runDir, runId, host.name);
  const pgid = run.pgid ?? Number((await transport.exec(['cat', `${runDir}/pgid`])).stdout.trim());
  if (run.docker) {
    await transport.exec(['docker', 'stop', '-t', String(grace), run.docker.container]);
    const running = await transport.exec(['docker', 'inspect', '-f', '{{.State.Running}}', run.docker.container]);
    if (running.stdout.trim() === 'true') {
      await transport.exec(['docker', 'kill', run.docker.container]);
      const still = await transport.exec(['docker', 'inspect', '-f', '{{.State.Running}}', run.docker.container]);
      if (still.stdout.trim() === 'true') throw new EngineRunError(`${host.name}: container ${run.docker.container} of run ${runId} is still running after docker stop and docker kill; check \`docker ps\` on the host`);
    }
  }
  if (pgid > 0) {
    options.log?.info(`${host.name}: stopping run ${runId} (SIGTERM to process group ${pgid}, SIGKILL after ${grace} s)`);
    const r = await transport.exec(['sh', '-c', STOP, 'sh', String(pgid), String(grace)]);
    const outcome = r.stdout.trim();
    if (outcome.includes('killed')) options.log?.warn(`${host.name}: run ${runId} did not stop within ${grace} s: sent SIGKILL`);
    if (outcome.includes('survived') || r.connectionLost) {
      throw new EngineRunError(`${host.name}: processes of run ${runId} (group ${pgid}) ${r.connectionLost ? 'may still run (the connection dropped while stopping)' : 'survived SIGKILL'}; check \`ps -g ${pgid}\` on the host and run \`serving-lab engine stop ${runId}\` again`);
    }
  }
  const portDeadline = Date.now() + 10_000;
  while ((await listeningPorts(transport)).has(run.port)) {
    if (Date.now() > portDeadline) throw new EngineRunError(`${host.name}: run ${runId} is stopped but port ${run.port} is still listening: another process holds it`);
    await new Promise((r) => setTimeout(r, 300));
  }
  const exit = await transport.exec(['cat', `${runDir}/exit`]);
  const exitCode = exit.exitCode === 0 && /^\d+$/.test(exit.stdout.trim()) ? Number(exit.stdout.trim()) : null;
  const stopped: EngineRun =
    run.status.state === 'crashed' ? { ...run, timings: { ...run.timings, endedAt: run.timings.endedAt ?? nowIso() } } : { ...run, status: { state: 'stopped', exitCode }, timings: { ...run.timings, endedAt: nowIso() } };
  await saveRun(transport, stopped);
  return stopped;
}

