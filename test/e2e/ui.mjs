// Stage 1: UI tests on the packaged .vsix in a real VS Code workbench (code-server), driven by playwright-core and
// Debian chromium. Each step is one test; a failing step saves a screenshot and the later steps still run when they
// do not depend on it.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from './codeServer.mjs';

export async function runUiTests({ csUrl, workspace, screenshots, say }) {
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

  await step('the Serving Lab container shows the Results view with its welcome content', async () => {
    await ui.openContainer();
    // A container with one visible view shows that view's title in the side bar header, not a pane header.
    await page.locator('.sidebar .composite.title', { hasText: /Results/i }).first().waitFor({ timeout: 15_000 });
    await page.locator('.welcome-view-content', { hasText: 'No benchmark results yet' }).first().waitFor({ timeout: 15_000 });
    await shot('results-welcome');
  });

  await step('the command palette lists Serving Lab commands', async () => {
    await ui.openPalette('Serving Lab: Benchmark GLM config');
    await page.keyboard.press('Escape');
  });

  await context.close();
  rmSync(profile, { recursive: true, force: true });
  return { passed, failed };
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
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${label}`);
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 10_000 });
  }

  async runCommand(label) {
    await this.openPalette(label);
    await this.page.keyboard.press('Enter');
  }
}
