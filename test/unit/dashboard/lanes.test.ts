// The lanes of a parallel run as the dashboard gets them from the runner's events: a pool host's state and what it
// measures, down with the reason; a Slurm host's jobs one lane per slot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Crash } from '../../../src/core/plan/schema';
import type { Placement, RunPosition } from '../../../src/core/tune/observer';
import { LaneTracker } from '../../../src/vscode/dashboard/lanes';
import { LaneStatus } from '../../../src/shared/protocol';

const position = (option: string, place: Placement, load?: RunPosition['load']): RunPosition => ({
  experimentId: 'x',
  stage: 'Batching',
  stageIndex: 0,
  stageCount: 1,
  option,
  command: `vllm serve m --max-num-seqs ${option}`,
  workload: 'ShareGPT',
  repeat: 1,
  repeats: 1,
  place,
  ...(load ? { load } : {}),
});
const lost: Crash = { reason: 'place-lost', rootCause: 'host gpu3 stopped answering during the benchmark (ssh: connection refused)', logExcerpt: [] };

test("a pool's lanes follow each host: starting, benchmarking what, idle again, down with the reason", () => {
  const lanes = new LaneTracker(['gpu1', 'gpu2', 'gpu3']);
  assert.deepEqual(lanes.all.map((l) => [l.key, l.state]), [['gpu1', 'idle'], ['gpu2', 'idle'], ['gpu3', 'idle']]);
  assert.equal(lanes.engine({ state: 'launching', option: 'seqs 64', command: 'vllm serve' }), undefined, 'not placed yet');
  assert.equal(lanes.engine({ state: 'placed', option: 'seqs 64', place: { host: 'gpu2' } })?.state, 'starting');
  const benchmarking = lanes.point(position('seqs 64', { host: 'gpu2' }, { by: 'request_rate', value: 8 }))!;
  assert.deepEqual(benchmarking, { key: 'gpu2', host: 'gpu2', state: 'benchmarking', option: 'seqs 64', stage: 'Batching', workload: 'ShareGPT', load: '8 req/s' });
  assert.ok(LaneStatus.safeParse(benchmarking).success);
  assert.equal(lanes.keyOf({ host: 'gpu2' }), 'gpu2', "the point's samples go to its host's lane");
  assert.deepEqual(lanes.engine({ state: 'stopped', option: 'seqs 64', place: { host: 'gpu2' } }), { key: 'gpu2', host: 'gpu2', state: 'idle', detail: 'last measured seqs 64' });

  // Down during a launch (the pool moves the point elsewhere) and during a benchmark (the point's place-lost crash).
  assert.deepEqual(lanes.engine({ state: 'placed', option: 'seqs 128', place: { host: 'gpu1', down: 'ssh gpu1: connection refused' } }), { key: 'gpu1', host: 'gpu1', state: 'down', detail: 'ssh gpu1: connection refused' });
  lanes.point(position('seqs 256', { host: 'gpu3' }));
  assert.equal(lanes.engine({ state: 'crashed', option: 'seqs 256', crash: lost, place: { host: 'gpu3' } })?.state, 'down');
  assert.equal(lanes.engine({ state: 'stopped', option: 'seqs 256', place: { host: 'gpu3' } })?.state, 'down', 'the stop after the loss does not make it idle');
  assert.match(lanes.all.find((l) => l.key === 'gpu3')!.detail!, /seqs 256: host gpu3 stopped answering/);
  // An engine crash of a variant is not its host going down.
  lanes.engine({ state: 'placed', option: 'seqs 1024', place: { host: 'gpu2' } });
  assert.equal(lanes.engine({ state: 'crashed', option: 'seqs 1024', crash: { reason: 'oom', rootCause: 'CUDA out of memory', logExcerpt: [] }, place: { host: 'gpu2' } })?.state, 'idle');
});

test("a Slurm host's jobs get a lane per slot: queued with the reason, then running on its node; a later job reuses a free slot", () => {
  const lanes = new LaneTracker([]);
  const job = (id: string, state: string, extra: { reason?: string; node?: string } = {}): Placement => ({ host: 'cluster', job: { id, state, ...extra } });
  assert.equal(lanes.engine({ state: 'placed', option: 'tp4', place: job('41', 'RUNNING', { node: 'n1' }) })?.key, 'cluster #1');
  const pending = lanes.engine({ state: 'placed', option: 'tp4 fp8', place: job('42', 'PENDING', { reason: 'Resources' }) })!;
  assert.deepEqual([pending.key, pending.state, pending.job], ['cluster #2', 'queued', { id: '42', state: 'PENDING', reason: 'Resources' }]);
  assert.equal(lanes.engine({ state: 'placed', option: 'tp4 fp8', place: job('42', 'RUNNING', { node: 'n1' }) })?.key, 'cluster #2', 'the job keeps its lane');
  lanes.engine({ state: 'stopped', option: 'tp4', place: job('41', 'RUNNING', { node: 'n1' }) });
  assert.equal(lanes.engine({ state: 'placed', option: 'tp2', place: job('43', 'PENDING', { reason: 'Priority' }) })?.key, 'cluster #1', 'the ended job frees its slot');
  assert.equal(lanes.all.length, 2);
});

test("a pool's Slurm host runs its first job in the host's lane and a second side by side in a lane of its own", () => {
  const lanes = new LaneTracker(['gpu1', 'cluster']);
  lanes.engine({ state: 'placed', option: 'tp4', place: { host: 'cluster' } });
  lanes.engine({ state: 'placed', option: 'tp4 fp8', place: { host: 'cluster' } });
  assert.equal(lanes.engine({ state: 'placed', option: 'tp4', place: { host: 'cluster', job: { id: '7', state: 'RUNNING', node: 'n1' } } })?.key, 'cluster');
  assert.equal(lanes.engine({ state: 'placed', option: 'tp4 fp8', place: { host: 'cluster', job: { id: '8', state: 'PENDING', reason: 'Resources' } } })?.key, 'cluster #2');
  assert.deepEqual(lanes.all.map((l) => [l.key, l.state]), [['gpu1', 'idle'], ['cluster', 'starting'], ['cluster #2', 'queued']]);
});
