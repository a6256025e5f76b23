// Shims that turn a directory into a simulated GPU host: `vllm`, `python3` (SGLang modules; anything else goes to
// the real python3 further down PATH), `trtllm-serve` and `nvidia-smi`, each a POSIX sh script that execs
// `node <cli> sim exec …` with the host's GPU model, count and speedup baked in. They depend on neither the working
// directory nor the CLI's location, so the same directory works locally and over SSH.
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { shellQuote } from '../shell';
import { resolveGpu } from './gpus';

export interface ShimOptions {
  gpu: string;
  count: number;
  speedup?: number;
  /** The serving-lab CLI bundle (dist/cli.js); defaults to the one this code runs from. */
  cliPath?: string;
  /** Node executable; defaults to this process's. */
  nodePath?: string;
  /** A hidden host profile file (sim/hostProfile.ts) the simulated engines apply. */
  profile?: string;
}

export const SHIM_NAMES = ['vllm', 'python3', 'trtllm-serve', 'nvidia-smi'] as const;
const SIM_STATE_DIR = '.sim-state';

export class CliBundleNotFoundError extends Error {}

/** dist/cli.js next to the running bundle, or the repository's build when running from sources. */
export function defaultCliPath(): string {
  const candidates = [
    process.argv[1] && /cli\.js$/.test(process.argv[1]) ? process.argv[1] : undefined,
    join(__dirname, 'cli.js'),
    resolve(__dirname, '../../../dist/cli.js'),
  ].filter((p): p is string => p !== undefined);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new CliBundleNotFoundError(`cannot find the serving-lab CLI bundle (looked at ${candidates.join(', ')}); run \`npm run build\` or pass cliPath`);
  return resolve(found);
}

export async function installShims(dir: string, options: ShimOptions): Promise<void> {
  const gpu = resolveGpu(options.gpu);
  if (!Number.isInteger(options.count) || options.count < 1) throw new RangeError(`GPU count must be a positive integer (got ${options.count})`);
  const speedup = options.speedup ?? 1;
  if (!(speedup > 0)) throw new RangeError(`speedup must be a positive number (got ${speedup})`);
  const absDir = resolve(dir);
  const cli = resolve(options.cliPath ?? defaultCliPath());
  const node = options.nodePath ?? process.execPath;
  await mkdir(absDir, { recursive: true });
  await mkdir(join(absDir, SIM_STATE_DIR), { recursive: true });
  const header = [
    '#!/bin/sh',
    `# serving-lab simulated GPU host (${options.count}x ${gpu.id}, speedup ${speedup}x): written by \`serving-lab sim install-shims\`.`,
    `NODE=${shellQuote(node)}`,
    '[ -x "$NODE" ] || NODE=node',
  ];
  const run = (program: string) =>
    `"$NODE" ${shellQuote(cli)} sim exec --gpu ${shellQuote(gpu.id)} --count ${options.count} --speedup ${speedup} --state-dir ${shellQuote(join(absDir, SIM_STATE_DIR))}${options.profile ? ` --profile ${shellQuote(resolve(options.profile))}` : ''} -- ${program} "$@"`;
  const scripts: Record<(typeof SHIM_NAMES)[number], string[]> = {
    vllm: [...header, `exec ${run('vllm')}`],
    'trtllm-serve': [...header, `exec ${run('trtllm-serve')}`],
    'nvidia-smi': [...header, `exec ${run('nvidia-smi')}`],
    python3: [
      ...header,
      `SHIM_DIR=${shellQuote(absDir)}`,
      'case "$1" in',
      `  -m) case "$2" in sglang.launch_server|sglang.bench_serving|sglang.version) exec ${run('python3')} ;; esac ;;`,
      `  -c) case "$2" in *sglang*|*vllm*|*tensorrt_llm*) exec ${run('python3')} ;; esac ;;`,
      'esac',
      '# Anything else is for the real python3 further down PATH.',
      'OLD_IFS=$IFS; IFS=:',
      'for d in $PATH; do',
      '  [ -n "$d" ] || continue',
      '  [ "$d" = "$SHIM_DIR" ] && continue',
      '  if [ -x "$d/python3" ]; then IFS=$OLD_IFS; exec "$d/python3" "$@"; fi',
      'done',
      'IFS=$OLD_IFS',
      'echo "python3: not found (the serving-lab shim in $SHIM_DIR handles only sglang modules and found no other python3 on PATH)" >&2',
      'exit 127',
    ],
  };
  for (const name of SHIM_NAMES) {
    const path = join(absDir, name);
    await writeFile(path, `${scripts[name].join('\n')}\n`);
    await chmod(path, 0o755);
  }
}
