// Our benchmark client against vLLM's own, end to end, in one run on one machine (issue 16).
// Both run as a user runs them, as separate processes, against the same zero-delay OpenAI-compatible streaming
// server (test/fixtures/bench/stream-server.mjs --one-write: each response in one write; it records when it wrote
// the first token), with the same prompts (one replay JSONL), short and long outputs, c = 256 and 1000.
//
//   node esbuild.mjs && node --import tsx bench/client-vs-vllm.mts --harness /work/ext/vllm-client-harness.py [--quick] [--rounds N] [--cli dist/cli.js]
//   (or VLLM_CLIENT_HARNESS=/path/to/harness.py)
//
// The harness is not in this repository; build it once, outside it:
//   1. vLLM's source, e.g. v0.11.0's vllm/benchmarks/ (serve.py, lib/endpoint_request_func.py, lib/ready_checker.py,
//      lib/utils.py) in DIR/vllm/benchmarks/.
//   2. Debian's packages for what that client imports: apt-get install python3-aiohttp python3-numpy python3-tqdm.
//   3. DIR/vllm-client-harness.py, run with /usr/bin/python3: it puts DIR/vllm on sys.path, stubs the three imports
//      serve.py takes from outside vllm/benchmarks (transformers' PreTrainedTokenizerBase type, get_tokenizer, and
//      vllm.benchmarks.datasets with SampleRequest/add_dataset_parser/get_samples reading the replay JSONL given as
//      --dataset-path), then calls vLLM's own `add_cli_args` and `main`: its request function, get_request dispatch
//      loop, semaphore and metrics run unchanged. The server sends usage, so the tokenizer is never called.
// Prints, per case: completed counts, output tok/s as each client reports it (median of rounds), whole-process wall
// time, and the median of the rounds' ratios (each round runs both clients back to back, alternating which goes first).
// Then the low-load check: --max-concurrency 1, mean TTFT of each client against the server's own record, and the
// floor of this machine: a bare http.request loop timed the same way.
// Targets (issue 16): ours ≥ 1.5× vLLM's output tok/s; identical completed counts; low-load TTFT within 1 ms of the server.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStreamServer, type StreamServer } from '../test/fixtures/bench/start-server';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const rounds = Number(option('rounds') ?? (quick ? 1 : 3));
const harness = option('harness') ?? process.env['VLLM_CLIENT_HARNESS'];
if (!harness || !existsSync(harness)) {
  console.error('bench/client-vs-vllm: pass --harness PATH (or VLLM_CLIENT_HARNESS) to the vLLM client harness; see this file\'s header for how to build it');
  process.exit(2);
}
const python = option('python') ?? '/usr/bin/python3';
const CLI = option('cli') ?? join(process.cwd(), 'dist/cli.js');
if (!existsSync(CLI)) {
  console.error('bench/client-vs-vllm: dist/cli.js is missing; run `node esbuild.mjs` first');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'client-vs-vllm-'));
const numPrompts = quick ? 500 : 2000;
const inputLen = 128;

/** Prompts of `inputLen` whitespace tokens (the server's tokenizer); request 0 is also each client's initial test request. */
function replayFile(outputLen: number): string {
  const path = join(dir, `replay-${outputLen}.jsonl`);
  // NOSTATS keeps request 0 (each client's initial test request) out of the server's TTFT record.
  const lines = Array.from({ length: numPrompts }, (_, i) => JSON.stringify({ prompt: `${i === 0 ? 'NOSTATS' : 'request'} ${i} ${'word '.repeat(inputLen - 2)}`.trim(), prompt_len: inputLen, output_len: outputLen }));
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

interface Measured {
  completed: number;
  failed: number;
  outputTokS: number;
  meanTtftMs: number;
  wallS: number;
  serverTtftMs: number;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string; wallS: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
    child.on('exit', (code) => resolve({ code, stderr, wallS: (performance.now() - started) / 1000 }));
  });
}

async function measure(server: StreamServer, client: 'ours' | 'vllm', dataset: string, concurrency: number, prompts: number, tag: string): Promise<Measured> {
  const file = `${client}-${tag}.json`;
  const common = ['--base-url', server.baseUrl, '--model', 'test-model', '--dataset-name', 'replay', '--dataset-path', dataset, '--num-prompts', String(prompts),
    '--max-concurrency', String(concurrency), '--ignore-eos', '--percentile-metrics', 'ttft,tpot,itl,e2el', '--save-result', '--result-dir', dir, '--result-filename', file];
  const before = await server.stats();
  const r = client === 'ours'
    ? await run(process.execPath, [CLI, 'bench', '--backend', 'openai-chat', ...common])
    : await run(python, [harness!, '--backend', 'openai-chat', '--endpoint', '/v1/chat/completions', '--disable-tqdm', ...common]);
  const after = await server.stats();
  if (r.code !== 0) throw new Error(`${client} ${tag} exited ${r.code}: ${r.stderr}`);
  const saved = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, number>;
  return {
    completed: saved['completed']!,
    failed: prompts - saved['completed']!,
    outputTokS: saved['output_throughput']!,
    meanTtftMs: saved['mean_ttft_ms']!,
    wallS: r.wallS,
    // The server's mean time from receiving a request to writing its first token, over this run's requests.
    serverTtftMs: (after.ttftSumMs - before.ttftSumMs) / Math.max(1, after.ttftCount - before.ttftCount),
  };
}

/** The least a client can see: one keep-alive request at a time, the clock read around http.request and the first 'data'. */
async function bareClientTtft(server: StreamServer, dataset: string, prompts: number): Promise<{ clientMs: number; serverMs: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const lines = readFileSync(dataset, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; output_len: number });
  const one = (row: { prompt: string; output_len: number }) =>
    new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({ model: 'test-model', messages: [{ role: 'user', content: [{ type: 'text', text: row.prompt }] }], max_completion_tokens: row.output_len, stream: true, stream_options: { include_usage: true }, ignore_eos: true });
      const started = performance.now();
      const req = http.request(`${server.baseUrl}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      req.on('error', reject);
      req.on('response', (res) => {
        let first = -1;
        res.on('data', () => {
          if (first < 0) first = performance.now() - started;
        });
        res.on('end', () => resolve(first));
      });
      req.end(body);
    });
  await one(lines[0]!);
  const before = await server.stats();
  let sum = 0;
  for (let i = 1; i <= prompts; i++) sum += await one(lines[i % lines.length]!);
  const after = await server.stats();
  agent.destroy();
  return { clientMs: sum / prompts, serverMs: (after.ttftSumMs - before.ttftSumMs) / Math.max(1, after.ttftCount - before.ttftCount) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number, digits = 0) => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const server = await startStreamServer(['--one-write']);
  try {
    console.log(`client-vs-vllm: ${numPrompts} requests of ${inputLen} in, ${rounds} round(s) per case (alternating clients), median shown; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    let allMet = true;
    for (const outputLen of [64, 1024]) {
      const dataset = replayFile(outputLen);
      for (const concurrency of [256, 1000]) {
        const ours: Measured[] = [];
        const vllm: Measured[] = [];
        for (let i = 0; i < rounds; i++) {
          const tag = `${outputLen}-${concurrency}-${i}`;
          // Alternate which goes first, so drift in the machine's load does not favour one.
          if (i % 2 === 0) {
            ours.push(await measure(server, 'ours', dataset, concurrency, numPrompts, tag));
            vllm.push(await measure(server, 'vllm', dataset, concurrency, numPrompts, tag));
          } else {
            vllm.push(await measure(server, 'vllm', dataset, concurrency, numPrompts, tag));
            ours.push(await measure(server, 'ours', dataset, concurrency, numPrompts, tag));
          }
        }
        const o = median(ours.map((m) => m.outputTokS));
        const v = median(vllm.map((m) => m.outputTokS));
        // Each round's two runs are neighbours in time, so their ratio is the least disturbed by the machine's load.
        const ratio = median(ours.map((m, i) => m.outputTokS / vllm[i]!.outputTokS));
        const sameCounts = ours.every((m) => m.completed === numPrompts) && vllm.every((m) => m.completed === numPrompts);
        allMet &&= ratio >= 1.5 && sameCounts;
        console.log(
          `${inputLen}/${String(outputLen).padEnd(4)} c=${String(concurrency).padEnd(4)} ` +
            `ours ${f(o).padStart(7)} tok/s (wall ${f(median(ours.map((m) => m.wallS)), 2)} s, completed ${ours.map((m) => m.completed).join('/')})  ` +
            `vLLM ${f(v).padStart(7)} tok/s (wall ${f(median(vllm.map((m) => m.wallS)), 2)} s, completed ${vllm.map((m) => m.completed).join('/')})  ` +
            `ratio ${ratio.toFixed(2)}× (median of rounds ${ours.map((m, i) => (m.outputTokS / vllm[i]!.outputTokS).toFixed(2)).join(', ')})  [ours ${ours.map((m) => f(m.outputTokS)).join(', ')}; vLLM ${vllm.map((m) => f(m.outputTokS)).join(', ')}]`,
        );
      }
    }
    // Low load: one request at a time; each client's mean TTFT against the server's record of the same requests.
    const lowPrompts = quick ? 100 : 300;
    const dataset = replayFile(64);
    for (const client of ['ours', 'vllm'] as const) {
      const m = await measure(server, client, dataset, 1, lowPrompts, `low-${client}`);
      const gap = m.meanTtftMs - m.serverTtftMs;
      if (client === 'ours') allMet &&= gap < 1;
      console.log(`c=1 ${lowPrompts} requests  ${client.padEnd(4)} mean TTFT ${m.meanTtftMs.toFixed(3)} ms; server's record ${m.serverTtftMs.toFixed(3)} ms; client − server ${gap.toFixed(3)} ms`);
    }
    // The floor on this machine: a bare http.request loop (no benchmark logic) timing its first body bytes.
    const bare = await bareClientTtft(server, dataset, lowPrompts);
    console.log(`c=1 ${lowPrompts} requests  bare Node http.request loop: first body bytes after ${bare.clientMs.toFixed(3)} ms; server's record ${bare.serverMs.toFixed(3)} ms; client − server ${(bare.clientMs - bare.serverMs).toFixed(3)} ms`);
    console.log(allMet ? 'targets met' : 'targets NOT met (see above)');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
