import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { remoteCommandLine } from '../../../src/core/remote/transport';
import { shellJoin, shellPath } from '../../../src/core/shell';

const hostile = ["it's", '"dq"', '; echo PWNED', '$(echo PWNED)', '`echo PWNED`', 'a\nb', ' sp ', '', '*', '$HOME', '\\', '-e', '~'];

test('shellJoin: /bin/sh hands every hostile word to the program unchanged', () => {
  const r = spawnSync('/bin/sh', ['-c', `printf '%s\\0' ${shellJoin(hostile)}`], { encoding: 'utf8' });
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), hostile);
});

test('remoteCommandLine quotes env values and cwd; ~/ in cwd means $HOME', () => {
  const line = remoteCommandLine(['printf', '%s|%s', '$X'], { env: { X: "'; echo PWNED #" }, cwd: '~/' });
  const r = spawnSync('/bin/sh', ['-c', `mkdir -p "$HOME" && ${line}; printf '|%s' "$X"`], { encoding: 'utf8' });
  assert.equal(r.stdout, '$X||');
  assert.equal(shellPath('~/a b'), `"$HOME"/'a b'`);
  const envLine = remoteCommandLine(['sh', '-c', 'printf %s "$X"'], { env: { X: "'; echo PWNED #" } });
  assert.equal(spawnSync('/bin/sh', ['-c', envLine], { encoding: 'utf8' }).stdout, "'; echo PWNED #");
});

test('remoteCommandLine refuses bad environment names and commands env would misread', () => {
  assert.throws(() => remoteCommandLine(['x'], { env: { 'A;B': '1' } }), /not a valid environment variable name/);
  assert.throws(() => remoteCommandLine(['A=1'], { env: { B: '1' } }), /contains "="/);
  assert.throws(() => remoteCommandLine([]), /argv is empty/);
});
