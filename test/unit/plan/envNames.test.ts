// Environment variable names reach `env NAME=VALUE` on the host: a bad one is refused when the file is loaded, at its
// line:col, in plans, variant files, hosts files and pasted commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServeCommand } from '../../../src/core/engines/index';
import { formatProblem, parsePlan } from '../../../src/core/plan/load';
import { loadHostsFile } from '../../../src/core/remote/hosts';
import { useTempDirs } from '../../support/tempDirs';

const tempDir = useTempDirs();

test('a plan: a bad env name in a stage option is reported at its own line:col and full path', () => {
  const example = readFileSync('examples/glm-4.5-air-a100.plan.yaml', 'utf8');
  const planted = example.replace('patch: { attentionBackend: triton }', 'patch: { attentionBackend: triton, env: { OK_NAME: "1", "-S touch /tmp/x": "1" } }');
  const lines = planted.split('\n');
  const line = lines.findIndex((l) => l.includes('-S touch')) + 1;
  const r = parsePlan(planted, 'p.yaml');
  assert.ok(!r.ok);
  assert.equal(r.problems.length, 1, r.problems.map(formatProblem).join('\n'));
  const p = r.problems[0]!;
  assert.equal(p.line, line);
  assert.equal(p.column, lines[line - 1]!.indexOf('"-S touch') + 1, 'the column of the name itself');
  assert.equal(p.path, 'stages[3].options[1].patch.env.-S touch /tmp/x');
  assert.match(p.message, /"-S touch \/tmp\/x" is not a valid environment variable name/);
});

test('a variant file: `engine start --variant` refuses a bad env name with file:line:col and runs nothing', () => {
  const dir = tempDir('serving-lab-envname-');
  const marker = join(dir, 'pwned');
  const file = join(dir, 'variant.yaml');
  writeFileSync(file, `engine: vllm\nmodel: m\nenv:\n  "-S touch ${marker}": "1"\n`);
  const r = spawnSync(process.execPath, ['dist/cli.js', 'engine', 'start', '--host', 'sim', '--variant', file], {
    encoding: 'utf8',
    env: { ...process.env, SERVING_LAB_HOME: join(dir, 'home') },
    timeout: 60_000,
  });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:3: env\\.-S touch .*: ".*" is not a valid environment variable name`));
  assert.equal(existsSync(marker), false);
});

test('a hosts file: a bad env name of an engine install is refused at its position', () => {
  const dir = tempDir('serving-lab-envname-');
  const file = join(dir, 'hosts.yaml');
  writeFileSync(file, 'hosts:\n  - name: box\n    transport: { kind: local }\n    engines:\n      vllm: { env: { "A;B": "1" } }\n');
  assert.throws(() => loadHostsFile(file), /hosts\.yaml:5:\d+: hosts\[0\]\.engines\.vllm\.env\.A;B: "A;B" is not a valid environment variable name/);
});

test('a pasted command: docker -e with a bad name is refused, naming it', () => {
  assert.throws(() => parseServeCommand(['docker', 'run', '-e', '-S touch /tmp/x=1', 'vllm/vllm-openai:v0.11.0', 'm']), /"-S touch \/tmp\/x" is not a valid environment variable name/);
});
