// The simulated GPUs (research/engines.md §6.2). Names follow what `nvidia-smi` prints, so engine defaults that
// branch on the GPU name (vLLM's A100 batch defaults) see the same string a real host would give them.

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
  /** Dense FP8 tensor FLOP/s; undefined where the GPU has no FP8 (SM80). */
  peakFp8?: number;
  hbmBytesPerS: number;
  /** Effective all-reduce bus bandwidth on an NVSwitch board (bytes/s). */
  allReduceBusBytesPerS: number;
  computeCapability: [number, number];
  powerLimitW: number;
  aliases: string[];
}

export const GPUS: readonly GpuSpec[] = [
  {
    id: 'A100-SXM4-80GB',
    smiName: 'NVIDIA A100-SXM4-80GB',
    memoryMiB: 81920,
    usableGiB: 79.25,
    peakBf16: 312e12,
    hbmBytesPerS: 2.039e12,
    allReduceBusBytesPerS: 240e9,
    computeCapability: [8, 0],
    powerLimitW: 400,
    aliases: ['a100', 'a100-80gb', 'a100-sxm-80gb', 'nvidia a100-sxm4-80gb'],
  },
  {
    id: 'H100-SXM-80GB',
    smiName: 'NVIDIA H100 80GB HBM3',
    memoryMiB: 81559,
    usableGiB: 79.11,
    peakBf16: 989e12,
    peakFp8: 1979e12,
    hbmBytesPerS: 3.35e12,
    allReduceBusBytesPerS: 360e9,
    computeCapability: [9, 0],
    powerLimitW: 700,
    aliases: ['h100', 'h100-80gb', 'h100-sxm', 'nvidia h100 80gb hbm3'],
  },
  {
    id: 'H200',
    smiName: 'NVIDIA H200',
    memoryMiB: 143771,
    usableGiB: 139.8,
    peakBf16: 989e12,
    peakFp8: 1979e12,
    hbmBytesPerS: 4.8e12,
    allReduceBusBytesPerS: 360e9,
    computeCapability: [9, 0],
    powerLimitW: 700,
    aliases: ['h200', 'h200-141gb', 'h200-sxm-141gb', 'nvidia h200'],
  },
];

export function findGpu(name: string): GpuSpec | undefined {
  const key = name.trim().toLowerCase();
  return GPUS.find((g) => g.id.toLowerCase() === key || g.aliases.includes(key));
}

export class UnknownGpuError extends Error {
  constructor(readonly gpu: string) {
    super(`unknown simulated GPU "${gpu}"; known GPUs: ${GPUS.map((g) => g.id).join(', ')}`);
  }
}

export function resolveGpu(name: string): GpuSpec {
  const gpu = findGpu(name);
  if (!gpu) throw new UnknownGpuError(name);
  return gpu;
}

export const supportsFp8 = (gpu: GpuSpec): boolean => gpu.peakFp8 !== undefined;

/** The simulated driver, new enough for the CUDA 12.8/12.9 builds of vLLM 0.11 and SGLang 0.5.4. */
export const DRIVER_VERSION = '570.172.08';
export const CUDA_VERSION = '12.8';
