// `nvidia-smi` on the simulated host: the default table, `-L`, and `--query-gpu=… --format=csv[,noheader][,nounits]`
// / `--query-compute-apps=…`, with memory in use while simulated engines hold the GPUs (read from the state dir).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CUDA_VERSION, DRIVER_VERSION, type GpuSpec } from './gpus';

// ---------------------------------------------------------------- the memory ledger

/** One running simulated engine, as the nvidia-smi shim reads it: a file per engine process in the state dir. */
export interface GpuClaim {
  pid: number;
  engine: string;
  processName: string;
  gpuIndices: number[];
  memoryUsedMiB: number;
  /** 0-100, over the last second. */
  utilization: number;
  updatedAt: number;
}

export const claimsDir = (stateDir: string) => join(stateDir, 'engines');

/** MiB that other live simulated engines hold on each of `gpuIndices` (in that order). */
export function memoryHeldByOthers(stateDir: string, gpuIndices: readonly number[], self: number): number[] {
  const claims = readClaims(stateDir).filter((c) => c.pid !== self);
  return gpuIndices.map((gpu) => claims.filter((c) => c.gpuIndices.includes(gpu)).reduce((sum, c) => sum + c.memoryUsedMiB, 0));
}

interface GpuRow {
  index: number;
  usedMiB: number;
  utilization: number;
  processes: Array<{ pid: number; name: string; usedMiB: number }>;
}

const IDLE_MIB = 4;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readClaims(stateDir: string | undefined): GpuClaim[] {
  if (!stateDir) return [];
  let names: string[];
  try {
    names = readdirSync(claimsDir(stateDir));
  } catch {
    return [];
  }
  const claims: GpuClaim[] = [];
  for (const name of names) {
    try {
      const claim = JSON.parse(readFileSync(join(claimsDir(stateDir), name), 'utf8')) as GpuClaim;
      if (alive(claim.pid)) claims.push(claim);
    } catch {
      // A claim being rewritten or removed right now: skip it.
    }
  }
  return claims;
}

function gpuRows(count: number, claims: readonly GpuClaim[]): GpuRow[] {
  const rows: GpuRow[] = Array.from({ length: count }, (_, index) => ({ index, usedMiB: IDLE_MIB, utilization: 0, processes: [] }));
  for (const claim of claims) {
    for (const i of claim.gpuIndices) {
      const row = rows[i];
      if (!row) continue;
      row.usedMiB += claim.memoryUsedMiB;
      row.utilization = Math.max(row.utilization, claim.utilization);
      row.processes.push({ pid: claim.pid, name: claim.processName, usedMiB: claim.memoryUsedMiB });
    }
  }
  return rows;
}

const uuid = (index: number) => `GPU-5151${String(index).padStart(4, '0')}-0000-4000-8000-5e4a1a7ed000`;
const busId = (index: number) => `00000000:${(0x07 + index * 0x10).toString(16).toUpperCase().padStart(2, '0')}:00.0`;

type FieldValue = { value: string; unit?: string };

function field(name: string, gpu: GpuSpec, row: GpuRow, count: number): FieldValue | undefined {
  const temp = 32 + Math.round(row.utilization * 0.3);
  const power = 60 + Math.round((gpu.powerLimitW - 60) * (row.utilization / 100) * 0.8);
  switch (name) {
    case 'index':
      return { value: String(row.index) };
    case 'name':
    case 'gpu_name':
      return { value: gpu.smiName };
    case 'uuid':
    case 'gpu_uuid':
      return { value: uuid(row.index) };
    case 'pci.bus_id':
    case 'gpu_bus_id':
      return { value: busId(row.index) };
    case 'count':
      return { value: String(count) };
    case 'driver_version':
      return { value: DRIVER_VERSION };
    case 'memory.total':
      return { value: String(gpu.memoryMiB), unit: 'MiB' };
    case 'memory.used':
      return { value: String(row.usedMiB), unit: 'MiB' };
    case 'memory.free':
      return { value: String(gpu.memoryMiB - row.usedMiB), unit: 'MiB' };
    case 'memory.reserved':
      return { value: '512', unit: 'MiB' };
    case 'utilization.gpu':
      return { value: String(row.utilization), unit: '%' };
    case 'utilization.memory':
      return { value: String(Math.round(row.utilization * 0.6)), unit: '%' };
    case 'temperature.gpu':
      return { value: String(temp) };
    case 'power.draw':
      return { value: `${power.toFixed(2)}`, unit: 'W' };
    case 'power.limit':
      return { value: `${gpu.powerLimitW.toFixed(2)}`, unit: 'W' };
    case 'compute_cap':
      return { value: gpu.computeCapability.join('.') };
    case 'clocks.sm':
    case 'clocks.current.sm':
      return { value: row.utilization > 0 ? '1410' : '210', unit: 'MHz' };
    case 'clocks.max.sm':
      return { value: '1410', unit: 'MHz' };
    case 'persistence_mode':
      return { value: 'Enabled' };
    case 'pstate':
      return { value: row.utilization > 0 ? 'P0' : 'P0' };
    default:
      return undefined;
  }
}

export class NvidiaSmiError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

const UNIT_HEADERS: Record<string, string> = { MiB: '[MiB]', '%': '[%]', W: '[W]', MHz: '[MHz]' };

export function nvidiaSmi(args: readonly string[], gpu: GpuSpec, count: number, stateDir: string | undefined): string {
  const claims = readClaims(stateDir);
  let rows = gpuRows(count, claims);
  const get = (flag: string) => {
    const eq = args.find((a) => a.startsWith(`${flag}=`));
    if (eq) return eq.slice(flag.length + 1);
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const only = get('-i') ?? get('--id');
  if (only !== undefined) {
    const wanted = only.split(',').map(Number);
    rows = rows.filter((r) => wanted.includes(r.index));
    if (rows.length === 0) throw new NvidiaSmiError(`No devices were found`, 6);
  }
  if (args.includes('--version')) {
    return `NVIDIA-SMI version  : ${DRIVER_VERSION}\nNVML version        : ${DRIVER_VERSION.split('.')[0]}.172\nDRIVER version      : ${DRIVER_VERSION}\nCUDA Version        : ${CUDA_VERSION}\n`;
  }
  if (args.includes('-L') || args.includes('--list-gpus')) return rows.map((r) => `GPU ${r.index}: ${gpu.smiName} (UUID: ${uuid(r.index)})\n`).join('');
  const format = (get('--format') ?? '').split(',');
  const queryGpu = get('--query-gpu');
  const queryApps = get('--query-compute-apps');
  if (queryGpu !== undefined || queryApps !== undefined) {
    if (!format.includes('csv')) throw new NvidiaSmiError('Please specify the output format with --format=csv');
    const header = !format.includes('noheader');
    const units = !format.includes('nounits');
    const names = (queryGpu ?? queryApps)!.split(',').map((s) => s.trim());
    const lines: string[] = [];
    if (queryGpu !== undefined) {
      const first = rows[0];
      for (const n of names) if (!first || field(n, gpu, first, count) === undefined) throw new NvidiaSmiError(`Field "${n}" is not a valid field to query.`);
      if (header) lines.push(names.map((n) => { const u = first ? field(n, gpu, first, count)?.unit : undefined; return u ? `${n} ${UNIT_HEADERS[u]}` : n; }).join(', '));
      for (const row of rows) lines.push(names.map((n) => { const f = field(n, gpu, row, count)!; return units && f.unit ? `${f.value} ${f.unit}` : f.value; }).join(', '));
    } else {
      const appField = (n: string, row: GpuRow, p: GpuRow['processes'][number]): FieldValue | undefined =>
        n === 'pid' ? { value: String(p.pid) } : n === 'process_name' || n === 'name' ? { value: p.name } : n === 'used_memory' || n === 'used_gpu_memory' ? { value: String(p.usedMiB), unit: 'MiB' } : field(n, gpu, row, count);
      if (header) lines.push(names.map((n) => (n === 'used_memory' || n === 'used_gpu_memory' ? `${n} [MiB]` : n)).join(', '));
      for (const row of rows) for (const p of row.processes) {
        lines.push(names.map((n) => { const f = appField(n, row, p); if (!f) throw new NvidiaSmiError(`Field "${n}" is not a valid field to query.`); return units && f.unit ? `${f.value} ${f.unit}` : f.value; }).join(', '));
      }
    }
    return `${lines.join('\n')}${lines.length ? '\n' : ''}`;
  }
  const unknown = args.find((a) => a.startsWith('-') && !['-i', '--id'].includes(a.split('=')[0]!));
  if (unknown) throw new NvidiaSmiError(`Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.`);
  return table(gpu, rows);
}

function table(gpu: GpuSpec, rows: readonly GpuRow[]): string {
  const now = new Date();
  const out: string[] = [];
  out.push(now.toString().replace(/ GMT.*$/, ''));
  out.push('+-----------------------------------------------------------------------------------------+');
  out.push(`| NVIDIA-SMI ${DRIVER_VERSION.padEnd(22)} Driver Version: ${DRIVER_VERSION.padEnd(14)} CUDA Version: ${CUDA_VERSION.padEnd(8)}|`);
  out.push('|-----------------------------------------+------------------------+----------------------+');
  out.push('| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |');
  out.push('| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |');
  out.push('|                                         |                        |               MIG M. |');
  out.push('|=========================================+========================+======================|');
  for (const r of rows) {
    const temp = 32 + Math.round(r.utilization * 0.3);
    const power = 60 + Math.round((gpu.powerLimitW - 60) * (r.utilization / 100) * 0.8);
    const shortName = gpu.smiName.replace(/^NVIDIA /, '').slice(0, 20);
    out.push(`| ${String(r.index).padStart(3)}  ${shortName.padEnd(20)}           On  |   ${busId(r.index)} Off |                    0 |`);
    out.push(`| N/A   ${String(temp).padStart(2)}C    P0    ${String(power).padStart(8)}W / ${String(gpu.powerLimitW).padStart(3)}W |  ${`${r.usedMiB}MiB / ${gpu.memoryMiB}MiB`.padStart(20)} | ${`${r.utilization}%`.padStart(8)}      Default |`);
    out.push('|                                         |                        |             Disabled |');
    out.push('+-----------------------------------------+------------------------+----------------------+');
  }
  out.push('');
  out.push('+-----------------------------------------------------------------------------------------+');
  out.push('| Processes:                                                                              |');
  out.push('|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |');
  out.push('|        ID   ID                                                               Usage      |');
  out.push('|=========================================================================================|');
  const procs = rows.flatMap((r) => r.processes.map((p) => ({ ...p, gpu: r.index })));
  if (procs.length === 0) out.push('|  No running processes found                                                             |');
  for (const p of procs) out.push(`| ${String(p.gpu).padStart(4)}   N/A  N/A  ${String(p.pid).padStart(15)}      C   ${p.name.padEnd(34).slice(0, 34)} ${`${p.usedMiB}MiB`.padStart(10)} |`);
  out.push('+-----------------------------------------------------------------------------------------+');
  return `${out.join('\n')}\n`;
}
