// Which architectures each engine release can run, and with pipeline parallelism: facts about the engines, kept
// apart from the model catalog (which describes checkpoints, not engines).
import type { SimEngineKind } from '../config';
import { atLeast } from './versions';

/** SGLang runs PP only for models whose forward takes `pp_proxy_tensors` (model_runner.py `support_pp`). */
const SGLANG_PP = new Set(['LlamaForCausalLM', 'Qwen2ForCausalLM', 'Qwen3ForCausalLM', 'Qwen2MoeForCausalLM', 'Qwen3MoeForCausalLM', 'DeepseekV2ForCausalLM', 'DeepseekV3ForCausalLM', 'MixtralForCausalLM']);
/** Whether `engine` runs `architecture` with PP > 1 (vLLM and TensorRT-LLM do for every architecture simulated). */
export function pipelineParallelSupported(engine: SimEngineKind, architecture: string): boolean {
  return engine !== 'sglang' || SGLANG_PP.has(architecture);
}

/** TensorRT-LLM's PyTorch backend: architectures by the first release that has them (research/engines.md §1.3). */
const TRTLLM_ARCHITECTURES: Readonly<Record<string, string>> = {
  LlamaForCausalLM: '1.0.0',
  MistralForCausalLM: '1.0.0',
  MixtralForCausalLM: '1.0.0',
  Qwen2ForCausalLM: '1.0.0',
  Qwen3ForCausalLM: '1.0.0',
  Qwen3MoeForCausalLM: '1.0.0',
  DeepseekV3ForCausalLM: '1.0.0',
  Gemma3ForCausalLM: '1.0.0',
  GptOssForCausalLM: '1.1.0',
  // Glm4MoeForCausalLM arrived with PR #8256, after 1.2.0rc1.
  Glm4MoeForCausalLM: '1.2.0',
};

export function trtllmSupports(version: string, architecture: string): boolean {
  const since = TRTLLM_ARCHITECTURES[architecture];
  return since !== undefined && atLeast(version, since);
}
