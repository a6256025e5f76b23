// Slurm commands run on a cluster's login node through its transport: sbatch (a job script written as a file, every
// value quoted), squeue / sacct for job state, scancel, sinfo for partitions and their GPUs. Every value of the host
// spec reaches Slurm as its own argv word; nothing is interpolated into a shell command line.
import type { SlurmTransport } from '../plan/schema';
import { envNameProblem, shellJoin, shellQuote } from '../shell';
import type { Transport } from './transport';

export class SlurmError extends Error {}

/** "slurm login1 → gpu, gpu:4, 02:00:00, ≤2 jobs" for host lists. */
export function slurmSummary(t: SlurmTransport): string {
  const where = t.alias ? `slurm via ${t.alias}` : 'slurm (this machine submits)';
  return `${where}: ${[t.partition ?? 'default partition', t.gres, t.timeLimit].join(', ')}, ≤${t.maxParallel} job${t.maxParallel === 1 ? '' : 's'}`;
}

/** Job states in which the scheduler, not the engine, ended the job: the point is measured again once. */
export const SCHEDULER_KILLS: ReadonlySet<string> = new Set(['TIMEOUT', 'PREEMPTED', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE']);
const ACTIVE = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'REQUEUED', 'RESIZING', 'SUSPENDED', 'STAGE_OUT', 'SIGNALING']);

export interface JobInfo {
  id: string;
  name?: string;
  /** PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, NODE_FAIL, … */
  state: string;
  /** Why a job waits (Resources, Priority, QOSMaxGRESPerUser) or ended (NonZeroExitCode, TimeLimit). */
  reason?: string;
  /** The allocated node, once running. */
  node?: string;
  elapsed?: string;
  timeLimit?: string;
  gres?: string;
  /** "3:0" = exit 3, "0:15" = signal 15 (from sacct). */
  exitCode?: string;
}

export const isActive = (job: JobInfo) => ACTIVE.has(job.state);

// ---------------------------------------------------------------- job script and submission

export interface JobRequest {
  /** The job's name (`serving-lab-<run id>`), so a resume finds jobs it left behind. */
  name: string;
  /** The job's work dir (on a file system the login node and the nodes share): script, log, results. */
  dir: string;
  /** The engine's argv and environment, exactly as rendered for the host. */
  argv: readonly string[];
  env: Record<string, string>;
}

/** The engine command as the job runs it: inside the host's container when it names one. */
function containerArgv(container: string | undefined, dir: string, argv: readonly string[], env: Record<string, string>): string[] {
  const envWords = Object.entries(env).map(([k, v]) => {
    const problem = envNameProblem(k);
    if (problem) throw new SlurmError(problem);
    return `${k}=${v}`;
  });
  const withEnv = envWords.length > 0 ? ['env', ...envWords, ...argv] : [...argv];
  if (container === undefined) return withEnv;
  // Apptainer images are files (*.sif); anything else is an enroot/pyxis image reference for srun.
  if (container.endsWith('.sif')) return ['apptainer', 'exec', '--nv', '--bind', dir, container, ...withEnv];
  return ['srun', '--overlap', '--ntasks=1', `--container-image=${container}`, `--container-mounts=${dir}:${dir}`, ...withEnv];
}

/**
 * The batch script: records the node, runs the engine with its log in the job dir, and records the exit code.
 * Every word is quoted by shellJoin; the only unquoted text is this constant's own shell.
 */
export function jobScript(t: SlurmTransport, job: JobRequest): string {
  const engine = shellJoin(containerArgv(t.container, job.dir, job.argv, job.env));
  const dir = shellQuote(job.dir);
  return [
    '#!/bin/sh',
    `# Serving Lab engine run ${job.name}: written by Serving Lab, submitted with sbatch.`,
    `cd ${dir} || exit 90`,
    'hostname > node.tmp && mv node.tmp node',
    `${engine} < /dev/null >> engine.log 2>&1`,
    'code=$?',
    'echo "$code" > exit.tmp && mv exit.tmp exit',
    'exit "$code"',
    '',
  ].join('\n');
}

/** sbatch's argv for the host's resources: one node, one task, the job's output next to the engine log. */
export function sbatchArgv(t: SlurmTransport, job: Pick<JobRequest, 'name' | 'dir'>, scriptPath: string): string[] {
  const argv = ['sbatch', '--parsable', `--job-name=${job.name}`, `--chdir=${job.dir}`, `--output=${job.dir}/slurm-%j.out`, '--nodes=1', '--ntasks=1', `--gres=${t.gres}`, `--time=${t.timeLimit}`];
  if (t.partition) argv.push(`--partition=${t.partition}`);
  if (t.account) argv.push(`--account=${t.account}`);
  if (t.qos) argv.push(`--qos=${t.qos}`);
  if (t.constraint) argv.push(`--constraint=${t.constraint}`);
  argv.push(scriptPath);
  return argv;
}

/** Writes the job script into the job dir and submits it; resolves with the job id. */
export async function submitJob(transport: Transport, t: SlurmTransport, job: JobRequest, signal?: AbortSignal): Promise<string> {
  const mk = await transport.exec(['mkdir', '-p', job.dir], { signal });
  if (mk.exitCode !== 0) throw new SlurmError(`cannot create the job dir ${job.dir}: ${mk.stderr.trim() || 'mkdir failed'}; check workDir in the hosts file`);
  const script = `${job.dir}/job.sh`;
  await transport.writeFile(script, jobScript(t, job), { mode: 0o755, signal });
  const r = await transport.exec(sbatchArgv(t, job, script), { signal });
  const id = r.stdout.trim().split(';')[0] ?? '';
  if (r.exitCode !== 0 || !/^\d+$/.test(id)) {
    const why = r.stderr.trim().replace(/^sbatch: error: /gm, '') || `exit ${r.exitCode}`;
    throw new SlurmError(`sbatch refused the job: ${why}${/configuration is not available/i.test(why) ? ` (no node of the partition has ${t.gres}: see \`serving-lab hosts check\`)` : ''}`);
  }
  return id;
}

// ---------------------------------------------------------------- job state

const SQUEUE_FORMAT = '%i|%j|%T|%r|%N|%M|%l|%b';

/** Parses `squeue -h -o '%i|%j|%T|%r|%N|%M|%l|%b'`. */
export function parseSqueue(text: string): JobInfo[] {
  const jobs: JobInfo[] = [];
  for (const line of text.split('\n')) {
    const [id, name, state, reason, node, elapsed, timeLimit, gres] = line.trim().split('|');
    if (!id || !state || !/^\d+/.test(id)) continue;
    jobs.push({
      id,
      state,
      ...(name ? { name } : {}),
      ...(reason && reason !== 'None' ? { reason } : {}),
      ...(node && !node.startsWith('(') ? { node } : {}),
      ...(elapsed ? { elapsed } : {}),
      ...(timeLimit ? { timeLimit } : {}),
      ...(gres && gres !== 'N/A' ? { gres } : {}),
    });
  }
  return jobs;
}

/** Parses `sacct -n -P -X -o JobID,JobName,State,ExitCode,NodeList,Elapsed,Reason` (States like "CANCELLED by 0"). */
export function parseSacct(text: string): JobInfo[] {
  const jobs: JobInfo[] = [];
  for (const line of text.split('\n')) {
    const [id, name, state, exitCode, node, elapsed, reason] = line.trim().split('|');
    if (!id || !state || !/^\d+$/.test(id)) continue;
    jobs.push({
      id,
      state: state.split(' ')[0]!,
      ...(name ? { name } : {}),
      ...(exitCode ? { exitCode } : {}),
      ...(node && node !== 'None assigned' ? { node } : {}),
      ...(elapsed ? { elapsed } : {}),
      ...(reason && reason !== 'None' ? { reason } : {}),
    });
  }
  return jobs;
}

/** Jobs of this user whose name starts with `prefix` (pending and running, and recently finished ones squeue keeps). */
export async function listJobs(transport: Transport, prefix: string, signal?: AbortSignal): Promise<JobInfo[]> {
  const r = await transport.exec(['sh', '-c', 'squeue -h --me -o "$1" 2>/dev/null || squeue -h -u "$(id -un)" -o "$1"', 'sh', SQUEUE_FORMAT], { signal });
  if (r.exitCode !== 0) throw new SlurmError(`squeue failed on the login node: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return parseSqueue(r.stdout).filter((j) => j.name?.startsWith(prefix));
}

/**
 * One job's state: squeue while the scheduler remembers it, else sacct (the accounting database, or with
 * `-c` the job-completion file when the cluster keeps no database). Undefined when no source knows the job.
 */
export async function jobInfo(transport: Transport, id: string, signal?: AbortSignal): Promise<JobInfo | undefined> {
  if (!/^\d+$/.test(id)) throw new SlurmError(`"${id}" is not a Slurm job id`);
  const q = await transport.exec(['squeue', '-h', '-j', id, '-o', SQUEUE_FORMAT], { signal });
  const fromQueue = q.exitCode === 0 ? parseSqueue(q.stdout).find((j) => j.id === id) : undefined;
  if (fromQueue) return fromQueue;
  const fields = ['-n', '-P', '-X', '-j', id, '-o', 'JobID,JobName,State,ExitCode,NodeList,Elapsed'];
  for (const argv of [['sacct', ...fields], ['sacct', '-c', ...fields]]) {
    const a = await transport.exec(argv, { signal });
    const found = a.exitCode === 0 ? parseSacct(a.stdout).find((j) => j.id === id) : undefined;
    if (found) return found;
  }
  return undefined;
}

/** scancel, then waits (up to `waitS`) until the job has left the running states. */
export async function cancelJob(transport: Transport, id: string, options: { waitS?: number; signal?: AbortSignal } = {}): Promise<JobInfo | undefined> {
  if (!/^\d+$/.test(id)) throw new SlurmError(`"${id}" is not a Slurm job id`);
  const r = await transport.exec(['scancel', id]);
  if (r.exitCode !== 0 && !/Invalid job id|already completing or completed/i.test(r.stderr)) throw new SlurmError(`scancel ${id} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  const deadline = Date.now() + (options.waitS ?? 60) * 1000;
  for (;;) {
    const job = await jobInfo(transport, id);
    if (!job || !isActive(job)) return job;
    if (Date.now() > deadline) throw new SlurmError(`job ${id} is still ${job.state} ${options.waitS ?? 60} s after scancel; check \`squeue -j ${id}\` on the login node`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

// ---------------------------------------------------------------- partitions (hosts check)

export interface PartitionGpus {
  partition: string;
  /** The partition jobs go to without --partition. */
  isDefault: boolean;
  available: boolean;
  nodes: number;
  /** "gpu" GRES of the partition's nodes by type ("(any)" when the GRES names no type), GPUs per node. */
  gpus: Array<{ type: string; perNode: number }>;
  timeLimit: string;
  states: string[];
}

/** The `gpu` entries of a GRES list ("gpu:a100:4(S:0-1),shard:8", "gpu:8"): type when it names one, and count. */
export function parseGpuGres(gres: string): Array<{ type?: string; count: number }> {
  const gpus: Array<{ type?: string; count: number }> = [];
  for (const entry of gres.split(/,(?![^(]*\))/)) {
    // "gpu:8" is a count; a request may also say just "gpu" (one).
    const m = /^gpu(?::([^:(]+))?(?::(\d+))(?:\(|$)/.exec(entry.trim()) ?? /^gpu(?::([^:(\d][^:(]*))?()(?:\(|$)/.exec(entry.trim());
    if (m) gpus.push({ ...(m[1] ? { type: m[1] } : {}), count: m[2] ? Number(m[2]) : 1 });
  }
  return gpus;
}

/** Parses `sinfo -h -o '%P|%a|%D|%G|%T|%l'` (one line per partition × node state × GRES), merged by partition. */
export function parseSinfo(text: string): PartitionGpus[] {
  const byName = new Map<string, PartitionGpus>();
  for (const line of text.split('\n')) {
    const [rawName, avail, nodes, gres, state, limit] = line.trim().split('|');
    if (!rawName || avail === undefined) continue;
    const name = rawName.replace(/\*$/, '');
    const p = byName.get(name) ?? { partition: name, isDefault: rawName.endsWith('*'), available: avail === 'up', nodes: 0, gpus: [], timeLimit: limit ?? '', states: [] };
    p.nodes += Number(nodes) || 0;
    if (state && !p.states.includes(state)) p.states.push(state);
    for (const { type = '(any)', count: perNode } of parseGpuGres(gres ?? '')) {
      if (!p.gpus.some((g) => g.type === type && g.perNode === perNode)) p.gpus.push({ type, perNode });
    }
    byName.set(name, p);
  }
  return [...byName.values()];
}

export async function listPartitions(transport: Transport, signal?: AbortSignal): Promise<PartitionGpus[]> {
  const r = await transport.exec(['sinfo', '-h', '-o', '%P|%a|%D|%G|%T|%l'], { signal });
  if (r.exitCode !== 0) throw new SlurmError(`sinfo failed on the login node: ${r.stderr.trim() || `exit ${r.exitCode}`}; is this a Slurm login node?`);
  return parseSinfo(r.stdout);
}

/** Seconds of a squeue duration ("1-02:03:04", "02:03:04", "3:04"); undefined for UNLIMITED, INVALID and the like. */
export function slurmSeconds(text: string | undefined): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text ?? '');
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/** A running job past its time limit: Slurm refuses new steps at once and kills it at its next periodic check. */
export function pastTimeLimit(job: JobInfo): boolean {
  const elapsed = slurmSeconds(job.elapsed);
  const limit = slurmSeconds(job.timeLimit);
  return job.state === 'RUNNING' && elapsed !== undefined && limit !== undefined && elapsed >= limit;
}

/** A line for progress output: "job 42 PENDING (Resources)". */
export function describeJob(job: JobInfo): string {
  return `job ${job.id} ${job.state}${job.reason ? ` (${job.reason})` : ''}${job.node ? ` on ${job.node}` : ''}`;
}

