// Can the simulated host keep up in real time with 1000 concurrent streams while the benchmark client runs beside it
// on this machine? (issue 4, item 9). Run by hand:
//   node --import tsx bench/sim-capacity.mts [--engine sglang|vllm] [--speedup K] [--prompts N] [--input IN] [--output OUT]
// Starts the engine through the shims from its real command line, runs `serving-lab bench` (the native client, a
// separate process) with every request at once, then reads the engine's scheduling lag from GET /sim/stats: how late
// each step's tokens were all written, against the step's modelled end (p50/p99/max, ms). It also prints the
// client-measured throughput next to the virtual-time prediction of the same run: the gap is what lag costs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { predictBenchmark } from '../src/core/sim/predict';
import { installShims } from '../src/core/sim/shims';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const engine = arg('engine', 'sglang');
const speedup = Number(arg('speedup', '1'));
const prompts = Number(arg('prompts', '1000'));
const input = Number(arg('input', '200'));
const output = Number(arg('output', '100'));

const cli = resolve('dist/cli.js');
if (!existsSync(cli)) spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'sim-capacity-'));
await installShims(dir, { gpu: 'A100-SXM4-80GB', count: 4, speedup, cliPath: cli });
const env = { ...process.env, PATH: `${dir}:${process.env['PATH']}` };

const port = await new Promise<number>((res) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => res(p));
  });
});
const serve =
  engine === 'vllm'
    ? ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4', '--port', String(port)]
    : ['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp-size', '4', '--ep-size', '4', '--port', String(port)];
const server = spawn(serve[0]!, serve.slice(1), { env, detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
const base = `http://127.0.0.1:${port}`;
const started = Date.now();
for (;;) {
  const ok = await fetch(`${base}/health`).then((r) => r.status === 200, () => false);
  if (ok) break;
  if (Date.now() - started > 600_000) throw new Error('engine did not become ready');
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`${engine} ready after ${((Date.now() - started) / 1000).toFixed(1)} s (speedup ${speedup}x); ${prompts} requests of ${input} in / ${output} out, all at once; ${cpus().length} cores`);

const benchArgs = ['bench', '--port', String(port), '--dataset-name', 'random', '--random-input-len', String(input), '--random-output-len', String(output), '--num-prompts', String(prompts), '--seed', '0', '--json'];
const t0 = Date.now();
const client = spawnSync(process.execPath, [cli, ...benchArgs], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const wall = (Date.now() - t0) / 1000;
if (client.status !== 0) throw new Error(`bench failed: ${client.stderr}`);
const measured = JSON.parse(client.stdout) as { metrics?: Record<string, number> } & Record<string, number>;
const m = measured.metrics ?? measured;
const stats = (await (await fetch(`${base}/sim/stats`)).json()) as { steps: number; lagMs: { samples: number; p50: number; p99: number; max: number } };
process.kill(-server.pid!, 'SIGTERM');
rmSync(dir, { recursive: true, force: true });

const argv = engine === 'vllm' ? ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4'] : ['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp-size', '4', '--ep-size', '4'];
const predicted = predictBenchmark({ gpu: 'A100-SXM4-80GB', count: 4, argv, workload: `random:${input}:${output}:${prompts}` }).metrics!;

console.log(`client wall time ${wall.toFixed(1)} s, load average ${loadavg()[0]!.toFixed(2)}`);
console.log(`scheduling lag over ${stats.lagMs.samples} steps: p50 ${stats.lagMs.p50.toFixed(2)} ms, p99 ${stats.lagMs.p99.toFixed(2)} ms, max ${stats.lagMs.max.toFixed(2)} ms (wall clock)`);
console.log(`peak concurrent requests (client): ${m['max_concurrent_requests']}`);
console.log(`total token throughput: measured ${(m['total_token_throughput']! / speedup).toFixed(0)} tok/s (÷ speedup), predicted ${predicted.total_token_throughput.toFixed(0)} tok/s`);
console.log(`mean TTFT: measured ${((m['mean_ttft_ms'] ?? 0) * speedup).toFixed(0)} ms (× speedup), predicted ${Number(predicted['mean_ttft_ms']).toFixed(0)} ms; mean ITL: measured ${((m['mean_itl_ms'] ?? 0) * speedup).toFixed(1)} ms, predicted ${Number(predicted['mean_itl_ms']).toFixed(1)} ms`);
