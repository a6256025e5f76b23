// Crashes the simulator did not foresee, learned for the rest of a predicted search (issue 14): after an out-of-memory
// crash, the same launch with batch limits at least as large is ruled out; after any other crash, the settings only
// crashed candidates had (compared with the baseline, and minus any a candidate that ran also had) are ruled out —
// a setting two crashes share first, since one crash alone does not say which of its settings was at fault.
import type { Crash, EngineVariant, OptionOutcome, SearchCandidateRecord } from '../plan/schema';
import { candidateSettings } from './space';

export interface MeasuredCandidate {
  name: string;
  variant: EngineVariant;
  outcome: OptionOutcome;
  /** The objective, when it ran. */
  value?: number;
  crash?: Crash;
}

const MEMORY_CRASHES = new Set<Crash['reason']>(['oom', 'kv-cache-too-small']);
/** Settings that change memory use: larger is hungrier. */
const MEMORY_LIMITS = ['batching.maxNumSeqs', 'batching.maxNumBatchedTokens', 'batching.chunkedPrefillSize', 'batching.memFraction', 'cudaGraph.maxBatchSize'] as const;
/** Settings that make a different launch (not a flag to blame). */
const STRUCTURAL = new Set(['engine', 'model', 'parallel']);

/** `candidate` runs the same launch as `crashed` with every memory limit at least as large. */
function hungrierThan(candidate: Map<string, string>, crashed: Map<string, string>): boolean {
  for (const [key, value] of crashed) {
    if ((MEMORY_LIMITS as readonly string[]).includes(key)) continue;
    if (candidate.get(key) !== value) return false;
  }
  for (const [key] of candidate) if (!crashed.has(key) && !(MEMORY_LIMITS as readonly string[]).includes(key)) return false;
  return MEMORY_LIMITS.every((key) => {
    const c = crashed.get(key);
    const mine = candidate.get(key);
    if (c === undefined) return mine === undefined;
    return mine !== undefined && Number(mine) >= Number(c);
  });
}

/** Unmeasured candidates ruled out by crashes measured so far, with the reason. */
export function learnedCrashes(measured: readonly MeasuredCandidate[], baseline: EngineVariant, candidates: readonly SearchCandidateRecord[]): Map<string, string> {
  const blocked = new Map<string, string>();
  const crashed = measured.filter((m) => m.crash);
  if (crashed.length === 0) return blocked;
  const baseSettings = candidateSettings(baseline);
  const ran = measured.filter((m) => !m.crash).map((m) => ({ engine: m.variant.engine, settings: candidateSettings(m.variant) }));
  const measuredNames = new Set(measured.map((m) => m.name));
  const open = candidates.filter((c) => !measuredNames.has(c.name) && !c.skipped).map((c) => ({ c, settings: candidateSettings(c.variant) }));

  // Suspect settings of each non-memory crash: what it set apart from the baseline that no candidate that ran shares.
  const suspects: Array<{ engine: string; settings: string[]; from: MeasuredCandidate }> = [];
  for (const m of crashed) {
    const settings = candidateSettings(m.variant);
    if (MEMORY_CRASHES.has(m.crash!.reason)) {
      for (const { c, settings: s } of open) if (hungrierThan(s, settings)) blocked.set(c.name, `${m.name} ran out of memory on this host (${m.crash!.rootCause}); this launch has batch limits at least as large`);
      continue;
    }
    const own = [...settings].filter(([k, v]) => !STRUCTURAL.has(k) && baseSettings.get(k) !== v && !ran.some((r) => r.engine === m.variant.engine && r.settings.get(k) === v)).map(([k, v]) => `${k}=${v}`);
    if (own.length > 0) suspects.push({ engine: m.variant.engine, settings: own, from: m });
  }
  const rules = [...suspects];
  for (let i = 0; i < suspects.length; i++) {
    for (let j = i + 1; j < suspects.length; j++) {
      if (suspects[i]!.engine !== suspects[j]!.engine) continue;
      const shared = suspects[i]!.settings.filter((s) => suspects[j]!.settings.includes(s));
      if (shared.length > 0) rules.push({ engine: suspects[i]!.engine, settings: shared, from: suspects[j]!.from });
    }
  }
  for (const rule of rules) {
    for (const { c, settings } of open) {
      if (blocked.has(c.name) || c.variant.engine !== rule.engine) continue;
      if (rule.settings.every((s) => settings.get(s.slice(0, s.indexOf('='))) === s.slice(s.indexOf('=') + 1))) {
        blocked.set(c.name, `crashed on this host with ${rule.settings.join(', ')} (${rule.from.name}: ${rule.from.crash!.rootCause})`);
      }
    }
  }
  return blocked;
}
