// A Slurm host as a place to run engines: each engine run is one batch job. The job script (a file in the job's work
// dir under <workDir>/runs/<run id>/) starts the engine with the host's engine commands on the allocated node; the
// login node watches the job (squeue/sacct), reads the engine log from the shared file system, probes the engine's
// port on the node for readiness, and runs the benchmark client next to the engine with `srun --overlap` inside the
// job. Stop is scancel. A job the scheduler ends (time limit, preemption, node failure) becomes a crash of reason
// `place-lost`, which the experiment runner measures again once.
import { classifyCrash, hasFatalLine } from '../engines/crash';
import { renderVariant } from '../engines/index';
import { DEFAULT_READINESS_TIMEOUT_S, READINESS } from '../engines/readiness';
import { silentLogger } from '../logger';
import { EngineRun, type Crash, type EngineVariant, type HostSpec, type SlurmTransport } from '../plan/schema';
import { httpRequest } from './http';
import type { EnginePlace } from './place';
import { newRunId, workDirOf } from './runFiles';
import type { StartEngineOptions } from './runs';
import { cancelJob, describeJob, isActive, jobInfo, listJobs, pastTimeLimit, SCHEDULER_KILLS, submitJob, type JobInfo } from './slurm';
import type { ExecOptions, Transport } from './transport';

export const JOB_NAME_PREFIX = 'serving-lab-';
/** Engine ports on the nodes: below the usual ephemeral range, one per job of this process. */
const PORT_LOW = 20000;
const PORT_SPAN = 10000;

interface Job {
  jobId: string;
  node?: string;
  run: EngineRun;
}

export interface SlurmPlaceOptions {
  /** Called when a job's queue state changes (PENDING with its reason, RUNNING on a node): progress and the Hosts view. */
  onJob?(runId: string, job: JobInfo): void;
  /** Seconds between squeue polls; default 1. */
  pollIntervalS?: number;
}

const nowIso = () => new Date().toISOString();

export class SlurmPlace implements EnginePlace {
  readonly ownsGpus = false;
  readonly capacity: number;
  private readonly slurm: SlurmTransport;
  private readonly jobs = new Map<string, Job>();

  constructor(
    readonly transport: Transport,
    readonly host: HostSpec,
    private readonly options: SlurmPlaceOptions = {},
  ) {
    if (host.transport.kind !== 'slurm') throw new Error(`host ${host.name} is not a Slurm host`);
    this.slurm = host.transport;
    this.capacity = host.transport.maxParallel;
  }

  /** A port no other job of this process uses (jobs of one node share its ports). */
  private pickPort(): number {
    const used = new Set([...this.jobs.values()].map((j) => j.run.port));
    for (;;) {
      const port = PORT_LOW + Math.floor(Math.random() * PORT_SPAN);
      if (!used.has(port)) return port;
    }
  }

  async start(variant: EngineVariant, options: StartEngineOptions): Promise<EngineRun> {
    const log = options.log ?? silentLogger;
    const id = newRunId(variant.engine);
    const dir = `${await workDirOf(this.transport, this.host)}/runs/${id}`;
    const port = options.port ?? this.pickPort();
    // The engine listens on the node's interfaces: the login node probes it and scrapes its metrics from outside.
    const rendered = renderVariant(variant, { port, install: this.host.engines[variant.engine], configDir: dir, bindHost: '0.0.0.0', ...(options.engineVersion ? { engineVersion: options.engineVersion } : {}) });
    let run = EngineRun.parse({
      schemaVersion: 1,
      id,
      host: this.host.name,
      engine: variant.engine,
      variant,
      argv: rendered.argv,
      env: rendered.env,
      status: { state: 'starting' },
      port,
      runDir: dir,
      logPath: `${dir}/engine.log`,
      ...(options.engineVersion ? { engineVersion: options.engineVersion } : {}),
      timings: { launchedAt: nowIso() },
    });
    await this.transport.exec(['mkdir', '-p', dir]);
    for (const f of rendered.files) await this.transport.writeFile(f.path, f.content);
    const jobId = await submitJob(this.transport, this.slurm, { name: `${JOB_NAME_PREFIX}${id}`, dir, argv: rendered.argv, env: rendered.env }, options.signal);
    const job: Job = { jobId, run };
    this.jobs.set(id, job);
    await this.save(run);
    log.info(`${this.host.name}: submitted ${variant.engine} as Slurm job ${jobId} (run ${id}, port ${port})`);
    options.onLog?.(`[serving-lab] submitted Slurm job ${jobId}: ${rendered.commandLine}`);
    run = await this.waitForReady(job, options);
    return run;
  }

  private async save(run: EngineRun): Promise<void> {
    const job = [...this.jobs.values()].find((j) => j.run.id === run.id);
    if (job) job.run = run;
    await this.transport.writeFile(`${run.runDir}/run.json`, `${JSON.stringify({ ...run, slurmJobId: job?.jobId }, null, 2)}\n`);
  }

  /** Polls the job until the engine answers, the job ends, the readiness timeout passes or the signal aborts. */
  private async waitForReady(job: Job, options: StartEngineOptions): Promise<EngineRun> {
    const log = options.log ?? silentLogger;
    const timeoutS = options.readinessTimeoutS ?? DEFAULT_READINESS_TIMEOUT_S;
    const engine = job.run.engine;
    const logReader = new LogReader(this.transport, job.run.logPath);
    let last = '';
    let runningSince: number | undefined;
    for (;;) {
      if (options.signal?.aborted) {
        log.warn(`${this.host.name}: start of run ${job.run.id} interrupted: cancelling job ${job.jobId}`);
        await cancelJob(this.transport, job.jobId).catch((err: Error) => log.warn(err.message));
        throw options.signal.reason instanceof Error ? options.signal.reason : new Error('interrupted');
      }
      const info = await jobInfo(this.transport, job.jobId);
      const state = info ? describeJob(info) : `job ${job.jobId} (unknown to squeue and sacct)`;
      if (info && state !== last) {
        last = state;
        this.options.onJob?.(job.run.id, info);
        options.onJob?.(info);
        options.onLog?.(`[serving-lab] ${state}`);
        log.info(`${this.host.name}: ${state}`);
      }
      if (info?.node) job.node = info.node;
      for (const line of await logReader.next()) options.onLog?.(line);
      if (!info || !isActive(info)) return this.ended(job, info, logReader.lines);
      if (info.state === 'RUNNING') {
        runningSince ??= Date.now();
        const readyLine = READINESS[engine].readyLine;
        if ((readyLine && logReader.lines.some((l) => readyLine.test(l))) || (await this.healthy(job))) {
          const queuedS = (runningSince - Date.parse(job.run.timings.launchedAt)) / 1000;
          const startupSeconds = (Date.now() - runningSince) / 1000;
          const run: EngineRun = { ...job.run, status: { state: 'ready' }, timings: { ...job.run.timings, readyAt: nowIso(), startupSeconds } };
          await this.save(run);
          log.info(`${this.host.name}: run ${run.id} (job ${job.jobId}) ready on ${job.node}:${run.port}: ${queuedS.toFixed(1)} s from submission to start, ${startupSeconds.toFixed(1)} s to ready`);
          return run;
        }
        if (hasFatalLine(logReader.lines) || (Date.now() - runningSince) / 1000 > timeoutS) {
          const crash: Crash = hasFatalLine(logReader.lines)
            ? classifyCrash(logReader.lines)
            : { reason: 'readiness-timeout', rootCause: `not ready ${timeoutS} s after job ${job.jobId} started; raise the readiness timeout for large models`, logExcerpt: logReader.lines.slice(-40) };
          await cancelJob(this.transport, job.jobId).catch((err: Error) => log.warn(err.message));
          return this.crashed(job, crash);
        }
      }
      await new Promise((done) => setTimeout(done, (this.options.pollIntervalS ?? options.pollIntervalS ?? 1) * 1000));
    }
  }

  private async healthy(job: Job): Promise<boolean> {
    if (!job.node) return false;
    try {
      const res = await httpRequest(this.transport, { host: job.node, port: job.run.port, path: READINESS[job.run.engine].healthPath, timeoutMs: 5000 });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** The job left the queue: the scheduler's doing (place-lost), the engine's exit (classified from its log), or a stop. */
  private async ended(job: Job, info: JobInfo | undefined, lines: readonly string[]): Promise<EngineRun> {
    const exit = await this.transport.readFile(`${job.run.runDir}/exit`).catch(() => '');
    const exitCode = /^\d+$/.test(exit.trim()) ? Number(exit.trim()) : null;
    if (info && SCHEDULER_KILLS.has(info.state)) {
      return this.crashed(job, { reason: 'place-lost', rootCause: `Slurm ended job ${job.jobId} with ${info.state}${info.state === 'TIMEOUT' ? ` (time limit ${this.slurm.timeLimit})` : ''}${info.node ? ` on ${info.node}` : ''}`, logExcerpt: lines.slice(-20), exitCode });
    }
    if (info?.state === 'CANCELLED' && job.run.status.state !== 'starting') return this.stopped(job, exitCode);
    if (info?.state === 'CANCELLED') return this.crashed(job, { reason: 'place-lost', rootCause: `job ${job.jobId} was cancelled before the engine was ready (scancel by someone else, or an administrator)`, logExcerpt: lines.slice(-20), exitCode });
    return this.crashed(job, { ...classifyCrash(lines, { exitCode }), exitCode });
  }

  private async crashed(job: Job, crash: Crash): Promise<EngineRun> {
    const run: EngineRun = { ...job.run, status: { state: 'crashed', crash }, timings: { ...job.run.timings, endedAt: nowIso() } };
    await this.save(run);
    return run;
  }

  private async stopped(job: Job, exitCode: number | null): Promise<EngineRun> {
    const run: EngineRun = { ...job.run, status: { state: 'stopped', exitCode }, timings: { ...job.run.timings, endedAt: nowIso() } };
    await this.save(run);
    return run;
  }

  private job(runId: string): Job {
    const job = this.jobs.get(runId);
    if (!job) throw new Error(`run ${runId} is not a Slurm job of this session`);
    return job;
  }

  async status(runId: string): Promise<EngineRun> {
    const job = this.job(runId);
    if (job.run.status.state !== 'ready' && job.run.status.state !== 'starting') return job.run;
    // Asked after a failure next to the engine: a job the scheduler is ending takes a few seconds to say so.
    let info = await jobInfo(this.transport, job.jobId);
    if (info && pastTimeLimit(info)) {
      await cancelJob(this.transport, job.jobId).catch(() => undefined);
      return this.crashed(job, { reason: 'place-lost', rootCause: `job ${job.jobId} reached its time limit of ${info.timeLimit}${info.node ? ` on ${info.node}` : ''} (TIMEOUT): Slurm refuses new steps and ends it`, logExcerpt: [] });
    }
    for (let i = 0; i < 15 && info && isActive(info); i++) {
      await new Promise((done) => setTimeout(done, 1000));
      info = await jobInfo(this.transport, job.jobId);
    }
    if (info && isActive(info)) return job.run;
    const tail = await this.transport.exec(['tail', '-n', '400', job.run.logPath]);
    return this.ended(job, info, tail.stdout.split('\n'));
  }

  async stop(runId: string): Promise<EngineRun> {
    // A run started by another process (the CLI, another window) is learnt from the queue first.
    if (!this.jobs.has(runId)) await this.list();
    const job = this.jobs.get(runId);
    if (!job) throw new Error(`no Slurm job of ${this.host.name} runs ${runId} any more: it has ended (\`squeue --name ${JOB_NAME_PREFIX}${runId}\` shows none)`);
    const info = await cancelJob(this.transport, job.jobId);
    if (job.run.status.state === 'crashed') return job.run;
    return this.stopped(job, info?.exitCode && /^\d+/.test(info.exitCode) ? Number(info.exitCode.split(':')[0]) : null);
  }

  /** Runs of this host's jobs the scheduler still knows (with their run.json from the shared work dir). */
  async list(): Promise<EngineRun[]> {
    return (await this.listWithJobs()).map((r) => r.run);
  }

  /** Each run with its job as squeue shows it: RUNNING on a node, or PENDING with the reason (Resources, Priority…). */
  async listWithJobs(): Promise<Array<{ run: EngineRun; job: JobInfo }>> {
    const runs: Array<{ run: EngineRun; job: JobInfo }> = [];
    const workDir = await workDirOf(this.transport, this.host);
    for (const info of await listJobs(this.transport, JOB_NAME_PREFIX)) {
      if (!isActive(info)) continue;
      const id = info.name!.slice(JOB_NAME_PREFIX.length);
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) continue;
      try {
        const text = await this.transport.readFile(`${workDir}/runs/${id}/run.json`);
        const run = EngineRun.parse(JSON.parse(text));
        if (!this.jobs.has(id)) this.jobs.set(id, { jobId: info.id, ...(info.node ? { node: info.node } : {}), run });
        runs.push({ run: { ...run, status: run.status.state === 'ready' || info.state !== 'RUNNING' ? run.status : { state: 'starting' } }, job: info });
      } catch {
        // a job of another work dir, or its run.json not written yet
      }
    }
    return runs;
  }

  address(runId: string): string | undefined {
    return this.job(runId).node;
  }

  whereIs(runId: string): { node?: string; job?: string } {
    const job = this.job(runId);
    return { job: job.jobId, ...(job.node ? { node: job.node } : {}) };
  }

  /** The command runs on the job's node, inside its allocation, next to the engine. */
  exec(runId: string, argv: readonly string[], options?: ExecOptions) {
    const job = this.job(runId);
    return this.transport.exec(['srun', `--jobid=${job.jobId}`, '--overlap', '--nodes=1', '--ntasks=1', '--quiet', ...argv], options);
  }

  /** The Slurm job id of a run (for progress lines and the Hosts view). */
  jobIdOf(runId: string): string | undefined {
    return this.jobs.get(runId)?.jobId;
  }
}

/** Reads an engine log on the shared file system from where it left off, as lines. */
class LogReader {
  readonly lines: string[] = [];
  private offset = 0;
  private partial = '';

  constructor(
    private readonly transport: Transport,
    private readonly path: string,
  ) {}

  async next(): Promise<string[]> {
    const r = await this.transport.exec(['sh', '-c', '[ -f "$1" ] && tail -c +"$2" "$1" || true', 'sh', this.path, String(this.offset + 1)]);
    if (r.exitCode !== 0 || r.stdout === '') return [];
    this.offset += Buffer.byteLength(r.stdout);
    const all = (this.partial + r.stdout).split('\n');
    this.partial = all.pop() ?? '';
    this.lines.push(...all);
    if (this.lines.length > 5000) this.lines.splice(0, this.lines.length - 5000);
    return all;
  }
}
