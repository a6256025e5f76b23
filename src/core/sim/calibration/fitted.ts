// Per-engine efficiencies of the step-time model (perf.ts), fitted on the reference page and the calibration
// pages (test/fixtures/sim-calibration.json). Regenerate with `node --import tsx bench/sim-accuracy.mts --write`
// (it prints the per-page and leave-one-page-out errors this table gives).
import type { EngineEfficiency } from '../perf';

export type FittedEngine = 'vllm' | 'sglang' | 'trtllm';

export const FITTED_EFFICIENCY: Readonly<Record<FittedEngine, EngineEfficiency>> = {
  vllm: { stepOverheadS: 0.0041, perSequenceS: 0.000024, perNewRequestS: 0.000624, gemmEfficiency: 0.607, moeBandwidthEfficiency: 0.552, moeComputeEfficiency: 0.339, attentionComputeEfficiency: 0.574, kvBandwidthEfficiency: 0.718, moeHalfWidth: 114, quantizedComputeFactor: 0.803 },
  sglang: { stepOverheadS: 0.00394, perSequenceS: 0.0000246, perNewRequestS: 0.000569, gemmEfficiency: 0.692, moeBandwidthEfficiency: 0.558, moeComputeEfficiency: 0.346, attentionComputeEfficiency: 0.587, kvBandwidthEfficiency: 0.733, moeHalfWidth: 123, quantizedComputeFactor: 0.896 },
  trtllm: { stepOverheadS: 0.00382, perSequenceS: 0.0000195, perNewRequestS: 0.000495, gemmEfficiency: 0.772, moeBandwidthEfficiency: 0.498, moeComputeEfficiency: 0.342, attentionComputeEfficiency: 0.482, kvBandwidthEfficiency: 0.725, moeHalfWidth: 128, quantizedComputeFactor: 0.778 },
};
