import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envArgv, envNameProblem, shellJoin, sshHostNameProblem, sshUserProblem } from '../../../src/core/shell';

test('env names: letters, digits and _ only, not starting with a digit', () => {
  for (const ok of ['A', '_x', 'VLLM_ATTENTION_BACKEND', 'a1']) assert.equal(envNameProblem(ok), undefined, ok);
  for (const bad of ['', '1A', '-S touch /tmp/x', 'A-B', 'A=B', 'A B', 'Ä']) assert.match(envNameProblem(bad) ?? '', /not a valid environment variable name/, bad);
});

test('envArgv: `env --` then the assignments; the values and a command starting with "-" arrive intact through a shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-env-'));
  try {
    const argv = envArgv({ A: "'; touch pwned #", B: '-S touch pwned' }, ['sh', '-c', 'printf "%s|%s" "$A" "$B"']);
    assert.deepEqual(argv.slice(0, 2), ['env', '--']);
    const r = spawnSync('/bin/sh', ['-c', shellJoin(argv)], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.stdout, "'; touch pwned #|-S touch pwned");
    assert.equal(existsSync(join(dir, 'pwned')), false);
    assert.throws(() => envArgv({ '-S touch pwned': '1' }, ['true']), /"-S touch pwned" is not a valid environment variable name/);
    assert.throws(() => envArgv({ A: '1' }, ['X=1']), /contains "="/);
    assert.deepEqual(envArgv({}, ['true']), ['true']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("host names and users follow OpenSSH 9.6's valid_hostname / valid_ruser (CVE-2023-51385)", () => {
  for (const ok of ['gpubox', '10.0.0.5', 'gpu-a100.lab.example', '::1', 'fe80::1%eth0', 'host_1']) assert.equal(sshHostNameProblem(ok), undefined, ok);
  for (const bad of ['y`touch /tmp/pwned`', '$(id)', 'a;b', 'a|b', 'a&b', 'a b', 'a\tb', 'a\nb', '-oProxyCommand=x', "it's", 'a"b', 'a\\b', 'a<b', 'a>b', '{a,b}', '(a)', '']) {
    assert.ok(sshHostNameProblem(bad), bad);
  }
  for (const ok of ['alice', 'first.last', 'DOMAIN\\user', 'a b', 'user$']) assert.equal(sshUserProblem(ok), undefined, ok);
  for (const bad of ['-oProxyCommand=x', 'a -o', 'x`id`', 'a;b', 'a|b', "it's", 'trailing\\', 'a\nb', '']) assert.ok(sshUserProblem(bad), bad);
  assert.match(sshHostNameProblem('y`touch /tmp/pwned`')!, /contains "`"/);
});
