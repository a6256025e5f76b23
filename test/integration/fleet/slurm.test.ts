// Variants as Slurm batch jobs on a real one-node cluster (slurmctld + slurmd on loopback, 8 `gpu` GRES backed by
// /dev/null clones; scripts/slurm-up.sh starts it, idempotently). The node's engines are the simulator's shims for
// 8×A100, so a job's CUDA_VISIBLE_DEVICES picks the simulated GPUs it may use, as on a GPU node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseServeCommand } from '../../../src/core/engines/index';
import { EngineVariant, TuningPlan, type EngineRun, type Experiment, type HostSpec } from '../../../src/core/plan/schema';
import { resolveHost } from '../../../src/core/remote/hosts';
import { LocalTransport } from '../../../src/core/remote/local';
import { listeningPorts } from '../../../src/core/remote/runs';
import { listJobs, type JobInfo } from '../../../src/core/remote/slurm';
import { JOB_NAME_PREFIX, SlurmPlace } from '../../../src/core/remote/slurmPlace';
import type { HostCheck } from '../../../src/core/remote/check';
import { openResultsStore } from '../../../src/core/results/store';
import { installShims } from '../../../src/core/sim/shims';
import { runExperiment } from '../../../src/core/tune/experiment';
import { openHostBackend } from '../../../src/core/tune/hostBackend';
import type { RunObserver } from '../../../src/core/tune/observer';
import { LaneTracker } from '../../../src/vscode/dashboard/lanes';
import { CLI, storeContents } from '../tune/support';

const SLURM_UP = resolve(__dirname, '../../../scripts/slurm-up.sh');
const dir = mkdtempSync(join(tmpdir(), 'serving-lab-slurm-'));
const login = new LocalTransport('login node');
let host: HostSpec;
let hostsFile: string;

function writeHostsFile(name: string, transport: string): string {
  const file = join(dir, `${name}.hosts.yaml`);
  writeFileSync(
    file,
    [
      'hosts:',
      `  - name: ${name}`,
      `    transport: ${transport}`,
      `    workDir: ${join(dir, 'work')}`,
      '    engines:',
      `      vllm: { command: ${join(dir, 'shims', 'vllm')} }`,
      `      sglang: { command: ${join(dir, 'shims', 'python3')} }`,
      '',
    ].join('\n'),
  );
  return file;
}

before(async () => {
  execFileSync(SLURM_UP, { stdio: ['ignore', 'ignore', 'inherit'] });
  await installShims(join(dir, 'shims'), { gpu: 'A100-SXM4-80GB', count: 8, speedup: 40, cliPath: CLI });
  hostsFile = writeHostsFile('cluster', '{ kind: slurm, gres: "gpu:4", timeLimit: "00:30:00", maxParallel: 3 }');
  host = resolveHost('cluster', { cwd: dir, hostsFile });
});

/** Jobs this file submitted (the cluster may be shared with other test runs): their run dirs are in this work dir. */
const ownJobs = async () => (await listJobs(login, JOB_NAME_PREFIX)).filter((j) => existsSync(join(dir, 'work', 'runs', j.name!.slice(JOB_NAME_PREFIX.length))));

after(async () => {
  // Nothing a failed test submitted may outlive it.
  for (const job of await ownJobs().catch(() => [] as JobInfo[])) execFileSync('scancel', [job.id]);
  rmSync(dir, { recursive: true, force: true });
});

const activeJobs = async () => (await ownJobs()).filter((j) => ['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING'].includes(j.state));
const variant = EngineVariant.parse({ engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 } });

test('two 4-GPU jobs run at once on the 8-GPU node; a third pends (Resources) until one ends', async () => {
  const seen: Array<{ runId: string; job: JobInfo }> = [];
  const place = new SlurmPlace(login, host, { onJob: (runId, job) => seen.push({ runId, job }) });
  const [a, b] = await Promise.all([place.start(variant, {}), place.start(variant, {})]);
  assert.equal(a.status.state, 'ready', JSON.stringify(a.status));
  assert.equal(b.status.state, 'ready', JSON.stringify(b.status));
  // Each job holds four of the eight GPUs, and not the same four.
  const gpusOf = (run: EngineRun) => /GRES=gpu:4\(IDX:([\d,-]+)\)/.exec(execFileSync('scontrol', ['-d', 'show', 'job', place.jobIdOf(run.id)!], { encoding: 'utf8' }))?.[1];
  assert.deepEqual([gpusOf(a), gpusOf(b)].sort(), ['0-3', '4-7']);
  let third: EngineRun | undefined;
  // The start's own onJob (what a tune run's lanes and Slurm queue follow) hears its job's queue states too.
  const thirdJob: JobInfo[] = [];
  const starting = place.start(variant, { onJob: (job) => thirdJob.push(job) }).then((r) => (third = r));
  for (let i = 0; i < 60 && !seen.some((s) => s.job.state === 'PENDING' && s.job.reason === 'Resources'); i++) await new Promise((r) => setTimeout(r, 500));
  const pending = seen.filter((s) => s.job.state === 'PENDING').at(-1);
  assert.equal(pending?.job.reason, 'Resources', `the third job waits for GPUs: ${JSON.stringify(seen.map((s) => s.job))}`);
  assert.equal(third, undefined);
  assert.equal((await activeJobs()).filter((j) => j.state === 'RUNNING').length, 2);
  await place.stop(a.id);
  await starting;
  assert.equal(third!.status.state, 'ready');
  assert.ok(thirdJob.some((j) => j.state === 'PENDING' && j.reason === 'Resources'), JSON.stringify(thirdJob));
  assert.equal(thirdJob.at(-1)?.state, 'RUNNING');
  assert.equal(thirdJob.at(-1)?.id, place.jobIdOf(third!.id));
  for (const run of [b, third!]) await place.stop(run.id);
  assert.deepEqual(await activeJobs(), []);
  const listening = await listeningPorts(login);
  for (const run of [a, b, third!]) assert.ok(!listening.has(run.port), `engine of ${run.id} still listens on ${run.port}`);
});

test('Ctrl-C of `serving-lab tune` on a Slurm host cancels its job and leaves no engine', async () => {
  const plan = join(dir, 'cancel.plan.yaml');
  writeFileSync(plan, ['name: cancel', 'host: cluster', 'model: zai-org/GLM-4.5-Air', 'baseline: { engine: vllm, parallel: { tp: 4 } }', 'workloads:', '  primary: { preset: sharegpt, numPrompts: 4000 }', ''].join('\n'));
  const child = spawn(process.execPath, [CLI, 'tune', plan, '--hosts-file', hostsFile, '--results', join(dir, 'store-cancel')], { env: { ...process.env, SERVING_LAB_HOME: join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  for (let i = 0; i < 240 && !/bench {3}Baseline/.test(stderr); i++) await new Promise((r) => setTimeout(r, 500));
  assert.match(stderr, /place {3}job \d+ RUNNING on /, stderr.slice(-2000));
  const running = await activeJobs();
  assert.equal(running.length, 1, JSON.stringify(running));
  // Sent as the benchmark starts: its client step may not have started yet, and must still be interrupted rather
  // than send all 4000 prompts (about a minute here).
  const interruptedAt = Date.now();
  child.kill('SIGINT');
  assert.equal(await exited, 1, stderr.slice(-2000));
  const seconds = (Date.now() - interruptedAt) / 1000;
  assert.ok(seconds < 30, `tune ended ${seconds} s after Ctrl-C`);
  assert.deepEqual(await activeJobs(), [], 'scancel left no job');
  const run = JSON.parse(execFileSync('sh', ['-c', 'cat "$1"/runs/*/run.json', 'sh', join(dir, 'work')], { encoding: 'utf8' }).split(/\n(?=\{)/).pop()!) as EngineRun;
  assert.ok(!(await listeningPorts(login)).has(run.port), 'the engine is gone with its job');
  const store = await storeContents(join(dir, 'store-cancel'));
  assert.equal(store.experiments[0]!.status, 'interrupted');
});

test('a job killed at its time limit is recorded as such and measured again in a new job', async () => {
  const plan = join(dir, 'timeout.plan.yaml');
  // Forty repeats on one launch (about 100 s on a quiet 2-core machine): the first job is still benchmarking when its
  // (lowered) time limit of one minute ends, however fast the machine is.
  writeFileSync(plan, ['name: timeout', 'host: cluster', 'model: zai-org/GLM-4.5-Air', 'baseline: { engine: vllm, parallel: { tp: 4 } }', 'repeats: 40', 'workloads:', '  primary: { preset: sharegpt, numPrompts: 150 }', ''].join('\n'));
  const child = spawn(process.execPath, [CLI, 'tune', plan, '--hosts-file', hostsFile, '--results', join(dir, 'store-timeout'), '--json'], { env: { ...process.env, SERVING_LAB_HOME: join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  let first: JobInfo | undefined;
  for (let i = 0; i < 240 && !first; i++) {
    first = (await activeJobs()).find((j) => j.state === 'RUNNING');
    if (!first) await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(first, stderr.slice(-2000));
  execFileSync('scontrol', ['update', `JobId=${first.id}`, 'TimeLimit=1']);
  assert.equal(await exited, 0, stderr.slice(-3000));
  const x = JSON.parse(stdout) as Experiment;
  assert.equal(x.status, 'completed');
  assert.ok(x.notes.some((n) => new RegExp(`job ${first!.id} (with TIMEOUT|reached its time limit).*measured again`).test(n)), x.notes.join('\n'));
  assert.match(stderr, /note {4}.*TIMEOUT.*measuring it again/);
  const store = await storeContents(join(dir, 'store-timeout'));
  const repeats = store.results.filter((r) => r.experimentId === x.id && r.status === 'complete').map((r) => r.repeat).sort((p, q) => p! - q!);
  assert.deepEqual(repeats, Array.from({ length: 40 }, (_, i) => i), 'every repeat measured exactly once, none lost');
  assert.deepEqual(await activeJobs(), []);
});

/**
 * `hosts check` with a login node whose nvidia-smi shows other GPUs than the compute node: here one machine is both,
 * so the login node's PATH leads to a nvidia-smi that answers as one L4 outside a job and as the node's simulated
 * A100s inside one (srun carries the environment to the job, as on a cluster where every node has nvidia-smi).
 */
async function checkWithLoginGpus(): Promise<{ report: HostCheck; seconds: number }> {
  const bin = join(dir, 'login-bin');
  if (!existsSync(bin)) {
    await installShims(join(dir, 'login-shims'), { gpu: 'L4', count: 1, cliPath: CLI });
    mkdirSync(bin);
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\nif [ -n "$SLURM_JOB_ID" ]; then exec '${join(dir, 'shims', 'nvidia-smi')}' "$@"; fi\nexec '${join(dir, 'login-shims', 'nvidia-smi')}' "$@"\n`);
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
  }
  const started = Date.now();
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [CLI, 'hosts', 'check', 'cluster', '--hosts-file', hostsFile, '--json'], { env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, SERVING_LAB_HOME: join(dir, 'home') } }, (err, out, errOut) =>
      err && !out ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
    ),
  );
  return { report: JSON.parse(stdout) as HostCheck, seconds: (Date.now() - started) / 1000 };
}

test('hosts check on a Slurm host reports the GPUs a job gets on a compute node, not the login node\'s', async () => {
  const { report } = await checkWithLoginGpus();
  // The node's GRES is count-only (gpu:8): the model comes from nvidia-smi inside a job of the partition.
  assert.deepEqual(report.gpus.map((g) => g.name), Array(4).fill('NVIDIA A100-SXM4-80GB'), JSON.stringify(report));
  assert.match(report.gpuSource ?? '', /^nvidia-smi on node \S+ of the default partition through srun \(the GRES gpu:8 of node \S+ names no GPU type\)$/);
  assert.ok(report.driverVersion, 'the driver comes from the node too');
  assert.equal(report.simulatorGpu, 'A100-SXM4-80GB');
  assert.deepEqual(report.notes, []);
  assert.deepEqual(await activeJobs(), []);
});

test('on a partition with no free node the GPU probe is skipped at once, with a note, instead of waiting', async () => {
  // Every GPU of the node held by another job: a job of the host would pend.
  const holder = execFileSync('sbatch', ['--parsable', '--job-name=gpu-holder', '--gres=gpu:8', '--time=2', '--output=/dev/null', '--wrap', 'sleep 120'], { encoding: 'utf8' }).trim();
  try {
    for (let i = 0; i < 40 && !/RUNNING/.test(execFileSync('squeue', ['-h', '-j', holder, '-o', '%T'], { encoding: 'utf8' })); i++) await new Promise((r) => setTimeout(r, 250));
    const { report, seconds } = await checkWithLoginGpus();
    assert.deepEqual(report.gpus.map((g) => g.name), Array(4).fill('unknown'), JSON.stringify(report));
    assert.match(report.notes.join('\n'), /GPU model unknown: the GRES gpu:8 of node \S+ names no GPU type, and the srun probe on the default partition could not start at once \(.*busy.*\), so it was skipped/);
    assert.ok(seconds < 30, `hosts check took ${seconds} s`);
  } finally {
    execFileSync('scancel', [holder]);
  }
});

test("a stage's options run as concurrent jobs, and the runner's events say which job each engine, point and sample is (the dashboard's lanes and Slurm queue)", async () => {
  // Two options side by side after the baseline (the pending reason's way to the start is the first test's).
  const plan = TuningPlan.parse({
    name: 'lanes',
    host: 'cluster',
    model: 'zai-org/GLM-4.5-Air',
    baseline: { engine: 'vllm', parallel: { tp: 4 } },
    stages: [{ name: 'Batching', kind: 'batching', options: [64, 256].map((n) => ({ name: `seqs ${n}`, patch: { batching: { maxNumSeqs: n } } })) }],
    workloads: { primary: { preset: 'sharegpt', numPrompts: 10 } },
  });
  const backend = await openHostBackend({ hostName: 'cluster', hostsFile, cwd: dir }, new AbortController().signal);
  const lanes = new LaneTracker([]);
  const jobs = new Map<string, Set<string>>();
  const sampledJobs = new Set<string>();
  const observer: RunObserver = {
    engine: (e) => {
      lanes.engine(e);
      if (e.place?.job) jobs.set(e.place.job.id, (jobs.get(e.place.job.id) ?? new Set()).add(e.place.job.state));
    },
    point: (p) => assert.ok(lanes.point(p)?.job, `point ${p.option} runs in a job: ${JSON.stringify(p.place)}`),
    sample: (_s, place) => place?.job && sampledJobs.add(place.job.id),
  };
  try {
    const x = await runExperiment({ plan, backend, store: openResultsStore(join(dir, 'store-lanes')), observer, signal: new AbortController().signal, parseCommand: parseServeCommand, notes: backend.notes });
    assert.equal(x.status, 'completed', x.error);
  } finally {
    await backend.close();
  }
  assert.equal(jobs.size, 3, 'a job per variant');
  assert.ok([...jobs.values()].every((states) => states.has('RUNNING')), JSON.stringify([...jobs].map(([id, s]) => [id, [...s]])));
  assert.deepEqual(sampledJobs, new Set(jobs.keys()), "every job's live samples name it");
  assert.deepEqual(lanes.all.map((l) => l.key), ['cluster #1', 'cluster #2'], "a lane per concurrent job; the options' jobs reuse the baseline's");
  assert.deepEqual(await activeJobs(), []);
});
