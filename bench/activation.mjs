// Activation time of the packaged extension inside a real VS Code (code-server 4.139.1 = VS Code 1.139.1), as VS Code
// itself measures it: the "Running Extensions" view shows code loading + activate() per extension. Each round starts
// a fresh code-server with the .vsix installed, opens the Serving Lab view (which activates the extension) and reads
// the figure. Run by hand: `node bench/activation.mjs [--rounds N]` (target: ≤ 50 ms). Prints figures only.
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, installVsix, startCodeServer, toolPaths } from '../test/e2e/codeServer.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(repo);
const roundsFlag = process.argv.indexOf('--rounds');
const rounds = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 5;
const tools = toolPaths(repo);
if (!tools.installed) {
  console.error('bench/activation: code-server is not installed; run scripts/install-tools.sh first');
  process.exit(1);
}
if (process.argv.includes('--no-package') === false) {
  const r = spawnSync('npm', ['run', '--silent', 'package'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) process.exit(1);
}

const runDir = mkdtempSync(join(tmpdir(), 'sl-activation-'));
const socketDir = mkdtempSync(join(tmpdir(), 'sl-cs-'));
const env = { ...process.env, HOME: join(runDir, 'home'), XDG_CONFIG_HOME: join(runDir, 'xdg'), XDG_DATA_HOME: join(runDir, 'xdg'), XDG_CACHE_HOME: join(runDir, 'xdg'), XDG_RUNTIME_DIR: socketDir, TMPDIR: socketDir };
mkdirSync(env.HOME, { recursive: true });
const workspace = join(runDir, 'ws');
mkdirSync(workspace);
const extensionsDir = join(runDir, 'ext');
installVsix({ tools, runDir, vsix: join(repo, 'serving-lab.vsix'), extensionsDir, env });

/** The extension's own log line: VS Code building its API object, evaluating our modules, and activate() itself. */
async function ownFigures(userDataDir) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = spawnSync('grep', ['-rhoE', 'activation: vscode API ready in [0-9.]+ ms, modules evaluated in [0-9.]+ ms, activate\\(\\) took [0-9.]+ ms', join(userDataDir, 'logs')], { encoding: 'utf8' }).stdout.trim();
    const m = /API ready in ([\d.]+) ms, modules evaluated in ([\d.]+) ms, activate\(\) took ([\d.]+) ms/.exec(found);
    if (m) return { apiMs: Number(m[1]), evaluateMs: Number(m[2]), activateMs: Number(m[3]) };
    if (Date.now() > deadline) throw new Error(`no activation line in the Serving Lab log under ${userDataDir}/logs`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** VS Code's own figure from the Running Extensions editor, e.g. "Activation: 23ms" → 23. */
async function measureOnce(index) {
  const server = await startCodeServer({ tools, runDir, name: `bench-${index}`, extensionsDir, workspace, env, extraArgs: ['--disable-workspace-trust'] });
  const profile = mkdtempSync(join(tmpdir(), 'sl-activation-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, viewport: { width: 1500, height: 950 }, args: CHROMIUM_ARGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.activitybar [aria-label^="Serving Lab"]').first().click({ timeout: 60_000 });
    await page.locator('.sidebar .monaco-list-row', { hasText: 'sim' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>Developer: Show Running Extensions');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Show Running Extensions' }).first().waitFor();
    await page.keyboard.press('Enter');
    const row = page.locator('.runtime-extensions-editor .monaco-list-row', { hasText: 'Serving Lab' }).first();
    await row.waitFor({ timeout: 30_000 });
    const text = await row.locator('.activation-time').first().textContent();
    if (process.env.VERBOSE) console.log(`  row: ${await row.textContent()}`);
    const ms = Number(/(\d+(?:\.\d+)?)\s*ms/.exec(text ?? '')?.[1]);
    if (!Number.isFinite(ms)) throw new Error(`could not read the activation time from "${text}"`);
    const own = await ownFigures(join(runDir, `ud-bench-${index}`));
    return { ms, text: text.trim(), own };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    server.stop();
  }
}

const figures = [];
const own = [];
try {
  for (let i = 0; i < rounds; i++) {
    const { ms, text, own: o } = await measureOnce(i);
    figures.push(ms);
    own.push(o.evaluateMs + o.activateMs);
    console.log(`round ${i + 1}: VS Code "${text}"; vscode API object ${o.apiMs} ms; ours: modules evaluated in ${o.evaluateMs} ms + activate() ${o.activateMs} ms`);
  }
} finally {
  rmSync(runDir, { recursive: true, force: true });
  rmSync(socketDir, { recursive: true, force: true });
}
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms`;
};
console.log(`VS Code's activation figure (includes the extension host's own queueing), ${rounds} fresh starts: ${summary(figures)}`);
console.log(`Serving Lab's module evaluation + activate(), ${rounds} fresh starts: ${summary(own)} (target ≤ 50 ms; compiling the bundle is not included)`);
