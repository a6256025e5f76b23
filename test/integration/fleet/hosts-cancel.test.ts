// The Hosts view's Slurm jobs and its Cancel, through the core the view's commands call (listPlacedRuns on Check
// Host, stopPlacedRun on Stop/Cancel), against the real one-node cluster (scripts/slurm-up.sh), each call on a fresh
// login-node transport as a command of the extension makes it: a running job shows its node, a job waiting for GPUs
// shows PENDING with squeue's reason; cancelling either leaves no job and no engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineVariant, type HostSpec } from '../../../src/core/plan/schema';
import { resolveHost } from '../../../src/core/remote/hosts';
import { LocalTransport } from '../../../src/core/remote/local';
import { listPlacedRuns, stopPlacedRun, type PlacedRun } from '../../../src/core/remote/place';
import { listeningPorts } from '../../../src/core/remote/runs';
import { listJobs, type JobInfo } from '../../../src/core/remote/slurm';
import { JOB_NAME_PREFIX, SlurmPlace } from '../../../src/core/remote/slurmPlace';
import { installShims } from '../../../src/core/sim/shims';
import { CLI } from '../tune/support';

const SLURM_UP = resolve(__dirname, '../../../scripts/slurm-up.sh');
const dir = mkdtempSync(join(tmpdir(), 'serving-lab-hosts-cancel-'));
const login = () => new LocalTransport('login node');
let half: HostSpec;
let whole: HostSpec;

before(async () => {
  execFileSync(SLURM_UP, { stdio: ['ignore', 'ignore', 'inherit'] });
  await installShims(join(dir, 'shims'), { gpu: 'A100-SXM4-80GB', count: 8, speedup: 40, cliPath: CLI });
  // Two hosts on the same cluster and work dir: one asks for half the node's GPUs, the other for all of them.
  const file = join(dir, 'serving-lab.hosts.yaml');
  const entry = (name: string, gres: string) => [`  - name: ${name}`, `    transport: { kind: slurm, gres: "${gres}", timeLimit: "00:10:00" }`, `    workDir: ${join(dir, 'work')}`, '    engines:', `      vllm: { command: ${join(dir, 'shims', 'vllm')} }`];
  writeFileSync(file, ['hosts:', ...entry('half', 'gpu:4'), ...entry('whole', 'gpu:8'), ''].join('\n'));
  half = resolveHost('half', { cwd: dir, hostsFile: file });
  whole = resolveHost('whole', { cwd: dir, hostsFile: file });
});

/** Jobs of this file (the cluster may be shared with other test runs): their run dirs are in this work dir. */
const ownJobs = async () => (await listJobs(login(), JOB_NAME_PREFIX)).filter((j) => existsSync(join(dir, 'work', 'runs', j.name!.slice(JOB_NAME_PREFIX.length))));
const activeJobs = async () => (await ownJobs()).filter((j) => ['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING'].includes(j.state));

after(async () => {
  for (const job of await ownJobs().catch(() => [] as JobInfo[])) execFileSync('scancel', [job.id]);
  rmSync(dir, { recursive: true, force: true });
});

const variant = EngineVariant.parse({ engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 } });

test('Hosts view core: a running job with its node, a pending one with its reason; Cancel on each leaves no job and no engine', { timeout: 180_000 }, async () => {
  const running = await new SlurmPlace(login(), half).start(variant, {});
  assert.equal(running.status.state, 'ready', JSON.stringify(running.status));
  // All eight GPUs while four are taken: the scheduler holds it back.
  const waiting = new SlurmPlace(login(), whole).start(variant, {});
  let listed: PlacedRun[] = [];
  for (let i = 0; i < 60 && !listed.some((p) => p.job?.state === 'PENDING' && p.job.reason === 'Resources'); i++) {
    await new Promise((r) => setTimeout(r, 500));
    listed = await listPlacedRuns(login(), half);
  }
  const first = listed.find((p) => p.run.id === running.id);
  const pending = listed.find((p) => p.run.id !== running.id);
  assert.equal(first?.job?.state, 'RUNNING', JSON.stringify(listed.map((p) => p.job)));
  assert.ok(first.job.node, 'a running job names its node');
  assert.equal(pending?.job?.state, 'PENDING', JSON.stringify(listed.map((p) => p.job)));
  assert.equal(pending.job.reason, 'Resources');

  // Cancel the pending job, then the running one, each from a fresh connection as the view's command does.
  const cancelledPending = await stopPlacedRun(login(), half, pending.run.id);
  assert.equal(cancelledPending.status.state, 'stopped');
  const cancelledRunning = await stopPlacedRun(login(), half, running.id);
  assert.equal(cancelledRunning.status.state, 'stopped');
  assert.deepEqual(await activeJobs(), [], 'scancel left no job');
  assert.ok(!(await listeningPorts(login())).has(running.port), `the engine of ${running.id} still listens on ${running.port}`);
  // The process that submitted the pending job sees it end before its engine was ready.
  const ended = await waiting;
  assert.notEqual(ended.status.state, 'ready');
  // Cancelling a run whose job is gone says so.
  await assert.rejects(stopPlacedRun(login(), half, running.id), /no Slurm job of half runs .* any more: it has ended/);
});
