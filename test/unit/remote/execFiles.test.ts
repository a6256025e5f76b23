import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execReadBytes, execReadText, execWriteFile } from '../../../src/core/remote/execFiles';
import { LocalTransport } from '../../../src/core/remote/local';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();
const local = new LocalTransport();
const exec = local.exec.bind(local);

test('files over exec: exact bytes both ways, a new nested directory, the mode, and ENOENT for a missing file', async () => {
  const dir = tempDir('serving-lab-execfiles-');
  const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 256));
  const odd = join(dir, "new dir $(touch pwned) 'q'", 'tool.bin');
  await execWriteFile(exec, 'local', odd, bytes, { mode: 0o750 });
  assert.deepEqual(readFileSync(odd), bytes);
  assert.equal(statSync(odd).mode & 0o777, 0o750);
  assert.deepEqual(await execReadBytes(exec, 'local', odd), bytes);
  await execWriteFile(exec, 'local', join(dir, 'x.txt'), 'héllo\n');
  assert.equal(await execReadText(exec, 'local', join(dir, 'x.txt')), 'héllo\n');
  await assert.rejects(execReadText(exec, 'local', join(dir, 'missing')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && /local: cannot read .*missing: no such file/.test(err.message));
  await assert.rejects(execWriteFile(exec, 'local', '/proc/no/such/dir/x', 'x'), /local: cannot write \/proc\/no\/such\/dir\/x: /);
});
