import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../../src/core/remote/local';

test('local transport: exact argv, env on top of the base env, cwd, stdin, exit codes, missing program and dir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-local-'));
  try {
    const t = new LocalTransport('local', { BASE: 'b' });
    const r = await t.exec(['sh', '-c', 'printf "%s|%s|%s|" "$1" "$BASE" "$EXTRA"; pwd; cat; exit 3', 'sh', "a 'b' $(c)"], { env: { EXTRA: 'e' }, cwd: dir, stdin: 'in' });
    assert.deepEqual([r.exitCode, r.stdout], [3, `a 'b' $(c)|b|e|${dir}\nin`]);
    const missing = await t.exec(['no-such-program-xyz']);
    assert.equal(missing.exitCode, 127);
    assert.match(missing.stderr, /no-such-program-xyz: command not found/);
    const noDir = await t.exec(['true'], { cwd: join(dir, 'nope') });
    assert.equal(noDir.exitCode, 1);
    assert.match(noDir.stderr, /No such file or directory/);
    await t.writeFile(join(dir, 'a', 'b.txt'), 'x');
    assert.equal(await t.readFile(join(dir, 'a', 'b.txt')), 'x');
    const controller = new AbortController();
    const slow = t.exec(['sleep', '30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    assert.equal((await slow).exitCode, null, 'aborted commands are killed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
