// The generated page through the real toolchain: `serving-lab report` (the built CLI) writes the reference study's
// page and chart, inserts it into a document twice, Debian's mkdocs + mkdocs-material + pymdownx build the site in
// --strict mode, and chromium (playwright-core) reads the rendered DOM. The same page rendered by the markdown-it
// preview plugin must have the same structure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import MarkdownIt from 'markdown-it';
import { chromium, type Browser } from 'playwright-core';
import type { Experiment } from '../../../src/core/plan/schema';
import { admonitionPlugin } from '../../../src/core/report/markdownIt';

const EXPERIMENT = 'x-20251106-091500-glm45a';
const STORE = resolve('test/fixtures/report/store');
const CLI = resolve('dist/cli.js');
const USER_DOC = '# GLM-4.5-Air serving notes\n\nWritten by hand; Serving Lab must not touch this line.  \n\n## Findings\n\n';
const USER_TAIL = '\n## Appendix\n\nAlso hand-written.\n';

let dir: string;
let browser: Browser;
let cliJson: { chartFile: string; outFile: string };

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'serving-lab-mkdocs-'));
  mkdirSync(join(dir, 'docs'));
  const written = cli('report', EXPERIMENT, '--results', STORE, '--out', 'docs/report.md', '--assets', 'docs/assets', '--json');
  assert.equal(written.status, 0, written.stderr);
  cliJson = JSON.parse(written.stdout);
  browser = await chromium.launch({ executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PageStructure {
  headings: string[];
  details: Array<{ open: boolean; cls: string; summary: string; code: string }>;
  admonitions: Array<{ cls: string; title: string; items: string[] }>;
  tables: string[][][];
  images: Array<{ src: string; loaded: boolean }>;
}

// Runs in the page. A string, so the test needs no DOM typings.
const EXTRACT = `(() => {
  const root = document.querySelector('article') || document.body;
  const text = (el) => (el ? el.textContent.trim() : '');
  return {
    headings: [...root.querySelectorAll('h1, h2, h3')].map((h) => text(h).replace(/¶$/, '')),
    details: [...root.querySelectorAll('details')].map((d) => ({
      open: d.open, cls: d.className, summary: text(d.querySelector(':scope > summary')), code: text(d.querySelector('code')),
    })),
    admonitions: [...root.querySelectorAll('div.admonition')].map((a) => ({
      cls: a.className, title: text(a.querySelector('.admonition-title')), items: [...a.querySelectorAll('li')].map(text),
    })),
    tables: [...root.querySelectorAll('table')].map((t) => [...t.rows].map((r) => [...r.cells].map((c) => c.innerText.trim()))),
    images: [...root.querySelectorAll('img')].map((i) => ({ src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0 })),
  };
})()`;

async function structureOf(file: string): Promise<PageStructure> {
  const page = await browser.newPage();
  try {
    await page.goto(pathToFileURL(file).href);
    await page.waitForLoadState('load');
    return (await page.evaluate(EXTRACT)) as PageStructure;
  } finally {
    await page.close();
  }
}

function mkdocsBuild(): void {
  writeFileSync(
    join(dir, 'mkdocs.yml'),
    [
      'site_name: Serving Lab report check',
      'theme:',
      '  name: material',
      '  font: false', // no Google Fonts: the build and the page stay offline
      'plugins: []',
      'markdown_extensions:',
      '  - admonition',
      '  - pymdownx.details',
      '  - pymdownx.superfences',
      '  - tables',
      'nav:',
      '  - index.md',
      '  - report.md',
      '',
    ].join('\n'),
  );
  const build = spawnSync('mkdocs', ['build', '--strict'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  assert.ifError(build.error && new Error(`cannot run mkdocs (${build.error.message}); install the Debian packages mkdocs, mkdocs-material and python3-pymdownx (.ci/run does)`));
  assert.equal(build.status, 0, `mkdocs build --strict failed:\n${build.stdout}\n${build.stderr}`);
  assert.doesNotMatch(build.stderr, /^WARNING/m, build.stderr);
}

test('report --insert-into: the region goes into a hand-written doc; running it again changes nothing', () => {
  writeFileSync(join(dir, 'docs/index.md'), USER_DOC);
  const first = cli('report', EXPERIMENT, '--results', STORE, '--insert-into', 'docs/index.md', '--region', 'glm-a100', '--assets', 'docs/assets');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /inserted region "glm-a100" into .*docs\/index\.md/);
  let doc = readFileSync(join(dir, 'docs/index.md'), 'utf8');
  assert.ok(doc.startsWith(USER_DOC));
  assert.match(doc, /<!-- serving-lab:begin glm-a100 -->\n\n# Optimizing GLM-4\.5-Air Throughput/);
  // The user keeps writing after the region; an update must not touch that either.
  writeFileSync(join(dir, 'docs/index.md'), doc + USER_TAIL);
  doc = readFileSync(join(dir, 'docs/index.md'), 'utf8');
  const second = cli('report', EXPERIMENT, '--results', STORE, '--insert-into', 'docs/index.md', '--region', 'glm-a100', '--assets', 'docs/assets');
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /region "glm-a100" in .* is already up to date/);
  assert.equal(readFileSync(join(dir, 'docs/index.md'), 'utf8'), doc);
  // The same page as --out, apart from nothing: both sit in docs/ and link the same chart.
  assert.ok(doc.includes(readFileSync(join(dir, 'docs/report.md'), 'utf8')));

  const broken = join(dir, 'broken.md');
  writeFileSync(broken, 'text\n<!-- serving-lab:end glm-a100 -->\n');
  const bad = cli('report', EXPERIMENT, '--results', STORE, '--insert-into', broken, '--region', 'glm-a100');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /broken\.md:2: "<!-- serving-lab:end glm-a100 -->" has no matching/);
  assert.equal(readFileSync(broken, 'utf8'), 'text\n<!-- serving-lab:end glm-a100 -->\n');
  rmSync(broken);
});

test('mkdocs-material builds the page in --strict mode: open tip, closed result blocks, note, tables, chart', async () => {
  assert.equal(cliJson.outFile, join(dir, 'docs/report.md'));
  assert.equal(cliJson.chartFile, join(dir, 'docs/assets', `${EXPERIMENT}-throughput.svg`));
  mkdocsBuild();
  const site = await structureOf(join(dir, 'site/report/index.html'));

  const tips = site.details.filter((d) => d.open);
  assert.equal(tips.length, 1);
  assert.deepEqual(tips[0], {
    open: true,
    cls: 'tip',
    summary: 'Serving Command',
    code: 'python3 -m sglang.launch_server --model-path zai-org/GLM-4.5-Air --tp-size 4 \\\n    --ep-size 4 --tool-call-parser glm --reasoning-parser glm45',
  });
  const closed = site.details.filter((d) => !d.open);
  assert.equal(closed.length, 22);
  for (const d of closed) assert.equal(d.cls, 'info');
  const results = closed.filter((d) => /^(Benchmark result|Baseline benchmark results|Optimized benchmark results)$/.test(d.summary));
  assert.equal(results.length, 11);
  for (const r of results) assert.match(r.code, /^(=+ Serving Benchmark Result =+|# Crash\. |# Very Long Prompt\n=+ Serving Benchmark Result)/);
  assert.equal(results.filter((r) => r.code.startsWith('# Crash.')).length, 3);

  assert.equal(site.admonitions.length, 1);
  assert.equal(site.admonitions[0]!.cls, 'admonition note');
  assert.equal(site.admonitions[0]!.title, 'Note');
  assert.equal(site.admonitions[0]!.items.length, 5);
  assert.match(site.admonitions[0]!.items[3]!, /^Latency regression: Mean TPOT got worse/);

  assert.equal(site.tables.length, 2);
  const [comparison, summary] = site.tables as [string[][], string[][]];
  assert.deepEqual(comparison[0], ['Benchmark Case', 'Baseline (vLLM)', 'Optimized (SGLang, TP4+EP4)']);
  assert.deepEqual(comparison.map((r) => r[0]), ['Benchmark Case', 'ShareGPT', 'Very Long Prompt', 'Long Prompt', 'Medium Prompt', 'Short Prompt']);
  assert.deepEqual(comparison[1], ['ShareGPT', 'Total TPS: 3903.44\nMean TPOT(ms): 104.59', 'Total TPS: 6245.77 (+60.0%)\nMean TPOT(ms): 309.31 (+195.7%, regression)']);
  assert.deepEqual(summary, [
    ['Optimization Option', 'Throughput Improvement'],
    ['Engine', '+57.8%'],
    ['Quantization', '-'],
    ['Parallelism', '+1.4% (within noise)'],
    ['Attention backend', '-'],
    ['CUDA graph', '-'],
  ]);

  assert.equal(site.images.length, 1);
  assert.equal(site.images[0]!.src, `../assets/${EXPERIMENT}-throughput.svg`);
  assert.ok(site.images[0]!.loaded, 'the chart is copied into the site and loads');
  assert.ok(existsSync(join(dir, 'site/assets', `${EXPERIMENT}-throughput.svg`)));

  // The inserted copy builds too, with the same blocks.
  const index = await structureOf(join(dir, 'site/index.html'));
  assert.deepEqual(index.details, site.details);
  assert.ok(index.images[0]!.loaded);
});

test('the markdown-it preview plugin renders the same page with the same structure as mkdocs-material', async () => {
  const markdown = readFileSync(join(dir, 'docs/report.md'), 'utf8');
  const html = admonitionPlugin(new MarkdownIt({ html: true })).render(markdown);
  const css = pathToFileURL(resolve('media/preview/admonitions.css')).href;
  writeFileSync(join(dir, 'docs/preview.html'), `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="${css}"></head><body>${html}</body></html>`);
  const preview = await structureOf(join(dir, 'docs/preview.html'));
  const site = await structureOf(join(dir, 'site/report/index.html'));
  assert.deepEqual(preview.details, site.details);
  assert.deepEqual(preview.admonitions, site.admonitions);
  assert.deepEqual(preview.tables, site.tables);
  assert.deepEqual(preview.headings, site.headings);
  assert.equal(preview.images.length, 1);
  assert.ok(preview.images[0]!.loaded);

  // The preview styles match the plugin's markup: type colours on the accent border, a bold title bar.
  const page = await browser.newPage();
  try {
    await page.goto(pathToFileURL(join(dir, 'docs/preview.html')).href);
    const styles = (await page.evaluate(`(() => {
      const style = (sel) => getComputedStyle(document.querySelector(sel));
      return {
        tip: style('details.tip').borderLeftColor, info: style('details.info').borderLeftColor, note: style('div.admonition.note').borderLeftColor,
        title: style('div.admonition.note > .admonition-title').fontWeight, summary: style('details.tip > summary').fontWeight,
      };
    })()`)) as Record<string, string>;
    assert.deepEqual(styles, { tip: 'rgb(0, 191, 165)', info: 'rgb(0, 184, 212)', note: 'rgb(68, 138, 255)', title: '600', summary: '600' });
  } finally {
    await page.close();
  }
});

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+/g) ?? []).slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

test('the chart stays readable in light and dark themes (text 4.5:1, bars 3:1 against its own background)', async () => {
  const page = await browser.newPage();
  try {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await page.goto(pathToFileURL(cliJson.chartFile).href);
      const colours = (await page.evaluate(`(() => {
        const fill = (sel) => getComputedStyle(document.querySelector(sel)).fill;
        return { bg: fill('rect.bg'), text: fill('text'), muted: fill('text.muted'), baseline: fill('rect.baseline'), optimized: fill('rect.optimized') };
      })()`)) as Record<'bg' | 'text' | 'muted' | 'baseline' | 'optimized', string>;
      assert.ok(contrast(colours.text, colours.bg) >= 4.5, `${colorScheme}: text ${colours.text} on ${colours.bg}`);
      assert.ok(contrast(colours.muted, colours.bg) >= 4.5, `${colorScheme}: labels ${colours.muted} on ${colours.bg}`);
      assert.ok(contrast(colours.baseline, colours.bg) >= 3, `${colorScheme}: baseline bars ${colours.baseline} on ${colours.bg}`);
      assert.ok(contrast(colours.optimized, colours.bg) >= 3, `${colorScheme}: optimized bars ${colours.optimized} on ${colours.bg}`);
      if (colorScheme === 'dark') assert.notEqual(colours.bg, 'rgb(255, 255, 255)');
    }
  } finally {
    await page.close();
  }
});

test('plan strings holding HTML reach the built site as text, never as elements (issue 16)', async () => {
  // The reference study with hostile names: the description, a stage's name and note, an option, a workload, a note.
  const store = join(dir, 'hostile-store');
  cpSync(STORE, store, { recursive: true });
  const file = join(store, 'experiments', `${EXPERIMENT}.json`);
  const x = JSON.parse(readFileSync(file, 'utf8')) as Experiment;
  const payloads = {
    description: '<script>alert("description")</script>',
    stage: 'CUDA graph <img src=x onerror=alert("stage")>',
    note: 'flashinfer <iframe src="javascript:alert(1)"></iframe> & more',
    option: '<b>triton</b>',
    workload: 'Very Long <svg onload=alert("workload")>',
    experimentNote: 'ran <style>body{display:none}</style> fine',
  };
  x.plan.description = payloads.description;
  x.plan.stages[4]!.name = payloads.stage;
  x.stages[4]!.name = payloads.stage;
  x.plan.stages[3]!.note = payloads.note;
  x.stages[3]!.options[1]!.name = payloads.option;
  x.generalization[1]!.workload.name = payloads.workload;
  x.notes.push(payloads.experimentNote);
  writeFileSync(file, JSON.stringify(x));
  const written = cli('report', EXPERIMENT, '--results', store, '--out', 'docs/hostile.md', '--assets', 'docs/assets-hostile');
  assert.equal(written.status, 0, written.stderr);
  // Outside code fences (inside them, a name in a `# workload` comment is code and stays as written).
  let inFence = false;
  const prose = readFileSync(join(dir, 'docs/hostile.md'), 'utf8')
    .split('\n')
    .filter((line) => (/^\s*```/.test(line) ? ((inFence = !inFence), false) : !inFence))
    .join('\n');
  for (const tag of ['<script', '<img', '<iframe', '<b>', '<svg', '<style']) assert.ok(!prose.includes(tag), `${tag} reached the markdown outside code`);

  mkdocsBuild();
  const page = await browser.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  try {
    await page.goto(pathToFileURL(join(dir, 'site/hostile/index.html')).href);
    await page.waitForLoadState('load');
    const found = (await page.evaluate(`(() => {
      const root = document.querySelector('article');
      return { elements: root.querySelectorAll('script, img[src="x"], iframe, b, svg[onload], style').length, text: root.textContent };
    })()`)) as { elements: number; text: string };
    assert.equal(found.elements, 0, 'no element came from a plan string');
    assert.deepEqual(dialogs, []);
    for (const text of Object.values(payloads)) assert.ok(found.text.includes(text), `"${text}" is shown as text`);
  } finally {
    await page.close();
  }
});
