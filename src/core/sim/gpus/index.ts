// The simulated GPUs, from NVIDIA's datasheets (dense tensor throughput, i.e. without 2:4 sparsity). Names follow
// what `nvidia-smi` prints, so engine defaults that branch on the GPU name (vLLM's A100 batch defaults) see the
// same string a real host would give them, and `hosts check` can map a real host's GPUs onto this table.

export interface GpuSpec {
  /** The id users write: `--gpu A100-SXM4-80GB`. */
  id: string;
  /** `nvidia-smi --query-gpu=name` output. */
  smiName: string;
  memoryMiB: number;
  /** What torch reports as total memory (GiB); engines size KV caches from this. */
  usableGiB: number;
  /** Dense BF16 tensor FLOP/s. */
  peakBf16: number;
  /** Dense FP8 tensor FLOP/s; undefined where the GPU has no FP8 tensor cores (before SM89). */
  peakFp8?: number;
  /** Dense INT8 tensor OP/s. */
  peakInt8: number;
  hbmBytesPerS: number;
  /** GPU-to-GPU link: NVLink (per GPU, both directions) or the PCIe slot. */
  link: { kind: 'nvlink' | 'pcie'; bytesPerS: number };
  /** Effective all-reduce bus bandwidth between the GPUs of one host (bytes/s). */
  allReduceBusBytesPerS: number;
  computeCapability: [number, number];
  powerLimitW: number;
  aliases: string[];
}

/** nccl-tests all-reduce bus bandwidth reaches about 40% of the per-GPU link figure on NVSwitch boards and PCIe. */
const ALL_REDUCE_FRACTION = 0.4;

type Datasheet = Omit<GpuSpec, 'allReduceBusBytesPerS' | 'usableGiB'> & { usableGiB?: number };

const T = 1e12;
const GB = 1e9;

const DATASHEETS: readonly Datasheet[] = [
  { id: 'A100-SXM4-80GB', smiName: 'NVIDIA A100-SXM4-80GB', memoryMiB: 81920, usableGiB: 79.25, peakBf16: 312 * T, peakInt8: 624 * T, hbmBytesPerS: 2039 * GB, link: { kind: 'nvlink', bytesPerS: 600 * GB }, computeCapability: [8, 0], powerLimitW: 400, aliases: ['a100', 'a100-80gb', 'a100-sxm', 'a100-sxm-80gb', 'a100-sxm4'] },
  { id: 'A100-SXM4-40GB', smiName: 'NVIDIA A100-SXM4-40GB', memoryMiB: 40960, peakBf16: 312 * T, peakInt8: 624 * T, hbmBytesPerS: 1555 * GB, link: { kind: 'nvlink', bytesPerS: 600 * GB }, computeCapability: [8, 0], powerLimitW: 400, aliases: ['a100-40gb', 'a100-sxm-40gb'] },
  { id: 'A100-PCIE-80GB', smiName: 'NVIDIA A100 80GB PCIe', memoryMiB: 81920, peakBf16: 312 * T, peakInt8: 624 * T, hbmBytesPerS: 1935 * GB, link: { kind: 'pcie', bytesPerS: 64 * GB }, computeCapability: [8, 0], powerLimitW: 300, aliases: ['a100-pcie', 'a100-pcie-80gb', 'a100-80gb-pcie'] },
  { id: 'A100-PCIE-40GB', smiName: 'NVIDIA A100-PCIE-40GB', memoryMiB: 40960, peakBf16: 312 * T, peakInt8: 624 * T, hbmBytesPerS: 1555 * GB, link: { kind: 'pcie', bytesPerS: 64 * GB }, computeCapability: [8, 0], powerLimitW: 250, aliases: ['a100-pcie-40gb', 'a100-40gb-pcie'] },
  { id: 'H100-SXM-80GB', smiName: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, usableGiB: 79.11, peakBf16: 989 * T, peakFp8: 1979 * T, peakInt8: 1979 * T, hbmBytesPerS: 3350 * GB, link: { kind: 'nvlink', bytesPerS: 900 * GB }, computeCapability: [9, 0], powerLimitW: 700, aliases: ['h100', 'h100-80gb', 'h100-sxm', 'h100-sxm5', 'h100-sxm5-80gb'] },
  { id: 'H100-PCIE-80GB', smiName: 'NVIDIA H100 PCIe', memoryMiB: 81559, peakBf16: 756 * T, peakFp8: 1513 * T, peakInt8: 1513 * T, hbmBytesPerS: 2000 * GB, link: { kind: 'pcie', bytesPerS: 128 * GB }, computeCapability: [9, 0], powerLimitW: 350, aliases: ['h100-pcie', 'h100-pcie-80gb'] },
  { id: 'H100-NVL-94GB', smiName: 'NVIDIA H100 NVL', memoryMiB: 95830, peakBf16: 835 * T, peakFp8: 1671 * T, peakInt8: 1671 * T, hbmBytesPerS: 3900 * GB, link: { kind: 'nvlink', bytesPerS: 600 * GB }, computeCapability: [9, 0], powerLimitW: 400, aliases: ['h100-nvl', 'h100nvl'] },
  { id: 'H200', smiName: 'NVIDIA H200', memoryMiB: 143771, usableGiB: 139.8, peakBf16: 989 * T, peakFp8: 1979 * T, peakInt8: 1979 * T, hbmBytesPerS: 4800 * GB, link: { kind: 'nvlink', bytesPerS: 900 * GB }, computeCapability: [9, 0], powerLimitW: 700, aliases: ['h200-141gb', 'h200-sxm', 'h200-sxm-141gb'] },
  { id: 'H20', smiName: 'NVIDIA H20', memoryMiB: 97871, peakBf16: 148 * T, peakFp8: 296 * T, peakInt8: 296 * T, hbmBytesPerS: 4000 * GB, link: { kind: 'nvlink', bytesPerS: 900 * GB }, computeCapability: [9, 0], powerLimitW: 400, aliases: ['h20-96gb'] },
  { id: 'GH200-96GB', smiName: 'NVIDIA GH200 480GB', memoryMiB: 97871, peakBf16: 989 * T, peakFp8: 1979 * T, peakInt8: 1979 * T, hbmBytesPerS: 4000 * GB, link: { kind: 'nvlink', bytesPerS: 900 * GB }, computeCapability: [9, 0], powerLimitW: 900, aliases: ['gh200', 'gh200-480gb'] },
  { id: 'B200', smiName: 'NVIDIA B200', memoryMiB: 183359, peakBf16: 2250 * T, peakFp8: 4500 * T, peakInt8: 4500 * T, hbmBytesPerS: 8000 * GB, link: { kind: 'nvlink', bytesPerS: 1800 * GB }, computeCapability: [10, 0], powerLimitW: 1000, aliases: ['b200-180gb', 'b200-sxm'] },
  { id: 'L40S', smiName: 'NVIDIA L40S', memoryMiB: 46068, peakBf16: 362 * T, peakFp8: 733 * T, peakInt8: 733 * T, hbmBytesPerS: 864 * GB, link: { kind: 'pcie', bytesPerS: 64 * GB }, computeCapability: [8, 9], powerLimitW: 350, aliases: ['l40s-48gb'] },
  { id: 'L4', smiName: 'NVIDIA L4', memoryMiB: 23034, peakBf16: 121 * T, peakFp8: 242 * T, peakInt8: 242 * T, hbmBytesPerS: 300 * GB, link: { kind: 'pcie', bytesPerS: 64 * GB }, computeCapability: [8, 9], powerLimitW: 72, aliases: ['l4-24gb'] },
  // AWS's variant of the A10 (GA102); NVIDIA publishes the A10's datasheet figures.
  { id: 'A10G', smiName: 'NVIDIA A10G', memoryMiB: 23028, peakBf16: 125 * T, peakInt8: 250 * T, hbmBytesPerS: 600 * GB, link: { kind: 'pcie', bytesPerS: 64 * GB }, computeCapability: [8, 6], powerLimitW: 300, aliases: ['a10g-24gb', 'a10'] },
  { id: 'RTX-4090', smiName: 'NVIDIA GeForce RTX 4090', memoryMiB: 24564, peakBf16: 165 * T, peakFp8: 330 * T, peakInt8: 660 * T, hbmBytesPerS: 1008 * GB, link: { kind: 'pcie', bytesPerS: 64 * GB }, computeCapability: [8, 9], powerLimitW: 450, aliases: ['4090', 'rtx4090', 'geforce-rtx-4090'] },
  { id: 'RTX-6000-Ada', smiName: 'NVIDIA RTX 6000 Ada Generation', memoryMiB: 49140, peakBf16: 364 * T, peakFp8: 728 * T, peakInt8: 728 * T, hbmBytesPerS: 960 * GB, link: { kind: 'pcie', bytesPerS: 64 * GB }, computeCapability: [8, 9], powerLimitW: 300, aliases: ['rtx6000-ada', 'rtx-6000-ada-generation', 'l6000'] },
];

export const GPUS: readonly GpuSpec[] = DATASHEETS.map((d) => ({
  ...d,
  // torch's total_memory is the board's memory less the driver's reservation (about 0.6 GiB).
  usableGiB: d.usableGiB ?? Math.round((d.memoryMiB / 1024 - 0.6) * 100) / 100,
  allReduceBusBytesPerS: d.link.bytesPerS * ALL_REDUCE_FRACTION,
}));

const normalize = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/^nvidia\s+/, '')
    .replace(/[\s_]+/g, '-');

/** Finds a GPU by id, alias or the name nvidia-smi prints (`NVIDIA H100 80GB HBM3`), case and spacing ignored. */
export function findGpu(name: string): GpuSpec | undefined {
  const key = normalize(name);
  return GPUS.find((g) => normalize(g.id) === key || normalize(g.smiName) === key || g.aliases.includes(key));
}

export class UnknownGpuError extends Error {
  constructor(readonly gpu: string) {
    super(`unknown simulated GPU "${gpu}"; known GPUs: ${GPUS.map((g) => g.id).join(', ')} (an nvidia-smi name or an alias such as h100, h100-sxm, a100-40gb works too)`);
  }
}

export function resolveGpu(name: string): GpuSpec {
  const gpu = findGpu(name);
  if (!gpu) throw new UnknownGpuError(name);
  return gpu;
}

/** FP8 tensor cores: SM89 (Ada) and later. */
export const supportsFp8 = (gpu: GpuSpec): boolean => gpu.peakFp8 !== undefined;

/** FlashAttention-3 runs on Hopper (SM90) only. */
export const supportsFa3 = (gpu: GpuSpec): boolean => gpu.computeCapability[0] === 9;

/** The simulated driver, new enough for the CUDA 12.8/12.9 builds of vLLM 0.11 and SGLang 0.5.4. */
export const DRIVER_VERSION = '570.172.08';
export const CUDA_VERSION = '12.8';
