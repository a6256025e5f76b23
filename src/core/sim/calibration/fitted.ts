// Per-engine efficiencies of the step-time model (perf.ts), fitted on the reference page and the calibration
// pages. Regenerate with `node bench/sim-accuracy.mts --fit --write` (it prints the per-page and
// leave-one-page-out errors this table gives).
import type { EngineEfficiency } from '../perf';

export type FittedEngine = 'vllm' | 'sglang' | 'trtllm';

export const FITTED_EFFICIENCY: Readonly<Record<FittedEngine, EngineEfficiency>> = {
  vllm: { stepOverheadS: 0.006, perSequenceS: 0, perNewRequestS: 0.006, gemmEfficiency: 0.6, moeBandwidthEfficiency: 0.54, moeComputeEfficiency: 0.35, attentionComputeEfficiency: 0.55, kvBandwidthEfficiency: 0.65 },
  sglang: { stepOverheadS: 0.003, perSequenceS: 0, perNewRequestS: 0.0005, gemmEfficiency: 0.6, moeBandwidthEfficiency: 0.54, moeComputeEfficiency: 0.35, attentionComputeEfficiency: 0.55, kvBandwidthEfficiency: 0.65 },
  trtllm: { stepOverheadS: 0.003, perSequenceS: 0, perNewRequestS: 0.0005, gemmEfficiency: 0.6, moeBandwidthEfficiency: 0.6, moeComputeEfficiency: 0.4, attentionComputeEfficiency: 0.55, kvBandwidthEfficiency: 0.65 },
};
