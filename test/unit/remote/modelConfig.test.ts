// A model's config.json read where the host's engine loads it: a model directory, or the Hugging Face cache the
// engine's environment points at. Run through the local transport, which spawns the same argv ssh would send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalTransport } from '../../../src/core/remote/local';
import { readHostModelConfig } from '../../../src/core/remote/modelConfig';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const local = new LocalTransport();

function hubCache(): string {
  const home = tempDir('sl-hfhome-');
  const snapshot = join(home, 'hub', 'models--acme--Tiny-7B', 'snapshots', '0123abcd');
  mkdirSync(snapshot, { recursive: true });
  writeFileSync(join(snapshot, 'config.json'), '{"model_type": "llama", "hidden_size": 4096}');
  return home;
}

test("a repository id is read from the Hugging Face cache the engine's HF_HOME names", async () => {
  const home = hubCache();
  const found = await readHostModelConfig(local, 'gpubox', 'acme/Tiny-7B', { env: { HF_HOME: home } });
  assert.deepEqual(JSON.parse(found!.text), { model_type: 'llama', hidden_size: 4096 });
  assert.equal(found!.source, `gpubox:${join(home, 'hub', 'models--acme--Tiny-7B', 'snapshots', '0123abcd', 'config.json')}`);
  assert.equal(await readHostModelConfig(local, 'gpubox', 'acme/Other-7B', { env: { HF_HOME: home } }), undefined, 'a model not in the cache is not found');
  assert.equal(await readHostModelConfig(local, 'gpubox', 'acme/Tiny-7B', { env: { HF_HUB_CACHE: join(home, 'elsewhere') } }), undefined, 'HF_HUB_CACHE wins over HF_HOME, as in huggingface_hub');
});

test('a model directory given by path is read from its config.json', async () => {
  const dir = tempDir('sl-modeldir-');
  writeFileSync(join(dir, 'config.json'), '{"model_type": "qwen3"}');
  const found = await readHostModelConfig(local, 'gpubox', `${dir}/`);
  assert.equal(found?.source, `gpubox:${dir}/config.json`);
  assert.equal(await readHostModelConfig(local, 'gpubox', join(dir, 'missing')), undefined);
});

test('a model name that is not a repository id never reaches the shell', async () => {
  const home = hubCache();
  const marker = join(home, 'pwned');
  assert.equal(await readHostModelConfig(local, 'gpubox', `acme/x$(touch ${marker})`, { env: { HF_HOME: home } }), undefined);
  assert.equal(await readHostModelConfig(local, 'gpubox', `acme/x;touch ${marker}`, { env: { HF_HOME: home } }), undefined);
  assert.equal(existsSync(marker), false);
});
