// "After a tuning run, one command writes a page that builds cleanly": the real experiment runner (with the tuner's
// fake backend carrying the reference study's numbers and crashes) fills a real results store, `serving-lab report
// latest` writes the page from it, and mkdocs-material builds it in --strict mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseServeCommand } from '../../../src/core/engines/index';
import { loadPlanFile } from '../../../src/core/plan/load';
import { splitShellWords } from '../../../src/core/shell';
import { openResultsStore } from '../../../src/core/results/store';
import { runExperiment } from '../../../src/core/tune/experiment';
import { FakeBackend } from '../../unit/tune/fakeBackend';

test('a tuning run of the reference plan, then `serving-lab report latest`, gives a page mkdocs-material builds strictly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'serving-lab-tuned-'));
  try {
    const loaded = await loadPlanFile('examples/glm-4.5-air-a100.plan.yaml');
    assert.ok(loaded.ok);
    const store = openResultsStore(join(dir, '.serving-lab'));
    const experiment = await runExperiment({ plan: loaded.plan, backend: new FakeBackend(), store, signal: new AbortController().signal, parseCommand: parseServeCommand });
    assert.equal(experiment.status, 'completed');

    mkdirSync(join(dir, 'docs'));
    const report = spawnSync(process.execPath, [resolve('dist/cli.js'), 'report', 'latest', '--out', 'docs/index.md'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(report.status, 0, report.stderr);
    const markdown = readFileSync(join(dir, 'docs/index.md'), 'utf8');
    assert.match(markdown, new RegExp(`^!\\[[^\\]]+\\]\\(${experiment.id}-throughput\\.svg\\)$`, 'm'));
    const tip = /\?\?\?\+ tip "Serving Command"\n {4}```bash\n([\s\S]*?)\n {4}```/.exec(markdown)?.[1] ?? assert.fail('no serving command');
    // Wrapped over lines like the reference, the same words as the command the runner recommends.
    assert.deepEqual(splitShellWords(tip.replace(/^ {4}/gm, '').replace(/ \\\n/g, ' ')), splitShellWords(experiment.recommendation!.command));

    writeFileSync(join(dir, 'mkdocs.yml'), 'site_name: tuned\ntheme:\n  name: material\n  font: false\nplugins: []\nmarkdown_extensions:\n  - admonition\n  - pymdownx.details\n  - pymdownx.superfences\n  - tables\n');
    const build = spawnSync('mkdocs', ['build', '--strict'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.ifError(build.error && new Error(`cannot run mkdocs (${build.error.message}); install the Debian packages mkdocs, mkdocs-material and python3-pymdownx (.ci/run does)`));
    assert.equal(build.status, 0, `${build.stdout}\n${build.stderr}`);
    assert.doesNotMatch(build.stderr, /^WARNING/m);

    const html = readFileSync(join(dir, 'site/index.html'), 'utf8');
    const closedBlocks = (markdown.match(/^\?\?\? info "/gm) ?? []).length;
    assert.ok(closedBlocks >= 20, `only ${closedBlocks} collapsible blocks`);
    assert.equal((html.match(/<details class="info">/g) ?? []).length, closedBlocks);
    assert.equal((html.match(/<details class="tip" open="open">\s*<summary>Serving Command<\/summary>/g) ?? []).length, 1);
    assert.equal((html.match(/<div class="admonition note">\s*<p class="admonition-title">Note<\/p>/g) ?? []).length, 1);
    assert.equal((html.match(/<table>/g) ?? []).length, 2);
    assert.match(html, new RegExp(`<img alt="[^"]+" src="${experiment.id}-throughput\\.svg" />`));
    assert.match(readFileSync(join(dir, 'site', `${experiment.id}-throughput.svg`), 'utf8'), /^<svg /);
    // Every crash the runner recorded is in the page with its root cause.
    const crashes = experiment.stages.flatMap((s) => s.options).flatMap((o) => (o.outcome?.kind === 'crashed' ? [o.outcome.crash.rootCause] : []));
    assert.equal(crashes.length, 3);
    for (const rootCause of crashes) assert.ok(markdown.includes(`    # Crash. ${rootCause}\n`), rootCause);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
