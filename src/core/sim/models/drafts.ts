// The drafts a catalog model has for speculative decoding: its own MTP layers (config.json's
// num_nextn_predict_layers) and the published EAGLE-3 heads trained on it. Each head lists the engines its repository
// is made for: SGLang loads heads whose config names LlamaForCausalLMEagle3 (SpecForge's), vLLM and TensorRT-LLM
// load the EAGLE authors' and the speculators-format ones. n-gram lookup needs no draft.
import { MODELS, type ModelSpec } from './index';

export type DraftEngine = 'vllm' | 'sglang' | 'trtllm';

export interface EagleDraft {
  /** The target model's Hugging Face id. */
  target: string;
  /** The head's Hugging Face repository. */
  repo: string;
  engines: readonly DraftEngine[];
}

/** Published EAGLE-3 heads for catalog models (the model cards name the target and the engine they were served with). */
export const EAGLE3_DRAFTS: readonly EagleDraft[] = [
  { target: 'meta-llama/Llama-3.1-8B-Instruct', repo: 'yuhuili/EAGLE3-LLaMA3.1-Instruct-8B', engines: ['vllm', 'trtllm'] },
  { target: 'meta-llama/Llama-3.1-8B-Instruct', repo: 'lmsys/SGLang-EAGLE3-Llama-3.1-8B-Instruct-SpecForge', engines: ['sglang'] },
  { target: 'meta-llama/Llama-3.3-70B-Instruct', repo: 'yuhuili/EAGLE3-LLaMA3.3-Instruct-70B', engines: ['vllm', 'trtllm'] },
  { target: 'meta-llama/Llama-3.3-70B-Instruct', repo: 'lmsys/SGLang-EAGLE3-Llama-3.3-70B-Instruct-SpecForge', engines: ['sglang'] },
  { target: 'Qwen/Qwen3-8B', repo: 'RedHatAI/Qwen3-8B-speculator.eagle3', engines: ['vllm'] },
  { target: 'Qwen/Qwen3-8B', repo: 'AngelSlim/Qwen3-8B_eagle3', engines: ['vllm', 'sglang'] },
  { target: 'Qwen/Qwen3-8B', repo: 'Tengyunw/qwen3_8b_eagle3', engines: ['sglang'] },
  { target: 'Qwen/Qwen3-32B', repo: 'AngelSlim/Qwen3-32B_eagle3', engines: ['vllm', 'sglang'] },
  { target: 'Qwen/Qwen3-30B-A3B-Instruct-2507', repo: 'RedHatAI/Qwen3-30B-A3B-Instruct-2507-speculator.eagle3', engines: ['vllm'] },
  { target: 'Qwen/Qwen3-30B-A3B-Instruct-2507', repo: 'lmsys/SGLang-EAGLE3-Qwen3-30B-A3B-Instruct-2507-SpecForge-Nex', engines: ['sglang'] },
];

const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** A model of the bundled catalog by exact id (no host lookup: the drafts are facts about published checkpoints). */
export function catalogModel(id: string): ModelSpec | undefined {
  return MODELS.find((m) => sameId(m.id, id));
}

/** The EAGLE-3 heads known for `target` that `engine` loads, best first. */
export function eagle3DraftsFor(target: string, engine: DraftEngine): EagleDraft[] {
  return EAGLE3_DRAFTS.filter((d) => sameId(d.target, target) && d.engines.includes(engine));
}

/** True when `repo` is a known EAGLE-3 head (the simulator models it as a one-layer head on its target). */
export function isKnownEagleDraft(repo: string): boolean {
  return EAGLE3_DRAFTS.some((d) => sameId(d.repo, repo));
}

/** What a catalog model can draft with: its MTP layers and the engines that have an EAGLE-3 head for it. */
export function draftsOf(model: ModelSpec): { mtpLayers: number; eagle3: EagleDraft[] } {
  return { mtpLayers: model.mtpLayers, eagle3: EAGLE3_DRAFTS.filter((d) => sameId(d.target, model.id)) };
}
