import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// The built bundle, as a user runs it (`npm test` builds first).
const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

test('--version prints the package version', () => {
  const r = cli('--version');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
});

test('--help lists the commands; no command is a usage error', () => {
  const r = cli('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /plan validate/);
  assert.match(r.stdout, /Exit codes: 0 success, 1 the work failed, 2 usage error/);
  assert.equal(cli().status, 2);
});

test('plan validate: exit 0 on the example, exit 1 with one positioned line per problem', () => {
  const ok = cli('plan', 'validate', 'examples/glm-4.5-air-a100.plan.yaml');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, '');
  const bad = cli('plan', 'validate', 'test/fixtures/plans/broken.plan.yaml');
  assert.equal(bad.status, 1);
  const lines = bad.stdout.trim().split('\n');
  assert.equal(lines.length, 6);
  for (const line of lines) assert.match(line, /^test\/fixtures\/plans\/broken\.plan\.yaml:\d+:\d+: \S/);
  const json = cli('plan', 'validate', '--json', 'test/fixtures/plans/broken.plan.yaml', 'examples/glm-4.5-air-a100.plan.yaml');
  assert.equal(json.status, 1);
  const reports = JSON.parse(json.stdout);
  assert.deepEqual(reports.map((r: { ok: boolean }) => r.ok), [false, true]);
  assert.equal(reports[0].problems[0].line, 18);
});

test('unknown commands and flags are usage errors (exit 2) that say what to do', () => {
  const cmd = cli('plan', 'frob');
  assert.equal(cmd.status, 2);
  assert.match(cmd.stderr, /unknown command "plan frob"; "plan" has: validate, schema/);
  const flag = cli('plan', 'validate', '--bogus', 'x.yaml');
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /unknown option --bogus; see `serving-lab plan validate --help`/);
  const missing = cli('plan', 'validate');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /missing FILE/);
});

test('plan schema prints the JSON Schema', () => {
  const r = cli('plan', 'schema');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, readFileSync('media/plan.schema.json', 'utf8'));
});

test('every command --help lists its flags', () => {
  const r = cli('plan', 'validate', '--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: serving-lab plan validate \[options\] FILE…/);
  assert.match(r.stdout, /--json/);
});

test('a command group without a command prints its commands', () => {
  const help = cli('engine', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: serving-lab engine <command>/);
  assert.match(help.stdout, /engine start/);
  assert.match(help.stdout, /engine stop/);
  const bare = cli('hosts');
  assert.equal(bare.status, 2, 'no command is a usage error, with the group help');
  assert.match(bare.stdout, /hosts check/);
  const wrong = cli('engine', 'frob');
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /unknown command "engine frob"; "engine" has: start, list, status, logs, stop/);
});
