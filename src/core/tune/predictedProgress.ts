// What a running predicted search shows (issue 14): every candidate with its forecast under the corrections fitted so
// far, its measurement once measured, or why it is ruled out — sent to the observer after each ranking.
import type { PredictedSearchRecord } from '../plan/schema';
import type { SearchCandidateProgress, SearchProgress } from './observer';
import { correctedValue, forecastSigma, type Corrections, type Forecast } from './predictedModel';

/** ~95% two-sided, as the report's corrected ranges. */
const RANGE_Z = 1.96;

export interface RankingState {
  forecasts: ReadonlyMap<string, Forecast>;
  corrections: Corrections;
  /** Candidates a measured crash rules out, with why. */
  blocked: ReadonlyMap<string, string>;
  /** Candidates being measured now. */
  measuring: ReadonlySet<string>;
  baseline: { name: string; value: number | undefined };
}

export function searchProgress(record: PredictedSearchRecord, state: RankingState): SearchProgress {
  const candidates = record.candidates
    .filter((c) => !c.baseline)
    .map((c): SearchCandidateProgress => {
      const step = record.steps.find((s) => s.candidate === c.name && (s.measured !== undefined || s.crashed !== undefined));
      const row: SearchCandidateProgress = { name: c.name };
      const forecast = state.forecasts.get(c.name);
      if (forecast) {
        const value = correctedValue(forecast, state.corrections);
        const sigma = forecastSigma(forecast, state.corrections);
        row.forecast = { value, low: value * Math.exp(-RANGE_Z * sigma), high: value * Math.exp(RANGE_Z * sigma) };
      }
      if (step?.measured !== undefined) row.measured = step.measured;
      const ruledOut = step?.crashed !== undefined ? `crashed: ${step.crashed}` : (state.blocked.get(c.name) ?? (step ? undefined : c.skipped?.why));
      if (ruledOut) row.ruledOut = ruledOut;
      if (state.measuring.has(c.name) && !step) row.measuring = true;
      return row;
    });
  return {
    metric: record.metric,
    ...(state.baseline.value !== undefined ? { baseline: { name: state.baseline.name, value: state.baseline.value } } : {}),
    candidates,
    ...(record.stopped ? { stopped: record.stopped } : {}),
  };
}
