// Speculative decoding as a variant field, checked against what the model has: its own MTP layers, the EAGLE-3
// heads published for it (the model catalog's drafts), or a draft model the user names. Each adapter renders the
// engine's own spelling; this file decides which draft is loaded and refuses, naming what to change, a method the
// model cannot draft with. Only catalog models are checked: another model's config is the engine's to read.
import type { EngineName, SpeculativeDecoding } from '../plan/schema';
import { catalogModel, eagle3DraftsFor } from '../sim/models/drafts';
import { VariantError } from './adapter';

export const ENGINE_LABELS: Readonly<Record<EngineName, string>> = { vllm: 'vLLM', sglang: 'SGLang', trtllm: 'TensorRT-LLM' };

const METHOD_LABELS: Readonly<Record<SpeculativeDecoding['method'], string>> = { eagle3: 'EAGLE-3', eagle: 'EAGLE', mtp: 'MTP', ngram: 'n-gram', draft_model: 'draft model' };

/** How speculative decoding reads in a name or description: "MTP ×3", "EAGLE-3 ×5 top-4", "no speculation". */
export function speculativeLabel(s: SpeculativeDecoding | null | undefined): string {
  if (!s) return 'no speculation';
  return `${METHOD_LABELS[s.method]} ×${s.numSpeculativeTokens}${s.topk && s.topk > 1 ? ` top-${s.topk}` : ''}`;
}

/** Why `model` cannot draft this way on `engine` (a catalog model only), or undefined. */
export function speculativeProblem(model: string, spec: SpeculativeDecoding, engine: EngineName): string | undefined {
  const known = catalogModel(model);
  if (spec.method === 'mtp') {
    if (!known || known.mtpLayers > 0) return undefined;
    const heads = eagle3DraftsFor(model, engine);
    return `${model} has no MTP layers (its config.json sets no num_nextn_predict_layers): use method eagle3${heads.length > 0 ? ` (its head ${heads[0]!.repo})` : ' with a draft head'} or ngram`;
  }
  if ((spec.method === 'eagle3' || spec.method === 'eagle') && spec.draftModel === undefined) {
    const heads = spec.method === 'eagle3' ? eagle3DraftsFor(model, engine) : [];
    if (heads.length > 0) return undefined;
    const other = known?.mtpLayers ? 'mtp (its own layers) or ngram' : 'ngram';
    return `no ${spec.method === 'eagle3' ? 'EAGLE-3' : 'EAGLE'} head for ${model} on ${ENGINE_LABELS[engine]} is known: set speculative.draftModel to one (a Hugging Face repo or a path on the host), or use method ${other}`;
  }
  if (spec.method === 'draft_model' && spec.draftModel === undefined) {
    return `method draft_model needs speculative.draftModel: a smaller model with the same tokenizer (e.g. Qwen/Qwen3-0.6B for Qwen/Qwen3-32B)`;
  }
  return undefined;
}

/**
 * The draft checkpoint the engine loads — the one named, else the catalog's EAGLE-3 head; none for MTP and n-gram —
 * after refusing a method the model cannot draft with.
 */
export function draftCheckpoint(model: string, spec: SpeculativeDecoding, engine: EngineName): string | undefined {
  const problem = speculativeProblem(model, spec, engine);
  if (problem) throw new VariantError(`speculative: ${problem}`);
  if (spec.method === 'mtp' || spec.method === 'ngram') return undefined;
  return spec.draftModel ?? eagle3DraftsFor(model, engine)[0]?.repo;
}

/** Engines that verify one chain of drafted tokens (vLLM, TensorRT-LLM) refuse SGLang's draft tree (topk above 1). */
export function refuseTree(spec: SpeculativeDecoding, engine: EngineName): void {
  if (spec.topk !== undefined && spec.topk > 1) {
    throw new VariantError(`${ENGINE_LABELS[engine]} drafts one chain of tokens: leave speculative.topk and numDraftTokens unset (they are SGLang's draft tree)`);
  }
}
