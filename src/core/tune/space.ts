// A plan's search space (issue 14) as candidates: the product of its keys' alternatives on top of the baseline,
// each named by what it changes, duplicates (two spellings of one launch) listed once, and the ones that cannot run
// set aside with the reason: layouts needing more GPUs than the host has, settings the engine refuses (speculative
// decoding with a draft the model does not have, a flag the engine lacks).
import { ADAPTERS, renderVariant, VariantError } from '../engines/index';
import { ENGINE_LABELS, speculativeLabel } from '../engines/speculative';
import { EngineVariant as EngineVariantSchema, type EngineName, type EngineVariant, type SearchSpace, type SpeculativeDecoding } from '../plan/schema';
import { variantGpus } from './curve';
import { variantKey } from './search';

export interface Candidate {
  name: string;
  variant: EngineVariant;
  /** GPUs the variant occupies. */
  gpus: number;
  /** Why it cannot run on this host at all (more GPUs than it has). */
  doesNotFit?: string;
  /** Why it cannot run anywhere as written: the engine refuses a setting (VariantError), e.g. a draft the model lacks. */
  unsupported?: string;
}

/** A candidate a grid or a search may launch. */
export const runnable = (c: Candidate): boolean => !c.doesNotFit && !c.unsupported;

const SPACE_KEYS = ['engine', 'model', 'parallel', 'quantization', 'kvCacheDtype', 'attentionBackend', 'cudaGraph', 'batching', 'speculative'] as const;
type SpaceKey = (typeof SPACE_KEYS)[number];

/** The engine's refusal of a variant (rendering it is what checks the engine and the model can do it). */
function refusal(variant: EngineVariant): string | undefined {
  try {
    renderVariant(variant, { port: ADAPTERS[variant.engine].defaultPort });
    return undefined;
  } catch (err) {
    if (err instanceof VariantError) return err.message;
    throw err;
  }
}

/** How a choice reads in a candidate's name: "TP4+EP4", "seqs 512", "kv fp8". */
export function choiceLabel(key: SpaceKey, value: unknown): string {
  if (key === 'engine') return ENGINE_LABELS[value as EngineName];
  if (key === 'model') return String(value).split('/').pop()!;
  if (key === 'parallel') {
    const p = value as { tp?: number; pp?: number; dp?: number; ep?: number };
    const parts = [`TP${p.tp ?? 1}`, ...(p.pp && p.pp > 1 ? [`PP${p.pp}`] : []), ...(p.ep && p.ep > 1 ? [`EP${p.ep}`] : []), ...(p.dp && p.dp > 1 ? [`DP${p.dp}`] : [])];
    return parts.join('+');
  }
  if (key === 'quantization') return value === null ? 'no quantization' : `quant ${String(value)}`;
  if (key === 'kvCacheDtype') return value === null ? 'kv default' : `kv ${String(value)}`;
  if (key === 'attentionBackend') return value === null ? 'attention default' : `attention ${String(value)}`;
  if (key === 'speculative') return speculativeLabel(value as SpeculativeDecoding | null);
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
  if (key === 'cudaGraph') {
    if (entries.length === 0) return 'graphs default';
    const g = value as { maxBatchSize?: number; disabled?: boolean };
    return g.disabled ? 'eager' : `graph bs ${g.maxBatchSize}`;
  }
  if (entries.length === 0) return 'batching default';
  const short: Record<string, string> = { maxNumSeqs: 'seqs', maxNumBatchedTokens: 'tokens', chunkedPrefillSize: 'chunk', memFraction: 'mem' };
  return entries.map(([k, v]) => `${short[k] ?? k} ${String(v)}`).join(', ');
}

/** The baseline with one alternative per key: a choice replaces the key's whole value; null removes it. */
function withChoices(baseline: EngineVariant, choices: ReadonlyArray<[SpaceKey, unknown]>): EngineVariant {
  const out: Record<string, unknown> = structuredClone(baseline);
  for (const [key, value] of choices) {
    if (value === null) delete out[key];
    // Inside an object (batching, cudaGraph) null also means the engine's default: the key is left out.
    else if (typeof value === 'object') out[key] = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
    else out[key] = value;
  }
  // Another engine's own settings do not carry over (vLLM's attention backend is not SGLang's).
  const engineChanged = choices.some(([k, v]) => k === 'engine' && v !== baseline.engine);
  if (engineChanged && !choices.some(([k]) => k === 'attentionBackend')) delete out['attentionBackend'];
  return EngineVariantSchema.parse(out);
}

/** Every candidate of the space, in plan order; the ones needing more GPUs than `gpuCount` say so. */
export function enumerateSpace(space: SearchSpace, baseline: EngineVariant, gpuCount: number): Candidate[] {
  const keys = SPACE_KEYS.filter((k) => space[k] !== undefined);
  let combos: Array<Array<[SpaceKey, unknown]>> = [[]];
  for (const key of keys) combos = combos.flatMap((c) => (space[key] as unknown[]).map((v) => [...c, [key, v] as [SpaceKey, unknown]]));
  const varying = new Set(keys.filter((k) => (space[k] as unknown[]).length > 1));
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const choices of combos) {
    const variant = withChoices(baseline, choices);
    const key = variantKey(variant);
    if (seen.has(key)) continue;
    seen.add(key);
    const named = choices.filter(([k]) => varying.has(k));
    const gpus = variantGpus(variant.parallel);
    const unsupported = refusal(variant);
    out.push({
      name: named.length > 0 ? named.map(([k, v]) => choiceLabel(k, v)).join(' · ') : 'the space’s only candidate',
      variant,
      gpus,
      ...(gpus > gpuCount ? { doesNotFit: `needs ${gpus} GPUs (TP×PP×DP); the host has ${gpuCount}` } : {}),
      ...(unsupported ? { unsupported } : {}),
    });
  }
  return out;
}

/** Settings of a candidate by key ("kvCacheDtype=fp8"), what crash learning compares between candidates. */
export function candidateSettings(variant: EngineVariant): Map<string, string> {
  const settings = new Map<string, string>();
  settings.set('engine', variant.engine);
  settings.set('model', variant.model);
  settings.set('parallel', JSON.stringify(variant.parallel));
  for (const key of ['quantization', 'kvCacheDtype', 'attentionBackend'] as const) settings.set(key, variant[key] ?? 'default');
  for (const [k, v] of Object.entries(variant.cudaGraph)) if (v !== undefined) settings.set(`cudaGraph.${k}`, String(v));
  for (const [k, v] of Object.entries(variant.batching)) if (v !== undefined) settings.set(`batching.${k}`, String(v));
  settings.set('speculative', variant.speculative ? JSON.stringify(variant.speculative) : 'none');
  return settings;
}
