// `serving-lab sim …`: the simulated GPU host — shims, the engine processes they start, virtual-time prediction and
// the synthetic ShareGPT-like dataset.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { classifyCrash } from '../../core/engines/crash';
import { VariantError } from '../../core/engines/index';
import { ENGINE_LABELS } from '../../core/engines/speculative';
import { servingCommand } from '../../core/engines/script';
import { shellQuote } from '../../core/shell';
import { GPUS, UnknownGpuError, resolveGpu } from '../../core/sim/gpus';
import { HostProfileError, loadHostProfile, type HostProfile } from '../../core/sim/hostProfile';
import { kvBytesPerToken, MODEL_HINT_MARK, ModelConfigError, MODELS, readModelConfig, weightBytes, type ModelSpec } from '../../core/sim/models';
import { draftsOf } from '../../core/sim/models/drafts';
import { runSimProgram, SIM_PROGRAMS, type SimProgram } from '../../core/sim/exec';
import { NotAServeCommandError } from '../../core/sim/engines/index';
import { UnsupportedEngineVersionError } from '../../core/sim/engines/versions';
import { predictBenchmark, WorkloadSpecError } from '../../core/sim/predict';
import { writeSyntheticShareGpt } from '../../core/sim/sharegpt';
import { CliBundleNotFoundError, installShims } from '../../core/sim/shims';
import { CliError, positiveIntFlag, UsageError, type FlagSpec } from '../args';
import { jsonFlag, type CliCommand } from '../command';

const gpuFlags: FlagSpec[] = [
  { name: 'gpu', type: 'string', default: 'A100-SXM4-80GB', metavar: 'GPU', description: `simulated GPU: an id (${GPUS.map((g) => g.id).join(', ')}), its nvidia-smi name or an alias (h100, h100-sxm, a100-40gb); \`sim gpus\` lists them` },
  { name: 'count', type: 'number', default: 4, description: 'number of simulated GPUs' },
];
const speedupFlag: FlagSpec = { name: 'speedup', type: 'number', default: 1, description: 'real-time speedup of simulated engines (logged and reported in /v1/models)' };

const profileFlag = { name: 'profile', type: 'string', metavar: 'FILE', description: "a hidden host profile: this host's deviations from the simulator (memory bandwidth, reserved memory, step overhead, noise, crashing flags)" } as const;

/** The host profile a flag names, read and checked (a usage error names the file and the problem). */
function profileOf(file: unknown): { profile?: HostProfile } {
  if (file === undefined) return {};
  try {
    return { profile: loadHostProfile(String(file)) };
  } catch (err) {
    if (err instanceof HostProfileError) throw new CliError(err.message);
    throw err;
  }
}

function positive(value: unknown, flag: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new UsageError(`--${flag} must be a positive number (got ${String(value)})`);
  return value;
}

export const simExec: CliCommand = {
  path: ['sim', 'exec'],
  summary: 'Run a program as the simulated GPU host answers it (what the shims call): vllm, python3, trtllm-serve, nvidia-smi.',
  flags: [
    ...gpuFlags,
    speedupFlag,
    { name: 'state-dir', type: 'string', metavar: 'DIR', description: 'where simulated engines record the GPUs they hold (read by nvidia-smi)' },
    profileFlag,
  ],
  positionals: [],
  usageTail: ' -- PROGRAM [ARGS…]',
  async run({ args }) {
    const [program, ...rest] = args.rest;
    // An engine reacts to SIGTERM/SIGINT the way uvicorn does (shut down; a second signal exits at once), without
    // the CLI's own "interrupted" notice, which no real engine prints.
    const controller = new AbortController();
    const signal = controller.signal;
    const onSignal = () => (controller.signal.aborted ? process.exit(1) : controller.abort());
    for (const name of ['SIGTERM', 'SIGINT'] as const) {
      process.removeAllListeners(name);
      process.on(name, onSignal);
    }
    if (!program || !(SIM_PROGRAMS as readonly string[]).includes(program)) {
      throw new UsageError(`sim exec: expected -- PROGRAM with PROGRAM one of ${SIM_PROGRAMS.join(', ')} (got ${program ?? 'nothing'})`);
    }
    const gpu = resolveGpu(String(args.flags['gpu']));
    const stateDir = args.flags['stateDir'] as string | undefined;
    return runSimProgram(program as SimProgram, rest, {
      host: { gpu, count: positiveIntFlag(args.flags['count'], 'count'), speedup: positive(args.flags['speedup'], 'speedup'), ...profileOf(args.flags['profile']) },
      ...(stateDir ? { stateDir: resolve(stateDir) } : {}),
      env: process.env,
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      signal,
      runBench: (benchArgs) => runCliChild(['bench', ...benchArgs], signal),
    });
  },
};

/** `node <this cli> ARGS…` with inherited stdio; Ctrl-C/SIGTERM reach it as SIGINT so it can print what it has. */
function runCliChild(cliArgs: string[], signal: AbortSignal): Promise<number> {
  return new Promise((resolveExit, reject) => {
    const child = spawn(process.execPath, [process.argv[1]!, ...cliArgs], { stdio: 'inherit' });
    const onAbort = () => child.kill('SIGINT');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    child.on('exit', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      resolveExit(code ?? (sig ? 128 + 2 : 1));
    });
  });
}

export const simInstallShims: CliCommand = {
  path: ['sim', 'install-shims'],
  summary: 'Write vllm, python3, trtllm-serve and nvidia-smi shims into DIR: put DIR first on PATH to get a simulated GPU host.',
  flags: [...gpuFlags, speedupFlag, { name: 'cli-path', type: 'string', metavar: 'FILE', description: 'serving-lab CLI bundle the shims run (default: this one)' }, profileFlag],
  positionals: [{ name: 'dir', description: 'directory for the shims (created if missing)' }],
  async run({ args, log }) {
    const dir = resolve(args.positionals[0]!);
    try {
      await installShims(dir, {
        gpu: String(args.flags['gpu']),
        count: positiveIntFlag(args.flags['count'], 'count'),
        speedup: positive(args.flags['speedup'], 'speedup'),
        ...(args.flags['cliPath'] ? { cliPath: String(args.flags['cliPath']) } : {}),
        ...(args.flags['profile'] ? { profile: String(args.flags['profile']) } : {}),
      });
    } catch (err) {
      if (err instanceof CliBundleNotFoundError || err instanceof UnknownGpuError) throw new CliError(err.message);
      if ((err as NodeJS.ErrnoException).code) throw new CliError(`cannot write the shims into ${dir} (${(err as Error).message}); pick a writable DIR`);
      throw err;
    }
    log.info(`shims written to ${dir}: vllm, python3, trtllm-serve, nvidia-smi (${args.flags['count']}x ${args.flags['gpu']}, speedup ${args.flags['speedup']}x)`);
    log.info(`use them with: export PATH=${shellQuote(dir)}:"$PATH"`);
  },
};

export const simShareGpt: CliCommand = {
  path: ['sim', 'sharegpt'],
  summary: 'Write a synthetic, deterministic ShareGPT-format JSON file with the reference ShareGPT run’s length statistics.',
  flags: [
    { name: 'out', type: 'string', metavar: 'FILE', description: 'output file (required)' },
    { name: 'count', type: 'number', default: 2000, description: 'conversations to write (about 6% fail vLLM’s ShareGPT length filter)' },
    { name: 'seed', type: 'number', default: 0, description: 'generator seed' },
  ],
  positionals: [],
  async run({ args, log }) {
    const out = args.flags['out'];
    if (typeof out !== 'string') throw new UsageError('sim sharegpt: --out FILE is required');
    const count = positiveIntFlag(args.flags['count'], 'count');
    const seed = Number(args.flags['seed']);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer (got ${String(args.flags['seed'])})`);
    await writeSyntheticShareGpt(resolve(out), { count, seed }).catch((err: NodeJS.ErrnoException) => {
      throw err.code ? new CliError(`cannot write --out ${resolve(out)} (${err.message}); pick a writable path`) : err;
    });
    log.info(`wrote ${count} synthetic ShareGPT-format conversations to ${resolve(out)} (synthetic data, not real conversations)`);
  },
};

export const simPredict: CliCommand = {
  path: ['sim', 'predict'],
  summary: 'Predict the benchmark block of a serve command on a simulated host, in virtual time (seconds, no HTTP).',
  flags: [
    ...gpuFlags,
    { name: 'workload', type: 'string', default: 'sharegpt:1000', metavar: 'SPEC', description: 'sharegpt:N (synthetic ShareGPT-like lengths) or random:IN:OUT:N' },
    { name: 'seed', type: 'number', default: 0, description: 'seed for lengths and arrivals' },
    { name: 'request-rate', type: 'number', default: 'inf', metavar: 'RPS', description: 'requests per second (inf = all at once, as the reference ran)' },
    { name: 'max-concurrency', type: 'number', description: 'most requests in flight at once' },
    { name: 'model-config', type: 'string', metavar: 'PATH', description: "the served model's config.json (a file or a model directory) when the catalog does not have it" },
    jsonFlag,
  ],
  positionals: [],
  usageTail: ' -- SERVE COMMAND… (or one argument holding a pasted serving script)',
  async run({ args, stdout, log }) {
    if (args.rest.length === 0) throw new UsageError('sim predict: give the serve command after --, e.g. `-- vllm serve zai-org/GLM-4.5-Air -tp 4`, or a serving script as one argument: `-- "$(cat serve.sh)"`');
    const rate = args.flags['requestRate'] as number;
    const maxConcurrency = args.flags['maxConcurrency'] as number | undefined;
    const modelConfig = args.flags['modelConfig'] as string | undefined;
    let prediction;
    try {
      const command = servingCommand(args.rest);
      for (const line of command.ignored) log.info(`not a serve command, not run: ${line}`);
      const models = modelConfig !== undefined ? [readModelConfig(resolve(modelConfig), servedModelArg(command.argv) ?? resolve(modelConfig))] : undefined;
      prediction = predictBenchmark({
        ...(models ? { models } : {}),
        gpu: String(args.flags['gpu']),
        count: positiveIntFlag(args.flags['count'], 'count'),
        argv: command.argv,
        env: command.env,
        workload: String(args.flags['workload']),
        seed: Number(args.flags['seed']),
        ...(Number.isFinite(rate) ? { requestRate: positive(rate, 'request-rate') } : {}),
        ...(maxConcurrency !== undefined ? { maxConcurrency: positiveIntFlag(maxConcurrency, 'max-concurrency') } : {}),
      });
    } catch (err) {
      if (
        err instanceof WorkloadSpecError ||
        err instanceof NotAServeCommandError ||
        err instanceof UnknownGpuError ||
        err instanceof ModelConfigError ||
        err instanceof UnsupportedEngineVersionError ||
        err instanceof VariantError
      ) {
        throw new UsageError(err.message);
      }
      throw err;
    }
    if (args.flags['json']) {
      stdout(`${JSON.stringify({ simulated: true, gpu: `${args.flags['count']}x ${args.flags['gpu']}`, command: args.rest, workload: args.flags['workload'], metrics: prediction.metrics ?? null, engine: prediction.engine ?? null, notModelled: prediction.notModelled ?? [], stalled: prediction.stalled ?? null, crash: prediction.crash ?? null }, null, 2)}\n`);
      return prediction.crash || prediction.stalled ? 1 : 0;
    }
    if (prediction.crash) {
      for (const line of prediction.crash.log.slice(-12)) log.info(line);
      const { reason } = classifyCrash(prediction.crash.log);
      throw new CliError(
        `the engine would crash on ${args.flags['count']}x ${args.flags['gpu']} (${reason === 'unknown' ? `exit ${prediction.crash.exitCode}` : reason}): ${prediction.crash.rootCause}; ` +
          (prediction.crash.log.some((l) => l.includes(MODEL_HINT_MARK)) ? "give the simulator the model's config.json (see above)" : 'change the serve command or pick another --gpu'),
      );
    }
    log.info(`simulated prediction for ${args.flags['count']}x ${args.flags['gpu']} (virtual time; ${args.flags['workload']}${String(args.flags['workload']).startsWith('sharegpt') ? ', synthetic ShareGPT-like lengths' : ''})`);
    if (prediction.notModelled?.length) log.info(`not modelled: ${prediction.notModelled.join(', ')} (accepted as the engine accepts them; the prediction does not reflect them)`);
    stdout(prediction.block!);
    if (prediction.stalled) throw new CliError(`the engine would hang: ${prediction.stalled}; change the serve command or the workload`);
  },
};

/** The model argument of a serve command (`vllm serve M`, `--model-path M`, `--model M`, `trtllm-serve M`). */
function servedModelArg(argv: readonly string[]): string | undefined {
  const flag = argv.findIndex((a) => a === '--model' || a === '--model-path');
  if (flag >= 0) return argv[flag + 1];
  const serve = argv.findIndex((a) => a === 'serve' || a.endsWith('trtllm-serve'));
  const next = serve >= 0 ? argv[serve + 1] : undefined;
  return next && !next.startsWith('-') ? next : undefined;
}

const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);

/** What `speculative:` can draft with for a model: its own MTP layers, and the engines with a known EAGLE-3 head. */
function draftsText(m: ModelSpec): string {
  const { mtpLayers, eagle3 } = draftsOf(m);
  const engines = [...new Set(eagle3.flatMap((d) => d.engines))].map((e) => ENGINE_LABELS[e]);
  const parts = [...(mtpLayers > 0 ? [`mtp (${mtpLayers} layer${mtpLayers > 1 ? 's' : ''})`] : []), ...(engines.length > 0 ? [`eagle3 (${engines.join(', ')})`] : [])];
  return parts.length > 0 ? parts.join(', ') : '-';
}

export const simModels: CliCommand = {
  path: ['sim', 'models'],
  summary: 'List the models the simulated host knows (its bundled catalog): parameters, weights, KV cache per token, quantization, speculative drafts.',
  flags: [jsonFlag],
  positionals: [],
  async run({ args, stdout }) {
    if (args.flags['json']) {
      stdout(`${JSON.stringify(MODELS, null, 2)}\n`);
      return;
    }
    const rows = MODELS.map((m) => {
      const w = weightBytes(m);
      const weights = m.quantization ? `${m.weightDtype} (${m.quantization.method})` : 'bf16';
      return [m.id, m.architecture, `${(m.totalParams / 1e9).toFixed(1)}B`, `${(m.activeParams / 1e9).toFixed(1)}B`, `${gib(w.dense + w.experts + w.embedding)} GiB`, `${(kvBytesPerToken(m, 2) / 1024).toFixed(0)} KiB`, weights, draftsText(m)];
    });
    stdout(formatTable(['model', 'architecture', 'params', 'active', 'weights', 'KV/token', 'weights dtype', 'speculative drafts'], rows));
  },
};

export const simGpus: CliCommand = {
  path: ['sim', 'gpus'],
  summary: 'List the GPUs the simulated host can be (datasheet figures): memory, bandwidth, dense BF16/FP8 throughput, links.',
  flags: [jsonFlag],
  positionals: [],
  async run({ args, stdout }) {
    if (args.flags['json']) {
      stdout(`${JSON.stringify(GPUS, null, 2)}\n`);
      return;
    }
    const tf = (v: number | undefined) => (v === undefined ? '-' : `${(v / 1e12).toFixed(0)}`);
    const rows = GPUS.map((g) => [g.id, g.smiName, `${(g.memoryMiB / 1024).toFixed(0)} GiB`, `${(g.hbmBytesPerS / 1e12).toFixed(2)} TB/s`, tf(g.peakBf16), tf(g.peakFp8), `${g.link.kind} ${(g.link.bytesPerS / 1e9).toFixed(0)} GB/s`, g.computeCapability.join('.'), g.aliases.join(', ')]);
    stdout(formatTable(['id', 'nvidia-smi name', 'memory', 'bandwidth', 'BF16 TFLOPS', 'FP8 TFLOPS', 'link', 'SM', 'aliases'], rows));
  },
};

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export const SIM_COMMANDS: CliCommand[] = [simPredict, simModels, simGpus, simInstallShims, simShareGpt, simExec];
