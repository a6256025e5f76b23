import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError, listHosts, loadHostsFile, resolveHost, simHostSpec } from '../../../src/core/remote/hosts';
import { parseGpuCsv } from '../../../src/core/remote/gpuQuery';

test('sim and sim:GPU:COUNT are built-in hosts', () => {
  const sim = simHostSpec('sim')!;
  assert.deepEqual(sim.transport, { kind: 'sim', gpu: 'A100-SXM4-80GB', count: 4, speedup: 1 });
  assert.deepEqual(simHostSpec('sim:H100-SXM-80GB:8')!.transport, { kind: 'sim', gpu: 'H100-SXM-80GB', count: 8, speedup: 1 });
  assert.equal(simHostSpec('simon'), undefined);
});

test('the hosts file adds hosts; ssh config aliases are listed after; errors name file:line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-hosts-'));
  try {
    writeFileSync(join(dir, 'serving-lab.hosts.yaml'), 'hosts:\n  - name: gpubox\n    transport: { kind: ssh, alias: gpubox }\n    engines:\n      vllm: { docker: { image: vllm/vllm-openai:v0.11.0 } }\n    workDir: /data/sl\n');
    writeFileSync(join(dir, 'ssh_config'), 'Host gpubox other\n  HostName 10.0.0.1\nHost *\n  User x\n');
    const hosts = listHosts({ cwd: dir, sshConfig: join(dir, 'ssh_config') });
    assert.deepEqual(hosts.map((h) => [h.name, h.source]), [['sim', 'built-in'], ['gpubox', 'hosts-file'], ['other', 'ssh-config']]);
    const box = resolveHost('gpubox', { cwd: dir });
    assert.equal(box.engines.vllm?.docker?.image, 'vllm/vllm-openai:v0.11.0');
    assert.equal(box.workDir, '/data/sl');
    assert.deepEqual(resolveHost('alice@h.example', { cwd: dir }).transport, { kind: 'ssh', alias: 'h.example', user: 'alice' });

    writeFileSync(join(dir, 'bad.yaml'), 'hosts:\n  - name: a\n    transport: { kind: ssh, alias: a }\n  - name: b\n    transport: { kind: telnet }\n');
    assert.throws(() => loadHostsFile(join(dir, 'bad.yaml')), (e: Error) => e instanceof HostError && /bad\.yaml:5:\d+: hosts\[1\]\.transport/.test(e.message));
    writeFileSync(join(dir, 'dup.yaml'), 'hosts:\n  - name: a\n    transport: { kind: local }\n  - name: a\n    transport: { kind: local }\n');
    assert.throws(() => loadHostsFile(join(dir, 'dup.yaml')), /dup\.yaml:4:\d+: hosts\[1\]\.name: host "a" is defined twice/);
    assert.throws(() => resolveHost('x', { cwd: dir, hostsFile: 'missing.yaml' }), /hosts file .*missing\.yaml does not exist/);
    assert.throws(() => resolveHost('bad name;', { cwd: dir }), /not a known host/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nvidia-smi CSV (with or without units) becomes GpuInfo', () => {
  const csv = '0, NVIDIA A100-SXM4-80GB, 81920, 4, 570.172.08\n1, NVIDIA A100-SXM4-80GB, 81920 MiB, 70000 MiB, 570.172.08\n';
  const { gpus, driverVersion } = parseGpuCsv(csv);
  assert.equal(driverVersion, '570.172.08');
  assert.deepEqual(gpus[1], { index: 1, name: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920, memoryUsedMiB: 70000 });
});
