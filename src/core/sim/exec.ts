// What the shims run: `vllm …`, `python3 -m sglang.…`, `trtllm-serve …` and `nvidia-smi …` as a simulated GPU host
// answers them. Benchmarks go to the native client (`serving-lab bench`), through a callback the CLI provides.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planLaunch, type SimHost } from './engines/index';
import { engineVersion, UnsupportedEngineVersionError } from './engines/versions';
import { memoryHeldByOthers, NvidiaSmiError, nvidiaSmi } from './nvidiaSmi';
import { runSimEngine } from './process';
import { SYNTHETIC_SHAREGPT_FILE, writeSyntheticShareGpt } from './sharegpt';

export const SIM_PROGRAMS = ['vllm', 'python3', 'trtllm-serve', 'nvidia-smi'] as const;
export type SimProgram = (typeof SIM_PROGRAMS)[number];

export interface SimExecContext {
  host: SimHost;
  stateDir?: string;
  env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
  signal: AbortSignal;
  /** Runs `serving-lab bench ARGS…` and resolves with its exit code. */
  runBench(args: string[]): Promise<number>;
}

const VLLM_TOP_USAGE = `usage: vllm [-h] [-v] {chat,complete,serve,bench,collect-env,run-batch} ...

vLLM CLI (serving-lab simulated host)

positional arguments:
  {chat,complete,serve,bench,collect-env,run-batch}
    serve               Start the vLLM OpenAI Compatible API server.
    bench               vLLM bench subcommand.

options:
  -h, --help            show this help message and exit
  -v, --version         show program's version number and exit
`;

export async function runSimProgram(program: SimProgram, args: readonly string[], ctx: SimExecContext): Promise<number> {
  switch (program) {
    case 'vllm':
      return vllm(args, ctx);
    case 'python3':
      return python(args, ctx);
    case 'trtllm-serve': {
      if (args[0] === '--help' || args.length === 0) {
        ctx.stdout('Usage: trtllm-serve serve [OPTIONS] MODEL\n\n  Running an OpenAI API compatible server (serving-lab simulated host)\n');
        return args.length === 0 ? 2 : 0;
      }
      const rest = args[0] === 'serve' ? args.slice(1) : args;
      return withVersion(ctx, () => serve('trtllm', rest, ctx));
    }
    case 'nvidia-smi':
      try {
        ctx.stdout(nvidiaSmi(args, ctx.host.gpu, ctx.host.count, ctx.stateDir));
        return 0;
      } catch (err) {
        if (err instanceof NvidiaSmiError) {
          ctx.stdout(`${err.message}\n`);
          return err.exitCode;
        }
        throw err;
      }
  }
}

/** Runs `run`; an engine version the simulator has no profile for (engines/versions.ts) is a usage error. */
async function withVersion(ctx: SimExecContext, run: () => Promise<number> | number): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof UnsupportedEngineVersionError)) throw err;
    ctx.stderr(`serving-lab sim: ${err.message}\n`);
    return 2;
  }
}

function printVersion(engine: 'vllm' | 'sglang' | 'trtllm', ctx: SimExecContext): number {
  ctx.stdout(`${engineVersion(engine, ctx.env)}\n`);
  return 0;
}

async function serve(engine: 'vllm' | 'sglang' | 'trtllm', args: readonly string[], ctx: SimExecContext): Promise<number> {
  const plan = planLaunch(engine, args, ctx.host, {
    env: ctx.env,
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    ...(ctx.stateDir ? { memoryHeldMiB: (gpus: readonly number[]) => memoryHeldByOthers(ctx.stateDir!, gpus, process.pid) } : {}),
  });
  return runSimEngine(plan, { stdout: ctx.stdout, stderr: ctx.stderr, signal: ctx.signal, ...(ctx.stateDir ? { stateDir: ctx.stateDir } : {}) });
}

async function vllm(args: readonly string[], ctx: SimExecContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--version' || sub === '-v') return withVersion(ctx, () => printVersion('vllm', ctx));
  if (sub === undefined || sub === '-h' || sub === '--help') {
    ctx.stdout(VLLM_TOP_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'serve') return withVersion(ctx, () => serve('vllm', rest, ctx));
  if (sub === 'bench' && rest[0] === 'serve') {
    const benchArgs = await withShareGptFallback(rest.slice(1), ctx);
    if (!benchArgs.includes('--block-style')) benchArgs.push('--block-style', 'v0.11');
    return ctx.runBench(benchArgs);
  }
  ctx.stderr(`${VLLM_TOP_USAGE.split('\n')[0]}\nvllm: error: argument subparser: invalid choice: '${sub}${sub === 'bench' ? ` ${rest[0] ?? ''}` : ''}' (choose from 'chat', 'complete', 'serve', 'bench', 'collect-env', 'run-batch')\n`);
  return 2;
}

async function python(args: readonly string[], ctx: SimExecContext): Promise<number> {
  if (args[0] === '-c') {
    const code = args[1] ?? '';
    const engine = code.includes('sglang') ? 'sglang' : code.includes('vllm') ? 'vllm' : code.includes('tensorrt_llm') ? 'trtllm' : undefined;
    return engine ? withVersion(ctx, () => printVersion(engine, ctx)) : 0;
  }
  if (args[0] === '-m' && args[1] === 'sglang.launch_server') return withVersion(ctx, () => serve('sglang', args.slice(2), ctx));
  if (args[0] === '-m' && args[1] === 'sglang.version') return withVersion(ctx, () => printVersion('sglang', ctx));
  if (args[0] === '-m' && args[1] === 'sglang.bench_serving') {
    const translated = translateSglangBench(args.slice(2), ctx);
    if (typeof translated === 'number') return translated;
    return ctx.runBench(await withShareGptFallback(translated, ctx));
  }
  ctx.stderr(`python3: the serving-lab simulated host only runs sglang modules here (got: ${args.join(' ')})\n`);
  return 2;
}

/** SGLang bench_serving flags → `serving-lab bench` flags; flags without a counterpart are dropped with a note. */
export function translateSglangBench(args: readonly string[], ctx: Pick<SimExecContext, 'stderr'>): string[] | number {
  const out: string[] = [];
  const passValue = new Set(['--host', '--port', '--base-url', '--dataset-path', '--model', '--tokenizer', '--num-prompts', '--sharegpt-output-len', '--request-rate', '--max-concurrency', '--seed']);
  // SGLang's random lengths have their own defaults and range semantics; collected here, translated after the loop.
  const random = { inputLen: 1024, outputLen: 1024, rangeRatio: 0 };
  const randomFlags: Record<string, keyof typeof random> = { '--random-input-len': 'inputLen', '--random-output-len': 'outputLen', '--random-range-ratio': 'rangeRatio' };
  const passFlag = new Set(['--disable-tqdm']);
  const dropValue = new Set(['--extra-request-body', '--lora-name', '--prompt-suffix', '--profile-activities', '--gsp-num-groups', '--gsp-prompts-per-group', '--gsp-system-prompt-len', '--gsp-question-len', '--gsp-output-len', '--tokenize-prompt']);
  const dropFlag = new Set(['--disable-ignore-eos', '--disable-stream', '--return-logprob', '--apply-chat-template', '--profile', '--pd-separated', '--flush-cache', '--output-details']);
  let backend = 'sglang';
  let dataset = 'sharegpt';
  let hasPort = false;
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const eq = raw.indexOf('=');
    const name = eq >= 0 ? raw.slice(0, eq) : raw;
    const value = () => (eq >= 0 ? raw.slice(eq + 1) : args[++i]);
    if (name === '--backend') backend = value() ?? backend;
    else if (name === '--dataset-name') dataset = value() ?? dataset;
    else if (name === '--warmup-requests') out.push('--num-warmups', value() ?? '1');
    else if (name in randomFlags) {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) {
        ctx.stderr(`bench_serving.py: error: argument ${name}: invalid value: '${raw}'\n`);
        return 2;
      }
      random[randomFlags[name]!] = v;
    }
    else if (name === '--output-file') {
      const file = value();
      if (file) out.push('--save-result', '--append-result', '--result-filename', file);
    } else if (passValue.has(name)) {
      if (name === '--port' || name === '--base-url') hasPort = true;
      out.push(name, value() ?? '');
    } else if (passFlag.has(name)) out.push(name);
    else if (dropValue.has(name)) {
      ctx.stderr(`note: ${name} has no counterpart in the native client; ignored\n`);
      value();
    } else if (dropFlag.has(name)) ctx.stderr(`note: ${name} has no counterpart in the native client; ignored\n`);
    else {
      ctx.stderr(`usage: bench_serving.py [-h] [--backend BACKEND] ...\nbench_serving.py: error: unrecognized arguments: ${raw}\n`);
      return 2;
    }
  }
  const chat = /chat/.test(backend);
  out.push('--backend', chat ? 'openai-chat' : 'openai');
  out.push('--dataset-name', dataset === 'random-ids' ? 'random' : dataset);
  if (dataset === 'random' || dataset === 'random-ids') out.push(...randomLengthArgs(random, ctx));
  if (!hasPort) out.push('--port', backend.startsWith('vllm') ? '8000' : '30000');
  return out;
}

/**
 * SGLang draws random lengths from U[L·r, L] (r = 1: exactly L), vLLM from U[c·(1−q), c·(1+q)]. The same window in
 * vLLM's terms is centre c = L·(1+r)/2 with q = (1−r)/(1+r); vLLM needs q < 1, so r = 0 becomes U[~0, L].
 */
function randomLengthArgs(r: { inputLen: number; outputLen: number; rangeRatio: number }, ctx: Pick<SimExecContext, 'stderr'>): string[] {
  const ratio = Math.min(1, r.rangeRatio);
  if (ratio >= 1) return ['--random-input-len', String(r.inputLen), '--random-output-len', String(r.outputLen), '--random-range-ratio', '0'];
  const centre = (len: number) => String(Math.max(1, Math.round((len * (1 + ratio)) / 2)));
  const q = Math.min((1 - ratio) / (1 + ratio), 0.999);
  ctx.stderr(`note: SGLang's --random-range-ratio ${r.rangeRatio} (lengths in [L·${r.rangeRatio}, L]) runs as vLLM's centred window (ratio ${q.toFixed(3)})\n`);
  return ['--random-input-len', centre(r.inputLen), '--random-output-len', centre(r.outputLen), '--random-range-ratio', q.toFixed(6)];
}

/** `--dataset-name sharegpt` with no file, or a file this host does not have: use the synthetic ShareGPT-like file. */
async function withShareGptFallback(args: readonly string[], ctx: SimExecContext): Promise<string[]> {
  const out = [...args];
  const nameAt = out.findIndex((a) => a === '--dataset-name' || a.startsWith('--dataset-name='));
  const name = nameAt < 0 ? undefined : out[nameAt]!.includes('=') ? out[nameAt]!.split('=')[1] : out[nameAt + 1];
  if (name !== 'sharegpt') return out;
  const pathAt = out.findIndex((a) => a === '--dataset-path' || a.startsWith('--dataset-path='));
  const path = pathAt < 0 ? undefined : out[pathAt]!.includes('=') ? out[pathAt]!.split('=')[1] : out[pathAt + 1];
  if (path !== undefined && existsSync(path)) return out;
  const dir = ctx.stateDir ?? process.cwd();
  mkdirSync(dir, { recursive: true });
  const synthetic = join(dir, SYNTHETIC_SHAREGPT_FILE);
  if (!existsSync(synthetic)) await writeSyntheticShareGpt(synthetic, { count: 2000, seed: 0 });
  ctx.stderr(`note: ${path === undefined ? 'no --dataset-path given' : `${path} does not exist on the simulated host`}; using the synthetic ShareGPT-like file ${synthetic}\n`);
  if (pathAt < 0) out.push('--dataset-path', synthetic);
  else if (out[pathAt]!.includes('=')) out[pathAt] = `--dataset-path=${synthetic}`;
  else out[pathAt + 1] = synthetic;
  return out;
}
