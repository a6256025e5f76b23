// An experiment has one owner (issue 16): `tune --resume X` while X runs in another process is refused with that
// process and how to stop it; an owner that was killed is taken over; a copy of the manifest never replaces what
// another process saved since; `results list --experiments` tells stale "running" experiments from live ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../../src/cli/args';
import { resultsList } from '../../../src/cli/commands/results';
import { parseServeCommand } from '../../../src/core/engines/index';
import { TuningPlan } from '../../../src/core/plan/schema';
import { openResultsStore } from '../../../src/core/results/store';
import { runExperiment } from '../../../src/core/tune/experiment';
import { FakeBackend } from './fakeBackend';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const plan = TuningPlan.parse({
  name: 'owner test',
  model: 'zai-org/GLM-4.5-Air',
  baseline: { engine: 'vllm', parallel: { tp: 4 } },
  stages: [{ name: 'Engine', options: [{ name: 'SGLang', variant: { engine: 'sglang', parallel: { tp: 4 } } }] }],
  workloads: { primary: 'sharegpt' },
});
const run = (store: ReturnType<typeof openResultsStore>, backend: FakeBackend, signal: AbortSignal, resumeId?: string) =>
  runExperiment({ plan, backend, store, signal, parseCommand: parseServeCommand, ...(resumeId ? { resumeId } : {}) });

/** An interrupted experiment in a fresh store. */
async function interruptedExperiment() {
  const store = openResultsStore(tempDir('sl-owner-'));
  const controller = new AbortController();
  const x = await run(store, new FakeBackend({ beforeBenchmark: (i) => (i === 1 ? controller.abort() : undefined) }), controller.signal);
  assert.equal(x.status, 'interrupted');
  return { store, id: x.id };
}

/** Another process that takes the experiment and keeps it until killed. */
async function otherOwner(root: string, id: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', `import('./src/core/tune/owner.ts').then(async (m) => { await (m.takeExperiment ?? m.default.takeExperiment)(${JSON.stringify(root)}, ${JSON.stringify(id)}); console.log('held'); setInterval(() => {}, 1000); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => (d.toString().includes('held') ? resolve() : undefined));
    child.on('exit', (code) => reject(new Error(`the owner process exited with ${code}`)));
  });
  const exited = new Promise((r) => child.on('exit', r));
  return { pid: child.pid!, kill: async () => (child.kill('SIGKILL'), await exited) };
}

/** What the owner writes while it runs. */
function markRunning(manifestFile: string): void {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(manifestFile, JSON.stringify({ ...manifest, status: 'running' }));
}

async function listExperiments(storeRoot: string): Promise<string> {
  let out = '';
  const args = parseArgs(['--experiments', '--results', storeRoot], resultsList.flags, resultsList.positionals, 'results list');
  await resultsList.run({ args, stdout: (t) => (out += t), log: { debug() {}, info() {}, warn() {}, error() {} }, signal: new AbortController().signal, interactive: false, cwd: process.cwd() });
  return out;
}

test('resume is refused while another process owns the experiment, names it and how to stop it; once killed, it is taken over', { timeout: 60_000 }, async () => {
  const { store, id } = await interruptedExperiment();
  const other = await otherOwner(store.root, id);
  markRunning(store.experimentPath(id));
  try {
    const backend = new FakeBackend({ leftovers: ['run-1'] });
    await assert.rejects(run(store, backend, new AbortController().signal, id), new RegExp(`experiment ${id} is still running in process ${other.pid} on this machine .*kill -INT ${other.pid}`));
    assert.deepEqual(backend.stoppedLeftovers, [], "the live run's engine is left alone");
    assert.equal((await store.loadExperiment(id)).notes.length, 0, 'the manifest is untouched');
    assert.match(await listExperiments(store.root), new RegExp(`${id} .* running \\(process ${other.pid} on this machine`));
  } finally {
    await other.kill();
  }
  // kill -9 left the owner file behind: stale, so listed as such and taken over by the next resume.
  assert.match(readFileSync(join(store.root, 'experiments', `${id}.owner`), 'utf8'), new RegExp(`"pid":${other.pid}`));
  const x = await run(store, new FakeBackend(), new AbortController().signal, id);
  assert.equal(x.status, 'completed');
});

test('a "running" experiment whose process is gone is listed as stale, with how to continue it', async () => {
  const { store, id } = await interruptedExperiment();
  markRunning(store.experimentPath(id));
  writeFileSync(join(store.root, 'experiments', `${id}.owner`), JSON.stringify({ pid: 2 ** 22 + 7, machine: hostname(), processStartMs: 1, since: '2026-12-07T10:00:00.000Z' }));
  assert.match(await listExperiments(store.root), new RegExp(`${id} .* running — stale \\(process ${2 ** 22 + 7} has ended\\): continue with \`serving-lab tune PLAN --resume ${id}\``));
});

test('a stale copy never overwrites a manifest another process completed, nor one taken over', async () => {
  for (const meddle of ['completed', 'taken over'] as const) {
    const store = openResultsStore(tempDir('sl-owner-stale-'));
    const controller = new AbortController();
    let id = '';
    const backend = new FakeBackend({
      beforeBenchmark: (i) => {
        if (i !== 1) return;
        id = JSON.parse(readFileSync(join(store.root, 'experiments', readdirJson(store.root)), 'utf8')).id as string;
        if (meddle === 'completed') {
          const manifest = JSON.parse(readFileSync(store.experimentPath(id), 'utf8')) as Record<string, unknown>;
          writeFileSync(store.experimentPath(id), JSON.stringify({ ...manifest, status: 'completed', endedAt: '2026-12-07T11:00:00.000Z' }));
        } else {
          writeFileSync(join(store.root, 'experiments', `${id}.owner`), JSON.stringify({ pid: 1, machine: 'elsewhere', processStartMs: 1, since: '2026-12-07T10:00:00.000Z' }));
        }
        controller.abort();
      },
    });
    await assert.rejects(run(store, backend, controller.signal), meddle === 'completed' ? /was completed by another process meanwhile; this process's older copy is not saved/ : /was taken over by another process; this one stops without saving its copy/);
    const stored = await store.loadExperiment(id);
    assert.equal(stored.status, meddle === 'completed' ? 'completed' : 'running', `after "${meddle}" the stored manifest is the other process's`);
  }
});

function readdirJson(root: string): string {
  return readdirSync(join(root, 'experiments')).find((n) => n.endsWith('.json'))!;
}
