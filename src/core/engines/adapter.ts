// What every engine adapter provides: a variant rendered to the engine's own flags, and the engine's own flags parsed
// back into a variant. The table form (one FlagRule per flag) keeps both directions in one place so they cannot drift.
import type { EngineName, EngineVariant, EngineVariantInput, SpeculativeDecoding } from '../plan/schema';

export class VariantError extends Error {}

/** A variant being assembled from parsed flags; validated by the EngineVariant schema at the end. */
export type VariantDraft = {
  engine: EngineName;
  model?: string;
  servedModelName?: string;
  parallel: { tp?: number; pp?: number; dp?: number; ep?: number };
  quantization?: string;
  kvCacheDtype?: string;
  attentionBackend?: string;
  maxModelLen?: number;
  cudaGraph: { maxBatchSize?: number; disabled?: boolean };
  batching: { maxNumSeqs?: number; maxNumBatchedTokens?: number; chunkedPrefillSize?: number; memFraction?: number };
  parsers: { toolCall?: string; reasoning?: string };
  /** Filled flag by flag (SGLang) or from one JSON/YAML block; the schema checks it is complete. */
  speculative?: Partial<SpeculativeDecoding>;
  extraArgs: string[];
  env: Record<string, string>;
};

export function toVariantInput(d: VariantDraft): EngineVariantInput {
  if (!d.model) throw new VariantError('the command names no model: give it as the engine expects (vLLM/TensorRT-LLM: first argument; SGLang: --model-path)');
  return d as EngineVariantInput;
}

export interface ParsedFlags {
  port?: number;
  bindHost?: string;
  /** Files named by the command that the adapter reads (TensorRT-LLM --extra_llm_api_options). */
  configFile?: string;
}

export type ValueKind = 'int' | 'float' | 'string' | 'none';

export interface FlagRule {
  /** Every spelling the engine accepts; the first one is rendered. */
  names: readonly string[];
  kind: ValueKind;
  apply(draft: VariantDraft, value: string | number | true, parsed: ParsedFlags): void;
}

export interface RenderOptions {
  port: number;
  /** Address the engine listens on; 127.0.0.1 unless told (clients reach it on the host or through the SSH tunnel). */
  bindHost?: string;
  /** Directory that holds files the command names (TensorRT-LLM's extra options YAML): the run directory. */
  configDir?: string;
  /** Engine version as reported by the host, e.g. "0.11.0": picks version-dependent spellings. */
  engineVersion?: string;
}

export interface EngineArgs {
  /** The engine's arguments after its command (model, flags, host, port). */
  args: string[];
  env: Record<string, string>;
  files: Array<{ path: string; content: string }>;
}

export interface EngineAdapter {
  engine: EngineName;
  /** How a user starts the engine natively when the host names no command. */
  defaultCommand: readonly string[];
  /** The command inside the engine's docker image (vLLM's entrypoint already is `vllm serve`). */
  dockerCommand: readonly string[];
  /** docker run options the engine needs besides --gpus/--ipc (shared memory, ulimits). */
  dockerOptions: readonly string[];
  defaultPort: number;
  render(variant: EngineVariant, options: RenderOptions): EngineArgs;
  /** Parses the engine's arguments (after its command); `files` lets an adapter read a config file the command names. */
  parse(args: readonly string[], env: Record<string, string>, files?: Record<string, string>): { draft: VariantDraft; parsed: ParsedFlags };
}

function emptyDraft(engine: EngineName): VariantDraft {
  return { engine, parallel: {}, cudaGraph: {}, batching: {}, parsers: {}, extraArgs: [], env: {} };
}

function convert(flag: string, kind: ValueKind, raw: string): string | number {
  if (kind === 'int') {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n <= 0) throw new VariantError(`${flag} expects a positive integer, got "${raw}"`);
    return n;
  }
  if (kind === 'float') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n)) throw new VariantError(`${flag} expects a number, got "${raw}"`);
    return n;
  }
  return raw;
}

const looksLikeFlag = (token: string) => token.startsWith('-') && !/^-\d/.test(token) && token !== '-';

/**
 * Walks arguments with a flag table. `positional` receives bare words not consumed as values (the model for vLLM and
 * TensorRT-LLM). Unknown flags are kept verbatim, with the words that follow them, in extraArgs.
 */
export function parseWithRules(
  engine: EngineName,
  args: readonly string[],
  rules: readonly FlagRule[],
  positional: (draft: VariantDraft, word: string) => boolean,
): { draft: VariantDraft; parsed: ParsedFlags } {
  const byName = new Map<string, FlagRule>();
  for (const r of rules) for (const name of r.names) byName.set(name, r);
  const draft = emptyDraft(engine);
  const parsed: ParsedFlags = {};
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (!looksLikeFlag(token)) {
      if (!positional(draft, token)) draft.extraArgs.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = eq > 0 && token.startsWith('--') ? token.slice(0, eq) : token;
    const inline = eq > 0 && token.startsWith('--') ? token.slice(eq + 1) : undefined;
    const rule = byName.get(name);
    if (!rule) {
      draft.extraArgs.push(token);
      while (inline === undefined && i + 1 < args.length && !looksLikeFlag(args[i + 1]!)) draft.extraArgs.push(args[++i]!);
      continue;
    }
    if (rule.kind === 'none') {
      if (inline !== undefined) throw new VariantError(`${name} takes no value, got "${inline}"`);
      rule.apply(draft, true, parsed);
      continue;
    }
    const raw = inline ?? args[++i];
    if (raw === undefined) throw new VariantError(`${name} needs a value`);
    rule.apply(draft, convert(name, rule.kind, raw), parsed);
  }
  return { draft, parsed };
}

/** Appends `flag value` when the value is set. */
export function pushFlag(out: string[], flag: string, value: string | number | undefined): void {
  if (value !== undefined) out.push(flag, String(value));
}
