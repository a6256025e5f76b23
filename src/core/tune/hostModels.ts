// The plan's models that the simulator's catalog (and this machine's Hugging Face cache) does not know, read from the
// host where its engines load them. Without them every forecast of such a model fails as "model not found", and a
// predicted search would rule out every candidate instead of forecasting it.
import type { EngineVariant, SearchSpace } from '../plan/schema';
import { findModel, ModelConfigError, parseModelConfig, type ModelSpec } from '../sim/models/index';
import type { TuneBackend } from './backend';

/** The models a search over `space` launches: the baseline's and the space's alternatives. */
function searchedModels(baseline: EngineVariant, space: SearchSpace | undefined): string[] {
  return [...new Set([baseline.model, ...(space?.model ?? [])])];
}

/** Configs of the searched models the simulator cannot find here, read from the host; each lookup is logged. */
export async function hostModelConfigs(baseline: EngineVariant, space: SearchSpace | undefined, backend: TuneBackend, signal: AbortSignal, log: (line: string) => void): Promise<ModelSpec[]> {
  const specs: ModelSpec[] = [];
  for (const model of searchedModels(baseline, space)) {
    if (findModel(model, { env: process.env })) continue;
    const found = await backend.modelConfig?.(model, baseline.engine, signal);
    if (!found) {
      log(`${model} is not in the simulator's catalog and the host has no config.json for it (a model directory, or its Hugging Face cache): forecasts of it fail; download it on the host first, or use strategy "grid"`);
      continue;
    }
    try {
      specs.push(parseModelConfig(found.text, model, found.source));
      log(`forecasts of ${model} use its config.json on the host: ${found.source}`);
    } catch (err) {
      if (!(err instanceof ModelConfigError)) throw err;
      log(`the host's config.json of ${model} cannot be used for forecasts: ${err.message}`);
    }
  }
  return specs;
}
