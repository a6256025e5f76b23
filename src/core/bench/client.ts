// The native load generator: `vllm bench serve` semantics in TypeScript. Loads the dataset, checks the endpoint
// with one request, runs warmups, then sends every request on its arrival time under the concurrency cap,
// streams one event per finished request, and computes vLLM's metrics. Ctrl-C (the signal) stops sending, lets
// in-flight requests finish for a grace period, and still returns the partial result marked interrupted.
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { SERVING_LAB_VERSION } from '../version';
import type { BenchmarkMetrics, Workload } from '../plan/schema';
import { silentLogger, type Logger } from '../logger';
import { checkDatasetSize, loadDataset, type DatasetSpec, type SampleRequest, type TokenCounter } from './datasets';
import { formatFailedRequests, formatResultBlock, type BlockStyle } from './format';
import { createAgent, requestJson, streamRequest, type AnyAgent, type StreamOutcome } from './http';
import { computeMetrics, type GoodputSlo, type RequestOutput } from './metrics';
import { arrivalTimes } from './random';
import { pythonFloat } from './saveResult';
import { connectTokenCounter } from './tokens';

export interface BenchmarkOptions {
  /** e.g. "http://127.0.0.1:8000"; the endpoint is appended as vLLM does (`base_url + endpoint`). */
  baseUrl: string;
  endpoint: string;
  backend: 'openai-chat' | 'openai';
  /** Model id; asked from /v1/models when absent. */
  model?: string;
  /** The name sent in requests when it differs from the model id. */
  servedModelName?: string;
  dataset: DatasetSpec;
  numPrompts: number;
  /** Requests per second; Infinity sends everything at once. */
  requestRate: number;
  burstiness: number;
  maxConcurrency?: number;
  seed: number;
  numWarmups: number;
  /** Forced on for the random dataset, as vLLM does. */
  ignoreEos: boolean;
  percentileMetrics: string[];
  percentiles: number[];
  goodput?: GoodputSlo;
  apiKey?: string;
  /** How long the initial test request may keep retrying while the server is not up yet. */
  readyCheckTimeoutS: number;
  /** Per-request limit (vLLM: 6 h). */
  requestTimeoutS: number;
  /** After Ctrl-C, how long in-flight requests may finish before they are cut. */
  interruptGraceS: number;
  /** Sampling parameters merged into every request (temperature, top_p, top_k); none by default, as in vLLM. */
  samplingParams?: Record<string, number>;
  /** Keep generated text per request (for --save-detailed). */
  keepGeneratedText?: boolean;
  /** Printed block labels. */
  blockStyle?: BlockStyle;
}

/** One line of `--events`: a finished request, times in seconds from the benchmark start. */
export interface RequestEvent {
  index: number;
  start: number;
  ttft: number;
  itls: number[];
  latency: number;
  prompt_len: number;
  output_len: number;
  success: boolean;
  error: string | null;
}

export interface BenchmarkHooks {
  signal?: AbortSignal;
  onRequest?(event: RequestEvent): void;
  log?: Logger;
}

export interface BenchmarkProvenance {
  client: string;
  version: string;
  api_url: string;
  model: string;
  dataset: Record<string, unknown>;
  exact_lengths: boolean;
  token_counts: 'server-tokenizer' | 'approximate' | 'replay-file';
  rng: string;
  warmups: number;
  status: 'complete' | 'interrupted';
  started_at: string;
  ended_at: string;
  notes: string[];
}

export interface BenchmarkRun {
  status: 'complete' | 'interrupted';
  metrics: BenchmarkMetrics;
  /** Every request that was sent, in request order. */
  outputs: RequestOutput[];
  /** The "Serving Benchmark Result" block. */
  rawOutput: string;
  /** vLLM's "Failed requests during benchmark run detected" lines ('' when none failed). */
  failedRequestsText: string;
  /** Seconds between arrival and send (time waiting for the concurrency cap), per request. */
  queueTimes: number[];
  model: string;
  provenance: BenchmarkProvenance;
  notes: string[];
}

export class BenchmarkError extends Error {}

/** A FIFO counting semaphore whose waiters can be released unserved when sending stops. */
class Gate {
  private waiting: Array<(granted: boolean) => void> = [];
  constructor(private free: number) {}
  acquire(): Promise<boolean> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.free += 1;
  }
  closeAll(): void {
    for (const w of this.waiting.splice(0)) w(false);
  }
}

/** Waits `ms`, or less when `signal` aborts: the caller checks the signal itself. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => delay(Math.max(0, ms), undefined, { signal }).catch(() => undefined);

function buildPayload(options: BenchmarkOptions, modelName: string, request: SampleRequest, ignoreEos: boolean): string {
  const common = { stream: true, stream_options: { include_usage: true }, ...(ignoreEos ? { ignore_eos: true } : {}), ...options.samplingParams };
  if (options.backend === 'openai-chat') {
    return JSON.stringify({
      model: modelName,
      messages: [{ role: 'user', content: [{ type: 'text', text: request.prompt }] }],
      max_completion_tokens: request.expectedOutputLen,
      ...common,
    });
  }
  return JSON.stringify({ model: modelName, prompt: request.prompt, repetition_penalty: 1.0, max_tokens: request.expectedOutputLen, logprobs: null, ...common });
}

/** A URL as messages and saved results show it: a user:password in --base-url stays out of logs and files. */
function shownUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

async function resolveModel(options: BenchmarkOptions, agent: AnyAgent, headers: Record<string, string>): Promise<string> {
  if (options.model) return options.model;
  const url = new URL(`${options.baseUrl.replace(/\/$/, '')}/v1/models`);
  try {
    const res = await requestJson(url, undefined, { agent, headers, timeoutS: 30 });
    const id = (res.json as { data?: Array<{ id?: unknown }> } | undefined)?.data?.[0]?.id;
    if (res.status === 200 && typeof id === 'string') return id;
    throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== undefined) {
      throw new BenchmarkError(`cannot reach ${shownUrl(url)} (${(err as Error).message}): check --base-url (or --host/--port) and that the server is running`);
    }
    throw new BenchmarkError(`no --model given and ${shownUrl(url)} did not name one (${(err as Error).message}); pass --model`);
  }
}

function describeDatasetSpec(spec: DatasetSpec): Record<string, unknown> {
  if (spec.kind === 'random') {
    return { name: 'random', random_input_len: spec.inputLen, random_output_len: spec.outputLen, random_range_ratio: spec.rangeRatio, random_prefix_len: spec.prefixLen };
  }
  if (spec.kind === 'sharegpt') return { name: 'sharegpt', path: spec.path, ...(spec.outputLen !== undefined ? { sharegpt_output_len: spec.outputLen } : {}) };
  return { name: 'replay', path: spec.path };
}

export async function runBenchmark(options: BenchmarkOptions, hooks: BenchmarkHooks = {}): Promise<BenchmarkRun> {
  const log = hooks.log ?? silentLogger;
  checkDatasetSize(options.dataset, options.numPrompts);
  // Dataset loading keeps up to 16 tokenizer requests listening on this signal: more than the default warning's 10.
  const runController = new AbortController();
  const userSignal = runController.signal;
  setMaxListeners(0, userSignal);
  const forwardAbort = () => runController.abort(hooks.signal?.reason);
  if (hooks.signal?.aborted) forwardAbort();
  else hooks.signal?.addEventListener('abort', forwardAbort, { once: true });
  const apiUrl = new URL(`${options.baseUrl.replace(/\/$/, '')}${options.endpoint}`);
  const chat = options.backend === 'openai-chat';
  const poolSize = Math.max(1, Math.min(options.maxConcurrency ?? options.numPrompts, options.numPrompts) + 1);
  const agent = createAgent(apiUrl, poolSize);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) };
  const notes: string[] = [];
  const startedAt = new Date().toISOString();
  try {
    const model = await resolveModel(options, agent, headers);
    const modelName = options.servedModelName ?? model;

    let tokens: TokenCounter | undefined;
    if (options.dataset.kind !== 'replay') {
      tokens = await connectTokenCounter(
        { baseUrl: options.baseUrl, model: modelName, agent, headers, endpoint: options.endpoint, chat, signal: userSignal },
        log,
      );
    }
    const dataset = await loadDataset(options.dataset, options.numPrompts, options.seed, tokens, userSignal);
    notes.push(...dataset.notes);
    const ignoreEos = options.ignoreEos || options.dataset.kind === 'random';
    const bodies = dataset.requests.map((r) => buildPayload(options, modelName, r, ignoreEos));
    const count = bodies.length;

    const send = (body: string, clock: () => number, signal?: AbortSignal) =>
      streamRequest({
        url: apiUrl,
        body,
        headers,
        agent,
        clock,
        timeoutS: options.requestTimeoutS,
        chat,
        keepText: options.keepGeneratedText ?? false,
        ...(signal ? { signal } : {}),
      });
    const wallClock = () => performance.now() / 1000;

    // Initial test run, as vLLM does: retry while the server is not up yet; any other failure stops here.
    log.info('Starting initial single prompt test run...');
    const readyDeadline = Date.now() + options.readyCheckTimeoutS * 1000;
    let waitNoticed = false;
    for (;;) {
      const test = await send(bodies[0]!, wallClock, userSignal);
      if (test.success) break;
      const retryable = /connection refused|reset the connection|HTTP 50[23]/.test(test.error ?? '');
      if (userSignal.aborted) throw new BenchmarkError('interrupted before the benchmark started');
      if (!retryable || Date.now() >= readyDeadline) {
        throw new BenchmarkError(`Initial test run failed against ${shownUrl(apiUrl)}: ${test.error}. Check --base-url/--host/--port, --endpoint, --backend and --model.`);
      }
      // Said once, so a wrong port is not a silent wait of --ready-check-timeout-sec (600 s by default).
      if (!waitNoticed) log.info(`${new URL(shownUrl(apiUrl)).origin} is not ready (${test.error}); retrying for up to ${options.readyCheckTimeoutS} s (--ready-check-timeout-sec)`);
      waitNoticed = true;
      await sleep(Math.min(1000, readyDeadline - Date.now()), userSignal);
    }
    log.info('Initial test run completed. Starting main benchmark run...');

    if (options.numWarmups > 0) {
      log.info(`Warming up with ${options.numWarmups} requests...`);
      const warmGate = new Gate(options.maxConcurrency ?? Infinity);
      await Promise.all(
        Array.from({ length: options.numWarmups }, async () => {
          await warmGate.acquire();
          await send(bodies[0]!, wallClock, userSignal);
          warmGate.release();
        }),
      );
      log.info('Warmup run completed.');
    }

    log.info(`Traffic request rate: ${Number.isFinite(options.requestRate) ? options.requestRate : 'inf'}`);
    log.info(`Burstiness factor: ${pythonFloat(options.burstiness)}${options.burstiness === 1 ? ' (Poisson process)' : ''}`);
    log.info(`Maximum request concurrency: ${options.maxConcurrency ?? 'None'}`);

    const arrivals = arrivalTimes(count, options.requestRate, options.burstiness, options.seed);
    const stopSending = new AbortController();
    const cutInflight = new AbortController();
    let interrupted = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const gate = new Gate(options.maxConcurrency ?? Infinity);
    const onUserAbort = () => {
      interrupted = true;
      stopSending.abort();
      gate.closeAll();
      graceTimer = setTimeout(() => cutInflight.abort(), options.interruptGraceS * 1000);
    };
    if (userSignal.aborted) onUserAbort();
    else userSignal.addEventListener('abort', onUserAbort, { once: true });

    const outcomes: Array<StreamOutcome | undefined> = new Array(count);
    const queueTimes: number[] = new Array<number>(count).fill(0);
    const t0 = performance.now();
    const clock = () => (performance.now() - t0) / 1000;
    const tasks: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      // As vLLM's get_request: a timer only for a request that is not due yet. A due one (all of them at
      // --request-rate inf) is dispatched in this same turn, so a burst leaves at once, not one per timer tick.
      const wait = arrivals[i]! * 1000 - (performance.now() - t0);
      if (wait > 0) await sleep(wait, stopSending.signal);
      if (stopSending.signal.aborted) break;
      const index = i;
      tasks.push(
        (async () => {
          const arrival = clock();
          if (!(await gate.acquire())) return;
          queueTimes[index] = clock() - arrival;
          const outcome = await send(bodies[index]!, clock, cutInflight.signal);
          gate.release();
          outcomes[index] = outcome;
          try {
            hooks.onRequest?.(toEvent(index, toRequestOutput(outcome, dataset.requests[index]!)));
          } catch (err) {
            log.warn(`a request listener failed: ${(err as Error).message}`);
          }
        })(),
      );
    }
    await Promise.all(tasks);
    const durationS = clock();
    clearTimeout(graceTimer);
    userSignal.removeEventListener('abort', onUserAbort);

    const sent: RequestOutput[] = [];
    const sentQueueTimes: number[] = [];
    let missingUsage = 0;
    const invalidUsage: string[] = [];
    outcomes.forEach((o, i) => {
      if (!o) return;
      if (o.invalidUsage !== undefined) invalidUsage.push(o.invalidUsage);
      if (o.success && o.completionTokens === undefined && o.invalidUsage === undefined) missingUsage += 1;
      sent.push(toRequestOutput(o, dataset.requests[i]!));
      sentQueueTimes.push(queueTimes[i]!);
    });
    if (invalidUsage.length > 0) {
      notes.push(`${invalidUsage.length} request(s) got a usage count that is not a non-negative integer (first: ${invalidUsage[0]}); it was ignored (the dataset's prompt length, or one output token per streamed chunk, was counted instead)`);
    }
    if (missingUsage > 0) notes.push(`${missingUsage} request(s) got no usage chunk; their output tokens were counted as one per streamed chunk`);
    if (interrupted) notes.push(`interrupted: ${sent.length} of ${count} requests were sent; in-flight requests had ${options.interruptGraceS} s to finish`);

    const metrics = computeMetrics(sent, {
      durationS,
      percentileMetrics: options.percentileMetrics,
      percentiles: options.percentiles,
      ...(options.goodput ? { goodput: options.goodput } : {}),
    });
    const rawOutput = formatResultBlock(metrics, {
      percentileMetrics: options.percentileMetrics,
      percentiles: options.percentiles,
      goodput: options.goodput !== undefined,
      maxConcurrency: options.maxConcurrency ?? null,
      requestRate: Number.isFinite(options.requestRate) ? options.requestRate : 'inf',
      style: options.blockStyle ?? 'current',
    });
    const status = interrupted ? 'interrupted' : 'complete';
    const tokenCounts = options.dataset.kind === 'replay' ? 'replay-file' : tokens?.kind === 'server' ? 'server-tokenizer' : 'approximate';
    return {
      status,
      metrics,
      outputs: sent,
      rawOutput,
      failedRequestsText: formatFailedRequests(sent.filter((o) => !o.success).map((o) => o.error ?? 'unknown error')),
      queueTimes: sentQueueTimes,
      model,
      notes,
      provenance: {
        client: 'serving-lab bench (native TypeScript load generator)',
        version: SERVING_LAB_VERSION,
        api_url: shownUrl(apiUrl),
        model,
        dataset: describeDatasetSpec(options.dataset),
        exact_lengths: dataset.exactLengths,
        token_counts: tokenCounts,
        rng: 'serving-lab sfc32 (seeded); prompts and arrival gaps are reproducible per seed but not numpy-identical',
        warmups: options.numWarmups,
        status,
        started_at: startedAt,
        ended_at: new Date().toISOString(),
        notes,
      },
    };
  } finally {
    hooks.signal?.removeEventListener('abort', forwardAbort);
    agent.destroy();
  }
}

function toRequestOutput(o: StreamOutcome, request: SampleRequest): RequestOutput {
  const out: RequestOutput = {
    success: o.success,
    promptLen: o.promptTokens ?? request.promptLen,
    // Without a usage chunk, one token per choices-message (vLLM would re-tokenize the text).
    outputLen: o.success ? (o.completionTokens ?? o.itl.length + 1) : 0,
    ttft: o.ttft,
    itl: o.itl,
    latency: o.latency,
    startTime: o.startTime,
  };
  if (o.error !== undefined) out.error = o.error;
  if (o.generatedText !== '') out.generatedText = o.generatedText;
  return out;
}

function toEvent(index: number, o: RequestOutput): RequestEvent {
  return {
    index,
    start: o.startTime,
    ttft: o.ttft,
    itls: o.itl,
    latency: o.latency,
    prompt_len: o.promptLen,
    output_len: o.outputLen,
    success: o.success,
    error: o.error ?? null,
  };
}

/** The Workload these options run, for storing with the result (undefined when the schema cannot express it). */
export function workloadFromOptions(options: BenchmarkOptions): Workload | undefined {
  const d = options.dataset;
  let dataset: Workload['dataset'];
  let name: string;
  if (d.kind === 'random') {
    if (d.rangeRatio.input !== d.rangeRatio.output) return undefined;
    dataset = { kind: 'random', inputLen: d.inputLen, outputLen: d.outputLen, rangeRatio: d.rangeRatio.input, prefixLen: d.prefixLen };
    name = `random ${d.inputLen}/${d.outputLen}`;
  } else if (d.kind === 'sharegpt') {
    if (d.outputLen !== undefined) return undefined;
    dataset = { kind: 'sharegpt', path: d.path };
    name = 'ShareGPT';
  } else {
    dataset = { kind: 'replay', path: d.path };
    name = `replay ${d.path}`;
  }
  return {
    name,
    dataset,
    numPrompts: options.numPrompts,
    requestRate: Number.isFinite(options.requestRate) ? options.requestRate : 'inf',
    burstiness: options.burstiness,
    ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    seed: options.seed,
    backend: options.backend,
    endpoint: options.endpoint,
    ...(options.ignoreEos ? { ignoreEos: true } : {}),
    numWarmups: options.numWarmups,
  };
}

/** The options a stored Workload stands for, for runners that benchmark a plan's workloads. */
export function benchmarkOptionsFromWorkload(
  workload: Workload,
  target: { baseUrl: string; model?: string; servedModelName?: string; sharegptPath?: string },
): BenchmarkOptions {
  const d = workload.dataset;
  let dataset: DatasetSpec;
  if (d.kind === 'random') dataset = { kind: 'random', inputLen: d.inputLen, outputLen: d.outputLen, rangeRatio: { input: d.rangeRatio, output: d.rangeRatio }, prefixLen: d.prefixLen };
  else if (d.kind === 'replay') dataset = { kind: 'replay', path: d.path };
  else {
    const path = d.path ?? target.sharegptPath;
    if (!path) throw new BenchmarkError(`workload "${workload.name}" uses ShareGPT without a file; give the dataset a path`);
    dataset = { kind: 'sharegpt', path };
  }
  return {
    baseUrl: target.baseUrl,
    endpoint: workload.endpoint,
    backend: workload.backend,
    ...(target.model ? { model: target.model } : {}),
    ...(target.servedModelName ? { servedModelName: target.servedModelName } : {}),
    dataset,
    numPrompts: workload.numPrompts,
    requestRate: workload.requestRate === 'inf' ? Infinity : workload.requestRate,
    burstiness: workload.burstiness,
    ...(workload.maxConcurrency !== undefined ? { maxConcurrency: workload.maxConcurrency } : {}),
    seed: workload.seed,
    numWarmups: workload.numWarmups,
    ignoreEos: workload.ignoreEos ?? false,
    percentileMetrics: ['ttft', 'tpot', 'itl', 'e2el'],
    percentiles: [99],
    readyCheckTimeoutS: 600,
    requestTimeoutS: 6 * 3600,
    interruptGraceS: 5,
  };
}
