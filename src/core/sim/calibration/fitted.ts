// Per-engine efficiencies of the step-time model (perf.ts), fitted on the reference page and the calibration
// pages (test/fixtures/sim-calibration.json). Regenerate with `node --import tsx bench/sim-accuracy.mts --write`
// (it prints the per-page and leave-one-page-out errors this table gives).
import type { EngineEfficiency } from '../perf';

export type FittedEngine = 'vllm' | 'sglang' | 'trtllm';

export const FITTED_EFFICIENCY: Readonly<Record<FittedEngine, EngineEfficiency>> = {
  vllm: { stepOverheadS: 0.00467, perSequenceS: 0.0000268, perNewRequestS: 0.000895, gemmEfficiency: 0.6, moeBandwidthEfficiency: 0.589, moeComputeEfficiency: 0.291, attentionComputeEfficiency: 0.562, kvBandwidthEfficiency: 0.718, moeHalfWidth: 104, quantizedComputeFactor: 0.803 },
  sglang: { stepOverheadS: 0.0039, perSequenceS: 0.00005, perNewRequestS: 0.000635, gemmEfficiency: 0.723, moeBandwidthEfficiency: 0.636, moeComputeEfficiency: 0.324, attentionComputeEfficiency: 0.562, kvBandwidthEfficiency: 0.749, moeHalfWidth: 120, quantizedComputeFactor: 0.786 },
  trtllm: { stepOverheadS: 0.00412, perSequenceS: 0.0000232, perNewRequestS: 0.000517, gemmEfficiency: 0.78, moeBandwidthEfficiency: 0.487, moeComputeEfficiency: 0.317, attentionComputeEfficiency: 0.482, kvBandwidthEfficiency: 0.725, moeHalfWidth: 128, quantizedComputeFactor: 0.713 },
};
