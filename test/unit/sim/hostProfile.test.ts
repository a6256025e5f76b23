import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostError, simHostSpec } from '../../../src/core/remote/hosts';
import { HostProfile, HostProfileError, loadHostProfile } from '../../../src/core/sim/hostProfile';
import { predictBenchmark } from '../../../src/core/sim/predict';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const VLLM = ['vllm', 'serve', 'zai-org/GLM-4.5-Air', '-tp', '4'];
const SGLANG = ['python3', '-m', 'sglang.launch_server', '--model-path', 'zai-org/GLM-4.5-Air', '--tp-size', '4'];

function tput(argv: string[], profile?: Parameters<typeof HostProfile.parse>[0], launch = 1): number | string {
  const p = predictBenchmark({ gpu: 'A100-SXM4-80GB', count: 4, argv, workload: 'sharegpt:60', ...(profile ? { profile: HostProfile.parse(profile), launch } : {}) });
  return p.metrics?.total_token_throughput ?? p.crash!.rootCause;
}

test('a host profile slows memory, adds one engine’s step overhead, and leaves the other engine alone', () => {
  const vllm = tput(VLLM) as number;
  const sglang = tput(SGLANG) as number;
  assert.ok((tput(VLLM, { memoryBandwidth: 0.7 }) as number) < vllm * 0.95);
  assert.ok((tput(VLLM, { memoryBandwidth: 1.3 }) as number) > vllm * 1.03);
  assert.ok((tput(SGLANG, { stepOverheadS: { sglang: 0.01 } }) as number) < sglang * 0.9);
  assert.equal(tput(VLLM, { stepOverheadS: { sglang: 0.01 } }), vllm);
});

test('noise draws one factor per launch: the same launch number repeats, another differs', () => {
  const a = tput(VLLM, { noisePct: 5, seed: 3 }, 1);
  assert.equal(tput(VLLM, { noisePct: 5, seed: 3 }, 1), a);
  const others = [2, 3, 4, 5].map((l) => tput(VLLM, { noisePct: 5, seed: 3 }, l));
  assert.ok(others.some((v) => v !== a), `${a} ${others.join(' ')}`);
});

test('a crash of the host hits only its engine and its arguments, in either spelling', () => {
  const crashes = [{ engine: 'vllm' as const, args: '--kv-cache-dtype fp8', log: 'RuntimeError: fp8 KV kernels fail on this host' }];
  assert.equal(tput([...VLLM, '--kv-cache-dtype', 'fp8'], { crashes }), 'RuntimeError: fp8 KV kernels fail on this host');
  assert.equal(tput([...VLLM, '--kv-cache-dtype=fp8'], { crashes }), 'RuntimeError: fp8 KV kernels fail on this host');
  assert.equal(typeof tput(VLLM, { crashes }), 'number');
  assert.equal(typeof tput([...SGLANG, '--kv-cache-dtype', 'fp8_e5m2'], { crashes: [{ engine: 'vllm', args: '--kv-cache-dtype fp8_e5m2' }] }), 'number');
});

test('memory reserved on the host makes a launch that fits the datasheet run out of memory', () => {
  assert.equal(typeof tput(VLLM), 'number');
  assert.match(String(tput(VLLM, { reservedGiB: 40 })), /out of memory|memory/i);
});

test('a profile file is checked with its position; sim:GPU:N?profile=FILE carries it to the host spec', () => {
  const dir = tempDir('sl-profile-');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'memoryBandwidth: 0.8\nstepOverhead: { vllm: 0.002 }\n');
  assert.throws(() => loadHostProfile(bad), (err: Error) => err instanceof HostProfileError && /bad\.yaml:2:1: .*stepOverhead/.test(err.message));
  const good = join(dir, 'host.yaml');
  writeFileSync(good, 'memoryBandwidth: 0.8\nnoisePct: 2\n');
  assert.deepEqual(loadHostProfile(good), HostProfile.parse({ memoryBandwidth: 0.8, noisePct: 2 }));
  const spec = simHostSpec(`sim:A100-SXM4-80GB:4?profile=${good}`)!;
  assert.deepEqual(spec.transport, { kind: 'sim', gpu: 'A100-SXM4-80GB', count: 4, speedup: 1, profile: good });
  assert.notEqual(spec.workDir, simHostSpec('sim:A100-SXM4-80GB:4')!.workDir);
  assert.throws(() => simHostSpec(`sim:A100-SXM4-80GB:4?profile=${join(dir, 'missing.yaml')}`), HostError);
});
