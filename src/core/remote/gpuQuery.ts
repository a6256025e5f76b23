// What nvidia-smi says about a machine's GPUs: the `--query-gpu … --format=csv` rows and the CUDA version from its
// banner. Asked on a host itself (`hosts check`, a tune's host facts) and on a Slurm compute node (slurmGpus.ts).
import type { HostFacts } from '../plan/schema';

/** The fields asked for, in the order parseGpuCsv reads them. */
export const GPU_QUERY = 'index,name,memory.total,memory.used,driver_version';

export function parseGpuCsv(csv: string): { gpus: HostFacts['gpus']; driverVersion?: string } {
  const gpus: HostFacts['gpus'] = [];
  let driverVersion: string | undefined;
  for (const line of csv.split('\n')) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 5 || !/^\d+$/.test(cells[0]!)) continue;
    const mib = (s: string) => Number(s.replace(/\s*MiB$/i, ''));
    gpus.push({ index: Number(cells[0]), name: cells[1]!, memoryTotalMiB: mib(cells[2]!), memoryUsedMiB: mib(cells[3]!) });
    driverVersion ??= cells[4];
  }
  return { gpus, driverVersion };
}

/** The CUDA version of nvidia-smi's banner ("CUDA Version: 12.8"). */
export const cudaVersionOf = (banner: string): string | undefined => banner.match(/CUDA Version:\s*([\d.]+)/)?.[1];
