import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineVariant } from '../../../src/core/plan/schema';
import { GpuShare } from '../../../src/core/tune/gpuShare';

const variant = (tp: number, env: Record<string, string> = {}) => EngineVariant.parse({ engine: 'vllm', model: 'zai-org/GLM-4.5-Air', parallel: { tp }, env });

test('an 8-GPU host takes two TP4 engines on disjoint GPUs; a third waits until one gives its GPUs back', async () => {
  const share = new GpuShare(8);
  const signal = new AbortController().signal;
  const a = await share.take(variant(4), signal);
  const b = await share.take(variant(4), signal);
  assert.deepEqual([a.env, b.env], [{ CUDA_VISIBLE_DEVICES: '0,1,2,3' }, { CUDA_VISIBLE_DEVICES: '4,5,6,7' }]);
  assert.equal(share.fits(variant(4)), false);
  let third: number[] | undefined;
  const waiting = share.take(variant(2), signal).then((g) => (third = g.gpus));
  await new Promise((r) => setImmediate(r));
  assert.equal(third, undefined, 'no GPU free yet');
  share.give(a);
  await waiting;
  assert.deepEqual(third, [0, 1]);
});

test('a variant naming its own devices, or wanting more GPUs than the host has, takes the whole host with no CUDA_VISIBLE_DEVICES', async () => {
  const share = new GpuShare(8);
  const signal = new AbortController().signal;
  const own = await share.take(variant(2, { CUDA_VISIBLE_DEVICES: '6,7' }), signal);
  assert.deepEqual(own, { gpus: [0, 1, 2, 3, 4, 5, 6, 7], env: {} });
  share.give(own);
  const wide = await share.take(variant(16), signal);
  assert.equal(wide.gpus.length, 8);
  assert.deepEqual(wide.env, {});
});

test('a result is labelled shared only when another engine held GPUs of the host while it was measured', async () => {
  const share = new GpuShare(8);
  const signal = new AbortController().signal;
  const alone = await share.take(variant(4), signal);
  share.measuring(alone);
  assert.equal(share.measured(alone, 'gpu1'), undefined);
  // A neighbour starts during the measurement.
  share.measuring(alone);
  const neighbour = await share.take(variant(4), signal);
  assert.match(share.measured(alone, 'gpu1') ?? '', /measured on shared hardware: gpu1 ran another engine beside this one \(shareGpus: true; this engine on GPUs 0,1,2,3 of 8\)/);
  // Already there when the measurement starts.
  share.measuring(neighbour);
  assert.match(share.measured(neighbour, 'gpu1') ?? '', /GPUs 4,5,6,7 of 8/);
  share.give(alone);
  share.measuring(neighbour);
  assert.equal(share.measured(neighbour, 'gpu1'), undefined, 'alone again');
});

test('an aborted wait for GPUs rejects', async () => {
  const share = new GpuShare(4);
  const controller = new AbortController();
  await share.take(variant(4), controller.signal);
  const waiting = share.take(variant(4), controller.signal);
  controller.abort(new Error('stopped'));
  await assert.rejects(waiting, /stopped/);
});
