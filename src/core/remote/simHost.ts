// The built-in simulated host: this machine's processes, with the simulator's shims first on PATH so that
// `vllm serve …`, `python3 -m sglang.launch_server …`, `trtllm-serve …` and `nvidia-smi` behave like a GPU host's.
// The shims live in <workDir>/bin and are (re)written only when the GPU model, count, speedup or CLI changed, so a
// shim that a running engine was started from is never rewritten under it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger';
import type { HostSpec } from '../plan/schema';
import { defaultCliPath, installShims, SHIM_NAMES } from '../sim/shims';
import { expandHome, LocalTransport } from './local';
import type { Transport } from './transport';

export interface SimOptions {
  gpu: string;
  count: number;
  speedup: number;
  /** The serving-lab CLI bundle the shims run; default: found next to the running code. */
  cliPath?: string;
  /** A hidden host profile file the simulated engines apply (sim/hostProfile.ts). */
  profile?: string;
  log: Logger;
}

/** Where the sim host's shims are installed. */
function simBinDir(host: HostSpec): string {
  return join(expandHome(host.workDir), 'bin');
}

export async function connectSim(host: HostSpec, options: SimOptions): Promise<Transport> {
  const bin = simBinDir(host);
  const wanted = JSON.stringify({ gpu: options.gpu, count: options.count, speedup: options.speedup, cli: options.cliPath ?? defaultCliPath(), node: process.execPath, profile: options.profile });
  const marker = join(bin, '.installed.json');
  const current = existsSync(marker) ? readFileSync(marker, 'utf8') : '';
  if (current !== wanted || !SHIM_NAMES.every((n) => existsSync(join(bin, n)))) {
    await installShims(bin, { gpu: options.gpu, count: options.count, speedup: options.speedup, cliPath: options.cliPath, ...(options.profile ? { profile: options.profile } : {}) });
    writeFileSync(marker, wanted);
    options.log.debug(`sim: installed shims for ${options.count}×${options.gpu} in ${bin}`);
  }
  const speed = options.speedup !== 1 ? `, speedup ${options.speedup}×` : '';
  return new LocalTransport(`sim (${options.count}×${options.gpu}${speed}, simulated)`, { PATH: `${bin}:${process.env['PATH'] ?? '/usr/bin:/bin'}` });
}
