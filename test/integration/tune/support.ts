// Shared helpers for the tuner's integration tests: run the built CLI with a private SERVING_LAB_HOME and results
// store, read the store back, and find engine processes still alive.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchmarkResult, Experiment } from '../../../src/core/plan/schema';
import { openResultsStore } from '../../../src/core/results/store';

export const CLI = resolve(__dirname, '../../../dist/cli.js');
export const QUICK_PLAN = resolve(__dirname, '../../../examples/glm-4.5-air-a100.quick.plan.yaml');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs the CLI to completion (asynchronously, so the test's own timers keep running). */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 480_000): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => killGroup(child.pid!), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

export function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

export async function storeContents(dir: string): Promise<{ experiments: Experiment[]; results: BenchmarkResult[] }> {
  const store = openResultsStore(dir);
  const { experiments, problems: p1 } = await store.listExperiments();
  const { results, problems: p2 } = await store.listResults();
  if (p1.length + p2.length > 0) throw new Error(`unreadable store files: ${[...p1, ...p2].map((p) => p.message).join('; ')}`);
  return { experiments, results };
}

/** Process groups of engine runs under a host work dir whose processes are still alive. */
export function liveEngineGroups(workDir: string): number[] {
  const runs = join(workDir, 'runs');
  if (!existsSync(runs)) return [];
  const groups = readdirSync(runs)
    .map((id) => join(runs, id, 'pgid'))
    .filter((f) => existsSync(f))
    .map((f) => Number(readFileSync(f, 'utf8').trim()))
    .filter((n) => n > 1);
  const ps = spawnSync('ps', ['-eo', 'pgid=,stat='], { encoding: 'utf8' }).stdout.split('\n');
  const alive = new Set(
    ps
      .map((l) => l.trim().split(/\s+/))
      .filter(([, stat]) => stat !== undefined && !stat.startsWith('Z'))
      .map(([pgid]) => Number(pgid)),
  );
  return groups.filter((g) => alive.has(g));
}

/** Ends every engine process group under a work dir (cleanup after a failed test). */
export function killEngines(workDir: string): void {
  for (const g of liveEngineGroups(workDir)) killGroup(g);
}

/** Point key of a stored result: stage / option / workload / repeat. */
export const pointOf = (r: BenchmarkResult) => `${r.stage}/${r.option}/${r.workload?.name}/${r.repeat}`;

/** A private SERVING_LAB_HOME (so the simulated host's work dir is the test's own) with a plan written into it. */
export function simTuneHome(prefix: string, planFile: string, planText: string): { home: string; simWorkDir: string; env: Record<string, string>; plan: string } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const plan = join(home, planFile);
  writeFileSync(plan, planText);
  return { home, simWorkDir: join(home, 'sim', 'A100-SXM4-80GB-4'), env: { SERVING_LAB_HOME: home }, plan };
}

/** Polls until `check` holds; fails naming what it waited for. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
