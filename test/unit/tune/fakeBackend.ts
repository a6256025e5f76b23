// A TuneBackend with the reference study's numbers (GLM-4.5-Air on 4×A100) and its crashes, for tests of the
// experiment logic without a host. It records every launch, benchmark and stop, so tests can prove what ran.
import { renderVariant } from '../../../src/core/engines/index';
import type { BenchmarkMetrics, Crash, EngineVariant, HostFacts, Workload } from '../../../src/core/plan/schema';
import { EngineCrashedError, type BenchmarkOutcome, type BenchmarkRequest, type EngineSession, type LaunchOutcome, type TuneBackend } from '../../../src/core/tune/experiment';

/** Total token throughput on ShareGPT as the reference measured it. */
export function referenceThroughput(v: EngineVariant): number {
  if (v.engine === 'vllm') return 3903.44;
  if (v.engine !== 'sglang') return 1000;
  if (v.parallel.ep === 4) {
    if (v.attentionBackend === 'triton') return 6019.69;
    if (v.attentionBackend === 'fa3') return 6123.98;
    if (v.cudaGraph.maxBatchSize === 512) return 6242.21;
    return 6245.77;
  }
  return 6160.72;
}

export function referenceCrash(v: EngineVariant): Crash | undefined {
  if (v.engine === 'trtllm') return { reason: 'model-not-found', rootCause: 'ValueError: GLM-4.5-Air is not supported by TensorRT-LLM 1.2.0rc1', logExcerpt: [] };
  if (v.model.endsWith('-FP8')) return { reason: 'fp8-unsupported', rootCause: 'ValueError: FP8 is not supported on compute capability 8.0 (A100)', logExcerpt: ['…'] };
  if (v.parallel.pp > 1) return { reason: 'pp-unsupported', rootCause: 'NotImplementedError: Pipeline parallelism is not supported for Glm4MoeForCausalLM', logExcerpt: [] };
  return undefined;
}

export interface FakeOptions {
  throughput?: (v: EngineVariant, workload: Workload, repeat: number) => number;
  /** Called before each benchmark; may abort the run's controller to simulate Ctrl-C. */
  beforeBenchmark?: (index: number, request: BenchmarkRequest) => void;
  extraMetrics?: (v: EngineVariant) => Record<string, number>;
  resetWorks?: boolean;
  /** Launches that fail with port-in-use before the launch succeeds. */
  portBusy?: number;
  leftovers?: string[];
  hostName?: string;
  /** Variants whose engine dies during the benchmark. */
  diesDuringBenchmark?: (v: EngineVariant) => boolean;
}

export class FakeBackend implements TuneBackend {
  readonly runner = 'vllm-bench' as const;
  launches: string[] = [];
  benchmarks: Array<{ command: string; workload: string; seed: number }> = [];
  resets = 0;
  warmups = 0;
  running = new Set<string>();
  stoppedLeftovers: string[] = [];
  private nextRun = 1;

  constructor(private readonly options: FakeOptions = {}) {}

  async facts(): Promise<HostFacts> {
    return { name: this.options.hostName ?? 'fake', gpus: [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 })), engineVersions: { vllm: '0.11.0', sglang: '0.5.4.post2' }, simulated: true };
  }

  launchCommand(v: EngineVariant): string {
    return renderVariant(v, { port: 8000 }).commandLine;
  }

  benchCommand(v: EngineVariant, w: Workload): string {
    return `vllm bench serve --model ${v.model} --num-prompts ${w.numPrompts}`;
  }

  async launch(variant: EngineVariant): Promise<LaunchOutcome> {
    const command = this.launchCommand(variant);
    const runId = `run-${this.nextRun++}`;
    this.launches.push(command);
    if ((this.options.portBusy ?? 0) > 0) {
      this.options.portBusy!--;
      return { ok: false, crash: { reason: 'port-in-use', rootCause: 'port 8000 is already in use', logExcerpt: [] }, runId, command };
    }
    const crash = referenceCrash(variant);
    if (crash) return { ok: false, crash, runId, command };
    this.running.add(runId);
    return { ok: true, session: { runId, command, variant }, startupS: 1 };
  }

  async warmup(): Promise<void> {
    this.warmups++;
  }

  async resetPrefixCache(): Promise<boolean> {
    this.resets++;
    return this.options.resetWorks ?? true;
  }

  async benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome> {
    const index = this.benchmarks.length;
    this.benchmarks.push({ command: request.session.command, workload: request.workload.name, seed: request.workload.seed });
    this.options.beforeBenchmark?.(index, request);
    if (this.options.diesDuringBenchmark?.(request.session.variant)) {
      throw new EngineCrashedError({ reason: 'oom', rootCause: 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB', logExcerpt: [] });
    }
    const tps = (this.options.throughput ?? ((v) => referenceThroughput(v)))(request.session.variant, request.workload, request.position.repeat);
    request.onSample({ t: Date.now(), totalTokS: tps, running: 10, waiting: 2, kvUsage: 0.5 });
    const metrics: BenchmarkMetrics = {
      duration: 60,
      completed: request.signal.aborted ? 10 : request.workload.numPrompts,
      failed: 0,
      total_input_tokens: 1000,
      total_output_tokens: 1000,
      request_throughput: 10,
      output_throughput: tps / 2,
      total_token_throughput: tps,
      ...this.options.extraMetrics?.(request.session.variant),
    };
    return {
      metrics,
      benchCommand: this.benchCommand(request.session.variant, request.workload),
      sourceKind: 'vllm-json',
      interrupted: request.signal.aborted,
      startedAt: new Date().toISOString(),
      endedAt: new Date().toISOString(),
      notes: [],
    };
  }

  async stop(session: EngineSession): Promise<void> {
    this.running.delete(session.runId);
  }

  async stopLeftovers(runIds: readonly string[], _match: { since: string; variants: readonly EngineVariant[] }): Promise<string[]> {
    const alive = (this.options.leftovers ?? []).filter((id) => runIds.includes(id));
    this.stoppedLeftovers.push(...alive);
    return alive;
  }
}
