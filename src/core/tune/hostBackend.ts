// The TuneBackend for a real host (or the simulated one, which behaves like one): engines launched detached through
// the hosts module, benchmarks run by the plan's runner on the host, results read back from the client's own result
// file, and the engine's /metrics scraped about once a second while a benchmark runs.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkOptionsFromWorkload, runBenchmark } from '../bench/client';
import { formatResultBlock } from '../bench/format';
import type { RequestOutput } from '../bench/metrics';
import { parseBenchmarkOutput, type ParsedBenchmark } from '../bench/parse';
import { ADAPTERS, commandLineOf, renderVariant } from '../engines/index';
import { silentLogger, type Logger } from '../logger';
import type { EngineVariant, HostFacts, HostSpec, Objective, Runner, Workload } from '../plan/schema';
import { checkHost } from '../remote/check';
import { connect } from '../remote/connect';
import { resolveHost } from '../remote/hosts';
import { httpRequest } from '../remote/http';
import { placeOf, type EnginePlace } from '../remote/place';
import { describeLiveRuns, lockHost } from '../remote/hostUse';
import { workDirOf } from '../remote/runs';
import type { Transport } from '../remote/transport';
import { shellJoin } from '../shell';
import type { CredentialProvider, HostKeyPrompter } from '../ssh/types';
import { SYNTHETIC_SHAREGPT_FILE, writeSyntheticShareGpt } from '../sim/sharegpt';
import { defaultCliPath } from '../sim/shims';
import { requestSample, startTelemetry } from '../telemetry/live';
import { METRICS_PATH } from '../telemetry/prometheus';
import { GpuShare, type GpuGrant } from './gpuShare';
import type { LaunchOptions } from './backend';
import type { JobInfo } from '../remote/slurm';
import { EngineCrashedError, type BenchmarkOutcome, type BenchmarkRequest, type EngineSession, type LaunchOutcome, type TuneBackend } from './experiment';
import type { CommandRenderer } from './predict';
import { nativeBenchArgv, sglangBenchArgv, vllmBenchArgv, type BenchTarget } from './runners';
import { variantKey } from './search';
import { metricsToSimulatedClock, outputToSimulatedClock, requestToSimulatedClock, sampleToSimulatedClock, simulatedClockNote } from './simulatedClock';

export interface HostBackendOptions {
  hostName: string;
  cwd: string;
  hostsFile?: string;
  /** `ssh -F FILE`. */
  sshConfig?: string;
  /** Simulated hosts: how many times faster than real time the engines run. */
  speedup?: number;
  goodput?: NonNullable<Extract<Objective, object>['slo']>;
  /** The runner from the plan. */
  runner?: Runner;
  /** This CLI's own bundle, uploaded for the native runner (and run by the simulator's shims). */
  cliPath?: string;
  log?: Logger;
  /** Passphrases and passwords for SSH hosts (TTY prompts in the CLI, SecretStorage in the extension). */
  credentials?: CredentialProvider;
  /** Asked about host keys seen for the first time; without it an unknown key is refused. */
  hostKeys?: HostKeyPrompter;
  /** How often the engine's /metrics is scraped during a benchmark (default 1000 ms). */
  scrapeIntervalMs?: number;
  /** A host the caller already resolved (e.g. from the extension's settings); else `hostName` is resolved here. */
  hostSpec?: HostSpec;
  /** The plan's shareGpus: a host with more GPUs than a variant needs runs variants side by side on disjoint GPUs. */
  shareGpus?: boolean;
}

/** Seconds the engine gets to exit on SIGTERM before SIGKILL. */
const STOP_GRACE_S = 30;
/** A GPU counts as released below this much used memory. */
const GPU_IDLE_MIB = 1024;

/** Strips what the runner adds at launch (bind address, port, SGLang's --enable-metrics) from a displayed command. */
function userArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--host' || w === '--port') {
      i++;
      continue;
    }
    if (w === '--enable-metrics') continue;
    out.push(w);
  }
  return out;
}

export function hostSpecFor(options: HostBackendOptions): HostSpec {
  const spec =
    options.hostSpec ??
    resolveHost(options.hostName, { cwd: options.cwd, ...(options.hostsFile ? { hostsFile: options.hostsFile } : {}), ...(options.sshConfig ? { sshConfig: options.sshConfig } : {}) });
  if (spec.transport.kind === 'sim' && options.speedup !== undefined) return { ...spec, transport: { ...spec.transport, speedup: options.speedup } };
  return spec;
}

/** Renders commands for a host without connecting (dry runs). */
export function commandRenderer(host: HostSpec, runner: Runner, goodput?: HostBackendOptions['goodput']): CommandRenderer {
  const target = (variant: EngineVariant): BenchTarget => ({
    model: variant.model,
    ...(variant.servedModelName ? { servedModelName: variant.servedModelName } : {}),
    port: ADAPTERS[variant.engine].defaultPort,
    sharegptPath: `${host.workDir}/datasets/${SYNTHETIC_SHAREGPT_FILE}`,
    resultDir: `${host.workDir}/bench`,
    resultFile: 'RESULT.json',
    ...(goodput ? { goodput } : {}),
  });
  return {
    runner,
    launchCommand(variant) {
      const rendered = renderVariant(variant, { port: ADAPTERS[variant.engine].defaultPort, install: host.engines[variant.engine] });
      return commandLineOf(userArgv(rendered.argv), rendered.env);
    },
    benchCommand(variant, workload) {
      return shellJoin(benchArgv(runner, workload, target(variant), host, ['node', `${host.workDir}/serving-lab-cli.js`]).argv);
    },
  };
}

function benchArgv(runner: Runner, w: Workload, t: BenchTarget, host: HostSpec, nodeCli: readonly string[]): { argv: string[]; notes: string[] } {
  if (runner === 'sglang-bench') return sglangBenchArgv(w, t, host.engines.sglang?.command ?? 'python3');
  if (runner === 'native') return { argv: nativeBenchArgv(w, t, nodeCli), notes: [] };
  return { argv: vllmBenchArgv(w, t, host.engines.vllm?.command ?? 'vllm'), notes: [] };
}

export interface ConnectedHostBackend extends TuneBackend {
  /** Facts every result of this host carries (e.g. simulated at speedup K). */
  readonly notes: string[];
  /** False when the host no longer answers (a pool then places its points elsewhere). */
  reachable(): Promise<boolean>;
  /** Whether a launch of the variant would start now rather than wait for GPUs (hosts that share theirs). */
  fits?(variant: EngineVariant): boolean;
  close(): Promise<void>;
}

export async function openHostBackend(options: HostBackendOptions, signal: AbortSignal): Promise<ConnectedHostBackend> {
  const host = hostSpecFor(options);
  const log = options.log ?? silentLogger;
  const transport = await connect(host, {
    log,
    signal,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.hostKeys ? { hostKeys: options.hostKeys } : {}),
    ...(options.sshConfig ? { sshConfig: options.sshConfig } : {}),
    ...(options.cliPath ? { simCliPath: options.cliPath } : {}),
  });
  // A Slurm host runs each variant as a batch job; any other host runs its engines itself.
  return new HostBackend(placeOf(transport, host), options);
}

class HostBackend implements ConnectedHostBackend {
  readonly runner: Runner;
  readonly notes: string[] = [];
  private readonly transport: Transport;
  private readonly host: HostSpec;
  private readonly log: Logger;
  private readonly renderer: CommandRenderer;
  private readonly ports = new Map<string, number>();
  /** Speedup of each simulated engine run (from its /v1/models), to convert results to the simulated clock. */
  private readonly speedups = new Map<string, number>();
  private hostFacts: HostFacts | undefined;
  /** With shareGpus on a host of several GPUs: who holds which GPU; and each live run's grant. */
  private share: GpuShare | undefined;
  private readonly grants = new Map<string, GpuGrant>();
  private datasetPath: Promise<string> | undefined;
  private nativeCli: Promise<string[] | undefined> | undefined;

  constructor(
    private readonly place: EnginePlace,
    private readonly options: HostBackendOptions,
  ) {
    const host = place.host;
    this.transport = place.transport;
    this.host = host;
    this.runner = options.runner ?? 'vllm-bench';
    this.log = options.log ?? silentLogger;
    this.renderer = commandRenderer(host, this.runner, options.goodput);
    if (host.transport.kind === 'sim') {
      this.notes.push(`simulated host (${host.transport.count}× ${host.transport.gpu}) at speedup ${host.transport.speedup}×: numbers come from the simulator's model, not from GPUs`);
    }
  }

  async facts(signal: AbortSignal): Promise<HostFacts> {
    if (!this.hostFacts) {
      if (signal.aborted) throw signal.reason;
      const check = await checkHost(this.transport, this.host, signal);
      for (const problem of [...check.problems, ...check.notes]) this.log.warn(`${this.host.name}: ${problem}`);
      if (check.gpuSource) this.log.info(`${this.host.name}: GPUs ${check.gpus.length}× ${check.gpus[0]?.name ?? 'none'}, from ${check.gpuSource}`);
      this.hostFacts = { name: check.name, gpus: check.gpus, engineVersions: check.engineVersions, simulated: check.simulated, ...(check.driverVersion ? { driverVersion: check.driverVersion } : {}), ...(check.cudaVersion ? { cudaVersion: check.cudaVersion } : {}) };
      // A Slurm host's jobs get their GPUs from the scheduler; a machine's own are shared out here.
      if (this.options.shareGpus && this.place.ownsGpus && check.gpus.length > 1) this.share = new GpuShare(check.gpus.length);
    }
    return this.hostFacts;
  }

  /** Variants measured at once: the place's capacity, or with shared GPUs as many engines as the host has GPUs. */
  get parallelism(): number {
    return this.share?.total ?? this.place.capacity;
  }

  fits(variant: EngineVariant): boolean {
    return this.share?.fits(variant) ?? true;
  }

  launchCommand(variant: EngineVariant): string {
    return this.renderer.launchCommand(variant);
  }

  benchCommand(variant: EngineVariant, workload: Workload): string {
    return this.renderer.benchCommand(variant, workload);
  }

  async launch(variant: EngineVariant, options: LaunchOptions): Promise<LaunchOutcome> {
    // First, before any await: a pool that saw fits() gets the GPUs it saw free.
    const grant = await this.share?.take(variant, options.signal);
    let run;
    try {
      // The grant's CUDA_VISIBLE_DEVICES goes in as the variant's own environment (a docker engine gets it with -e).
      run = await this.place.start(grant ? { ...variant, env: { ...variant.env, ...grant.env } } : variant, {
        signal: options.signal,
        onLog: options.onLog,
        ...(options.onPlace ? { onJob: (job: JobInfo) => options.onPlace!({ host: this.host.name, job: { id: job.id, state: job.state, ...(job.reason ? { reason: job.reason } : {}), ...(job.node ? { node: job.node } : {}) } }) } : {}),
        log: this.log,
        ...(this.hostFacts?.engineVersions[variant.engine] ? { engineVersion: this.hostFacts.engineVersions[variant.engine] } : {}),
      });
    } catch (err) {
      if (grant) this.share?.give(grant);
      throw err;
    }
    const command = commandLineOf(run.argv, run.env);
    if (run.status.state !== 'ready' && grant) this.share?.give(grant);
    if (run.status.state === 'crashed') return { ok: false, crash: run.status.crash, runId: run.id, command };
    if (run.status.state !== 'ready') return { ok: false, crash: { reason: 'unknown', rootCause: `the engine ended in state ${run.status.state} before it was ready`, logExcerpt: [] }, runId: run.id, command };
    if (grant) {
      this.grants.set(run.id, grant);
      options.onLog(`[serving-lab] shareGpus: ${variant.engine} runs on GPUs ${grant.gpus.join(',')} of ${this.host.name}`);
    }
    this.ports.set(run.id, run.port);
    const speedup = await this.simulatedSpeedup(run.id, run.port, options.signal);
    this.speedups.set(run.id, speedup);
    return { ok: true, session: { runId: run.id, command, variant, ...(speedup !== 1 ? { speedup } : {}) }, startupS: run.timings.startupSeconds ?? 0 };
  }

  /** A simulated engine says so in /v1/models, with its speedup; real engines give 1. */
  private async simulatedSpeedup(runId: string, port: number, signal: AbortSignal): Promise<number> {
    try {
      const res = await httpRequest(this.transport, { ...this.at(runId), port, path: '/v1/models', timeoutMs: 10_000, signal });
      const model = (JSON.parse(res.body) as { data?: Array<{ simulated?: unknown; speedup?: unknown }> }).data?.[0];
      return model?.simulated === true && typeof model.speedup === 'number' && model.speedup > 0 ? model.speedup : 1;
    } catch {
      return 1;
    }
  }

  /** Where a run's engine is, seen from the transport (a Slurm job's node; else the host itself). */
  private at(runId: string): { host?: string } {
    const address = this.place.address(runId);
    return address ? { host: address } : {};
  }

  private port(session: EngineSession): number {
    const port = this.ports.get(session.runId);
    if (port === undefined) throw new Error(`no port known for engine run ${session.runId}`);
    return port;
  }

  async warmup(session: EngineSession, signal: AbortSignal): Promise<void> {
    const body = JSON.stringify({ model: session.variant.servedModelName ?? session.variant.model, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 1 });
    try {
      const res = await httpRequest(this.transport, { ...this.at(session.runId), port: this.port(session), path: '/v1/chat/completions', method: 'POST', headers: { 'content-type': 'application/json' }, body, timeoutMs: 300_000, signal });
      if (res.status !== 200) this.log.warn(`warmup request answered HTTP ${res.status}; benchmarking anyway`);
    } catch (err) {
      if (signal.aborted) throw err;
      this.log.warn(`warmup request failed (${(err as Error).message}); benchmarking anyway`);
    }
  }

  async resetPrefixCache(session: EngineSession, signal: AbortSignal): Promise<boolean> {
    const path = session.variant.engine === 'vllm' ? '/reset_prefix_cache' : session.variant.engine === 'sglang' ? '/flush_cache' : undefined;
    if (!path) return false;
    try {
      const res = await httpRequest(this.transport, { ...this.at(session.runId), port: this.port(session), path, method: 'POST', timeoutMs: 30_000, signal });
      return res.status === 200;
    } catch (err) {
      if (signal.aborted) throw err;
      return false;
    }
  }

  /** The ShareGPT file on the host: the workload's own, or the synthetic one uploaded once. */
  private async sharegptOnHost(): Promise<string> {
    this.datasetPath ??= (async () => {
      const dir = `${await workDirOf(this.transport, this.host)}/datasets`;
      const path = `${dir}/${SYNTHETIC_SHAREGPT_FILE}`;
      const exists = await this.transport.exec(['test', '-s', path]);
      if (exists.exitCode !== 0) {
        const local = await mkdtemp(join(tmpdir(), 'serving-lab-sharegpt-'));
        try {
          await writeSyntheticShareGpt(join(local, SYNTHETIC_SHAREGPT_FILE), { count: 4000, seed: 0 });
          await this.transport.exec(['mkdir', '-p', dir]);
          await this.transport.upload(join(local, SYNTHETIC_SHAREGPT_FILE), path);
        } finally {
          await rm(local, { recursive: true, force: true });
        }
      }
      return path;
    })();
    return this.datasetPath;
  }

  /** `node <bundle>` on the host when it has Node ≥ 18 (the bundle uploaded once), else undefined. */
  private async nativeOnHost(): Promise<string[] | undefined> {
    this.nativeCli ??= (async () => {
      const version = await this.transport.exec(['node', '--version']).catch(() => undefined);
      const major = Number(/^v(\d+)/.exec(version?.stdout.trim() ?? '')?.[1]);
      if (!(major >= 18)) return undefined;
      const path = `${await workDirOf(this.transport, this.host)}/serving-lab-cli.js`;
      await this.transport.upload(this.options.cliPath ?? defaultCliPath(), path, { mode: 0o755 });
      return ['node', path];
    })();
    return this.nativeCli;
  }

  async benchmark(original: BenchmarkRequest): Promise<BenchmarkOutcome> {
    const speedup = this.speedups.get(original.session.runId) ?? 1;
    // A simulated engine at speedup K lives K× faster than the client's clock: a request rate on the engine's clock
    // is K× the rate the client must send at.
    const rate = original.workload.requestRate;
    const request: BenchmarkRequest = {
      ...original,
      ...(speedup !== 1 && rate !== 'inf' ? { workload: { ...original.workload, requestRate: rate * speedup } } : {}),
      onSample: (s) => original.onSample(sampleToSimulatedClock(s, speedup)),
      onRequest: (r) => original.onRequest(requestToSimulatedClock(r, speedup)),
    };
    const grant = this.grants.get(original.session.runId);
    if (grant) this.share?.measuring(grant);
    let outcome: BenchmarkOutcome;
    try {
      outcome = await this.measure(request);
      const shared = grant && this.share?.measured(grant, this.host.name);
      if (shared) outcome = { ...outcome, notes: [...outcome.notes, shared] };
      const where = this.place.whereIs?.(original.session.runId);
      if (where || shared) outcome = { ...outcome, place: { host: this.host.name, ...where, ...(shared ? { sharedGpus: true } : {}) } };
    } catch (err) {
      if (grant) this.share?.measured(grant, this.host.name);
      if (original.signal.aborted) throw err;
      // A client that failed because the engine died reports the engine's crash, with its root cause.
      const run = await this.place.status(original.session.runId).catch(() => undefined);
      if (run?.status.state === 'crashed') throw new EngineCrashedError(run.status.crash);
      throw err;
    }
    if (speedup === 1) return outcome;
    const converted = { ...outcome, ...this.toSimulatedClock(outcome, request.workload, speedup) };
    if (rate !== 'inf') converted.notes = [...converted.notes, `the client sent ${rate * speedup} req/s of wall-clock time: ${rate} req/s on the simulated clock`];
    return converted;
  }

  private toSimulatedClock(outcome: BenchmarkOutcome, workload: Workload, speedup: number): Pick<BenchmarkOutcome, 'metrics' | 'rawOutput' | 'notes' | 'requests'> {
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

  private async measure(request: BenchmarkRequest): Promise<BenchmarkOutcome> {
    const { session, workload } = request;
    const port = this.port(session);
    const startedAt = new Date().toISOString();
    const telemetry = startTelemetry({
      engine: session.variant.engine,
      fetchMetrics: async (signal) => {
        const res = await httpRequest(this.transport, { ...this.at(session.runId), port, path: METRICS_PATH[session.variant.engine], timeoutMs: 5000, signal });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        return res.body;
      },
      onSample: request.onSample,
      onProblem: (message) => request.onLog(message),
      ...(this.options.scrapeIntervalMs ? { intervalMs: this.options.scrapeIntervalMs } : {}),
    });
    try {
      const d = workload.dataset;
      const needsSharegpt = d.kind === 'sharegpt' && d.path === undefined;
      if (this.runner === 'native' && !(await this.nativeOnHost())) return await this.benchmarkThroughTunnel(request, port, startedAt);
      const workDir = await workDirOf(this.transport, this.host);
      const target: BenchTarget = {
        model: session.variant.model,
        ...(session.variant.servedModelName ? { servedModelName: session.variant.servedModelName } : {}),
        port,
        ...(needsSharegpt ? { sharegptPath: await this.sharegptOnHost() } : {}),
        resultDir: `${workDir}/bench`,
        resultFile: `${request.position.experimentId}-${randomBytes(4).toString('hex')}.json`,
        ...(this.options.goodput ? { goodput: this.options.goodput } : {}),
      };
      const { argv, notes } = benchArgv(this.runner, workload, target, this.host, (await this.nativeOnHost()) ?? []);
      await this.transport.exec(['mkdir', '-p', target.resultDir]);
      return await this.runClient(request, argv, target, notes, startedAt);
    } finally {
      await telemetry.stop();
    }
  }

  /** Runs the client on the host; Ctrl-C sends it SIGINT (so the native client still writes its partial result). */
  private async runClient(request: BenchmarkRequest, argv: string[], target: BenchTarget, notes: string[], startedAt: string): Promise<BenchmarkOutcome> {
    const pidFile = `${target.resultDir}/${target.resultFile}.pid`;
    let stdout = '';
    let partial = '';
    const requests: RequestOutput[] = [];
    const onStdout = (chunk: string) => {
      stdout += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (this.runner === 'native' && line.startsWith('{')) {
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
    const onAbort = () => {
      void this.place.exec(request.session.runId, ['sh', '-c', 'kill -INT "$(cat "$1")" 2>/dev/null', 'sh', pidFile]);
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    let result;
    try {
      // `exec` keeps the pid, so the pid file names the client itself.
      result = await this.place.exec(request.session.runId, ['sh', '-c', 'echo $$ > "$0"; exec "$@"', pidFile, ...argv], { onStdout, onStderr: (chunk) => chunk.split('\n').filter(Boolean).forEach((l) => request.onLog(l)) });
    } finally {
      request.signal.removeEventListener('abort', onAbort);
    }
    const interrupted = request.signal.aborted;
    // The client's session ended with the connection: a host that no longer answers is said so now, not after every
    // later call has waited out the reconnect backoff (a pool then measures the point on another host).
    if (result.connectionLost && !interrupted && !(await this.reachable())) throw new Error(`${this.host.name} stopped answering while the benchmark ran: the connection closed and the host accepts no new one`);
    const resultPath = `${target.resultDir}/${target.resultFile}`;
    let parsed: ParsedBenchmark | undefined;
    try {
      parsed = parseBenchmarkOutput(await this.transport.readFile(resultPath), resultPath).at(-1);
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
    await this.transport.exec(['rm', '-f', pidFile]);
    const best = parsed ?? printed;
    if (!best) {
      if (interrupted) throw new Error('interrupted before the benchmark client reported anything');
      const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
      throw new Error(`the benchmark client exited with ${result.exitCode ?? result.signal} and no result: ${tail || '(no output)'}`);
    }
    const sourceKind = this.runner === 'native' ? 'native' : best.source.kind;
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
  private async benchmarkThroughTunnel(request: BenchmarkRequest, port: number, startedAt: string): Promise<BenchmarkOutcome> {
    const server: Server = createServer((socket) => {
      this.transport.openTcp(port, this.place.address(request.session.runId)).then(
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
        log: this.log,
        onRequest: (e) => request.onRequest(requestSample({ success: e.success, promptLen: e.prompt_len, outputLen: e.output_len, ttft: e.ttft, itl: e.itls, latency: e.latency, startTime: e.start }, started)),
      });
      return {
        metrics: run.metrics,
        rawOutput: run.rawOutput,
        benchCommand: `serving-lab bench (on this machine, through a tunnel to ${this.host.name}:${port})`,
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

  async stop(session: EngineSession): Promise<void> {
    const grant = this.grants.get(session.runId);
    try {
      await this.place.stop(session.runId, { graceS: STOP_GRACE_S, log: this.log });
      this.ports.delete(session.runId);
      this.speedups.delete(session.runId);
      if (this.place.ownsGpus) await this.waitGpuReleased(grant?.gpus);
    } finally {
      if (grant) {
        this.grants.delete(session.runId);
        this.share?.give(grant);
      }
    }
  }

  /**
   * Waits (up to a minute) until the GPUs' used memory is back near zero, so the next launch gets all of it: every
   * GPU, or only `gpus` when engines share the host (the others belong to engines still running).
   */
  private async waitGpuReleased(gpus?: readonly number[]): Promise<void> {
    const deadline = Date.now() + 60_000;
    let listed = false;
    for (;;) {
      const r = await this.transport.exec(['nvidia-smi', '--query-gpu=index,memory.used', '--format=csv,noheader,nounits']).catch(() => undefined);
      if (!r || r.exitCode !== 0) return; // no nvidia-smi: nothing to confirm
      const rows = r.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.split(',').map((x) => Number(x.trim())));
      const used = rows.filter(([index]) => !gpus || gpus.includes(index!)).map(([, mib]) => mib!);
      if (used.every((mib) => !(mib > GPU_IDLE_MIB))) return;
      if (!listed) {
        // Engine runs still live hold it (e.g. left by a killed tune): no point waiting, say which and how to stop them.
        listed = true;
        const live = (await this.place.list().catch(() => [])).filter((run) => run.status.state === 'starting' || run.status.state === 'ready');
        if (live.length > 0) {
          this.log.warn(`GPU memory still in use after the engine stopped (${used.join(', ')} MiB), held by engine runs still live on ${this.place.host.name}: ${describeLiveRuns(live)}`);
          return;
        }
      }
      if (Date.now() > deadline) {
        this.log.warn(`GPU memory still in use after the engine stopped (${used.join(', ')} MiB): another process holds it; the next launch may run out of memory`);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async stopLeftovers(runIds: readonly string[], match: { since: string; variants: readonly EngineVariant[] }): Promise<string[]> {
    const stopped: string[] = [];
    const keys = new Set(match.variants.map(variantKey));
    for (const run of await this.place.list()) {
      if (run.status.state !== 'starting' && run.status.state !== 'ready') continue;
      const ours = runIds.includes(run.id) || (run.timings.launchedAt >= match.since && run.variant !== undefined && keys.has(variantKey(run.variant)));
      if (!ours) continue;
      await this.place.stop(run.id, { graceS: STOP_GRACE_S, log: this.log });
      stopped.push(run.id);
    }
    if (stopped.length > 0 && this.place.ownsGpus) await this.waitGpuReleased();
    return stopped;
  }

  async reachable(): Promise<boolean> {
    if (this.transport.probe) return this.transport.probe();
    const r = await this.transport.exec(['true'], { signal: AbortSignal.timeout(20_000) }).catch(() => undefined);
    return r?.exitCode === 0 && !r.connectionLost;
  }

  async holdHost(purpose: string): Promise<() => Promise<void>> {
    // A Slurm host shares its nodes through the scheduler; a machine's own GPUs need the lock.
    if (!this.place.ownsGpus) return async () => undefined;
    const lock = await lockHost(this.transport, this.place.host, await workDirOf(this.transport, this.place.host), purpose);
    return () => lock.release();
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
