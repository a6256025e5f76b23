// The built-in simulated host: this machine's processes, with the simulator's executables first on PATH so that
// `vllm serve …`, `python3 -m sglang.launch_server …`, `trtllm-serve …` and `nvidia-smi` behave like a GPU host's.
import type { Logger } from '../logger';
import type { HostSpec } from '../plan/schema';
import { LocalTransport } from './local';
import type { Transport } from './transport';

export interface SimOptions {
  gpu: string;
  count: number;
  speedup: number;
  cliPath?: string;
  log: Logger;
}

export async function connectSim(host: HostSpec, options: SimOptions): Promise<Transport> {
  void host;
  void options;
  throw new Error('the simulated host needs the simulator shims (src/core/sim/shims.ts), which are not built yet');
}

export type { LocalTransport };
