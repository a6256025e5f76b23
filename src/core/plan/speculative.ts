// Speculative decoding as a variant field (issue 14): how the engine drafts tokens for the target to verify. The
// methods are the engines' common ones — an EAGLE-3 or EAGLE head, the model's own MTP layers, n-gram lookup in the
// prompt, a separate draft model — each rendered in the engine's spelling (vLLM's --speculative-config JSON,
// SGLang's --speculative-* flags, TensorRT-LLM's speculative_config YAML).
import { z } from 'zod';
import { describeInput, oneOf, positiveInt, text } from './fields';

export const SPECULATIVE_METHODS = ['eagle3', 'eagle', 'mtp', 'ngram', 'draft_model'] as const;

const WITHOUT_DRAFT: ReadonlyArray<(typeof SPECULATIVE_METHODS)[number]> = ['mtp', 'ngram'];

export const SpeculativeDecoding = z
  .strictObject({
    method: oneOf(SPECULATIVE_METHODS),
    /** EAGLE/EAGLE-3 head or draft model (Hugging Face repo or path); absent = the head the model catalog knows. */
    draftModel: text('a draft model id or path such as "yuhuili/EAGLE3-LLaMA3.1-Instruct-8B"').optional(),
    /** Tokens drafted per step: vLLM's num_speculative_tokens, SGLang's --speculative-num-steps, TensorRT-LLM's max_draft_len. */
    numSpeculativeTokens: positiveInt('a number of drafted tokens per step'),
    /** SGLang only: the draft tree's width (--speculative-eagle-topk); 1 (one chain) when absent. */
    topk: positiveInt().optional(),
    /** SGLang only, with topk above 1: the tree's size in tokens (--speculative-num-draft-tokens). */
    numDraftTokens: positiveInt().optional(),
    /** n-gram only: the longest and shortest prompt match looked up. */
    promptLookupMax: positiveInt().optional(),
    promptLookupMin: positiveInt().optional(),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (s.draftModel !== undefined && WITHOUT_DRAFT.includes(s.method)) {
      issue('draftModel', `method ${s.method} drafts without a draft model (${s.method === 'mtp' ? "the model's own MTP layers" : 'prompt lookup'}): remove draftModel, or use eagle3 or draft_model`);
    }
    if (s.method !== 'ngram') {
      for (const key of ['promptLookupMax', 'promptLookupMin'] as const) if (s[key] !== undefined) issue(key, `${key} sets the n-gram lookup window: it applies to method ngram only`);
    } else if (s.topk !== undefined) {
      issue('topk', 'topk is the width of an EAGLE/MTP draft tree: remove it for method ngram');
    }
    if (s.promptLookupMin !== undefined && s.promptLookupMax !== undefined && s.promptLookupMin > s.promptLookupMax) {
      issue('promptLookupMin', `promptLookupMin (${s.promptLookupMin}) must not exceed promptLookupMax (${s.promptLookupMax})`);
    }
    if (s.numDraftTokens !== undefined && (s.topk ?? 1) <= 1) {
      issue('numDraftTokens', 'numDraftTokens sizes a draft tree: set topk above 1 with it, or leave it out (one chain verifies numSpeculativeTokens + 1 tokens)');
    }
  });
export type SpeculativeDecoding = z.infer<typeof SpeculativeDecoding>;

/** A patch's or a space's choice: the settings, or `none` / null for no speculative decoding. */
export const SpeculativeChoice = z.union([z.literal('none').transform(() => null), SpeculativeDecoding], {
  error: (iss) => `expected speculative settings such as {method: mtp, numSpeculativeTokens: 3}, or none, got ${describeInput(iss.input)}`,
});
