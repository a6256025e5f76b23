// Engine adapters: an EngineVariant rendered to the exact argv/env a host runs (natively or in docker), and a pasted
// serve command line parsed back into a variant. Round trips are tested: parse(render(v)) = v.
import { basename } from 'node:path';
import { EngineVariant, type EngineInstall, type EngineName, type EngineVariantInput } from '../plan/schema';
import { shellJoin } from '../shell';
import { toVariantInput, VariantError, type EngineAdapter, type RenderOptions } from './adapter';
import { parseServingScript, scriptArgv } from './script';
import { sglangAdapter } from './sglang';
import { trtllmAdapter } from './trtllm';
import { vllmAdapter } from './vllm';

export { VariantError } from './adapter';

export const ADAPTERS: Record<EngineName, EngineAdapter> = { vllm: vllmAdapter, sglang: sglangAdapter, trtllm: trtllmAdapter };

export interface RenderVariantOptions extends RenderOptions {
  /** How the host runs this engine (command path or docker image); absent = the engine's usual command on PATH. */
  install?: EngineInstall;
  /** Docker: the container name (Serving Lab names it after the run). */
  containerName?: string;
  /** Docker: the host user's home, for the Hugging Face cache mount ($HOME/.cache/huggingface). */
  home?: string;
}

export interface RenderedCommand {
  argv: string[];
  /** Environment for argv (empty for docker: the container gets `-e` options instead). */
  env: Record<string, string>;
  /** The command as a user would type it: `VLLM_ATTENTION_BACKEND=FLASHINFER vllm serve zai-org/GLM-4.5-Air -tp 4 …`. */
  commandLine: string;
  /** Files the command refers to, to be written before launch (TensorRT-LLM options YAML). */
  files: Array<{ path: string; content: string }>;
  docker?: { container: string; image: string };
}

const ENV_WORD = /^[A-Za-z_][A-Za-z0-9_]*=/;

export function commandLineOf(argv: readonly string[], env: Record<string, string>): string {
  return shellJoin([...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv]);
}

function nativeCommand(engine: EngineName, command: string | undefined): string[] {
  const adapter = ADAPTERS[engine];
  if (command === undefined) return [...adapter.defaultCommand];
  // The install names the executable; the subcommand / module stays the engine's.
  return [command, ...adapter.defaultCommand.slice(1)];
}

export function renderVariant(input: EngineVariant | EngineVariantInput, options: RenderVariantOptions): RenderedCommand {
  const variant = EngineVariant.parse(input);
  const adapter = ADAPTERS[variant.engine];
  const docker = options.install?.docker;
  if (!docker) {
    const { args, env, files } = adapter.render(variant, options);
    const argv = [...nativeCommand(variant.engine, options.install?.command), ...args];
    const fullEnv = { ...options.install?.env, ...env };
    return { argv, env: fullEnv, commandLine: commandLineOf(argv, fullEnv), files };
  }
  const container = options.containerName ?? `serving-lab-${variant.engine}`;
  // Inside the container the engine must listen on all interfaces; the published port is bound to loopback only.
  const { args, env, files } = adapter.render(variant, { ...options, bindHost: '0.0.0.0', configDir: '/serving-lab' });
  const bind = options.bindHost ?? '127.0.0.1';
  const argv = ['docker', 'run', '--rm', '--name', container, '--gpus', 'all', '--ipc=host', ...adapter.dockerOptions];
  argv.push('-p', `${bind}:${options.port}:${options.port}`);
  argv.push('-v', `${options.home ?? '~'}/.cache/huggingface:/root/.cache/huggingface`, '-e', 'HF_TOKEN');
  for (const [k, v] of Object.entries({ ...options.install?.env, ...env })) argv.push('-e', `${k}=${v}`);
  const hostFiles = files.map((f) => ({ path: `${options.configDir ?? '.'}/${basename(f.path)}`, content: f.content }));
  for (const [i, f] of files.entries()) argv.push('-v', `${hostFiles[i]!.path}:${f.path}:ro`);
  argv.push(...docker.extraArgs, docker.image, ...adapter.dockerCommand, ...args);
  return { argv, env: {}, commandLine: commandLineOf(argv, {}), files: hostFiles, docker: { container, image: docker.image } };
}

export interface ParsedServeCommand {
  variant: EngineVariant;
  port?: number;
  bindHost?: string;
  /** The executable as written (e.g. /opt/venv/bin/vllm), when it is not the engine's usual one. */
  command?: string;
  docker?: { image: string; extraArgs: string[] };
}

// docker run options that take a value (the rest are switches).
const DOCKER_VALUE_OPTIONS = new Set([
  '--name', '-p', '--publish', '-v', '--volume', '-e', '--env', '--env-file', '--gpus', '--ipc', '--shm-size', '--ulimit',
  '--network', '--net', '--entrypoint', '-w', '--workdir', '-u', '--user', '--runtime', '--device', '--mount', '--cpus',
  '-m', '--memory', '-l', '--label', '--restart', '--platform', '--pull', '-h', '--hostname', '--add-host',
  '--security-opt', '--cap-add', '--cap-drop', '--pid', '--uts', '--group-add', '--log-driver', '--log-opt', '--stop-signal',
  '--stop-timeout', '--cpuset-cpus',
]);
// Options Serving Lab renders itself for every docker run; anything else the user wrote is kept as extra args.
const DOCKER_RENDERED = new Set(['--rm', '--name', '--gpus', '--ipc', '-p', '--publish', '-d', '--detach', '-i', '-t', '-it', '--shm-size', '--ulimit']);

function detectEngine(words: readonly string[]): { engine: EngineName; rest: string[]; command?: string } {
  const exe = words[0] ?? '';
  const name = basename(exe);
  if (name === 'vllm' && words[1] === 'serve') return { engine: 'vllm', rest: words.slice(2), command: exe === 'vllm' ? undefined : exe };
  if (/^python(\d+(\.\d+)?)?$/.test(name) && words[1] === '-m' && words[2] === 'sglang.launch_server') {
    return { engine: 'sglang', rest: words.slice(3), command: exe === 'python3' ? undefined : exe };
  }
  if (name === 'trtllm-serve') return { engine: 'trtllm', rest: words.slice(1), command: exe === 'trtllm-serve' ? undefined : exe };
  throw new VariantError(
    `"${words.slice(0, 3).join(' ')}" is not a serve command Serving Lab knows: start with "vllm serve MODEL", "python3 -m sglang.launch_server --model-path MODEL" or "trtllm-serve MODEL" (optionally after "docker run … IMAGE")`,
  );
}

function parseDockerRun(words: readonly string[]): { image: string; extraArgs: string[]; env: Record<string, string>; inner: string[] } {
  const extraArgs: string[] = [];
  const env: Record<string, string> = {};
  let i = 2;
  for (; i < words.length; i++) {
    const w = words[i]!;
    if (!w.startsWith('-')) break;
    const eq = w.indexOf('=');
    const name = w.startsWith('--') && eq > 0 ? w.slice(0, eq) : w;
    const takesValue = DOCKER_VALUE_OPTIONS.has(name) && eq < 0;
    const value = takesValue ? words[++i] : eq > 0 ? w.slice(eq + 1) : undefined;
    if (takesValue && value === undefined) throw new VariantError(`docker run option ${name} needs a value`);
    if (name === '-e' || name === '--env') {
      const v = value!;
      if (v.includes('=')) env[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
      continue; // a bare `-e NAME` passes the host's value through; Serving Lab always passes HF_TOKEN that way
    }
    if (name === '-v' || name === '--volume') {
      if (value?.endsWith(':/root/.cache/huggingface')) continue;
    }
    if (DOCKER_RENDERED.has(name)) continue;
    extraArgs.push(...(takesValue ? [w, value!] : [w]));
  }
  const image = words[i];
  if (image === undefined) throw new VariantError('the docker run line names no image: put the image before the engine arguments');
  return { image, extraArgs, env, inner: words.slice(i + 1) };
}

/**
 * Parses a pasted serve command line or serving script (comments, exports, continuations: script.ts), or an argv,
 * into a variant plus the port, bind address and docker image it names.
 */
export function parseServeCommandDetailed(commandLine: string | readonly string[], options: { files?: Record<string, string> } = {}): ParsedServeCommand {
  let words = typeof commandLine === 'string' ? scriptArgv(parseServingScript(commandLine)) : [...commandLine];
  const env: Record<string, string> = {};
  if (words[0] === 'env') words = words.slice(1);
  while (words[0] !== undefined && ENV_WORD.test(words[0])) {
    const w = words.shift()!;
    env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1);
  }
  if (words.length === 0) throw new VariantError('the command line is empty: paste the engine command, e.g. "vllm serve zai-org/GLM-4.5-Air -tp 4"');
  let docker: ParsedServeCommand['docker'];
  if (words[0] === 'docker' && words[1] === 'run') {
    const d = parseDockerRun(words);
    docker = { image: d.image, extraArgs: d.extraArgs };
    Object.assign(env, d.env);
    words = d.inner;
    // vLLM's image entrypoint is already `vllm serve`: the arguments start with the model.
    if (/vllm/i.test(d.image) && !(basename(words[0] ?? '') === 'vllm')) words = ['vllm', 'serve', ...words];
  }
  const { engine, rest, command } = detectEngine(words);
  const { draft, parsed } = ADAPTERS[engine].parse(rest, env, options.files);
  const result = EngineVariant.safeParse(toVariantInput(draft));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new VariantError(`${issue.path.join('.') || 'variant'}: ${issue.message}`);
  }
  return { variant: result.data, port: parsed.port, bindHost: parsed.bindHost, command: docker ? undefined : command, docker };
}

export function parseServeCommand(commandLine: string | readonly string[], options: { files?: Record<string, string> } = {}): EngineVariant {
  return parseServeCommandDetailed(commandLine, options).variant;
}
