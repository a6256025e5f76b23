// Engine variants (design doc §3): one launch of an engine, a patch onto one, and a search space of them.
import { z } from 'zod';
import { envVars, oneOf, positiveInt, text } from './fields';
import { SpeculativeChoice, SpeculativeDecoding } from './speculative';

export const ENGINES = ['vllm', 'sglang', 'trtllm'] as const;
export const EngineName = oneOf(ENGINES);
export type EngineName = z.infer<typeof EngineName>;


/** Names that hold credentials; their values would otherwise be stored with every result and launch command. */
const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_?KEY|CREDENTIAL)/i;

/** Engine environment variables. Secrets are refused: the engine inherits them from the host's own environment. */
const engineEnv = envVars().superRefine((env, ctx) => {
  for (const name of Object.keys(env)) {
    if (SECRET_ENV_NAME.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `${name} looks like a secret: do not put it in a variant (it would be saved with every result); set it in the host's environment instead, where the engine inherits it`,
      });
    }
  }
});

export const EngineVariant = z.strictObject({
  engine: EngineName,
  model: text('a model id or path such as "zai-org/GLM-4.5-Air"'),
  servedModelName: text().optional(),
  parallel: z
    .strictObject({
      tp: positiveInt().default(1),
      pp: positiveInt().default(1),
      dp: positiveInt().default(1),
      ep: positiveInt().default(1),
    })
    .default({ tp: 1, pp: 1, dp: 1, ep: 1 }),
  quantization: text().optional(),
  kvCacheDtype: text().optional(),
  attentionBackend: text().optional(),
  maxModelLen: positiveInt().optional(),
  cudaGraph: z
    .strictObject({
      maxBatchSize: positiveInt().optional(),
      disabled: z.boolean().optional(),
    })
    .default({}),
  batching: z
    .strictObject({
      maxNumSeqs: positiveInt().optional(),
      maxNumBatchedTokens: positiveInt().optional(),
      chunkedPrefillSize: positiveInt().optional(),
      memFraction: z.number().gt(0).max(1).optional(),
    })
    .default({}),
  /** Speculative decoding; absent = none. */
  speculative: SpeculativeDecoding.optional(),
  parsers: z
    .strictObject({
      toolCall: text().optional(),
      reasoning: text().optional(),
    })
    .default({}),
  extraArgs: z.array(z.string()).default([]),
  env: engineEnv.default({}),
});
export type EngineVariant = z.infer<typeof EngineVariant>;
export type EngineVariantInput = z.input<typeof EngineVariant>;

/** A partial variant merged onto another (a stage option's patch, or a whole option merged onto the plan's model). */
export const VariantPatch = z.strictObject({
  engine: EngineName.optional(),
  model: text().optional(),
  servedModelName: text().optional(),
  parallel: z
    .strictObject({ tp: positiveInt().optional(), pp: positiveInt().optional(), dp: positiveInt().optional(), ep: positiveInt().optional() })
    .optional(),
  quantization: text().nullable().optional(),
  kvCacheDtype: text().nullable().optional(),
  attentionBackend: text().nullable().optional(),
  maxModelLen: positiveInt().nullable().optional(),
  cudaGraph: z.strictObject({ maxBatchSize: positiveInt().nullable().optional(), disabled: z.boolean().nullable().optional() }).optional(),
  batching: z
    .strictObject({
      maxNumSeqs: positiveInt().nullable().optional(),
      maxNumBatchedTokens: positiveInt().nullable().optional(),
      chunkedPrefillSize: positiveInt().nullable().optional(),
      memFraction: z.number().gt(0).max(1).nullable().optional(),
    })
    .optional(),
  /** Replaces the whole setting; `none` or null turns speculative decoding off. */
  speculative: SpeculativeChoice.nullable().optional(),
  parsers: z.strictObject({ toolCall: text().nullable().optional(), reasoning: text().nullable().optional() }).optional(),
  extraArgs: z.array(z.string()).optional(),
  env: engineEnv.optional(),
});
export type VariantPatch = z.infer<typeof VariantPatch>;

const alternatives = <T extends z.ZodType>(item: T, what: string) => z.array(item).min(1, { error: `expected at least one ${what} (a list of alternatives)` }).optional();

/**
 * A search space (issue 14): each key a list of alternatives, combined as a product. A key it does not name keeps
 * the baseline's value; an alternative replaces the baseline's whole value of that key (`{}` or `null` = the
 * engine's default).
 */
export const SearchSpace = z
  .strictObject({
    engine: alternatives(EngineName, 'engine'),
    model: alternatives(text('a model id'), 'model (e.g. the FP8 checkpoint next to the BF16 one)'),
    parallel: alternatives(VariantPatch.shape.parallel.unwrap(), 'parallel layout such as {tp: 4}'),
    quantization: alternatives(VariantPatch.shape.quantization.unwrap(), 'quantization (null = none)'),
    kvCacheDtype: alternatives(VariantPatch.shape.kvCacheDtype.unwrap(), 'KV-cache dtype such as auto or fp8'),
    attentionBackend: alternatives(VariantPatch.shape.attentionBackend.unwrap(), 'attention backend (null = the engine default)'),
    cudaGraph: alternatives(VariantPatch.shape.cudaGraph.unwrap(), 'CUDA graph setting such as {maxBatchSize: 512}'),
    batching: alternatives(VariantPatch.shape.batching.unwrap(), 'batching setting such as {maxNumSeqs: 512}'),
    speculative: alternatives(SpeculativeChoice.nullable(), 'speculative decoding setting such as none or {method: mtp, numSpeculativeTokens: 3}'),
  })
  .refine((s) => Object.values(s).some((v) => v !== undefined), {
    error: 'a space names at least one key: engine, model, parallel, quantization, kvCacheDtype, attentionBackend, cudaGraph, batching or speculative',
  });
export type SearchSpace = z.infer<typeof SearchSpace>;
