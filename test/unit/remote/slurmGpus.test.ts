import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlurmTransport } from '../../../src/core/plan/schema';
import { candidateNodes, meetsConstraint, parseSinfoNodes, slurmGpuInventory } from '../../../src/core/remote/slurmGpus';
import { parseGpuGres } from '../../../src/core/remote/slurm';
import type { ExecResult, Transport } from '../../../src/core/remote/transport';

const slurm = (t: Record<string, unknown>) => SlurmTransport.parse({ kind: 'slurm', gres: 'gpu:4', ...t });

/** A login node that answers sinfo with `nodes` and srun with `srun` (undefined: srun must not be called). */
function loginNode(nodes: string, srun?: ExecResult): Transport & { calls: string[][] } {
  const calls: string[][] = [];
  const exec = async (argv: readonly string[]): Promise<ExecResult> => {
    calls.push([...argv]);
    if (argv[0] === 'sinfo') return { exitCode: 0, stdout: nodes, stderr: '' };
    if (argv[0] === 'srun' && srun) return srun;
    throw new Error(`unexpected command ${argv.join(' ')}`);
  };
  const none = () => Promise.reject(new Error('not used'));
  return { kind: 'ssh', description: 'login', calls, exec, upload: none, download: none, readFile: none, writeFile: none, openTcp: none, close: async () => {} };
}

const CLUSTER = [
  'a1|gpu*|gpu:a100:8(S:0-1)|a100,ib|idle',
  'a2|gpu*|gpu:a100:8(S:0-1)|a100,ib|mixed',
  'a3|gpu*|gpu:a100:8(S:0-1)|a100,ib|drained',
  'h1|hopper|gpu:h100:4(S:0)|h100|idle',
  'h2|hopper|gpu:h100:4(S:0)|h100|allocated',
  'p1|plain|gpu:8|(null)|idle',
  'f1|feat|gpu:4|gpu_l40s,nvlink|idle',
  'm1|mixed|gpu:a100:4|(null)|idle',
  'm2|mixed|gpu:h100:4|(null)|idle',
  'c1|cpu|(null)|(null)|idle',
].join('\n');

test('GRES lists give GPU type and count; a count alone has no type', () => {
  assert.deepEqual(parseGpuGres('gpu:a100:4(S:0-1),shard:8'), [{ type: 'a100', count: 4 }]);
  assert.deepEqual(parseGpuGres('gpu:8'), [{ count: 8 }]);
  assert.deepEqual(parseGpuGres('shard:8,gpu:nvidia_h100_80gb_hbm3:2(S:1)'), [{ type: 'nvidia_h100_80gb_hbm3', count: 2 }]);
  assert.deepEqual(parseGpuGres('gpu'), [{ count: 1 }]);
  assert.deepEqual(parseGpuGres('(null)'), []);
});

test('sinfo node lines and constraints pick the nodes a job may land on', () => {
  const nodes = parseSinfoNodes(CLUSTER);
  assert.deepEqual(nodes[0], { name: 'a1', partition: 'gpu', isDefault: true, gpus: [{ type: 'a100', count: 8 }], features: ['a100', 'ib'], state: 'idle' });
  assert.equal(meetsConstraint(['a100', 'ib'], 'a100&ib'), true);
  assert.equal(meetsConstraint(['a100'], 'a100&ib'), false);
  assert.equal(meetsConstraint(['h100'], 'a100|h100'), true);
  assert.equal(meetsConstraint(['h100'], '[a100*2|h100*2]'), true);
  // The default partition, up nodes only (a3 is drained).
  assert.deepEqual(candidateNodes(nodes, slurm({})).map((n) => n.name), ['a1', 'a2']);
  assert.deepEqual(candidateNodes(nodes, slurm({ partition: 'hopper', gres: 'gpu:8' })).map((n) => n.name), [], 'no hopper node has 8 GPUs');
  assert.deepEqual(candidateNodes(nodes, slurm({ partition: 'mixed', gres: 'gpu:h100:4' })).map((n) => n.name), ['m2']);
  assert.deepEqual(candidateNodes(nodes, slurm({ partition: 'gpu', constraint: 'ib&nvlink' })).map((n) => n.name), []);
});

test('a typed GRES names the GPUs a job gets, without running anything on a node', async () => {
  const login = loginNode(CLUSTER);
  const inv = await slurmGpuInventory(login, slurm({ partition: 'hopper' }));
  assert.deepEqual(inv.gpus, [0, 1, 2, 3].map((index) => ({ index, name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559 })));
  assert.match(inv.source, /^GRES type h100 of partition hopper's nodes h1, h2 \(the catalog's NVIDIA H100 80GB HBM3\)/);
  assert.deepEqual([inv.problems, inv.notes], [[], []]);
  assert.deepEqual(login.calls.map((c) => c[0]), ['sinfo']);
});

test('a node feature names the model where the GRES has no type', async () => {
  const inv = await slurmGpuInventory(loginNode(CLUSTER), slurm({ partition: 'feat', gres: 'gpu:2' }));
  assert.deepEqual(inv.gpus.map((g) => g.name), ['NVIDIA L40S', 'NVIDIA L40S']);
  assert.match(inv.source, /^node feature gpu_l40s of partition feat's nodes f1/);
});

test('a partition whose nodes have different GPUs is a problem: a job could land on either', async () => {
  const inv = await slurmGpuInventory(loginNode(CLUSTER), slurm({ partition: 'mixed' }));
  assert.match(inv.problems.join('\n'), /the nodes of partition mixed have different GPUs \(A100-SXM4-80GB on m1; H100-SXM-80GB on m2\)/);
  // Naming the type in gres settles it.
  const typed = await slurmGpuInventory(loginNode(CLUSTER), slurm({ partition: 'mixed', gres: 'gpu:a100:4' }));
  assert.deepEqual([typed.problems, typed.gpus[0]!.name], [[], 'NVIDIA A100-SXM4-80GB']);
});

test('a count-only GRES is read by nvidia-smi in a job step on a node of the partition, with the host\'s resources', async () => {
  const csv = ['0, NVIDIA A100-SXM4-40GB, 40960, 0, 550.54.15', '1, NVIDIA A100-SXM4-40GB, 40960, 0, 550.54.15', '2, NVIDIA A100-SXM4-40GB, 40960, 0, 550.54.15', '3, NVIDIA A100-SXM4-40GB, 40960, 0, 550.54.15'].join('\n');
  const login = loginNode(CLUSTER, { exitCode: 0, stdout: `node p1\n${csv}\nnvidia-smi exit 0\n| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4 |\n`, stderr: '' });
  const inv = await slurmGpuInventory(login, slurm({ partition: 'plain', account: 'lab', qos: 'short' }));
  assert.deepEqual([inv.gpus.length, inv.gpus[0]!.name, inv.driverVersion, inv.cudaVersion], [4, 'NVIDIA A100-SXM4-40GB', '550.54.15', '12.4']);
  assert.equal(inv.source, 'nvidia-smi on node p1 of partition plain through srun (the GRES gpu:8 of node p1 names no GPU type)');
  const srun = login.calls.find((c) => c[0] === 'srun')!;
  for (const flag of ['--gres=gpu:4', '--partition=plain', '--account=lab', '--qos=short', '--nodes=1', '--time=1']) assert.ok(srun.includes(flag), `${flag} in ${srun.join(' ')}`);
  assert.ok(srun.some((w) => /^--immediate=\d+$/.test(w)), 'the probe never waits in the queue');
});

test('a busy partition skips the probe with a note; the GPU count is still the job\'s', async () => {
  const login = loginNode(CLUSTER, { exitCode: 1, stdout: '', stderr: 'srun: error: Unable to allocate resources: Requested nodes are busy\n' });
  const inv = await slurmGpuInventory(login, slurm({ partition: 'plain', gres: 'gpu:2' }));
  assert.deepEqual(inv.gpus.map((g) => g.name), ['unknown', 'unknown']);
  assert.deepEqual(inv.problems, []);
  assert.match(inv.notes[0]!, /could not start at once \(srun: error: Unable to allocate resources: Requested nodes are busy\), so it was skipped\. Name the type in gres \(e\.g\. "gpu:a100:2"\)/);
});
