// A search over a model the simulator's catalog does not know: its config.json is read where the host's engine loads
// it (here a Hugging Face cache named by the engine's HF_HOME), so candidates are forecast, not ruled out as unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServeCommand, renderVariant } from '../../../src/core/engines/index';
import { TuningPlan, type EngineName, type HostFacts } from '../../../src/core/plan/schema';
import { LocalTransport } from '../../../src/core/remote/local';
import { readHostModelConfig } from '../../../src/core/remote/modelConfig';
import { openMemoryStore } from '../../../src/core/results/memory';
import { CATALOG } from '../../../src/core/sim/models/catalog';
import { parseModelConfig } from '../../../src/core/sim/models/index';
import { runExperiment } from '../../../src/core/tune/experiment';
import type { TuneBackend } from '../../../src/core/tune/backend';
import { PredictingBackend } from '../../../src/core/tune/predict';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const MODEL = 'acme/Private-Llama-8B';
const FACTS: HostFacts = { name: 'gpubox', gpus: [0, 1].map((index) => ({ index, name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559 })), engineVersions: {}, simulated: false };

/** A host whose engine environment points HF_HOME at a cache holding the model's config.json (a Llama-3.1-8B's). */
function hostWithModel(): { backend: TuneBackend; lines: string[]; hfHome: string } {
  const hfHome = tempDir('sl-hf-');
  const snapshot = join(hfHome, 'hub', 'models--acme--Private-Llama-8B', 'snapshots', 'f00d');
  mkdirSync(snapshot, { recursive: true });
  const config = JSON.stringify(CATALOG['meta-llama/Llama-3.1-8B-Instruct']);
  writeFileSync(join(snapshot, 'config.json'), config);
  const measuring = new PredictingBackend(
    { runner: 'vllm-bench', launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: (_v, w) => `bench ${w.name}` },
    // The host measures with the model it holds; the search must find that config itself.
    { facts: FACTS, gpu: 'H100-SXM5-80GB', count: 2, speedup: 1, models: [parseModelConfig(config, MODEL, 'host')] },
  );
  const local = new LocalTransport();
  const backend: TuneBackend = Object.assign(measuring, { modelConfig: (model: string, _engine: EngineName, signal: AbortSignal) => readHostModelConfig(local, 'gpubox', model, { env: { HF_HOME: hfHome }, signal }) });
  return { backend, lines: [], hfHome };
}

test('a predicted search over a model only the host has forecasts it from the host’s config.json', async () => {
  const { backend, lines, hfHome } = hostWithModel();
  const plan = TuningPlan.parse({
    name: 'private model',
    model: MODEL,
    baseline: { engine: 'vllm', parallel: { tp: 1 } },
    space: { parallel: [{ tp: 1 }, { tp: 2 }], batching: [{}, { maxNumSeqs: 64 }] },
    workloads: { primary: { preset: 'sharegpt', numPrompts: 40 } },
  });
  const x = await runExperiment({ plan, backend, store: openMemoryStore(), signal: new AbortController().signal, parseCommand: parseServeCommand, observer: { log: (line) => lines.push(line) } });
  assert.equal(x.status, 'completed', x.error);
  assert.ok(lines.some((l) => l === `forecasts of ${MODEL} use its config.json on the host: gpubox:${join(hfHome, 'hub', 'models--acme--Private-Llama-8B', 'snapshots', 'f00d', 'config.json')}`), lines.join('\n'));
  const candidates = x.search!.candidates;
  assert.ok(candidates.every((c) => c.skipped?.kind !== 'predicted-crash'), JSON.stringify(candidates.map((c) => c.skipped)));
  assert.ok(candidates.filter((c) => c.predicted !== undefined).length >= 3, 'the candidates are forecast');
});

test('a model neither the catalog nor the host has is named with what to do', async () => {
  const { backend, lines } = hostWithModel();
  const plan = TuningPlan.parse({
    name: 'missing model',
    model: 'acme/Nowhere-7B',
    baseline: { engine: 'vllm', parallel: { tp: 1 } },
    space: { batching: [{}, { maxNumSeqs: 64 }] },
    workloads: { primary: { preset: 'sharegpt', numPrompts: 40 } },
  });
  await runExperiment({ plan, backend, store: openMemoryStore(), signal: new AbortController().signal, parseCommand: parseServeCommand, observer: { log: (line) => lines.push(line) } }).catch(() => undefined);
  assert.ok(lines.some((l) => /^acme\/Nowhere-7B is not in the simulator's catalog and the host has no config\.json for it .*download it on the host first, or use strategy "grid"$/.test(l)), lines.join('\n'));
});
