// Speculative decoding as the simulator models it: each decode step drafts `draftTokens` tokens per request and
// verifies them in one target pass; how many are kept depends on the model and the data, so the acceptance rate
// is a simulator parameter (`SERVING_LAB_SIM_SPEC_ACCEPTANCE`, 0–1), with a per-method default.
import { findModel, type ModelSpec } from '../models';

export interface SpeculativeSettings {
  /** The engine's own name of the method (eagle, eagle3, mtp, ngram, draft_model, …). */
  method: string;
  /** Tokens drafted per request and step (a chain's length; SGLang's num_steps). */
  draftTokens: number;
  /** Tokens per request the target verifies in one pass: the drafts plus one, or SGLang's draft tree size. */
  verifyTokens: number;
  /** Probability that a drafted token is accepted, given the ones before it were. */
  acceptance: number;
  /** A separate draft model from the catalog; absent for heads (EAGLE, MTP) and n-gram lookup. */
  draftModel?: ModelSpec;
}

export const SPEC_ACCEPTANCE_ENV = 'SERVING_LAB_SIM_SPEC_ACCEPTANCE';

/** Typical per-token acceptance: MTP and EAGLE heads are trained on the target, n-gram lookup is a guess. */
function defaultAcceptance(method: string): number {
  const m = method.toLowerCase();
  if (m.includes('ngram')) return 0.3;
  if (m.includes('mtp') || m === 'nextn') return 0.75;
  if (m.includes('eagle')) return 0.7;
  return 0.6;
}

/** The engine refuses its speculative settings: the root-cause line of its traceback and the lines after it. */
export class SpeculativeSettingsError extends Error {
  constructor(
    readonly rootCause: string,
    readonly explanation: string[] = [],
  ) {
    super(rootCause);
  }
}

/**
 * Settings for the scheduler. `draftModelArg` names a separate draft model (looked up like the target; a model the
 * catalog lacks drafts as a one-layer head, which is what EAGLE repositories are).
 */
export function speculativeSettings(
  method: string,
  draftTokens: number,
  draftModelArg: string | ModelSpec | undefined,
  env: Readonly<Record<string, string | undefined>>,
  verifyTokens = draftTokens + 1,
): SpeculativeSettings {
  const raw = env[SPEC_ACCEPTANCE_ENV];
  const acceptance = raw === undefined ? defaultAcceptance(method) : Number(raw);
  if (!(acceptance >= 0 && acceptance <= 1)) throw new SpeculativeSettingsError(`ValueError: ${SPEC_ACCEPTANCE_ENV}=${raw}: give the acceptance rate as a number from 0 to 1`);
  const draftModel = typeof draftModelArg === 'string' ? findModel(draftModelArg) : draftModelArg;
  const k = Math.max(1, draftTokens);
  return { method, draftTokens: k, verifyTokens: Math.max(k + 1, verifyTokens), acceptance, ...(draftModel ? { draftModel } : {}) };
}

/** Expected tokens one verify step yields per request: 1 + a + a² + … + a^k (the bonus token included). */
export function expectedTokensPerStep(s: SpeculativeSettings): number {
  let total = 0;
  for (let i = 0; i <= s.draftTokens; i++) total += s.acceptance ** i;
  return total;
}
