// `serving-lab bench`: the native load generator with `vllm bench serve`'s flags, spelled as vLLM spells them, so
// one can replace the other in a script: same printed block on stdout, same --save-result JSON.
import { randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BenchmarkError, runBenchmark, workloadFromOptions, type BenchmarkOptions, type RequestEvent } from '../../core/bench/client';
import { checkDatasetSize, DatasetError, parseRangeRatio, type DatasetSpec } from '../../core/bench/datasets';
import { BLOCK_STYLES, type BlockStyle } from '../../core/bench/format';
import { parseGoodput, parsePercentileMetrics, parsePercentiles } from '../../core/bench/metrics';
import { buildSaveResult, defaultResultFileName, parseMetadata } from '../../core/bench/saveResult';
import type { BenchmarkResult } from '../../core/plan/schema';
import { shellJoin } from '../../core/shell';
import { CliError, positiveIntFlag, UsageError, type FlagSpec } from '../args';
import { jsonFlag, type CliCommand } from '../command';

const flags: FlagSpec[] = [
  { name: 'base-url', type: 'string', metavar: 'URL', description: 'server URL such as http://gpu-1:8000 (instead of --host/--port)' },
  { name: 'host', type: 'string', default: '127.0.0.1', description: 'server host' },
  { name: 'port', type: 'number', default: 8000, description: 'server port' },
  { name: 'endpoint', type: 'string', metavar: 'PATH', description: 'API path (default /v1/chat/completions, or /v1/completions with --backend openai)' },
  { name: 'backend', type: 'string', default: 'openai-chat', choices: ['openai-chat', 'openai', 'vllm'], description: 'request style: chat completions, or completions (vllm = openai)' },
  { name: 'model', type: 'string', description: 'model id (default: the first of GET /v1/models)' },
  { name: 'served-model-name', type: 'string', description: 'name sent in requests when the server serves the model under another name' },
  { name: 'tokenizer', type: 'string', description: "accepted for vLLM compatibility; token counts come from the server's /tokenize" },
  { name: 'trust-remote-code', type: 'boolean', description: 'accepted for vLLM compatibility (no effect)' },
  { name: 'dataset-name', type: 'string', default: 'random', choices: ['random', 'sharegpt', 'replay'], description: 'where prompts come from' },
  { name: 'dataset-path', type: 'string', metavar: 'FILE', description: 'ShareGPT JSON file, or replay JSONL of {prompt, prompt_len, output_len}' },
  { name: 'random-input-len', type: 'number', default: 1024, description: 'random: prompt tokens' },
  { name: 'random-output-len', type: 'number', default: 128, description: 'random: output tokens' },
  { name: 'random-range-ratio', type: 'string', default: '0.0', metavar: 'R', description: 'random: lengths vary in [len·(1−R), len·(1+R)]; or {"input":R,"output":R}' },
  { name: 'random-prefix-len', type: 'number', default: 0, description: 'random: tokens of a prefix shared by all prompts' },
  { name: 'input-len', type: 'number', description: 'overrides --random-input-len (as in vLLM)' },
  { name: 'output-len', type: 'number', description: 'overrides --random-output-len and --sharegpt-output-len (as in vLLM)' },
  { name: 'sharegpt-output-len', type: 'number', description: "sharegpt: fixed output tokens instead of the dataset's completion length" },
  { name: 'no-oversample', type: 'boolean', description: 'sharegpt: run fewer prompts rather than repeat when too few pass the filter' },
  { name: 'disable-shuffle', type: 'boolean', description: 'sharegpt: keep the file order' },
  { name: 'num-prompts', type: 'number', default: 1000, description: 'requests to send' },
  { name: 'request-rate', type: 'number', default: 'inf', metavar: 'RPS', description: 'requests per second (inf = all at once)' },
  { name: 'burstiness', type: 'number', default: 1.0, description: 'gamma shape of arrival gaps (1 = Poisson)' },
  { name: 'max-concurrency', type: 'number', description: 'most requests in flight at once' },
  { name: 'seed', type: 'number', default: 0, description: 'seed for prompts and arrival times' },
  { name: 'num-warmups', type: 'number', default: 0, description: 'warmup requests before the measured run' },
  { name: 'ignore-eos', type: 'boolean', description: 'send ignore_eos (always on for random, as vLLM does)' },
  { name: 'temperature', type: 'number', description: 'sampling temperature sent with each request (default: the server\'s)' },
  { name: 'top-p', type: 'number', description: 'top_p sent with each request' },
  { name: 'top-k', type: 'number', description: 'top_k sent with each request' },
  { name: 'percentile-metrics', type: 'string', default: 'ttft,tpot,itl', description: 'metrics with statistics: ttft,tpot,itl,e2el' },
  { name: 'metric-percentiles', type: 'string', default: '99', description: 'percentiles, e.g. 50,90,99' },
  { name: 'goodput', type: 'list', metavar: 'NAME:MS…', description: 'SLOs for goodput, e.g. ttft:2000 tpot:50 e2el:10000' },
  { name: 'save-result', type: 'boolean', description: "write the result JSON (vLLM's keys + serving_lab provenance)" },
  { name: 'save-detailed', type: 'boolean', description: 'also save per-request arrays (ttfts, itls, texts, errors)' },
  { name: 'append-result', type: 'boolean', description: 'append to the result file instead of overwriting it' },
  { name: 'result-dir', type: 'string', metavar: 'DIR', description: 'directory of the result file (default: current)' },
  { name: 'result-filename', type: 'string', metavar: 'FILE', description: "result file name (default: vLLM's {backend}-{rate}qps-…-{date}.json)" },
  { name: 'label', type: 'string', description: 'label stored in the result and used in its default file name' },
  { name: 'metadata', type: 'list', metavar: 'KEY=VALUE…', description: 'extra keys stored in the result' },
  { name: 'ready-check-timeout-sec', type: 'number', default: 600, description: 'how long the first request retries while the server comes up' },
  { name: 'disable-tqdm', type: 'boolean', description: 'accepted for vLLM compatibility (no progress bar is drawn)' },
  { name: 'request-timeout', type: 'number', default: 21600, metavar: 'S', description: "fail a request that takes longer (vLLM's 6 h)" },
  { name: 'interrupt-grace', type: 'number', default: 5, metavar: 'S', description: 'after Ctrl-C, seconds in-flight requests may finish' },
  { name: 'block-style', type: 'string', default: 'current', choices: BLOCK_STYLES, description: "result block labels: current vLLM, or v0.11 (vLLM 0.11.0's)" },
  { name: 'events', type: 'string', metavar: 'FILE|-', description: 'one JSON line per finished request (- = stdout; the block then goes to stderr)' },
  jsonFlag,
];

function datasetFrom(f: Record<string, unknown>): DatasetSpec {
  const name = f['datasetName'] as string;
  const path = f['datasetPath'] as string | undefined;
  if (name === 'random') {
    let rangeRatio: { input: number; output: number };
    try {
      rangeRatio = parseRangeRatio(String(f['randomRangeRatio']));
    } catch (err) {
      throw new UsageError(`bench: ${(err as Error).message}`);
    }
    const prefixLen = f['randomPrefixLen'] as number;
    if (!Number.isInteger(prefixLen) || prefixLen < 0) throw new UsageError('bench: --random-prefix-len must be a non-negative integer');
    return {
      kind: 'random',
      inputLen: positiveIntFlag(f['inputLen'] ?? f['randomInputLen'], f['inputLen'] !== undefined ? 'input-len' : 'random-input-len'),
      outputLen: positiveIntFlag(f['outputLen'] ?? f['randomOutputLen'], f['outputLen'] !== undefined ? 'output-len' : 'random-output-len'),
      rangeRatio,
      prefixLen,
    };
  }
  if (!path) {
    throw new UsageError(
      name === 'sharegpt'
        ? 'bench: --dataset-name sharegpt needs --dataset-path FILE (ShareGPT_V3_unfiltered_cleaned_split.json, or one from `serving-lab sim sharegpt --out FILE`)'
        : 'bench: --dataset-name replay needs --dataset-path FILE (JSONL of {"prompt", "prompt_len", "output_len"})',
    );
  }
  if (name === 'sharegpt') {
    const fixed = f['outputLen'] ?? f['sharegptOutputLen'];
    const outputLen = fixed === undefined ? undefined : positiveIntFlag(fixed, f['outputLen'] !== undefined ? 'output-len' : 'sharegpt-output-len');
    return { kind: 'sharegpt', path, ...(outputLen !== undefined ? { outputLen } : {}), disableShuffle: Boolean(f['disableShuffle']), noOversample: Boolean(f['noOversample']) };
  }
  return { kind: 'replay', path };
}

/** Reads the parsed flags into BenchmarkOptions; every invalid value is a usage error naming the flag. */
function benchOptionsFromFlags(f: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): BenchmarkOptions {
  const backend = f['backend'] === 'openai-chat' ? 'openai-chat' : 'openai';
  const baseUrl = (f['baseUrl'] as string | undefined) ?? `http://${f['host'] as string}:${f['port'] as number}`;
  try {
    new URL(baseUrl);
  } catch {
    throw new UsageError(`bench: "${baseUrl}" is not a URL; use --base-url http://HOST:PORT`);
  }
  const rate = f['requestRate'] === 'inf' ? Infinity : (f['requestRate'] as number);
  if (!(rate > 0)) throw new UsageError('bench: --request-rate must be a positive number or inf');
  const burstiness = f['burstiness'] as number;
  if (!(burstiness > 0)) throw new UsageError('bench: --burstiness must be positive');
  let percentileMetrics: string[];
  let percentiles: number[];
  let goodput;
  try {
    percentileMetrics = parsePercentileMetrics(f['percentileMetrics'] as string);
    percentiles = parsePercentiles(f['metricPercentiles'] as string);
    goodput = f['goodput'] ? parseGoodput(f['goodput'] as string[]) : undefined;
  } catch (err) {
    throw new UsageError(`bench: ${(err as Error).message}`);
  }
  const seed = f['seed'] as number;
  if (!Number.isInteger(seed)) throw new UsageError('bench: --seed must be an integer');
  const warmups = f['numWarmups'] as number;
  if (!Number.isInteger(warmups) || warmups < 0) throw new UsageError('bench: --num-warmups must be a non-negative integer');
  const positive = (key: string, flag: string) => {
    const v = f[key] as number;
    if (!(v > 0)) throw new UsageError(`bench: --${flag} must be a positive number of seconds`);
    return v;
  };
  const dataset = datasetFrom(f);
  const numPrompts = positiveIntFlag(f['numPrompts'], 'num-prompts');
  try {
    checkDatasetSize(dataset, numPrompts);
  } catch (err) {
    throw new UsageError(`bench: ${(err as Error).message}`);
  }
  return {
    baseUrl,
    endpoint: (f['endpoint'] as string | undefined) ?? (backend === 'openai-chat' ? '/v1/chat/completions' : '/v1/completions'),
    backend,
    ...(f['model'] ? { model: f['model'] as string } : {}),
    ...(f['servedModelName'] ? { servedModelName: f['servedModelName'] as string } : {}),
    dataset,
    numPrompts,
    requestRate: rate,
    burstiness,
    ...(f['maxConcurrency'] !== undefined ? { maxConcurrency: positiveIntFlag(f['maxConcurrency'], 'max-concurrency') } : {}),
    seed,
    numWarmups: warmups,
    ignoreEos: Boolean(f['ignoreEos']),
    percentileMetrics,
    percentiles,
    ...(goodput ? { goodput } : {}),
    ...(env['OPENAI_API_KEY'] ? { apiKey: env['OPENAI_API_KEY'] } : {}),
    readyCheckTimeoutS: f['readyCheckTimeoutSec'] as number,
    requestTimeoutS: positive('requestTimeout', 'request-timeout'),
    interruptGraceS: f['interruptGrace'] as number,
    keepGeneratedText: Boolean(f['saveDetailed']),
    samplingParams: {
      ...(f['temperature'] !== undefined ? { temperature: f['temperature'] as number } : {}),
      ...(f['topP'] !== undefined ? { top_p: f['topP'] as number } : {}),
      ...(f['topK'] !== undefined ? { top_k: f['topK'] as number } : {}),
    },
    blockStyle: f['blockStyle'] as BlockStyle,
  };
}

export const bench: CliCommand = {
  path: ['bench'],
  savesOnInterrupt: true,
  summary: 'Benchmark an OpenAI-compatible server like `vllm bench serve` (same flags, same result block and JSON).',
  flags,
  positionals: [],
  async run({ args, stdout, log, signal, cwd, interactive }) {
    const f = args.flags;
    const options = benchOptionsFromFlags(f);
    let metadata: Record<string, string> = {};
    try {
      metadata = parseMetadata((f['metadata'] as string[] | undefined) ?? []);
    } catch (err) {
      throw new UsageError(`bench: ${(err as Error).message}`);
    }
    const eventsTarget = f['events'] as string | undefined;
    const eventsToStdout = eventsTarget === '-';
    let eventsFile: WriteStream | undefined;
    if (eventsTarget && !eventsToStdout) {
      eventsFile = createWriteStream(resolve(cwd, eventsTarget));
      await new Promise<void>((resolve, reject) => eventsFile!.once('open', () => resolve()).once('error', (e) => reject(new CliError(`cannot write --events file ${eventsTarget}: ${e.message}`))));
    }
    let finished = 0;
    let failed = 0;
    const onRequest = (e: RequestEvent) => {
      finished += 1;
      if (!e.success) failed += 1;
      if (!eventsTarget) return;
      const line = `${JSON.stringify(e)}\n`;
      if (eventsToStdout) stdout(line);
      else eventsFile?.write(line);
    };
    // In a terminal, a progress line every 5 s stands in for vLLM's tqdm bar.
    const progress = interactive ? setInterval(() => log.info(`progress: ${finished}/${options.numPrompts} requests finished, ${failed} failed`), 5000) : undefined;
    // A result directory that cannot be made fails now, not after a benchmark of many minutes.
    const resultDir = resolve(cwd, (f['resultDir'] as string | undefined) ?? '.');
    if (f['saveResult']) {
      await mkdir(resultDir, { recursive: true }).catch((err: Error) => {
        throw new CliError(`cannot create --result-dir ${resultDir}: ${err.message}`);
      });
    }
    const started = new Date();
    let run;
    try {
      run = await runBenchmark(options, { signal, log, onRequest });
    } catch (err) {
      if (err instanceof BenchmarkError || err instanceof DatasetError) throw new CliError(err.message);
      throw err;
    } finally {
      clearInterval(progress);
      if (eventsFile) await new Promise<void>((resolve) => eventsFile!.end(resolve));
    }

    const printed = run.failedRequestsText + run.rawOutput;
    if (f['json']) {
      const workload = workloadFromOptions(options);
      const result: BenchmarkResult = {
        schemaVersion: 1,
        id: randomUUID(),
        createdAt: new Date().toISOString(),
        status: run.status,
        metrics: run.metrics,
        rawOutput: run.rawOutput,
        ...(workload ? { workload } : {}),
        runner: 'native',
        source: { kind: 'native' },
        commands: { bench: shellJoin(['serving-lab', 'bench', ...process.argv.slice(3)]) },
        startedAt: run.provenance.started_at,
        endedAt: run.provenance.ended_at,
        notes: run.notes,
      };
      if (eventsToStdout) process.stderr.write(printed);
      stdout(`${JSON.stringify(result, null, eventsToStdout ? undefined : 2)}\n`);
    } else if (eventsToStdout) {
      process.stderr.write(printed);
    } else {
      stdout(printed);
    }
    for (const note of run.notes) log.warn(note);

    if (f['saveResult']) {
      const label = f['label'] as string | undefined;
      const file = resolve(resultDir, (f['resultFilename'] as string | undefined) ?? defaultResultFileName(options, run.model, started, label));
      const json = JSON.stringify(buildSaveResult(run, options, { date: started, ...(label ? { label } : {}), metadata, detailed: Boolean(f['saveDetailed']) }));
      try {
        if (f['appendResult']) await appendFile(file, `\n${json}`);
        else await writeFile(file, json);
      } catch (err) {
        throw new CliError(`cannot write the result to ${file}: ${(err as Error).message}`);
      }
      log.info(`Saved the result to ${file}`);
    }
    if (run.status === 'interrupted') {
      log.error('the benchmark was interrupted; the result above covers the requests sent before Ctrl-C');
      return 1;
    }
    if (run.metrics.completed === 0) {
      log.error(`no request succeeded (${run.metrics.failed} failed); see the errors above`);
      return 1;
    }
    return 0;
  },
};
