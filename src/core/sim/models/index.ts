// Models the simulated host can "load": the bundled catalog (catalog.ts), a config.json given by path (a file or a
// model directory, as `vllm serve /models/x` reads it), and the host's Hugging Face cache
// (`$HF_HUB_CACHE/models--ORG--NAME/snapshots/*/config.json`) — never a network download. A model found nowhere
// fails the way the engines fail on an unknown repository, with modelNotFoundHint saying how to give its config.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CATALOG } from './catalog';
import { BYTES_PER_WEIGHT, deriveModel, ModelConfigError, type HfConfig, type ModelSpec, type WeightFormat } from './config';

export { BYTES_PER_WEIGHT, deriveModel, ModelConfigError, parseQuantization, type HfConfig, type ModelSpec, type Quantization, type WeightFormat } from './config';

export const MODELS: readonly ModelSpec[] = Object.entries(CATALOG).map(([id, config]) => deriveModel(id, config));

/** Where a simulated host looks for a model besides the catalog. */
export interface ModelLookup {
  /** Configs given explicitly (`sim predict --model-config PATH`), matched by id or by the model argument. */
  models?: readonly ModelSpec[];
  /** The host's environment: HF_HUB_CACHE / HF_HOME / HOME locate its Hugging Face cache. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Parses config.json text; `source` names the file in errors. */
export function parseModelConfig(text: string, id: string, source: string): ModelSpec {
  let config: HfConfig;
  try {
    config = JSON.parse(text) as HfConfig;
  } catch (err) {
    throw new ModelConfigError(`${source} is not valid JSON (${(err as Error).message}); give the model's config.json`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ModelConfigError(`${source} is not a config.json object`);
  return deriveModel(id, config, source);
}

/** Reads a config.json from a file or from a model directory holding one. */
export function readModelConfig(path: string, id = path): ModelSpec {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'config.json');
  } catch {
    throw new ModelConfigError(`model config ${path} does not exist; give a config.json file or a model directory that holds one`);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelConfigError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); a model directory needs its config.json`);
  }
  return parseModelConfig(text, id, file);
}

/** `~/.cache/huggingface/hub` as huggingface_hub resolves it. */
export function huggingFaceHubCache(env: Readonly<Record<string, string | undefined>>): string {
  if (env['HF_HUB_CACHE']) return env['HF_HUB_CACHE'];
  if (env['HF_HOME']) return join(env['HF_HOME'], 'hub');
  return join(env['HOME'] ?? homedir(), '.cache', 'huggingface', 'hub');
}

/** `ORG/NAME` → its folder in the hub cache. */
export const hubCacheFolder = (repoId: string): string => `models--${repoId.split('/').join('--')}`;

function fromHubCache(repoId: string, env: Readonly<Record<string, string | undefined>>): ModelSpec | undefined {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repoId)) return undefined;
  const snapshots = join(huggingFaceHubCache(env), hubCacheFolder(repoId), 'snapshots');
  let revisions: string[];
  try {
    revisions = readdirSync(snapshots);
  } catch {
    return undefined;
  }
  for (const revision of revisions.sort()) {
    const file = join(snapshots, revision, 'config.json');
    if (existsSync(file)) return readModelConfig(file, repoId);
  }
  return undefined;
}

const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A config.json found on this host (a local path or the Hugging Face cache); throws ModelConfigError if unreadable. */
function fromHost(path: string, env: Readonly<Record<string, string | undefined>>): ModelSpec | undefined {
  if ((path.startsWith('/') || path.startsWith('.')) && (path.endsWith('.json') ? existsSync(path) : existsSync(join(path, 'config.json')))) return readModelConfig(path);
  return fromHubCache(path, env);
}

/**
 * Finds a model by Hugging Face id or path: explicit configs, the catalog, a local config.json (file or directory),
 * the host's Hugging Face cache, and last a local directory whose last component is a catalog model's name.
 * A config.json that exists but cannot be read counts as not found; modelNotFoundHint says why.
 */
export function findModel(idOrPath: string, lookup: ModelLookup = {}): ModelSpec | undefined {
  const trimmed = idOrPath.replace(/\/+$/, '');
  const given = lookup.models?.find((m) => sameId(m.id, trimmed)) ?? (lookup.models?.length === 1 ? lookup.models[0] : undefined);
  if (given) return given;
  const exact = MODELS.find((m) => sameId(m.id, trimmed));
  if (exact) return exact;
  try {
    const onHost = fromHost(trimmed, lookup.env ?? {});
    if (onHost) return onHost;
  } catch (err) {
    if (!(err instanceof ModelConfigError)) throw err;
  }
  const base = trimmed.split('/').pop()!.toLowerCase();
  return MODELS.find((m) => m.id.split('/')[1]!.toLowerCase() === base);
}

/** Words every modelNotFoundHint line carries (the CLI recognizes the crash by them). */
export const MODEL_HINT_MARK = 'the simulated host needs the config.json of';

/** The line after the engine's own "unknown model" error: how to give the simulator the model's config. */
export function modelNotFoundHint(model: string, lookup: ModelLookup = {}): string {
  try {
    fromHost(model.replace(/\/+$/, ''), lookup.env ?? {});
  } catch (err) {
    if (err instanceof ModelConfigError) return `${MODEL_HINT_MARK} "${model}", which it cannot use: ${err.message}`;
  }
  return (
    `${MODEL_HINT_MARK} "${model}" (not in its catalog, nor on this host): give it with \`sim predict --model-config PATH\` (a config.json or a model directory), ` +
  `serve a local directory holding config.json, or place it in the Hugging Face cache (~/.cache/huggingface/hub/${hubCacheFolder(model.includes('/') ? model : `ORG/${model}`)}/snapshots/REV/config.json); ` +
    `the bundled catalog has ${MODELS.length} models (\`serving-lab sim models\`)`
  );
}

/** Bytes of the weights by part, for a checkpoint optionally quantized online (`--quantization fp8`). */
export function weightBytes(model: ModelSpec, online?: WeightFormat): { dense: number; experts: number; embedding: number } {
  const format = online ?? model.weightDtype;
  const denseFormat = online || model.quantization?.scope !== 'experts' ? format : 'bf16';
  return {
    dense: model.denseParams * BYTES_PER_WEIGHT[denseFormat],
    experts: model.moeLayers * model.experts * model.expertParams * BYTES_PER_WEIGHT[format],
    embedding: model.embeddingParams * BYTES_PER_WEIGHT.bf16,
  };
}

/** KV bytes per token per layer kind: MLA stores one latent vector per layer; GQA stores K and V per KV head. */
export const kvBytesPerLayer = (model: ModelSpec, kvDtypeBytes: number): number =>
  model.attention === 'mla' ? model.mlaKvDim * kvDtypeBytes : 2 * model.kvHeads * model.headDim * kvDtypeBytes;

/**
 * KV-cache bytes one token takes across the whole model. Sliding-window layers keep only their window, so a long
 * context costs the full-attention layers only (vLLM's hybrid allocator, SGLang's SWA pool).
 */
export const kvBytesPerToken = (model: ModelSpec, kvDtypeBytes: number): number => (model.layers - model.slidingLayers) * kvBytesPerLayer(model, kvDtypeBytes);

/** KV bytes one token takes on one GPU: GQA heads split across TP ranks (replicated beyond the KV-head count); MLA's latent is replicated on every rank; layers split across PP stages. */
export function kvBytesPerTokenPerGpu(model: ModelSpec, kvDtypeBytes: number, tp: number, pp: number): number {
  const split = model.attention === 'mla' ? 1 : Math.min(tp, model.kvHeads);
  return kvBytesPerToken(model, kvDtypeBytes) / split / pp;
}
