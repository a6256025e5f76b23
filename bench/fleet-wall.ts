// Wall time of the quick reference plan (examples/glm-4.5-air-a100.quick.plan.yaml) on one simulated host, on a pool
// of three, and on the one-node Slurm cluster with maxParallel: 2; then the orchestration overhead of a Slurm job
// (submit → engine ready, minus the same engine's start-up launched directly on a host). Each simulated host is a
// real sshd on loopback with the simulator's shims (speedup 6, as the plan); the Slurm node is scripts/slurm-up.sh.
// Run by hand (root, slurm-wlm + munge installed): `node --import tsx bench/fleet-wall.ts [--jobs N] [--skip-plans]`.
// Prints figures only.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineVariant, HostSpec } from '../src/core/plan/schema';
import { LocalTransport } from '../src/core/remote/local';
import { hostPlace } from '../src/core/remote/place';
import { SlurmPlace } from '../src/core/remote/slurmPlace';
import { installShims } from '../src/core/sim/shims';
import { startSimSshHost, type SimSshHost } from '../test/integration/support/simSshHost';

const repo = resolve(__dirname, '..');
const CLI = join(repo, 'dist/cli.js');
const QUICK = join(repo, 'examples/glm-4.5-air-a100.quick.plan.yaml');
const SPEEDUP = 6;
const jobsFlag = process.argv.indexOf('--jobs');
const jobs = jobsFlag > 0 ? Number(process.argv[jobsFlag + 1]) : 3;
const dir = mkdtempSync(join(tmpdir(), 'sl-fleet-bench-'));

function tune(args: string[]): Promise<number> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, 'tune', QUICK, ...args, '--results', join(dir, `store-${started}`)], { env: { ...process.env, SERVING_LAB_HOME: join(dir, 'home') }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => (code === 0 ? done((Date.now() - started) / 1000) : fail(new Error(`tune ${args.join(' ')} exited ${code}: ${stderr.slice(-1500)}`))));
  });
}

async function main(): Promise<void> {
  execFileSync(join(repo, 'scripts/slurm-up.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
  const shims = join(dir, 'shims');
  await installShims(shims, { gpu: 'A100-SXM4-80GB', count: 8, speedup: SPEEDUP, cliPath: CLI });
  const slurmFile = join(dir, 'slurm.hosts.yaml');
  const engines = ['    engines:', `      vllm: { command: ${join(shims, 'vllm')} }`, `      sglang: { command: ${join(shims, 'python3')} }`, `      trtllm: { command: ${join(shims, 'trtllm-serve')} }`];
  writeFileSync(slurmFile, ['hosts:', '  - name: cluster', '    transport: { kind: slurm, gres: "gpu:4", timeLimit: "02:00:00", maxParallel: 2 }', `    workDir: ${join(dir, 'slurm-work')}`, ...engines, ''].join('\n'));

  let hosts: SimSshHost[] = [];
  try {
    if (!process.argv.includes('--skip-plans')) {
      hosts = await Promise.all(['gpu1', 'gpu2', 'gpu3'].map((name) => startSimSshHost({ name, speedup: SPEEDUP })));
      const hostsFile = join(dir, 'pool.hosts.yaml');
      writeFileSync(hostsFile, `hosts:\n${hosts.map((h) => readFileSync(h.hostsFile, 'utf8').replace(/^hosts:\n/, '')).join('')}`);
      const sshConfig = join(dir, 'ssh_config');
      writeFileSync(sshConfig, hosts.map((h) => readFileSync(h.sshConfig, 'utf8')).join('\n'));
      const ssh = ['--hosts-file', hostsFile, '--ssh-config', sshConfig];
      const one = await tune(['--host', 'gpu1', ...ssh]);
      console.log(`quick plan, one simulated host:     ${one.toFixed(0)} s`);
      const three = await tune(['--host', 'gpu1,gpu2,gpu3', ...ssh]);
      console.log(`quick plan, pool of three hosts:    ${three.toFixed(0)} s (${(three / one).toFixed(2)}× one host)`);
      const slurm = await tune(['--host', 'cluster', '--hosts-file', slurmFile]);
      console.log(`quick plan, Slurm, maxParallel 2:   ${slurm.toFixed(0)} s (${(slurm / one).toFixed(2)}× one host)`);
    }

    // Overhead per job: the same variant started directly (host place) and as a Slurm job, one at a time.
    const variant = EngineVariant.parse({ engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp: 4 } });
    const local = HostSpec.parse({ name: 'direct', transport: { kind: 'local' }, workDir: join(dir, 'direct-work'), engines: { vllm: { command: join(shims, 'vllm') } } });
    const direct = hostPlace(new LocalTransport('direct'), local);
    const cluster = new SlurmPlace(new LocalTransport('login'), HostSpec.parse({ name: 'cluster', transport: { kind: 'slurm', gres: 'gpu:4', timeLimit: '00:30:00' }, workDir: join(dir, 'slurm-work'), engines: { vllm: { command: join(shims, 'vllm') } } }));
    const directS: number[] = [];
    const slurmS: Array<{ total: number; queued: number; engine: number }> = [];
    for (let i = 0; i < jobs; i++) {
      const d = await direct.start(variant, {});
      directS.push(d.timings.startupSeconds!);
      await direct.stop(d.id, { graceS: 10 });
      const s = await cluster.start(variant, {});
      const total = (Date.parse(s.timings.readyAt!) - Date.parse(s.timings.launchedAt)) / 1000;
      slurmS.push({ total, engine: s.timings.startupSeconds!, queued: total - s.timings.startupSeconds! });
      await cluster.stop(s.id);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const direct1 = mean(directS);
    const total = mean(slurmS.map((s) => s.total));
    console.log(`engine start-up launched directly:  ${direct1.toFixed(1)} s (mean of ${jobs})`);
    console.log(`Slurm job, submit → engine ready:   ${total.toFixed(1)} s (submit → RUNNING ${mean(slurmS.map((s) => s.queued)).toFixed(1)} s, RUNNING → ready ${mean(slurmS.map((s) => s.engine)).toFixed(1)} s)`);
    console.log(`orchestration overhead per job:     ${(total - direct1).toFixed(1)} s`);
  } finally {
    for (const h of hosts) await h.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
