// `npm run test:electron`: the extension-host mocha suite (test/e2e/suite, the same one code-server runs in stage 2)
// under @vscode/test-electron, i.e. in desktop VS Code. It downloads VS Code, so it runs where that is possible (not on
// this project's offline CI, which uses code-server instead: test/e2e/run.mjs). VSCODE_EXECUTABLE=/path/to/code uses
// an installed VS Code instead of downloading one.
import { runTests } from '@vscode/test-electron';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { buildSuite } from './buildSuite.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(repo);
if (spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' }).status !== 0) process.exit(1);
const suiteDir = await buildSuite(repo, join(repo, 'test-output/electron/suite'));
const workspace = mkdtempSync(join(tmpdir(), 'sl-electron-ws-'));
cpSync(join(repo, 'test/e2e/workspace'), workspace, { recursive: true });
cpSync(join(repo, 'examples'), join(workspace, 'examples'), { recursive: true });
const userData = mkdtempSync(join(tmpdir(), 'sl-electron-ud-'));
mkdirSync(join(userData, 'User'), { recursive: true });
cpSync(join(repo, 'test/e2e/electron-settings.json'), join(userData, 'User', 'settings.json'));
try {
  await runTests({
    extensionDevelopmentPath: repo,
    extensionTestsPath: join(suiteDir, 'index'),
    ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : {}),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', userData],
  });
} catch (err) {
  console.error(`test:electron: ${err instanceof Error ? err.message : err}. Without network access to download VS Code, set VSCODE_EXECUTABLE or run \`npm test -- e2e\` (code-server).`);
  process.exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
  rmSync(userData, { recursive: true, force: true });
}
