// Stage 2: runs the mocha suite INSIDE code-server's Node extension host, as @vscode/test-electron does with
// --extensionTestsPath. The workbench honours the `payload` query (extensionDevelopmentPath + extensionTestsPath) only
// when code-server runs with `--vscode-option enable-smoke-test-driver`; it calls window.codeAutomationExit(code)
// when the suite's run() settles. The extension host's console (mocha's reporter) reaches the page console as
// console.log('%c INFO', 'color: …', fmt, …args) and is re-formatted here.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { CHROMIUM_ARGS } from './codeServer.mjs';

const NOISE = /AgentHost|ChatModelSelection|Failed to load resource|allow-scripts and allow-same-origin|open-vsx\.org|same-origin iframe|vsda|authentication provider/;

/** Returns { exitCode, passed, failed } parsed from the suite's closing "N passed, N failed" line. */
export async function runExtensionHostSuite({ csUrl, workspace, extensionPath, testsPath, timeoutMs = 240_000, verbose = false }) {
  const authority = new URL(csUrl).host;
  const remote = (p) => `vscode-remote://${authority}${resolve(p)}`;
  const payload = [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(testsPath)],
  ];
  const url = `${csUrl}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const profile = mkdtempSync(join(tmpdir(), 'sl-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  let passed = 0;
  let failed = 0;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    page.on('console', async (message) => {
      let text;
      try {
        const args = await Promise.all(message.args().map((a) => a.jsonValue().catch(() => String(a))));
        if (typeof args[0] === 'string' && args[0].startsWith('%c')) args.splice(0, 2);
        text = args.length ? format(...args) : message.text();
      } catch {
        text = message.text();
      }
      const summary = /^(\d+) passed, (\d+) failed$/m.exec(text);
      if (summary) {
        passed = Number(summary[1]);
        failed = Number(summary[2]);
      }
      if (verbose || !NOISE.test(text)) console.log(`  [extension host] ${text}`);
    });
    await page.goto(url);
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
    if (code === 'timeout') {
      console.log(`extension-host suite: no result within ${timeoutMs / 1000} s (is code-server running with --vscode-option enable-smoke-test-driver?)`);
      return { exitCode: 1, passed, failed: failed || 1 };
    }
    return { exitCode: code, passed, failed: code !== 0 && failed === 0 ? 1 : failed };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
