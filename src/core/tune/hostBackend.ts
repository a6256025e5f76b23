// The TuneBackend for a real host (or the simulated one, which behaves like one): engines launched detached through
// the hosts module, benchmarks run by the plan's runner on the host (hostClient.ts), results read back from the
// client's own result file, and the engine's /metrics scraped about once a second while a benchmark runs. The
// commands it runs are rendered by hostCommands.ts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandLineOf } from '../engines/index';
import { silentLogger, type Logger } from '../logger';
import type { EngineName, EngineVariant, HostFacts, HostSpec, Runner, Workload } from '../plan/schema';
import { checkHost } from '../remote/check';
import { connect } from '../remote/connect';
import { resolveHost } from '../remote/hosts';
import { httpRequest } from '../remote/http';
import { placeOf, type EnginePlace } from '../remote/place';
import { describeLiveRuns, lockHost } from '../remote/hostUse';
import { readHostModelConfig, type HostModelConfig } from '../remote/modelConfig';
import { workDirOf } from '../remote/runFiles';
import type { Transport } from '../remote/transport';
import type { CredentialProvider, HostKeyPrompter } from '../ssh/types';
import { SYNTHETIC_SHAREGPT_FILE, writeSyntheticShareGpt } from '../sim/sharegpt';
import { defaultCliPath } from '../sim/shims';
import { startTelemetry } from '../telemetry/live';
import { METRICS_PATH } from '../telemetry/prometheus';
import { GpuShare, type GpuGrant } from './gpuShare';
import type { LaunchOptions } from './backend';
import type { JobInfo } from '../remote/slurm';
import { EngineCrashedError, type BenchmarkOutcome, type BenchmarkRequest, type EngineSession, type LaunchOutcome, type TuneBackend } from './experiment';
import { benchArgv, commandRenderer, type Goodput } from './hostCommands';
import { benchmarkThroughTunnel, outcomeToSimulatedClock, runClientOnHost, type ClientContext } from './hostClient';
import type { CommandRenderer } from './predict';
import type { BenchTarget } from './runners';
import { variantKey } from './search';
import { requestToSimulatedClock, sampleToSimulatedClock } from './simulatedClock';

export interface HostBackendOptions {
  hostName: string;
  cwd: string;
  hostsFile?: string;
  /** `ssh -F FILE`. */
  sshConfig?: string;
  /** Simulated hosts: how many times faster than real time the engines run. */
  speedup?: number;
  goodput?: Goodput;
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

export function hostSpecFor(options: HostBackendOptions): HostSpec {
  const spec =
    options.hostSpec ??
    resolveHost(options.hostName, { cwd: options.cwd, ...(options.hostsFile ? { hostsFile: options.hostsFile } : {}), ...(options.sshConfig ? { sshConfig: options.sshConfig } : {}) });
  if (spec.transport.kind === 'sim' && options.speedup !== undefined) return { ...spec, transport: { ...spec.transport, speedup: options.speedup } };
  return spec;
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

  /** What the benchmark client needs of this backend. */
  private get client(): ClientContext {
    return { place: this.place, runner: this.runner, log: this.log, reachable: () => this.reachable() };
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

  modelConfig(model: string, engine: EngineName, signal: AbortSignal): Promise<HostModelConfig | undefined> {
    return readHostModelConfig(this.transport, this.host.name, model, { env: this.host.engines[engine]?.env ?? {}, signal });
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
    const converted = { ...outcome, ...outcomeToSimulatedClock(outcome, request.workload, speedup) };
    if (rate !== 'inf') converted.notes = [...converted.notes, `the client sent ${rate * speedup} req/s of wall-clock time: ${rate} req/s on the simulated clock`];
    return converted;
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
      if (this.runner === 'native' && !(await this.nativeOnHost())) return await benchmarkThroughTunnel(this.client, request, port, startedAt);
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
      return await runClientOnHost(this.client, request, argv, target, notes, startedAt);
    } finally {
      await telemetry.stop();
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
