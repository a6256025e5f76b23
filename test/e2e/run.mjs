// `npm test`'s e2e stage: the extension inside a real VS Code (code-server 4.139.1 = VS Code 1.139.1, on Node 24).
//   stage 1 (UI)             the packaged .vsix installed into a fresh code-server WITHOUT the smoke-test driver
//                            (which would suppress notifications), driven by playwright-core + Debian chromium
//   stage 2 (extension host) the mocha suite test/e2e/suite run inside the extension host, on a second code-server
//                            WITH `--vscode-option enable-smoke-test-driver` (see extensionHost.mjs)
// Prints "N passed, N failed"; screenshots go to test-output/e2e/screenshots (CI artifacts). Every process started
// here is ended by process group; engines the extension detached are ended through an environment marker.
// env: SKIP_UI=1, SKIP_EXT=1, KEEP_RUN=1 (keep test-output/e2e/run), VERBOSE=1, TOOLS_DIR
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installVsix, killMarkedProcesses, startCodeServer, toolPaths } from './codeServer.mjs';
import { buildSuite } from './buildSuite.mjs';
import { runExtensionHostSuite } from './extensionHost.mjs';
import { runUiTests } from './ui.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(repo);
const started = Date.now();
const say = (m) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}`);

function sh(title, cmd, args, options = {}) {
  say(title);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${title} failed (exit ${r.status ?? r.signal})`);
}

let tools = toolPaths(repo);
if (!tools.installed) {
  sh('installing code-server and Node 24 into tools/ (first run only)', 'bash', ['scripts/install-tools.sh']);
  tools = toolPaths(repo);
}

const output = join(repo, 'test-output/e2e');
const runDir = join(output, 'run');
const screenshots = join(output, 'screenshots');
rmSync(runDir, { recursive: true, force: true });
rmSync(screenshots, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
mkdirSync(screenshots, { recursive: true });

sh('packaging the .vsix (npm run package)', 'npm', ['run', '--silent', 'package']);
// Stage 2 loads the extension from the working tree (extensionDevelopmentPath): the development build it uses.
sh('building the development bundles', process.execPath, ['esbuild.mjs']);
const suiteDir = await buildSuite(repo, join(output, 'suite'));

// code-server's unix sockets live in XDG_RUNTIME_DIR/TMPDIR: a short private path (socket paths must be < 108 bytes).
const socketDir = mkdtempSync(join(tmpdir(), 'sl-cs-'));
const marker = randomBytes(6).toString('hex');
const home = join(runDir, 'home');
mkdirSync(home, { recursive: true });
const env = {
  ...process.env,
  HOME: home, // the simulated host's work dir (~/.serving-lab) and any ssh lookups stay inside the run folder
  XDG_CONFIG_HOME: join(runDir, 'xdg'),
  XDG_DATA_HOME: join(runDir, 'xdg'),
  XDG_CACHE_HOME: join(runDir, 'xdg'),
  XDG_RUNTIME_DIR: socketDir,
  TMPDIR: socketDir,
  SERVING_LAB_E2E_RUN: marker,
};

function workspace(name) {
  const dir = join(runDir, name);
  cpSync(join(repo, 'test/e2e/workspace'), dir, { recursive: true });
  cpSync(join(repo, 'examples'), join(dir, 'examples'), { recursive: true });
  return dir;
}

// The simulated host runs its engines this many times faster than real time, so launches and benchmarks take seconds.
const settings = { 'servingLab.simulatedHostSpeedup': 10 };

const totals = { passed: 0, failed: 0 };
const servers = [];
function cleanup() {
  for (const s of servers.splice(0)) s.stop();
  const leftovers = killMarkedProcesses('SERVING_LAB_E2E_RUN', marker);
  if (leftovers.length) say(`ended ${leftovers.length} leftover process(es) the extension started: ${leftovers.join(' ')}`);
  rmSync(socketDir, { recursive: true, force: true });
  if (!process.env.KEEP_RUN) rmSync(join(runDir, 'home'), { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

try {
  if (!process.env.SKIP_UI) {
    const extensionsDir = join(runDir, 'ext-ui');
    installVsix({ tools, runDir, vsix: join(repo, 'serving-lab.vsix'), extensionsDir, env });
    const ws = workspace('ws-ui');
    const server = await startCodeServer({ tools, runDir, name: 'ui', extensionsDir, workspace: ws, env, settings, extraArgs: ['--disable-workspace-trust'] });
    servers.push(server);
    say(`stage 1: UI tests on the packaged .vsix (code-server ${server.url})`);
    const r = await runUiTests({ csUrl: server.url, workspace: ws, screenshots, say, marker: `SERVING_LAB_E2E_RUN=${marker}` });
    totals.passed += r.passed;
    totals.failed += r.failed;
    server.stop();
    servers.length = 0;
    killMarkedProcesses('SERVING_LAB_E2E_RUN', marker);
  }
  if (!process.env.SKIP_EXT) {
    const extensionsDir = join(runDir, 'ext-dev'); // empty: the extension comes from extensionDevelopmentPath
    mkdirSync(extensionsDir, { recursive: true });
    const ws = workspace('ws-ext');
    const server = await startCodeServer({
      tools, runDir, name: 'ext', extensionsDir, workspace: ws, env, settings,
      extraArgs: ['--disable-workspace-trust', '--vscode-option', 'enable-smoke-test-driver'],
    });
    servers.push(server);
    say(`stage 2: mocha suite inside the extension host (code-server ${server.url})`);
    const r = await runExtensionHostSuite({ csUrl: server.url, workspace: ws, extensionPath: repo, testsPath: join(suiteDir, 'index'), verbose: !!process.env.VERBOSE });
    totals.passed += r.passed;
    totals.failed += r.failed;
    if (r.exitCode !== 0 && r.failed === 0) totals.failed += 1;
  }
} catch (err) {
  totals.failed += 1;
  console.error(`e2e: ${err instanceof Error ? err.message : err}`);
} finally {
  cleanup();
}
say(`done; screenshots in ${screenshots}${existsSync(runDir) ? `, logs in ${runDir}` : ''}`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0);
