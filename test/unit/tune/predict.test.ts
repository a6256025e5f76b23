import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeCommand, renderVariant } from '../../../src/core/engines/index';
import { loadPlanFile } from '../../../src/core/plan/load';
import { openResultsStore } from '../../../src/core/results/store';
import { runExperiment } from '../../../src/core/tune/experiment';
import { PredictingBackend } from '../../../src/core/tune/predict';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

test('a dry run of the quick plan follows the simulator to the reference decisions and sums a time estimate', async () => {
  const loaded = await loadPlanFile('examples/glm-4.5-air-a100.quick.plan.yaml');
  assert.ok(loaded.ok);
  const backend = new PredictingBackend(
    { runner: 'vllm-bench', launchCommand: (v) => renderVariant(v, { port: 8000 }).commandLine, benchCommand: (_v, w) => `bench ${w.name}` },
    { facts: { name: 'sim', gpus: [], engineVersions: {}, simulated: true }, gpu: 'A100-SXM4-80GB', count: 4, speedup: 20 },
  );
  const x = await runExperiment({ plan: loaded.plan, backend, store: openResultsStore(tempDir('sl-dry-')), signal: new AbortController().signal, parseCommand: parseServeCommand });
  assert.deepEqual(x.stages.map((s) => s.decision!.winner), ['SGLang', 'SGLang', 'TP4+EP4', 'TP4+EP4', 'TP4+EP4']);
  const crashes = backend.steps.filter((s) => s.kind === 'crash').map((s) => s.command);
  assert.equal(crashes.length, 3, crashes.join('\n'));
  assert.ok(crashes.some((c) => /GLM-4\.5-Air-FP8.*predicted crash: .*fp8/i.test(c)));
  assert.equal(backend.steps.filter((s) => s.kind === 'benchmark').length, 14);
  assert.ok(backend.totalSeconds > 10 && backend.totalSeconds < 600, String(backend.totalSeconds));
});
