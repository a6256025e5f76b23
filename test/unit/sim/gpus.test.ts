// The GPU catalog: names as nvidia-smi prints them and common aliases resolve; FP8 tensor cores only from SM89,
// FlashAttention-3 only on SM90.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findGpu, GPUS, resolveGpu, supportsFa3, supportsFp8, UnknownGpuError } from '../../../src/core/sim/gpus';

test('--gpu takes the id, the nvidia-smi name or an alias', () => {
  assert.equal(findGpu('H100')?.id, 'H100-SXM-80GB');
  assert.equal(findGpu('h100-sxm')?.id, 'H100-SXM-80GB');
  assert.equal(findGpu('NVIDIA H100 80GB HBM3')?.id, 'H100-SXM-80GB');
  assert.equal(findGpu('a100-40gb')?.id, 'A100-SXM4-40GB');
  assert.equal(findGpu('NVIDIA A100 80GB PCIe')?.id, 'A100-PCIE-80GB');
  assert.equal(findGpu('nvidia geforce rtx 4090')?.id, 'RTX-4090');
  assert.throws(() => resolveGpu('TPU-v5'), (err: unknown) => err instanceof UnknownGpuError && /known GPUs: .*B200/.test(err.message));
});

test('every nvidia-smi name and alias names one GPU only', () => {
  const seen = new Map<string, string>();
  for (const g of GPUS) {
    for (const name of [g.id, g.smiName, ...g.aliases]) {
      assert.equal(findGpu(name)?.id, g.id, `${name} resolves to ${g.id}`);
      assert.ok(!seen.has(name.toLowerCase()) || seen.get(name.toLowerCase()) === g.id, `${name} is ambiguous`);
      seen.set(name.toLowerCase(), g.id);
    }
  }
});

test('FP8 from SM89 on, FA3 on SM90 only; datasheet order of magnitudes hold', () => {
  for (const g of GPUS) {
    const sm = g.computeCapability[0] * 10 + g.computeCapability[1];
    assert.equal(supportsFp8(g), sm >= 89, `${g.id} SM${sm} FP8`);
    assert.equal(supportsFa3(g), g.computeCapability[0] === 9, `${g.id} FA3`);
    if (g.peakFp8 !== undefined) assert.ok(Math.abs(g.peakFp8 / (2 * g.peakBf16) - 1) < 0.025, `${g.id}: dense FP8 is twice dense BF16`);
    assert.ok(g.usableGiB < g.memoryMiB / 1024 && g.usableGiB > g.memoryMiB / 1024 - 2, `${g.id} usable memory`);
  }
});
