import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostSpec } from '../../../src/core/plan/schema';
import { jobScript, parseGpuGres, parseSacct, parseSinfo, parseSqueue, pastTimeLimit, sbatchArgv, slurmSeconds } from '../../../src/core/remote/slurm';

const slurmHost = (transport: Record<string, unknown>) => HostSpec.safeParse({ name: 'cluster', transport: { kind: 'slurm', gres: 'gpu:4', ...transport } });

test('a Slurm host takes partition, account, QOS, time limit, GRES, constraint, container and maxParallel', () => {
  const r = slurmHost({ alias: 'login1', partition: 'gpu', account: 'proj-1', qos: 'normal', timeLimit: '1-02:00:00', gres: 'gpu:a100:4', constraint: 'a100&nvlink', container: '/images/vllm.sif', maxParallel: 2 });
  assert.ok(r.success, JSON.stringify(r.error?.issues));
  assert.equal(r.data.transport.kind, 'slurm');
});

test('Slurm names that are not names are refused with what was expected', () => {
  for (const [key, value] of [
    ['partition', 'gpu; rm -rf ~'],
    ['account', '$(id)'],
    ['qos', '--wrap=id'],
    ['timeLimit', '2 hours'],
    ['gres', 'gpu:4 --wrap=id'],
    ['constraint', 'a100`id`'],
    ['container', 'img;id'],
  ] as const) {
    const r = slurmHost({ [key]: value });
    assert.equal(r.success, false, `${key}=${value} was accepted`);
    assert.match(r.error!.issues[0]!.message, /expected/, key);
  }
});

test('sbatch gets every value as its own word, and only the options the host sets', () => {
  const host = slurmHost({ partition: 'gpu', qos: 'high', timeLimit: '00:30:00' });
  assert.ok(host.success);
  const t = host.data.transport;
  assert.ok(t.kind === 'slurm');
  const argv = sbatchArgv(t, { name: 'serving-lab-vllm-1', dir: '/work/runs/vllm 1' }, '/work/runs/vllm 1/job.sh');
  assert.deepEqual(argv, ['sbatch', '--parsable', '--job-name=serving-lab-vllm-1', '--chdir=/work/runs/vllm 1', '--output=/work/runs/vllm 1/slurm-%j.out', '--nodes=1', '--ntasks=1', '--gres=gpu:4', '--time=00:30:00', '--partition=gpu', '--qos=high', '/work/runs/vllm 1/job.sh']);
  assert.deepEqual(parseGpuGres(t.gres), [{ count: 4 }]);
});

test('the job script runs the engine argv exactly, whatever its words contain', () => {
  const host = slurmHost({});
  assert.ok(host.success && host.data.transport.kind === 'slurm');
  const dir = mkdtempSync(join(tmpdir(), 'sl-slurm-script-'));
  try {
    // A fake "engine" that prints its argv and one env var: the words must arrive untouched, and nothing may run.
    const engine = join(dir, 'engine');
    writeFileSync(engine, '#!/bin/sh\nfor a in "$@"; do printf "<%s>\\n" "$a"; done\nprintf "X=<%s>\\n" "$X"\n', { mode: 0o755 });
    const hostile = ["it's", '$(touch pwned)', '`touch pwned`', 'a b', '--port', '8000'];
    const script = jobScript(host.data.transport, { name: 'n', dir, argv: [engine, ...hostile], env: { X: '$HOME; touch pwned' } });
    writeFileSync(join(dir, 'job.sh'), script);
    execFileSync('sh', [join(dir, 'job.sh')], { cwd: dir });
    const log = readFileSync(join(dir, 'engine.log'), 'utf8');
    assert.equal(log, `${hostile.map((w) => `<${w}>`).join('\n')}\nX=<$HOME; touch pwned>\n`);
    assert.equal(readFileSync(join(dir, 'exit'), 'utf8').trim(), '0');
    assert.throws(() => readFileSync(join(dir, 'pwned')), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an Apptainer image wraps the engine in apptainer exec; another image goes through pyxis', () => {
  for (const [container, first] of [['/img/vllm.sif', 'apptainer'], ['nvcr.io#nvidia/vllm:25.09', 'srun']] as const) {
    const host = slurmHost({ container });
    assert.ok(host.success && host.data.transport.kind === 'slurm');
    const script = jobScript(host.data.transport, { name: 'n', dir: '/w', argv: ['vllm', 'serve', 'm'], env: {} });
    const line = script.split('\n').find((l) => l.includes('vllm serve m'))!;
    assert.ok(line.startsWith(`${first} `), line);
  }
});

test('squeue and sacct lines become job states, with pending reasons and nodes', () => {
  const q = parseSqueue('4|serving-lab-a|PENDING|Resources|(Resources)|0:00|1:00:00|gres:gpu:4\n2|serving-lab-b|RUNNING|None|vm|0:12|1:00:00|gres:gpu:4\n');
  assert.deepEqual(q[0], { id: '4', name: 'serving-lab-a', state: 'PENDING', reason: 'Resources', elapsed: '0:00', timeLimit: '1:00:00', gres: 'gres:gpu:4' });
  assert.equal(q[1]!.node, 'vm');
  assert.equal(q[1]!.reason, undefined);
  const a = parseSacct('7|serving-lab-c|TIMEOUT|0:0|vm|00:01:04\n8|x|CANCELLED by 0|0:15|vm|00:00:03\n');
  assert.equal(a[0]!.state, 'TIMEOUT');
  assert.equal(a[1]!.state, 'CANCELLED');
  assert.equal(a[1]!.exitCode, '0:15');
});

test('sinfo lines become partitions with GPU types and counts per node', () => {
  const parts = parseSinfo('gpu*|up|2|gpu:a100:8(S:0-1)|idle|2-00:00:00\ngpu*|up|1|gpu:a100:8(S:0-1)|mixed|2-00:00:00\nh100|up|4|gpu:h100:4,shard:8|idle|1-00:00:00\ncpu|up|10|(null)|idle|infinite\n');
  assert.deepEqual(parts[0], { partition: 'gpu', isDefault: true, available: true, nodes: 3, gpus: [{ type: 'a100', perNode: 8 }], timeLimit: '2-00:00:00', states: ['idle', 'mixed'] });
  assert.deepEqual(parts[1]!.gpus, [{ type: 'h100', perNode: 4 }]);
  assert.deepEqual(parts[2]!.gpus, []);
  assert.deepEqual(parseSinfo('debug*|up|1|gpu:8|idle|infinite')[0]!.gpus, [{ type: '(any)', perNode: 8 }]);
});

test('a running job whose elapsed time reached its limit is past its time limit; UNLIMITED never is', () => {
  assert.equal(slurmSeconds('1-02:03:04'), 93784);
  assert.equal(slurmSeconds('3:04'), 184);
  assert.equal(slurmSeconds('UNLIMITED'), undefined);
  assert.equal(pastTimeLimit({ id: '1', state: 'RUNNING', elapsed: '1:00', timeLimit: '1:00' }), true);
  assert.equal(pastTimeLimit({ id: '1', state: 'RUNNING', elapsed: '59:59', timeLimit: '1:00:00' }), false);
  assert.equal(pastTimeLimit({ id: '1', state: 'RUNNING', elapsed: '5:00', timeLimit: 'UNLIMITED' }), false);
  assert.equal(pastTimeLimit({ id: '1', state: 'PENDING', elapsed: '0:00', timeLimit: '0:00' }), false);
});
