// vLLM's SpeculativeConfig from `--speculative-config` JSON, as each release reads it (vllm/config/speculative.py):
// the method names the release accepts, the MTP draft taken from the target's own layers, the EAGLE heads detected by
// name, and the refusals — a draft model (NotImplementedError in 0.10–0.13), MTP on a model without MTP layers (it
// falls through to the draft-model branch), num_speculative_tokens without a draft, bad n-gram windows.
import type { ModelSpec } from '../../models';
import { SpeculativeSettingsError, speculativeSettings, type SpeculativeSettings } from '../speculative';
import { atLeast } from '../versions';

const METHODS_010 = ['ngram', 'eagle', 'eagle3', 'medusa', 'mlp_speculator', 'draft_model', 'deepseek_mtp'];
const METHODS_011 = [...METHODS_010, 'ernie_mtp', 'qwen3_next_mtp', 'mimo_mtp', 'longcat_flash_mtp', 'mtp'];
const METHODS_012 = [...METHODS_011, 'suffix', 'glm4_moe_mtp'];
const METHODS_013 = [...METHODS_012, 'pangu_ultra_moe_mtp'];
/** Per-model MTP names that 0.11 and later rename to "mtp" with a deprecation warning. */
const MTP_ALIASES = ['deepseek_mtp', 'mimo_mtp', 'glm4_moe_mtp', 'ernie_mtp', 'qwen3_next_mtp', 'pangu_ultra_moe_mtp'];
/** Targets whose config hf_config_override turns into an MTP draft (DeepSeek-V3's and GLM-4.5's next-n layers). */
const MTP_ARCHITECTURES = ['DeepseekV3ForCausalLM', 'Glm4MoeForCausalLM'];

function releaseMethods(version: string): string[] {
  if (atLeast(version, '0.13.0')) return METHODS_013;
  if (atLeast(version, '0.12.0')) return METHODS_012;
  return atLeast(version, '0.11.0') ? METHODS_011 : METHODS_010;
}

const DRAFT_MODEL_REFUSAL = (mtpName: string) =>
  `NotImplementedError: Speculative decoding with draft model is not supported yet. Please consider using other speculative decoding methods such as ngram, medusa, eagle, or ${mtpName}.`;

function ngramSettings(spec: Record<string, unknown>, k: number, env: Readonly<Record<string, string | undefined>>): SpeculativeSettings {
  const max = spec['prompt_lookup_max'] as number | undefined;
  const min = spec['prompt_lookup_min'] as number | undefined;
  const [lo, hi] = [min ?? max ?? 5, max ?? min ?? 5];
  if (lo < 1) throw new SpeculativeSettingsError(`ValueError: prompt_lookup_min=${lo} must be > 0`);
  if (hi < 1) throw new SpeculativeSettingsError(`ValueError: prompt_lookup_max=${hi} must be > 0`);
  if (lo > hi) throw new SpeculativeSettingsError(`ValueError: prompt_lookup_min=${lo} must be <= prompt_lookup_max=${hi}`);
  return speculativeSettings('ngram', k, undefined, env);
}

/**
 * The settings vLLM `version` takes from `--speculative-config` for `target`, or undefined without one; throws
 * SpeculativeSettingsError with vLLM's own error. `warn` receives the warnings vLLM logs.
 */
export function vllmSpeculative(
  spec: Record<string, unknown> | undefined,
  target: ModelSpec,
  version: string,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
): SpeculativeSettings | undefined {
  if (!spec) return undefined;
  const methods = releaseMethods(version);
  let method = spec['method'] as string | undefined;
  if (method !== undefined && !methods.includes(method)) {
    const listed = methods.map((m) => `'${m}'`);
    throw new SpeculativeSettingsError('pydantic_core._pydantic_core.ValidationError: 1 validation error for SpeculativeConfig', [
      'method',
      `  Input should be ${listed.slice(0, -1).join(', ')} or ${listed.at(-1)} [type=literal_error, input_value='${method}', input_type=str]`,
    ]);
  }
  const mtpName = atLeast(version, '0.11.0') ? 'mtp' : 'deepseek_mtp';
  if (method !== undefined && method !== 'mtp' && MTP_ALIASES.includes(method) && mtpName === 'mtp') {
    warn(`method \`${method}\` is deprecated and replaced with mtp.`);
    method = 'mtp';
  }
  const k = spec['num_speculative_tokens'] as number | undefined;
  let draft = spec['model'] as string | undefined;
  if (draft === undefined && k !== undefined) {
    if (method === 'ngram') return ngramSettings(spec, k, env);
    if (method !== mtpName) throw new SpeculativeSettingsError('ValueError: num_speculative_tokens was provided but without speculative model.');
    draft = target.id;
  }
  if (draft === undefined || k === undefined) {
    throw new SpeculativeSettingsError('ValueError: num_speculative_tokens must be provided with speculative model unless the draft model config contains an n_predict parameter.');
  }
  if (method === 'eagle' || method === 'eagle3' || method === 'medusa' || method === 'mlp_speculator') return speculativeSettings(method, k, undefined, env);
  // vLLM detects a head by its repository name; any other model is a draft model.
  if (/eagle-/i.test(draft)) return speculativeSettings('eagle', k, undefined, env);
  if (/eagle3/i.test(draft)) return speculativeSettings('eagle3', k, undefined, env);
  const ownLayers = draft === target.id && MTP_ARCHITECTURES.includes(target.architecture) && target.mtpLayers > 0;
  if (ownLayers) {
    if (k > 1) warn('Enabling num_speculative_tokens > 1 will run multiple times of forward on same MTP layer, which may result in lower acceptance rate');
    return speculativeSettings(mtpName, k, undefined, env);
  }
  throw new SpeculativeSettingsError(DRAFT_MODEL_REFUSAL(mtpName));
}
