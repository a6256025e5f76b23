// How much load the native benchmark client can generate, and how accurately it times it (issue 3, item 7).
// Run by hand:  node --import tsx bench/client-capacity.mts [--quick]
//  1. Capacity: a zero-delay streaming server in its own process; the client holds 256 and then 1000 concurrent
//     streams. Prints output tok/s, the client's CPU use, and tokens per client CPU-second (= tok/s on one core).
//  2. Accuracy: the server set to TTFT 100 ms / ITL 20 ms, 1000 concurrent streams; prints the client's mean TTFT
//     and ITL against the configured delays and against what the server actually sent (it stamps its writes).
// Targets: ≥ 50,000 output tok/s on one core; mean ITL within 0.5 ms of the configured value.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark, type BenchmarkOptions } from '../src/core/bench/client';
import { startStreamServer } from '../test/fixtures/bench/start-server';

const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'client-capacity-'));

function replayFile(count: number, outputLen: number): string {
  const path = join(dir, `replay-${count}-${outputLen}.jsonl`);
  // Request 0 doubles as the initial test request and the warmup prompt; NOSTATS keeps it out of the server's timing.
  const lines = Array.from({ length: count }, (_, i) => JSON.stringify({ prompt: `request ${i}${i === 0 ? ' NOSTATS' : ''} ${'word '.repeat(32)}`, prompt_len: 34, output_len: outputLen }));
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function options(baseUrl: string, streams: number, prompts: number, outputLen: number): BenchmarkOptions {
  return {
    baseUrl,
    endpoint: '/v1/chat/completions',
    backend: 'openai-chat',
    model: 'test-model',
    dataset: { kind: 'replay', path: replayFile(prompts, outputLen) },
    numPrompts: prompts,
    requestRate: Infinity,
    burstiness: 1,
    maxConcurrency: streams,
    seed: 0,
    numWarmups: 0,
    ignoreEos: true,
    percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'],
    percentiles: [50, 99],
    readyCheckTimeoutS: 10,
    requestTimeoutS: 600,
    interruptGraceS: 1,
  };
}

const f = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function capacity(streams: number): Promise<void> {
  const server = await startStreamServer([]);
  try {
    const outputLen = 200;
    const prompts = quick ? streams : streams * 3;
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const run = await runBenchmark(options(server.baseUrl, streams, prompts, outputLen));
    const wall = (performance.now() - wallBefore) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const m = run.metrics;
    const tokens = m.total_output_tokens;
    console.log(
      `${String(streams).padStart(5)} streams: ${f(m.completed)} requests ok, ${m.failed} failed; ` +
        `${f(m.output_throughput)} output tok/s (limited by the one-process server); ` +
        `client CPU ${f((cpuS / wall) * 100)}% of one core (${f(cpuS, 2)} s over ${f(wall, 2)} s); ` +
        `${f(tokens / cpuS)} output tokens per client CPU-second; peak concurrency ${m.max_concurrent_requests}`,
    );
  } finally {
    await server.stop();
  }
}

/**
 * `burst`: all requests at once (TTFT then includes the server working through 1000 simultaneous requests).
 * `paced`: Poisson arrivals at the rate that keeps `streams` requests in flight, three rounds' worth.
 */
async function accuracy(streams: number, mode: 'burst' | 'paced'): Promise<void> {
  const ttft = 100;
  const itl = 20;
  const outputLen = quick ? 50 : 100;
  const server = await startStreamServer(['--ttft-ms', String(ttft), '--itl-ms', String(itl)]);
  try {
    const perRequestS = (ttft + (outputLen - 1) * itl) / 1000;
    const prompts = mode === 'burst' ? streams : streams * 3;
    const rate = mode === 'burst' ? Infinity : streams / perRequestS;
    // Warmups open the keep-alive connections first, so TTFT measures streaming, not a burst of TCP handshakes.
    const cpuBefore = process.cpuUsage();
    const run = await runBenchmark({ ...options(server.baseUrl, streams, prompts, outputLen), numWarmups: streams, requestRate: rate });
    const cpu = process.cpuUsage(cpuBefore);
    const s = await server.stats();
    const m = run.metrics;
    const serverTtft = s.ttftSumMs / s.ttftCount;
    const serverItl = s.itlSumMs / s.itlCount;
    const meanTtft = m['mean_ttft_ms'] as number;
    const meanItl = m['mean_itl_ms'] as number;
    console.log(
      `${streams} streams (${mode === 'burst' ? 'all sent at once' : `${f(rate)} req/s Poisson`}) at TTFT ${ttft} ms / ITL ${itl} ms: ${m.completed} ok, ${m.failed} failed, peak concurrency ${m.max_concurrent_requests}\n` +
        `  client mean TTFT ${f(meanTtft, 2)} ms (error ${f(meanTtft - ttft, 2)} ms vs configured; the server sent the first chunk ${f(serverTtft, 2)} ms after it received the request)\n` +
        `  client mean ITL  ${f(meanItl, 3)} ms (error ${f(meanItl - itl, 3)} ms vs configured, ${f(meanItl - serverItl, 3)} ms vs the server's actual gaps of ${f(serverItl, 3)} ms)\n` +
        `  client median ITL ${f(m['median_itl_ms'] as number, 3)} ms, P99 ITL ${f(m['p99_itl_ms'] as number, 2)} ms; mean TPOT ${f(m['mean_tpot_ms'] as number, 3)} ms\n` +
        `  client CPU ${f((cpu.user + cpu.system) / 1e6, 2)} s for warmups + run (${f(m.duration, 2)} s measured)`,
    );
  } finally {
    await server.stop();
  }
}

try {
  console.log(`client-capacity (node ${process.version}${quick ? ', --quick' : ''}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  await capacity(256);
  await capacity(1000);
  await accuracy(1000, 'burst');
  await accuracy(1000, 'paced');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
