import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FIXTURE_EXPERIMENT_ID, FIXTURE_STORE, GOLDEN_DIR } from './fixture';

// The built bundle, as a user runs it (`npm test` builds first).
const CLI = resolve('dist/cli.js');
const STORE = resolve(FIXTURE_STORE);

function inTempDir(fn: (dir: string, cli: (...args: string[]) => SpawnSyncReturns<string>) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-report-cli-'));
  try {
    fn(dir, (...args) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('report prints the page on stdout (the golden page) and writes the chart; "latest" finds the experiment', () => {
  inTempDir((dir, cli) => {
    const r = cli('report', 'latest', '--results', STORE, '--assets', 'assets');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(GOLDEN_DIR, 'report.md'), 'utf8'));
    assert.equal(readFileSync(join(dir, 'assets', `${FIXTURE_EXPERIMENT_ID}-throughput.svg`), 'utf8'), readFileSync(join(GOLDEN_DIR, 'chart.svg'), 'utf8'));
    assert.match(r.stderr, /^chart: .*assets\/x-20251106-091500-glm45a-throughput\.svg$/m);
  });
});

test('report --out --json: JSON only on stdout, the chart next to the page by default', () => {
  inTempDir((dir, cli) => {
    const r = cli('report', FIXTURE_EXPERIMENT_ID, '--results', STORE, '--out', 'docs/perf/page.md', '--json');
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json, {
      experiment: FIXTURE_EXPERIMENT_ID,
      chartFile: join(dir, 'docs/perf', `${FIXTURE_EXPERIMENT_ID}-throughput.svg`),
      outFile: join(dir, 'docs/perf/page.md'),
      inserted: null,
    });
    assert.match(readFileSync(json.outFile, 'utf8'), new RegExp(`^!\\[[^\\]]+\\]\\(${FIXTURE_EXPERIMENT_ID}-throughput\\.svg\\)$`, 'm'));
    assert.ok(existsSync(json.chartFile));
  });
});

test('report: usage errors exit 2, missing data exits 1, both say what to do', () => {
  inTempDir((_dir, cli) => {
    const region = cli('report', FIXTURE_EXPERIMENT_ID, '--results', STORE, '--region', 'x');
    assert.equal(region.status, 2);
    assert.match(region.stderr, /--region needs --insert-into FILE/);
    const badRegion = cli('report', FIXTURE_EXPERIMENT_ID, '--results', STORE, '--insert-into', 'a.md', '--region', 'no spaces');
    assert.equal(badRegion.status, 2);
    assert.match(badRegion.stderr, /--region "no spaces" must start with a letter or digit/);
    const missing = cli('report', 'x-nope', '--results', STORE);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no experiment "x-nope" in .*store; `serving-lab results list --experiments` shows what is stored/);
    const empty = cli('report', 'latest');
    assert.equal(empty.status, 1);
    assert.match(empty.stderr, /no experiments in .*\.serving-lab; run a tuning plan first, or pass --results DIR/);
    assert.equal(cli('report').status, 2);
  });
});
