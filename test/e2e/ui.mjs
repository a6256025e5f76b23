// Stage 1: UI tests on the packaged .vsix in a real VS Code workbench (code-server), driven by playwright-core and
// Debian chromium. Each step is one test; a failing step saves a screenshot and the later steps still run when they
// do not depend on it.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from './codeServer.mjs';

/** Simulated engine processes (`… serve zai-org/GLM-4.5-Air …`) of this test run still alive on this machine. */
function engineProcesses(marker) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes('serve') && argv.some((a) => a.includes('GLM-4.5-Air')) && readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(marker)) found.push(`${pid}: ${argv.join(' ')}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** Long enough (about half a minute at the tests' 10× speedup) to be stopped while it runs. */
const LONG_WORKLOAD = 'random:2000:2000:600';

/** Engines and benchmark clients of this run are gone within a short grace period after a stop. */
async function noEngineProcessesLeft(marker) {
  const deadline = Date.now() + 20_000;
  while (engineProcesses(marker).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  assert.deepEqual(engineProcesses(marker), [], 'no simulated engine or benchmark process is left running');
}

export async function runUiTests({ csUrl, workspace, screenshots, say, marker }) {
  const profile = mkdtempSync(join(tmpdir(), 'sl-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1500, height: 950 },
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let passed = 0;
  let failed = 0;
  let broken = false;
  const shot = (name) => page.screenshot({ path: join(screenshots, `${name}.png`) }).catch(() => {});

  async function step(name, fn, { needsWorkbench = true } = {}) {
    if (broken && needsWorkbench) {
      failed++;
      say(`FAIL ${name}: skipped because the workbench did not load`);
      return;
    }
    const t = Date.now();
    try {
      await fn();
      passed++;
      say(`ok   ${name} (${Date.now() - t} ms)`);
    } catch (err) {
      failed++;
      say(`FAIL ${name}: ${err?.stack ?? err}`);
      await shot(`fail-${name.replace(/\W+/g, '_')}`);
    }
  }

  const ui = new Workbench(page);
  await step('workbench loads with the Serving Lab activity-bar entry', async () => {
    await page.goto(`${csUrl}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await ui.activityEntry().waitFor({ timeout: 60_000 });
  }, { needsWorkbench: false });
  if (failed) broken = true;

  await step('the Serving Lab container shows the Hosts and Results views with their welcome content', async () => {
    await ui.openContainer();
    await page.locator('.pane-header', { hasText: 'Hosts' }).first().waitFor({ timeout: 15_000 });
    await page.locator('.pane-header', { hasText: 'Results' }).first().waitFor({ timeout: 15_000 });
    await page.locator('.welcome-view-content', { hasText: 'No benchmark results yet' }).first().waitFor({ timeout: 15_000 });
    await ui.treeRow('sim').waitFor({ timeout: 15_000 });
    await shot('views-welcome');
  });

  await step('"Benchmark GLM config" from the palette runs on the simulated host and the Results tree shows the result', async () => {
    await ui.runCommand('Serving Lab: Benchmark GLM config');
    await ui.pick('Benchmark GLM config (1/3)', 'sim');
    await ui.pick('Benchmark GLM config (2/3)', "vLLM, TP4 (the study's baseline)");
    await ui.pick('Benchmark GLM config (3/3)', 'Custom…');
    await ui.type('random:256:32:60');
    await page.locator('.notifications-toasts', { hasText: 'completed' }).first().waitFor({ timeout: 180_000 });
    await ui.treeRow('random 256/32 ×60').first().waitFor({ timeout: 20_000 });
    // The experiment row: completed, with the objective metric as its description.
    await ui.treeRow(/GLM-4\.5-Air, TP4 — random 256\/32 ×60.*tok\/s total/).first().waitFor({ timeout: 20_000 });
    await shot('results-after-benchmark');
  });

  await step('the dashboard charts drew the live data', async () => {
    await page.locator('.tab', { hasText: 'Serving Lab Dashboard' }).first().click();
    const inner = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const throughput = inner.locator('#chart-throughput');
    await throughput.waitFor({ timeout: 20_000 });
    // The last samples may still be on their way when the run's completion is shown.
    let points = 0;
    for (const deadline = Date.now() + 10_000; points === 0 && Date.now() < deadline; await page.waitForTimeout(250)) {
      points = Number(await throughput.getAttribute('data-points'));
    }
    assert.ok(points > 0, `throughput chart has ${points} points`);
    assert.match(await inner.locator('#phase').textContent(), /completed/);
    assert.match(await inner.locator('#summary').textContent(), /Successful requests\s*60/);
    // Pixels of the chart's first series colour (the theme's --vscode-charts-blue) prove a line was drawn.
    const drawn = await pixelsOfThemeColour(throughput, '--vscode-charts-blue');
    assert.ok(drawn > 100, `only ${drawn} pixels of the throughput line were drawn`);
    await shot('dashboard');
    await throughput.screenshot({ path: join(screenshots, 'dashboard-throughput-chart.png') });

    // Export PNG writes the chart into the docs' assets folder.
    await inner.locator('[data-export="throughput"]').click();
    await inner.locator('#status', { hasText: 'Saved throughput chart to docs/assets/serving-lab-throughput-' }).waitFor({ timeout: 15_000 });
    const assets = join(workspace, 'docs', 'assets');
    const png = readdirSync(assets).find((f) => /^serving-lab-throughput-.*\.png$/.test(f));
    assert.ok(png, `a PNG in ${assets}`);
    assert.equal(readFileSync(join(assets, png)).subarray(1, 4).toString(), 'PNG');
  });

  /**
   * Benchmark GLM config on the simulated host with a workload long enough to interrupt; the variant is the last one
   * used unless `pickVariant` chooses another way.
   */
  const startLongBenchmark = async (pickVariant = () => ui.pick('Benchmark GLM config (2/3)', 'Last used')) => {
    await ui.dismissToasts();
    await ui.runCommand('Serving Lab: Benchmark GLM config');
    await ui.pick('Benchmark GLM config (1/3)', 'sim');
    await pickVariant();
    await ui.pick('Benchmark GLM config (3/3)', 'Custom…');
    await ui.type(LONG_WORKLOAD);
  };

  /** A serving script of several lines, as people paste them, copied to the browser's clipboard and picked from it. */
  const variantFromClipboardScript = async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(csUrl).origin });
    const script = '# the study baseline\nexport VLLM_LOGGING_LEVEL=INFO\nvllm serve zai-org/GLM-4.5-Air \\\n  -tp 4\n';
    await page.evaluate((text) => navigator.clipboard.writeText(text), script);
    await ui.pick('Benchmark GLM config (2/3)', 'Serving script on the clipboard');
    await ui.pick('Parsed from the clipboard: vLLM zai-org/GLM-4.5-Air, TP4', 'Use this variant');
  };

  await step('an engine started from a serving script on the clipboard is stopped from the Hosts view while it serves a benchmark', async () => {
    await startLongBenchmark(variantFromClipboardScript);
    await ui.openContainer();
    const host = ui.treeRow('sim').first();
    if ((await host.getAttribute('aria-expanded')) !== 'true') await host.click();
    const engine = page.locator('.monaco-list-row', { hasText: /vllm vllm-.*ready/ }).first();
    await engine.waitFor({ timeout: 120_000 });
    await engine.hover();
    await engine.locator('.action-label[aria-label="Stop Engine"]').click();
    await page.locator('.monaco-list-row', { hasText: /vllm vllm-.*stopped/ }).first().waitFor({ timeout: 30_000 });
    // The run notices, stops its benchmark client and ends.
    await page.locator('.notifications-toasts', { hasText: 'was stopped; what was measured is saved' }).first().waitFor({ timeout: 90_000 });
    await shot('hosts-engine-stopped');
    await noEngineProcessesLeft(marker);
  });

  await step('while a vllm-bench benchmark runs, the latency chart draws TTFT and TPOT from the engine histograms; Cancel on the progress notification stops it and the engine', async () => {
    await startLongBenchmark();
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /Serving Lab: Benchmark .*benchmarking/ }).first();
    await toast.waitFor({ timeout: 120_000 });
    // The default runner (vllm-bench) reports no per-request events: every latency point comes from /metrics.
    await page.locator('.tab', { hasText: 'Serving Lab Dashboard' }).first().click();
    const inner = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const latency = inner.locator('#chart-latency');
    let series = {};
    // A burst gets its first tokens in a wave (one or two scrape intervals); decode runs through every interval.
    for (const deadline = Date.now() + 60_000; !(series['TTFT mean'] >= 1 && series['TPOT mean'] >= 3) && Date.now() < deadline; await page.waitForTimeout(500)) {
      series = JSON.parse((await latency.getAttribute('data-series')) ?? '{}');
    }
    assert.ok(series['TTFT mean'] >= 1 && series['TPOT mean'] >= 3, `latency chart series: ${JSON.stringify(series)}`);
    assert.equal(series['TTFT per request'], 0, 'no per-request points with vllm-bench');
    assert.match(await inner.locator('#phase').textContent(), /benchmarking/);
    const ttftPixels = await pixelsOfThemeColour(latency, '--vscode-charts-blue');
    const tpotPixels = await pixelsOfThemeColour(latency, '--vscode-charts-orange');
    assert.ok(ttftPixels > 10, `only ${ttftPixels} pixels of TTFT were drawn`);
    assert.ok(tpotPixels > 50, `only ${tpotPixels} pixels of TPOT were drawn`);
    say(`     latency chart while running: ${JSON.stringify(series)}; ${ttftPixels} TTFT and ${tpotPixels} TPOT pixels`);
    await latency.screenshot({ path: join(screenshots, 'dashboard-latency-live.png') });
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await page.locator('.notifications-toasts', { hasText: 'was stopped; what was measured is saved' }).first().waitFor({ timeout: 90_000 });
    await noEngineProcessesLeft(marker);
  });

  await step('the sample plan runs from the editor title, and its findings are inserted into a document from the palette', async () => {
    await ui.openFile('smoke.plan.yaml');
    await page.locator('.editor-actions [aria-label*="Run Tuning Plan"]').first().click();
    await page.locator('.notifications-toasts', { hasText: 'GLM-4.5-Air engine and FP8 (e2e) completed' }).first().waitFor({ timeout: 300_000 });
    await ui.treeRow('GLM-4.5-Air engine and FP8 (e2e)').first().waitFor({ timeout: 20_000 });
    await ui.openFile('findings.md');
    await page.keyboard.press('Control+End');
    await ui.runCommand('Serving Lab: Insert Findings into Document');
    await ui.pick('insert the findings of which experiment?', 'GLM-4.5-Air engine and FP8 (e2e)');
    await page.locator('.monaco-editor .view-lines', { hasText: 'serving-lab:begin' }).first().waitFor({ timeout: 20_000 });
    await shot('findings-inserted');
  });

  await context.close();
  rmSync(profile, { recursive: true, force: true });
  return { passed, failed };
}

/** Pixels of a canvas in a theme colour (±30 per channel): proof that a series in that colour was drawn. */
function pixelsOfThemeColour(canvas, cssVariable) {
  return canvas.evaluate((c, name) => {
    const colour = getComputedStyle(document.body).getPropertyValue(name).trim();
    const probe = document.createElement('canvas').getContext('2d');
    probe.fillStyle = colour;
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    // Only the plot area: the legend's colour boxes are not a drawn series.
    const [left, top, right, bottom] = (c.dataset.plotArea ?? `0,0,${c.width},${c.height}`).split(',').map(Number);
    const data = c.getContext('2d').getImageData(left, top, right - left, bottom - top).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - r) < 30 && Math.abs(data[i + 1] - g) < 30 && Math.abs(data[i + 2] - b) < 30) n++;
    return n;
  }, cssVariable);
}

/** Page-object helpers for the workbench. */
class Workbench {
  constructor(page) {
    this.page = page;
  }

  activityEntry() {
    return this.page.locator('.activitybar [aria-label^="Serving Lab"]').first();
  }

  async openContainer() {
    const entry = this.activityEntry();
    const checked = await entry.getAttribute('aria-expanded').catch(() => null);
    if (checked !== 'true') await entry.click();
  }

  /** F1, types the command label, waits for it in the list; returns with the palette open on that row. */
  async openPalette(label) {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${label}`);
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 10_000 });
  }

  async runCommand(label) {
    await this.openPalette(label);
    await this.page.keyboard.press('Enter');
  }

  /** In an open quick pick titled `title`, filters by `text` and accepts the first match. */
  async pick(title, text) {
    const widget = this.page.locator('.quick-input-widget', { hasText: title });
    await widget.waitFor({ state: 'visible', timeout: 20_000 });
    await widget.locator('.quick-input-box input').fill(text);
    await widget.locator('.monaco-list-row', { hasText: text }).first().waitFor({ timeout: 10_000 });
    await widget.locator('.quick-input-box input').press('Enter');
  }

  /** Types into an open input box and accepts. */
  async type(text) {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text);
    await input.press('Enter');
  }

  /** Closes every visible notification toast, so a later wait cannot match an old one. */
  async dismissToasts() {
    const close = this.page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear');
    for (let n = await close.count(); n > 0; n = await close.count()) {
      await close.first().click({ force: true }).catch(() => {});
      await this.page.waitForTimeout(150);
    }
    await this.page.locator('.notifications-toasts .notification-toast', { hasText: 'was stopped' }).first().waitFor({ state: 'detached', timeout: 5000 });
  }

  /** Opens a workspace file through Go to File. */
  async openFile(name) {
    await this.runCommand('Go to File');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(name);
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 20_000 });
    await input.press('Enter');
    await this.page.locator('.tab', { hasText: name }).first().waitFor({ timeout: 10_000 });
  }

  treeRow(text) {
    return this.page.locator('.sidebar .monaco-list-row', { hasText: text });
  }
}
