// The benchmark client of a host's measurement: run on the host (or next to a Slurm job's engine) with its events
// streamed back and its result file read, or — when the host has no Node for the native client — run on this machine
// through a tunnel to the engine; and a simulated engine's outcome converted back to the simulated clock.
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkOptionsFromWorkload, runBenchmark } from '../bench/client';
import { formatResultBlock } from '../bench/format';
import type { RequestOutput } from '../bench/metrics';
import { parseBenchmarkOutput, type ParsedBenchmark } from '../bench/parse';
import type { Logger } from '../logger';
import type { Runner, Workload } from '../plan/schema';
import type { EnginePlace } from '../remote/place';
import { shellJoin } from '../shell';
import { SYNTHETIC_SHAREGPT_FILE, writeSyntheticShareGpt } from '../sim/sharegpt';
import { requestSample } from '../telemetry/live';
import type { BenchmarkOutcome, BenchmarkRequest } from './experiment';
import type { BenchTarget } from './runners';
import { metricsToSimulatedClock, outputToSimulatedClock, simulatedClockNote } from './simulatedClock';

/** What the client needs of the backend that measures: where the engine runs, the runner, the log. */
export interface ClientContext {
  place: EnginePlace;
  runner: Runner;
  log: Logger;
  /** Whether the host still answers (asked when the client's connection closed). */
  reachable(): Promise<boolean>;
}

/** SIGINT to the client whose pid file is "$1", once the file is there (up to 10 s). */
const INTERRUPT_CLIENT = 'i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -INT "$(cat "$1")" 2>/dev/null';

/** Runs the client on the host; Ctrl-C sends it SIGINT (so the native client still writes its partial result). */
export async function runClientOnHost(ctx: ClientContext, request: BenchmarkRequest, argv: string[], target: BenchTarget, notes: string[], startedAt: string): Promise<BenchmarkOutcome> {
  const { place, runner } = ctx;
  const transport = place.transport;
  const pidFile = `${target.resultDir}/${target.resultFile}.pid`;
  let stdout = '';
  let partial = '';
  const requests: RequestOutput[] = [];
  const onStdout = (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (runner === 'native' && line.startsWith('{')) {
        try {
          const e = JSON.parse(line) as { start: number; ttft: number; itls: number[]; latency: number; prompt_len: number; output_len: number; success: boolean };
          const output: RequestOutput = { success: e.success, promptLen: e.prompt_len, outputLen: e.output_len, ttft: e.ttft, itl: e.itls, latency: e.latency, startTime: e.start };
          requests.push(output);
          request.onRequest(requestSample(output, Date.parse(startedAt)));
          continue;
        } catch {
          // not an event line: fall through to the log
        }
      }
      request.onLog(line);
    }
  };
  // Ctrl-C just after the client was asked to start (a Slurm step takes a moment to start) finds no pid file yet: the
  // signal waits for it, else the client would run its whole workload after the interrupt.
  const onAbort = () => {
    void place.exec(request.session.runId, ['sh', '-c', INTERRUPT_CLIENT, 'sh', pidFile]);
  };
  if (request.signal.aborted) throw new Error('interrupted before the benchmark client started');
  request.signal.addEventListener('abort', onAbort, { once: true });
  let result;
  try {
    // `exec` keeps the pid, so the pid file names the client itself.
    result = await place.exec(request.session.runId, ['sh', '-c', 'echo $$ > "$0"; exec "$@"', pidFile, ...argv], { onStdout, onStderr: (chunk) => chunk.split('\n').filter(Boolean).forEach((l) => request.onLog(l)) });
  } finally {
    request.signal.removeEventListener('abort', onAbort);
  }
  const interrupted = request.signal.aborted;
  // The client's session ended with the connection: a host that no longer answers is said so now, not after every
  // later call has waited out the reconnect backoff (a pool then measures the point on another host).
  if (result.connectionLost && !interrupted && !(await ctx.reachable())) throw new Error(`${place.host.name} stopped answering while the benchmark ran: the connection closed and the host accepts no new one`);
  const resultPath = `${target.resultDir}/${target.resultFile}`;
  let parsed: ParsedBenchmark | undefined;
  try {
    parsed = parseBenchmarkOutput(await transport.readFile(resultPath), resultPath).at(-1);
  } catch {
    parsed = undefined;
  }
  // The block exactly as the client printed it, when it printed one (stdout for vllm/sglang, stderr with --events).
  let printed: ParsedBenchmark | undefined;
  try {
    printed = parseBenchmarkOutput(stdout + result.stderr).at(-1);
  } catch {
    printed = undefined;
  }
  await transport.exec(['rm', '-f', pidFile]);
  const best = parsed ?? printed;
  if (!best) {
    if (interrupted) throw new Error('interrupted before the benchmark client reported anything');
    const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
    throw new Error(`the benchmark client exited with ${result.exitCode ?? result.signal} and no result: ${tail || '(no output)'}`);
  }
  const sourceKind = runner === 'native' ? 'native' : best.source.kind;
  return {
    metrics: best.metrics,
    rawOutput: printed?.rawOutput ?? best.rawOutput,
    benchCommand: shellJoin(argv),
    sourceKind,
    interrupted,
    startedAt,
    endedAt: new Date().toISOString(),
    notes: [...notes, ...(parsed ? [] : ['read from the printed block: the client wrote no result file'])],
    ...(requests.length > 0 ? { requests } : {}),
  };
}

/** The native client on this machine, reaching the engine through a forwarded port (the host has no Node ≥ 18). */
export async function benchmarkThroughTunnel(ctx: ClientContext, request: BenchmarkRequest, port: number, startedAt: string): Promise<BenchmarkOutcome> {
  const { place, log } = ctx;
  const server: Server = createServer((socket) => {
    place.transport.openTcp(port, place.address(request.session.runId)).then(
      (remote) => {
        socket.pipe(remote).pipe(socket);
        remote.on('error', () => socket.destroy());
        socket.on('error', () => remote.destroy());
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const localPort = typeof address === 'object' && address ? address.port : 0;
  const local = await mkdtemp(join(tmpdir(), 'serving-lab-native-'));
  try {
    const sharegptPath = join(local, SYNTHETIC_SHAREGPT_FILE);
    await writeSyntheticShareGpt(sharegptPath, { count: 4000, seed: 0 });
    const options = benchmarkOptionsFromWorkload(request.workload, {
      baseUrl: `http://127.0.0.1:${localPort}`,
      model: request.session.variant.model,
      ...(request.session.variant.servedModelName ? { servedModelName: request.session.variant.servedModelName } : {}),
      sharegptPath,
    });
    const started = Date.parse(startedAt);
    const run = await runBenchmark(options, {
      signal: request.signal,
      log: log,
      onRequest: (e) => request.onRequest(requestSample({ success: e.success, promptLen: e.prompt_len, outputLen: e.output_len, ttft: e.ttft, itl: e.itls, latency: e.latency, startTime: e.start }, started)),
    });
    return {
      metrics: run.metrics,
      rawOutput: run.rawOutput,
      benchCommand: `serving-lab bench (on this machine, through a tunnel to ${place.host.name}:${port})`,
      sourceKind: 'native',
      interrupted: run.status === 'interrupted',
      startedAt,
      endedAt: new Date().toISOString(),
      notes: ['measured from this machine through an SSH tunnel (the host has no Node ≥ 18): latencies include the tunnel', ...run.notes],
    };
  } finally {
    server.close();
    await rm(local, { recursive: true, force: true });
  }
}

export function outcomeToSimulatedClock(outcome: BenchmarkOutcome, workload: Workload, speedup: number): Pick<BenchmarkOutcome, 'metrics' | 'rawOutput' | 'notes' | 'requests'> {
  const metrics = metricsToSimulatedClock(outcome.metrics, speedup);
  let shape: ParsedBenchmark | undefined;
  try {
    shape = outcome.rawOutput ? parseBenchmarkOutput(outcome.rawOutput).at(-1) : undefined;
  } catch {
    shape = undefined;
  }
  const rawOutput = formatResultBlock(metrics, {
    percentileMetrics: shape?.percentileMetrics ?? ['ttft', 'tpot', 'itl', 'e2el'],
    percentiles: shape?.percentiles ?? [99],
    goodput: shape?.goodput ?? false,
    ...(shape?.blockStyle ? { style: shape.blockStyle } : {}),
    ...(workload.maxConcurrency !== undefined ? { maxConcurrency: workload.maxConcurrency } : {}),
  });
  return { metrics, rawOutput, notes: [...outcome.notes, simulatedClockNote(speedup)], ...(outcome.requests ? { requests: outcome.requests.map((o) => outputToSimulatedClock(o, speedup)) } : {}) };
}
